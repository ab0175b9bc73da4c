//! What only the PostgreSQL backend can show: the database itself refuses
//! to break the ledger's invariants whoever writes, several writers (as
//! several processes are) keep one hash chain and never oversell, and
//! `verify` catches rows edited behind tracelot's back.

// A test: a failed expectation is the failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use std::sync::{Arc, Barrier};

use postgres::{Client, NoTls};
use tracelot_core::command::{Amount, Line, ReceiveUnits, Units};
use tracelot_core::item::Tracking;
use tracelot_core::{
    Command, ItemSpec, LocationKind, LocationPath, LotCode, PlaceRef, Request, Rule, Serial, Sku, Transaction, UserName,
};
use tracelot_store::{StockQuery, Store, SubmitError};
use tracelot_store_postgres::testing::TestDb;
use tracelot_store_postgres::{PgOptions, PgStore};

fn tx(cmd: Command) -> Transaction {
    Transaction { request: Request::new(cmd), user: UserName::parse("t").expect("user") }
}

fn post(store: &PgStore, cmd: Command) {
    store.submit(tx(cmd)).expect("posted");
}

fn receive(sku: &str, lot: Option<&str>, units: ReceiveUnits) -> Command {
    common::receive_at("WH", sku, lot, units)
}

fn qty(n: &str) -> ReceiveUnits {
    ReceiveUnits::Quantity(Amount::parse(n).expect("amount"))
}

/// A ledger with 5 units of PLAIN, 3 of LOTTED lot L1 and serial S1 at WH;
/// `None` when no PostgreSQL server answers (the suite says so loudly).
fn setup() -> Option<TestDb> {
    let db = TestDb::create()?;
    let store = PgStore::init(db.url(), PgOptions::default()).expect("init");
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
    post(&store, receive("LOTTED", Some("L1"), qty("3")));
    post(&store, receive("PLAIN", None, qty("5")));
    post(&store, receive("SER", None, ReceiveUnits::Serials(vec![Serial::parse("S1").expect("serial")])));
    Some(db)
}

fn raw(db: &TestDb) -> Client {
    Client::connect(db.url(), NoTls).expect("connect")
}

/// The SQLSTATE and message of a refused statement.
fn refused(r: Result<u64, postgres::Error>) -> (String, String) {
    match r {
        Err(e) => {
            let d = e.as_db_error().expect("a database error");
            (d.code().code().to_owned(), format!("{} {}", d.message(), d.constraint().unwrap_or("")))
        }
        Ok(n) => panic!("the database accepted the statement ({n} rows)"),
    }
}

#[test]
fn the_database_refuses_update_delete_and_truncate_on_the_ledger() {
    let Some(db) = setup() else { return };
    let mut c = raw(&db);
    for sql in [
        "UPDATE movements SET qty = qty + 1",
        "DELETE FROM movements",
        "UPDATE transactions SET user_name = 'mallory'",
        "DELETE FROM transactions WHERE seq = (SELECT max(seq) FROM transactions)",
        "UPDATE lot_status_changes SET status = 'released'",
        "DELETE FROM serials",
        "TRUNCATE movements",
        "TRUNCATE transactions CASCADE",
    ] {
        let (code, msg) = refused(c.execute(sql, &[]));
        assert_eq!(code, "23001", "{sql}: {msg}");
        assert!(msg.contains("cannot be"), "{sql}: {msg}");
    }
}

