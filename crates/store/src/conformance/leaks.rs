//! The leak hunt: random returns, transfers, releases, arrivals, counts,
//! productions, relabels, assembly changes, shipments and status changes
//! against held, recalled and rejected lots and serials. After every
//! command that posts, each of its movements is checked: stock that was
//! blocked before the command went only where blocked stock may go
//! (quarantine, transit, scrap, the supplier, a write-off), no unit
//! holding a blocked component left for a customer or production, and no
//! recall or rejection was undone by a plain status change.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use tracelot_core::command::{Counted, Direction, Line, ReceiveLine, ReceiveUnits};
use tracelot_core::{Command, LocationKind, LocationPath, LotDetails, LotStatus, Request, TxId};

use super::{Ctx, Factory, amount, lot, place, qty_line, receive, serial, serial_line, sku};
use crate::Posted;

const LOTS: [&str; 3] = ["K1", "K2", "K3"];
const SERIALS: [&str; 4] = ["S1", "S2", "S3", "S4"];
const COMPONENTS: [&str; 3] = ["B1", "B2", "B3"];
const PLACES: [&str; 5] = ["WH/A", "WH/B", "QUARANTINE", "TRANSIT/T", "C1"];
const STATUSES: [LotStatus; 4] = [LotStatus::Released, LotStatus::OnHold, LotStatus::Recalled, LotStatus::Rejected];

#[derive(Debug, Clone, Copy)]
enum How {
    Transfer,
    Release,
    Ship,
    Return,
}

#[derive(Debug, Clone)]
enum Op {
    MoveLot {
        lot: usize,
        qty: i64,
        from: usize,
        to: usize,
        how: How,
    },
    MoveSerial {
        unit: usize,
        to: usize,
        how: How,
    },
    Count {
        lot: usize,
        at: usize,
        counted: i64,
    },
    Produce {
        lot: usize,
        at: usize,
    },
    Relabel {
        lot: usize,
        at: usize,
    },
    FoundLot {
        lot: usize,
        at: usize,
    },
    Remove {
        component: usize,
        to: usize,
    },
    Install {
        component: usize,
        parent: usize,
    },
    /// The arrival of an earlier dispatch into transit: with all it sent
    /// (`whole`), or with nothing (all written off).
    Arrive {
        pick: usize,
        to: usize,
        whole: bool,
    },
    Status {
        target: usize,
        status: usize,
    },
}

fn how() -> impl Strategy<Value = How> {
    prop_oneof![Just(How::Transfer), Just(How::Release), Just(How::Ship), Just(How::Return)]
}

fn ops() -> impl Strategy<Value = Op> {
    let place = 0..PLACES.len();
    prop_oneof![
        // Mostly from WH/A, where the lots are, so that most attempts reach
        // the rules about their status rather than stopping at "not there".
        4 => (0..3usize, 1..30i64, prop_oneof![3 => Just(0usize), 2 => place.clone()], place.clone(), how())
            .prop_map(|(lot, qty, from, to, how)| Op::MoveLot { lot, qty, from, to, how }),
        4 => (0..7usize, place.clone(), how()).prop_map(|(unit, to, how)| Op::MoveSerial { unit, to, how }),
        1 => (0..3usize, 0..3usize, 0..80i64).prop_map(|(lot, at, counted)| Op::Count { lot, at, counted }),
        1 => (0..3usize, 0..2usize).prop_map(|(lot, at)| Op::Produce { lot, at }),
        1 => (0..3usize, 0..3usize).prop_map(|(lot, at)| Op::Relabel { lot, at }),
        1 => (0..3usize, 0..2usize).prop_map(|(lot, at)| Op::FoundLot { lot, at }),
        1 => (0..3usize, 0..3usize).prop_map(|(component, to)| Op::Remove { component, to }),
        1 => (0..3usize, 0..4usize).prop_map(|(component, parent)| Op::Install { component, parent }),
        2 => (any::<usize>(), 0..3usize, any::<bool>()).prop_map(|(pick, to, whole)| Op::Arrive { pick, to, whole }),
        2 => (0..10usize, 0..4usize).prop_map(|(target, status)| Op::Status { target, status }),
    ]
}

