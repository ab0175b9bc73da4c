//! An in-memory index of the ledger's genealogy, for long-running servers:
//! production runs, installations and partner movements by unit, so that a
//! trace through tens of thousands of runs is map lookups instead of
//! hundreds of thousands of B-tree probes.
//!
//! It is built on first use and brought up to date before every query by
//! reading only what was committed since (by any process), so it answers
//! exactly what the SQL in [`crate::trace`] answers; a test compares the two
//! on random histories.

use std::sync::Arc;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use jiff::Timestamp;
use rusqlite::Connection;
use tracelot_core::time::from_micros;
use tracelot_core::{LocationKind, LocationPath, LotCode, Scale, Serial, Sku, TxId};
use tracelot_store::{Direction, Link, PartnerMove, Quantity, TraceGraph, Traced, Unit};

use crate::rows::{parsed, scale_at, tx_id};

/// Values by integer id: direct indexing for the dense ids SQLite hands
/// out (millions of lots and serials), a map for any id far beyond them, so
/// an odd id can never make the vector huge.
struct Dense<T> {
    dense: Vec<Option<T>>,
    sparse: HashMap<i64, T>,
}

impl<T> Default for Dense<T> {
    fn default() -> Self {
        Dense { dense: Vec::new(), sparse: HashMap::default() }
    }
}

/// How far past the dense part an id may land and still extend it.
const DENSE_SLACK: usize = 1 << 20;

impl<T> Dense<T> {
    fn get(&self, id: i64) -> Option<&T> {
        match usize::try_from(id).ok().and_then(|i| self.dense.get(i)) {
            Some(slot) => slot.as_ref(),
            None => self.sparse.get(&id),
        }
    }

    fn put(&mut self, id: i64, value: T) {
        match usize::try_from(id) {
            Ok(i) if i < self.dense.len().saturating_add(DENSE_SLACK) => {
                if self.dense.len() <= i {
                    self.dense.resize_with(i.saturating_add(1), || None);
                }
                if let Some(slot) = self.dense.get_mut(i) {
                    *slot = Some(value);
                }
            }
            _ => {
                self.sparse.insert(id, value);
            }
        }
    }
}

/// A unit by store ids (0 = none), as movements key it.
type Ids = (i64, i64, i64);

struct Tx {
    id: TxId,
    occurred_at: Timestamp,
    reference: Option<Arc<str>>,
    kind: Arc<str>,
}

/// A production run or an installation.
struct Run {
    kind: &'static str,
    seq: i64,
    /// One entry per movement line.
    inputs: Vec<(Ids, i64)>,
    outputs: Vec<(Ids, i64)>,
}

struct Move {
    occurred_at: Timestamp,
    seq: i64,
    line: i64,
    unit: Ids,
    partner: i64,
    units: i64,
}

/// The index.
#[derive(Default)]
pub(crate) struct Genealogy {
    /// Highest chain position read.
    last_seq: i64,
    /// Highest lot and serial ids read.
    last_lot: i64,
    last_serial: i64,
    /// A lot's (or a serial-only item's) serial units, for lot-level queries.
    serials_of: HashMap<Ids, Vec<Ids>>,
    runs: Vec<Run>,
    run_by_seq: HashMap<i64, usize>,
    reversed: HashSet<i64>,
    consumed_in: HashMap<Ids, Vec<usize>>,
    made_by: HashMap<Ids, Vec<usize>>,
    moves: Vec<Move>,
    moves_of: HashMap<Ids, Vec<usize>>,
    /// Transactions by chain position (positions are dense from 1).
    txs: Dense<Tx>,
    kinds: HashMap<String, Arc<str>>,
    /// Items, lots and serials by id (ids are dense from 1).
    items: Dense<(Sku, Scale)>,
    item_by_sku: HashMap<Sku, i64>,
    lots: Dense<LotCode>,
    lot_by_code: HashMap<(i64, LotCode), i64>,
    serials: Dense<Serial>,
    serial_by_name: HashMap<(i64, Serial), (i64, i64)>,
    locations: HashMap<i64, (LocationPath, LocationKind)>,
}

fn is_partner(k: LocationKind) -> bool {
    matches!(k, LocationKind::Supplier | LocationKind::Customer)
}

fn push_once(list: &mut Vec<usize>, run: usize) {
    if list.last() != Some(&run) {
        list.push(run);
    }
}

impl Genealogy {
    fn kind(&mut self, k: &str) -> Arc<str> {
        if let Some(a) = self.kinds.get(k) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(k);
        self.kinds.insert(k.to_owned(), a.clone());
        a
    }

