//! Traceability queries: the production runs and installations linking
//! units, and their movements to and from partners. A step takes a whole
//! frontier of units at once (as three arrays joined with `unnest`), so a
//! trace costs one query per level, not one per unit.

use std::collections::HashMap;

use postgres::Row;
use tracelot_core::{LotCode, Scale, Serial, Sku};
use tracelot_store::trace::{self, LinkRows, LinkTx, Namer, PartnerRow, RunOf, UnitIds as Ids};
use tracelot_store::{AssemblyEvent, Direction, Link, PartnerMove, Quantity, Unit};

use crate::db::{Conn, Error, Result};
use crate::rows::{instant, parsed, tx_id};

/// Names ids back into units, remembering what it has looked up.
struct Names<'c> {
    c: &'c mut Conn,
    items: HashMap<i64, (Sku, Scale)>,
    lots: HashMap<i64, LotCode>,
    serials: HashMap<i64, Serial>,
}

impl<'c> Names<'c> {
    fn new(c: &'c mut Conn) -> Self {
        Names { c, items: HashMap::new(), lots: HashMap::new(), serials: HashMap::new() }
    }

    fn item(&mut self, id: i64) -> Result<(Sku, Scale)> {
        if let Some(v) = self.items.get(&id) {
            return Ok(v.clone());
        }
        let r = self.c.query_one("SELECT sku, scale FROM items WHERE id = $1", &[&id])?;
        let v = (parsed(&r, 0)?, crate::rows::scale_at(&r, 1)?);
        self.items.insert(id, v.clone());
        Ok(v)
    }
}

impl Namer for Names<'_> {
    type Error = Error;

    fn unit(&mut self, ids: Ids) -> Result<Unit> {
        let (sku, _) = self.item(ids.item)?;
        let lot = match ids.lot {
            0 => None,
            id => Some(match self.lots.get(&id) {
                Some(l) => l.clone(),
                None => {
                    let l: LotCode = parsed(&self.c.query_one("SELECT code FROM lots WHERE id = $1", &[&id])?, 0)?;
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
                    let s: Serial = parsed(&self.c.query_one("SELECT serial FROM serials WHERE id = $1", &[&id])?, 0)?;
                    self.serials.insert(id, s.clone());
                    s
                }
            }),
        };
        Ok(Unit { sku, lot, serial })
    }

    fn quantity(&mut self, item: i64, units: i64) -> Result<Quantity> {
        Ok(Quantity { units, scale: self.item(item)?.1 })
    }
}

/// Store ids of a unit, or `None` when it names nothing stored.
fn resolve(c: &mut Conn, u: &Unit) -> Result<Option<Ids>> {
    let Some(item) = c.query_opt("SELECT id FROM items WHERE sku = $1", &[&u.sku.as_str()])? else {
        return Ok(None);
    };
    let item: i64 = item.try_get(0)?;
    let mut lot = match &u.lot {
        Some(code) => {
            match c.query_opt("SELECT id FROM lots WHERE item_id = $1 AND code = $2", &[&item, &code.as_str()])? {
                Some(r) => r.try_get::<_, i64>(0)?,
                None => return Ok(None),
            }
        }
        None => 0,
    };
    let serial = match &u.serial {
        Some(s) => {
            let found = c.query_opt(
                "SELECT id, lot_id FROM serials WHERE item_id = $1 AND serial = $2",
                &[&item, &s.as_str()],
            )?;
            match found {
                Some(r) => {
                    let serial_lot = r.try_get::<_, Option<i64>>(1)?.unwrap_or(0);
                    if lot != 0 && lot != serial_lot {
                        return Ok(None);
                    }
                    lot = serial_lot;
                    r.try_get(0)?
                }
                None => return Ok(None),
            }
        }
        None => 0,
    };
    Ok(Some(Ids { item, lot, serial }))
}

/// The frontier's ids as three parallel arrays for `unnest`.
struct Frontier {
    items: Vec<i64>,
    lots: Vec<i64>,
    serials: Vec<i64>,
}

fn frontier(c: &mut Conn, units: &[Unit]) -> Result<Frontier> {
    let mut f = Frontier { items: Vec::new(), lots: Vec::new(), serials: Vec::new() };
    for u in units {
        if let Some(i) = resolve(c, u)? {
            f.items.push(i.item);
            f.lots.push(i.lot);
            f.serials.push(i.serial);
        }
    }
    Ok(f)
}

