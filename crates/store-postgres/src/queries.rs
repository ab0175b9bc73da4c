//! Read queries, each on a pooled connection of its own.

use postgres::types::ToSql;
use tracelot_core::document::{Attachment, DocumentHash};
use tracelot_core::time::{SiteZone, to_micros};
use tracelot_core::{LocationPath, LotCode, LotStatus, Request, Serial, Sku, Transaction, TxId};
use tracelot_gs1::Gtin;
use tracelot_store::replay::SnapshotRow;
use tracelot_store::{
    ExpiringQuery, ExpiringRow, HistoryQuery, HistoryRow, ItemRow, LedgerEntry, LedgerSize, LocationRow, LotDocument,
    LotRow, PackagingRow, PartnerRow, StatusChange, StockQuery, StockRow, Stretch, WhereRow, Window,
};

use crate::db::{Conn, Error, Result};
use crate::rows::{self, hash, instant, instant_opt, parsed, parsed_opt, scale_at as scale, tx_id, tx_id_opt};

fn item_rows(rows: Vec<postgres::Row>) -> Result<Vec<ItemRow>> {
    rows.iter().map(|r| Ok(ItemRow { spec: rows::item(r)?.spec })).collect()
}

/// A list's start: codes, paths and SKUs are never empty, so `> ''` starts
/// at the first row. Comparisons and order are byte order, as on SQLite.
fn after(w: &Window<String>) -> String {
    w.after.clone().unwrap_or_default()
}

pub(crate) fn items(c: &mut Conn, w: &Window<String>) -> Result<Vec<ItemRow>> {
    let sql = format!(
        "SELECT {} FROM items WHERE sku COLLATE \"C\" > $1 ORDER BY sku COLLATE \"C\" LIMIT $2",
        rows::ITEM_COLS
    );
    item_rows(c.query(&sql, &[&after(w), &w.sql_limit()])?)
}

pub(crate) fn item(c: &mut Conn, sku: &Sku) -> Result<Option<ItemRow>> {
    let rows = c.query(&format!("SELECT {} FROM items WHERE sku = $1", rows::ITEM_COLS), &[&sku.as_str()])?;
    Ok(item_rows(rows)?.pop())
}

pub(crate) fn item_by_gtin(c: &mut Conn, gtin: &Gtin) -> Result<Option<ItemRow>> {
    let rows = c.query(&format!("SELECT {} FROM items WHERE gtin = $1", rows::ITEM_COLS), &[&gtin.as_str()])?;
    Ok(item_rows(rows)?.pop())
}

fn packaging_row(r: &postgres::Row) -> Result<PackagingRow> {
    let units: i64 = r.try_get(3)?;
    Ok(PackagingRow {
        sku: parsed(r, 0)?,
        name: r.try_get(1)?,
        gtin: r.try_get(2)?,
        quantity: scale(r, 4)?.format(units),
        units,
    })
}

pub(crate) fn packagings(c: &mut Conn, sku: &Sku) -> Result<Vec<PackagingRow>> {
    c.query(&format!("{} WHERE i.sku = $1 ORDER BY p.name COLLATE \"C\"", PACKAGINGS), &[&sku.as_str()])?
        .iter()
        .map(packaging_row)
        .collect()
}

pub(crate) fn packaging_by_gtin(c: &mut Conn, gtin: &Gtin) -> Result<Option<PackagingRow>> {
    c.query_opt(&format!("{} WHERE p.gtin = $1", PACKAGINGS), &[&gtin.as_str()])?
        .as_ref()
        .map(packaging_row)
        .transpose()
}

const PACKAGINGS: &str =
    "SELECT i.sku, p.name, p.gtin, p.units, i.scale FROM packagings p JOIN items i ON i.id = p.item_id";