    fn names(&mut self, c: &Connection) -> rusqlite::Result<()> {
        let mut stmt = c.prepare("SELECT id, sku, scale FROM items")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (id, sku): (i64, Sku) = (r.get(0)?, parsed(r, 1)?);
            self.item_by_sku.insert(sku.clone(), id);
            self.items.put(id, (sku, scale_at(r, 2)?));
        }
        let mut stmt = c.prepare("SELECT id, path, kind FROM locations")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            self.locations.insert(r.get(0)?, (parsed(r, 1)?, parsed(r, 2)?));
        }
        let mut stmt = c.prepare("SELECT id, item_id, code FROM lots WHERE id > ?1 ORDER BY id")?;
        let mut rows = stmt.query([self.last_lot])?;
        while let Some(r) = rows.next()? {
            let (id, item, code): (i64, i64, LotCode) = (r.get(0)?, r.get(1)?, parsed(r, 2)?);
            self.lot_by_code.insert((item, code.clone()), id);
            self.lots.put(id, code);
            self.last_lot = id;
        }
        let mut stmt =
            c.prepare("SELECT id, item_id, serial, coalesce(lot_id, 0) FROM serials WHERE id > ?1 ORDER BY id")?;
        let mut rows = stmt.query([self.last_serial])?;
        while let Some(r) = rows.next()? {
            let (id, item, serial, lot): (i64, i64, Serial, i64) = (r.get(0)?, r.get(1)?, parsed(r, 2)?, r.get(3)?);
            self.serial_by_name.insert((item, serial.clone()), (id, lot));
            self.serials.put(id, serial);
            self.serials_of.entry((item, lot, 0)).or_default().push((item, lot, id));
            self.last_serial = id;
        }
        Ok(())
    }

    /// Reads everything committed after what it has read.
    pub(crate) fn refresh(&mut self, c: &Connection) -> rusqlite::Result<()> {
        let head: i64 = c.query_row("SELECT coalesce(max(seq), 0) FROM transactions", [], |r| r.get(0))?;
        if head <= self.last_seq {
            return Ok(());
        }
        let from = self.last_seq;
        self.names(c)?;
        let mut stmt = c.prepare(
            "SELECT seq, id, kind, occurred_at, reference, reverses FROM transactions WHERE seq > ?1 AND seq <= ?2",
        )?;
        let mut rows = stmt.query([from, head])?;
        // Straight into the index, row by row: collecting millions of rows
        // first would double the memory a build needs.
        while let Some(r) = rows.next()? {
            let seq: i64 = r.get(0)?;
            if let Some(rev) = r.get::<_, Option<i64>>(5)? {
                self.reversed.insert(rev);
            }
            let kind = self.kind(r.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?);
            let reference = r.get_ref(4)?.as_str_or_null().map_err(rusqlite::Error::from)?.map(Arc::from);
            self.txs.put(seq, Tx { id: tx_id(r, 1)?, occurred_at: from_micros(r.get(3)?), reference, kind });
        }
        drop(rows);
        let mut stmt = c.prepare(
            "SELECT tx_seq, line, item_id, lot_id, serial_id, qty, from_id, to_id FROM movements
             WHERE tx_seq > ?1 AND tx_seq <= ?2 ORDER BY tx_seq, line",
        )?;
        let mut rows = stmt.query([from, head])?;
        while let Some(r) = rows.next()? {
            let (seq, line): (i64, i64) = (r.get(0)?, r.get(1)?);
            let unit: Ids = (r.get(2)?, r.get(3)?, r.get(4)?);
            let (qty, from_id, to_id): (i64, i64, i64) = (r.get(5)?, r.get(6)?, r.get(7)?);
            let from_kind = self.locations.get(&from_id).map(|l| l.1);
            let to_kind = self.locations.get(&to_id).map(|l| l.1);
            let produce = self.txs.get(seq).is_some_and(|t| matches!(&*t.kind, "produce" | "relabel"));
            if produce {
                let run = match self.run_by_seq.get(&seq) {
                    Some(r) => *r,
                    None => {
                        let run = self.runs.len();
                        let kind = if self.txs.get(seq).is_some_and(|t| &*t.kind == "relabel") {
                            "relabel"
                        } else {
                            "produce"
                        };
                        self.runs.push(Run { kind, seq, inputs: Vec::new(), outputs: Vec::new() });
                        self.run_by_seq.insert(seq, run);
                        run
                    }
                };
                let Some(lines) = self.runs.get_mut(run) else { continue };
                if to_kind == Some(LocationKind::Production) {
                    lines.inputs.push((unit, qty));
                    push_once(self.consumed_in.entry(unit).or_default(), run);
                } else if from_kind == Some(LocationKind::Production) {
                    lines.outputs.push((unit, qty));
                    push_once(self.made_by.entry(unit).or_default(), run);
                }
            }
            let (partner, sign) = match (from_kind, to_kind) {
                (Some(f), _) if is_partner(f) => (from_id, -1),
                (_, Some(t)) if is_partner(t) => (to_id, 1),
                _ => continue,
            };
            let Some(occurred_at) = self.txs.get(seq).map(|t| t.occurred_at) else { continue };
            let units = if sign < 0 { qty.saturating_neg() } else { qty };
            self.moves_of.entry(unit).or_default().push(self.moves.len());
            self.moves.push(Move { occurred_at, seq, line, unit, partner, units });
        }
        drop(rows);
        let mut stmt = c.prepare(
            "SELECT e.seq, e.component_item, coalesce(cs.lot_id, 0), e.component_serial,
                    e.parent_item, coalesce(ps.lot_id, 0), e.parent_serial
             FROM assembly_events e JOIN serials cs ON cs.id = e.component_serial JOIN serials ps ON ps.id = e.parent_serial
             WHERE e.seq > ?1 AND e.seq <= ?2 AND e.installed = 1 ORDER BY e.seq, e.line",
        )?;
        let mut rows = stmt.query([from, head])?;
        while let Some(r) = rows.next()? {
            let seq: i64 = r.get(0)?;
            let component: Ids = (r.get(1)?, r.get(2)?, r.get(3)?);
            let parent: Ids = (r.get(4)?, r.get(5)?, r.get(6)?);
            let run = self.runs.len();
            self.runs.push(Run { kind: "assemble", seq, inputs: vec![(component, 1)], outputs: vec![(parent, 1)] });
            self.consumed_in.entry(component).or_default().push(run);
            self.made_by.entry(parent).or_default().push(run);
        }
        drop(rows);
        let mut stmt = c.prepare(
            "SELECT e.seq, e.component_item, e.component_lot, e.parent_item, coalesce(ps.lot_id, 0), e.parent_serial, e.qty
             FROM assembly_lot_events e JOIN serials ps ON ps.id = e.parent_serial
             WHERE e.seq > ?1 AND e.seq <= ?2 AND e.installed = 1 ORDER BY e.seq, e.line",
        )?;
        let mut rows = stmt.query([from, head])?;
        while let Some(r) = rows.next()? {
            let seq: i64 = r.get(0)?;
            let part: Ids = (r.get(1)?, r.get(2)?, 0);
            let parent: Ids = (r.get(3)?, r.get(4)?, r.get(5)?);
            let run = self.runs.len();
            self.runs.push(Run { kind: "assemble", seq, inputs: vec![(part, r.get(6)?)], outputs: vec![(parent, 1)] });
            self.consumed_in.entry(part).or_default().push(run);
            self.made_by.entry(parent).or_default().push(run);
        }
        self.last_seq = head;
        Ok(())
    }

    /// Store ids of a unit, as [`crate::trace`] resolves them.
    fn resolve(&self, u: &Unit) -> Option<Ids> {
        let item = *self.item_by_sku.get(&u.sku)?;
        let mut lot = match &u.lot {
            Some(code) => *self.lot_by_code.get(&(item, code.clone()))?,
            None => 0,
        };
        let serial = match &u.serial {
            Some(s) => {
                let (id, serial_lot) = *self.serial_by_name.get(&(item, s.clone()))?;
                if lot != 0 && lot != serial_lot {
                    return None;
                }
                lot = serial_lot;
                id
            }
            None => 0,
        };
        Some((item, lot, serial))
    }

    /// The units a query unit matches: itself, and for a lot (or item) its serials.
    fn matched_into(&self, ids: Ids, into: &mut HashSet<Ids>) {
        into.insert(ids);
        if ids.2 == 0
            && let Some(children) = self.serials_of.get(&ids)
        {
            into.extend(children.iter().copied());
        }
    }

    fn matched_units(&self, units: &[Unit]) -> HashSet<Ids> {
        let mut set = HashSet::default();
        for ids in units.iter().filter_map(|u| self.resolve(u)) {
            self.matched_into(ids, &mut set);
        }
        set
    }

    fn unit(&self, ids: Ids) -> Option<Unit> {
        Some(Unit {
            sku: self.items.get(ids.0)?.0.clone(),
            lot: if ids.1 == 0 { None } else { Some(self.lots.get(ids.1)?.clone()) },
            serial: if ids.2 == 0 { None } else { Some(self.serials.get(ids.2)?.clone()) },
        })
    }

    fn quantity(&self, item: i64, units: i64) -> Quantity {
        Quantity { units, scale: self.items.get(item).map(|i| i.1).unwrap_or(Scale::UNITS) }
    }

    /// One step at the level of ids: the links of the runs that consumed
    /// (forward) or made (backward) a matched unit, in the order the SQL
    /// answers them (by time, then chain position; runs before installations).
    fn id_links(&self, matched: &HashSet<Ids>, direction: Direction) -> Vec<IdLink> {
        let index = match direction {
            Direction::Forward => &self.consumed_in,
            Direction::Backward => &self.made_by,
        };
        let mut runs: Vec<(i64, usize, &Run)> = matched
            .iter()
            .filter_map(|u| index.get(u))
            .flatten()
            .filter_map(|r| self.runs.get(*r).map(|run| (run.seq, *r, run)))
            .collect();
        runs.sort_unstable_by_key(|(seq, r, _)| (*seq, *r));
        runs.dedup_by_key(|(_, r, _)| *r);
        let mut produce = Vec::new();
        let mut assemble = Vec::new();
        let (mut inputs, mut outputs) = (Vec::new(), Vec::new());
        for (_, r, run) in runs {
            if run.kind != "assemble" && self.reversed.contains(&run.seq) {
                continue;
            }
            let Some(tx) = self.txs.get(run.seq) else { continue };
            let (only_in, only_out) = match direction {
                Direction::Forward => (Some(matched), None),
                Direction::Backward => (None, Some(matched)),
            };
            sum_lines(&run.inputs, only_in, &mut inputs);
            sum_lines(&run.outputs, only_out, &mut outputs);
            for (i, iq) in &inputs {
                for (o, oq) in &outputs {
                    let link = IdLink {
                        run: r,
                        seq: run.seq,
                        occurred_at: tx.occurred_at,
                        input: *i,
                        input_units: *iq,
                        output: *o,
                        output_units: *oq,
                    };
                    if run.kind == "assemble" { assemble.push(link) } else { produce.push(link) }
                }
            }
        }
        produce.extend(assemble);
        produce.sort_by_key(|l| (l.occurred_at, l.seq));
        produce
    }

    fn link(&self, l: &IdLink, names: &mut Names) -> Option<Link> {
        let run = self.runs.get(l.run)?;
        let tx = self.txs.get(run.seq)?;
        Some(Link {
            kind: run.kind,
            seq: run.seq,
            tx_id: tx.id,
            occurred_at: tx.occurred_at,
            reference: tx.reference.clone(),
            input: names.unit(self, l.input)?,
            input_units: l.input_units,
            input_quantity: self.quantity(l.input.0, l.input_units),
            output: names.unit(self, l.output)?,
            output_units: l.output_units,
            output_quantity: self.quantity(l.output.0, l.output_units),
        })
    }

    /// What [`crate::trace::links`] answers.
    pub(crate) fn links(&self, units: &[Unit], direction: Direction) -> Vec<Link> {
        let matched = self.matched_units(units);
        let mut names = Names::default();
        self.id_links(&matched, direction).iter().filter_map(|l| self.link(l, &mut names)).collect()
    }

    /// The partner movements of matched units, oldest first, each once.
    fn id_moves(&self, matched: &HashSet<Ids>) -> Vec<&Move> {
        let mut found: Vec<&Move> =
            matched.iter().filter_map(|u| self.moves_of.get(u)).flatten().filter_map(|m| self.moves.get(*m)).collect();
        found.sort_unstable_by_key(|m| (m.occurred_at, m.seq, m.line));
        found.dedup_by_key(|m| (m.seq, m.line));
        found
    }

    fn partner_move(&self, m: &Move, names: &mut Names) -> Option<PartnerMove> {
        let tx = self.txs.get(m.seq)?;
        let (partner, partner_kind) = self.locations.get(&m.partner)?.clone();
        Some(PartnerMove {
            seq: m.seq,
            tx_id: tx.id,
            kind: tx.kind.clone(),
            occurred_at: tx.occurred_at,
            reference: tx.reference.clone(),
            unit: names.unit(self, m.unit)?,
            partner,
            partner_kind,
            units: m.units,
            quantity: self.quantity(m.unit.0, m.units.abs()),
        })
    }

    /// What [`crate::trace::partner_moves`] answers.
    pub(crate) fn partner_moves(&self, units: &[Unit]) -> Vec<PartnerMove> {
        let matched = self.matched_units(units);
        let mut names = Names::default();
        self.id_moves(&matched).into_iter().filter_map(|m| self.partner_move(m, &mut names)).collect()
    }

    /// What [`tracelot_store::trace::walk`] answers, walked on ids: each
    /// level's frontier is a set of integers, and units are named once, at
    /// the end.
    pub(crate) fn trace(&self, start: &Unit, direction: Direction) -> TraceGraph {
        let mut graph = TraceGraph { units: vec![Traced { unit: start.clone(), depth: 0 }], ..TraceGraph::default() };
        let Some(start_ids) = self.resolve(start) else { return graph };
        // The walk compares units as written: a start named without its lot
        // is a different unit from the same serial reached with its lot.
        let mut seen: HashSet<Ids> = HashSet::default();
        if self.unit(start_ids).as_ref() == Some(start) {
            seen.insert(start_ids);
        }
        let mut reached: Vec<(Ids, u32)> = Vec::new();
        let mut link_keys: HashSet<(i64, &str, Ids, Ids)> = HashSet::default();
        let mut links: Vec<IdLink> = Vec::new();
        let mut all = HashSet::default();
        self.matched_into(start_ids, &mut all);
        let mut frontier = all.clone();
        let mut depth = 0_u32;
        while !frontier.is_empty() {
            depth = depth.saturating_add(1);
            let mut next = HashSet::default();
            for l in self.id_links(&frontier, direction) {
                let unit = match direction {
                    Direction::Forward => l.output,
                    Direction::Backward => l.input,
                };
                if seen.insert(unit) {
                    reached.push((unit, depth));
                    self.matched_into(unit, &mut next);
                }
                let kind = self.runs.get(l.run).map_or("", |r| r.kind);
                if link_keys.insert((l.seq, kind, l.input, l.output)) {
                    links.push(l);
                }
            }
            all.extend(next.iter().copied());
            frontier = next;
        }
        let mut names = Names::default();
        graph.units.extend(
            reached.iter().filter_map(|(ids, depth)| names.unit(self, *ids).map(|unit| Traced { unit, depth: *depth })),
        );
        graph.links = links.iter().filter_map(|l| self.link(l, &mut names)).collect();
        graph.partner_moves =
            self.id_moves(&all).into_iter().filter_map(|m| self.partner_move(m, &mut names)).collect();
        graph
    }
}