#[test]
fn constraints_stop_negative_stock_a_second_copy_of_a_serial_and_a_reused_id() {
    let Some(db) = setup() else { return };
    let mut c = raw(&db);
    // Bypass every application check: write balances directly.
    let negative = "UPDATE balances SET qty = qty - 6 WHERE location_id = (SELECT id FROM locations WHERE path = 'WH')
                    AND item_id = (SELECT id FROM items WHERE sku = 'PLAIN')";
    assert!(refused(c.execute(negative, &[])).1.contains("internal_not_negative"));
    let second_copy = "INSERT INTO balances (item_id, lot_id, serial_id, location_id, internal, qty)
                       SELECT item_id, lot_id, serial_id, (SELECT id FROM locations WHERE path = 'SCRAP'), false, 1
                       FROM balances WHERE serial_id <> 0 AND qty = 1";
    assert!(refused(c.execute(second_copy, &[])).1.contains("serial_in_one_place"));
    let doubled = "UPDATE balances SET qty = 2 WHERE serial_id <> 0 AND qty = 1";
    assert!(refused(c.execute(doubled, &[])).1.contains("serial_at_most_one"));
    let twice = "INSERT INTO serials (id, item_id, serial, lot_id, created_seq)
                 SELECT id + 1000, item_id, serial, lot_id, created_seq FROM serials";
    assert!(refused(c.execute(twice, &[])).1.contains("serials_item_id_serial_key"));
    let reused = "INSERT INTO transactions (seq, id, kind, request, occurred_at, recorded_at, user_name, movement_count, hash)
                  SELECT seq + 1000, id, kind, request, occurred_at, recorded_at, user_name, 0, hash FROM transactions LIMIT 1";
    assert!(refused(c.execute(reused, &[])).1.contains("transactions_id_key"));
    let store = PgStore::open(db.url(), PgOptions::default()).expect("open");
    assert!(store.verify().expect("verify").is_ok(), "nothing got through");
}

#[test]
fn verify_names_a_ledger_row_edited_behind_tracelots_back() {
    let Some(db) = setup() else { return };
    let mut c = raw(&db);
    c.batch_execute(
        "ALTER TABLE movements DISABLE TRIGGER movements_append_only;
         UPDATE movements SET qty = 50 WHERE item_id = (SELECT id FROM items WHERE sku = 'PLAIN');",
    )
    .expect("tamper");
    let tampered: i64 = c.query_one("SELECT tx_seq FROM movements WHERE qty = 50", &[]).expect("row").get(0);
    c.execute("UPDATE balances SET qty = 4 WHERE qty = 5", &[]).expect("edit balance");
    let store = PgStore::open(db.url(), PgOptions::default()).expect("open");
    let report = store.verify().expect("verify");
    let first = &report.problems[0];
    assert!(first.starts_with(&format!("transaction #{tampered} ")), "names the row: {first}");
    assert!(first.contains("hash mismatch"), "{first}");
    assert!(
        report.problems.iter().any(|p| p.contains("balance of PLAIN at WH is 4 but the ledger says 50")),
        "{:?}",
        report.problems
    );
}

#[test]
fn a_database_that_is_not_tracelots_is_refused() {
    let Some(db) = TestDb::create() else { return };
    let missing = PgStore::open(db.url(), PgOptions::default()).err().expect("refused");
    assert!(missing.to_string().contains("tracelot init"), "{missing}");
    raw(&db).batch_execute("CREATE TABLE t (x int)").expect("foreign table");
    let err = PgStore::init(db.url(), PgOptions::default()).err().expect("refused");
    assert!(err.to_string().contains("no tracelot schema"), "{err}");
}