pub(crate) fn locations(c: &mut Conn, w: &Window<String>) -> Result<Vec<LocationRow>> {
    c.query(
        "SELECT l.path, l.kind, p.code, coalesce(l.time_zone, 'UTC') FROM locations l
         LEFT JOIN partners p ON p.location_id = l.id
         WHERE l.path COLLATE \"C\" > $1 ORDER BY l.path COLLATE \"C\" LIMIT $2",
        &[&after(w), &w.sql_limit()],
    )?
    .iter()
    .map(|r| {
        Ok(LocationRow { path: parsed(r, 0)?, kind: parsed(r, 1)?, partner: r.try_get(2)?, time_zone: parsed(r, 3)? })
    })
    .collect()
}

/// Distinct zones of the sites (internal locations; the shared virtual
/// roots such as QUARANTINE keep none), all or `location`'s.
pub(crate) fn site_zones(c: &mut Conn, location: Option<&LocationPath>) -> Result<Vec<SiteZone>> {
    c.query(
        "SELECT DISTINCT coalesce(time_zone, 'UTC') FROM locations
         WHERE kind = 'internal' AND ($1::text IS NULL OR path = $1)",
        &[&location.map(LocationPath::as_str)],
    )?
    .iter()
    .map(|r| parsed(r, 0))
    .collect()
}

pub(crate) fn partners(c: &mut Conn, w: &Window<String>) -> Result<Vec<PartnerRow>> {
    c.query(
        "SELECT p.code, p.name, p.kind, l.path, p.min_shelf_life_days FROM partners p
         JOIN locations l ON l.id = p.location_id
         WHERE p.code COLLATE \"C\" > $1 ORDER BY p.code COLLATE \"C\" LIMIT $2",
        &[&after(w), &w.sql_limit()],
    )?
    .iter()
    .map(|r| {
        Ok(PartnerRow {
            code: r.try_get(0)?,
            name: r.try_get(1)?,
            kind: parsed(r, 2)?,
            location: parsed(r, 3)?,
            min_shelf_life_days: r
                .try_get::<_, Option<i64>>(4)?
                .map(|v| u32::try_from(v).map_err(|e| Error::Data(e.to_string())))
                .transpose()?,
        })
    })
    .collect()
}

pub(crate) fn lots_by_supplier_lot(c: &mut Conn, sku: Option<&Sku>, supplier_lot: &str) -> Result<Vec<(Sku, LotCode)>> {
    c.query(
        "SELECT i.sku, lo.code FROM lots lo JOIN items i ON i.id = lo.item_id
         WHERE lo.supplier_lot = $1 AND ($2::text IS NULL OR i.sku = $2)
         ORDER BY i.sku COLLATE \"C\", lo.code COLLATE \"C\"",
        &[&supplier_lot, &sku.map(Sku::as_str)],
    )?
    .iter()
    .map(|r| Ok((parsed(r, 0)?, parsed(r, 1)?)))
    .collect()
}