fn query_frontier(c: &mut Conn, sql: &str, f: &Frontier) -> Result<Vec<Row>> {
    c.query(sql, &[&f.items, &f.lots, &f.serials])
}

/// A unit's ids as the trace counts it: one serial, else one lot, else the item.
#[expect(clippy::arithmetic_side_effects, reason = "column offsets: a few columns past a small `at`")]
fn ids_at(r: &Row, at: usize) -> Result<Ids> {
    Ok(Ids { item: r.try_get(at)?, lot: r.try_get(at + 1)?, serial: r.try_get(at + 2)? })
}

const FRONTIER: &str = "unnest($1::int8[], $2::int8[], $3::int8[]) AS j(item, lot, serial)";

/// Runs of `produce` that consumed (forward) or made (backward) the frontier.
fn produce_sql(direction: Direction) -> String {
    let (near, far) = match direction {
        Direction::Forward => ("mi", "mo"),
        Direction::Backward => ("mo", "mi"),
    };
    format!(
        "SELECT t.seq, t.id, t.occurred_at, t.reference,
                mi.line, mi.item_id, mi.lot_id, mi.serial_id, mi.qty,
                mo.line, mo.item_id, mo.lot_id, mo.serial_id, mo.qty, t.kind = 'relabel'
         FROM {FRONTIER}
         JOIN movements {near} ON {near}.item_id = j.item AND {near}.lot_id = j.lot
         JOIN transactions t ON t.seq = {near}.tx_seq
         JOIN movements {far} ON {far}.tx_seq = {near}.tx_seq
         JOIN locations lp ON lp.id = mi.to_id
         JOIN locations lq ON lq.id = mo.from_id
         WHERE (j.serial = 0 OR {near}.serial_id = j.serial)
           AND t.kind IN ('produce', 'relabel') AND lp.kind = 'production' AND lq.kind = 'production'
           AND NOT EXISTS (SELECT 1 FROM transactions r WHERE r.reverses = t.seq)"
    )
}

/// Installations of the frontier's serials into parents (forward), or of
/// components into the frontier's serials (backward).
fn assembly_sql(direction: Direction) -> String {
    let (near, near_col) = match direction {
        Direction::Forward => ("cs", "component"),
        Direction::Backward => ("ps", "parent"),
    };
    let (far, far_col) = match direction {
        Direction::Forward => ("ps", "parent"),
        Direction::Backward => ("cs", "component"),
    };
    format!(
        "SELECT t.seq, t.id, t.occurred_at, t.reference,
                e.component_item, coalesce(cs.lot_id, 0), e.component_serial,
                e.parent_item, coalesce(ps.lot_id, 0), e.parent_serial
         FROM {FRONTIER}
         JOIN serials {near} ON {near}.item_id = j.item
          AND ({near}.id = j.serial OR (j.serial = 0 AND coalesce({near}.lot_id, 0) = j.lot))
         JOIN assembly_events e ON e.{near_col}_item = {near}.item_id AND e.{near_col}_serial = {near}.id AND e.installed
         JOIN serials {far} ON {far}.id = e.{far_col}_serial
         JOIN transactions t ON t.seq = e.seq
         ORDER BY e.seq, e.line"
    )
}

/// Lot-tracked parts fitted into parents: of the frontier's lots
/// (forward), or into the frontier's serials (backward).
fn lot_part_sql(direction: Direction) -> String {
    let join = match direction {
        Direction::Forward => {
            "JOIN assembly_lot_events e
               ON e.component_item = j.item AND e.component_lot = j.lot AND j.serial = 0 AND e.installed
             JOIN serials ps ON ps.id = e.parent_serial"
        }
        Direction::Backward => {
            "JOIN serials ps ON ps.item_id = j.item
              AND (ps.id = j.serial OR (j.serial = 0 AND coalesce(ps.lot_id, 0) = j.lot))
             JOIN assembly_lot_events e ON e.parent_item = ps.item_id AND e.parent_serial = ps.id AND e.installed"
        }
    };
    format!(
        "SELECT t.seq, t.id, t.occurred_at, t.reference,
                e.component_item, e.component_lot, 0::bigint,
                e.parent_item, coalesce(ps.lot_id, 0), e.parent_serial, e.qty
         FROM {FRONTIER}
         {join}
         JOIN transactions t ON t.seq = e.seq
         ORDER BY e.seq, e.line"
    )
}

fn link_tx(r: &Row) -> Result<LinkTx> {
    Ok(LinkTx { seq: r.try_get(0)?, tx_id: tx_id(r, 1)?, occurred_at: instant(r, 2)?, reference: r.try_get(3)? })
}