#[test]
fn a_failure_after_writing_began_refuses_only_its_own_transaction() {
    let Some(db) = setup() else { return };
    let store = PgStore::open(db.url(), PgOptions::default()).expect("open");
    // Fault injection: the database aborts any movement of 13 units. The
    // rules cannot foresee it, and it strikes in the batch's set-based write.
    raw(&db)
        .batch_execute(
            "CREATE FUNCTION injected_fault() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN IF NEW.qty = 13 THEN RAISE EXCEPTION 'injected fault' USING ERRCODE = 'check_violation'; END IF;
             RETURN NEW; END $$;
             CREATE TRIGGER injected_fault BEFORE INSERT ON movements FOR EACH ROW EXECUTE FUNCTION injected_fault();",
        )
        .expect("inject");
    let before = store.verify().expect("verify").transactions;
    let results = store.submit_batch(vec![
        tx(receive("PLAIN", None, qty("2"))),
        tx(receive("PLAIN", None, qty("13"))),
        tx(receive("PLAIN", None, qty("3"))),
    ]);
    assert!(results[0].is_ok() && results[2].is_ok(), "{results:?}");
    assert!(matches!(&results[1], Err(e) if e.to_string().contains("injected fault")), "{results:?}");
    let seqs: Vec<i64> = results.iter().filter_map(|r| r.as_ref().ok()).map(|p| p.seq).collect();
    assert_eq!(seqs, [before as i64 + 1, before as i64 + 2], "the refused transaction left no gap in the chain");
    let report = store.verify().expect("verify");
    assert!(report.is_ok(), "{:?}", report.problems);
    let q = StockQuery { sku: Some(Sku::parse("PLAIN").expect("sku")), ..Default::default() };
    assert_eq!(store.stock(&q).expect("stock").iter().map(|r| r.units).sum::<i64>(), 5 + 2 + 3);
}

/// Several stores on one database are several writers with their own
/// connections and caches, as several processes are: they race to ship
/// the same serial and to overdraw the same lot, and post receipts between.
#[test]
fn writers_in_several_processes_keep_one_chain_one_winner_and_no_negative_stock() {
    let Some(db) = setup() else { return };
    const WRITERS: usize = 4;
    let stores: Vec<Arc<PgStore>> =
        (0..WRITERS).map(|_| Arc::new(PgStore::open(db.url(), PgOptions::default()).expect("open"))).collect();
    let before = stores[0].verify().expect("verify").transactions;
    let ship = |sku: &str, lot: Option<&str>, units: Units| {
        tx(Command::Ship {
            from: PlaceRef::parse("WH").expect("place"),
            to: PlaceRef::parse("CUSTOMERS").expect("place"),
            lines: vec![Line {
                sku: Sku::parse(sku).expect("sku"),
                lot: lot.map(|l| LotCode::parse(l).expect("lot")),
                units,
            }],
            allow_expired: false,
            allow_short_shelf_life: false,
        })
    };
    let barrier = Arc::new(Barrier::new(WRITERS));
    let handles: Vec<_> = stores
        .iter()
        .map(|store| {
            let (store, barrier) = (store.clone(), barrier.clone());
            let serial = ship("SER", None, Units::Serials(vec![Serial::parse("S1").expect("serial")]));
            let lot = ship("LOTTED", Some("L1"), Units::Quantity(Amount::parse("2").expect("amount")));
            std::thread::spawn(move || {
                barrier.wait();
                let mut results = store.submit_batch(vec![serial, lot]);
                for _ in 0..25 {
                    results.extend(store.submit_batch(vec![tx(receive("PLAIN", None, qty("1")))]));
                }
                results
            })
        })
        .collect();
    let results: Vec<Vec<Result<tracelot_store::Posted, SubmitError>>> =
        handles.into_iter().map(|h| h.join().expect("writer thread")).collect();
    let won = |i: usize| results.iter().filter(|r| r[i].is_ok()).count();
    assert_eq!(won(0), 1, "exactly one writer ships serial S1: {results:?}");
    assert_eq!(won(1), 1, "3 units of L1 cover one shipment of 2, not two");
    for r in &results {
        for lost in r.iter().take(2).filter_map(|r| r.as_ref().err()) {
            let rule = match lost {
                SubmitError::Refused(d) => d.rule,
                other => panic!("a loser is refused by a rule, not a failure: {other}"),
            };
            assert!(matches!(rule, Rule::InsufficientStock | Rule::SerialNotThere), "{lost}");
        }
        assert!(r.iter().skip(2).all(Result::is_ok), "every receipt is posted");
    }
    let report = stores[WRITERS - 1].verify().expect("verify");
    assert!(report.is_ok(), "{:?}", report.problems);
    assert_eq!(report.transactions, before + 2 + WRITERS as u64 * 25);
}
