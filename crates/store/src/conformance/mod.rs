//! The conformance suite: every backend runs these against a fresh,
//! initialised store per test, through [`crate::conformance_tests!`].

// Test support, run by the backends' tests: a failed expectation is the failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod leaks;
mod model;

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::{Arc, Barrier};

use jiff::{SignedDuration, Timestamp};
use tracelot_core::command::{Amount, Counted, Direction, Line, ReceiveLine, ReceiveUnits, Units};
use tracelot_core::item::Tracking;
use tracelot_core::{
    Command, ItemSpec, LocationKind, LocationPath, LotCode, LotDetails, LotStatus, PartnerCode, PlaceRef, Request,
    Rule, Serial, Sku, Transaction, TxId, UserName,
};

use crate::{
    ExpiringQuery, ExpiringRow, HistoryKey, HistoryQuery, Posted, StockKey, StockQuery, StockRow, Store, SubmitError,
    Window,
};
use tracelot_gs1::Gtin;

pub use leaks::held_stock_never_leaks;
pub use model::model_based_ledger;

/// A fresh store and whatever must live as long as it (a temporary
/// directory, a database to drop).
pub struct Fresh {
    /// The store under test.
    pub store: Arc<dyn Store>,
    _guard: Box<dyn Any + Send>,
}

impl Fresh {
    /// Wraps a store and its guard.
    pub fn new(store: Arc<dyn Store>, guard: Box<dyn Any + Send>) -> Self {
        Fresh { store, _guard: guard }
    }
}

/// Makes a fresh, initialised store.
pub type Factory = dyn Fn() -> Fresh;

/// Expands to one `#[test]` per conformance case, each calling `$factory`
/// for its own fresh store.
/// With `available`, each case first asks it whether its backend can run
/// here (a server-based backend without a server) and passes without
/// checking anything when it cannot; `available` must say so loudly.
#[macro_export]
macro_rules! conformance_tests {
    ($factory:path) => {
        $crate::conformance_tests!($factory, available = $crate::conformance::always);
    };
    ($factory:path, available = $available:path) => {
        $crate::conformance_tests!(@each $factory, $available;
            lots_receive_and_ship,
            refusals_name_the_rule_and_write_nothing,
            idempotent_retries,
            batch_isolates_failures,
            reversal_undoes_once,
            count_and_adjust,
            stock_as_of_an_instant,
            history_pages_with_a_cursor,
            stock_pages_in_the_database,
            lists_page_in_the_database,
            one_batch_changes_a_lot_twice,
            a_lot_learns_its_dates_on_arrival,
            a_held_unit_stays_out_of_saleable_stock,
            a_relabel_is_traced_through,
            lot_parts_are_traced_into_their_parent,
            packagings_carry_their_own_gtin,
            documents_are_stored_by_hash,
            catch_weights_are_recorded_per_line,
            a_dispatch_arrives_once,
            a_parent_with_a_held_component_does_not_ship,
            a_lot_is_one_suppliers,
            a_count_by_lot_shows_both_sides,
            extreme_values_never_fail_the_writer,
            serials_in_lots,
            lookups_for_scans_and_print_runs,
            concurrent_serial_race,
            hundred_thousand_serials_in_one_receipt,
            model_based_ledger,
            held_stock_never_leaks
        );
    };
    (@each $factory:path, $available:path; $($name:ident),*) => {
        $(
            #[test]
            fn $name() {
                if $available() {
                    $crate::conformance::$name(&$factory);
                }
            }
        )*
    };
}

/// Every embedded backend can run anywhere.
pub fn always() -> bool {
    true
}

/// A test's view of a store with helpers that build commands tersely.
pub(crate) struct Ctx {
    pub(crate) store: Arc<dyn Store>,
    user: UserName,
}

pub(crate) fn sku(s: &str) -> Sku {
    Sku::parse(s).expect("test sku")
}

pub(crate) fn lot(s: &str) -> LotCode {
    LotCode::parse(s).expect("test lot")
}

pub(crate) fn serial(s: &str) -> Serial {
    Serial::parse(s).expect("test serial")
}

pub(crate) fn place(s: &str) -> PlaceRef {
    PlaceRef::parse(s).expect("test place")
}

pub(crate) fn amount(s: &str) -> Amount {
    Amount::parse(s).expect("test amount")
}

pub(crate) fn qty_line(s: &str, l: Option<&str>, q: &str) -> Line {
    Line { sku: sku(s), lot: l.map(lot), units: Units::Quantity(amount(q)) }
}

pub(crate) fn serial_line(s: &str, serials: &[&str]) -> Line {
    Line { sku: sku(s), lot: None, units: Units::Serials(serials.iter().map(|x| serial(x)).collect()) }
}

pub(crate) fn receive(to: &str, s: &str, l: Option<&str>, details: LotDetails, units: ReceiveUnits) -> Command {
    Command::Receive {
        from: Some(place("SUP")),
        to: place(to),
        lines: vec![ReceiveLine { sku: sku(s), lot: l.map(lot), details, status: None, units }],
    }
}

pub(crate) fn ship(from: &str, to: &str, line: Line) -> Command {
    Command::Ship {
        from: place(from),
        to: place(to),
        lines: vec![line],
        allow_expired: false,
        allow_short_shelf_life: false,
    }
}

pub(crate) fn spec(s: &str, tracking: Tracking) -> ItemSpec {
    ItemSpec::new(sku(s), s, tracking)
}

impl Ctx {
    pub(crate) fn new(fresh: &Fresh) -> Self {
        Ctx { store: fresh.store.clone(), user: UserName::parse("tester").expect("user") }
    }

    pub(crate) fn tx(&self, request: Request) -> Transaction {
        Transaction { request, user: self.user.clone() }
    }

    pub(crate) fn post(&self, cmd: Command) -> Result<Posted, SubmitError> {
        self.store.submit(self.tx(Request::new(cmd)))
    }

    pub(crate) fn post_with(
        &self,
        cmd: Command,
        reason: Option<&str>,
        occurred_at: Option<Timestamp>,
    ) -> Result<Posted, SubmitError> {
        let request = Request { reason: reason.map(str::to_owned), occurred_at, ..Request::new(cmd) };
        self.store.submit(self.tx(request))
    }

    pub(crate) fn ok(&self, cmd: Command) -> Posted {
        let kind = cmd.kind();
        self.post(cmd).unwrap_or_else(|e| panic!("{kind} should have been posted: {e}"))
    }

    /// Posts `cmd` with a reason and expects it to post.
    pub(crate) fn ok_because(&self, cmd: Command, reason: &str) -> Posted {
        let kind = cmd.kind();
        self.post_with(cmd, Some(reason), None).unwrap_or_else(|e| panic!("{kind} should have been posted: {e}"))
    }

    /// Posts `cmd`, expects refusal under `rule`, and checks nothing changed.
    pub(crate) fn refused(&self, cmd: Command, reason: Option<&str>, rule: Rule) -> String {
        let before = self.fingerprint();
        let kind = cmd.kind();
        match self.post_with(cmd, reason, None) {
            Err(SubmitError::Refused(e)) => {
                assert_eq!(e.rule, rule, "{kind} refused under the wrong rule: {e}");
                assert!(!e.message.is_empty());
                assert_eq!(self.fingerprint(), before, "a refused {kind} changed the ledger");
                e.to_string()
            }
            other => panic!("{kind} should have been refused under {rule:?}, got {other:?}"),
        }
    }

    /// The chain head and every balance: equal fingerprints mean nothing was written.
    pub(crate) fn fingerprint(&self) -> (String, u64, Vec<StockRow>) {
        let v = self.store.verify().expect("verify");
        assert!(v.is_ok(), "verify failed: {:?}", v.problems);
        (v.head, v.transactions, self.all_stock())
    }

    pub(crate) fn all_stock(&self) -> Vec<StockRow> {
        self.store.stock(&StockQuery { include_virtual: true, ..Default::default() }).expect("stock")
    }

