//! What only the SQLite backend can show: the database itself refuses to
//! break the ledger's invariants, and `verify` catches rows edited behind
//! tracelot's back.

// A test: a failed expectation is the failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use rusqlite::Connection;
use tracelot_core::command::{Amount, ReceiveLine, ReceiveUnits};
use tracelot_core::item::Tracking;
use tracelot_core::{
    Command, ItemSpec, LocationKind, LocationPath, LotCode, LotDetails, PlaceRef, Request, Serial, Sku, Transaction,
    UserName,
};
use tracelot_store::Store;
use tracelot_store_sqlite::{SqliteOptions, SqliteStore};

struct Setup {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
}

fn post(store: &SqliteStore, cmd: Command) {
    let user = UserName::parse("t").expect("user");
    store.submit(Transaction { request: Request::new(cmd), user }).expect("posted");
}

/// A ledger with 5 units of PLAIN, 3 of LOTTED lot L1 and serial S1 at WH.
fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ledger.db");
    let store = SqliteStore::init(&path, SqliteOptions::default()).expect("init");
    post(
        &store,
        Command::DefineLocation {
            path: LocationPath::parse("WH").expect("path"),
            kind: LocationKind::Internal,
            time_zone: None,
        },
    );
    for (sku, tracking) in [("PLAIN", Tracking::None), ("SER", Tracking::Serial), ("LOTTED", Tracking::Lot)] {
        post(&store, Command::DefineItem(ItemSpec::new(Sku::parse(sku).expect("sku"), sku, tracking)));
    }
    let line = |sku: &str, units| ReceiveLine {
        sku: Sku::parse(sku).expect("sku"),
        lot: None,
        details: LotDetails::default(),
        status: None,
        units,
    };
    let to = PlaceRef::parse("WH").expect("place");
    let lot = ReceiveLine {
        lot: Some(LotCode::parse("L1").expect("lot")),
        ..line("LOTTED", ReceiveUnits::Quantity(Amount::parse("3").expect("amount")))
    };
    post(&store, Command::Receive { from: None, to: to.clone(), lines: vec![lot] });
    post(
        &store,
        Command::Receive {
            from: None,
            to: to.clone(),
            lines: vec![line("PLAIN", ReceiveUnits::Quantity(Amount::parse("5").expect("amount")))],
        },
    );
    let s1 = vec![Serial::parse("S1").expect("serial")];
    post(&store, Command::Receive { from: None, to, lines: vec![line("SER", ReceiveUnits::Serials(s1))] });
    drop(store);
    Setup { _dir: dir, path }
}

fn raw(path: &std::path::Path) -> Connection {
    Connection::open(path).expect("open raw")
}

fn constraint_failure(r: rusqlite::Result<usize>) -> String {
    match r {
        Err(e) => {
            assert_eq!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::ConstraintViolation), "{e}");
            e.to_string()
        }
        Ok(n) => panic!("the database accepted the statement ({n} rows)"),
    }
}

#[test]
fn the_database_refuses_update_and_delete_on_the_ledger() {
    let s = setup();
    let db = raw(&s.path);
    for sql in [
        "UPDATE movements SET qty = qty + 1",
        "DELETE FROM movements",
        "UPDATE transactions SET user_name = 'mallory'",
        "DELETE FROM transactions WHERE seq = (SELECT max(seq) FROM transactions)",
        "UPDATE lot_status_changes SET status = 'released'",
        "DELETE FROM serials",
    ] {
        let msg = constraint_failure(db.execute(sql, []));
        assert!(msg.contains("cannot be"), "{sql}: {msg}");
    }
}

#[test]
fn a_constraint_stops_negative_stock_and_a_second_copy_of_a_serial() {
    let s = setup();
    let db = raw(&s.path);
    // Bypass every application check: write balances directly.
    let negative = "UPDATE balances SET qty = qty - 6 WHERE location_id = (SELECT id FROM locations WHERE path = 'WH')
                    AND item_id = (SELECT id FROM items WHERE sku = 'PLAIN')";
    assert!(constraint_failure(db.execute(negative, [])).contains("internal_not_negative"));
    let second_copy = "INSERT INTO balances (item_id, lot_id, serial_id, location_id, internal, qty)
                       SELECT item_id, lot_id, serial_id, (SELECT id FROM locations WHERE path = 'SCRAP'), 0, 1
                       FROM balances WHERE serial_id <> 0 AND qty = 1";
    assert!(constraint_failure(db.execute(second_copy, [])).contains("serial_id"));
    let doubled = "UPDATE balances SET qty = 2 WHERE serial_id <> 0 AND qty = 1";
    assert!(constraint_failure(db.execute(doubled, [])).contains("serial_at_most_one"));
    let twice = "INSERT INTO serials (item_id, serial, lot_id, created_seq) SELECT item_id, serial, lot_id, created_seq FROM serials";
    assert!(constraint_failure(db.execute(twice, [])).contains("UNIQUE"));
    let store = SqliteStore::open(&s.path, SqliteOptions::default()).expect("open");
    assert!(store.verify().expect("verify").is_ok(), "nothing got through");
}

