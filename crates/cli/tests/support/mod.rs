//! A real `tracelot serve` on 127.0.0.1:0 over a real database file, with
//! one token per role, and a blocking HTTP client to talk to it.

#![allow(dead_code)] // Each test binary uses its own part of the harness.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStderr, Command, Output, Stdio};
use std::time::Duration;

use reqwest::blocking::{Client, RequestBuilder, Response};
use serde_json::{Value, json};

/// The roles, lowest first, with the account made for each.
pub const ROLES: [&str; 5] = ["viewer", "operator", "qc", "manager", "admin"];

/// A fresh database file for driving the binary directly.
pub struct Db {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
}

impl Db {
    /// A new, initialized database in its own directory.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("t.db");
        tracelot_ok(&db, &["init"]);
        Db { dir, db }
    }

    /// Runs a command that must succeed; its JSON output.
    pub fn ok(&self, args: &[&str]) -> Value {
        tracelot_ok(&self.db, args)
    }

    /// Runs a command that must be refused (exit 1) with `code`, and checks
    /// that the ledger did not change; the problem document.
    pub fn refused(&self, args: &[&str], code: &str) -> Value {
        let before = self.ok(&["verify"])["transactions"].clone();
        let out = tracelot(&self.db, args);
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {doc}");
        assert_eq!(doc["code"], code, "{args:?}: {doc}");
        assert_eq!(self.ok(&["verify"])["transactions"], before, "{args:?} changed the ledger");
        doc
    }

    /// A path in the test's directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// A running server and what the tests need to reach it.
pub struct Server {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
    pub base: String,
    child: Option<Child>,
    pub stderr: Option<ChildStderr>,
    /// Token per role, in [`ROLES`] order.
    pub tokens: Vec<String>,
}

/// Runs the binary on `db`.
pub fn tracelot(db: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tracelot"))
        .args(["--db", db.to_str().expect("utf-8 path"), "--json"])
        .args(args)
        .env_remove("TRACELOT_DATABASE_URL")
        .output()
        .expect("run tracelot")
}