pub(crate) fn links(c: &mut Conn, units: &[Unit], direction: Direction) -> Result<Vec<Link>> {
    let f = frontier(c, units)?;
    if f.items.is_empty() {
        return Ok(Vec::new());
    }
    let mut found = LinkRows::default();
    for r in query_frontier(c, &produce_sql(direction), &f)? {
        let input = (ids_at(&r, 5)?, r.try_get(4)?, r.try_get(8)?);
        let run = RunOf { tx: link_tx(&r)?, relabel: r.try_get(14)? };
        found.produced(run, input, (ids_at(&r, 10)?, r.try_get(9)?, r.try_get(13)?));
    }
    for r in query_frontier(c, &assembly_sql(direction), &f)? {
        found.installed(link_tx(&r)?, ids_at(&r, 4)?, ids_at(&r, 7)?);
    }
    for r in query_frontier(c, &lot_part_sql(direction), &f)? {
        found.fitted(link_tx(&r)?, ids_at(&r, 4)?, ids_at(&r, 7)?, r.try_get(10)?);
    }
    found.links(&mut Names::new(c))
}

pub(crate) fn partner_moves(c: &mut Conn, units: &[Unit]) -> Result<Vec<PartnerMove>> {
    let f = frontier(c, units)?;
    if f.items.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT t.seq, t.id, t.kind, t.occurred_at, t.reference, m.item_id, m.lot_id, m.serial_id, m.qty,
                lf.path, lf.kind, lt.path, lt.kind, m.line
         FROM {FRONTIER}
         JOIN movements m ON m.item_id = j.item AND m.lot_id = j.lot
         JOIN transactions t ON t.seq = m.tx_seq
         JOIN locations lf ON lf.id = m.from_id
         JOIN locations lt ON lt.id = m.to_id
         WHERE (j.serial = 0 OR m.serial_id = j.serial)
           AND (lf.kind IN ('supplier', 'customer') OR lt.kind IN ('supplier', 'customer'))"
    );
    let rows = query_frontier(c, &sql, &f)?;
    let raw = rows.iter().map(partner_row).collect::<Result<Vec<_>>>()?;
    trace::partner_moves(raw, &mut Names::new(c))
}

/// A partner move row: transaction, movement and both locations.
fn partner_row(r: &Row) -> Result<PartnerRow> {
    Ok(PartnerRow {
        tx: LinkTx { seq: r.try_get(0)?, tx_id: tx_id(r, 1)?, occurred_at: instant(r, 3)?, reference: r.try_get(4)? },
        kind: r.try_get(2)?,
        line: r.try_get(13)?,
        ids: ids_at(r, 5)?,
        qty: r.try_get(8)?,
        from: (parsed(r, 9)?, parsed(r, 10)?),
        to: (parsed(r, 11)?, parsed(r, 12)?),
    })
}

pub(crate) fn assembly_events(c: &mut Conn, sku: &Sku, serial: &Serial) -> Result<Vec<AssemblyEvent>> {
    let unit = Unit { sku: sku.clone(), lot: None, serial: Some(serial.clone()) };
    let Some(ids) = resolve(c, &unit)? else { return Ok(Vec::new()) };
    let rows = c.query(
        "SELECT t.seq, t.id, t.occurred_at, t.reference, t.reason,
                e.parent_item, coalesce(ps.lot_id, 0), e.parent_serial,
                e.component_item, coalesce(cs.lot_id, 0), e.component_serial, e.installed
         FROM assembly_events e
         JOIN transactions t ON t.seq = e.seq
         JOIN serials ps ON ps.id = e.parent_serial
         JOIN serials cs ON cs.id = e.component_serial
         WHERE (e.parent_item = $1 AND e.parent_serial = $2) OR (e.component_item = $1 AND e.component_serial = $2)
         ORDER BY e.seq, e.line",
        &[&ids.item, &ids.serial],
    )?;
    let mut names = Names::new(c);
    rows.iter()
        .map(|r| {
            Ok(AssemblyEvent {
                seq: r.try_get(0)?,
                tx_id: tx_id(r, 1)?,
                occurred_at: instant(r, 2)?,
                reference: r.try_get(3)?,
                reason: r.try_get(4)?,
                parent: names.unit(ids_at(r, 5)?)?,
                component: names.unit(ids_at(r, 8)?)?,
                installed: r.try_get(11)?,
            })
        })
        .collect()
}
