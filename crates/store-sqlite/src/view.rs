//! The writer's view of the ledger: reads inside the open write
//! transaction, through read-through caches of master data.
//!
//! Caches are only filled from reads, emptied whenever a savepoint or batch
//! rolls back (it may have read rows that no longer exist), and emptied when
//! another process has committed (`PRAGMA data_version`).

use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, params};
use tracelot_core::rules::{
    BalanceKey, ItemRecord, LedgerView, LocationRecord, LotRecord, MovementRecord, SerialRecord, TxRecord, ViewError,
    ViewResult,
};
use tracelot_core::{LocationPath, LotCode, LotStatus, PartnerCode, PlaceRef, Serial, Sku, TxId};
use tracelot_gs1::Gtin;

use crate::rows;

/// Master data read by the writer, shared across its batches.
#[derive(Default)]
pub(crate) struct Cache {
    items: HashMap<Sku, Arc<ItemRecord>>,
    items_by_id: HashMap<i64, Arc<ItemRecord>>,
    locations: HashMap<LocationPath, Arc<LocationRecord>>,
    locations_by_id: HashMap<i64, Arc<LocationRecord>>,
    partners: HashMap<PartnerCode, Arc<LocationRecord>>,
    places: HashMap<PlaceRef, Arc<LocationRecord>>,
    lots: HashMap<(i64, LotCode), Arc<LotRecord>>,
    lots_by_id: HashMap<i64, Arc<LotRecord>>,
    /// Balances by (item, lot, serial, location), 0 meaning none. An entry is
    /// made only from a read under the write lock and kept exact by
    /// [`Cache::moved`] on every balance write.
    balances: HashMap<(i64, i64, i64, i64), i64>,
    /// Serials by (item, number): id, lot and the location holding it. Made
    /// from reads, or by the writer for a serial it has just created.
    serials: HashMap<(i64, Serial), SerialEntry>,
    /// Whether any unit of an item has ever had a component installed, so
    /// that shipping units of other items costs no assembly query.
    pub(crate) parents: HashMap<i64, bool>,
    /// The supplier each lot was first received from (once known it never
    /// changes: movements are never removed).
    lot_suppliers: HashMap<i64, i64>,
    /// Held, recalled and rejected serials; read again after the writer
    /// records a serial status change.
    pub(crate) held_serials: Option<Arc<HashMap<i64, LotStatus>>>,
    /// Where today's rules begin in the chain (set once, before any write).
    rules_from: Option<i64>,
}

/// A cached serial: its id, its lot and the location holding it.
type SerialEntry = (i64, Option<i64>, Option<i64>);

/// Past this many entries a balance or serial map starts again empty, so
/// that the writer's memory stays bounded on any ledger size.
const MAX_ENTRIES: usize = 500_000;

impl Cache {
    /// Forgets everything.
    pub(crate) fn clear(&mut self) {
        *self = Cache::default();
    }

    /// Forgets which supplier each lot came from: a reversal may have
    /// undone a lot's first receipt.
    pub(crate) fn forget_suppliers(&mut self) {
        self.lot_suppliers.clear();
    }

    /// Follows a movement the writer has just written, so that cached
    /// balances and serial positions stay exact. `created` marks a serial this
    /// transaction created: its only rows are the ones just written.
    pub(crate) fn moved(
        &mut self,
        (item, lot, serial): (i64, i64, i64),
        number: Option<&Serial>,
        from: &LocationRecord,
        to: &LocationRecord,
        qty: i64,
        created: Option<i64>,
    ) {
        // The rules refused any move that would leave the 64-bit range, so
        // these sums never saturate.
        for (loc, delta) in [(from.id, qty.saturating_neg()), (to.id, qty)] {
            if let Some(b) = self.balances.get_mut(&(item, lot, serial, loc)) {
                *b = b.saturating_add(delta);
            }
        }
        let Some(number) = number else { return };
        let key = (item, number.clone());
        if self.serials.len() >= MAX_ENTRIES {
            self.serials.clear();
        }
        match (created, self.serials.get_mut(&key)) {
            (Some(lot_id), _) => {
                self.serials.insert(key, (serial, (lot_id != 0).then_some(lot_id), Some(to.id)));
            }
            // It was at the source; an internal destination was at zero
            // (never negative), so it holds the unit now.
            (None, Some(entry)) if to.kind.is_internal() => entry.2 = Some(to.id),
            // A virtual destination may have held -1 (the unit goes back where
            // it came from, and is then nowhere): read it again when needed.
            (None, Some(_)) => {
                self.serials.remove(&key);
            }
            (None, None) => {}
        }
    }