/// A unit by item and number: SER S1..S4, then LS B1..B3.
fn unit(i: usize) -> (&'static str, &'static str) {
    match SERIALS.get(i) {
        Some(s) => ("SER", s),
        None => ("LS", COMPONENTS.get(i.saturating_sub(SERIALS.len())).copied().unwrap_or("B1")),
    }
}

fn moving(how: How, from: &str, to: &str, line: Line) -> Command {
    let lines = vec![line];
    match how {
        How::Transfer => Command::Transfer { from: place(from), to: place(to), lines },
        How::Release => Command::Release { from: place(from), to: place(to), lines },
        How::Ship => Command::Ship {
            from: place(from),
            to: place(to),
            lines,
            allow_expired: false,
            allow_short_shelf_life: false,
        },
        How::Return => Command::Return { from: place(from), to: place(to), lines },
    }
}

fn assemble(parent: &str, install: Vec<Line>, remove: Vec<Line>, to: &str) -> Command {
    Command::Assemble {
        parent_sku: sku("SER"),
        parent_serial: serial(parent),
        install,
        remove,
        from: Some(place("WH/A")),
        to: Some(place(to)),
    }
}

/// What is blocked before a command: lots and units by status, and units
/// whose lot is blocked.
struct Blocked {
    lots: BTreeSet<(String, String)>,
    units: BTreeSet<(String, String)>,
    statuses: BTreeMap<(String, String), LotStatus>,
}

fn blocked(c: &Ctx) -> Blocked {
    let mut b = Blocked { lots: BTreeSet::new(), units: BTreeSet::new(), statuses: BTreeMap::new() };
    for (s, l) in LOTS.iter().map(|l| ("LOTTED", *l)).chain([("LS", "L1")]) {
        let row = c.store.lot(&sku(s), &lot(l)).expect("lot").expect("exists");
        b.statuses.insert((s.to_owned(), l.to_owned()), row.status);
        if row.status.is_blocked() {
            b.lots.insert((s.to_owned(), l.to_owned()));
        }
    }
    for i in 0..SERIALS.len() + COMPONENTS.len() {
        let (s, n) = unit(i);
        let w = c.store.where_is(&sku(s), &serial(n)).expect("where").expect("known");
        b.statuses.insert((s.to_owned(), n.to_owned()), w.status);
        let lot_blocked = w.lot.is_some_and(|l| b.lots.contains(&(s.to_owned(), l.to_string())));
        if w.status.is_blocked() || lot_blocked {
            b.units.insert((s.to_owned(), n.to_owned()));
        }
    }
    b
}

/// The components installed in a parent now.
fn components(c: &Ctx, parent: &str) -> BTreeSet<(String, String)> {
    let mut now = BTreeMap::new();
    for e in c.store.assembly_events(&sku("SER"), &serial(parent)).expect("events") {
        if e.parent.serial.as_ref().is_some_and(|p| p.as_str() == parent) {
            let key = (e.component.sku.to_string(), e.component.serial.map(|s| s.to_string()).unwrap_or_default());
            now.insert(key, e.installed);
        }
    }
    now.into_iter().filter(|(_, installed)| *installed).map(|(k, _)| k).collect()
}