    pub(crate) fn on_hand(&self, loc: &str, s: &str, l: Option<&str>) -> i64 {
        let q = StockQuery {
            sku: Some(sku(s)),
            lot: l.map(lot),
            location: Some(LocationPath::parse(loc).expect("path")),
            ..Default::default()
        };
        self.store.stock(&q).expect("stock").iter().filter(|r| r.location.as_str() == loc).map(|r| r.units).sum()
    }

    /// Standard master data: WH/A and WH/B, supplier SUP, customers C1 and C2,
    /// and items of each tracking mode.
    pub(crate) fn standard(&self) {
        for p in ["WH/A", "WH/B"] {
            self.ok(Command::DefineLocation {
                path: LocationPath::parse(p).expect("path"),
                kind: LocationKind::Internal,
                time_zone: None,
            });
        }
        for (code, kind) in
            [("SUP", LocationKind::Supplier), ("C1", LocationKind::Customer), ("C2", LocationKind::Customer)]
        {
            self.ok(Command::DefinePartner {
                code: PartnerCode::parse(code).expect("code"),
                name: code.into(),
                kind,
                min_shelf_life_days: None,
            });
        }
        for (s, t) in [
            ("PLAIN", Tracking::None),
            ("LOTTED", Tracking::Lot),
            ("SER", Tracking::Serial),
            ("LS", Tracking::LotSerial),
        ] {
            self.ok(Command::DefineItem(spec(s, t)));
        }
    }
}

/// A scan finds its item by GTIN, whichever length the GTIN was written in
/// (a GTIN nobody carries finds nothing); a print run finds the movements
/// of one transaction.
pub fn lookups_for_scans_and_print_runs(factory: &Factory) {
    let fresh = factory();
    let ctx = Ctx::new(&fresh);
    let mut item = spec("KETCHUP", Tracking::Lot);
    item.gtin = Some(Gtin::parse("9506000134352").expect("gtin"));
    ctx.ok(Command::DefineItem(item));
    ctx.ok(Command::DefineItem(spec("OTHER", Tracking::None)));
    let found = ctx.store.item_by_gtin(&Gtin::parse("09506000134352").expect("gtin")).expect("read");
    assert_eq!(found.map(|r| r.spec.sku.as_str().to_string()).as_deref(), Some("KETCHUP"));
    let missing = ctx.store.item_by_gtin(&Gtin::parse("96385074").expect("gtin")).expect("read");
    assert!(missing.is_none());
    // A transaction's movements, as a print run of its labels reads them.
    ctx.standard();
    let posted = ctx.ok(receive(
        "WH/A",
        "SER",
        None,
        LotDetails::default(),
        ReceiveUnits::Serials(vec![serial("S1"), serial("S2")]),
    ));
    let rows = ctx.store.transaction_movements(&posted.id).expect("read");
    let serials: Vec<_> = rows.iter().filter_map(|r| r.serial.as_ref().map(|s| s.as_str().to_string())).collect();
    assert_eq!(serials, ["S1", "S2"]);
    assert!(ctx.store.transaction_movements(&tracelot_core::TxId::generate()).expect("read").is_empty());
}

/// A lot of 1,000 received, shipped partly to two customers.
pub fn lots_receive_and_ship(factory: &Factory) {
    let fresh = factory();
    let c = Ctx::new(&fresh);
    c.standard();
    c.ok(receive("WH/A", "LOTTED", Some("K1"), LotDetails::default(), ReceiveUnits::Quantity(amount("1000"))));
    c.ok(ship("WH/A", "C1", qty_line("LOTTED", Some("K1"), "300")));
    c.ok(ship("WH/A", "C2", qty_line("LOTTED", Some("K1"), "200")));
    assert_eq!(c.on_hand("WH/A", "LOTTED", Some("K1")), 500);
    let customers: BTreeMap<String, i64> = c
        .all_stock()
        .into_iter()
        .filter(|r| r.location_kind == LocationKind::Customer)
        .map(|r| (r.location.to_string(), r.units))
        .collect();
    assert_eq!(customers, BTreeMap::from([("CUSTOMERS/C1".into(), 300), ("CUSTOMERS/C2".into(), 200)]));
    let h = c
        .store
        .history(&HistoryQuery { sku: sku("LOTTED"), lot: Some(lot("K1")), serial: None, after: None, limit: None })
        .expect("history");
    assert_eq!(h.iter().map(|r| r.kind.as_str()).collect::<Vec<_>>(), ["receive", "ship", "ship"]);
    assert_eq!(h[0].user, "tester");
    assert!(c.store.verify().expect("verify").is_ok());
}

/// Every rule refuses with its name and writes nothing.
pub fn refusals_name_the_rule_and_write_nothing(factory: &Factory) {
    let fresh = factory();
    let c = Ctx::new(&fresh);
    c.standard();
    let d = LotDetails::default();
    c.ok(receive("WH/A", "LOTTED", Some("K1"), d.clone(), ReceiveUnits::Quantity(amount("10"))));
    c.ok(receive("WH/A", "SER", None, d.clone(), ReceiveUnits::Serials(vec![serial("S1")])));
    c.refused(receive("WH/A", "SER", None, d.clone(), ReceiveUnits::Quantity(amount("1"))), None, Rule::SerialRequired);
    c.refused(ship("WH/A", "C1", qty_line("SER", None, "1")), None, Rule::SerialRequired);
    c.refused(receive("WH/A", "LOTTED", None, d.clone(), ReceiveUnits::Quantity(amount("1"))), None, Rule::LotRequired);
    c.refused(
        receive("WH/A", "PLAIN", None, d.clone(), ReceiveUnits::Serials(vec![serial("X")])),
        None,
        Rule::SerialNotTracked,
    );
    let msg = c.refused(
        receive("WH/B", "SER", None, d.clone(), ReceiveUnits::Serials(vec![serial("S1")])),
        None,
        Rule::SerialExists,
    );
    assert!(msg.contains("WH/A"), "the message names where the serial is: {msg}");
    c.refused(
        receive("WH/B", "SER", None, d.clone(), ReceiveUnits::Serials(vec![serial("S2"), serial("S2")])),
        None,
        Rule::SerialExists,
    );
    let msg = c.refused(ship("WH/A", "C1", qty_line("LOTTED", Some("K1"), "11")), None, Rule::InsufficientStock);
    assert!(msg.contains("10 on hand"), "{msg}");
    c.refused(ship("WH/B", "C1", serial_line("SER", &["S1"])), None, Rule::SerialNotThere);
    c.refused(ship("WH/A", "WH/B", qty_line("LOTTED", Some("K1"), "1")), None, Rule::WrongLocationKind);
    c.refused(ship("WH/A", "C1", qty_line("NOPE", None, "1")), None, Rule::NotFound);
    c.refused(ship("WH/A", "C9", qty_line("PLAIN", None, "1")), None, Rule::NotFound);
    c.refused(ship("WH/A", "C1", qty_line("LOTTED", Some("K1"), "0")), None, Rule::InvalidValue);
    // Status and expiry.
    let status = |s| Command::SetLotStatus { sku: sku("LOTTED"), lot: lot("K1"), status: s };
    c.refused(status(LotStatus::Quarantine), None, Rule::ReasonRequired);
    c.post_with(status(LotStatus::Quarantine), Some("lab check"), None).expect("set status");
    c.refused(ship("WH/A", "C1", qty_line("LOTTED", Some("K1"), "1")), None, Rule::LotNotReleased);
    c.ok(Command::Transfer {
        from: place("WH/A"),
        to: place("WH/B"),
        lines: vec![qty_line("LOTTED", Some("K1"), "2")],
    });
    c.post_with(status(LotStatus::Released), Some("lab ok"), None).expect("release");
    let history = c.store.lot(&sku("LOTTED"), &lot("K1")).expect("lot").expect("exists").status_history;
    let statuses: Vec<_> = history.iter().map(|h| (h.status, h.reason.clone())).collect();
    assert_eq!(
        statuses,
        [
            (LotStatus::Released, None),
            (LotStatus::Quarantine, Some("lab check".into())),
            (LotStatus::Released, Some("lab ok".into()))
        ]
    );
    let yesterday = tracelot_core::time::today().yesterday().expect("date");
    let expired = LotDetails { expires_on: Some(yesterday), ..Default::default() };
    c.ok(receive("WH/A", "LOTTED", Some("OLD"), expired.clone(), ReceiveUnits::Quantity(amount("5"))));
    c.refused(ship("WH/A", "C1", qty_line("LOTTED", Some("OLD"), "1")), None, Rule::LotExpired);
    let overridden = Command::Ship {
        from: place("WH/A"),
        to: place("C1"),
        lines: vec![qty_line("LOTTED", Some("OLD"), "1")],
        allow_expired: true,
        allow_short_shelf_life: false,
    };
    c.refused(overridden.clone(), None, Rule::ReasonRequired);
    let p = c.post_with(overridden, Some("customer accepts for animal feed"), None).expect("override");
    assert_eq!(p.overrides.len(), 1);
    assert_eq!(p.overrides[0].rule, "lot_expired");
    // A receipt that contradicts the lot's recorded expiry is refused.
    let later = LotDetails { expires_on: yesterday.tomorrow().ok(), ..Default::default() };
    c.refused(
        receive("WH/A", "LOTTED", Some("OLD"), later, ReceiveUnits::Quantity(amount("1"))),
        None,
        Rule::LotConflict,
    );
    c.refused(
        Command::Return { from: place("C1"), to: place("WH/A"), lines: vec![qty_line("LOTTED", Some("OLD"), "2")] },
        Some("damaged"),
        Rule::ReturnExceedsShipped,
    );
    c.refused(
        Command::Return { from: place("C1"), to: place("WH/A"), lines: vec![qty_line("LOTTED", Some("OLD"), "1")] },
        None,
        Rule::ReasonRequired,
    );
    // Back-dating beyond policy.
    let before = c.fingerprint();
    let too_old = Timestamp::now() - SignedDuration::from_hours(24 * 5000);
    let r = c.post_with(receive("WH/A", "PLAIN", None, d, ReceiveUnits::Quantity(amount("1"))), None, Some(too_old));
    assert!(matches!(r, Err(SubmitError::Refused(ref e)) if e.rule == Rule::ClockPolicy), "{r:?}");
    assert_eq!(c.fingerprint(), before);
}