/// Runs the binary and parses its JSON output, failing on a non-zero exit.
pub fn tracelot_ok(db: &std::path::Path, args: &[&str]) -> Value {
    let out = tracelot(db, args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "tracelot {args:?}: {stdout} {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("tracelot {args:?} printed no JSON ({e}): {stdout}"))
}

impl Server {
    /// A fresh database with one account and token per role, and a server on it.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Like [`Server::start`], with extra `serve` arguments.
    pub fn start_with(serve_args: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("api.db");
        Self::start_on(dir, db, serve_args)
    }

    /// Like [`Server::start_with`] on a given database (a file path or a
    /// PostgreSQL URL), keeping `dir` for the test's files.
    pub fn start_on(dir: tempfile::TempDir, db: PathBuf, serve_args: &[&str]) -> Self {
        tracelot_ok(&db, &["init"]);
        let tokens = ROLES
            .iter()
            .map(|role| {
                let name = format!("{role}1");
                tracelot_ok(&db, &["user", "add", &name, "--role", role]);
                let t = tracelot_ok(&db, &["token", "create", &name, "--label", "test"]);
                t["token"].as_str().expect("token field").to_owned()
            })
            .collect();
        let mut s = Server { dir, db, base: String::new(), child: None, stderr: None, tokens };
        s.spawn(serve_args);
        s
    }

    /// Another server process on the same database, with the same tokens.
    pub fn another(&self) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut s = Server {
            dir,
            db: self.db.clone(),
            base: String::new(),
            child: None,
            stderr: None,
            tokens: self.tokens.clone(),
        };
        s.spawn(&[]);
        s
    }

    /// Starts `tracelot serve` and reads the address it bound.
    pub fn spawn(&mut self, serve_args: &[&str]) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tracelot"))
            .args(["--db", self.db.to_str().expect("utf-8"), "serve", "--listen", "127.0.0.1:0", "--log-level", "warn"])
            .args(serve_args)
            .env_remove("TRACELOT_DATABASE_URL")
            .env_remove("TRACELOT_CONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("first line");
        let base =
            line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        self.base = base.to_owned();
        self.stderr = child.stderr.take();
        self.child = Some(child);
    }

    /// Kills the server at once (SIGKILL), as a power cut would.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Sends SIGTERM without waiting.
    pub fn terminate(&self) {
        if let Some(child) = &self.child {
            let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        }
    }

    /// Sends SIGTERM and waits; returns whether the server exited cleanly.
    pub fn stop(&mut self) -> bool {
        self.terminate();
        let Some(mut child) = self.child.take() else { return true };
        child.wait().map(|s| s.success()).unwrap_or(false)
    }

    /// The token of `role`.
    pub fn token(&self, role: &str) -> &str {
        let i = ROLES.iter().position(|r| *r == role).expect("known role");
        &self.tokens[i]
    }

    /// A new client with its own connection pool.
    pub fn client() -> Client {
        Client::builder().timeout(Duration::from_secs(60)).build().expect("client")
    }

    /// The full URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request as `role` (or anonymous with `None`).
    pub fn req(&self, c: &Client, method: &str, path: &str, role: Option<&str>) -> RequestBuilder {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let b = c.request(m, self.url(path));
        match role {
            Some(r) => b.bearer_auth(self.token(r)),
            None => b,
        }
    }

    /// Posts JSON as `role`, returning status and body.
    pub fn post(&self, c: &Client, path: &str, role: &str, body: &Value) -> (u16, Value) {
        let r = self.req(c, "POST", path, Some(role)).json(body).send().expect("send");
        status_json(r)
    }

    /// GETs as `role`, returning status and body.
    pub fn get(&self, c: &Client, path: &str, role: &str) -> (u16, Value) {
        status_json(self.req(c, "GET", path, Some(role)).send().expect("send"))
    }

    /// Adds an account that logs in with `password`.
    pub fn add_user_with_password(&self, name: &str, role: &str, password: &str) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tracelot"))
            .args(["--db", self.db.to_str().expect("utf-8"), "user", "add", name, "--role", role, "--password-stdin"])
            .env_remove("TRACELOT_DATABASE_URL")
            .stdin(Stdio::piped())
            .spawn()
            .expect("user add");
        writeln!(child.stdin.take().expect("stdin"), "{password}").expect("password");
        assert!(child.wait().expect("user add").success(), "user add {name}");
    }

    /// Defines what most tests need: a serial item, a lot item, two internal
    /// locations and a customer.
    pub fn standard(&self) {
        let c = Self::client();
        let setup = [
            ("/api/v1/locations", json!({"path": "WH/A", "kind": "internal"})),
            ("/api/v1/locations", json!({"path": "WH/B", "kind": "internal"})),
            ("/api/v1/partners", json!({"code": "C1", "name": "Customer One", "kind": "customer"})),
            ("/api/v1/partners", json!({"code": "S1", "name": "Supplier One", "kind": "supplier"})),
            ("/api/v1/items", json!({"sku": "PHONE", "name": "Phone", "tracking": "serial", "uom": "ea", "scale": 0})),
            ("/api/v1/items", json!({"sku": "SAUCE", "name": "Sauce", "tracking": "lot", "uom": "kg", "scale": 3})),
        ];
        for (path, body) in setup {
            let (status, doc) = self.post(&c, path, "manager", &body);
            assert_eq!(status, 201, "{path}: {doc}");
        }
    }

    /// Runs `tracelot verify` on the database and asserts it passes.
    pub fn verify_ok(&self) -> Value {
        let out = tracelot(&self.db, &["verify"]);
        let doc: Value = serde_json::from_slice(&out.stdout).expect("verify JSON");
        assert!(out.status.success(), "verify failed: {doc}");
        assert_eq!(doc["problems"].as_array().map(Vec::len), Some(0), "{doc}");
        doc
    }

    /// Writes a file in the test's directory.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::File::create(&p).and_then(|mut f| f.write_all(text.as_bytes())).expect("write");
        p
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Status and JSON body (`Null` for an empty or non-JSON body).
pub fn status_json(r: Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let body = r.text().unwrap_or_default();
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}