fn check(c: &Ctx, before: &Blocked, op: &Op, posted: &Posted) {
    let moves = c.store.transaction_movements(&posted.id).expect("movements");
    for m in &moves {
        let lot_blocked = m.lot.as_ref().is_some_and(|l| before.lots.contains(&(m.sku.to_string(), l.to_string())));
        let unit_blocked =
            m.serial.as_ref().is_some_and(|s| before.units.contains(&(m.sku.to_string(), s.to_string())));
        assert!(
            !(lot_blocked || unit_blocked) || m.to_kind.takes_blocked_stock(),
            "{op:?} moved blocked {} {:?} {:?} from {} to {} ({})",
            m.sku,
            m.lot,
            m.serial,
            m.from,
            m.to,
            m.to_kind.as_str()
        );
        let leaving = matches!(m.to_kind, LocationKind::Customer | LocationKind::Production);
        if let (true, Some(s)) = (leaving && m.sku.as_str() == "SER", &m.serial) {
            let held: Vec<_> = components(c, s.as_str()).into_iter().filter(|k| before.units.contains(k)).collect();
            assert!(held.is_empty(), "{op:?}: SER {s} left for {} holding blocked {held:?}", m.to);
        }
    }
    if let Op::Status { target, status } = op {
        let key = status_target(*target);
        let was = before.statuses.get(&(key.0.to_owned(), key.1.to_owned())).copied();
        let now = STATUSES.get(*status).copied();
        for sealed in [LotStatus::Recalled, LotStatus::Rejected] {
            assert!(!(was == Some(sealed) && now != Some(sealed)), "{op:?} undid {sealed:?} without a closure");
        }
    }
}

/// Status targets: the three LOTTED lots, then the seven units.
fn status_target(i: usize) -> (&'static str, &'static str) {
    match LOTS.get(i) {
        Some(l) => ("LOTTED", l),
        None => unit(i.saturating_sub(LOTS.len())),
    }
}

fn command(c: &Ctx, op: &Op, dispatches: &[(TxId, Line)], made: &mut usize) -> Option<Command> {
    let at = |i: usize| PLACES.get(i).copied().unwrap_or("WH/A");
    let lot_line = |l: usize, q: i64| qty_line("LOTTED", LOTS.get(l).copied(), &q.to_string());
    Some(match op {
        Op::MoveLot { lot: l, qty, from, to, how } => moving(*how, at(*from), at(*to), lot_line(*l, *qty)),
        Op::MoveSerial { unit: u, to, how, .. } => {
            // From where the unit is, so that most attempts reach the rules
            // about its status rather than stopping at "not there".
            let (s, n) = unit(*u);
            let here = c.store.where_is(&sku(s), &serial(n)).ok()??.location?;
            let from = if here.as_str().starts_with("CUSTOMERS/") { "C1".to_owned() } else { here.to_string() };
            moving(*how, &from, at(*to), serial_line(s, &[n]))
        }
        Op::Count { lot: l, at: a, counted } => Command::Count {
            at: place(at(*a)),
            sku: sku("LOTTED"),
            lot: LOTS.get(*l).map(|x| lot(x)),
            counted: Counted::Quantity(amount(&counted.to_string())),
        },
        Op::Produce { lot: l, at: a } => {
            *made = made.saturating_add(1);
            Command::Produce {
                at: place(at(*a)),
                consume: vec![lot_line(*l, 5)],
                output: vec![ReceiveLine {
                    sku: sku("PLAIN"),
                    lot: None,
                    details: LotDetails::default(),
                    status: None,
                    units: ReceiveUnits::Quantity(amount("1")),
                }],
            }
        }
        Op::Relabel { lot: l, at: a } => {
            *made = made.saturating_add(1);
            Command::Relabel {
                at: place(at(*a)),
                sku: sku("LOTTED"),
                from_lot: lot(LOTS.get(*l).copied().unwrap_or("K1")),
                to_lot: lot(&format!("R{made}")),
                quantity: amount("3"),
                details: LotDetails::default(),
            }
        }
        Op::FoundLot { lot: l, at: a } => {
            Command::Adjust { at: place(at(*a)), direction: Direction::In, lines: vec![lot_line(*l, 2)] }
        }
        Op::Remove { component, to } => {
            let n = COMPONENTS.get(*component).copied().unwrap_or("B1");
            let parent = components_parent(c, n)?;
            assemble(&parent, Vec::new(), vec![serial_line("LS", &[n])], at(*to))
        }
        Op::Install { component, parent } => {
            let n = COMPONENTS.get(*component).copied().unwrap_or("B1");
            let p = SERIALS.get(*parent).copied().unwrap_or("S1");
            assemble(p, vec![serial_line("LS", &[n])], Vec::new(), "WH/A")
        }
        Op::Arrive { pick, to, whole } => {
            let (dispatch, line) = dispatches.get(pick.checked_rem(dispatches.len())?)?;
            let lines = if *whole { vec![line.clone()] } else { Vec::new() };
            Command::Arrive { dispatch: *dispatch, to: place(at(*to)), lines }
        }
        Op::Status { target, status } => {
            let (s, n) = status_target(*target);
            let status = STATUSES.get(*status).copied().unwrap_or(LotStatus::Released);
            if s == "LOTTED" {
                Command::SetLotStatus { sku: sku(s), lot: lot(n), status }
            } else {
                Command::SetSerialStatus { sku: sku(s), serials: vec![serial(n)], status }
            }
        }
    })
}