/// The same id with the same content returns the first result and writes
/// nothing; with other content it is refused.
pub fn idempotent_retries(factory: &Factory) {
    let fresh = factory();
    let c = Ctx::new(&fresh);
    c.standard();
    let req = Request::new(receive("WH/A", "PLAIN", None, LotDetails::default(), ReceiveUnits::Quantity(amount("7"))));
    let first = c.store.submit(c.tx(req.clone())).expect("first");
    let before = c.fingerprint();
    let again = c.store.submit(c.tx(req.clone())).expect("retry");
    assert!(again.replayed && !first.replayed);
    assert_eq!(Posted { replayed: false, ..again.clone() }, first, "a replay is the first answer, field for field");
    assert_eq!(c.fingerprint(), before);
    let changed = Request {
        command: receive("WH/A", "PLAIN", None, LotDetails::default(), ReceiveUnits::Quantity(amount("8"))),
        ..req.clone()
    };
    match c.store.submit(c.tx(changed)) {
        Err(SubmitError::Refused(e)) => assert_eq!(e.rule, Rule::IdempotencyConflict),
        other => panic!("expected idempotency_conflict, got {other:?}"),
    }
    // A retry inside one batch is also a replay.
    let r2 = Request::new(receive("WH/A", "PLAIN", None, LotDetails::default(), ReceiveUnits::Quantity(amount("1"))));
    let results = c.store.submit_batch(vec![c.tx(r2.clone()), c.tx(r2)]);
    assert!(!results[0].as_ref().expect("first").replayed);
    assert!(results[1].as_ref().expect("second").replayed);
    assert_eq!(c.on_hand("WH/A", "PLAIN", None), 8);
}

/// One failing transaction in a batch leaves its neighbours committed.
pub fn batch_isolates_failures(factory: &Factory) {
    let fresh = factory();
    let c = Ctx::new(&fresh);
    c.standard();
    let good = |n: &str| {
        c.tx(Request::new(receive("WH/A", "PLAIN", None, LotDetails::default(), ReceiveUnits::Quantity(amount(n)))))
    };
    let bad = c.tx(Request::new(ship("WH/A", "C1", qty_line("PLAIN", None, "1000"))));
    let new_serial = c.tx(Request::new(receive(
        "WH/A",
        "SER",
        None,
        LotDetails::default(),
        ReceiveUnits::Serials(vec![serial("N1")]),
    )));
    let results = c.store.submit_batch(vec![good("3"), bad, good("4"), new_serial]);
    assert!(results[0].is_ok() && results[2].is_ok() && results[3].is_ok());
    assert!(matches!(&results[1], Err(SubmitError::Refused(e)) if e.rule == Rule::InsufficientStock));
    assert_eq!(c.on_hand("WH/A", "PLAIN", None), 7);
    let seqs: Vec<i64> = results.iter().filter_map(|r| r.as_ref().ok()).map(|p| p.seq).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "the chain has no gaps: {seqs:?}");
    assert!(c.store.verify().expect("verify").is_ok());
}

/// A reversal is a new transaction pointing at the original; it happens once.
pub fn reversal_undoes_once(factory: &Factory) {
    let fresh = factory();
    let c = Ctx::new(&fresh);
    c.standard();
    let r = c.ok(receive(
        "WH/A",
        "SER",
        None,
        LotDetails::default(),
        ReceiveUnits::Serials(vec![serial("R1"), serial("R2")]),
    ));
    let rev = c.ok(Command::Reverse { tx: r.id });
    assert_eq!(rev.movements, 2);
    assert!(c.all_stock().iter().all(|s| s.sku.as_str() != "SER"), "reversed serials are nowhere");
    c.refused(Command::Reverse { tx: r.id }, None, Rule::NotReversible);
    c.refused(Command::Reverse { tx: rev.id }, None, Rule::NotReversible);
    c.refused(Command::Reverse { tx: TxId::generate() }, None, Rule::NotFound);
    // A reversed receipt can be received again, properly.
    c.ok(receive("WH/B", "SER", None, LotDetails::default(), ReceiveUnits::Serials(vec![serial("R1")])));
    let h = c
        .store
        .history(&HistoryQuery { sku: sku("SER"), lot: None, serial: Some(serial("R1")), after: None, limit: None })
        .expect("history");
    assert_eq!(h.iter().map(|x| x.kind.as_str()).collect::<Vec<_>>(), ["receive", "reverse", "receive"]);
    assert_eq!(h[1].reverses, Some(r.id));
    // A reversal that the stock no longer allows is refused by the constraints.
    let p = c.ok(receive("WH/A", "PLAIN", None, LotDetails::default(), ReceiveUnits::Quantity(amount("5"))));
    c.ok(ship("WH/A", "C1", qty_line("PLAIN", None, "4")));
    c.refused(Command::Reverse { tx: p.id }, None, Rule::InsufficientStock);
}

