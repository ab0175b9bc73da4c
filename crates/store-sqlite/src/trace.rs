//! Traceability queries: the production runs and installations linking
//! units, and their movements to and from partners. A step takes a whole
//! frontier of units at once (as a JSON array joined with `json_each`), so
//! a trace costs one query per level, not one per unit.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, Row};
use tracelot_core::{LotCode, Scale, Serial, Sku};
use tracelot_store::trace::{self, LinkRows, LinkTx, Namer, PartnerRow, RunOf, UnitIds as Ids};
use tracelot_store::{AssemblyEvent, Direction, Link, PartnerMove, Quantity, Unit};

use crate::rows::{instant, parsed, tx_id};

/// Names ids back into units, remembering what it has looked up.
struct Names<'c> {
    c: &'c Connection,
    items: HashMap<i64, (Sku, Scale)>,
    lots: HashMap<i64, LotCode>,
    serials: HashMap<i64, Serial>,
}

impl<'c> Names<'c> {
    fn new(c: &'c Connection) -> Self {
        Names { c, items: HashMap::new(), lots: HashMap::new(), serials: HashMap::new() }
    }

    fn item(&mut self, id: i64) -> rusqlite::Result<(Sku, Scale)> {
        let c = self.c;
        if let Some(v) = self.items.get(&id) {
            return Ok(v.clone());
        }
        let v: (Sku, Scale) = c
            .prepare_cached("SELECT sku, scale FROM items WHERE id = ?1")?
            .query_row([id], |r| Ok((parsed(r, 0)?, crate::rows::scale_at(r, 1)?)))?;
        self.items.insert(id, v.clone());
        Ok(v)
    }
}

impl Namer for Names<'_> {
    type Error = rusqlite::Error;

    fn unit(&mut self, ids: Ids) -> rusqlite::Result<Unit> {
        let (sku, _) = self.item(ids.item)?;
        let c = self.c;
        let lot = match ids.lot {
            0 => None,
            id => Some(match self.lots.get(&id) {
                Some(l) => l.clone(),
                None => {
                    let l: LotCode =
                        c.prepare_cached("SELECT code FROM lots WHERE id = ?1")?.query_row([id], |r| parsed(r, 0))?;
                    self.lots.insert(id, l.clone());
                    l
                }
            }),
        };
        let serial = match ids.serial {
            0 => None,
            id => Some(match self.serials.get(&id) {
                Some(s) => s.clone(),
                None => {
                    let s: Serial = c
                        .prepare_cached("SELECT serial FROM serials WHERE id = ?1")?
                        .query_row([id], |r| parsed(r, 0))?;
                    self.serials.insert(id, s.clone());
                    s
                }
            }),
        };
        Ok(Unit { sku, lot, serial })
    }

    fn quantity(&mut self, item: i64, units: i64) -> rusqlite::Result<Quantity> {
        Ok(Quantity { units, scale: self.item(item)?.1 })
    }
}

