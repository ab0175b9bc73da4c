//! tracelot on PostgreSQL, end to end with the real binary: the same verbs
//! and results as on SQLite, three `serve` processes sharing one database
//! under concurrent clients, and `migrate-store` in both directions.
//! Each test makes its own database on the server `TRACELOT_TEST_POSTGRES`
//! names; without a server they say so loudly and check nothing (CI sets
//! `TRACELOT_REQUIRE_POSTGRES`, which makes that a failure).

mod support;

use std::path::PathBuf;
use std::sync::{Arc, Barrier};

use serde_json::{Value, json};
use support::{Server, tracelot, tracelot_ok};
use tracelot_store_postgres::testing::TestDb;

/// A fresh PostgreSQL database, as the binary's `--db` takes it.
fn pg() -> Option<(TestDb, PathBuf)> {
    let db = TestDb::create()?;
    let url = PathBuf::from(db.url());
    Some((db, url))
}

#[test]
fn the_cli_behaves_on_postgresql_as_on_sqlite() {
    let Some((_db, pg)) = pg() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("same.db");
    let script: &[&[&str]] = &[
        &["init"],
        &["location", "add", "WH/A", "--kind", "internal"],
        &["partner", "add", "ACME", "--kind", "customer"],
        &["item", "add", "PHONE", "--name", "Phone", "--tracking", "serial"],
        &["item", "add", "SAUCE", "--name", "Sauce", "--tracking", "lot", "--uom", "kg", "--scale", "3"],
        &["receive", "PHONE", "--to", "WH/A", "--serial", "P1", "--serial", "P2"],
        &["receive", "SAUCE", "--to", "WH/A", "--lot", "L1", "--qty", "12.5", "--expires-on", "2031-01-31"],
        &["ship", "SAUCE", "--from", "WH/A", "--to", "ACME", "--lot", "L1", "--qty", "2.25"],
        &["ship", "PHONE", "--from", "WH/A", "--to", "ACME", "--serial", "P1"],
        &["item", "add", "KETCHUP", "--tracking", "lot", "--shelf-life-days", "365"],
        &["produce", "--at", "WH/A", "--consume", "SAUCE:L1:4", "--output", "KETCHUP:K1:8", "--ref", "WO-1"],
        &["ship", "KETCHUP", "--from", "WH/A", "--to", "ACME", "--lot", "K1", "--qty", "3"],
        &["item", "add", "BATTERY", "--tracking", "lot_serial"],
        &["receive", "BATTERY", "--to", "WH/A", "--lot", "CELLS-7", "--serial", "B1", "--serial", "B2"],
        &["assemble", "PHONE", "P2", "--install", "BATTERY#B1", "--from", "WH/A", "--ref", "WO-2"],
        &["lot", "set-status", "SAUCE", "L1", "on_hold", "--reason", "lab check"],
        &["recall", "SAUCE", "L1", "--reason", "supplier alert"],
    ];
    for args in script {
        let a = tracelot_ok(&pg, args);
        let b = tracelot_ok(&file, args);
        if args[0] == "init" {
            assert_eq!(a["locations"], b["locations"]);
        } else {
            assert_eq!((a.get("kind"), a.get("movements")), (b.get("kind"), b.get("movements")), "{args:?}");
        }
    }
    // The two ledgers were written at different instants with different ids.
    let same = |args: &[&str]| {
        let (a, b) = (timeless(tracelot_ok(&pg, args)), timeless(tracelot_ok(&file, args)));
        assert_eq!(a, b, "{args:?} differs between PostgreSQL and SQLite");
    };
    same(&["stock"]);
    same(&["stock", "--all"]);
    same(&["where", "PHONE", "P1"]);
    same(&["lot", "show", "SAUCE", "L1"]);
    same(&["item", "list"]);
    same(&["location", "list"]);
    same(&["expiring", "--days", "36500"]);
    same(&["history", "SAUCE", "--lot", "L1"]);
    same(&["trace", "forward", "SAUCE", "--lot", "L1"]);
    same(&["trace", "backward", "PHONE", "--serial", "P2"]);
    same(&["assembly", "BATTERY", "B1"]);
    same(&["recall", "SAUCE", "L1", "--report-only"]);
    same(&["lot", "show", "KETCHUP", "K1"]);
    // Refusals: the same rule, exit code 1, and the ledger unchanged.
    for (args, code) in [
        (&["ship", "SAUCE", "--from", "WH/A", "--to", "ACME", "--lot", "L1", "--qty", "1"][..], "lot_recalled"),
        (
            &["transfer", "SAUCE", "--from", "WH/A", "--to", "QUARANTINE", "--lot", "L1", "--qty", "99"][..],
            "insufficient_stock",
        ),
        (&["ship", "PHONE", "--from", "WH/A", "--to", "ACME", "--serial", "P1"][..], "serial_not_there"),
        (&["receive", "PHONE", "--to", "WH/A", "--serial", "P2"][..], "serial_exists"),
    ] {
        let before = tracelot_ok(&pg, &["verify"])["transactions"].clone();
        let out = tracelot(&pg, args);
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        assert_eq!((out.status.code(), doc["code"].as_str()), (Some(1), Some(code)), "{args:?}: {doc}");
        assert_eq!(tracelot_ok(&pg, &["verify"])["transactions"], before, "{args:?} changed the ledger");
    }
    let verified = tracelot_ok(&pg, &["verify"]);
    assert_eq!(verified["problems"], json!([]), "{verified}");
    // The environment selects the backend as --db does.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tracelot"))
        .args(["--json", "verify"])
        .env("TRACELOT_DATABASE_URL", &pg)
        .current_dir(dir.path())
        .output()
        .expect("run tracelot");
    let by_env: Value = serde_json::from_slice(&out.stdout).expect("verify JSON");
    assert_eq!(by_env["head"], verified["head"], "{by_env}");
    assert!(!dir.path().join("tracelot.db").exists(), "no SQLite file was made instead");
}