/// Counts post the difference against adjustment; adjustments need a reason.
pub fn count_and_adjust(factory: &Factory) {
    let fresh = factory();
    let c = Ctx::new(&fresh);
    c.standard();
    c.ok(receive("WH/A", "LOTTED", Some("K1"), LotDetails::default(), ReceiveUnits::Quantity(amount("10"))));
    let count = |n: &str| Command::Count {
        at: place("WH/A"),
        sku: sku("LOTTED"),
        lot: Some(lot("K1")),
        counted: Counted::Quantity(amount(n)),
    };
    c.refused(count("8"), None, Rule::ReasonRequired);
    assert_eq!(c.ok_because(count("8"), "cycle count").movements, 1);
    assert_eq!(c.on_hand("WH/A", "LOTTED", Some("K1")), 8);
    assert_eq!(c.ok(count("8")).movements, 0, "a count that matches needs no reason");
    c.ok_because(count("12"), "cycle count");
    assert_eq!(c.on_hand("WH/A", "LOTTED", Some("K1")), 12);
    let adj = |dir, q: &str| Command::Adjust {
        at: place("WH/A"),
        direction: dir,
        lines: vec![qty_line("LOTTED", Some("K1"), q)],
    };
    c.refused(adj(Direction::Out, "2"), None, Rule::ReasonRequired);
    c.post_with(adj(Direction::Out, "2"), Some("damaged"), None).expect("adjust out");
    c.refused(adj(Direction::Out, "11"), Some("lost"), Rule::InsufficientStock);
    assert_eq!(c.on_hand("WH/A", "LOTTED", Some("K1")), 10);
    let adjustment: i64 = c.all_stock().iter().filter(|r| r.location.as_str() == "ADJUSTMENT").map(|r| r.units).sum();
    assert_eq!(adjustment, 0, "count -2, +4 and adjust -2 net to zero at ADJUSTMENT");
    // Counting serials: missing ones go out, found ones come in.
    c.ok(receive("WH/A", "SER", None, LotDetails::default(), ReceiveUnits::Serials(vec![serial("A1"), serial("A2")])));
    c.ok(receive("WH/B", "SER", None, LotDetails::default(), ReceiveUnits::Serials(vec![serial("B1")])));
    let p = c.ok_because(
        Command::Count {
            at: place("WH/A"),
            sku: sku("SER"),
            lot: None,
            counted: Counted::Serials(vec![serial("A1"), serial("B1"), serial("NEW1")]),
        },
        "cycle count",
    );
    assert_eq!(p.movements, 3);
    let at_a: Vec<String> = c
        .all_stock()
        .into_iter()
        .filter(|r| r.location.as_str() == "WH/A" && r.sku.as_str() == "SER")
        .filter_map(|r| r.serial.map(|s| s.to_string()))
        .collect();
    assert_eq!(at_a, ["A1", "B1", "NEW1"]);
    // A unit the count wrote off comes back when it is found: by adjustment,
    // or by a later count.
    let written_off = c.all_stock();
    assert!(
        written_off
            .iter()
            .any(|r| r.location.as_str() == "ADJUSTMENT" && r.serial.as_ref().is_some_and(|s| s.as_str() == "A2"))
    );
    let found =
        Command::Adjust { at: place("WH/B"), direction: Direction::In, lines: vec![serial_line("SER", &["A2"])] };
    c.post_with(found, Some("found behind the rack"), None).expect("found by adjustment");
    let w = c.store.where_is(&sku("SER"), &serial("A2")).expect("where").expect("known");
    assert_eq!(w.location.map(|l| l.to_string()).as_deref(), Some("WH/B"));
    let empty = Command::Count { at: place("WH/B"), sku: sku("SER"), lot: None, counted: Counted::Serials(vec![]) };
    c.ok_because(empty, "cycle count");
    c.ok_because(
        Command::Count {
            at: place("WH/A"),
            sku: sku("SER"),
            lot: None,
            counted: Counted::Serials(vec![serial("A1"), serial("A2"), serial("B1"), serial("NEW1")]),
        },
        "cycle count",
    );
    let w = c.store.where_is(&sku("SER"), &serial("A2")).expect("where").expect("known");
    assert_eq!(w.location.map(|l| l.to_string()).as_deref(), Some("WH/A"), "the count found the written-off unit");
    // Scrap.
    c.ok(Command::Scrap { at: place("WH/A"), lines: vec![serial_line("SER", &["NEW1"])] });
    let w = c.store.where_is(&sku("SER"), &serial("NEW1")).expect("where").expect("known");
    assert_eq!(w.location.map(|l| l.to_string()).as_deref(), Some("SCRAP"));
}

/// Stock at a past instant replays movements by `occurred_at`.
pub fn stock_as_of_an_instant(factory: &Factory) {
    let fresh = factory();
    let c = Ctx::new(&fresh);
    c.standard();
    let now = Timestamp::now();
    let days = |n: i64| now - SignedDuration::from_hours(24 * n);
    let rcv = receive("WH/A", "PLAIN", None, LotDetails::default(), ReceiveUnits::Quantity(amount("10")));
    c.post_with(rcv, None, Some(days(10))).expect("receive");
    c.post_with(ship("WH/A", "C1", qty_line("PLAIN", None, "4")), None, Some(days(5))).expect("ship");
    let at = |t| {
        let q = StockQuery { sku: Some(sku("PLAIN")), as_of: Some(t), ..Default::default() };
        c.store.stock(&q).expect("stock").iter().map(|r| r.units).sum::<i64>()
    };
    assert_eq!(at(days(11)), 0);
    assert_eq!(at(days(7)), 10);
    assert_eq!(at(days(1)), 6);
    assert_eq!(c.on_hand("WH/A", "PLAIN", None), 6);
    let h = c
        .store
        .history(&HistoryQuery { sku: sku("PLAIN"), lot: None, serial: None, after: None, limit: None })
        .expect("history");
    assert!(h.iter().all(|r| r.recorded_at > r.occurred_at), "both clocks are kept");
}

/// Paging history with a cursor returns every movement exactly once, in
/// history order, even when movements arrive between pages.
pub fn history_pages_with_a_cursor(factory: &Factory) {
    let fresh = factory();
    let c = Ctx::new(&fresh);
    c.standard();
    let now = Timestamp::now();
    for i in 0..5 {
        let rcv = receive("WH/A", "PLAIN", None, LotDetails::default(), ReceiveUnits::Quantity(amount("2")));
        c.post_with(rcv, None, Some(now - SignedDuration::from_hours(10 - i))).expect("receive");
    }
    let all = c.store.history(&HistoryQuery::of(sku("PLAIN"))).expect("history");
    let mut paged = Vec::new();
    let mut after = None;
    loop {
        let q = HistoryQuery { after, limit: Some(2), ..HistoryQuery::of(sku("PLAIN")) };
        let page = c.store.history(&q).expect("page");
        assert!(page.len() <= 2);
        let Some(last) = page.last() else { break };
        after = Some(HistoryKey { occurred_at: last.occurred_at, seq: last.seq, line: last.line });
        if paged.is_empty() {
            // A movement that happened before the cursor must not shift later pages.
            let early = receive("WH/A", "PLAIN", None, LotDetails::default(), ReceiveUnits::Quantity(amount("1")));
            c.post_with(early, None, Some(now - SignedDuration::from_hours(20))).expect("receive");
        }
        paged.extend(page);
    }
    assert_eq!(paged.len(), 5);
    assert_eq!(paged, all);
}

/// Paging the stock in the database returns every row exactly once, in
/// the order of their keys, across lots, no lot and serials, with rows of
/// every location when virtual ones are included.
pub fn stock_pages_in_the_database(factory: &Factory) {
    let fresh = factory();
    let c = Ctx::new(&fresh);
    c.standard();
    for (place, l) in [("WH/A", "B2"), ("WH/B", "B1"), ("WH/A", "A9")] {
        c.ok(receive(
            place,
            "LS",
            Some(l),
            LotDetails::default(),
            ReceiveUnits::Serials(vec![serial(&format!("{place}{l}"))]),
        ));
    }
    for place in ["WH/B", "WH/A"] {
        c.ok(receive(place, "PLAIN", None, LotDetails::default(), ReceiveUnits::Quantity(amount("3"))));
    }
    let all = c.all_stock();
    assert!(all.len() >= 8, "{all:?}");
    let keys: Vec<StockKey> = all.iter().map(StockRow::key).collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "rows come in key order: {keys:?}");
    let mut paged = Vec::new();
    let mut after = None;
    loop {
        let q = StockQuery { include_virtual: true, after, limit: Some(3), ..Default::default() };
        let page = c.store.stock(&q).expect("page");
        assert!(page.len() <= 3);
        let Some(last) = page.last() else { break };
        after = Some(last.key());
        paged.extend(page);
    }
    assert_eq!(paged, all);
}

