//! A ledger cut short is still a valid chain, so `verify` alone cannot
//! see it. A head kept outside the database can: `verify --expect-head`
//! and `verify --checkpoints` name the head the ledger no longer holds, on
//! both backends, and a checkpoint that was edited or signed by another
//! key is refused.

mod support;

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use support::{tracelot, tracelot_ok};
use tracelot_store_postgres::testing::TestDb;

/// A small ledger whose last transaction defines a location and moves nothing.
fn ledger(db: &Path) {
    tracelot_ok(db, &["init"]);
    tracelot_ok(db, &["item", "add", "SALT", "--tracking", "lot"]);
    tracelot_ok(db, &["location", "add", "MAIN/A"]);
    tracelot_ok(db, &["receive", "SALT", "--to", "MAIN/A", "--qty", "5", "--lot", "L1", "--expires-on", "2031-01-31"]);
    tracelot_ok(db, &["location", "add", "MAIN/B"]);
}

/// What someone with write access to the file does first.
fn drop_triggers(c: &rusqlite::Connection) {
    let triggers: Vec<String> = c
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("triggers");
    for t in triggers {
        c.execute_batch(&format!("DROP TRIGGER {t}")).expect("drop trigger");
    }
}

fn refused(db: &Path, args: &[&str]) -> Value {
    let out = tracelot(db, args);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {doc} {}", String::from_utf8_lossy(&out.stderr));
    doc
}

/// Signs the head, cuts the last transaction off with `cut`, and checks
/// that only the kept heads reveal it.
fn a_cut_tail_is_caught(db: &Path, dir: &Path, cut: impl FnOnce()) {
    ledger(db);
    let key = dir.join("checkpoint.key");
    let checkpoints = dir.join("checkpoints");
    let (key_arg, out_arg) = (key.to_str().expect("utf-8"), checkpoints.to_str().expect("utf-8"));
    let signed = tracelot_ok(db, &["checkpoint", "--key", key_arg, "--new-key", "--out", out_arg]);
    let head = format!("{}:{}", signed["seq"], signed["hash"].as_str().expect("hash"));
    let public = tracelot_ok(db, &["checkpoint", "--key", key_arg])["public_key"].as_str().expect("key").to_owned();
    tracelot_ok(db, &["verify", "--expect-head", &head, "--checkpoints", out_arg, "--trusted-key", &public]);

    cut();
    let plain = tracelot_ok(db, &["verify"]);
    let seq = signed["seq"].as_i64().expect("seq");
    assert_eq!(plain["transactions"], seq - 1, "the shorter chain is valid by itself: {plain}");
    let doc = refused(db, &["verify", "--expect-head", &head]);
    assert!(doc["problems"][0].as_str().expect("problem").contains("cut off"), "{doc}");
    let doc = refused(db, &["verify", "--checkpoints", out_arg, "--trusted-key", &public]);
    assert!(doc["problems"][0].as_str().expect("problem").contains(&format!("head #{}", signed["seq"])), "{doc}");

    // A checkpoint moved to the shorter head no longer matches its signature,
    // and one signed by another key is not trusted.
    let file = checkpoints.join(format!("checkpoint-{seq:012}.json"));
    let text = std::fs::read_to_string(&file).expect("checkpoint file");
    let moved = text.replace(&format!("\"seq\": {seq}"), &format!("\"seq\": {}", seq - 1));
    assert_ne!(moved, text);
    std::fs::write(&file, moved).expect("edit");
    let doc = refused(db, &["verify", "--checkpoints", out_arg, "--trusted-key", &public]);
    assert!(doc.to_string().contains("signature does not match"), "{doc}");
    let stranger = "ab".repeat(32);
    let doc = refused(db, &["verify", "--checkpoints", out_arg, "--trusted-key", &stranger]);
    assert!(doc.to_string().contains("not the trusted key"), "{doc}");
}

