//! The writer's view of the ledger: committed rows read inside the open
//! write transaction (through read-through caches of what other batches
//! committed), overlaid with what the open batch has planned but not yet
//! written. A batch's transactions, serials, movements and balance changes
//! are written together at its end with set-based statements; until then
//! the overlay is what later transactions of the batch see.
//!
//! The caches only hold committed values. They are emptied whenever a batch
//! rolls back and whenever another process has moved the chain's head.

use std::collections::HashMap;
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};
use tracelot_core::rules::{
    BalanceKey, ItemRecord, LedgerView, LocationRecord, LotRecord, MovementRecord, SerialRecord, TxRecord, ViewError,
    ViewResult,
};
use tracelot_core::{LocationPath, LotCode, LotStatus, PartnerCode, PlaceRef, Serial, Sku, TxId};
use tracelot_gs1::Gtin;

use crate::db::{Conn, Error};
use crate::rows;

/// A balance by (item, lot, serial, location), 0 meaning none.
pub(crate) type BalanceId = (i64, i64, i64, i64);

/// A committed serial: its id, its lot and the location holding it.
type SerialEntry = (i64, Option<i64>, Option<i64>);

/// Past this many entries a balance or serial map starts again empty, so
/// that the writer's memory stays bounded on any ledger size.
const MAX_ENTRIES: usize = 500_000;

/// Committed master data and balances, shared across batches.
#[derive(Default)]
pub(crate) struct Cache {
    items: FxHashMap<Sku, Arc<ItemRecord>>,
    items_by_id: FxHashMap<i64, Arc<ItemRecord>>,
    locations: FxHashMap<LocationPath, Arc<LocationRecord>>,
    locations_by_id: FxHashMap<i64, Arc<LocationRecord>>,
    partners: FxHashMap<PartnerCode, Arc<LocationRecord>>,
    places: FxHashMap<PlaceRef, Arc<LocationRecord>>,
    lots: FxHashMap<(i64, LotCode), Arc<LotRecord>>,
    lots_by_id: FxHashMap<i64, Arc<LotRecord>>,
    balances: FxHashMap<BalanceId, i64>,
    /// Serials by (item, number): id, lot and the location holding it.
    serials: FxHashMap<(i64, Serial), SerialEntry>,
    /// Whether any unit of an item has ever had a component installed, so
    /// that shipping units of other items costs no assembly query.
    pub(crate) parents: FxHashMap<i64, bool>,
    /// Held, recalled and rejected serials; read again after the writer
    /// records a serial status change.
    pub(crate) held_serials: Option<Arc<HashMap<i64, LotStatus>>>,
    /// Where today's rules begin in the chain (set once, before any write).
    rules_from: Option<i64>,
}

impl Cache {
    pub(crate) fn clear(&mut self) {
        *self = Cache::default();
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

    pub(crate) fn keep_lot(&mut self, r: LotRecord) -> Arc<LotRecord> {
        let r = Arc::new(r);
        self.lots.insert((r.item_id, r.code.clone()), r.clone());
        self.lots_by_id.insert(r.id, r.clone());
        r
    }

    fn keep_serial(&mut self, key: (i64, Serial), value: SerialEntry) {
        if self.serials.len() >= MAX_ENTRIES {
            self.serials.clear();
        }
        self.serials.insert(key, value);
    }

    /// Takes in what a batch has just written: balance changes on cached
    /// balances, and serials' new places.
    pub(crate) fn written(&mut self, pend: &Pending) {
        for (k, (_, delta)) in &pend.balances {
            // The rules kept every balance within 64 bits, so sums never saturate.
            if let Some(b) = self.balances.get_mut(k) {
                *b = b.saturating_add(*delta);
            }
        }
        for (key, s) in &pend.serials {
            match s.at {
                At::Known(at) => self.keep_serial(key.clone(), (s.id, s.lot, at)),
                At::Unknown => {
                    self.serials.remove(key);
                }
            }
        }
    }
}

/// Where a serial moved by the open batch is.
#[derive(Debug, Clone, Copy)]
pub(crate) enum At {
    /// Here (or nowhere).
    Known(Option<i64>),
    /// It went to a virtual location that may have held -1: work it out
    /// from the balances when asked.
    Unknown,
}

/// A serial the open batch created or moved.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PendingSerial {
    pub(crate) id: i64,
    pub(crate) lot: Option<i64>,
    pub(crate) at: At,
}