/// Reads a whole list two rows at a time, each page starting after the
/// last key seen, as the API's cursors do.
fn in_pages<T, K: Clone>(read: impl Fn(&Window<K>) -> Vec<T>, key: impl Fn(&T) -> K) -> Vec<T> {
    let mut all = Vec::new();
    let mut w = Window { after: None, limit: Some(2) };
    loop {
        let page = read(&w);
        assert!(page.len() <= 2, "a page holds at most its limit");
        let Some(last) = page.last() else { return all };
        w.after = Some(key(last));
        all.extend(page);
    }
}

/// Items, locations, partners and expiring lots page in the database:
/// page after page gives every row once, in the order of the whole list,
/// with byte order for keys that a locale would sort differently.
pub fn lists_page_in_the_database(factory: &Factory) {
    let fresh = factory();
    let c = Ctx::new(&fresh);
    c.standard();
    for s in ["a-lower", "B-UPPER", "Z_9"] {
        c.ok(Command::DefineItem(spec(s, Tracking::Lot)));
    }
    let today = tracelot_core::time::today();
    for (s, l, days) in [("LOTTED", "E2", 3), ("LOTTED", "E1", 3), ("a-lower", "E3", 1), ("Z_9", "E4", 9)] {
        let details = LotDetails { expires_on: tracelot_core::time::add_days(today, days), ..LotDetails::default() };
        c.ok(receive("WH/A", s, Some(l), details, ReceiveUnits::Quantity(amount("5"))));
    }
    let store = &c.store;
    let items = store.items(&Window::all()).expect("items");
    let skus: Vec<String> = items.iter().map(|r| r.spec.sku.to_string()).collect();
    assert!(skus.windows(2).all(|w| w[0].as_bytes() < w[1].as_bytes()), "byte order: {skus:?}");
    let paged = in_pages(|w| store.items(w).expect("items"), |r| r.spec.sku.to_string());
    assert_eq!(paged, items);
    let locations = store.locations(&Window::all()).expect("locations");
    assert!(locations.len() > 4, "{locations:?}");
    assert_eq!(in_pages(|w| store.locations(w).expect("locations"), |r| r.path.to_string()), locations);
    let partners = store.partners(&Window::all()).expect("partners");
    assert_eq!(partners.len(), 3);
    assert_eq!(in_pages(|w| store.partners(w).expect("partners"), |r| r.code.clone()), partners);
    let until = tracelot_core::time::add_days(today, 5).expect("date");
    let expiring = store.expiring(&ExpiringQuery { until, window: Window::all() }).expect("expiring");
    let lots: Vec<String> = expiring.iter().map(|r| r.lot.to_string()).collect();
    assert_eq!(lots, ["E3", "E1", "E2"], "by ship-by date, SKU and lot; E4 expires later");
    let read = |w: &Window<_>| store.expiring(&ExpiringQuery { until, window: w.clone() }).expect("expiring");
    assert_eq!(in_pages(read, ExpiringRow::key), expiring);
}

/// One batch may hold, release and hold again a lot stored before it: all
/// three post in one commit, the lot ends on hold with its three changes
/// recorded, and the database has nothing to refuse (no batch is redone).
pub fn one_batch_changes_a_lot_twice(factory: &Factory) {
    let fresh = factory();
    let c = Ctx::new(&fresh);
    c.standard();
    c.ok(receive("WH/A", "LOTTED", Some("K1"), LotDetails::default(), ReceiveUnits::Quantity(amount("5"))));
    let redone_before = c.store.writer_stats().redone_batches;
    let status = |s, why: &str| {
        let cmd = Command::SetLotStatus { sku: sku("LOTTED"), lot: lot("K1"), status: s };
        c.tx(Request { reason: Some(why.into()), ..Request::new(cmd) })
    };
    let results = c.store.submit_batch(vec![
        status(LotStatus::OnHold, "smell"),
        status(LotStatus::Released, "lab ok"),
        status(LotStatus::OnHold, "second smell"),
    ]);
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let row = c.store.lot(&sku("LOTTED"), &lot("K1")).expect("lot").expect("exists");
    assert_eq!(row.status, LotStatus::OnHold);
    assert_eq!(row.status_history.len(), 4, "released at receipt, then three changes: {:?}", row.status_history);
    assert_eq!(c.store.writer_stats().redone_batches, redone_before, "the batch committed as it was");
    assert!(c.store.verify().expect("verify").is_ok());
}

/// A lot defined before it arrives has no dates; the receipt that brings
/// it records them, in the same batch as the definition or later, and a
/// known date is never contradicted. `verify`'s replay makes the same rows.
pub fn a_lot_learns_its_dates_on_arrival(factory: &Factory) {
    let fresh = factory();
    let c = Ctx::new(&fresh);
    c.standard();
    let day = |d: i8| jiff::civil::date(2031, 1, d);
    let define = |code: &str| Command::DefineLot {
        sku: sku("LOTTED"),
        lot: lot(code),
        details: LotDetails::default(),
        status: None,
    };
    let dated = |expires: i8, supplier: &str| LotDetails {
        expires_on: Some(day(expires)),
        supplier_lot: Some(supplier.into()),
        ..Default::default()
    };
    let arrive =
        |code: &str, d: LotDetails| receive("WH/A", "LOTTED", Some(code), d, ReceiveUnits::Quantity(amount("5")));
    let results = c.store.submit_batch(vec![
        c.tx(Request::new(define("K1"))),
        c.tx(Request::new(arrive("K1", dated(10, "S-1")))),
        c.tx(Request::new(define("K2"))),
    ]);
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    c.ok(arrive("K2", dated(20, "S-2")));
    for (code, expires, supplier) in [("K1", 10, "S-1"), ("K2", 20, "S-2")] {
        let row = c.store.lot(&sku("LOTTED"), &lot(code)).expect("lot").expect("exists");
        assert_eq!(row.details.expires_on, Some(day(expires)), "{code}");
        assert_eq!(row.details.supplier_lot.as_deref(), Some(supplier), "{code}");
    }
    c.refused(arrive("K2", dated(21, "S-2")), None, Rule::LotConflict);
    assert!(c.store.verify().expect("verify").is_ok());
}

/// A unit's status: held in one batch with a shipment that the hold then
/// refuses, released again, and replayed by `verify` as stored.
pub fn a_held_unit_stays_out_of_saleable_stock(factory: &Factory) {
    let fresh = factory();
    let c = Ctx::new(&fresh);
    c.standard();
    let units = |s: &[&str]| ReceiveUnits::Serials(s.iter().map(|x| serial(x)).collect());
    c.ok(receive("WH/A", "SER", None, LotDetails::default(), units(&["U1", "U2"])));
    let status = |s: LotStatus| Command::SetSerialStatus { sku: sku("SER"), serials: vec![serial("U1")], status: s };
    let hold = Request { reason: Some("inspection".into()), ..Request::new(status(LotStatus::OnHold)) };
    let results = c.store.submit_batch(vec![
        c.tx(hold),
        c.tx(Request::new(ship("WH/A", "C1", serial_line("SER", &["U1"])))),
        c.tx(Request::new(ship("WH/A", "C1", serial_line("SER", &["U2"])))),
    ]);
    assert!(results[0].is_ok(), "{results:?}");
    assert!(matches!(&results[1], Err(SubmitError::Refused(e)) if e.rule == Rule::SerialBlocked), "{:?}", results[1]);
    assert!(results[2].is_ok(), "{results:?}");
    let where_is = c.store.where_is(&sku("SER"), &serial("U1")).expect("where").expect("known");
    assert_eq!(where_is.status, LotStatus::OnHold);
    c.ok(Command::Transfer { from: place("WH/A"), to: place("QUARANTINE"), lines: vec![serial_line("SER", &["U1"])] });
    c.ok_because(status(LotStatus::Released), "passed");
    c.ok_because(
        Command::Release { from: place("QUARANTINE"), to: place("WH/B"), lines: vec![serial_line("SER", &["U1"])] },
        "passed inspection",
    );
    c.ok(ship("WH/B", "C1", serial_line("SER", &["U1"])));
    assert!(c.store.verify().expect("verify").is_ok());
}

