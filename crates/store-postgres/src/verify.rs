//! `verify`: recompute the hash chain and every balance from the ledger and
//! name the first row that does not match. One repeatable-read snapshot;
//! the ledger streams through two cursors, so memory stays flat.

use postgres::{IsolationLevel, Portal, Row, Transaction};
use tracelot_core::chain;
use tracelot_store::VerifyReport;
use tracelot_store::verify::{StoredMove, StoredTx, check_chain};

use crate::db::{Conn, Result};

/// At most this many problems are listed; the first is what matters.
const MAX_PROBLEMS: usize = 20;
/// Rows fetched per cursor round trip.
const FETCH: i32 = 5000;

/// Rows of a cursor, fetched a chunk at a time.
struct Cursor {
    portal: Portal,
    chunk: std::vec::IntoIter<Row>,
    done: bool,
}

impl Cursor {
    fn open(t: &mut Transaction<'_>, sql: &str) -> Result<Cursor> {
        let portal = t.bind(sql, &[])?;
        Ok(Cursor { portal, chunk: Vec::new().into_iter(), done: false })
    }

    fn next(&mut self, t: &mut Transaction<'_>) -> Result<Option<Row>> {
        if let Some(r) = self.chunk.next() {
            return Ok(Some(r));
        }
        if self.done {
            return Ok(None);
        }
        let rows = t.query_portal(&self.portal, FETCH)?;
        self.done = rows.len() < FETCH as usize;
        self.chunk = rows.into_iter();
        Ok(self.chunk.next())
    }
}

pub(crate) fn verify(c: &mut Conn) -> Result<VerifyReport> {
    let mut t = c.client.build_transaction().isolation_level(IsolationLevel::RepeatableRead).read_only(true).start()?;
    let mut txs = Cursor::open(
        &mut t,
        "SELECT seq, id, kind, request, occurred_at, recorded_at, user_name, reverses, overrides, movement_count, hash
         FROM transactions ORDER BY seq",
    )?;
    let mut mvs = Cursor::open(
        &mut t,
        "SELECT m.tx_seq, m.line, i.sku, lo.code, s.serial, lf.path, lt.path, m.qty, m.occurred_at
         FROM movements m JOIN items i ON i.id = m.item_id
         LEFT JOIN lots lo ON lo.id = m.lot_id AND m.lot_id <> 0
         LEFT JOIN serials s ON s.id = m.serial_id AND m.serial_id <> 0
         JOIN locations lf ON lf.id = m.from_id JOIN locations lt ON lt.id = m.to_id
         ORDER BY m.tx_seq, m.line",
    )?;
    // Both cursors fetch through the one transaction, in turns.
    let t = std::cell::RefCell::new(t);
    let chain = check_chain::<crate::db::Error>(
        || {
            let Some(r) = txs.next(&mut t.borrow_mut())? else { return Ok(None) };
            Ok(Some(StoredTx {
                seq: r.try_get(0)?,
                id: r.try_get(1)?,
                kind: r.try_get(2)?,
                request: r.try_get(3)?,
                occurred_at: r.try_get(4)?,
                recorded_at: r.try_get(5)?,
                user: r.try_get(6)?,
                reverses: r.try_get(7)?,
                overrides: r.try_get(8)?,
                movement_count: r.try_get(9)?,
                hash: r.try_get(10)?,
            }))
        },
        || {
            let Some(r) = mvs.next(&mut t.borrow_mut())? else { return Ok(None) };
            Ok(Some(StoredMove {
                seq: r.try_get(0)?,
                line: r.try_get(1)?,
                sku: r.try_get(2)?,
                lot: r.try_get(3)?,
                serial: r.try_get(4)?,
                from: r.try_get(5)?,
                to: r.try_get(6)?,
                qty: r.try_get(7)?,
                occurred_at: r.try_get(8)?,
            }))
        },
    )?;
    let mut t = t.into_inner();
    let mut problems = chain.problems;
    balance_checks(&mut t, &mut problems)?;
    let balances: i64 = t.query_one("SELECT count(*) FROM balances", &[])?.try_get(0)?;
    t.commit()?;
    problems.truncate(MAX_PROBLEMS);
    Ok(VerifyReport {
        transactions: chain.transactions,
        movements: chain.movements,
        balances: balances as u64,
        head: chain::to_hex(&chain.head),
        problems,
    })
}

/// Describes a balance key by natural keys.
const KEY_NAME: &str = "(SELECT sku FROM items WHERE id = k.item_id)
    || coalesce(' lot ' || (SELECT code FROM lots WHERE id = k.lot_id), '')
    || coalesce(' serial ' || (SELECT serial FROM serials WHERE id = k.serial_id), '')";