/// A run's lines summed per unit, in unit order (as the SQL groups them),
/// keeping only `only` when given; `out` is reused between runs.
fn sum_lines(lines: &[(Ids, i64)], only: Option<&HashSet<Ids>>, out: &mut Vec<(Ids, i64)>) {
    out.clear();
    out.extend(lines.iter().filter(|(u, _)| only.is_none_or(|o| o.contains(u))).copied());
    out.sort_unstable_by_key(|(u, _)| *u);
    out.dedup_by(|next, kept| {
        if next.0 == kept.0 {
            kept.1 = kept.1.saturating_add(next.1);
            true
        } else {
            false
        }
    });
}

/// A link found on ids, named only if it is part of the answer.
struct IdLink {
    run: usize,
    seq: i64,
    occurred_at: Timestamp,
    input: Ids,
    input_units: i64,
    output: Ids,
    output_units: i64,
}

/// Units named during one answer, so each is looked up once.
#[derive(Default)]
struct Names(HashMap<Ids, Unit>);

impl Names {
    fn unit(&mut self, g: &Genealogy, ids: Ids) -> Option<Unit> {
        if let Some(u) = self.0.get(&ids) {
            return Some(u.clone());
        }
        let u = g.unit(ids)?;
        self.0.insert(ids, u.clone());
        Some(u)
    }
}

#[cfg(test)]
// Tests: an overflow or a panic is a failed test.
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::Dense;

    #[test]
    fn dense_ids_index_and_far_ids_go_to_the_map() {
        let mut d = Dense::default();
        d.put(1, "a");
        d.put(3, "c");
        d.put(1 << 40, "far");
        d.put(-5, "negative");
        assert_eq!((d.get(1), d.get(2), d.get(3)), (Some(&"a"), None, Some(&"c")));
        assert_eq!((d.get(1 << 40), d.get(-5)), (Some(&"far"), Some(&"negative")));
        assert!(d.dense.len() < 10, "a far id does not grow the vector");
    }
}