fn components_parent(c: &Ctx, component: &str) -> Option<String> {
    SERIALS.iter().find(|p| components(c, p).contains(&("LS".to_owned(), component.to_owned()))).map(|p| p.to_string())
}

fn setup(c: &Ctx) {
    c.standard();
    let transit = LocationPath::parse("TRANSIT/T").expect("path");
    c.ok(Command::DefineLocation { path: transit, kind: LocationKind::Transit, time_zone: None });
    for l in LOTS {
        c.ok(receive("WH/A", "LOTTED", Some(l), LotDetails::default(), ReceiveUnits::Quantity(amount("50"))));
    }
    let units = |s: &[&str]| ReceiveUnits::Serials(s.iter().map(|x| serial(x)).collect());
    c.ok(receive("WH/A", "SER", None, LotDetails::default(), units(&SERIALS)));
    c.ok(receive("WH/A", "LS", Some("L1"), LotDetails::default(), units(&COMPONENTS)));
    c.ok(assemble("S1", vec![serial_line("LS", &["B1"])], Vec::new(), "WH/A"));
    let because = "leak hunt";
    c.ok_because(Command::SetLotStatus { sku: sku("LOTTED"), lot: lot("K1"), status: LotStatus::OnHold }, because);
    c.ok_because(Command::SetLotStatus { sku: sku("LOTTED"), lot: lot("K2"), status: LotStatus::Recalled }, because);
    c.ok_because(
        Command::SetSerialStatus { sku: sku("SER"), serials: vec![serial("S2")], status: LotStatus::OnHold },
        because,
    );
    c.ok_because(Command::SetLotStatus { sku: sku("LS"), lot: lot("L1"), status: LotStatus::Recalled }, because);
}

fn run_sequence(factory: &Factory, ops: &[Op]) {
    let fresh = factory();
    let c = Ctx::new(&fresh);
    setup(&c);
    let mut dispatches = Vec::new();
    let mut made = 0;
    for op in ops {
        let Some(cmd) = command(&c, op, &dispatches, &mut made) else { continue };
        let before = blocked(&c);
        let sent = match (&cmd, op) {
            (Command::Transfer { lines, .. } | Command::Release { lines, .. }, Op::MoveLot { to: 3, .. })
            | (Command::Transfer { lines, .. } | Command::Release { lines, .. }, Op::MoveSerial { to: 3, .. }) => {
                lines.first().cloned()
            }
            _ => None,
        };
        let request = Request { reason: Some("leak hunt".into()), ..Request::new(cmd) };
        if let Ok(posted) = c.store.submit(c.tx(request)) {
            check(&c, &before, op, &posted);
            if let Some(line) = sent {
                dispatches.push((posted.id, line));
            }
        }
    }
    assert!(c.store.verify().expect("verify").is_ok());
}

/// Runs `TRACELOT_LEAK_CASES` random sequences (default 24) of up to 40
/// commands each against a ledger with held, recalled and rejected lots
/// and units, shrunk to a minimal sequence on failure.
pub fn held_stock_never_leaks(factory: &Factory) {
    let cases = std::env::var("TRACELOT_LEAK_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24);
    let mut runner =
        TestRunner::new(Config { cases, failure_persistence: None, max_shrink_iters: 200, ..Config::default() });
    let result = runner.run(&proptest::collection::vec(ops(), 1..40), |ops| {
        run_sequence(factory, &ops);
        Ok(())
    });
    if let Err(e) = result {
        panic!("the leak hunt found a path: {e}");
    }
}