#[test]
fn a_cut_tail_is_caught_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("t.db");
    let file = db.clone();
    a_cut_tail_is_caught(&db, dir.path(), move || {
        let c = rusqlite::Connection::open(&file).expect("open");
        drop_triggers(&c);
        c.execute_batch(
            "DELETE FROM locations WHERE path = 'MAIN/B';
             DELETE FROM transactions WHERE seq = (SELECT max(seq) FROM transactions);",
        )
        .expect("cut the tail");
    });
}

#[test]
fn a_cut_tail_is_caught_on_postgresql() {
    let Some(pg) = TestDb::create() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let url = pg.url().to_owned();
    a_cut_tail_is_caught(Path::new(&url), dir.path(), || {
        let sql = "ALTER TABLE transactions DISABLE TRIGGER USER; ALTER TABLE locations DISABLE TRIGGER USER;
                   DELETE FROM locations WHERE path = 'MAIN/B';
                   DELETE FROM transactions WHERE seq = (SELECT max(seq) FROM transactions);";
        let out = Command::new("psql").args([url.as_str(), "-v", "ON_ERROR_STOP=1", "-c", sql]).output().expect("psql");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    });
}

/// A collector on 127.0.0.1:0 that refuses the first checkpoint posted to
/// it (so the server must try again) and hands on the body of every later
/// one.
fn collector() -> (String, std::sync::mpsc::Receiver<String>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/checkpoints", listener.local_addr().expect("addr"));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().expect("length");
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).expect("body");
            let status = if n == 0 { "503 Service Unavailable" } else { "204 No Content" };
            let _ = write!(stream, "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            if n > 0 && tx.send(String::from_utf8(body).expect("utf-8")).is_err() {
                return;
            }
        }
    });
    (url, rx)
}

/// A server with `[checkpoints]` signs the head as it moves, into a folder
/// and to a collector's URL (again after the collector refused one); the
/// folder then vouches for the ledger, and `verify` checks against it.
#[test]
fn the_server_writes_checkpoints_an_auditor_can_check() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = tracelot_checkpoint::Key::generate().expect("key");
    let key_file = dir.path().join("checkpoint.key");
    std::fs::write(&key_file, key.secret_hex()).expect("key file");
    let (url, posted) = collector();
    let folder = dir.path().join("checkpoints");
    let config = dir.path().join("tracelot.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\n[checkpoints]\ndir = {:?}\nurl = {url:?}\nkey_file = {:?}\nevery_seconds = 1\n",
            folder.display().to_string(),
            key_file.display().to_string()
        ),
    )
    .expect("config");
    let db = dir.path().join("api.db");
    let s = support::Server::start_on(dir, db, &["--config", config.to_str().expect("utf-8")]);
    s.standard();
    let head = |s: &support::Server| tracelot_ok(&s.db, &["verify"])["transactions"].as_i64().expect("seq");
    let want = head(&s);
    let file = folder.join(format!("checkpoint-{want:012}.json"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !file.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(file.exists(), "no checkpoint for head #{want} in {}", folder.display());
    let folder_arg = folder.to_str().expect("utf-8");
    tracelot_ok(&s.db, &["verify", "--checkpoints", folder_arg, "--trusted-key", &key.public_hex()]);
    // The first post was refused: the head arrives only if the server tries again.
    let got = loop {
        let body = posted.recv_timeout(std::time::Duration::from_secs(30)).expect("a checkpoint posted");
        let checkpoint = tracelot_checkpoint::Checkpoint::parse(&body).expect("a checkpoint");
        let head = checkpoint.check(&key.public_hex()).expect("signed by the server's key");
        if head.seq >= want {
            break head.seq;
        }
    };
    assert_eq!(got, want, "the collector got the head the ledger holds");
}

/// `GET /api/v1/verify` replays the chain as the CLI does: a lot's expiry
/// moved in the file is named, and only the replay sees it.
#[test]
fn the_api_verify_replays_the_chain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("api.db");
    ledger(&db);
    let s = support::Server::start_on(dir, db.clone(), &[]);
    let c = support::Server::client();
    let (status, intact) = s.get(&c, "/api/v1/verify", "manager");
    assert_eq!((status, &intact["problems"]), (200, &serde_json::json!([])), "{intact}");
    let file = rusqlite::Connection::open(&db).expect("open");
    drop_triggers(&file);
    file.execute_batch("UPDATE lots SET expires_on = '2099-12-31'").expect("edit");
    drop(file);
    let (_, doc) = s.get(&c, "/api/v1/verify", "manager");
    assert!(doc["problems"].to_string().contains("lot SALT lot L1 is stored as"), "{doc}");
    let (_, chain_only) = s.get(&c, "/api/v1/verify?replay=false", "manager");
    assert_eq!(chain_only["problems"], serde_json::json!([]), "the chain and balances are intact: {chain_only}");
}

