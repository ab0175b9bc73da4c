//! `verify`: recompute the hash chain and every balance from the ledger and
//! name the first row that does not match.

use rusqlite::Connection;
use tracelot_store::VerifyReport;
use tracelot_store::verify::{StoredMove, StoredTx, check_chain};

/// At most this many problems are listed; the first is what matters.
const MAX_PROBLEMS: usize = 20;

pub(crate) fn verify(c: &Connection) -> rusqlite::Result<VerifyReport> {
    // One read transaction: every check sees the same snapshot.
    let snapshot = c.unchecked_transaction()?;
    let mut txs = c.prepare(
        "SELECT seq, id, kind, request, occurred_at, recorded_at, user_name, reverses, overrides, movement_count, hash
         FROM transactions ORDER BY seq",
    )?;
    let mut mvs = c.prepare(
        "SELECT m.tx_seq, m.line, i.sku, lo.code, s.serial, lf.path, lt.path, m.qty, m.occurred_at
         FROM movements m JOIN items i ON i.id = m.item_id
         LEFT JOIN lots lo ON lo.id = m.lot_id AND m.lot_id <> 0
         LEFT JOIN serials s ON s.id = m.serial_id AND m.serial_id <> 0
         JOIN locations lf ON lf.id = m.from_id JOIN locations lt ON lt.id = m.to_id
         ORDER BY m.tx_seq, m.line",
    )?;
    let (mut tx_rows, mut move_rows) = (txs.query([])?, mvs.query([])?);
    let chain = check_chain::<rusqlite::Error>(
        || {
            let Some(r) = tx_rows.next()? else { return Ok(None) };
            Ok(Some(StoredTx {
                seq: r.get(0)?,
                id: r.get(1)?,
                kind: r.get(2)?,
                request: r.get(3)?,
                occurred_at: r.get(4)?,
                recorded_at: r.get(5)?,
                user: r.get(6)?,
                reverses: r.get(7)?,
                overrides: r.get(8)?,
                movement_count: r.get(9)?,
                hash: r.get(10)?,
            }))
        },
        || {
            let Some(r) = move_rows.next()? else { return Ok(None) };
            Ok(Some(StoredMove {
                seq: r.get(0)?,
                line: r.get(1)?,
                sku: r.get(2)?,
                lot: r.get(3)?,
                serial: r.get(4)?,
                from: r.get(5)?,
                to: r.get(6)?,
                qty: r.get(7)?,
                occurred_at: r.get(8)?,
            }))
        },
    )?;
    drop((tx_rows, move_rows));
    let mut problems = chain.problems;
    balance_checks(c, &mut problems)?;
    let balances: i64 = c.query_row("SELECT count(*) FROM balances", [], |r| r.get(0))?;
    snapshot.finish()?;
    problems.truncate(MAX_PROBLEMS);
    Ok(VerifyReport {
        transactions: chain.transactions,
        movements: chain.movements,
        balances: balances as u64,
        head: tracelot_core::chain::to_hex(&chain.head),
        problems,
    })
}

/// Describes a balance key by natural keys.
const KEY_NAME: &str = "(SELECT sku FROM items WHERE id = k.item_id)
    || coalesce(' lot ' || (SELECT code FROM lots WHERE id = k.lot_id), '')
    || coalesce(' serial ' || (SELECT serial FROM serials WHERE id = k.serial_id), '')";

fn balance_checks(c: &Connection, problems: &mut Vec<String>) -> rusqlite::Result<()> {
    let checks = [
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
             FROM (SELECT item_id, lot_id, serial_id, sum(qty) AS total FROM balances GROUP BY 1, 2, 3 HAVING total <> 0) k
             LIMIT {MAX_PROBLEMS}"
        ),
        // No internal balance is negative, and the internal flag is right.
        format!(
            "SELECT 'balance of ' || {KEY_NAME} || ' at ' || l.path || ' is ' || k.qty
                    || CASE WHEN k.internal <> (l.kind IN ('internal', 'quarantine', 'transit')) THEN ' and its internal flag is wrong' ELSE ', below zero' END
             FROM balances k JOIN locations l ON l.id = k.location_id
             WHERE (k.internal = 1 AND k.qty < 0) OR k.internal <> (l.kind IN ('internal', 'quarantine', 'transit')) LIMIT {MAX_PROBLEMS}"
        ),
        // A serial is held in one place at most.
        format!(
            "SELECT {KEY_NAME} || ' is held in ' || k.n || ' places'
             FROM (SELECT item_id, 0 AS lot_id, serial_id, count(*) AS n FROM balances
                   WHERE serial_id <> 0 AND qty > 0 GROUP BY item_id, serial_id HAVING n > 1) k LIMIT {MAX_PROBLEMS}"
        ),
        // A lot's status is the last status the ledger recorded for it.
        format!(
            "SELECT 'lot ' || lo.code || ' of ' || (SELECT sku FROM items WHERE id = lo.item_id) || ' has status ' || lo.status
                    || ' but the ledger last recorded ' || coalesce(last, 'none')
             FROM (SELECT lo.*, (SELECT c.status FROM lot_status_changes c WHERE c.lot_id = lo.id ORDER BY c.tx_seq DESC LIMIT 1) AS last
                   FROM lots lo) lo
             WHERE last IS NOT lo.status LIMIT {MAX_PROBLEMS}"
        ),
    ];
    // Every reference points at a row that exists.
    let mut fk = c.prepare("PRAGMA foreign_key_check")?;
    let broken = fk.query_map([], |r| {
        Ok(format!(
            "{} row {} refers to a missing {} row",
            r.get::<_, String>(0)?,
            r.get::<_, Option<i64>>(1)?.unwrap_or(0),
            r.get::<_, String>(2)?
        ))
    })?;
    for p in broken.take(MAX_PROBLEMS) {
        problems.push(p?);
    }
    for sql in checks {
        let mut stmt = c.prepare(&sql)?;
        let found = stmt.query_map([], |r| r.get::<_, String>(0))?;
        for p in found {
            problems.push(p?);
        }
    }
    Ok(())
}
