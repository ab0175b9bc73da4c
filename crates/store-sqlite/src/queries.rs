//! Read queries, each on a read-only connection of its own.

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use tracelot_core::document::{Attachment, DocumentHash};
use tracelot_core::time::{SiteZone, to_micros};
use tracelot_core::{LocationKind, LocationPath, LotCode, LotStatus, Request, Serial, Sku, Transaction};
use tracelot_gs1::Gtin;
use tracelot_store::replay::SnapshotRow;
use tracelot_store::{
    ExpiringQuery, ExpiringRow, HistoryQuery, HistoryRow, ItemRow, LedgerEntry, LedgerSize, LocationRow, LotDocument,
    LotRow, PackagingRow, PartnerRow, StatusChange, StockQuery, StockRow, Stretch, WhereRow, Window,
};

use crate::rows::{self, instant, parsed, parsed_opt, tx_id};

use crate::rows::scale_at as scale;

// Codes, paths and SKUs are never empty, so `> ''` starts a list at its first row.
pub(crate) fn items(c: &Connection, w: &Window<String>) -> rusqlite::Result<Vec<ItemRow>> {
    let sql = format!("SELECT {} FROM items WHERE sku > ?1 ORDER BY sku LIMIT ?2", rows::ITEM_COLS);
    let mut stmt = c.prepare_cached(&sql)?;
    stmt.query_map(params![w.after.as_deref().unwrap_or(""), w.sql_limit()], |r| {
        Ok(ItemRow { spec: rows::item(r)?.spec })
    })?
    .collect()
}

pub(crate) fn item(c: &Connection, sku: &Sku) -> rusqlite::Result<Option<ItemRow>> {
    let sql = format!("SELECT {} FROM items WHERE sku = ?1", rows::ITEM_COLS);
    c.prepare_cached(&sql)?.query_row([sku.as_str()], |r| Ok(ItemRow { spec: rows::item(r)?.spec })).optional()
}

pub(crate) fn item_by_gtin(c: &Connection, gtin: &Gtin) -> rusqlite::Result<Option<ItemRow>> {
    let sql = format!("SELECT {} FROM items WHERE gtin = ?1", rows::ITEM_COLS);
    c.prepare_cached(&sql)?.query_row([gtin.as_str()], |r| Ok(ItemRow { spec: rows::item(r)?.spec })).optional()
}

fn packaging_row(r: &rusqlite::Row) -> rusqlite::Result<PackagingRow> {
    let units: i64 = r.get(3)?;
    Ok(PackagingRow {
        sku: parsed(r, 0)?,
        name: r.get(1)?,
        gtin: r.get(2)?,
        quantity: scale(r, 4)?.format(units),
        units,
    })
}

pub(crate) fn packagings(c: &Connection, sku: &Sku) -> rusqlite::Result<Vec<PackagingRow>> {
    c.prepare_cached("SELECT i.sku, p.name, p.gtin, p.units, i.scale FROM packagings p JOIN items i ON i.id = p.item_id WHERE i.sku = ?1 ORDER BY p.name",
    )?
    .query_map([sku.as_str()], packaging_row)?
    .collect()
}

pub(crate) fn packaging_by_gtin(c: &Connection, gtin: &Gtin) -> rusqlite::Result<Option<PackagingRow>> {
    c.prepare_cached("SELECT i.sku, p.name, p.gtin, p.units, i.scale FROM packagings p JOIN items i ON i.id = p.item_id WHERE p.gtin = ?1")?
        .query_row([gtin.as_str()], packaging_row)
        .optional()
}

pub(crate) fn locations(c: &Connection, w: &Window<String>) -> rusqlite::Result<Vec<LocationRow>> {
    let mut stmt = c.prepare_cached(
        "SELECT l.path, l.kind, p.code, l.time_zone FROM locations l LEFT JOIN partners p ON p.location_id = l.id
         WHERE l.path > ?1 ORDER BY l.path LIMIT ?2",
    )?;
    stmt.query_map(params![w.after.as_deref().unwrap_or(""), w.sql_limit()], |r| {
        Ok(LocationRow {
            path: parsed(r, 0)?,
            kind: parsed(r, 1)?,
            partner: r.get(2)?,
            time_zone: parsed_opt(r, 3)?.unwrap_or_default(),
        })
    })?
    .collect()
}