/// Stock put under another lot code is traced from the old lot to the new
/// one and back, and keeps the old lot's dates.
pub fn a_relabel_is_traced_through(factory: &Factory) {
    let fresh = factory();
    let c = Ctx::new(&fresh);
    c.standard();
    let dated = LotDetails {
        expires_on: Some(jiff::civil::date(2031, 3, 1)),
        supplier_lot: Some("FARM-7".into()),
        ..Default::default()
    };
    c.ok(receive("WH/A", "LOTTED", Some("SUP-1"), dated, ReceiveUnits::Quantity(amount("8"))));
    let relabel = Command::Relabel {
        at: place("WH/A"),
        sku: sku("LOTTED"),
        from_lot: lot("SUP-1"),
        to_lot: lot("K9"),
        quantity: amount("5"),
        details: LotDetails::default(),
    };
    c.refused(relabel.clone(), None, Rule::ReasonRequired);
    c.ok_because(relabel, "internal code");
    let unit = |code: &str| crate::trace::Unit { sku: sku("LOTTED"), lot: Some(lot(code)), serial: None };
    let reached = |start: &str, direction| -> Vec<crate::trace::Unit> {
        c.store.trace(&unit(start), direction).expect("trace").units.into_iter().map(|t| t.unit).collect()
    };
    assert!(reached("SUP-1", crate::trace::Direction::Forward).contains(&unit("K9")));
    assert!(reached("K9", crate::trace::Direction::Backward).contains(&unit("SUP-1")));
    let k9 = c.store.lot(&sku("LOTTED"), &lot("K9")).expect("lot").expect("exists");
    assert_eq!(k9.details.expires_on, Some(jiff::civil::date(2031, 3, 1)));
    assert_eq!(k9.details.supplier_lot.as_deref(), Some("FARM-7"));
    assert!(c.store.verify().expect("verify").is_ok());
}

/// A quantity of a lot-tracked part fitted into a serialized parent is
/// traced both ways, and a held part lot keeps the parent from shipping.
pub fn lot_parts_are_traced_into_their_parent(factory: &Factory) {
    let fresh = factory();
    let c = Ctx::new(&fresh);
    c.standard();
    c.ok(receive("WH/A", "SER", None, LotDetails::default(), ReceiveUnits::Serials(vec![serial("P1")])));
    c.ok(receive("WH/A", "LOTTED", Some("BOLTS"), LotDetails::default(), ReceiveUnits::Quantity(amount("10"))));
    c.ok(Command::Assemble {
        parent_sku: sku("SER"),
        parent_serial: serial("P1"),
        install: vec![qty_line("LOTTED", Some("BOLTS"), "4")],
        remove: Vec::new(),
        from: Some(place("WH/A")),
        to: None,
    });
    let bolts = crate::trace::Unit { sku: sku("LOTTED"), lot: Some(lot("BOLTS")), serial: None };
    let p1 = crate::trace::Unit { sku: sku("SER"), lot: None, serial: Some(serial("P1")) };
    let forward = c.store.trace(&bolts, crate::trace::Direction::Forward).expect("trace");
    assert!(forward.units.iter().any(|t| t.unit == p1), "{:?}", forward.units);
    assert!(forward.links.iter().any(|l| l.input_units == 4), "{:?}", forward.links);
    let backward = c.store.trace(&p1, crate::trace::Direction::Backward).expect("trace");
    assert!(backward.units.iter().any(|t| t.unit == bolts), "{:?}", backward.units);
    c.ok_because(Command::SetLotStatus { sku: sku("LOTTED"), lot: lot("BOLTS"), status: LotStatus::OnHold }, "torque");
    c.refused(ship("WH/A", "C1", serial_line("SER", &["P1"])), None, Rule::LotBlocked);
    assert!(c.store.verify().expect("verify").is_ok());
}

/// A packaging has a GTIN of its own that no item or other packaging
/// carries, and reads back with its quantity in the item's unit.
pub fn packagings_carry_their_own_gtin(factory: &Factory) {
    let fresh = factory();
    let c = Ctx::new(&fresh);
    c.standard();
    let pack = |name: &str, gtin: &str, q: &str| Command::DefinePackaging {
        sku: sku("LOTTED"),
        name: name.into(),
        gtin: gtin.into(),
        quantity: amount(q),
    };
    c.ok(pack("case", "14012345000013", "12"));
    c.refused(pack("crate", "14012345000013", "6"), None, Rule::AlreadyExists);
    c.refused(pack("crate", "14012345000012", "6"), None, Rule::InvalidValue);
    c.refused(
        Command::DefinePackaging {
            sku: sku("SER"),
            name: "box".into(),
            gtin: "24012345000010".into(),
            quantity: amount("1"),
        },
        None,
        Rule::InvalidValue,
    );
    let rows = c.store.packagings(&sku("LOTTED")).expect("packagings");
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].name.as_str(), rows[0].units), ("case", 12));
    let gtin = Gtin::parse("14012345000013").expect("gtin");
    assert_eq!(c.store.packaging_by_gtin(&gtin).expect("by gtin").map(|p| p.sku), Some(sku("LOTTED")));
    assert!(c.store.verify().expect("verify").is_ok());
}

/// A document's bytes are stored once under their hash and attached to a
/// lot by a transaction that names the hash; an unknown hash is refused.
pub fn documents_are_stored_by_hash(factory: &Factory) {
    let fresh = factory();
    let c = Ctx::new(&fresh);
    c.standard();
    c.ok(receive("WH/A", "LOTTED", Some("K1"), LotDetails::default(), ReceiveUnits::Quantity(amount("5"))));
    let bytes = b"%PDF-1.4 certificate".to_vec();
    let hash = c.store.put_document(&bytes).expect("put");
    assert_eq!(c.store.put_document(&bytes).expect("again"), hash, "the same bytes, the same hash");
    let attach = |sha256: tracelot_core::document::DocumentHash| Command::AttachDocument {
        sku: sku("LOTTED"),
        lot: lot("K1"),
        document: tracelot_core::document::Attachment {
            kind: "coa".into(),
            name: "coa.pdf".into(),
            media_type: "application/pdf".into(),
            sha256,
            size: 20,
            result: Some("pass".into()),
        },
    };
    c.refused(attach(tracelot_core::document::DocumentHash::of(b"never stored")), None, Rule::NotFound);
    c.ok(attach(hash.clone()));
    let row = c.store.lot(&sku("LOTTED"), &lot("K1")).expect("lot").expect("exists");
    assert_eq!(row.documents.len(), 1);
    assert_eq!(row.documents[0].document.sha256, hash);
    assert_eq!(c.store.document(&hash).expect("document"), Some(bytes));
    assert!(c.store.verify().expect("verify").is_ok());
}