/// Store ids of a unit, or `None` when it names nothing stored.
fn resolve(c: &Connection, u: &Unit) -> rusqlite::Result<Option<Ids>> {
    let Some(item) = c
        .prepare_cached("SELECT id FROM items WHERE sku = ?1")?
        .query_row([u.sku.as_str()], |r| r.get::<_, i64>(0))
        .optional()?
    else {
        return Ok(None);
    };
    let mut lot = match &u.lot {
        Some(code) => {
            match c
                .prepare_cached("SELECT id FROM lots WHERE item_id = ?1 AND code = ?2")?
                .query_row(rusqlite::params![item, code.as_str()], |r| r.get::<_, i64>(0))
                .optional()?
            {
                Some(id) => id,
                None => return Ok(None),
            }
        }
        None => 0,
    };
    let serial = match &u.serial {
        Some(s) => {
            let found: Option<(i64, Option<i64>)> = c
                .prepare_cached("SELECT id, lot_id FROM serials WHERE item_id = ?1 AND serial = ?2")?
                .query_row(rusqlite::params![item, s.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            match found {
                Some((id, serial_lot)) => {
                    let serial_lot = serial_lot.unwrap_or(0);
                    if lot != 0 && lot != serial_lot {
                        return Ok(None);
                    }
                    lot = serial_lot;
                    id
                }
                None => return Ok(None),
            }
        }
        None => 0,
    };
    Ok(Some(Ids { item, lot, serial }))
}

fn frontier(c: &Connection, units: &[Unit]) -> rusqlite::Result<(String, Vec<Ids>)> {
    let mut ids = Vec::with_capacity(units.len());
    for u in units {
        if let Some(i) = resolve(c, u)? {
            ids.push(i);
        }
    }
    let json = format!(
        "[{}]",
        ids.iter().map(|i| format!("[{},{},{}]", i.item, i.lot, i.serial)).collect::<Vec<_>>().join(",")
    );
    Ok((json, ids))
}

/// A unit's ids as the trace counts it: one serial, else one lot, else the item.
#[expect(clippy::arithmetic_side_effects, reason = "column offsets: a few columns past a small `at`")]
fn ids_at(r: &Row, at: usize) -> rusqlite::Result<Ids> {
    Ok(Ids { item: r.get(at)?, lot: r.get(at + 1)?, serial: r.get(at + 2)? })
}

/// Runs of `produce` that consumed (forward) or made (backward) the frontier.
const PRODUCE_FORWARD: &str = "
    SELECT t.seq, t.id, t.occurred_at, t.reference,
           mi.line, mi.item_id, mi.lot_id, mi.serial_id, mi.qty,
           mo.line, mo.item_id, mo.lot_id, mo.serial_id, mo.qty, t.kind = 'relabel'
    FROM json_each(?1) j
    JOIN movements mi ON mi.item_id = j.value ->> 0 AND mi.lot_id = j.value ->> 1
    JOIN transactions t ON t.seq = mi.tx_seq
    JOIN locations lp ON lp.id = mi.to_id
    JOIN movements mo ON mo.tx_seq = mi.tx_seq
    JOIN locations lq ON lq.id = mo.from_id
    WHERE (j.value ->> 2 = 0 OR mi.serial_id = j.value ->> 2)
      AND t.kind IN ('produce', 'relabel') AND lp.kind = 'production' AND lq.kind = 'production'
      AND NOT EXISTS (SELECT 1 FROM transactions r WHERE r.reverses = t.seq)";

const PRODUCE_BACKWARD: &str = "
    SELECT t.seq, t.id, t.occurred_at, t.reference,
           mi.line, mi.item_id, mi.lot_id, mi.serial_id, mi.qty,
           mo.line, mo.item_id, mo.lot_id, mo.serial_id, mo.qty, t.kind = 'relabel'
    FROM json_each(?1) j
    JOIN movements mo ON mo.item_id = j.value ->> 0 AND mo.lot_id = j.value ->> 1
    JOIN transactions t ON t.seq = mo.tx_seq
    JOIN locations lq ON lq.id = mo.from_id
    JOIN movements mi ON mi.tx_seq = mo.tx_seq
    JOIN locations lp ON lp.id = mi.to_id
    WHERE (j.value ->> 2 = 0 OR mo.serial_id = j.value ->> 2)
      AND t.kind IN ('produce', 'relabel') AND lp.kind = 'production' AND lq.kind = 'production'
      AND NOT EXISTS (SELECT 1 FROM transactions r WHERE r.reverses = t.seq)";

/// Installations of the frontier's serials into parents (forward), or of
/// components into the frontier's serials (backward).
const ASSEMBLY_FORWARD: &str = "
    SELECT t.seq, t.id, t.occurred_at, t.reference,
           e.component_item, coalesce(cs.lot_id, 0), e.component_serial,
           e.parent_item, coalesce(ps.lot_id, 0), e.parent_serial
    FROM json_each(?1) j
    JOIN serials cs ON cs.item_id = j.value ->> 0
     AND (cs.id = j.value ->> 2 OR (j.value ->> 2 = 0 AND coalesce(cs.lot_id, 0) = j.value ->> 1))
    JOIN assembly_events e ON e.component_item = cs.item_id AND e.component_serial = cs.id AND e.installed = 1
    JOIN serials ps ON ps.id = e.parent_serial
    JOIN transactions t ON t.seq = e.seq
    ORDER BY e.seq, e.line";

const ASSEMBLY_BACKWARD: &str = "
    SELECT t.seq, t.id, t.occurred_at, t.reference,
           e.component_item, coalesce(cs.lot_id, 0), e.component_serial,
           e.parent_item, coalesce(ps.lot_id, 0), e.parent_serial
    FROM json_each(?1) j
    JOIN serials ps ON ps.item_id = j.value ->> 0
     AND (ps.id = j.value ->> 2 OR (j.value ->> 2 = 0 AND coalesce(ps.lot_id, 0) = j.value ->> 1))
    JOIN assembly_events e ON e.parent_item = ps.item_id AND e.parent_serial = ps.id AND e.installed = 1
    JOIN serials cs ON cs.id = e.component_serial
    JOIN transactions t ON t.seq = e.seq
    ORDER BY e.seq, e.line";

/// Lot-tracked parts fitted into parents: of the frontier's lots
/// (forward), or into the frontier's serials (backward).
const LOT_PART_FORWARD: &str = "
    SELECT t.seq, t.id, t.occurred_at, t.reference,
           e.component_item, e.component_lot, 0,
           e.parent_item, coalesce(ps.lot_id, 0), e.parent_serial, e.qty
    FROM json_each(?1) j
    JOIN assembly_lot_events e
      ON e.component_item = j.value ->> 0 AND e.component_lot = j.value ->> 1 AND e.installed = 1
    JOIN serials ps ON ps.id = e.parent_serial
    JOIN transactions t ON t.seq = e.seq
    WHERE j.value ->> 2 = 0
    ORDER BY e.seq, e.line";

const LOT_PART_BACKWARD: &str = "
    SELECT t.seq, t.id, t.occurred_at, t.reference,
           e.component_item, e.component_lot, 0,
           e.parent_item, coalesce(ps.lot_id, 0), e.parent_serial, e.qty
    FROM json_each(?1) j
    JOIN serials ps ON ps.item_id = j.value ->> 0
     AND (ps.id = j.value ->> 2 OR (j.value ->> 2 = 0 AND coalesce(ps.lot_id, 0) = j.value ->> 1))
    JOIN assembly_lot_events e ON e.parent_item = ps.item_id AND e.parent_serial = ps.id AND e.installed = 1
    JOIN transactions t ON t.seq = e.seq
    ORDER BY e.seq, e.line";

fn link_tx(r: &Row) -> rusqlite::Result<LinkTx> {
    Ok(LinkTx { seq: r.get(0)?, tx_id: tx_id(r, 1)?, occurred_at: instant(r, 2)?, reference: r.get(3)? })
}

pub(crate) fn links(c: &Connection, units: &[Unit], direction: Direction) -> rusqlite::Result<Vec<Link>> {
    let (json, ids) = frontier(c, units)?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut found = LinkRows::default();
    let sql = match direction {
        Direction::Forward => PRODUCE_FORWARD,
        Direction::Backward => PRODUCE_BACKWARD,
    };
    let mut stmt = c.prepare_cached(sql)?;
    let mut rows = stmt.query([&json])?;
    while let Some(r) = rows.next()? {
        let run = RunOf { tx: link_tx(r)?, relabel: r.get(14)? };
        found.produced(run, (ids_at(r, 5)?, r.get(4)?, r.get(8)?), (ids_at(r, 10)?, r.get(9)?, r.get(13)?));
    }
    drop(rows);
    let sql = match direction {
        Direction::Forward => ASSEMBLY_FORWARD,
        Direction::Backward => ASSEMBLY_BACKWARD,
    };
    let mut stmt = c.prepare_cached(sql)?;
    let mut rows = stmt.query([&json])?;
    while let Some(r) = rows.next()? {
        found.installed(link_tx(r)?, ids_at(r, 4)?, ids_at(r, 7)?);
    }
    drop(rows);
    let sql = match direction {
        Direction::Forward => LOT_PART_FORWARD,
        Direction::Backward => LOT_PART_BACKWARD,
    };
    let mut stmt = c.prepare_cached(sql)?;
    let mut rows = stmt.query([&json])?;
    while let Some(r) = rows.next()? {
        found.fitted(link_tx(r)?, ids_at(r, 4)?, ids_at(r, 7)?, r.get(10)?);
    }
    drop(rows);
    found.links(&mut Names::new(c))
}

pub(crate) fn partner_moves(c: &Connection, units: &[Unit]) -> rusqlite::Result<Vec<PartnerMove>> {
    let (json, ids) = frontier(c, units)?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut stmt = c.prepare_cached(
        "SELECT t.seq, t.id, t.kind, t.occurred_at, t.reference, m.item_id, m.lot_id, m.serial_id, m.qty,
                lf.path, lf.kind, lt.path, lt.kind, m.line
         FROM json_each(?1) j
         JOIN movements m ON m.item_id = j.value ->> 0 AND m.lot_id = j.value ->> 1
         JOIN transactions t ON t.seq = m.tx_seq
         JOIN locations lf ON lf.id = m.from_id
         JOIN locations lt ON lt.id = m.to_id
         WHERE (j.value ->> 2 = 0 OR m.serial_id = j.value ->> 2)
           AND (lf.kind IN ('supplier', 'customer') OR lt.kind IN ('supplier', 'customer'))",
    )?;
    let mut rows = stmt.query([&json])?;
    let mut raw = Vec::new();
    while let Some(r) = rows.next()? {
        raw.push(partner_row(r)?);
    }
    drop(rows);
    trace::partner_moves(raw, &mut Names::new(c))
}

/// A partner move row: transaction, movement and both locations.
fn partner_row(r: &Row) -> rusqlite::Result<PartnerRow> {
    Ok(PartnerRow {
        tx: LinkTx { seq: r.get(0)?, tx_id: tx_id(r, 1)?, occurred_at: instant(r, 3)?, reference: r.get(4)? },
        kind: r.get(2)?,
        line: r.get(13)?,
        ids: ids_at(r, 5)?,
        qty: r.get(8)?,
        from: (parsed(r, 9)?, parsed(r, 10)?),
        to: (parsed(r, 11)?, parsed(r, 12)?),
    })
}

pub(crate) fn assembly_events(c: &Connection, sku: &Sku, serial: &Serial) -> rusqlite::Result<Vec<AssemblyEvent>> {
    let unit = Unit { sku: sku.clone(), lot: None, serial: Some(serial.clone()) };
    let Some(ids) = resolve(c, &unit)? else { return Ok(Vec::new()) };
    let mut stmt = c.prepare_cached(
        "SELECT t.seq, t.id, t.occurred_at, t.reference, t.reason,
                e.parent_item, coalesce(ps.lot_id, 0), e.parent_serial,
                e.component_item, coalesce(cs.lot_id, 0), e.component_serial, e.installed
         FROM assembly_events e
         JOIN transactions t ON t.seq = e.seq
         JOIN serials ps ON ps.id = e.parent_serial
         JOIN serials cs ON cs.id = e.component_serial
         WHERE (e.parent_item = ?1 AND e.parent_serial = ?2) OR (e.component_item = ?1 AND e.component_serial = ?2)
         ORDER BY e.seq, e.line",
    )?;
    let mut rows = stmt.query([ids.item, ids.serial])?;
    let mut raw = Vec::new();
    while let Some(r) = rows.next()? {
        raw.push((
            r.get::<_, i64>(0)?,
            tx_id(r, 1)?,
            instant(r, 2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, Option<String>>(4)?,
            ids_at(r, 5)?,
            ids_at(r, 8)?,
            r.get::<_, bool>(11)?,
        ));
    }
    drop(rows);
    let mut names = Names::new(c);
    raw.into_iter()
        .map(|(seq, tx, occurred_at, reference, reason, parent, component, installed)| {
            Ok(AssemblyEvent {
                seq,
                tx_id: tx,
                occurred_at,
                reference,
                reason,
                parent: names.unit(parent)?,
                component: names.unit(component)?,
                installed,
            })
        })
        .collect()
}