/// Distinct zones of the sites (internal locations; the shared virtual
/// roots such as QUARANTINE keep none), all or `location`'s.
pub(crate) fn site_zones(c: &Connection, location: Option<&LocationPath>) -> rusqlite::Result<Vec<SiteZone>> {
    let mut stmt = c.prepare_cached(
        "SELECT DISTINCT coalesce(time_zone, 'UTC') FROM locations
         WHERE kind = 'internal' AND (?1 IS NULL OR path = ?1)",
    )?;
    stmt.query_map(params![location.map(LocationPath::as_str)], |r| parsed(r, 0))?.collect()
}

pub(crate) fn partners(c: &Connection, w: &Window<String>) -> rusqlite::Result<Vec<PartnerRow>> {
    let mut stmt = c.prepare_cached(
        "SELECT p.code, p.name, p.kind, l.path, p.min_shelf_life_days FROM partners p
         JOIN locations l ON l.id = p.location_id WHERE p.code > ?1 ORDER BY p.code LIMIT ?2",
    )?;
    stmt.query_map(params![w.after.as_deref().unwrap_or(""), w.sql_limit()], |r| {
        Ok(PartnerRow {
            code: r.get(0)?,
            name: r.get(1)?,
            kind: parsed(r, 2)?,
            location: parsed(r, 3)?,
            min_shelf_life_days: r.get(4)?,
        })
    })?
    .collect()
}

pub(crate) fn lots_by_supplier_lot(
    c: &Connection,
    sku: Option<&Sku>,
    supplier_lot: &str,
) -> rusqlite::Result<Vec<(Sku, LotCode)>> {
    c.prepare_cached(
        "SELECT i.sku, lo.code FROM lots lo JOIN items i ON i.id = lo.item_id
         WHERE lo.supplier_lot = ?1 AND (?2 IS NULL OR i.sku = ?2) ORDER BY i.sku, lo.code",
    )?
    .query_map(params![supplier_lot, sku.map(Sku::as_str)], |r| Ok((parsed(r, 0)?, parsed(r, 1)?)))?
    .collect()
}