/// A catch-weight item's receipt records the line's weight next to its
/// count, in a batch with other lines, and the history reads it back.
pub fn catch_weights_are_recorded_per_line(factory: &Factory) {
    let fresh = factory();
    let c = Ctx::new(&fresh);
    c.standard();
    let mut cheese = spec("CHEESE", Tracking::Lot);
    cheese.catch_weight_uom = Some("kg".into());
    c.ok(Command::DefineItem(cheese));
    let weighed = |q: &str, w: &str| ReceiveUnits::Weighed { quantity: amount(q), weight: amount(w) };
    let results = c.store.submit_batch(vec![
        c.tx(Request::new(receive("WH/A", "CHEESE", Some("C1"), LotDetails::default(), weighed("3", "24.5")))),
        c.tx(Request::new(receive(
            "WH/A",
            "LOTTED",
            Some("K1"),
            LotDetails::default(),
            ReceiveUnits::Quantity(amount("2")),
        ))),
        c.tx(Request::new(receive("WH/B", "CHEESE", Some("C1"), LotDetails::default(), weighed("1", "8.25")))),
    ]);
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    c.refused(
        receive("WH/A", "CHEESE", Some("C1"), LotDetails::default(), ReceiveUnits::Quantity(amount("1"))),
        None,
        Rule::InvalidValue,
    );
    let rows = c.store.history(&HistoryQuery::of(sku("CHEESE"))).expect("history");
    let weights: Vec<Option<String>> = rows.iter().map(|r| r.weight.clone()).collect();
    assert_eq!(weights, [Some("24.500 kg".to_owned()), Some("8.250 kg".to_owned())]);
    assert!(c.store.verify().expect("verify").is_ok());
}

/// A dispatch into transit arrives once, less what was lost on the way
/// (written off with the reason), and neither step can then be reversed.
pub fn a_dispatch_arrives_once(factory: &Factory) {
    let fresh = factory();
    let c = Ctx::new(&fresh);
    c.standard();
    let transit = LocationPath::parse("TRANSIT/T").expect("path");
    c.ok(Command::DefineLocation { path: transit, kind: LocationKind::Transit, time_zone: None });
    c.ok(receive("WH/A", "LOTTED", Some("K1"), LotDetails::default(), ReceiveUnits::Quantity(amount("10"))));
    let out = c.ok(Command::Transfer {
        from: place("WH/A"),
        to: place("TRANSIT/T"),
        lines: vec![qty_line("LOTTED", Some("K1"), "10")],
    });
    let arrive = |q: &str| Command::Arrive {
        dispatch: out.id,
        to: place("WH/B"),
        lines: vec![qty_line("LOTTED", Some("K1"), q)],
    };
    c.refused(arrive("11"), Some("x"), Rule::InvalidValue);
    c.refused(arrive("9"), None, Rule::ReasonRequired);
    let arrived = c.ok_because(arrive("9"), "one broke");
    c.refused(arrive("1"), Some("x"), Rule::AlreadyArrived);
    c.refused(Command::Reverse { tx: out.id }, Some("x"), Rule::NotReversible);
    c.refused(Command::Reverse { tx: arrived.id }, Some("x"), Rule::NotReversible);
    assert_eq!((c.on_hand("WH/B", "LOTTED", Some("K1")), c.on_hand("TRANSIT/T", "LOTTED", Some("K1"))), (9, 0));
    assert!(c.store.verify().expect("verify").is_ok());
}

/// A serialized parent whose installed component (at any depth) belongs
/// to a held lot does not ship; once the component is removed, it does.
pub fn a_parent_with_a_held_component_does_not_ship(factory: &Factory) {
    let fresh = factory();
    let c = Ctx::new(&fresh);
    c.standard();
    let units = |s: &[&str]| ReceiveUnits::Serials(s.iter().map(|x| serial(x)).collect());
    c.ok(receive("WH/A", "SER", None, LotDetails::default(), units(&["CAR1"])));
    c.ok(receive("WH/A", "LS", Some("AB7"), LotDetails::default(), units(&["BAG1"])));
    let assemble = |install: Vec<Line>, remove: Vec<Line>| Command::Assemble {
        parent_sku: sku("SER"),
        parent_serial: serial("CAR1"),
        install,
        remove,
        from: Some(place("WH/A")),
        to: Some(place("QUARANTINE")),
    };
    c.ok(assemble(vec![serial_line("LS", &["BAG1"])], Vec::new()));
    c.post_with(
        Command::SetLotStatus { sku: sku("LS"), lot: lot("AB7"), status: LotStatus::OnHold },
        Some("airbag inflator"),
        None,
    )
    .expect("hold");
    c.refused(ship("WH/A", "C1", serial_line("SER", &["CAR1"])), None, Rule::LotBlocked);
    let consume = Command::Produce {
        at: place("WH/A"),
        consume: vec![serial_line("SER", &["CAR1"])],
        output: vec![ReceiveLine {
            sku: sku("PLAIN"),
            lot: None,
            details: LotDetails::default(),
            status: None,
            units: ReceiveUnits::Quantity(amount("1")),
        }],
    };
    c.refused(consume, None, Rule::LotBlocked);
    c.post_with(assemble(Vec::new(), vec![serial_line("LS", &["BAG1"])]), Some("recall AB7"), None).expect("remove");
    c.ok(ship("WH/A", "C1", serial_line("SER", &["CAR1"])));
    assert!(c.store.verify().expect("verify").is_ok());
}

/// A lot code received from one supplier cannot be received from another,
/// in later transactions or later in the same batch; production and the
/// first supplier may add to it.
pub fn a_lot_is_one_suppliers(factory: &Factory) {
    let fresh = factory();
    let c = Ctx::new(&fresh);
    c.standard();
    c.ok(Command::DefinePartner {
        code: PartnerCode::parse("SUP2").expect("code"),
        name: "Second farm".into(),
        kind: LocationKind::Supplier,
        min_shelf_life_days: None,
    });
    let from = |supplier: &str, l: &str| {
        let mut cmd = receive("WH/A", "LOTTED", Some(l), LotDetails::default(), ReceiveUnits::Quantity(amount("5")));
        if let Command::Receive { from, .. } = &mut cmd {
            *from = Some(place(supplier));
        }
        cmd
    };
    c.ok(from("SUP", "001"));
    c.ok(from("SUP", "001"));
    c.refused(from("SUP2", "001"), None, Rule::LotOtherSupplier);
    let results = c.store.submit_batch(vec![
        c.tx(Request::new(from("SUP2", "002"))),
        c.tx(Request::new(from("SUP", "002"))),
        c.tx(Request::new(from("SUP2", "002"))),
    ]);
    assert!(results[0].is_ok() && results[2].is_ok(), "{results:?}");
    assert!(matches!(&results[1], Err(SubmitError::Refused(e)) if e.rule == Rule::LotOtherSupplier), "{results:?}");
    assert_eq!(c.on_hand("WH/A", "LOTTED", Some("001")), 10);
    assert_eq!(c.on_hand("WH/A", "LOTTED", Some("002")), 10);
    // A receipt booked from the wrong supplier and reversed binds the lot to no one.
    let wrong = c.ok(from("SUP2", "003"));
    c.ok_because(Command::Reverse { tx: wrong.id }, "wrong supplier");
    c.ok(from("SUP", "003"));
    assert!(c.store.verify().expect("verify").is_ok());
}

/// A count by lot covers every lot booked at the location: the lot that is
/// missing goes out and the lot found comes in, in one transaction with
/// its reason; lots elsewhere are untouched.
pub fn a_count_by_lot_shows_both_sides(factory: &Factory) {
    let fresh = factory();
    let c = Ctx::new(&fresh);
    c.standard();
    for (at, l) in [("WH/A", "Y1"), ("WH/B", "Y3")] {
        c.ok(receive(at, "LOTTED", Some(l), LotDetails::default(), ReceiveUnits::Quantity(amount("100"))));
    }
    let count = Command::Count {
        at: place("WH/A"),
        sku: sku("LOTTED"),
        lot: None,
        counted: Counted::Lots([(lot("Y3"), amount("100"))].into_iter().collect()),
    };
    c.refused(count.clone(), None, Rule::ReasonRequired);
    let p = c.ok_because(count, "wrong lot on the shelf");
    assert_eq!(p.movements, 2, "Y1 missing 100, Y3 found 100");
    assert_eq!(c.on_hand("WH/A", "LOTTED", Some("Y1")), 0);
    assert_eq!(c.on_hand("WH/A", "LOTTED", Some("Y3")), 100);
    assert_eq!(c.on_hand("WH/B", "LOTTED", Some("Y3")), 100);
    let plain = Command::Count {
        at: place("WH/A"),
        sku: sku("PLAIN"),
        lot: None,
        counted: Counted::Lots([(lot("Y3"), amount("1"))].into_iter().collect()),
    };
    c.refused(plain, Some("x"), Rule::InvalidValue);
    assert!(c.store.verify().expect("verify").is_ok());
}

