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
    post(Command::DefineLocation { path: v(LocationPath::parse("PLANT")), kind: LocationKind::Internal }, None)
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