    /// Forgets one lot (its status changed).
    pub(crate) fn forget_lot(&mut self, id: i64) {
        if let Some(l) = self.lots_by_id.remove(&id) {
            self.lots.remove(&(l.item_id, l.code.clone()));
        }
    }

    fn keep_item(&mut self, r: ItemRecord) -> Arc<ItemRecord> {
        let r = Arc::new(r);
        self.items.insert(r.spec.sku.clone(), r.clone());
        self.items_by_id.insert(r.id, r.clone());
        r
    }

    fn keep_location(&mut self, r: LocationRecord) -> Arc<LocationRecord> {
        let r = Arc::new(r);
        self.locations.insert(r.path.clone(), r.clone());
        self.locations_by_id.insert(r.id, r.clone());
        r
    }

    fn keep_lot(&mut self, r: LotRecord) -> Arc<LotRecord> {
        let r = Arc::new(r);
        self.lots.insert((r.item_id, r.code.clone()), r.clone());
        self.lots_by_id.insert(r.id, r.clone());
        r
    }
}

fn view_err(e: rusqlite::Error) -> ViewError {
    ViewError(e.to_string())
}

/// A [`LedgerView`] over the write connection.
pub(crate) struct WriteView<'a> {
    pub(crate) conn: &'a Connection,
    pub(crate) cache: &'a mut Cache,
}

impl WriteView<'_> {
    fn missing(what: &str, id: i64) -> ViewError {
        ViewError(format!("{what} {id} is referenced but missing"))
    }

    fn location_where(&mut self, clause: &str, arg: &dyn rusqlite::ToSql) -> ViewResult<Option<Arc<LocationRecord>>> {
        let sql = format!("SELECT {} FROM locations WHERE {clause}", rows::LOCATION_COLS);
        let r = self
            .conn
            .prepare_cached(&sql)
            .map_err(view_err)?
            .query_row([arg], rows::location)
            .optional()
            .map_err(view_err)?;
        Ok(r.map(|r| self.cache.keep_location(r)))
    }
}