/// Rows of the open batch, column by column, as `unnest` takes them.
#[derive(Default)]
pub(crate) struct Pending {
    pub(crate) tx: TxColumns,
    pub(crate) moves: MoveColumns,
    pub(crate) new_serials: SerialColumns,
    pub(crate) new_lot_rows: LotColumns,
    pub(crate) status_changes: StatusColumns,
    /// Net balance changes by key, with the location's internal flag.
    pub(crate) balances: FxHashMap<BalanceId, (bool, i64)>,
    pub(crate) serials: FxHashMap<(i64, Serial), PendingSerial>,
    /// Serial numbers created in this batch, by id.
    pub(crate) serial_names: FxHashMap<i64, Serial>,
    /// This batch's transactions, as a reversal in the same batch needs them.
    pub(crate) txs: FxHashMap<TxId, TxRecord>,
    /// Transactions reversed in this batch: reversed seq → reversing seq.
    pub(crate) reversed: FxHashMap<i64, i64>,
    /// Serials the batch names that were not stored when it began (and are
    /// not, unless the batch created them, which `serials` then says).
    pub(crate) absent: FxHashSet<(i64, Serial)>,
    /// Lots the batch names that were not stored when it began (unless
    /// the batch created them, which the cache then holds).
    pub(crate) absent_lots: FxHashSet<(i64, LotCode)>,
    /// Lots created by this batch: none of their balances is stored yet.
    pub(crate) new_lots: FxHashSet<i64>,
}

impl Pending {
    /// Empties it for the next batch, keeping its allocations.
    pub(crate) fn clear(&mut self) {
        self.tx.clear();
        self.moves.clear();
        self.new_serials.clear();
        self.new_lot_rows.clear();
        self.status_changes.clear();
        self.balances.clear();
        self.serials.clear();
        self.serial_names.clear();
        self.txs.clear();
        self.reversed.clear();
        self.absent.clear();
        self.absent_lots.clear();
        self.new_lots.clear();
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.tx.seq.is_empty()
    }

    /// Follows a movement: its balance changes, and where a serial is now.
    pub(crate) fn moved(
        &mut self,
        (item, lot, serial): (i64, i64, i64),
        number: Option<&Serial>,
        from: &LocationRecord,
        to: &LocationRecord,
        qty: i64,
    ) {
        let leaving = qty.saturating_neg();
        for (loc, internal, delta) in [(from.id, from.kind.is_internal(), leaving), (to.id, to.kind.is_internal(), qty)]
        {
            let pending = &mut self.balances.entry((item, lot, serial, loc)).or_insert((internal, 0)).1;
            *pending = pending.saturating_add(delta);
        }
        if let Some(number) = number {
            // An internal destination was at zero (never negative), so it
            // holds the unit now; a virtual one may have held -1.
            let at = if to.kind.is_internal() { At::Known(Some(to.id)) } else { At::Unknown };
            let lot = (lot != 0).then_some(lot);
            self.serials.insert((item, number.clone()), PendingSerial { id: serial, lot, at });
        }
    }
}

/// Empties every column of a column set, keeping allocations.
macro_rules! clearable {
    ($t:ty { $($f:ident),* }) => {
        impl $t {
            fn clear(&mut self) {
                $(self.$f.clear();)*
            }
        }
    };
}

clearable!(TxColumns {
    seq,
    id,
    kind,
    request,
    occurred_at,
    recorded_at,
    user,
    reference,
    reason,
    reverses,
    overrides,
    movement_count,
    hash
});
clearable!(MoveColumns { tx_seq, line, item, lot, serial, from, to, qty, occurred_at });
clearable!(SerialColumns { id, item, serial, lot, created_seq });
clearable!(LotColumns {
    id,
    item,
    code,
    produced_on,
    expires_on,
    best_before,
    supplier_lot,
    attributes,
    status,
    created_seq
});
clearable!(StatusColumns { lot, seq, status });

/// Columns of `lots`.
#[derive(Default)]
pub(crate) struct LotColumns {
    pub(crate) id: Vec<i64>,
    pub(crate) item: Vec<i64>,
    pub(crate) code: Vec<String>,
    pub(crate) produced_on: Vec<Option<String>>,
    pub(crate) expires_on: Vec<Option<String>>,
    pub(crate) best_before: Vec<Option<String>>,
    pub(crate) supplier_lot: Vec<Option<String>>,
    pub(crate) attributes: Vec<String>,
    pub(crate) status: Vec<&'static str>,
    pub(crate) created_seq: Vec<i64>,
}

/// Columns of `lot_status_changes`.
#[derive(Default)]
pub(crate) struct StatusColumns {
    pub(crate) lot: Vec<i64>,
    pub(crate) seq: Vec<i64>,
    pub(crate) status: Vec<&'static str>,
}

impl StatusColumns {
    pub(crate) fn push(&mut self, lot: i64, seq: i64, status: &'static str) {
        self.lot.push(lot);
        self.seq.push(seq);
        self.status.push(status);
    }
}