/// References the schema does not enforce row by row (the high-volume
/// tables), as (table, column, referenced table, referenced column, zero means none).
const REFERENCES: &[(&str, &str, &str, &str, bool)] = &[
    ("movements", "tx_seq", "transactions", "seq", false),
    ("movements", "item_id", "items", "id", false),
    ("movements", "lot_id", "lots", "id", true),
    ("movements", "serial_id", "serials", "id", true),
    ("movements", "from_id", "locations", "id", false),
    ("movements", "to_id", "locations", "id", false),
    ("balances", "item_id", "items", "id", false),
    ("balances", "lot_id", "lots", "id", true),
    ("balances", "serial_id", "serials", "id", true),
    ("balances", "location_id", "locations", "id", false),
    ("serials", "item_id", "items", "id", false),
    ("serials", "lot_id", "lots", "id", false),
    ("serials", "created_seq", "transactions", "seq", false),
    ("assembly_events", "parent_serial", "serials", "id", false),
    ("assembly_events", "component_serial", "serials", "id", false),
];

fn balance_checks(t: &mut Transaction<'_>, problems: &mut Vec<String>) -> Result<()> {
    let mut checks = vec![
        // Every stored balance equals the sum of the ledger's movements.
        format!(
            "WITH m AS (SELECT item_id, lot_id, serial_id, to_id AS location_id, qty FROM movements
                        UNION ALL SELECT item_id, lot_id, serial_id, from_id, -qty FROM movements),
                  calc AS (SELECT item_id, lot_id, serial_id, location_id, sum(qty) AS qty FROM m GROUP BY 1, 2, 3, 4),
                  k AS (SELECT c.item_id, c.lot_id, c.serial_id, c.location_id, c.qty AS ledger, coalesce(b.qty, 0) AS stored
                        FROM calc c LEFT JOIN balances b USING (item_id, lot_id, serial_id, location_id)
                        WHERE coalesce(b.qty, 0) <> c.qty
                        UNION ALL
                        SELECT b.item_id, b.lot_id, b.serial_id, b.location_id, 0, b.qty
                        FROM balances b LEFT JOIN calc c USING (item_id, lot_id, serial_id, location_id)
                        WHERE c.qty IS NULL AND b.qty <> 0)
             SELECT 'balance of ' || {KEY_NAME} || ' at ' || (SELECT path FROM locations WHERE id = k.location_id)
                    || ' is ' || k.stored || ' but the ledger says ' || k.ledger FROM k LIMIT {MAX_PROBLEMS}"
        ),
        // Each (item, lot, serial) sums to zero over all locations.
        format!(
            "SELECT 'balances of ' || {KEY_NAME} || ' sum to ' || k.total || ', not zero'
             FROM (SELECT item_id, lot_id, serial_id, sum(qty) AS total FROM balances GROUP BY 1, 2, 3
                   HAVING sum(qty) <> 0) k
             LIMIT {MAX_PROBLEMS}"
        ),
        // No internal balance is negative, and the internal flag is right.
        format!(
            "SELECT 'balance of ' || {KEY_NAME} || ' at ' || l.path || ' is ' || k.qty
                    || CASE WHEN k.internal <> (l.kind IN ('internal', 'quarantine', 'transit')) THEN ' and its internal flag is wrong' ELSE ', below zero' END
             FROM balances k JOIN locations l ON l.id = k.location_id
             WHERE (k.internal AND k.qty < 0) OR k.internal <> (l.kind IN ('internal', 'quarantine', 'transit')) LIMIT {MAX_PROBLEMS}"
        ),
        // A serial is held in one place at most.
        format!(
            "SELECT {KEY_NAME} || ' is held in ' || k.n || ' places'
             FROM (SELECT item_id, 0 AS lot_id, serial_id, count(*) AS n FROM balances
                   WHERE serial_id <> 0 AND qty > 0 GROUP BY item_id, serial_id HAVING count(*) > 1) k LIMIT {MAX_PROBLEMS}"
        ),
        // A lot's status is the last status the ledger recorded for it.
        format!(
            "SELECT 'lot ' || lo.code || ' of ' || (SELECT sku FROM items WHERE id = lo.item_id) || ' has status ' || lo.status
                    || ' but the ledger last recorded ' || coalesce(last, 'none')
             FROM (SELECT lo.*, (SELECT c.status FROM lot_status_changes c WHERE c.lot_id = lo.id ORDER BY c.tx_seq DESC LIMIT 1) AS last
                   FROM lots lo) lo
             WHERE last IS DISTINCT FROM lo.status LIMIT {MAX_PROBLEMS}"
        ),
    ];
    // Every reference points at a row that exists.
    for (table, column, target, key, zero_is_none) in REFERENCES {
        let none = if *zero_is_none { format!(" AND x.{column} <> 0") } else { String::new() };
        checks.push(format!(
            "SELECT '{table}.{column} = ' || x.{column} || ' refers to a missing {target} row'
             FROM {table} x WHERE x.{column} IS NOT NULL{none}
               AND NOT EXISTS (SELECT 1 FROM {target} y WHERE y.{key} = x.{column}) LIMIT {MAX_PROBLEMS}"
        ));
    }
    for sql in checks {
        for r in t.query(&sql, &[])? {
            problems.push(r.try_get(0)?);
        }
    }
    Ok(())
}