impl LedgerView for WriteView<'_> {
    fn item(&mut self, sku: &Sku) -> ViewResult<Option<Arc<ItemRecord>>> {
        if let Some(i) = self.cache.items.get(sku) {
            return Ok(Some(i.clone()));
        }
        let sql = format!("SELECT {} FROM items WHERE sku = ?1", rows::ITEM_COLS);
        let r = self
            .conn
            .prepare_cached(&sql)
            .map_err(view_err)?
            .query_row([sku.as_str()], rows::item)
            .optional()
            .map_err(view_err)?;
        Ok(r.map(|r| self.cache.keep_item(r)))
    }

    fn item_by_id(&mut self, id: i64) -> ViewResult<Arc<ItemRecord>> {
        if let Some(i) = self.cache.items_by_id.get(&id) {
            return Ok(i.clone());
        }
        let sql = format!("SELECT {} FROM items WHERE id = ?1", rows::ITEM_COLS);
        let r = self
            .conn
            .prepare_cached(&sql)
            .map_err(view_err)?
            .query_row([id], rows::item)
            .optional()
            .map_err(view_err)?;
        r.map(|r| self.cache.keep_item(r)).ok_or_else(|| Self::missing("item", id))
    }

    fn item_by_gtin(&mut self, gtin: &Gtin) -> ViewResult<Option<Arc<ItemRecord>>> {
        let sql = format!("SELECT {} FROM items WHERE gtin = ?1", rows::ITEM_COLS);
        let r = self
            .conn
            .prepare_cached(&sql)
            .map_err(view_err)?
            .query_row([gtin.as_str()], rows::item)
            .optional()
            .map_err(view_err)?;
        Ok(r.map(|r| self.cache.keep_item(r)))
    }

    fn location(&mut self, path: &LocationPath) -> ViewResult<Option<Arc<LocationRecord>>> {
        if let Some(l) = self.cache.locations.get(path) {
            return Ok(Some(l.clone()));
        }
        self.location_where("path = ?1", &path.as_str())
    }

    fn location_by_id(&mut self, id: i64) -> ViewResult<Arc<LocationRecord>> {
        if let Some(l) = self.cache.locations_by_id.get(&id) {
            return Ok(l.clone());
        }
        self.location_where("id = ?1", &id)?.ok_or_else(|| Self::missing("location", id))
    }

    fn partner_location(&mut self, code: &PartnerCode) -> ViewResult<Option<Arc<LocationRecord>>> {
        if let Some(l) = self.cache.partners.get(code) {
            return Ok(Some(l.clone()));
        }
        let loc = self.location_where("id = (SELECT location_id FROM partners WHERE code = ?1)", &code.as_str())?;
        if let Some(l) = &loc {
            self.cache.partners.insert(code.clone(), l.clone());
        }
        Ok(loc)
    }

    fn place(&mut self, place: &PlaceRef) -> ViewResult<Option<Arc<LocationRecord>>> {
        if let Some(l) = self.cache.places.get(place) {
            return Ok(Some(l.clone()));
        }
        let mut found = self.location(place.as_path())?;
        if found.is_none()
            && let Some(code) = place.as_partner()
        {
            found = self.partner_location(&code)?;
        }
        if let Some(l) = &found {
            self.cache.places.insert(place.clone(), l.clone());
        }
        Ok(found)
    }

    fn lot(&mut self, item_id: i64, code: &LotCode) -> ViewResult<Option<Arc<LotRecord>>> {
        if let Some(l) = self.cache.lots.get(&(item_id, code.clone())) {
            return Ok(Some(l.clone()));
        }
        let sql = format!("SELECT {} FROM lots WHERE item_id = ?1 AND code = ?2", rows::LOT_COLS);
        let r = self
            .conn
            .prepare_cached(&sql)
            .map_err(view_err)?
            .query_row(params![item_id, code.as_str()], rows::lot)
            .optional()
            .map_err(view_err)?;
        Ok(r.map(|r| self.cache.keep_lot(r)))
    }

    fn lot_by_id(&mut self, id: i64) -> ViewResult<Arc<LotRecord>> {
        if let Some(l) = self.cache.lots_by_id.get(&id) {
            return Ok(l.clone());
        }
        let sql = format!("SELECT {} FROM lots WHERE id = ?1", rows::LOT_COLS);
        let r = self
            .conn
            .prepare_cached(&sql)
            .map_err(view_err)?
            .query_row([id], rows::lot)
            .optional()
            .map_err(view_err)?;
        r.map(|r| self.cache.keep_lot(r)).ok_or_else(|| Self::missing("lot", id))
    }

    fn serial(&mut self, item_id: i64, serial: &Serial) -> ViewResult<Option<SerialRecord>> {
        if let Some(&(id, lot_id, loc)) = self.cache.serials.get(&(item_id, serial.clone())) {
            let at = loc.map(|l| self.location_by_id(l)).transpose()?;
            return Ok(Some(SerialRecord { id, lot_id, at }));
        }
        // A correlated subquery, not a join: SQLite recompiled the joined
        // form on every execution, which cost a fifth of the writer's time.
        let row: Option<(i64, Option<i64>, Option<i64>)> = self
            .conn
            .prepare_cached(
                "SELECT s.id, s.lot_id,
                        (SELECT b.location_id FROM balances b
                         WHERE b.item_id = s.item_id AND b.serial_id = s.id AND b.serial_id <> 0 AND b.qty > 0)
                 FROM serials s WHERE s.item_id = ?1 AND s.serial = ?2",
            )
            .map_err(view_err)?
            .query_row(params![item_id, serial.as_str()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()
            .map_err(view_err)?;
        let Some((id, lot_id, loc)) = row else { return Ok(None) };
        if self.cache.serials.len() >= MAX_ENTRIES {
            self.cache.serials.clear();
        }
        self.cache.serials.insert((item_id, serial.clone()), (id, lot_id, loc));
        let at = loc.map(|l| self.location_by_id(l)).transpose()?;
        Ok(Some(SerialRecord { id, lot_id, at }))
    }

    fn serials_known(&mut self, item_id: i64, serials: &[Serial]) -> ViewResult<HashMap<Serial, SerialRecord>> {
        // One statement per chunk instead of one per serial.
        const CHUNK: usize = 500;
        let mut found = HashMap::new();
        for chunk in serials.chunks(CHUNK) {
            let marks: Vec<String> = (2..).take(chunk.len()).map(|i| format!("?{i}")).collect();
            let sql = format!(
                "SELECT s.serial, s.id, s.lot_id,
                        (SELECT b.location_id FROM balances b
                         WHERE b.item_id = s.item_id AND b.serial_id = s.id AND b.serial_id <> 0 AND b.qty > 0)
                 FROM serials s WHERE s.item_id = ?1 AND s.serial IN ({})",
                marks.join(", ")
            );
            let mut args: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(CHUNK + 1);
            args.push(&item_id);
            let texts: Vec<&str> = chunk.iter().map(Serial::as_str).collect();
            args.extend(texts.iter().map(|t| t as &dyn rusqlite::ToSql));
            let rows: Vec<(Serial, i64, Option<i64>, Option<i64>)> = self
                .conn
                .prepare_cached(&sql)
                .map_err(view_err)?
                .query_map(args.as_slice(), |r| Ok((rows::serial(r, 0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .map_err(view_err)?
                .collect::<rusqlite::Result<_>>()
                .map_err(view_err)?;
            for (serial, id, lot_id, loc) in rows {
                let at = loc.map(|l| self.location_by_id(l)).transpose()?;
                found.insert(serial, SerialRecord { id, lot_id, at });
            }
        }
        Ok(found)
    }

    fn serial_by_id(&mut self, id: i64) -> ViewResult<Serial> {
        self.conn
            .prepare_cached("SELECT serial FROM serials WHERE id = ?1")
            .map_err(view_err)?
            .query_row([id], |r| rows::serial(r, 0))
            .optional()
            .map_err(view_err)?
            .ok_or_else(|| Self::missing("serial", id))
    }

    fn balance(&mut self, key: BalanceKey) -> ViewResult<i64> {
        let k = (key.item_id, key.lot_id.unwrap_or(0), key.serial_id.unwrap_or(0), key.location_id);
        if let Some(q) = self.cache.balances.get(&k) {
            return Ok(*q);
        }
        let q: Option<i64> = self
            .conn
            .prepare_cached(
                "SELECT qty FROM balances WHERE item_id = ?1 AND lot_id = ?2 AND serial_id = ?3 AND location_id = ?4",
            )
            .map_err(view_err)?
            .query_row(
                params![key.item_id, key.lot_id.unwrap_or(0), key.serial_id.unwrap_or(0), key.location_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(view_err)?;
        if self.cache.balances.len() >= MAX_ENTRIES {
            self.cache.balances.clear();
        }
        self.cache.balances.insert(k, q.unwrap_or(0));
        Ok(q.unwrap_or(0))
    }

    fn serials_at(&mut self, item_id: i64, location_id: i64) -> ViewResult<Vec<(i64, Serial, Option<i64>)>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT s.id, s.serial, s.lot_id FROM balances b JOIN serials s ON s.id = b.serial_id
                 WHERE b.item_id = ?1 AND b.location_id = ?2 AND b.serial_id <> 0 AND b.qty > 0 ORDER BY s.serial",
            )
            .map_err(view_err)?;
        let rows = stmt
            .query_map(params![item_id, location_id], |r| Ok((r.get(0)?, rows::serial(r, 1)?, r.get(2)?)))
            .map_err(view_err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(view_err)
    }

    fn transaction(&mut self, id: &TxId) -> ViewResult<Option<TxRecord>> {
        let head: Option<(i64, String, Option<i64>, Option<i64>)> = self
            .conn
            .prepare_cached(
                "SELECT t.seq, t.kind, t.reverses, (SELECT r.seq FROM transactions r WHERE r.reverses = t.seq)
                 FROM transactions t WHERE t.id = ?1",
            )
            .map_err(view_err)?
            .query_row([&id.as_bytes()[..]], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()
            .map_err(view_err)?;
        let Some((seq, kind, reverses, reversed_by)) = head else { return Ok(None) };
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT item_id, lot_id, serial_id, from_id, to_id, qty FROM movements WHERE tx_seq = ?1 ORDER BY line",
            )
            .map_err(view_err)?;
        let nz = |v: i64| (v != 0).then_some(v);
        let movements = stmt
            .query_map([seq], |r| {
                Ok(MovementRecord {
                    item_id: r.get(0)?,
                    lot_id: nz(r.get(1)?),
                    serial_id: nz(r.get(2)?),
                    from_id: r.get(3)?,
                    to_id: r.get(4)?,
                    qty: r.get(5)?,
                })
            })
            .map_err(view_err)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(view_err)?;
        Ok(Some(TxRecord { seq, kind, reverses, reversed_by, movements }))
    }

    fn serial_counter(&mut self, item_id: i64) -> ViewResult<u64> {
        let next: Option<i64> = self
            .conn
            .prepare_cached("SELECT next FROM serial_counters WHERE item_id = ?1")
            .map_err(view_err)?
            .query_row([item_id], |r| r.get(0))
            .optional()
            .map_err(view_err)?;
        Ok(next.map_or(1, |n| n.max(0) as u64))
    }

    fn installed_in(&mut self, item_id: i64, serial_id: i64) -> ViewResult<Option<(i64, i64)>> {
        let last: Option<(i64, i64, bool)> = self
            .conn
            .prepare_cached(
                "SELECT parent_item, parent_serial, installed FROM assembly_events
                 WHERE component_item = ?1 AND component_serial = ?2 ORDER BY seq DESC, line DESC LIMIT 1",
            )
            .map_err(view_err)?
            .query_row([item_id, serial_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()
            .map_err(view_err)?;
        Ok(last.filter(|l| l.2).map(|(p, s, _)| (p, s)))
    }

    fn lots_in(&mut self, parent_item: i64, parent_serial: i64) -> ViewResult<Vec<(i64, i64, i64)>> {
        if !self.is_parent(parent_item)? {
            return Ok(Vec::new());
        }
        self.conn
            .prepare_cached(
                "SELECT component_item, component_lot, sum(CASE WHEN installed = 1 THEN qty ELSE -qty END) AS held
                 FROM assembly_lot_events WHERE parent_item = ?1 AND parent_serial = ?2
                 GROUP BY component_item, component_lot HAVING held > 0",
            )
            .and_then(|mut s| {
                s.query_map([parent_item, parent_serial], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect()
            })
            .map_err(view_err)
    }

    fn document_size(&mut self, sha256: &tracelot_core::document::DocumentHash) -> ViewResult<Option<u32>> {
        self.conn
            .prepare_cached("SELECT size FROM documents WHERE sha256 = ?1")
            .and_then(|mut s| s.query_row([sha256.as_str()], |r| r.get(0)).optional())
            .map_err(view_err)
    }

    fn packaging_gtin(&mut self, gtin: &Gtin) -> ViewResult<Option<i64>> {
        self.conn
            .prepare_cached("SELECT item_id FROM packagings WHERE gtin = ?1")
            .and_then(|mut s| s.query_row([gtin.as_str()], |r| r.get(0)).optional())
            .map_err(view_err)
    }

    fn rules_from(&mut self) -> ViewResult<i64> {
        if let Some(seq) = self.cache.rules_from {
            return Ok(seq);
        }
        let seq: i64 = self
            .conn
            .prepare_cached("SELECT from_seq FROM rules_from WHERE id = 1")
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .map_err(view_err)?;
        self.cache.rules_from = Some(seq);
        Ok(seq)
    }

    fn arrival_of(&mut self, dispatch_seq: i64) -> ViewResult<Option<i64>> {
        self.conn
            .prepare_cached("SELECT arrival_seq FROM arrivals WHERE dispatch_seq = ?1")
            .and_then(|mut s| s.query_row([dispatch_seq], |r| r.get(0)).optional())
            .map_err(view_err)
    }

    fn held_serials(&mut self) -> ViewResult<Arc<HashMap<i64, LotStatus>>> {
        if let Some(held) = &self.cache.held_serials {
            return Ok(held.clone());
        }
        let rows: Vec<(i64, LotStatus)> = self
            .conn
            .prepare_cached(
                "SELECT c.serial_id, c.status FROM serial_status_changes c
                 WHERE c.status <> 'released'
                   AND c.tx_seq = (SELECT max(d.tx_seq) FROM serial_status_changes d WHERE d.serial_id = c.serial_id)",
            )
            .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, rows::parsed(r, 1)?)))?.collect())
            .map_err(view_err)?;
        let held = Arc::new(rows.into_iter().collect::<HashMap<_, _>>());
        self.cache.held_serials = Some(held.clone());
        Ok(held)
    }

    fn lots_at(&mut self, item_id: i64, location_id: i64) -> ViewResult<Vec<i64>> {
        self.conn
            .prepare_cached(
                "SELECT lot_id FROM balances
                 WHERE item_id = ?1 AND location_id = ?2 AND serial_id = 0 AND lot_id <> 0 AND qty <> 0",
            )
            .and_then(|mut s| s.query_map([item_id, location_id], |r| r.get(0))?.collect())
            .map_err(view_err)
    }

    fn lot_supplier(&mut self, item_id: i64, lot_id: i64) -> ViewResult<Option<i64>> {
        if let Some(s) = self.cache.lot_suppliers.get(&lot_id) {
            return Ok(Some(*s));
        }
        let found: Option<i64> = self
            .conn
            .prepare_cached(
                "SELECT m.from_id FROM movements m JOIN locations l ON l.id = m.from_id
                 WHERE m.item_id = ?1 AND m.lot_id = ?2 AND l.kind = 'supplier'
                   AND NOT EXISTS (SELECT 1 FROM transactions r WHERE r.reverses = m.tx_seq)
                 ORDER BY m.tx_seq, m.line LIMIT 1",
            )
            .and_then(|mut s| s.query_row([item_id, lot_id], |r| r.get(0)).optional())
            .map_err(view_err)?;
        if let Some(s) = found {
            self.cache.lot_suppliers.insert(lot_id, s);
        }
        Ok(found)
    }

    fn components_in(&mut self, parent_item: i64, parent_serial: i64) -> ViewResult<Vec<(i64, i64)>> {
        if !self.is_parent(parent_item)? {
            return Ok(Vec::new());
        }
        self.conn
            .prepare_cached(
                "SELECT e.component_item, e.component_serial FROM assembly_events e
                 WHERE e.parent_item = ?1 AND e.parent_serial = ?2 AND e.installed = 1
                   AND NOT EXISTS (SELECT 1 FROM assembly_events later
                                   WHERE later.component_item = e.component_item
                                     AND later.component_serial = e.component_serial
                                     AND (later.seq, later.line) > (e.seq, e.line))",
            )
            .and_then(|mut s| s.query_map([parent_item, parent_serial], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
            .map_err(view_err)
    }
}

impl WriteView<'_> {
    /// Whether any unit of an item has ever had a component (a serial or a
    /// lot part) installed, so that shipping units of other items costs no
    /// assembly query.
    fn is_parent(&mut self, parent_item: i64) -> ViewResult<bool> {
        if let Some(known) = self.cache.parents.get(&parent_item) {
            return Ok(*known);
        }
        let found = self
            .conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM assembly_events WHERE parent_item = ?1)
                     OR EXISTS (SELECT 1 FROM assembly_lot_events WHERE parent_item = ?1)",
            )
            .and_then(|mut s| s.query_row([parent_item], |r| r.get(0)))
            .map_err(view_err)?;
        self.cache.parents.insert(parent_item, found);
        Ok(found)
    }
}