/// Columns of `transactions`.
#[derive(Default)]
pub(crate) struct TxColumns {
    pub(crate) seq: Vec<i64>,
    pub(crate) id: Vec<[u8; 16]>,
    pub(crate) kind: Vec<&'static str>,
    pub(crate) request: Vec<Arc<str>>,
    pub(crate) occurred_at: Vec<i64>,
    pub(crate) recorded_at: Vec<i64>,
    pub(crate) user: Vec<String>,
    pub(crate) reference: Vec<Option<String>>,
    pub(crate) reason: Vec<Option<String>>,
    pub(crate) reverses: Vec<Option<i64>>,
    pub(crate) overrides: Vec<String>,
    pub(crate) movement_count: Vec<i64>,
    pub(crate) hash: Vec<[u8; 32]>,
}

/// Columns of `movements`.
#[derive(Default)]
pub(crate) struct MoveColumns {
    pub(crate) tx_seq: Vec<i64>,
    pub(crate) line: Vec<i64>,
    pub(crate) item: Vec<i64>,
    pub(crate) lot: Vec<i64>,
    pub(crate) serial: Vec<i64>,
    pub(crate) from: Vec<i64>,
    pub(crate) to: Vec<i64>,
    pub(crate) qty: Vec<i64>,
    pub(crate) occurred_at: Vec<i64>,
}

/// Columns of `serials`.
#[derive(Default)]
pub(crate) struct SerialColumns {
    pub(crate) id: Vec<i64>,
    pub(crate) item: Vec<i64>,
    pub(crate) serial: Vec<String>,
    pub(crate) lot: Vec<Option<i64>>,
    pub(crate) created_seq: Vec<i64>,
}

fn view_err(e: Error) -> ViewError {
    ViewError(e.to_string())
}

fn pg_err(e: postgres::Error) -> ViewError {
    view_err(Error::Db(e))
}

/// A [`LedgerView`] over the write connection and the open batch.
pub(crate) struct WriteView<'a> {
    pub(crate) conn: &'a mut Conn,
    pub(crate) cache: &'a mut Cache,
    pub(crate) pend: &'a Pending,
}

impl WriteView<'_> {
    fn missing(what: &str, id: i64) -> ViewError {
        ViewError(format!("{what} {id} is referenced but missing"))
    }

    fn one<T>(
        &mut self,
        sql: &str,
        params: &crate::db::Params,
        f: impl FnOnce(&postgres::Row) -> crate::db::Result<T>,
    ) -> ViewResult<Option<T>> {
        match self.conn.query_opt(sql, params).map_err(view_err)? {
            Some(r) => f(&r).map(Some).map_err(view_err),
            None => Ok(None),
        }
    }

    fn item_where(
        &mut self,
        clause: &str,
        arg: &(dyn postgres::types::ToSql + Sync),
    ) -> ViewResult<Option<Arc<ItemRecord>>> {
        let sql = format!("SELECT {} FROM items WHERE {clause}", rows::ITEM_COLS);
        Ok(self.one(&sql, &[arg], rows::item)?.map(|r| self.cache.keep_item(r)))
    }

    fn location_where(
        &mut self,
        clause: &str,
        arg: &(dyn postgres::types::ToSql + Sync),
    ) -> ViewResult<Option<Arc<LocationRecord>>> {
        let sql = format!("SELECT {} FROM locations WHERE {clause}", rows::LOCATION_COLS);
        Ok(self.one(&sql, &[arg], rows::location)?.map(|r| self.cache.keep_location(r)))
    }

    fn lot_where(&mut self, clause: &str, args: &crate::db::Params) -> ViewResult<Option<Arc<LotRecord>>> {
        let sql = format!("SELECT {} FROM lots WHERE {clause}", rows::LOT_COLS);
        Ok(self.one(&sql, args, rows::lot)?.map(|r| self.cache.keep_lot(r)))
    }

    /// Where a serial moved by this batch is, when its destination was virtual.
    fn settle(&mut self, item: i64, s: &PendingSerial) -> ViewResult<Option<i64>> {
        if let At::Known(at) = s.at {
            return Ok(at);
        }
        let lot = s.lot.unwrap_or(0);
        let mut held: FxHashMap<i64, i64> = FxHashMap::default();
        for r in self
            .conn
            .query("SELECT location_id, qty FROM balances WHERE item_id = $1 AND serial_id = $2", &[&item, &s.id])
            .map_err(view_err)?
        {
            held.insert(r.try_get(0).map_err(pg_err)?, r.try_get(1).map_err(pg_err)?);
        }
        for (&(i, l, serial, loc), &(_, delta)) in &self.pend.balances {
            if (i, l, serial) == (item, lot, s.id) {
                let here = held.entry(loc).or_insert(0);
                *here = here.saturating_add(delta);
            }
        }
        Ok(held.into_iter().find(|(_, q)| *q > 0).map(|(loc, _)| loc))
    }

    fn record(&mut self, id: i64, lot_id: Option<i64>, at: Option<i64>) -> ViewResult<SerialRecord> {
        let at = at.map(|l| self.location_by_id(l)).transpose()?;
        Ok(SerialRecord { id, lot_id, at })
    }

    /// Serials of an item with their lots and places, committed state.
    fn committed_serials(&mut self, item_id: i64, serials: &[&str]) -> ViewResult<Vec<(Serial, SerialEntry)>> {
        let rows = self
            .conn
            .query(
                "SELECT s.serial, s.id, s.lot_id,
                        (SELECT b.location_id FROM balances b
                         WHERE b.item_id = s.item_id AND b.serial_id = s.id AND b.serial_id <> 0 AND b.qty > 0)
                 FROM serials s WHERE s.item_id = $1 AND s.serial = ANY($2)",
                &[&item_id, &serials],
            )
            .map_err(view_err)?;
        rows.iter()
            .map(|r| {
                Ok((
                    rows::serial(r, 0).map_err(view_err)?,
                    (r.try_get(1).map_err(pg_err)?, r.try_get(2).map_err(pg_err)?, r.try_get(3).map_err(pg_err)?),
                ))
            })
            .collect()
    }
}