#[test]
fn verify_names_a_ledger_row_edited_through_the_sqlite_library() {
    let s = setup();
    let store = SqliteStore::open(&s.path, SqliteOptions::default()).expect("open");
    assert!(store.verify().expect("verify").is_ok());
    drop(store);
    let db = raw(&s.path);
    // An attacker with file access drops the guard and edits a movement.
    db.execute_batch(
        "DROP TRIGGER movements_append_only_update;
         UPDATE movements SET qty = 50 WHERE item_id = (SELECT id FROM items WHERE sku = 'PLAIN');",
    )
    .expect("tamper");
    let tampered_seq: i64 =
        db.query_row("SELECT tx_seq FROM movements WHERE qty = 50", [], |r| r.get(0)).expect("tampered row");
    drop(db);
    let store = SqliteStore::open(&s.path, SqliteOptions::default()).expect("open");
    let report = store.verify().expect("verify");
    assert!(!report.is_ok());
    let first = &report.problems[0];
    assert!(first.starts_with(&format!("transaction #{tampered_seq} ")), "names the row: {first}");
    assert!(first.contains("hash mismatch"), "{first}");
    assert!(
        report.problems.iter().any(|p| p.contains("balance of PLAIN at WH is 5 but the ledger says 50")),
        "{:?}",
        report.problems
    );
}

#[test]
fn verify_catches_an_edited_balance() {
    let s = setup();
    let db = raw(&s.path);
    db.execute("UPDATE balances SET qty = 4 WHERE qty = 5", []).expect("edit balance");
    drop(db);
    let store = SqliteStore::open(&s.path, SqliteOptions::default()).expect("open");
    let report = store.verify().expect("verify");
    assert_eq!(
        report.problems.first().map(String::as_str),
        Some("balance of PLAIN at WH is 4 but the ledger says 5"),
        "{:?}",
        report.problems
    );
}

#[test]
fn the_database_file_is_in_wal_mode() {
    let s = setup();
    let db = raw(&s.path);
    let mode: String = db.query_row("PRAGMA journal_mode", [], |r| r.get(0)).expect("mode");
    assert_eq!(mode, "wal");
}

#[test]
fn a_foreign_sqlite_file_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("other.db");
    raw(&path).execute_batch("CREATE TABLE t (x)").expect("foreign db");
    let err = SqliteStore::open(&path, SqliteOptions::default()).err().expect("refused");
    assert!(err.to_string().contains("not a tracelot database"), "{err}");
    let missing = SqliteStore::open(&dir.path().join("missing.db"), SqliteOptions::default()).err().expect("refused");
    assert!(missing.to_string().contains("tracelot init"), "{missing}");
}

#[test]
fn a_failure_after_writing_began_refuses_only_its_own_transaction() {
    let s = setup();
    let store = SqliteStore::open(&s.path, SqliteOptions::default()).expect("open");
    // Fault injection: the database aborts any movement of 13 units, after
    // the transaction's own row was written. The rules cannot foresee it.
    raw(&s.path)
        .execute_batch(
            "CREATE TRIGGER injected_fault BEFORE INSERT ON movements WHEN NEW.qty = 13
             BEGIN SELECT RAISE(ABORT, 'injected fault'); END;",
        )
        .expect("inject");
    let receipt = |n: &str| {
        let line = ReceiveLine {
            sku: Sku::parse("PLAIN").expect("sku"),
            lot: None,
            details: LotDetails::default(),
            status: None,
            units: ReceiveUnits::Quantity(Amount::parse(n).expect("amount")),
        };
        let cmd = Command::Receive { from: None, to: PlaceRef::parse("WH").expect("place"), lines: vec![line] };
        Transaction { request: Request::new(cmd), user: UserName::parse("t").expect("user") }
    };
    let before = store.verify().expect("verify").transactions;
    let results = store.submit_batch(vec![receipt("2"), receipt("13"), receipt("3")]);
    assert!(results[0].is_ok() && results[2].is_ok(), "{results:?}");
    assert!(matches!(&results[1], Err(e) if e.to_string().contains("injected fault")), "{results:?}");
    let seqs: Vec<i64> = results.iter().filter_map(|r| r.as_ref().ok()).map(|p| p.seq).collect();
    assert_eq!(seqs, [before as i64 + 1, before as i64 + 2], "the refused transaction left no gap in the chain");
    let report = store.verify().expect("verify");
    assert!(report.is_ok(), "{:?}", report.problems);
    assert_eq!(report.transactions, before + 2);
    let on_hand: i64 = store
        .stock(&tracelot_store::StockQuery { sku: Some(Sku::parse("PLAIN").expect("sku")), ..Default::default() })
        .expect("stock")
        .iter()
        .map(|r| r.units)
        .sum();
    assert_eq!(on_hand, 5 + 2 + 3);
}

#[test]
fn two_writers_on_one_file_keep_one_chain() {
    let s = setup();
    // Two stores are two writer threads with their own connections, as two
    // processes would be; SQLite's write lock serialises their batches.
    let stores: Vec<std::sync::Arc<SqliteStore>> = (0..2)
        .map(|_| std::sync::Arc::new(SqliteStore::open(&s.path, SqliteOptions::default()).expect("open")))
        .collect();
    let before = stores[0].verify().expect("verify").transactions;
    let handles: Vec<_> = stores
        .iter()
        .map(|store| {
            let store = store.clone();
            std::thread::spawn(move || {
                for _ in 0..40 {
                    let line = ReceiveLine {
                        sku: Sku::parse("PLAIN").expect("sku"),
                        lot: None,
                        details: LotDetails::default(),
                        status: None,
                        units: ReceiveUnits::Quantity(Amount::parse("1").expect("amount")),
                    };
                    let cmd =
                        Command::Receive { from: None, to: PlaceRef::parse("WH").expect("place"), lines: vec![line] };
                    let tx = Transaction { request: Request::new(cmd), user: UserName::parse("t").expect("user") };
                    store.submit(tx).expect("posted");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("writer thread");
    }
    let report = stores[1].verify().expect("verify");
    assert!(report.is_ok(), "{:?}", report.problems);
    assert_eq!(report.transactions, before + 80);
}
