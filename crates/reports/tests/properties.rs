//! Properties of traces and mass balances over random production histories
//! on a real SQLite ledger: X is in the forward trace of Y exactly when Y
//! is in the backward trace of X, and every lot's mass balance closes.

use std::collections::BTreeSet;

use proptest::prelude::*;
use tracelot_core::command::{Amount, Direction as AdjustDirection, Line, ReceiveLine, ReceiveUnits, Units};
use tracelot_core::{
    Command, ItemSpec, LocationKind, LocationPath, LotCode, LotDetails, PartnerCode, PlaceRef, Request, Sku, Tracking,
    Transaction, UserName,
};
use tracelot_store::{Direction, Store, Unit};
use tracelot_store_sqlite::{SqliteOptions, SqliteStore};

#[derive(Debug, Clone)]
enum Op {
    /// Inputs (indexes into the lots made so far, quantity each), output level.
    Produce(Vec<(usize, u8)>, u8, u8),
    Ship(usize, u8),
    Scrap(usize, u8),
    AdjustOut(usize, u8),
    /// Reverse the n-th successful production run.
    ReverseRun(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (proptest::collection::vec((0usize..40, 1u8..6), 1..4), 0u8..3, 1u8..20).prop_map(|(i, l, q)| Op::Produce(i, l, q)),
        2 => (0usize..40, 1u8..6).prop_map(|(l, q)| Op::Ship(l, q)),
        1 => (0usize..40, 1u8..4).prop_map(|(l, q)| Op::Scrap(l, q)),
        1 => (0usize..40, 1u8..4).prop_map(|(l, q)| Op::AdjustOut(l, q)),
        1 => (0usize..10).prop_map(Op::ReverseRun),
    ]
}

fn v<T>(r: Result<T, tracelot_core::ValueError>) -> T {
    r.expect("valid test value")
}

fn line(sku: &Sku, lot: &LotCode, qty: u8) -> Line {
    Line { sku: sku.clone(), lot: Some(lot.clone()), units: Units::Quantity(Amount::whole(u64::from(qty))) }
}

fn run(ops: Vec<Op>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::init(&dir.path().join("p.db"), SqliteOptions::default()).expect("init");
    let user = v(UserName::parse("prop"));
    let post = |command: Command, reason: Option<&str>| {
        let mut request = Request::new(command);
        request.reason = reason.map(str::to_owned);
        store.submit(Transaction { request, user: user.clone() })
    };
    let at = PlaceRef::from(v(LocationPath::parse("PLANT")));
    let skus: Vec<Sku> = ["RAW", "MID", "FIN", "PACK"].iter().map(|s| v(Sku::parse(s))).collect();
    post(
        Command::DefineLocation {
            path: v(LocationPath::parse("PLANT")),
            kind: LocationKind::Internal,
            time_zone: None,
        },
        None,
    )
    .expect("location");
    post(
        Command::DefinePartner {
            code: v(PartnerCode::parse("C1")),
            name: "C1".into(),
            kind: LocationKind::Customer,
            min_shelf_life_days: None,
        },
        None,
    )
    .expect("customer");
    for s in &skus {
        post(Command::DefineItem(ItemSpec::new(s.clone(), s.to_string(), Tracking::Lot)), None).expect("item");
    }
    let mut lots: Vec<(Sku, LotCode)> = Vec::new();
    for i in 0..3 {
        let lot = v(LotCode::parse(&format!("R{i}")));
        let rcv = Command::Receive {
            from: None,
            to: at.clone(),
            lines: vec![ReceiveLine {
                sku: skus[0].clone(),
                lot: Some(lot.clone()),
                details: LotDetails::default(),
                status: None,
                units: ReceiveUnits::Quantity(Amount::whole(60)),
            }],
        };
        post(rcv, None).expect("receive");
        lots.push((skus[0].clone(), lot));
    }
    let mut runs = Vec::new();
    for (n, o) in ops.into_iter().enumerate() {
        let pick = |i: usize| lots[i % lots.len()].clone();
        match o {
            Op::Produce(inputs, level, qty) => {
                let consume: Vec<Line> = inputs
                    .iter()
                    .map(|(i, q)| {
                        let (s, l) = pick(*i);
                        line(&s, &l, *q)
                    })
                    .collect();
                let out_lot = v(LotCode::parse(&format!("P{n}")));
                let out_sku = skus[1 + usize::from(level)].clone();
                let output = vec![ReceiveLine {
                    sku: out_sku.clone(),
                    lot: Some(out_lot.clone()),
                    details: LotDetails::default(),
                    status: None,
                    units: ReceiveUnits::Quantity(Amount::whole(u64::from(qty))),
                }];
                if let Ok(p) = post(Command::Produce { at: at.clone(), consume, output }, None) {
                    lots.push((out_sku, out_lot));
                    runs.push(p.id);
                }
            }
            Op::Ship(i, q) => {
                let (s, l) = pick(i);
                let _ = post(
                    Command::Ship {
                        from: at.clone(),
                        to: PlaceRef::from(v(LocationPath::parse("C1"))),
                        lines: vec![line(&s, &l, q)],
                        allow_expired: false,
                        allow_short_shelf_life: false,
                    },
                    None,
                );
            }
            Op::Scrap(i, q) => {
                let (s, l) = pick(i);
                let _ = post(Command::Scrap { at: at.clone(), lines: vec![line(&s, &l, q)] }, None);
            }
            Op::AdjustOut(i, q) => {
                let (s, l) = pick(i);
                let _ = post(
                    Command::Adjust { at: at.clone(), direction: AdjustDirection::Out, lines: vec![line(&s, &l, q)] },
                    Some("damaged"),
                );
            }
            Op::ReverseRun(i) => {
                if let Some(id) = runs.get(i) {
                    let _ = post(Command::Reverse { tx: *id }, Some("entered in error"));
                }
            }
        }
    }
    let unit = |(s, l): &(Sku, LotCode)| Unit { sku: s.clone(), lot: Some(l.clone()), serial: None };
    let reach = |u: &Unit, d: Direction| -> BTreeSet<Unit> {
        tracelot_reports::trace(&store, u.clone(), d).expect("trace").units.into_iter().map(|t| t.unit).collect()
    };
    let forward: Vec<BTreeSet<Unit>> = lots.iter().map(|l| reach(&unit(l), Direction::Forward)).collect();
    let indexed = SqliteStore::open(
        &dir.path().join("p.db"),
        SqliteOptions { genealogy_index: true, ..SqliteOptions::default() },
    )
    .expect("second store");
    for l in &lots {
        same_answers(&store, &indexed, &unit(l));
    }
    let backward: Vec<BTreeSet<Unit>> = lots.iter().map(|l| reach(&unit(l), Direction::Backward)).collect();
    for (i, x) in lots.iter().enumerate() {
        for (j, y) in lots.iter().enumerate() {
            let x_in_fwd_y = forward[j].contains(&unit(x));
            let y_in_back_x = backward[i].contains(&unit(y));
            assert_eq!(
                x_in_fwd_y, y_in_back_x,
                "{x:?} in forward({y:?}) = {x_in_fwd_y}, {y:?} in backward({x:?}) = {y_in_back_x}"
            );
        }
        let b = tracelot_reports::mass_balance(&store, &x.0, &x.1).expect("balance");
        assert!(b.closes(), "{x:?}: {}", b.table());
    }
    assert!(store.verify().expect("verify").is_ok());
}