/// The independent verifier's verdict (tools/verify-chain.py, Python's
/// standard library only) on a ledger read by `source` arguments.
fn independent(source: &[&str]) -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tools/verify-chain.py");
    let out = Command::new("python3").arg(script).args(source).output().expect("python3");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {} {}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    });
    assert_eq!(out.status.code(), Some(if doc["ok"] == true { 0 } else { 1 }), "{doc}");
    doc
}

/// tracelot's `verify` and the independent verifier reach the same verdict:
/// both accept with the same head and counts, or both refuse.
fn agree(db: &Path, source: &[&str]) -> bool {
    let out = tracelot(db, &["verify"]);
    let ours: Value = serde_json::from_slice(&out.stdout).expect("verify JSON");
    let theirs = independent(source);
    let ok = out.status.success();
    assert_eq!(theirs["ok"], ok, "ours: {ours}\ntheirs: {theirs}");
    if ok {
        assert_eq!((&theirs["head"], &theirs["transactions"]), (&ours["head"], &ours["transactions"]));
    }
    ok
}

fn sqlite_tampered(sql: &str) -> bool {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("t.db");
    ledger(&db);
    let c = rusqlite::Connection::open(&db).expect("open");
    drop_triggers(&c);
    c.execute_batch(&format!("PRAGMA foreign_keys = OFF; {sql}")).expect("tamper");
    drop(c);
    agree(&db, &["--sqlite", db.to_str().expect("utf-8")])
}

#[test]
fn an_independent_verifier_agrees_on_sqlite_ledgers() {
    assert!(sqlite_tampered("SELECT 1"), "an intact ledger verifies");
    for edit in [
        "UPDATE movements SET qty = qty + 1",
        "UPDATE transactions SET request = replace(request, 'L1', 'L2')",
        "UPDATE transactions SET user_name = 'someone else' WHERE seq = 2",
        "DELETE FROM transactions WHERE seq = 2",
        "UPDATE balances SET qty = qty + 1 WHERE qty > 0",
    ] {
        assert!(!sqlite_tampered(edit), "{edit} goes unseen");
    }
    // A richer ledger: overrides, reversals, serials, assemblies, lots of each kind.
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_tracelot"))
        .current_dir(dir.path())
        .args(["demo", "--replace"])
        .output()
        .expect("demo");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let demo = dir.path().join("tracelot-demo.db");
    assert!(agree(&demo, &["--sqlite", demo.to_str().expect("utf-8")]));
}