pub(crate) fn lot(c: &mut Conn, sku: &Sku, code: &LotCode) -> Result<Option<LotRow>> {
    let sql = format!(
        "SELECT {} FROM lots WHERE item_id = (SELECT id FROM items WHERE sku = $1) AND code = $2",
        rows::LOT_COLS
    );
    let Some(row) = c.query_opt(&sql, &[&sku.as_str(), &code.as_str()])? else { return Ok(None) };
    let lot = rows::lot(&row)?;
    let status_history = c
        .query(
            "SELECT t.id, c.status, t.occurred_at, t.user_name, t.reason FROM lot_status_changes c
             JOIN transactions t ON t.seq = c.tx_seq WHERE c.lot_id = $1 ORDER BY c.tx_seq",
            &[&lot.id],
        )?
        .iter()
        .map(|r| {
            Ok(StatusChange {
                tx_id: tx_id(r, 0)?,
                status: parsed::<LotStatus>(r, 1)?,
                occurred_at: instant(r, 2)?,
                user: r.try_get(3)?,
                reason: r.try_get(4)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let documents = c
        .query(
            "SELECT d.kind, d.name, d.media_type, d.sha256, d.size, d.result, t.id, t.occurred_at, t.user_name
             FROM lot_documents d JOIN transactions t ON t.seq = d.tx_seq WHERE d.lot_id = $1 ORDER BY d.tx_seq",
            &[&lot.id],
        )?
        .iter()
        .map(|r| {
            let size: i64 = r.try_get(4)?;
            Ok(LotDocument {
                document: Attachment {
                    kind: r.try_get(0)?,
                    name: r.try_get(1)?,
                    media_type: r.try_get(2)?,
                    sha256: parsed(r, 3)?,
                    size: u32::try_from(size).map_err(|e| Error::Data(e.to_string()))?,
                    result: r.try_get(5)?,
                },
                tx_id: tx_id(r, 6)?,
                occurred_at: instant(r, 7)?,
                user: r.try_get(8)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let (code, details, status) = (lot.code, lot.details, lot.status);
    Ok(Some(LotRow { sku: sku.clone(), code, details, status, status_history, documents }))
}

pub(crate) fn document(c: &mut Conn, sha256: &DocumentHash) -> Result<Option<Vec<u8>>> {
    Ok(c.query_opt("SELECT bytes FROM documents WHERE sha256 = $1", &[&sha256.as_str()])?
        .map(|r| r.try_get(0))
        .transpose()?)
}

/// A query's text and its parameters, built filter by filter.
#[derive(Default)]
struct Sql {
    text: String,
    args: Vec<Box<dyn ToSql + Sync>>,
}

impl Sql {
    /// Binds a parameter and returns its placeholder.
    fn bind(&mut self, v: impl ToSql + Sync + 'static) -> String {
        self.args.push(Box::new(v));
        format!("${}", self.args.len())
    }

    /// Adds `AND <clause>` with `?` bound to `value`, when a filter is given.
    fn filter(&mut self, clause: &str, value: Option<String>) {
        if let Some(v) = value {
            let mark = self.bind(v);
            self.text.push_str(&format!(" AND {}", clause.replace('?', &mark)));
        }
    }

    fn run(self, c: &mut Conn) -> Result<Vec<postgres::Row>> {
        let refs: Vec<&(dyn ToSql + Sync)> = self.args.iter().map(|b| b.as_ref()).collect();
        c.query(&self.text, &refs)
    }
}

/// One page of stock, in the order of [`StockKey`]. The current stock reads
/// the cursor's location from the cursor on, then the locations after it;
/// each location's rows come from `balances_by_location` (location, item,
/// lot, serial), at most a page of them, so a page costs about its own
/// rows wherever it starts. Stock as of an instant is summed from the
/// movements and sorted whole.
pub(crate) fn stock(c: &mut Conn, q: &StockQuery) -> Result<Vec<StockRow>> {
    tracelot_store::stock_in_stretches(q, |part, limit| stock_stretch(c, q, part, limit))
}

fn stock_stretch(c: &mut Conn, q: &StockQuery, part: Stretch, limit: usize) -> Result<Vec<StockRow>> {
    let mut sql = Sql::default();
    let limit = sql.bind(i64::try_from(limit).unwrap_or(i64::MAX));
    // Conditions on the location, then on its balances.
    let mut on_location = String::new();
    if !q.include_virtual {
        on_location.push_str(" AND l.kind IN ('internal', 'quarantine', 'transit')");
    }
    if let Some(p) = &q.location {
        let (exact, under) = (sql.bind(p.to_string()), sql.bind(format!("{p}/")));
        on_location.push_str(&format!(" AND (l.path = {exact} OR starts_with(l.path, {under}))"));
    }
    let mut on_balance = String::from(" AND b.qty <> 0");
    let mut by_id = |column: &str, subquery: &str, value: Option<String>| {
        if let Some(v) = value {
            let mark = sql.bind(v);
            on_balance.push_str(&format!(" AND b.{column} IN ({})", subquery.replace('?', &mark)));
        }
    };
    by_id("item_id", "SELECT id FROM items WHERE sku = ?", q.sku.as_ref().map(|s| s.to_string()));
    by_id("lot_id", "SELECT id FROM lots WHERE code = ?", q.lot.as_ref().map(|s| s.to_string()));
    by_id("serial_id", "SELECT id FROM serials WHERE serial = ?", q.serial.as_ref().map(|s| s.to_string()));
    match part {
        Stretch::Within(k) => {
            let path = sql.bind(k.0.clone());
            let (item, lot, serial) = (sql.bind(k.1), sql.bind(k.2), sql.bind(k.3));
            on_location.push_str(&format!(" AND l.path = {path}"));
            on_balance.push_str(&format!(" AND (b.item_id, b.lot_id, b.serial_id) > ({item}, {lot}, {serial})"));
        }
        Stretch::After(Some(p)) => {
            let path = sql.bind(p.to_owned());
            on_location.push_str(&format!(" AND l.path COLLATE \"C\" > {path}::text COLLATE \"C\""));
        }
        Stretch::After(None) => {}
    }
    let from = match q.as_of {
        // Each location's first rows in index order, never the whole location.
        None => format!(
            "(SELECT l.id, l.path, l.kind FROM locations l WHERE true{on_location}) l
             CROSS JOIN LATERAL (SELECT b.item_id, b.lot_id, b.serial_id, b.qty FROM balances b
                 WHERE b.location_id = l.id{on_balance} ORDER BY b.item_id, b.lot_id, b.serial_id LIMIT {limit}) b"
        ),
        // Stock at an instant: replay every movement that had occurred by then.
        Some(t) => {
            let at = sql.bind(to_micros(t));
            format!(
                "locations l JOIN (SELECT item_id, lot_id, serial_id, location_id, sum(qty)::bigint AS qty FROM (
                    SELECT item_id, lot_id, serial_id, to_id AS location_id, qty FROM movements WHERE occurred_at <= {at}
                    UNION ALL
                    SELECT item_id, lot_id, serial_id, from_id, -qty FROM movements WHERE occurred_at <= {at}) m
                  GROUP BY item_id, lot_id, serial_id, location_id) b ON b.location_id = l.id{on_location}{on_balance}"
            )
        }
    };
    sql.text = format!(
        "SELECT l.path, l.kind, i.sku, lo.code, s.serial, b.qty, i.scale, i.uom, b.item_id, b.lot_id, b.serial_id
         FROM {from} JOIN items i ON i.id = b.item_id
         LEFT JOIN lots lo ON lo.id = b.lot_id LEFT JOIN serials s ON s.id = b.serial_id
         ORDER BY l.path COLLATE \"C\", b.item_id, b.lot_id, b.serial_id LIMIT {limit}"
    );
    sql.run(c)?
        .iter()
        .map(|r| {
            let units: i64 = r.try_get(5)?;
            Ok(StockRow {
                location: parsed(r, 0)?,
                location_kind: parsed(r, 1)?,
                sku: parsed(r, 2)?,
                lot: parsed_opt(r, 3)?,
                serial: parsed_opt(r, 4)?,
                units,
                quantity: scale(r, 6)?.format(units),
                uom: r.try_get(7)?,
                ids: (r.try_get(8)?, r.try_get(9)?, r.try_get(10)?),
            })
        })
        .collect()
}

pub(crate) fn where_is(c: &mut Conn, sku: &Sku, serial: &Serial) -> Result<Option<WhereRow>> {
    let row = c.query_opt(
        "SELECT lo.code, l.path, l.kind,
                (SELECT max(m.occurred_at) FROM movements m WHERE m.serial_id = s.id AND m.to_id = b.location_id),
                coalesce((SELECT c.status FROM serial_status_changes c WHERE c.serial_id = s.id ORDER BY c.tx_seq DESC LIMIT 1), 'released')
         FROM serials s JOIN items i ON i.id = s.item_id
         LEFT JOIN lots lo ON lo.id = s.lot_id
         LEFT JOIN balances b ON b.item_id = s.item_id AND b.serial_id = s.id AND b.serial_id <> 0 AND b.qty > 0
         LEFT JOIN locations l ON l.id = b.location_id
         WHERE i.sku = $1 AND s.serial = $2",
        &[&sku.as_str(), &serial.as_str()],
    )?;
    row.map(|r| {
        Ok(WhereRow {
            sku: sku.clone(),
            serial: serial.clone(),
            lot: parsed_opt(&r, 0)?,
            location: parsed_opt(&r, 1)?,
            location_kind: parsed_opt(&r, 2)?,
            since: instant_opt(&r, 3)?,
            status: parsed(&r, 4)?,
        })
    })
    .transpose()
}

/// The columns and joins of a movement as history shows it.
const HISTORY_SELECT: &str =
    "SELECT t.seq, t.id, t.kind, t.occurred_at, t.recorded_at, t.user_name, t.reference, t.reason, rt.id,
            i.sku, lo.code, s.serial, lf.path, lt.path, m.qty, i.scale, lf.kind, lt.kind, m.line,
            (SELECT w.weight FROM movement_weights w WHERE w.tx_seq = m.tx_seq AND w.line = m.line),
            i.catch_weight_uom
     FROM movements m JOIN transactions t ON t.seq = m.tx_seq JOIN items i ON i.id = m.item_id
     LEFT JOIN lots lo ON lo.id = m.lot_id LEFT JOIN serials s ON s.id = m.serial_id
     JOIN locations lf ON lf.id = m.from_id JOIN locations lt ON lt.id = m.to_id
     LEFT JOIN transactions rt ON rt.seq = t.reverses";

fn history_row(r: &postgres::Row) -> Result<HistoryRow> {
    let units: i64 = r.try_get(14)?;
    Ok(HistoryRow {
        seq: r.try_get(0)?,
        line: r.try_get(18)?,
        tx_id: tx_id(r, 1)?,
        kind: r.try_get(2)?,
        occurred_at: instant(r, 3)?,
        recorded_at: instant(r, 4)?,
        user: r.try_get(5)?,
        reference: r.try_get(6)?,
        reason: r.try_get(7)?,
        reverses: tx_id_opt(r, 8)?,
        sku: parsed(r, 9)?,
        lot: parsed_opt(r, 10)?,
        serial: parsed_opt(r, 11)?,
        from: parsed(r, 12)?,
        from_kind: parsed(r, 16)?,
        to: parsed(r, 13)?,
        to_kind: parsed(r, 17)?,
        units,
        quantity: scale(r, 15)?.format(units),
        weight: weight_text(r.try_get(19)?, r.try_get(20)?),
    })
}

/// A catch weight as read: thousandths of the item's weight unit.
fn weight_text(weight: Option<i64>, uom: Option<String>) -> Option<String> {
    let thousandths = tracelot_core::Scale::new(3).ok()?;
    Some(format!("{} {}", thousandths.format(weight?), uom.unwrap_or_default()))
}

pub(crate) fn history(c: &mut Conn, q: &HistoryQuery) -> Result<Vec<HistoryRow>> {
    let mut sql = Sql::default();
    let sku = sql.bind(q.sku.to_string());
    sql.text = format!("{HISTORY_SELECT} WHERE m.item_id = (SELECT id FROM items WHERE sku = {sku})");
    sql.filter(
        "m.lot_id = (SELECT l.id FROM lots l WHERE l.item_id = m.item_id AND l.code = ?)",
        q.lot.as_ref().map(|l| l.to_string()),
    );
    sql.filter(
        &format!(
            "m.serial_id <> 0 AND m.serial_id = (SELECT s.id FROM serials s WHERE s.item_id = (SELECT id FROM items WHERE sku = {sku}) AND s.serial = ?)"
        ),
        q.serial.as_ref().map(|s| s.to_string()),
    );
    if let Some(k) = q.after {
        let (a, b, l) = (sql.bind(to_micros(k.occurred_at)), sql.bind(k.seq), sql.bind(k.line));
        sql.text.push_str(&format!(" AND (t.occurred_at, m.tx_seq, m.line) > ({a}, {b}, {l})"));
    }
    sql.text.push_str(" ORDER BY t.occurred_at, m.tx_seq, m.line");
    if let Some(n) = q.limit {
        let n = sql.bind(i64::try_from(n).unwrap_or(i64::MAX));
        sql.text.push_str(&format!(" LIMIT {n}"));
    }
    sql.run(c)?.iter().map(history_row).collect()
}

pub(crate) fn transaction_movements(c: &mut Conn, id: &TxId) -> Result<Vec<HistoryRow>> {
    let sql = format!("{HISTORY_SELECT} WHERE t.id = $1 ORDER BY m.line");
    c.query(&sql, &[&&id.as_bytes()[..]])?.iter().map(history_row).collect()
}

pub(crate) fn expiring(c: &mut Conn, q: &ExpiringQuery) -> Result<Vec<ExpiringRow>> {
    let k = q.window.after.clone().unwrap_or_default();
    c.query(
        "SELECT i.sku, lo.code, coalesce(lo.expires_on, lo.best_before) AS ship_by, lo.status, sum(b.qty)::bigint,
                i.scale, i.uom
         FROM lots lo JOIN items i ON i.id = lo.item_id
         JOIN balances b ON b.item_id = lo.item_id AND b.lot_id = lo.id AND b.internal AND b.qty > 0
         WHERE coalesce(lo.expires_on, lo.best_before) <= $1
           AND (coalesce(lo.expires_on, lo.best_before) COLLATE \"C\", i.sku COLLATE \"C\", lo.code COLLATE \"C\")
               > ($2::text COLLATE \"C\", $3::text COLLATE \"C\", $4::text COLLATE \"C\")
         GROUP BY lo.id, i.id
         ORDER BY coalesce(lo.expires_on, lo.best_before) COLLATE \"C\", i.sku COLLATE \"C\", lo.code COLLATE \"C\"
         LIMIT $5",
        &[&q.until.to_string(), &k.0, &k.1, &k.2, &q.window.sql_limit()],
    )?
    .iter()
    .map(|r| {
        let units: i64 = r.try_get(4)?;
        Ok(ExpiringRow {
            sku: parsed(r, 0)?,
            lot: parsed(r, 1)?,
            ship_by: parsed(r, 2)?,
            status: parsed(r, 3)?,
            units,
            quantity: scale(r, 5)?.format(units),
            uom: r.try_get(6)?,
        })
    })
    .collect()
}

pub(crate) fn ledger_size(c: &mut Conn) -> Result<LedgerSize> {
    let r = c.query_one(
        "SELECT (SELECT coalesce(max(seq), 0) FROM transactions), (SELECT count(*) FROM movements),
                (SELECT count(*) FROM balances)",
        &[],
    )?;
    let n = |i: usize| -> Result<u64> { Ok(r.try_get::<_, i64>(i)?.max(0) as u64) };
    Ok(LedgerSize { transactions: n(0)?, movements: n(1)?, balances: n(2)? })
}

pub(crate) fn ledger_entries(c: &mut Conn, after: i64, limit: usize) -> Result<Vec<LedgerEntry>> {
    c.query(
        "SELECT seq, id, request, user_name, recorded_at, hash FROM transactions WHERE seq > $1 ORDER BY seq LIMIT $2",
        &[&after, &i64::try_from(limit).unwrap_or(i64::MAX)],
    )?
    .iter()
    .map(|r| {
        let json: &str = r.try_get(2)?;
        let request = Request::from_canonical_json(tx_id(r, 1)?, json).map_err(|e| Error::Data(e.to_string()))?;
        Ok(LedgerEntry {
            seq: r.try_get(0)?,
            tx: Transaction { request, user: parsed(r, 3)? },
            recorded_at: instant(r, 4)?,
            hash: hash(r, 5)?,
        })
    })
    .collect()
}

/// The rows kept beside the ledger, each query's first column the natural
/// key and the rest its values as text.
const SNAPSHOT: [(&str, &str); 15] = [
    (
        "item",
        "SELECT sku, name, tracking, gtin, uom, scale::text, shelf_life_days::text, warranty_months::text,
                serial_kind, serial_pattern, created_seq::text, date_rule, min_remaining_days::text, output_expiry,
                catch_weight_uom
         FROM items",
    ),
    (
        "location",
        "SELECT l.path, l.kind, p.path, l.created_seq::text, l.time_zone FROM locations l
         LEFT JOIN locations p ON p.id = l.parent_id",
    ),
    (
        "partner",
        "SELECT p.code, p.name, p.kind, l.path, p.created_seq::text, p.min_shelf_life_days::text
         FROM partners p JOIN locations l ON l.id = p.location_id",
    ),
    (
        "lot",
        "SELECT i.sku || ' lot ' || lo.code, lo.produced_on, lo.expires_on, lo.best_before, lo.supplier_lot,
                lo.attributes, lo.status, lo.created_seq::text
         FROM lots lo JOIN items i ON i.id = lo.item_id",
    ),
    (
        "lot status",
        "SELECT i.sku || ' lot ' || lo.code || ' #' || c.tx_seq, c.status
         FROM lot_status_changes c JOIN lots lo ON lo.id = c.lot_id JOIN items i ON i.id = lo.item_id",
    ),
    (
        "assembly lot event",
        "SELECT '#' || e.seq || '.' || e.line, pi.sku, ps.serial, ci.sku, lo.code, CAST(e.qty AS TEXT),
                CASE WHEN e.installed THEN 'installed' ELSE 'removed' END
         FROM assembly_lot_events e JOIN items pi ON pi.id = e.parent_item JOIN serials ps ON ps.id = e.parent_serial
         JOIN items ci ON ci.id = e.component_item JOIN lots lo ON lo.id = e.component_lot",
    ),
    (
        "packaging",
        "SELECT p.gtin, i.sku, p.name, CAST(p.units AS TEXT), CAST(p.created_seq AS TEXT)
         FROM packagings p JOIN items i ON i.id = p.item_id",
    ),
    (
        "lot document",
        "SELECT i.sku || ' lot ' || lo.code || ' #' || d.tx_seq, d.kind, d.name, d.media_type, d.sha256,
                CAST(d.size AS TEXT), d.result
         FROM lot_documents d JOIN lots lo ON lo.id = d.lot_id JOIN items i ON i.id = lo.item_id",
    ),
    ("movement weight", "SELECT '#' || w.tx_seq || '.' || w.line, CAST(w.weight AS TEXT) FROM movement_weights w"),
    ("arrival", "SELECT '#' || a.dispatch_seq, CAST(a.arrival_seq AS TEXT) FROM arrivals a"),
    (
        "serial status",
        "SELECT i.sku || ' serial ' || s.serial || ' #' || c.tx_seq, c.status
         FROM serial_status_changes c JOIN serials s ON s.id = c.serial_id JOIN items i ON i.id = s.item_id",
    ),
    (
        "serial",
        "SELECT i.sku || ' serial ' || s.serial, lo.code, s.created_seq::text
         FROM serials s JOIN items i ON i.id = s.item_id LEFT JOIN lots lo ON lo.id = s.lot_id",
    ),
    ("serial counter", "SELECT i.sku, c.next::text FROM serial_counters c JOIN items i ON i.id = c.item_id"),
    ("transaction", "SELECT '#' || seq, reference, reason FROM transactions"),
    (
        "assembly",
        "SELECT '#' || a.seq || '/' || a.line, pi.sku, ps.serial, ci.sku, cs.serial, a.installed::int::text
         FROM assembly_events a JOIN items pi ON pi.id = a.parent_item JOIN serials ps ON ps.id = a.parent_serial
         JOIN items ci ON ci.id = a.component_item JOIN serials cs ON cs.id = a.component_serial",
    ),
];

pub(crate) fn snapshot(c: &mut Conn) -> Result<Vec<SnapshotRow>> {
    let mut out = Vec::new();
    for (table, sql) in SNAPSHOT {
        for r in c.query(sql, &[])? {
            let values =
                (1..r.len()).map(|i| r.try_get::<_, Option<String>>(i)).collect::<std::result::Result<_, _>>()?;
            out.push(SnapshotRow { table, key: r.try_get(0)?, values });
        }
    }
    Ok(out)
}

pub(crate) fn chain_head(c: &mut Conn) -> Result<Option<(i64, [u8; 32])>> {
    let rows = c.query("SELECT seq, hash FROM transactions ORDER BY seq DESC LIMIT 1", &[])?;
    rows.first().map(|r| Ok((r.try_get(0)?, hash(r, 1)?))).transpose()
}