/// The in-memory genealogy index answers exactly what the SQL queries answer.
fn same_answers(sql: &SqliteStore, indexed: &SqliteStore, u: &Unit) {
    for d in [Direction::Forward, Direction::Backward] {
        let a = serde_json::to_value(tracelot_reports::trace(sql, u.clone(), d).expect("sql trace")).expect("json");
        let b =
            serde_json::to_value(tracelot_reports::trace(indexed, u.clone(), d).expect("indexed trace")).expect("json");
        assert_eq!(a, b, "{u:?} {d:?}");
    }
}

#[test]
fn the_genealogy_index_matches_sql_with_serials_assemblies_and_reversals() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("a.db");
    let store = SqliteStore::init(&path, SqliteOptions::default()).expect("init");
    let indexed =
        SqliteStore::open(&path, SqliteOptions { genealogy_index: true, ..SqliteOptions::default() }).expect("open");
    let user = v(UserName::parse("t"));
    let post = |json: serde_json::Value, reason: Option<&str>| {
        let command: Command = serde_json::from_value(json).expect("command");
        let mut request = Request::new(command);
        request.reason = reason.map(str::to_owned);
        store.submit(Transaction { request, user: user.clone() }).expect("post")
    };
    post(serde_json::json!({"type": "define_location", "path": "LINE", "kind": "internal"}), None);
    post(serde_json::json!({"type": "define_partner", "code": "B", "name": "B", "kind": "customer"}), None);
    for (sku, tracking) in
        [("BOARD", "serial"), ("CELL", "lot_serial"), ("DEVICE", "serial"), ("GLUE", "none"), ("SCREW", "lot")]
    {
        post(
            serde_json::json!({"type": "define_item", "sku": sku, "name": sku, "tracking": tracking, "uom": "ea", "scale": 0}),
            None,
        );
    }
    post(
        serde_json::json!({"type": "receive", "to": "LINE", "lines": [{"sku": "BOARD", "units": {"serials": ["P1", "P2", "P3"]}}]}),
        None,
    );
    post(
        serde_json::json!({"type": "receive", "to": "LINE", "lines": [{"sku": "CELL", "lot": "C7", "units": {"serials": ["B1", "B2", "B3"]}}]}),
        None,
    );
    post(
        serde_json::json!({"type": "receive", "to": "LINE", "lines": [{"sku": "GLUE", "units": {"quantity": "50"}}]}),
        None,
    );
    let mut runs = Vec::new();
    for (board, device) in [("P1", "D1"), ("P2", "D2"), ("P3", "D3")] {
        let p = post(
            serde_json::json!({"type": "produce", "at": "LINE",
            "consume": [{"sku": "BOARD", "units": {"serials": [board]}}, {"sku": "GLUE", "units": {"quantity": "2"}}, {"sku": "GLUE", "units": {"quantity": "1"}}],
            "output": [{"sku": "DEVICE", "units": {"serials": [device]}}]}),
            None,
        );
        runs.push(p.id);
    }
    post(
        serde_json::json!({"type": "assemble", "parent_sku": "DEVICE", "parent_serial": "D1", "install": [{"sku": "CELL", "units": {"serials": ["B1", "B2"]}}], "from": "LINE"}),
        None,
    );
    post(
        serde_json::json!({"type": "assemble", "parent_sku": "DEVICE", "parent_serial": "D1", "remove": [{"sku": "CELL", "units": {"serials": ["B2"]}}], "to": "QUARANTINE"}),
        None,
    );
    // Lot-tracked screws fitted by quantity, some of them relabelled first.
    post(
        serde_json::json!({"type": "receive", "to": "LINE", "lines": [{"sku": "SCREW", "lot": "S9", "units": {"quantity": "20"}}]}),
        None,
    );
    post(
        serde_json::json!({"type": "relabel", "at": "LINE", "sku": "SCREW", "from_lot": "S9", "to_lot": "S10", "quantity": "5"}),
        Some("internal lot"),
    );
    post(
        serde_json::json!({"type": "assemble", "parent_sku": "DEVICE", "parent_serial": "D2", "install": [
            {"sku": "SCREW", "lot": "S9", "units": {"quantity": "3"}}, {"sku": "SCREW", "lot": "S10", "units": {"quantity": "2"}}], "from": "LINE"}),
        None,
    );
    post(
        serde_json::json!({"type": "ship", "from": "LINE", "to": "B", "lines": [{"sku": "DEVICE", "units": {"serials": ["D1", "D2"]}}]}),
        None,
    );
    post(
        serde_json::json!({"type": "return", "from": "B", "to": "LINE", "lines": [{"sku": "DEVICE", "units": {"serials": ["D2"]}}]}),
        Some("dead on arrival"),
    );
    post(serde_json::json!({"type": "reverse", "tx": runs[2].to_string()}), Some("entered in error"));
    let unit = |sku: &str, lot: Option<&str>, serial: Option<&str>| Unit {
        sku: v(Sku::parse(sku)),
        lot: lot.map(|l| v(LotCode::parse(l))),
        serial: serial.map(|s| v(tracelot_core::Serial::parse(s))),
    };
    let all = [
        unit("CELL", Some("C7"), None),
        unit("CELL", None, Some("B1")),
        unit("CELL", None, Some("B2")),
        unit("BOARD", None, Some("P1")),
        unit("BOARD", None, Some("P3")),
        unit("DEVICE", None, Some("D1")),
        unit("DEVICE", None, Some("D2")),
        unit("SCREW", Some("S9"), None),
        unit("SCREW", Some("S10"), None),
    ];
    for u in &all {
        same_answers(&store, &indexed, u);
    }
    // New writes reach the index on the next query.
    post(
        serde_json::json!({"type": "ship", "from": "LINE", "to": "B", "lines": [{"sku": "DEVICE", "units": {"serials": ["D2"]}}]}),
        None,
    );
    for u in &all {
        same_answers(&store, &indexed, u);
    }
    let t = tracelot_reports::trace(&indexed, unit("CELL", Some("C7"), None), Direction::Forward).expect("trace");
    assert!(
        t.units.iter().any(|x| x.unit == unit("DEVICE", None, Some("D1"))),
        "a cell lot reaches the device it is in"
    );
    let screws = tracelot_reports::trace(&indexed, unit("SCREW", Some("S9"), None), Direction::Forward).expect("trace");
    for reached in [unit("SCREW", Some("S10"), None), unit("DEVICE", None, Some("D2"))] {
        assert!(screws.units.iter().any(|x| x.unit == reached), "a screw lot reaches {reached:?}");
    }
    let back = tracelot_reports::trace(&indexed, unit("DEVICE", None, Some("D3")), Direction::Backward).expect("trace");
    assert_eq!(back.units.len(), 1, "the reversed run links nothing");
}

fn cases() -> u32 {
    std::env::var("TRACELOT_TRACE_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(24)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn traces_are_symmetric_and_every_mass_balance_closes(ops in proptest::collection::vec(op(), 5..40)) {
        run(ops);
    }
}
