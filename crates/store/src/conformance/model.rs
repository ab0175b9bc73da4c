//! The model-based property test: random command sequences go to the store
//! and to a small in-memory model of the ledger. The model predicts which
//! commands must succeed and what they move; after every step the store's
//! balances must equal the model's, every (item, lot, serial) must sum to
//! zero, no internal balance may be negative, every serial must be in one
//! place, and `verify` must pass.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use tracelot_core::command::{Counted, Direction, ReceiveUnits};
use tracelot_core::{Command, LotDetails, LotStatus, Request, Rule};

use super::{Ctx, Factory, amount, lot, place, qty_line, receive, serial_line, ship, sku};
use crate::{StockQuery, SubmitError};

const ITEMS: [&str; 4] = ["PLAIN", "LOTTED", "SER", "LS"];
const INTERNAL: [&str; 2] = ["WH/A", "WH/B"];
const CUSTOMERS: [&str; 2] = ["C1", "C2"];
const SUPPLIER: &str = "SUPPLIERS/SUP";

#[derive(Debug, Clone)]
enum Op {
    ReceiveQty { item: usize, lot: usize, qty: i64, to: usize },
    ReceiveSerial { item: usize, serial: usize, to: usize },
    TransferQty { item: usize, lot: usize, qty: i64, from: usize, to: usize },
    TransferSerial { item: usize, serial: usize, from: usize, to: usize },
    ShipQty { item: usize, lot: usize, qty: i64, from: usize, cust: usize },
    ShipSerial { item: usize, serial: usize, from: usize, cust: usize },
    ReturnQty { item: usize, lot: usize, qty: i64, cust: usize, to: usize },
    ReturnSerial { item: usize, serial: usize, cust: usize, to: usize },
    AdjustQty { item: usize, lot: usize, qty: i64, at: usize, inward: bool },
    ScrapQty { item: usize, lot: usize, qty: i64, at: usize },
    ScrapSerial { item: usize, serial: usize, at: usize },
    Count { item: usize, lot: usize, at: usize, counted: i64 },
    SetStatus { lot: usize, released: bool },
    Reverse { pick: usize },
    Retry { pick: usize },
    Conflict { pick: usize },
}

fn ops() -> impl Strategy<Value = Op> {
    let qi = 0..2usize; // quantity items: PLAIN, LOTTED
    let si = 2..4usize; // serial items: SER, LS
    prop_oneof![
        3 => (qi.clone(), 0..2usize, 1..20i64, 0..2usize).prop_map(|(item, lot, qty, to)| Op::ReceiveQty { item, lot, qty, to }),
        3 => (si.clone(), 0..5usize, 0..2usize).prop_map(|(item, serial, to)| Op::ReceiveSerial { item, serial, to }),
        2 => (qi.clone(), 0..2usize, 1..15i64, 0..2usize, 0..2usize).prop_map(|(item, lot, qty, from, to)| Op::TransferQty { item, lot, qty, from, to }),
        2 => (si.clone(), 0..5usize, 0..2usize, 0..2usize).prop_map(|(item, serial, from, to)| Op::TransferSerial { item, serial, from, to }),
        2 => (qi.clone(), 0..2usize, 1..15i64, 0..2usize, 0..2usize).prop_map(|(item, lot, qty, from, cust)| Op::ShipQty { item, lot, qty, from, cust }),
        2 => (si.clone(), 0..5usize, 0..2usize, 0..2usize).prop_map(|(item, serial, from, cust)| Op::ShipSerial { item, serial, from, cust }),
        1 => (qi.clone(), 0..2usize, 1..10i64, 0..2usize, 0..2usize).prop_map(|(item, lot, qty, cust, to)| Op::ReturnQty { item, lot, qty, cust, to }),
        1 => (si.clone(), 0..5usize, 0..2usize, 0..2usize).prop_map(|(item, serial, cust, to)| Op::ReturnSerial { item, serial, cust, to }),
        1 => (qi.clone(), 0..2usize, 1..10i64, 0..2usize, any::<bool>()).prop_map(|(item, lot, qty, at, inward)| Op::AdjustQty { item, lot, qty, at, inward }),
        1 => (qi.clone(), 0..2usize, 1..10i64, 0..2usize).prop_map(|(item, lot, qty, at)| Op::ScrapQty { item, lot, qty, at }),
        1 => (si, 0..5usize, 0..2usize).prop_map(|(item, serial, at)| Op::ScrapSerial { item, serial, at }),
        1 => (qi, 0..2usize, 0..2usize, 0..25i64).prop_map(|(item, lot, at, counted)| Op::Count { item, lot, at, counted }),
        1 => (0..2usize, any::<bool>()).prop_map(|(lot, released)| Op::SetStatus { lot, released }),
        2 => any::<usize>().prop_map(|pick| Op::Reverse { pick }),
        1 => any::<usize>().prop_map(|pick| Op::Retry { pick }),
        1 => any::<usize>().prop_map(|pick| Op::Conflict { pick }),
    ]
}