#[test]
fn an_independent_verifier_agrees_on_postgresql_ledgers() {
    let Some(pg) = TestDb::create() else { return };
    let url = pg.url().to_owned();
    let db = Path::new(&url);
    ledger(db);
    let export = |name: &str| {
        let dir = tempfile::tempdir().expect("tempdir").keep().join(name);
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tools/export-postgres-ledger");
        let out = Command::new(script).args([url.as_str(), dir.to_str().expect("utf-8")]).output().expect("export");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        dir
    };
    let intact = export("intact");
    assert!(agree(db, &["--csv", intact.to_str().expect("utf-8")]));
    let sql = "ALTER TABLE movements DISABLE TRIGGER USER; UPDATE movements SET qty = qty + 1;";
    let out = Command::new("psql").args([url.as_str(), "-v", "ON_ERROR_STOP=1", "-c", sql]).output().expect("psql");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let tampered = export("tampered");
    assert!(!agree(db, &["--csv", tampered.to_str().expect("utf-8")]));
}

/// Edits in place of rows kept beside the ledger: each is refused by the
/// database's triggers, and when the triggers are removed first, `verify`
/// names the row by replaying the chain.
const IN_PLACE: [(&str, &str); 5] = [
    ("UPDATE lots SET expires_on = '2099-12-31'", "lot SALT lot L1 is stored as"),
    (
        "INSERT INTO lot_status_changes (lot_id, tx_seq, status)
           SELECT id, (SELECT min(seq) FROM transactions), 'recalled' FROM lots;
         UPDATE lots SET status = 'recalled';",
        "lot SALT lot L1 is stored as",
    ),
    (
        "INSERT INTO lot_status_changes (lot_id, tx_seq, status)
           SELECT id, (SELECT min(seq) FROM transactions), 'on_hold' FROM lots",
        "no transaction in the chain made it",
    ),
    ("UPDATE items SET name = 'Sea salt'", "item SALT is stored as"),
    ("UPDATE locations SET kind = 'scrap' WHERE path = 'MAIN/B'", "location MAIN/B is stored as"),
];

fn refused_by_the_database(run: impl Fn(&str) -> Result<(), String>, edit: &str) {
    let error = run(edit).expect_err(edit);
    assert!(["cannot", "belongs to", "only with"].iter().any(|w| error.contains(w)), "{edit}: {error}");
}

#[test]
fn edits_in_place_are_refused_and_named_on_sqlite() {
    for (edit, named) in IN_PLACE {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("t.db");
        ledger(&db);
        let run = |sql: &str| {
            let c = rusqlite::Connection::open(&db).map_err(|e| e.to_string())?;
            c.execute_batch(&format!("BEGIN; {sql}; COMMIT;")).map_err(|e| e.to_string())
        };
        refused_by_the_database(run, edit);
        tracelot_ok(&db, &["verify"]);
        let c = rusqlite::Connection::open(&db).expect("open");
        drop_triggers(&c);
        c.execute_batch(&format!("PRAGMA foreign_keys = OFF; {edit}")).expect("edit");
        drop(c);
        let doc = refused(&db, &["verify"]);
        assert!(doc["problems"].to_string().contains(named), "{edit}: {doc}");
        if edit.contains("expires_on") {
            assert!(tracelot(&db, &["verify", "--skip-replay"]).status.success(), "only the replay sees {edit}");
        }
    }
}

#[test]
fn edits_in_place_are_refused_and_named_on_postgresql() {
    for (edit, named) in IN_PLACE {
        let Some(pg) = TestDb::create() else { return };
        let url = pg.url().to_owned();
        let db = Path::new(&url);
        ledger(db);
        let run = |sql: &str| {
            let out = Command::new("psql")
                .args([url.as_str(), "-v", "ON_ERROR_STOP=1", "-c", &format!("BEGIN; {sql}; COMMIT;")])
                .output()
                .map_err(|e| e.to_string())?;
            match out.status.success() {
                true => Ok(()),
                false => Err(String::from_utf8_lossy(&out.stderr).into_owned()),
            }
        };
        refused_by_the_database(run, edit);
        tracelot_ok(db, &["verify"]);
        run(&format!("SET LOCAL session_replication_role = replica; {edit}")).expect("edit without triggers");
        let doc = refused(db, &["verify"]);
        assert!(doc["problems"].to_string().contains(named), "{edit}: {doc}");
    }
}