/// Random commands with extreme values (quantities at the 64-bit limit,
/// with and without decimals; dates at the calendar's ends; shelf lives,
/// required shelf lives and warranties far past their bounds): each is
/// posted or refused by a rule, never an internal error or a storage
/// failure, and the ledger still verifies.
pub fn extreme_values_never_fail_the_writer(factory: &Factory) {
    use proptest::prelude::Rng as _;
    let fresh = factory();
    let c = Ctx::new(&fresh);
    c.standard();
    let mut rng = proptest::test_runner::TestRunner::deterministic().rng().clone();
    let quantities = ["9223372036854775807", "9223372036854775.807", "4611686018427387904", "1", "0.001", "3"];
    let dates =
        [jiff::civil::Date::MIN, jiff::civil::Date::MAX, jiff::civil::date(1970, 1, 1), tracelot_core::time::today()];
    let counts = [0, 1, 1_200, 36_525, 36_526, 8_000_000, u32::MAX];
    let mut pick = |n: usize| (rng.next_u64() % n as u64) as usize;
    // Each item with whether it takes a lot.
    let mut items = vec![("PLAIN".to_string(), false), ("LOTTED".to_string(), true)];
    let (mut posted, mut out_of_range) = (0, 0);
    for step in 0..400 {
        let (item, lotted) = items[pick(items.len())].clone();
        let l = lotted.then(|| format!("L{}", pick(3)));
        let quantity = quantities[pick(quantities.len())];
        let cmd = match pick(6) {
            0 => {
                let lotted = pick(2) == 0;
                let mut s = spec(&format!("X{step}"), if lotted { Tracking::Lot } else { Tracking::None });
                s.shelf_life_days = Some(counts[pick(counts.len())]);
                s.warranty_months = Some(counts[pick(counts.len())]);
                s.scale = tracelot_core::Scale::new(if pick(2) == 0 { 0 } else { 3 }).expect("scale");
                items.push((s.sku.to_string(), lotted));
                Command::DefineItem(s)
            }
            1 => Command::DefinePartner {
                code: PartnerCode::parse(&format!("P{step}")).expect("code"),
                name: "Picky".into(),
                kind: LocationKind::Customer,
                min_shelf_life_days: Some(counts[pick(counts.len())]),
            },
            2 => {
                let details = LotDetails {
                    produced_on: Some(dates[pick(dates.len())]),
                    expires_on: [None, Some(dates[pick(dates.len())])][pick(2)],
                    ..LotDetails::default()
                };
                let details = if lotted { details } else { LotDetails::default() };
                receive("WH/A", &item, l.as_deref(), details, ReceiveUnits::Quantity(amount(quantity)))
            }
            3 => ship("WH/A", "C1", qty_line(&item, l.as_deref(), quantity)),
            4 => Command::Transfer {
                from: place("WH/A"),
                to: place("WH/B"),
                lines: vec![qty_line(&item, l.as_deref(), quantity)],
            },
            _ => receive("WH/B", &item, l.as_deref(), LotDetails::default(), ReceiveUnits::Quantity(amount(quantity))),
        };
        match c.post(cmd) {
            Ok(_) => posted += 1,
            Err(SubmitError::Refused(d)) => {
                assert_ne!(d.rule, Rule::InternalError, "step {step}: {d}");
                out_of_range += usize::from(d.rule == Rule::QuantityOutOfRange);
            }
            Err(e) => panic!("step {step}: extreme values failed the store: {e}"),
        }
    }
    assert!(posted > 60 && out_of_range > 2, "the limits were reached: {posted} posted, {out_of_range} out of range");
    let v = c.store.verify().expect("verify");
    assert!(v.is_ok(), "{:?}", v.problems);
}

/// Serials inside lots: the lot comes from the serial, and a shipment
/// checks the serial's lot.
pub fn serials_in_lots(factory: &Factory) {
    let fresh = factory();
    let c = Ctx::new(&fresh);
    c.standard();
    c.refused(
        receive("WH/A", "LS", None, LotDetails::default(), ReceiveUnits::Serials(vec![serial("P1")])),
        None,
        Rule::LotRequired,
    );
    c.ok(receive(
        "WH/A",
        "LS",
        Some("B7"),
        LotDetails::default(),
        ReceiveUnits::Serials(vec![serial("P1"), serial("P2")]),
    ));
    let w = c.store.where_is(&sku("LS"), &serial("P1")).expect("where").expect("known");
    assert_eq!(w.lot.map(|l| l.to_string()).as_deref(), Some("B7"));
    c.post_with(
        Command::SetLotStatus { sku: sku("LS"), lot: lot("B7"), status: LotStatus::OnHold },
        Some("deviation"),
        None,
    )
    .expect("hold");
    c.refused(ship("WH/A", "C1", serial_line("LS", &["P1"])), None, Rule::LotNotReleased);
    let wrong = Line { sku: sku("LS"), lot: Some(lot("B8")), units: Units::Serials(vec![serial("P2")]) };
    c.refused(
        Command::Transfer { from: place("WH/A"), to: place("WH/B"), lines: vec![wrong] },
        None,
        Rule::LotConflict,
    );
    // A held lot's serial may not go to another saleable bin, only aside.
    let to = |place_path: &str| Command::Transfer {
        from: place("WH/A"),
        to: place(place_path),
        lines: vec![serial_line("LS", &["P2"])],
    };
    c.refused(to("WH/B"), None, Rule::LotBlocked);
    c.ok(to("QUARANTINE"));
    assert_eq!(c.on_hand("QUARANTINE", "LS", Some("B7")), 1);
}

/// Many threads ship the same serial at once: exactly one wins.
pub fn concurrent_serial_race(factory: &Factory) {
    let fresh = factory();
    let c = Ctx::new(&fresh);
    c.standard();
    c.ok(receive("WH/A", "SER", None, LotDetails::default(), ReceiveUnits::Serials(vec![serial("RACE")])));
    let n = 32;
    let barrier = Arc::new(Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let store = c.store.clone();
            let barrier = barrier.clone();
            let tx =
                c.tx(Request::new(ship("WH/A", if i % 2 == 0 { "C1" } else { "C2" }, serial_line("SER", &["RACE"]))));
            std::thread::spawn(move || {
                barrier.wait();
                store.submit(tx)
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().expect("thread")).collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "exactly one shipment wins");
    for r in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(
            matches!(r, SubmitError::Refused(e) if e.rule == Rule::SerialNotThere || e.rule == Rule::SerialExists),
            "{r:?}"
        );
    }
    let held: Vec<_> = c
        .all_stock()
        .into_iter()
        .filter(|r| r.serial.as_ref().is_some_and(|s| s.as_str() == "RACE") && r.units > 0)
        .collect();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].location_kind, LocationKind::Customer);
    assert!(c.store.verify().expect("verify").is_ok());
}

/// A receipt of 100,000 serials is one transaction.
pub fn hundred_thousand_serials_in_one_receipt(factory: &Factory) {
    let fresh = factory();
    let c = Ctx::new(&fresh);
    c.standard();
    let serials = tracelot_core::serial_range::expand("SN000001..SN100000").expect("range");
    let p = c.ok(receive("WH/A", "SER", None, LotDetails::default(), ReceiveUnits::Serials(serials)));
    assert_eq!(p.movements, 100_000);
    let w = c.store.where_is(&sku("SER"), &serial("SN054321")).expect("where").expect("known");
    assert_eq!(w.location.map(|l| l.to_string()).as_deref(), Some("WH/A"));
    assert_eq!(c.on_hand("WH/A", "SER", None), 100_000);
    assert!(c.store.verify().expect("verify").is_ok());
}