/// (sku, lot, serial) of a balance, without the location.
type Unit = (&'static str, Option<String>, Option<String>);

#[derive(Debug, Clone)]
struct Mv {
    unit: Unit,
    from: String,
    to: String,
    qty: i64,
}

struct PostedTx {
    request: Request,
    seq: i64,
    moves: Vec<Mv>,
    reversed: bool,
    is_reversal: bool,
}

#[derive(Default)]
struct Model {
    balances: BTreeMap<(Unit, String), i64>,
    lots: BTreeSet<(&'static str, String)>,
    released: BTreeMap<String, bool>,
    posted: Vec<PostedTx>,
}

fn lot_of(item: usize, lot: usize) -> Option<String> {
    match item {
        1 => Some(["L1", "L2"][lot % 2].to_owned()),
        3 => Some("X1".to_owned()),
        _ => None,
    }
}

fn serial_of(item: usize, serial: usize) -> String {
    if item == 2 { format!("S{serial}") } else { format!("T{serial}") }
}

fn cust_path(c: usize) -> String {
    format!("CUSTOMERS/{}", CUSTOMERS[c])
}

fn is_internal(path: &str) -> bool {
    path.starts_with("WH/")
}

impl Model {
    fn bal(&self, unit: &Unit, loc: &str) -> i64 {
        self.balances.get(&(unit.clone(), loc.to_owned())).copied().unwrap_or(0)
    }

    fn serial_at(&self, unit: &Unit) -> Option<String> {
        self.balances.iter().find(|((u, _), q)| u == unit && **q > 0).map(|((_, l), _)| l.clone())
    }

    fn lot_ok(&self, item: usize, lot: &Option<String>) -> bool {
        lot.as_ref().is_none_or(|l| self.lots.contains(&(ITEMS[item], l.clone())))
    }

    fn shippable(&self, lot: &Option<String>) -> bool {
        lot.as_ref().is_none_or(|l| self.released.get(l).copied().unwrap_or(true))
    }

    /// A stored lot on hold, whose stock may not come into a bin.
    fn held(&self, item: usize, lot: &Option<String>) -> bool {
        lot.as_ref().is_some_and(|l| self.lots.contains(&(ITEMS[item], l.clone())) && !self.shippable(&Some(l.clone())))
    }

    /// Whether the moves, applied in order, keep every constraint.
    fn allows(&self, moves: &[Mv]) -> bool {
        let mut next = self.balances.clone();
        for m in moves {
            *next.entry((m.unit.clone(), m.from.clone())).or_default() -= m.qty;
            *next.entry((m.unit.clone(), m.to.clone())).or_default() += m.qty;
        }
        let mut held: BTreeMap<&Unit, usize> = BTreeMap::new();
        for ((unit, loc), q) in &next {
            if is_internal(loc) && *q < 0 {
                return false;
            }
            if unit.2.is_some() {
                if !(-1..=1).contains(q) {
                    return false;
                }
                if *q > 0 {
                    *held.entry(unit).or_default() += 1;
                }
            }
        }
        held.values().all(|n| *n <= 1)
    }

    fn apply(&mut self, moves: &[Mv]) {
        for m in moves {
            *self.balances.entry((m.unit.clone(), m.from.clone())).or_default() -= m.qty;
            *self.balances.entry((m.unit.clone(), m.to.clone())).or_default() += m.qty;
        }
        self.balances.retain(|_, q| *q != 0);
    }
}

/// What the model predicts: the command, its reason, and the moves it must
/// make (`None`: it must be refused).
struct Step {
    command: Command,
    reason: Option<&'static str>,
    expect: Option<Vec<Mv>>,
    creates_lot: Option<(&'static str, String)>,
    status: Option<(String, bool)>,
}

fn mv(unit: &Unit, from: &str, to: &str, qty: i64) -> Vec<Mv> {
    vec![Mv { unit: unit.clone(), from: from.to_owned(), to: to.to_owned(), qty }]
}

fn predict(m: &Model, op: &Op) -> Option<Step> {
    let step = |command, reason, expect| Some(Step { command, reason, expect, creates_lot: None, status: None });
    let qty_unit = |item: usize, lot: usize| (ITEMS[item], lot_of(item, lot), None);
    let serial_unit = |item: usize, s: usize| (ITEMS[item], lot_of(item, 0), Some(serial_of(item, s)));
    let serial_cmd_line = |item: usize, s: usize| serial_line(ITEMS[item], &[&serial_of(item, s)]);
    match *op {
        Op::ReceiveQty { item, lot, qty, to } => {
            let u = qty_unit(item, lot);
            let cmd = receive(
                INTERNAL[to],
                ITEMS[item],
                u.1.as_deref(),
                LotDetails::default(),
                ReceiveUnits::Quantity(amount(&qty.to_string())),
            );
            let creates = u.1.clone().map(|l| (ITEMS[item], l));
            Some(Step {
                command: cmd,
                reason: None,
                expect: (!m.held(item, &u.1)).then(|| mv(&u, SUPPLIER, INTERNAL[to], qty)),
                creates_lot: creates,
                status: None,
            })
        }
        Op::ReceiveSerial { item, serial, to } => {
            let u = serial_unit(item, serial);
            let cmd = receive(
                INTERNAL[to],
                ITEMS[item],
                u.1.as_deref(),
                LotDetails::default(),
                ReceiveUnits::Serials(vec![super::serial(&serial_of(item, serial))]),
            );
            let ok = m.serial_at(&u).is_none();
            let creates = u.1.clone().map(|l| (ITEMS[item], l));
            Some(Step {
                command: cmd,
                reason: None,
                expect: ok.then(|| mv(&u, SUPPLIER, INTERNAL[to], 1)),
                creates_lot: creates,
                status: None,
            })
        }
        Op::TransferQty { item, lot, qty, from, to } => {
            let u = qty_unit(item, lot);
            let ok = from != to && m.lot_ok(item, &u.1) && !m.held(item, &u.1) && m.bal(&u, INTERNAL[from]) >= qty;
            let cmd = Command::Transfer {
                from: place(INTERNAL[from]),
                to: place(INTERNAL[to]),
                lines: vec![qty_line(ITEMS[item], u.1.as_deref(), &qty.to_string())],
            };
            step(cmd, None, ok.then(|| mv(&u, INTERNAL[from], INTERNAL[to], qty)))
        }
        Op::TransferSerial { item, serial, from, to } => {
            let u = serial_unit(item, serial);
            let ok = from != to && m.serial_at(&u).as_deref() == Some(INTERNAL[from]);
            let cmd = Command::Transfer {
                from: place(INTERNAL[from]),
                to: place(INTERNAL[to]),
                lines: vec![serial_cmd_line(item, serial)],
            };
            step(cmd, None, ok.then(|| mv(&u, INTERNAL[from], INTERNAL[to], 1)))
        }
        Op::ShipQty { item, lot, qty, from, cust } => {
            let u = qty_unit(item, lot);
            let ok = m.lot_ok(item, &u.1) && m.shippable(&u.1) && m.bal(&u, INTERNAL[from]) >= qty;
            let cmd = ship(INTERNAL[from], CUSTOMERS[cust], qty_line(ITEMS[item], u.1.as_deref(), &qty.to_string()));
            step(cmd, None, ok.then(|| mv(&u, INTERNAL[from], &cust_path(cust), qty)))
        }
        Op::ShipSerial { item, serial, from, cust } => {
            let u = serial_unit(item, serial);
            let ok = m.serial_at(&u).as_deref() == Some(INTERNAL[from]) && m.shippable(&u.1);
            let cmd = ship(INTERNAL[from], CUSTOMERS[cust], serial_cmd_line(item, serial));
            step(cmd, None, ok.then(|| mv(&u, INTERNAL[from], &cust_path(cust), 1)))
        }
        Op::ReturnQty { item, lot, qty, cust, to } => {
            let u = qty_unit(item, lot);
            let ok = m.lot_ok(item, &u.1) && !m.held(item, &u.1) && m.bal(&u, &cust_path(cust)) >= qty;
            let cmd = Command::Return {
                from: place(CUSTOMERS[cust]),
                to: place(INTERNAL[to]),
                lines: vec![qty_line(ITEMS[item], u.1.as_deref(), &qty.to_string())],
            };
            step(cmd, Some("damaged"), ok.then(|| mv(&u, &cust_path(cust), INTERNAL[to], qty)))
        }
        Op::ReturnSerial { item, serial, cust, to } => {
            let u = serial_unit(item, serial);
            let ok = m.serial_at(&u) == Some(cust_path(cust));
            let cmd = Command::Return {
                from: place(CUSTOMERS[cust]),
                to: place(INTERNAL[to]),
                lines: vec![serial_cmd_line(item, serial)],
            };
            step(cmd, Some("warranty"), ok.then(|| mv(&u, &cust_path(cust), INTERNAL[to], 1)))
        }
        Op::AdjustQty { item, lot, qty, at, inward } => {
            let u = qty_unit(item, lot);
            let (dir, from, to) = if inward {
                (Direction::In, "ADJUSTMENT", INTERNAL[at])
            } else {
                (Direction::Out, INTERNAL[at], "ADJUSTMENT")
            };
            let ok =
                m.lot_ok(item, &u.1) && (if inward { !m.held(item, &u.1) } else { m.bal(&u, INTERNAL[at]) >= qty });
            let cmd = Command::Adjust {
                at: place(INTERNAL[at]),
                direction: dir,
                lines: vec![qty_line(ITEMS[item], u.1.as_deref(), &qty.to_string())],
            };
            step(cmd, Some("cycle"), ok.then(|| mv(&u, from, to, qty)))
        }
        Op::ScrapQty { item, lot, qty, at } => {
            let u = qty_unit(item, lot);
            let ok = m.lot_ok(item, &u.1) && m.bal(&u, INTERNAL[at]) >= qty;
            let cmd = Command::Scrap {
                at: place(INTERNAL[at]),
                lines: vec![qty_line(ITEMS[item], u.1.as_deref(), &qty.to_string())],
            };
            step(cmd, None, ok.then(|| mv(&u, INTERNAL[at], "SCRAP", qty)))
        }
        Op::ScrapSerial { item, serial, at } => {
            let u = serial_unit(item, serial);
            let ok = m.serial_at(&u).as_deref() == Some(INTERNAL[at]);
            let cmd = Command::Scrap { at: place(INTERNAL[at]), lines: vec![serial_cmd_line(item, serial)] };
            step(cmd, None, ok.then(|| mv(&u, INTERNAL[at], "SCRAP", 1)))
        }
        Op::Count { item, lot, at, counted } => {
            let u = qty_unit(item, lot);
            let diff = counted - m.bal(&u, INTERNAL[at]);
            let moves = match diff {
                0 => Vec::new(),
                d if d > 0 => mv(&u, "ADJUSTMENT", INTERNAL[at], d),
                d => mv(&u, INTERNAL[at], "ADJUSTMENT", -d),
            };
            let cmd = Command::Count {
                at: place(INTERNAL[at]),
                sku: sku(ITEMS[item]),
                lot: u.1.as_deref().map(super::lot),
                counted: Counted::Quantity(amount(&counted.to_string())),
            };
            let ok = m.lot_ok(item, &u.1) && (diff <= 0 || !m.held(item, &u.1));
            step(cmd, Some("cycle count"), ok.then_some(moves))
        }
        Op::SetStatus { lot: l, released } => {
            let code = ["L1", "L2"][l];
            let status = if released { LotStatus::Released } else { LotStatus::OnHold };
            let cmd = Command::SetLotStatus { sku: sku("LOTTED"), lot: lot(code), status };
            let ok = m.lots.contains(&("LOTTED", code.to_owned()));
            Some(Step {
                command: cmd,
                reason: Some("qa"),
                expect: ok.then(Vec::new),
                creates_lot: None,
                status: Some((code.to_owned(), released)),
            })
        }
        Op::Reverse { .. } | Op::Retry { .. } | Op::Conflict { .. } => None,
    }
}

fn run_sequence(factory: &Factory, ops: &[Op]) {
    let fresh = factory();
    let c = Ctx::new(&fresh);
    c.standard();
    let mut m = Model::default();
    for (i, op) in ops.iter().enumerate() {
        match *op {
            Op::Reverse { pick } => reverse(&c, &mut m, pick),
            Op::Retry { pick } if !m.posted.is_empty() => {
                let t = &m.posted[pick % m.posted.len()];
                let before = c.fingerprint();
                let p =
                    c.store.submit(c.tx(t.request.clone())).unwrap_or_else(|e| panic!("step {i}: retry failed: {e}"));
                assert!(p.replayed && p.seq == t.seq, "step {i}: a retry must replay the first result");
                assert_eq!(c.fingerprint(), before, "step {i}: a retry wrote something");
            }
            Op::Conflict { pick } if !m.posted.is_empty() => {
                let t = &m.posted[pick % m.posted.len()];
                let other = Request { reference: Some(format!("other content {i}")), ..t.request.clone() };
                match c.store.submit(c.tx(other)) {
                    Err(SubmitError::Refused(e)) => assert_eq!(e.rule, Rule::IdempotencyConflict, "step {i}"),
                    r => panic!("step {i}: reused id with other content: {r:?}"),
                }
            }
            Op::Retry { .. } | Op::Conflict { .. } => {}
            _ => {
                let Some(s) = predict(&m, op) else { continue };
                let request = Request { reason: s.reason.map(str::to_owned), ..Request::new(s.command) };
                let result = c.store.submit(c.tx(request.clone()));
                match (result, s.expect) {
                    (Ok(p), Some(moves)) => {
                        assert_eq!(p.movements as usize, moves.len(), "step {i}: {op:?}");
                        m.apply(&moves);
                        if let Some(l) = s.creates_lot {
                            m.lots.insert(l);
                        }
                        if let Some((code, released)) = s.status {
                            m.released.insert(code, released);
                        }
                        m.posted.push(PostedTx { request, seq: p.seq, moves, reversed: false, is_reversal: false });
                    }
                    (Err(SubmitError::Refused(_)), None) => {}
                    (r, e) => panic!(
                        "step {i}: {op:?}: store said {r:?}, model expected {}",
                        if e.is_some() { "success" } else { "refusal" }
                    ),
                }
            }
        }
        check(&c, &m, i);
    }
}

fn reverse(c: &Ctx, m: &mut Model, pick: usize) {
    if m.posted.is_empty() {
        return;
    }
    let idx = pick % m.posted.len();
    let t = &m.posted[idx];
    let moves: Vec<Mv> = t
        .moves
        .iter()
        .rev()
        .map(|x| Mv { unit: x.unit.clone(), from: x.to.clone(), to: x.from.clone(), qty: x.qty })
        .collect();
    // A unit is taken back only from where it is now.
    let serials_there =
        moves.iter().all(|x| x.unit.2.is_none() || m.serial_at(&x.unit).as_deref() == Some(x.from.as_str()));
    let ok = !t.is_reversal && !t.reversed && !moves.is_empty() && serials_there && m.allows(&moves);
    let request = Request::new(Command::Reverse { tx: t.request.id });
    match (c.store.submit(c.tx(request.clone())), ok) {
        (Ok(p), true) => {
            m.apply(&moves);
            m.posted[idx].reversed = true;
            m.posted.push(PostedTx { request, seq: p.seq, moves, reversed: false, is_reversal: true });
        }
        (Err(SubmitError::Refused(_)), false) => {}
        (r, ok) => {
            panic!("reversal of {:?}: store said {r:?}, model expected success={ok}", m.posted[idx].request.command)
        }
    }
}

fn check(c: &Ctx, m: &Model, step: usize) {
    let rows = c.store.stock(&StockQuery { include_virtual: true, ..Default::default() }).expect("stock");
    let store: BTreeMap<(String, Option<String>, Option<String>, String), i64> = rows
        .iter()
        .map(|r| {
            (
                (
                    r.sku.to_string(),
                    r.lot.as_ref().map(|l| l.to_string()),
                    r.serial.as_ref().map(|s| s.to_string()),
                    r.location.to_string(),
                ),
                r.units,
            )
        })
        .collect();
    let model: BTreeMap<(String, Option<String>, Option<String>, String), i64> =
        m.balances.iter().map(|((u, loc), q)| ((u.0.to_owned(), u.1.clone(), u.2.clone(), loc.clone()), *q)).collect();
    assert_eq!(store, model, "step {step}: balances differ from the model");
    let mut sums: BTreeMap<(String, Option<String>, Option<String>), i64> = BTreeMap::new();
    let mut held: BTreeMap<(String, String), usize> = BTreeMap::new();
    for ((s, l, ser, loc), q) in &store {
        *sums.entry((s.clone(), l.clone(), ser.clone())).or_default() += q;
        assert!(!is_internal(loc) || *q >= 0, "step {step}: negative internal balance");
        if let Some(ser) = ser
            && *q > 0
        {
            *held.entry((s.clone(), ser.clone())).or_default() += 1;
        }
    }
    assert!(sums.values().all(|s| *s == 0), "step {step}: a unit does not sum to zero: {sums:?}");
    assert!(held.values().all(|n| *n == 1), "step {step}: a serial is in more than one place");
    let v = c.store.verify().expect("verify");
    assert!(v.is_ok(), "step {step}: verify failed: {:?}", v.problems);
}

/// Runs the model-based test: `TRACELOT_MODEL_CASES` sequences (default 32)
/// of up to 40 commands each, shrunk to a minimal failing sequence on error.
pub fn model_based_ledger(factory: &Factory) {
    let cases = std::env::var("TRACELOT_MODEL_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(32);
    let mut runner =
        TestRunner::new(Config { cases, failure_persistence: None, max_shrink_iters: 200, ..Config::default() });
    let result = runner.run(&proptest::collection::vec(ops(), 1..40), |ops| {
        run_sequence(factory, &ops);
        Ok(())
    });
    if let Err(e) = result {
        panic!("model-based ledger test failed: {e}");
    }
}