/// A document without the instants and ids that differ between two ledgers
/// given the same commands.
fn timeless(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(k, _)| !["since", "occurred_at", "recorded_at", "tx_id"].contains(&k.as_str()))
                .map(|(k, v)| (k, timeless(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(timeless).collect()),
        other => other,
    }
}

/// The unit's balance rows with a positive quantity.
fn held(s: &Server, serial: &str) -> usize {
    let (_, stock) = s.get(&Server::client(), &format!("/api/v1/stock?serial={serial}&include_virtual=true"), "viewer");
    stock["items"].as_array().expect("rows").iter().filter(|r| r["units"].as_i64() > Some(0)).count()
}

#[test]
fn three_servers_on_one_database_keep_the_invariants() {
    let Some((_db, pg)) = pg() else { return };
    let first = Server::start_on(tempfile::tempdir().expect("tempdir"), pg, &[]);
    first.standard();
    let servers = Arc::new(vec![first.another(), first.another(), first]);
    let s = &servers[0];
    let c = Server::client();
    for serial in ["RACE-1", "RACE-2"] {
        let body = json!({"from": "S1", "to": "WH/A", "lines": [{"sku": "PHONE", "units": {"serials": [serial]}}]});
        assert_eq!(s.post(&c, "/api/v1/receipts", "operator", &body).0, 201);
    }
    let body =
        json!({"from": "S1", "to": "WH/A", "lines": [{"sku": "SAUCE", "lot": "L1", "units": {"quantity": "100"}}]});
    assert_eq!(servers[1].post(&c, "/api/v1/receipts", "operator", &body).0, 201);

    // 60 clients, 20 on each server: all race for the same two serials and
    // the same 100 kg, then post receipts, retrying each on another server.
    const CLIENTS: usize = 60;
    let barrier = Arc::new(Barrier::new(CLIENTS));
    let handles: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let (servers, barrier) = (servers.clone(), barrier.clone());
            std::thread::spawn(move || {
                let (s, other) = (&servers[i % 3], &servers[(i + 1) % 3]);
                let c = Server::client();
                let _ = s.get(&c, "/api/v1/auth/me", "operator");
                barrier.wait();
                let serial = json!({"from": "WH/A", "to": "C1",
                    "lines": [{"sku": "PHONE", "units": {"serials": [format!("RACE-{}", 1 + i % 2)]}}]});
                let sauce = json!({"from": "WH/A", "to": "C1",
                    "lines": [{"sku": "SAUCE", "lot": "L1", "units": {"quantity": "7"}}]});
                let shipped = (
                    s.post(&c, "/api/v1/shipments", "operator", &serial),
                    s.post(&c, "/api/v1/shipments", "operator", &sauce),
                );
                let mut receipts = Vec::new();
                for k in 0..5 {
                    let id = format!("0193{i:04x}-0000-7000-8000-{k:012x}");
                    let body = json!({"id": id, "to": "WH/B",
                        "lines": [{"sku": "SAUCE", "lot": "L2", "units": {"quantity": "1"}}]});
                    let posted = s.post(&c, "/api/v1/receipts", "operator", &body);
                    let retried = other.post(&Server::client(), "/api/v1/receipts", "operator", &body);
                    receipts.push((posted, retried));
                }
                (shipped, receipts)
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().expect("client")).collect();
    for (serial, winners) in [("RACE-1", 1), ("RACE-2", 1)] {
        let won = results.iter().enumerate().filter(|(i, r)| format!("RACE-{}", 1 + i % 2) == serial && r.0.0.0 == 201);
        assert_eq!(won.count(), winners, "exactly one client ships {serial}");
        assert_eq!(held(s, serial), 1, "{serial} is in exactly one place");
    }
    let losers: Vec<&Value> = results.iter().filter(|r| r.0.0.0 != 201).map(|r| &r.0.0.1).collect();
    assert!(losers.iter().all(|d| d["code"] == "serial_not_there"), "{losers:?}");
    let sauce_shipped = results.iter().filter(|r| r.0.1.0 == 201).count();
    assert_eq!(sauce_shipped, 14, "100 kg cover 14 shipments of 7 kg and no more");
    assert!(results.iter().filter(|r| r.0.1.0 != 201).all(|r| r.0.1.1["code"] == "insufficient_stock"));
    for (posted, retried) in results.iter().flat_map(|r| &r.1) {
        assert_eq!(posted.0, 201, "{}", posted.1);
        assert_eq!(posted, retried, "a retry on another server replays the first result");
    }
    let (_, l2) = servers[2].get(&c, "/api/v1/stock?sku=SAUCE&lot=L2", "viewer");
    assert_eq!(l2["items"][0]["units"], json!(CLIENTS * 5 * 1000), "{l2}");
    let (_, l1) = servers[1].get(&c, "/api/v1/stock?sku=SAUCE&lot=L1", "viewer");
    assert_eq!(l1["items"][0]["units"], json!(2000), "{l1}");
    let verified = s.verify_ok();
    assert_eq!(verified["transactions"], json!(8 + 6 + 3 + 2 + 14 + CLIENTS * 5), "{verified}");
}

#[test]
fn migrate_store_copies_an_installation_to_postgresql_and_back() {
    let Some((_db, pg)) = pg() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let source = dir.path().join("demo.db");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tracelot"))
        .args(["demo", "--out", source.to_str().expect("utf-8"), "--json"])
        .output()
        .expect("demo");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    tracelot_ok(&source, &["user", "add", "ops", "--role", "operator"]);
    let token = tracelot_ok(&source, &["token", "create", "ops", "--label", "scanner"]);
    let token = token["token"].as_str().expect("token").to_owned();
    let back = dir.path().join("back.db");
    let migrate = |from: &PathBuf, to: &PathBuf| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_tracelot"))
            .args([
                "migrate-store",
                "--json",
                "--from",
                from.to_str().expect("utf-8"),
                "--to",
                to.to_str().expect("utf-8"),
            ])
            .output()
            .expect("migrate-store");
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        assert!(out.status.success(), "{doc} {}", String::from_utf8_lossy(&out.stderr));
        doc
    };
    let there = migrate(&source, &pg);
    let again = migrate(&pg, &back);
    let head = tracelot_ok(&source, &["verify"])["head"].clone();
    for doc in [&there, &again] {
        assert_eq!(doc["target_head"], head, "the same hash chain: {doc}");
        assert_eq!(doc["verify"]["problems"], json!([]), "{doc}");
        assert_eq!(doc["copied"]["accounts"], json!(1));
        assert_eq!(doc["copied"]["tokens"], json!(1));
    }
    assert!(there["copied"]["transactions"].as_u64() > Some(20), "{there}");
    for args in [
        &["stock", "--all"][..],
        &["history", "KETCHUP-500"][..],
        &["lot", "show", "KETCHUP-500", "K2611A"][..],
        &["user", "list"][..],
        &["trace", "forward", "KETCHUP-500", "--lot", "K2611A"][..],
    ] {
        let original = tracelot_ok(&source, args);
        assert_eq!(tracelot_ok(&pg, args), original, "{args:?} on PostgreSQL");
        assert_eq!(tracelot_ok(&back, args), original, "{args:?} after the round trip");
    }
    // The copied token works against a server on the copy.
    let mut server = Server::start_on(tempfile::tempdir().expect("tempdir"), pg.clone(), &[]);
    let (status, me) = support::status_json(
        Server::client().get(server.url("/api/v1/auth/me")).bearer_auth(&token).send().expect("send"),
    );
    assert_eq!((status, me["account"].as_str()), (200, Some("ops")), "{me}");
    assert!(server.stop());
    // A target that holds a ledger is refused, and left as it was.
    let out = tracelot(
        &back,
        &["migrate-store", "--from", source.to_str().expect("utf-8"), "--to", back.to_str().expect("utf-8")],
    );
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(tracelot_ok(&back, &["verify"])["head"], head);
}