impl LedgerView for WriteView<'_> {
    fn item(&mut self, sku: &Sku) -> ViewResult<Option<Arc<ItemRecord>>> {
        if let Some(i) = self.cache.items.get(sku) {
            return Ok(Some(i.clone()));
        }
        self.item_where("sku = $1", &sku.as_str())
    }

    fn item_by_id(&mut self, id: i64) -> ViewResult<Arc<ItemRecord>> {
        if let Some(i) = self.cache.items_by_id.get(&id) {
            return Ok(i.clone());
        }
        self.item_where("id = $1", &id)?.ok_or_else(|| Self::missing("item", id))
    }

    fn item_by_gtin(&mut self, gtin: &Gtin) -> ViewResult<Option<Arc<ItemRecord>>> {
        self.item_where("gtin = $1", &gtin.as_str())
    }

    fn location(&mut self, path: &LocationPath) -> ViewResult<Option<Arc<LocationRecord>>> {
        if let Some(l) = self.cache.locations.get(path) {
            return Ok(Some(l.clone()));
        }
        self.location_where("path = $1", &path.as_str())
    }

    fn location_by_id(&mut self, id: i64) -> ViewResult<Arc<LocationRecord>> {
        if let Some(l) = self.cache.locations_by_id.get(&id) {
            return Ok(l.clone());
        }
        self.location_where("id = $1", &id)?.ok_or_else(|| Self::missing("location", id))
    }

    fn partner_location(&mut self, code: &PartnerCode) -> ViewResult<Option<Arc<LocationRecord>>> {
        if let Some(l) = self.cache.partners.get(code) {
            return Ok(Some(l.clone()));
        }
        let loc = self.location_where("id = (SELECT location_id FROM partners WHERE code = $1)", &code.as_str())?;
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
        let key = (item_id, code.clone());
        if let Some(l) = self.cache.lots.get(&key) {
            return Ok(Some(l.clone()));
        }
        if self.pend.absent_lots.contains(&key) {
            return Ok(None);
        }
        self.lot_where("item_id = $1 AND code = $2", &[&item_id, &code.as_str()])
    }

    fn lot_by_id(&mut self, id: i64) -> ViewResult<Arc<LotRecord>> {
        if let Some(l) = self.cache.lots_by_id.get(&id) {
            return Ok(l.clone());
        }
        self.lot_where("id = $1", &[&id])?.ok_or_else(|| Self::missing("lot", id))
    }

    fn serial(&mut self, item_id: i64, serial: &Serial) -> ViewResult<Option<SerialRecord>> {
        let key = (item_id, serial.clone());
        if let Some(s) = self.pend.serials.get(&key).copied() {
            let at = self.settle(item_id, &s)?;
            return self.record(s.id, s.lot, at).map(Some);
        }
        if let Some(&(id, lot_id, at)) = self.cache.serials.get(&key) {
            return self.record(id, lot_id, at).map(Some);
        }
        if self.pend.absent.contains(&key) {
            return Ok(None);
        }
        let Some((_, (id, lot_id, at))) = self.committed_serials(item_id, &[serial.as_str()])?.pop() else {
            return Ok(None);
        };
        self.cache.keep_serial(key, (id, lot_id, at));
        self.record(id, lot_id, at).map(Some)
    }

    fn serials_known(&mut self, item_id: i64, serials: &[Serial]) -> ViewResult<HashMap<Serial, SerialRecord>> {
        let mut found = HashMap::new();
        let mut ask = Vec::new();
        for s in serials {
            let key = (item_id, s.clone());
            if let Some(p) = self.pend.serials.get(&key).copied() {
                let at = self.settle(item_id, &p)?;
                let r = self.record(p.id, p.lot, at)?;
                found.insert(s.clone(), r);
            } else if let Some(&(id, lot_id, at)) = self.cache.serials.get(&key) {
                let r = self.record(id, lot_id, at)?;
                found.insert(s.clone(), r);
            } else if !self.pend.absent.contains(&key) {
                ask.push(s.as_str());
            }
        }
        if !ask.is_empty() {
            for (serial, (id, lot_id, at)) in self.committed_serials(item_id, &ask)? {
                let r = self.record(id, lot_id, at)?;
                found.insert(serial, r);
            }
        }
        Ok(found)
    }

    fn serial_by_id(&mut self, id: i64) -> ViewResult<Serial> {
        if let Some(s) = self.pend.serial_names.get(&id) {
            return Ok(s.clone());
        }
        self.one("SELECT serial FROM serials WHERE id = $1", &[&id], |r| rows::serial(r, 0))?
            .ok_or_else(|| Self::missing("serial", id))
    }

    fn balance(&mut self, key: BalanceKey) -> ViewResult<i64> {
        let k = (key.item_id, key.lot_id.unwrap_or(0), key.serial_id.unwrap_or(0), key.location_id);
        let pending = self.pend.balances.get(&k).map_or(0, |p| p.1);
        if let Some(q) = self.cache.balances.get(&k) {
            return Ok(q.saturating_add(pending));
        }
        // A lot or serial this batch created has nothing stored yet.
        if self.pend.new_lots.contains(&k.1) || self.pend.serial_names.contains_key(&k.2) {
            return Ok(pending);
        }
        let q = self
            .one(
                "SELECT qty FROM balances WHERE item_id = $1 AND lot_id = $2 AND serial_id = $3 AND location_id = $4",
                &[&k.0, &k.1, &k.2, &k.3],
                |r| Ok(r.try_get::<_, i64>(0)?),
            )?
            .unwrap_or(0);
        if self.cache.balances.len() >= MAX_ENTRIES {
            self.cache.balances.clear();
        }
        self.cache.balances.insert(k, q);
        Ok(q.saturating_add(pending))
    }

    fn serials_at(&mut self, item_id: i64, location_id: i64) -> ViewResult<Vec<(i64, Serial, Option<i64>)>> {
        let rows = self
            .conn
            .query(
                "SELECT s.id, s.serial, s.lot_id FROM balances b JOIN serials s ON s.id = b.serial_id
                 WHERE b.item_id = $1 AND b.location_id = $2 AND b.serial_id <> 0 AND b.qty > 0",
                &[&item_id, &location_id],
            )
            .map_err(view_err)?;
        let mut out = Vec::new();
        for r in rows {
            let serial = rows::serial(&r, 1).map_err(view_err)?;
            if !self.pend.serials.contains_key(&(item_id, serial.clone())) {
                out.push((r.try_get(0).map_err(pg_err)?, serial, r.try_get(2).map_err(pg_err)?));
            }
        }
        let moved: Vec<(Serial, PendingSerial)> = self
            .pend
            .serials
            .iter()
            .filter(|((item, _), _)| *item == item_id)
            .map(|((_, s), p)| (s.clone(), *p))
            .collect();
        for (serial, p) in moved {
            if self.settle(item_id, &p)? == Some(location_id) {
                out.push((p.id, serial, p.lot));
            }
        }
        out.sort_by(|a, b| a.1.cmp(&b.1));
        Ok(out)
    }

    fn transaction(&mut self, id: &TxId) -> ViewResult<Option<TxRecord>> {
        let mut found = match self.pend.txs.get(id) {
            Some(t) => Some(t.clone()),
            None => self.committed_transaction(id)?,
        };
        if let Some(t) = &mut found
            && t.reversed_by.is_none()
        {
            t.reversed_by = self.pend.reversed.get(&t.seq).copied();
        }
        Ok(found)
    }

    fn serial_counter(&mut self, item_id: i64) -> ViewResult<u64> {
        let next = self
            .one("SELECT next FROM serial_counters WHERE item_id = $1", &[&item_id], |r| Ok(r.try_get::<_, i64>(0)?))?;
        Ok(next.map_or(1, |n| n.max(0) as u64))
    }

    fn installed_in(&mut self, item_id: i64, serial_id: i64) -> ViewResult<Option<(i64, i64)>> {
        let last = self.one(
            "SELECT parent_item, parent_serial, installed FROM assembly_events
             WHERE component_item = $1 AND component_serial = $2 ORDER BY seq DESC, line DESC LIMIT 1",
            &[&item_id, &serial_id],
            |r| Ok((r.try_get::<_, i64>(0)?, r.try_get::<_, i64>(1)?, r.try_get::<_, bool>(2)?)),
        )?;
        Ok(last.filter(|l| l.2).map(|(p, s, _)| (p, s)))
    }

    fn lots_in(&mut self, parent_item: i64, parent_serial: i64) -> ViewResult<Vec<(i64, i64, i64)>> {
        if !self.is_parent(parent_item)? {
            return Ok(Vec::new());
        }
        self.conn
            .query(
                "SELECT component_item, component_lot, sum(CASE WHEN installed THEN qty ELSE -qty END)::bigint AS held
                 FROM assembly_lot_events WHERE parent_item = $1 AND parent_serial = $2
                 GROUP BY component_item, component_lot HAVING sum(CASE WHEN installed THEN qty ELSE -qty END) > 0",
                &[&parent_item, &parent_serial],
            )
            .map_err(view_err)?
            .iter()
            .map(|r| Ok((r.try_get(0).map_err(pg_err)?, r.try_get(1).map_err(pg_err)?, r.try_get(2).map_err(pg_err)?)))
            .collect()
    }

    fn document_size(&mut self, sha256: &tracelot_core::document::DocumentHash) -> ViewResult<Option<u32>> {
        let row = self
            .conn
            .query_opt("SELECT size FROM documents WHERE sha256 = $1", &[&sha256.as_str()])
            .map_err(view_err)?;
        let size: Option<i64> = row.map(|r| r.try_get(0).map_err(pg_err)).transpose()?;
        size.map(|s| u32::try_from(s).map_err(|e| ViewError(e.to_string()))).transpose()
    }

    fn packaging_gtin(&mut self, gtin: &Gtin) -> ViewResult<Option<i64>> {
        let row = self
            .conn
            .query_opt("SELECT item_id FROM packagings WHERE gtin = $1", &[&gtin.as_str()])
            .map_err(view_err)?;
        row.map(|r| r.try_get(0).map_err(pg_err)).transpose()
    }

    fn rules_from(&mut self) -> ViewResult<i64> {
        if let Some(seq) = self.cache.rules_from {
            return Ok(seq);
        }
        let row = self.conn.query_one("SELECT from_seq FROM rules_from WHERE id = 1", &[]).map_err(view_err)?;
        let seq: i64 = row.try_get(0).map_err(pg_err)?;
        self.cache.rules_from = Some(seq);
        Ok(seq)
    }

    fn arrival_of(&mut self, dispatch_seq: i64) -> ViewResult<Option<i64>> {
        let row = self
            .conn
            .query_opt("SELECT arrival_seq FROM arrivals WHERE dispatch_seq = $1", &[&dispatch_seq])
            .map_err(view_err)?;
        row.map(|r| r.try_get(0).map_err(pg_err)).transpose()
    }

    fn held_serials(&mut self) -> ViewResult<Arc<HashMap<i64, LotStatus>>> {
        if let Some(held) = &self.cache.held_serials {
            return Ok(held.clone());
        }
        let rows = self
            .conn
            .query(
                "SELECT DISTINCT ON (serial_id) serial_id, status FROM serial_status_changes
                 ORDER BY serial_id, tx_seq DESC",
                &[],
            )
            .map_err(view_err)?;
        let mut held = HashMap::new();
        for r in &rows {
            let status: LotStatus = rows::parsed(r, 1).map_err(view_err)?;
            if status != LotStatus::Released {
                held.insert(r.try_get(0).map_err(pg_err)?, status);
            }
        }
        let held = Arc::new(held);
        self.cache.held_serials = Some(held.clone());
        Ok(held)
    }

    fn lots_at(&mut self, item_id: i64, location_id: i64) -> ViewResult<Vec<i64>> {
        let rows = self
            .conn
            .query(
                "SELECT lot_id FROM balances
                 WHERE item_id = $1 AND location_id = $2 AND serial_id = 0 AND lot_id <> 0 AND qty <> 0",
                &[&item_id, &location_id],
            )
            .map_err(view_err)?;
        let mut lots: FxHashSet<i64> = rows.iter().map(|r| r.try_get(0).map_err(pg_err)).collect::<ViewResult<_>>()?;
        // The open batch's changes: a lot may arrive here or leave entirely.
        let touched: Vec<BalanceId> = self
            .pend
            .balances
            .keys()
            .filter(|k| k.0 == item_id && k.3 == location_id && k.2 == 0 && k.1 != 0)
            .copied()
            .collect();
        for k in touched {
            let key = BalanceKey { item_id, lot_id: Some(k.1), serial_id: None, location_id };
            if self.balance(key)? != 0 {
                lots.insert(k.1);
            } else {
                lots.remove(&k.1);
            }
        }
        let mut lots: Vec<i64> = lots.into_iter().collect();
        lots.sort_unstable();
        Ok(lots)
    }

    fn lot_supplier(&mut self, item_id: i64, lot_id: i64) -> ViewResult<Option<i64>> {
        // Receipts not reversed, stored ones first: the open batch's come
        // after everything stored, and its reversals are not stored yet.
        let stored = self
            .conn
            .query(
                "SELECT m.from_id, m.tx_seq FROM movements m JOIN locations l ON l.id = m.from_id
                 WHERE m.item_id = $1 AND m.lot_id = $2 AND l.kind = 'supplier'
                   AND NOT EXISTS (SELECT 1 FROM transactions r WHERE r.reverses = m.tx_seq)
                 ORDER BY m.tx_seq, m.line",
                &[&item_id, &lot_id],
            )
            .map_err(view_err)?;
        for r in &stored {
            let (from, seq): (i64, i64) = (r.try_get(0).map_err(pg_err)?, r.try_get(1).map_err(pg_err)?);
            if !self.pend.reversed.contains_key(&seq) {
                return Ok(Some(from));
            }
        }
        let m = &self.pend.moves;
        let pending: Vec<i64> = (0..m.lot.len())
            .filter(|&i| m.lot.get(i) == Some(&lot_id) && m.item.get(i) == Some(&item_id))
            .filter(|&i| m.tx_seq.get(i).is_some_and(|seq| !self.pend.reversed.contains_key(seq)))
            .filter_map(|i| m.from.get(i).copied())
            .collect();
        for from in pending {
            if self.location_by_id(from)?.kind == tracelot_core::LocationKind::Supplier {
                return Ok(Some(from));
            }
        }
        Ok(None)
    }

    fn components_in(&mut self, parent_item: i64, parent_serial: i64) -> ViewResult<Vec<(i64, i64)>> {
        if !self.is_parent(parent_item)? {
            return Ok(Vec::new());
        }
        self.conn
            .query(
                "SELECT e.component_item, e.component_serial FROM assembly_events e
                 WHERE e.parent_item = $1 AND e.parent_serial = $2 AND e.installed 
                   AND NOT EXISTS (SELECT 1 FROM assembly_events later
                                   WHERE later.component_item = e.component_item
                                     AND later.component_serial = e.component_serial
                                     AND (later.seq, later.line) > (e.seq, e.line))",
                &[&parent_item, &parent_serial],
            )
            .map_err(view_err)?
            .iter()
            .map(|r| Ok((r.try_get(0).map_err(pg_err)?, r.try_get(1).map_err(pg_err)?)))
            .collect()
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
            .one(
                "SELECT 1 WHERE EXISTS (SELECT 1 FROM assembly_events WHERE parent_item = $1)
                             OR EXISTS (SELECT 1 FROM assembly_lot_events WHERE parent_item = $1)",
                &[&parent_item],
                |_| Ok(()),
            )?
            .is_some();
        self.cache.parents.insert(parent_item, found);
        Ok(found)
    }

    /// The id of a cached lot.
    pub(crate) fn cached_lot(&self, item_id: i64, code: &LotCode) -> Option<i64> {
        self.cache.lots.get(&(item_id, code.clone())).map(|l| l.id)
    }

    /// Looks up every lot a batch names in one query: the found ones go to
    /// the cache, the others are noted absent.
    pub(crate) fn prefetch_lots(
        &mut self,
        wanted: &[(i64, LotCode)],
        absent: &mut FxHashSet<(i64, LotCode)>,
    ) -> ViewResult<()> {
        let mut ask: Vec<&(i64, LotCode)> = wanted.iter().filter(|k| !self.cache.lots.contains_key(*k)).collect();
        ask.sort();
        ask.dedup();
        if ask.is_empty() {
            return Ok(());
        }
        let items: Vec<i64> = ask.iter().map(|k| k.0).collect();
        let codes: Vec<&str> = ask.iter().map(|k| k.1.as_str()).collect();
        let sql = format!(
            "SELECT {} FROM unnest($1::int8[], $2::text[]) AS k(item_id, code)
             JOIN lots ON lots.item_id = k.item_id AND lots.code = k.code",
            rows::LOT_COLS.split(", ").map(|c| format!("lots.{c}")).collect::<Vec<_>>().join(", ")
        );
        for r in self.conn.query(&sql, &[&items, &codes]).map_err(view_err)? {
            self.cache.keep_lot(rows::lot(&r).map_err(view_err)?);
        }
        absent.extend(ask.into_iter().filter(|k| !self.cache.lots.contains_key(*k)).cloned());
        Ok(())
    }

    /// Reads the committed balances of many keys in one query (absent keys
    /// are 0) into the cache.
    pub(crate) fn prefetch_balances(&mut self, wanted: &[BalanceId]) -> ViewResult<()> {
        let mut ask: Vec<&BalanceId> = wanted.iter().filter(|k| !self.cache.balances.contains_key(*k)).collect();
        ask.sort();
        ask.dedup();
        if ask.is_empty() {
            return Ok(());
        }
        let col = |f: fn(&BalanceId) -> i64| ask.iter().map(|k| f(k)).collect::<Vec<i64>>();
        let (items, lots, serials, locations) = (col(|k| k.0), col(|k| k.1), col(|k| k.2), col(|k| k.3));
        let rows = self
            .conn
            .query(
                "SELECT k.item_id, k.lot_id, k.serial_id, k.location_id, coalesce(b.qty, 0)
                 FROM unnest($1::int8[], $2::int8[], $3::int8[], $4::int8[]) AS k(item_id, lot_id, serial_id, location_id)
                 LEFT JOIN balances b ON b.item_id = k.item_id AND b.lot_id = k.lot_id
                   AND b.serial_id = k.serial_id AND b.location_id = k.location_id",
                &[&items, &lots, &serials, &locations],
            )
            .map_err(view_err)?;
        if self.cache.balances.len().saturating_add(rows.len()) >= MAX_ENTRIES {
            self.cache.balances.clear();
        }
        for r in rows {
            let key = (
                r.try_get(0).map_err(pg_err)?,
                r.try_get(1).map_err(pg_err)?,
                r.try_get(2).map_err(pg_err)?,
                r.try_get(3).map_err(pg_err)?,
            );
            self.cache.balances.insert(key, r.try_get(4).map_err(pg_err)?);
        }
        Ok(())
    }

    /// Looks up every serial a batch names in one query, before it is
    /// planned: the found ones go to the cache, the others are noted absent.
    /// Receipts of new serials then cost no query each.
    pub(crate) fn prefetch_serials(
        &mut self,
        wanted: &[(i64, Serial)],
        absent: &mut FxHashSet<(i64, Serial)>,
    ) -> ViewResult<()> {
        let ask: Vec<&(i64, Serial)> = wanted.iter().filter(|k| !self.cache.serials.contains_key(*k)).collect();
        if ask.is_empty() {
            return Ok(());
        }
        let items: Vec<i64> = ask.iter().map(|k| k.0).collect();
        let numbers: Vec<&str> = ask.iter().map(|k| k.1.as_str()).collect();
        let rows = self
            .conn
            .query(
                "SELECT s.item_id, s.serial, s.id, s.lot_id,
                        (SELECT b.location_id FROM balances b
                         WHERE b.item_id = s.item_id AND b.serial_id = s.id AND b.serial_id <> 0 AND b.qty > 0)
                 FROM unnest($1::int8[], $2::text[]) AS k(item_id, serial)
                 JOIN serials s ON s.item_id = k.item_id AND s.serial = k.serial",
                &[&items, &numbers],
            )
            .map_err(view_err)?;
        for r in rows {
            let key = (r.try_get(0).map_err(pg_err)?, rows::serial(&r, 1).map_err(view_err)?);
            let entry = (r.try_get(2).map_err(pg_err)?, r.try_get(3).map_err(pg_err)?, r.try_get(4).map_err(pg_err)?);
            self.cache.keep_serial(key, entry);
        }
        absent.extend(ask.into_iter().filter(|k| !self.cache.serials.contains_key(*k)).cloned());
        Ok(())
    }

    fn committed_transaction(&mut self, id: &TxId) -> ViewResult<Option<TxRecord>> {
        let head = self.one(
            "SELECT t.seq, t.kind, t.reverses, (SELECT r.seq FROM transactions r WHERE r.reverses = t.seq)
             FROM transactions t WHERE t.id = $1",
            &[&&id.as_bytes()[..]],
            |r| Ok((r.try_get::<_, i64>(0)?, r.try_get::<_, String>(1)?, r.try_get(2)?, r.try_get(3)?)),
        )?;
        let Some((seq, kind, reverses, reversed_by)) = head else { return Ok(None) };
        let nz = |v: i64| (v != 0).then_some(v);
        let movements = self
            .conn
            .query(
                "SELECT item_id, lot_id, serial_id, from_id, to_id, qty FROM movements WHERE tx_seq = $1 ORDER BY line",
                &[&seq],
            )
            .map_err(view_err)?
            .iter()
            .map(|r| {
                Ok(MovementRecord {
                    item_id: r.try_get(0).map_err(pg_err)?,
                    lot_id: nz(r.try_get(1).map_err(pg_err)?),
                    serial_id: nz(r.try_get(2).map_err(pg_err)?),
                    from_id: r.try_get(3).map_err(pg_err)?,
                    to_id: r.try_get(4).map_err(pg_err)?,
                    qty: r.try_get(5).map_err(pg_err)?,
                })
            })
            .collect::<ViewResult<Vec<_>>>()?;
        Ok(Some(TxRecord { seq, kind, reverses, reversed_by, movements }))
    }
}
