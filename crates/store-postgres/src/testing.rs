//! Throwaway databases for tests: each test gets a database of its own on
//! the PostgreSQL server named by `TRACELOT_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`), dropped when it ends.
//!
//! When that variable is not set and nothing answers at the default, but
//! PostgreSQL's own programs are installed (`initdb`, `pg_ctl`), the test
//! process starts a throwaway cluster in a temporary directory on a free
//! port (as the `postgres` user when run as root), and a watchdog stops it
//! and deletes it when the process ends.
//!
//! With no server at all the PostgreSQL tests cannot run. They then say so
//! loudly on the terminal (not in captured test output) and pass, so that
//! the test command works on any machine, unless `TRACELOT_REQUIRE_POSTGRES`
//! is set (as CI does): then they fail.

// Test support: a test database that cannot be made fails the test at once.
#![allow(clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Once, OnceLock};

use postgres::{Client, NoTls};

/// The variable naming the server tests create their databases on.
pub const SERVER_ENV: &str = "TRACELOT_TEST_POSTGRES";
/// The variable that makes a missing server a test failure.
pub const REQUIRE_ENV: &str = "TRACELOT_REQUIRE_POSTGRES";
/// The server tests use when `TRACELOT_TEST_POSTGRES` is not set.
pub const DEFAULT_SERVER: &str = "postgres://postgres@127.0.0.1:5432/postgres";

static WARNED: Once = Once::new();
static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A database that exists for one test.
pub struct TestDb {
    server: String,
    name: String,
    url: String,
}

static SERVER: OnceLock<String> = OnceLock::new();

/// The server this process's tests use, decided once.
fn server() -> String {
    SERVER
        .get_or_init(|| {
            if let Ok(url) = std::env::var(SERVER_ENV) {
                return url;
            }
            if Client::connect(DEFAULT_SERVER, NoTls).is_ok() {
                return DEFAULT_SERVER.to_owned();
            }
            match throwaway_cluster() {
                Ok(url) => {
                    let _ = writeln!(
                        std::io::stderr(),
                        "nothing answers at {DEFAULT_SERVER}: the PostgreSQL tests use a throwaway cluster at {url}"
                    );
                    url
                }
                Err(why) => {
                    let _ = writeln!(std::io::stderr(), "no throwaway PostgreSQL cluster: {why}");
                    DEFAULT_SERVER.to_owned()
                }
            }
        })
        .clone()
}

/// The directory holding `initdb` and `pg_ctl`: on the PATH, else the
/// newest under Debian's `/usr/lib/postgresql/VERSION/bin`.
fn postgres_bin() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file());
    on_path.or_else(|| {
        let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
            .collect();
        found.sort();
        found.pop()
    })
}

/// Runs a PostgreSQL program, as the `postgres` user when this process is
/// root (the server refuses to run as root).
fn pg_command(bin: &Path, program: &str, as_postgres: bool) -> Command {
    if as_postgres {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin.join(program));
        c
    } else {
        Command::new(bin.join(program))
    }
}

fn run(mut c: Command) -> Result<(), String> {
    let out = c.output().map_err(|e| format!("{c:?}: {e}"))?;
    if out.status.success() { Ok(()) } else { Err(format!("{c:?}: {}", String::from_utf8_lossy(&out.stderr).trim())) }
}

/// Starts a cluster for this process and returns its URL.
fn throwaway_cluster() -> Result<String, String> {
    let bin = postgres_bin().ok_or("initdb and pg_ctl are not installed")?;
    let uid = Command::new("id").arg("-u").output().map_err(|e| format!("id -u: {e}"))?;
    let as_postgres = String::from_utf8_lossy(&uid.stdout).trim() == "0";
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free port: {e}"))?
        .port();
    let dir = std::env::temp_dir().join(format!("tracelot-test-pg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if as_postgres {
        run({
            let mut c = Command::new("chown");
            c.arg("postgres").arg(&dir);
            c
        })?;
    }
    let data = dir.join("data");
    let mut init = pg_command(&bin, "initdb", as_postgres);
    init.arg("-D").arg(&data).args(["-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]);
    run(init)?;
    let mut start = pg_command(&bin, "pg_ctl", as_postgres);
    start.arg("-D").arg(&data).arg("-l").arg(dir.join("log")).args(["-w", "-o"]).arg(format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
        dir.display()
    ));
    start.arg("start");
    run(start)?;
    // Stops and deletes the cluster once this process has ended.
    let stop = format!(
        "{}{} -D '{}' -m immediate stop",
        if as_postgres { "runuser -u postgres -- " } else { "" },
        bin.join("pg_ctl").display(),
        data.display()
    );
    let watchdog = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf '{dir}'",
        pid = std::process::id(),
        dir = dir.display()
    );
    Command::new("sh").args(["-c", &watchdog]).spawn().map_err(|e| format!("watchdog: {e}"))?;
    Ok(format!("postgres://postgres@127.0.0.1:{port}/postgres"))
}

/// Whether the test server answers (see [`TestDb::create`] for what
/// happens when it does not).
pub fn server_available() -> bool {
    admin().is_some()
}

fn admin() -> Option<Client> {
    let server = server();
    match Client::connect(&server, NoTls) {
        Ok(c) => Some(c),
        Err(e) => {
            if std::env::var_os(REQUIRE_ENV).is_some() {
                panic!("{REQUIRE_ENV} is set but PostgreSQL at {} does not answer: {e}", crate::db::redact(&server));
            }
            WARNED.call_once(|| {
                    let line = "!".repeat(78);
                    let _ = writeln!(
                        std::io::stderr(),
                        "\n{line}\n!! PostgreSQL at {} does not answer ({e}).\n!! THE POSTGRESQL HALF OF THE TEST SUITE DID NOT RUN: its tests pass without\n!! checking anything. Start PostgreSQL or set {SERVER_ENV}; CI sets {REQUIRE_ENV}.\n{line}",
                        crate::db::redact(&server)
                    );
                });
            None
        }
    }
}

impl TestDb {
    /// Creates a fresh, empty database. `None` when no server answers and
    /// none is required; panics when `TRACELOT_REQUIRE_POSTGRES` is set.
    pub fn create() -> Option<TestDb> {
        let server = server();
        let mut admin = admin()?;
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let name = format!("tracelot_test_{}_{}_{nanos}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
        let url = format!("{base}/{name}");
        Some(TestDb { server, name, url })
    }

    /// The database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = Client::connect(&self.server, NoTls) {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}