/// The README's backup: `pg_dump` while the ledger is in use, `pg_restore`
/// into an empty database, and `verify` there ends with the same chain head.
#[test]
fn a_pg_dump_restores_into_a_ledger_that_verifies_with_the_same_head() {
    let Some((source_db, source)) = pg() else { return };
    let Some((_target_db, target)) = pg() else { return };
    tracelot_ok(&source, &["init"]);
    tracelot_ok(&source, &["location", "add", "WH"]);
    tracelot_ok(&source, &["partner", "add", "ACME", "--kind", "customer"]);
    tracelot_ok(&source, &["item", "add", "PHONE", "--tracking", "serial"]);
    tracelot_ok(&source, &["receive", "PHONE", "--to", "WH", "--serial", "P01..P50"]);
    let head = tracelot_ok(&source, &["verify"])["head"].clone();
    let dir = tempfile::tempdir().expect("tempdir");
    let dump = dir.path().join("ledger.dump");
    let run = |program: &str, args: &[&str]| match std::process::Command::new(program).args(args).output() {
        Ok(out) => {
            assert!(out.status.success(), "{program}: {}", String::from_utf8_lossy(&out.stderr));
            true
        }
        Err(e) if std::env::var_os(tracelot_store_postgres::testing::REQUIRE_ENV).is_none() => {
            eprintln!("{program} is not installed ({e}); the backup test did not run");
            false
        }
        Err(e) => panic!("{program}: {e}"),
    };
    if !run("pg_dump", &["-Fc", "-f", dump.to_str().expect("utf-8"), "-d", source_db.url()]) {
        return;
    }
    assert!(run("pg_restore", &["--no-owner", "-d", target.to_str().expect("utf-8"), dump.to_str().expect("utf-8")]));
    let restored = tracelot_ok(&target, &["verify"]);
    assert_eq!((&restored["head"], &restored["problems"]), (&head, &json!([])), "{restored}");
    assert_eq!(tracelot_ok(&target, &["stock"]), tracelot_ok(&source, &["stock"]));
    // The restored ledger takes new work.
    tracelot_ok(&target, &["ship", "PHONE", "--from", "WH", "--to", "ACME", "--serial", "P07"]);
    assert_eq!(tracelot_ok(&target, &["where", "PHONE", "P07"])["location"], "CUSTOMERS/ACME");
}