pub(crate) fn lot(c: &Connection, sku: &Sku, code: &LotCode) -> rusqlite::Result<Option<LotRow>> {
    let sql = format!(
        "SELECT {} FROM lots WHERE item_id = (SELECT id FROM items WHERE sku = ?1) AND code = ?2",
        rows::LOT_COLS
    );
    let Some(lot) = c.prepare_cached(&sql)?.query_row(params![sku.as_str(), code.as_str()], rows::lot).optional()?
    else {
        return Ok(None);
    };
    let mut stmt = c.prepare_cached(
        "SELECT t.id, c.status, t.occurred_at, t.user_name, t.reason FROM lot_status_changes c
         JOIN transactions t ON t.seq = c.tx_seq WHERE c.lot_id = ?1 ORDER BY c.tx_seq",
    )?;
    let status_history = stmt
        .query_map([lot.id], |r| {
            Ok(StatusChange {
                tx_id: tx_id(r, 0)?,
                status: parsed::<LotStatus>(r, 1)?,
                occurred_at: instant(r, 2)?,
                user: r.get(3)?,
                reason: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let documents = c
        .prepare_cached(
            "SELECT d.kind, d.name, d.media_type, d.sha256, d.size, d.result, t.id, t.occurred_at, t.user_name
             FROM lot_documents d JOIN transactions t ON t.seq = d.tx_seq WHERE d.lot_id = ?1 ORDER BY d.tx_seq",
        )?
        .query_map([lot.id], |r| {
            Ok(LotDocument {
                document: Attachment {
                    kind: r.get(0)?,
                    name: r.get(1)?,
                    media_type: r.get(2)?,
                    sha256: parsed(r, 3)?,
                    size: r.get(4)?,
                    result: r.get(5)?,
                },
                tx_id: tx_id(r, 6)?,
                occurred_at: instant(r, 7)?,
                user: r.get(8)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let (code, details, status) = (lot.code, lot.details, lot.status);
    Ok(Some(LotRow { sku: sku.clone(), code, details, status, status_history, documents }))
}

pub(crate) fn document(c: &Connection, sha256: &DocumentHash) -> rusqlite::Result<Option<Vec<u8>>> {
    c.prepare_cached("SELECT bytes FROM documents WHERE sha256 = ?1")?
        .query_row([sha256.as_str()], |r| r.get(0))
        .optional()
}

/// Adds `AND <clause>` with its parameter when a filter is given.
fn filter(sql: &mut String, args: &mut Vec<Value>, clause: &str, value: Option<String>) {
    if let Some(v) = value {
        args.push(Value::Text(v));
        // `{sku}` stands for the first parameter, which history queries bind to the SKU.
        let clause = clause.replace('?', &format!("?{}", args.len())).replace("{sku}", "?1");
        sql.push_str(&format!(" AND {clause}"));
    }
}

/// One page of stock, in the order of [`StockKey`]. The current stock reads
/// the cursor's location from the cursor on, then the locations after it,
/// each walked in `balances_by_location` (location, item, lot, serial), so
/// a page costs about its own rows wherever it starts. Stock as of an
/// instant is summed from the movements and sorted whole.
pub(crate) fn stock(c: &Connection, q: &StockQuery) -> rusqlite::Result<Vec<StockRow>> {
    tracelot_store::stock_in_stretches(q, |part, limit| stock_stretch(c, q, part, limit))
}

fn stock_stretch(c: &Connection, q: &StockQuery, part: Stretch, limit: usize) -> rusqlite::Result<Vec<StockRow>> {
    let mut args: Vec<Value> = Vec::new();
    let source = match q.as_of {
        // Stock at an instant: replay every movement that had occurred by then.
        Some(t) => {
            args.push(Value::Integer(to_micros(t)));
            "(SELECT item_id, lot_id, serial_id, location_id, sum(qty) AS qty FROM (
                SELECT item_id, lot_id, serial_id, to_id AS location_id, qty FROM movements WHERE occurred_at <= ?1
                UNION ALL
                SELECT item_id, lot_id, serial_id, from_id, -qty FROM movements WHERE occurred_at <= ?1)
              GROUP BY item_id, lot_id, serial_id, location_id)"
        }
        None => "balances",
    };
    // CROSS JOIN keeps locations the outer loop, so path order comes from
    // their index and each location's rows from the balances index.
    let mut sql = format!(
        "SELECT l.path, l.kind, i.sku, lo.code, s.serial, b.qty, i.scale, i.uom, b.item_id, b.lot_id, b.serial_id
         FROM locations l CROSS JOIN {source} b ON b.location_id = l.id JOIN items i ON i.id = b.item_id
         LEFT JOIN lots lo ON lo.id = b.lot_id LEFT JOIN serials s ON s.id = b.serial_id
         WHERE b.qty <> 0"
    );
    if !q.include_virtual {
        sql.push_str(" AND l.kind IN ('internal', 'quarantine', 'transit')");
    }
    let ids = |table: &str, column: &str| format!("(SELECT id FROM {table} WHERE {column} = ?)");
    filter(&mut sql, &mut args, &format!("b.item_id = {}", ids("items", "sku")), q.sku.as_ref().map(|s| s.to_string()));
    filter(&mut sql, &mut args, &format!("b.lot_id IN {}", ids("lots", "code")), q.lot.as_ref().map(|s| s.to_string()));
    let serial = q.serial.as_ref().map(|s| s.to_string());
    filter(&mut sql, &mut args, &format!("b.serial_id IN {}", ids("serials", "serial")), serial);
    if let Some(p) = &q.location {
        args.push(Value::Text(p.to_string()));
        let n = args.len();
        sql.push_str(&format!(" AND (l.path = ?{n} OR substr(l.path, 1, length(?{n}) + 1) = ?{n} || '/')"));
    }
    match part {
        Stretch::Within(k) => {
            args.extend([Value::Text(k.0.clone()), Value::Integer(k.1), Value::Integer(k.2), Value::Integer(k.3)]);
            let n = args.len();
            sql.push_str(&format!(
                " AND l.path = ?{} AND (b.item_id, b.lot_id, b.serial_id) > (?{}, ?{}, ?{n})",
                n.saturating_sub(3),
                n.saturating_sub(2),
                n.saturating_sub(1)
            ));
        }
        Stretch::After(Some(path)) => {
            args.push(Value::Text(path.to_owned()));
            sql.push_str(&format!(" AND l.path > ?{}", args.len()));
        }
        Stretch::After(None) => {}
    }
    args.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
    sql.push_str(&format!(" ORDER BY l.path, b.item_id, b.lot_id, b.serial_id LIMIT ?{}", args.len()));
    let mut stmt = c.prepare_cached(&sql)?;
    stmt.query_map(params_from_iter(args), |r| {
        let units: i64 = r.get(5)?;
        Ok(StockRow {
            location: parsed(r, 0)?,
            location_kind: parsed(r, 1)?,
            sku: parsed(r, 2)?,
            lot: parsed_opt(r, 3)?,
            serial: parsed_opt(r, 4)?,
            units,
            quantity: scale(r, 6)?.format(units),
            uom: r.get(7)?,
            ids: (r.get(8)?, r.get(9)?, r.get(10)?),
        })
    })?
    .collect()
}

pub(crate) fn where_is(c: &Connection, sku: &Sku, serial: &Serial) -> rusqlite::Result<Option<WhereRow>> {
    c.prepare_cached(
        "SELECT lo.code, l.path, l.kind,
                (SELECT max(m.occurred_at) FROM movements m WHERE m.serial_id = s.id AND m.to_id = b.location_id),
                coalesce((SELECT c.status FROM serial_status_changes c WHERE c.serial_id = s.id ORDER BY c.tx_seq DESC LIMIT 1), 'released')
         FROM serials s JOIN items i ON i.id = s.item_id
         LEFT JOIN lots lo ON lo.id = s.lot_id
         LEFT JOIN balances b ON b.item_id = s.item_id AND b.serial_id = s.id AND b.serial_id <> 0 AND b.qty > 0
         LEFT JOIN locations l ON l.id = b.location_id
         WHERE i.sku = ?1 AND s.serial = ?2",
    )?
    .query_row(params![sku.as_str(), serial.as_str()], |r| {
        let since: Option<i64> = r.get(3)?;
        Ok(WhereRow {
            sku: sku.clone(),
            serial: serial.clone(),
            lot: parsed_opt(r, 0)?,
            location: parsed_opt::<LocationPath>(r, 1)?,
            location_kind: parsed_opt::<LocationKind>(r, 2)?,
            since: since.map(tracelot_core::time::from_micros),
            status: parsed(r, 4)?,
        })
    })
    .optional()
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

fn history_row(r: &rusqlite::Row) -> rusqlite::Result<HistoryRow> {
    let units: i64 = r.get(14)?;
    let reverses: Option<Vec<u8>> = r.get(8)?;
    Ok(HistoryRow {
        seq: r.get(0)?,
        line: r.get(18)?,
        tx_id: tx_id(r, 1)?,
        kind: r.get(2)?,
        occurred_at: instant(r, 3)?,
        recorded_at: instant(r, 4)?,
        user: r.get(5)?,
        reference: r.get(6)?,
        reason: r.get(7)?,
        reverses: reverses.and_then(|b| <[u8; 16]>::try_from(b).ok()).map(tracelot_core::TxId::from_bytes),
        sku: parsed(r, 9)?,
        lot: parsed_opt(r, 10)?,
        serial: parsed_opt(r, 11)?,
        from: parsed(r, 12)?,
        from_kind: parsed(r, 16)?,
        to: parsed(r, 13)?,
        to_kind: parsed(r, 17)?,
        units,
        quantity: scale(r, 15)?.format(units),
        weight: weight_text(r.get(19)?, r.get(20)?),
    })
}

/// A catch weight as read: thousandths of the item's weight unit.
fn weight_text(weight: Option<i64>, uom: Option<String>) -> Option<String> {
    let thousandths = tracelot_core::Scale::new(3).ok()?;
    Some(format!("{} {}", thousandths.format(weight?), uom.unwrap_or_default()))
}

pub(crate) fn history(c: &Connection, q: &HistoryQuery) -> rusqlite::Result<Vec<HistoryRow>> {
    let mut args: Vec<Value> = vec![Value::Text(q.sku.to_string())];
    let mut sql = format!("{HISTORY_SELECT} WHERE m.item_id = (SELECT id FROM items WHERE sku = ?1)");
    filter(
        &mut sql,
        &mut args,
        "m.lot_id = (SELECT l.id FROM lots l WHERE l.item_id = (SELECT id FROM items WHERE sku = {sku}) AND l.code = ?)",
        q.lot.as_ref().map(|l| l.to_string()),
    );
    // Uncorrelated subqueries let SQLite look the ids up first and use the
    // indexes (`serial_id <> 0` makes the partial movements_by_serial usable).
    filter(
        &mut sql,
        &mut args,
        "m.serial_id <> 0 AND m.serial_id = (SELECT s.id FROM serials s WHERE s.item_id = (SELECT id FROM items WHERE sku = {sku}) AND s.serial = ?)",
        q.serial.as_ref().map(|s| s.to_string()),
    );
    if let Some(k) = q.after {
        sql.push_str(" AND (t.occurred_at, m.tx_seq, m.line) > (?, ?, ?)");
        args.extend([Value::Integer(to_micros(k.occurred_at)), Value::Integer(k.seq), Value::Integer(k.line)]);
    }
    sql.push_str(" ORDER BY t.occurred_at, m.tx_seq, m.line");
    if let Some(n) = q.limit {
        sql.push_str(" LIMIT ?");
        args.push(Value::Integer(i64::try_from(n).unwrap_or(i64::MAX)));
    }
    let mut stmt = c.prepare(&sql)?;
    stmt.query_map(params_from_iter(args), history_row)?.collect()
}

pub(crate) fn transaction_movements(c: &Connection, id: &tracelot_core::TxId) -> rusqlite::Result<Vec<HistoryRow>> {
    let sql = format!("{HISTORY_SELECT} WHERE t.id = ?1 ORDER BY m.line");
    c.prepare_cached(&sql)?.query_map([&id.as_bytes()[..]], history_row)?.collect()
}

pub(crate) fn expiring(c: &Connection, q: &ExpiringQuery) -> rusqlite::Result<Vec<ExpiringRow>> {
    let mut stmt = c.prepare_cached(
        "SELECT i.sku, lo.code, coalesce(lo.expires_on, lo.best_before) AS ship_by, lo.status, sum(b.qty), i.scale, i.uom
         FROM lots lo JOIN items i ON i.id = lo.item_id
         JOIN balances b ON b.item_id = lo.item_id AND b.lot_id = lo.id AND b.internal = 1 AND b.qty > 0
         WHERE coalesce(lo.expires_on, lo.best_before) <= ?1
           AND (coalesce(lo.expires_on, lo.best_before), i.sku, lo.code) > (?2, ?3, ?4)
         GROUP BY lo.id ORDER BY ship_by, i.sku, lo.code LIMIT ?5",
    )?;
    let after = q.window.after.clone().unwrap_or_default();
    stmt.query_map(params![q.until.to_string(), after.0, after.1, after.2, q.window.sql_limit()], |r| {
        let units: i64 = r.get(4)?;
        Ok(ExpiringRow {
            sku: parsed(r, 0)?,
            lot: parsed(r, 1)?,
            ship_by: parsed(r, 2)?,
            status: parsed(r, 3)?,
            units,
            quantity: scale(r, 5)?.format(units),
            uom: r.get(6)?,
        })
    })?
    .collect()
}

pub(crate) fn ledger_size(c: &Connection) -> rusqlite::Result<LedgerSize> {
    c.query_row(
        "SELECT (SELECT coalesce(max(seq), 0) FROM transactions), (SELECT count(*) FROM movements),
                (SELECT count(*) FROM balances)",
        [],
        |r| {
            let n = |i: usize| r.get::<_, i64>(i).map(|v| v.max(0) as u64);
            Ok(LedgerSize { transactions: n(0)?, movements: n(1)?, balances: n(2)? })
        },
    )
}

pub(crate) fn ledger_entries(c: &Connection, after: i64, limit: usize) -> rusqlite::Result<Vec<LedgerEntry>> {
    let mut stmt = c.prepare_cached(
        "SELECT seq, id, request, user_name, recorded_at, hash FROM transactions WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    stmt.query_map(params![after, i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
        let json: String = r.get(2)?;
        let request = Request::from_canonical_json(tx_id(r, 1)?, &json)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, Box::new(e)))?;
        let hash: Vec<u8> = r.get(5)?;
        Ok(LedgerEntry {
            seq: r.get(0)?,
            tx: Transaction { request, user: parsed(r, 3)? },
            recorded_at: instant(r, 4)?,
            hash: hash
                .try_into()
                .map_err(|_| rusqlite::Error::InvalidColumnType(5, "hash".into(), rusqlite::types::Type::Blob))?,
        })
    })?
    .collect()
}

/// The rows kept beside the ledger, each query's first column the natural
/// key and the rest its values as text.
const SNAPSHOT: [(&str, &str); 15] = [
    (
        "item",
        "SELECT sku, name, tracking, gtin, uom, CAST(scale AS TEXT), CAST(shelf_life_days AS TEXT),
                CAST(warranty_months AS TEXT), serial_kind, serial_pattern, CAST(created_seq AS TEXT),
                date_rule, CAST(min_remaining_days AS TEXT), output_expiry, catch_weight_uom FROM items",
    ),
    (
        "location",
        "SELECT l.path, l.kind, p.path, CAST(l.created_seq AS TEXT), l.time_zone FROM locations l
         LEFT JOIN locations p ON p.id = l.parent_id",
    ),
    (
        "partner",
        "SELECT p.code, p.name, p.kind, l.path, CAST(p.created_seq AS TEXT), CAST(p.min_shelf_life_days AS TEXT)
         FROM partners p JOIN locations l ON l.id = p.location_id",
    ),
    (
        "lot",
        "SELECT i.sku || ' lot ' || lo.code, lo.produced_on, lo.expires_on, lo.best_before, lo.supplier_lot,
                lo.attributes, lo.status, CAST(lo.created_seq AS TEXT)
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
        "SELECT i.sku || ' serial ' || s.serial, lo.code, CAST(s.created_seq AS TEXT)
         FROM serials s JOIN items i ON i.id = s.item_id LEFT JOIN lots lo ON lo.id = s.lot_id",
    ),
    ("serial counter", "SELECT i.sku, CAST(c.next AS TEXT) FROM serial_counters c JOIN items i ON i.id = c.item_id"),
    ("transaction", "SELECT '#' || seq, reference, reason FROM transactions"),
    (
        "assembly",
        "SELECT '#' || a.seq || '/' || a.line, pi.sku, ps.serial, ci.sku, cs.serial, CAST(a.installed AS TEXT)
         FROM assembly_events a JOIN items pi ON pi.id = a.parent_item JOIN serials ps ON ps.id = a.parent_serial
         JOIN items ci ON ci.id = a.component_item JOIN serials cs ON cs.id = a.component_serial",
    ),
];

pub(crate) fn snapshot(c: &Connection) -> rusqlite::Result<Vec<SnapshotRow>> {
    let mut out = Vec::new();
    for (table, sql) in SNAPSHOT {
        let mut stmt = c.prepare(sql)?;
        let n = stmt.column_count();
        let rows = stmt.query_map([], |r| {
            Ok(SnapshotRow {
                table,
                key: r.get(0)?,
                values: (1..n).map(|i| r.get::<_, Option<String>>(i)).collect::<rusqlite::Result<_>>()?,
            })
        })?;
        for row in rows {
            out.push(row?);
        }
    }
    Ok(out)
}

pub(crate) fn chain_head(c: &Connection) -> rusqlite::Result<Option<(i64, [u8; 32])>> {
    let row: Option<(i64, Vec<u8>)> = c
        .prepare_cached("SELECT seq, hash FROM transactions ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(row.map(|(seq, hash)| (seq, hash.try_into().unwrap_or([0; 32]))))
}
