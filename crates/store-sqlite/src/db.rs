//! Opening connections and migrating the schema.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};
use tracelot_store::StoreError;

/// `PRAGMA application_id` of a tracelot database ("trlt").
const APPLICATION_ID: i64 = 0x7472_6c74;

/// Schema migrations, applied in order; `PRAGMA user_version` counts them.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_ledger.sql"),
    include_str!("../migrations/0002_accounts.sql"),
    include_str!("../migrations/0003_quarantine_assembly_shelf_life.sql"),
    include_str!("../migrations/0004_writer_only_columns.sql"),
    include_str!("../migrations/0005_transit_is_stock.sql"),
    include_str!("../migrations/0006_site_time_and_date_rules.sql"),
    include_str!("../migrations/0007_serial_status_and_qc.sql"),
    include_str!("../migrations/0008_transit_arrivals.sql"),
    include_str!("../migrations/0009_lot_components.sql"),
    include_str!("../migrations/0010_packagings.sql"),
    include_str!("../migrations/0011_documents.sql"),
    include_str!("../migrations/0012_catch_weight.sql"),
];

pub(crate) fn storage(e: rusqlite::Error) -> StoreError {
    StoreError::Storage(e.to_string())
}

/// Settings shared by every connection: WAL for concurrent readers, full
/// fsync on commit so that an acknowledged write survives power loss.
///
/// Foreign keys are declared but not enforced per statement: they cost a
/// fifth of the write path, and nothing can break them. The only writer
/// inserts ids it has just read, no referenced row can be deleted (the
/// schema's triggers refuse it), and `verify` runs `foreign_key_check`.
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.execute_batch(
        "PRAGMA foreign_keys = OFF;
         PRAGMA synchronous = FULL;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -65536;
         PRAGMA wal_autocheckpoint = 8192;
         PRAGMA mmap_size = 1073741824;",
    )?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

/// Opens the write connection, creating and migrating the database when
/// `create` is set.
pub(crate) fn open_writer(path: &Path, create: bool) -> Result<Connection, StoreError> {
    if !create && !path.exists() {
        return Err(StoreError::Storage(format!("no database at {}; run `tracelot init` first", path.display())));
    }
    let conn = Connection::open(path).map_err(storage)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).map_err(storage)?;
    if mode != "wal" {
        return Err(StoreError::Storage(format!("could not switch {} to WAL mode (got {mode})", path.display())));
    }
    configure(&conn).map_err(storage)?;
    migrate(&conn)?;
    Ok(conn)
}

/// Opens a read-write connection for changes outside the ledger (accounts),
/// on a database the writer has already created and migrated.
pub(crate) fn open_side_writer(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(storage)?;
    configure(&conn).map_err(storage)?;
    Ok(conn)
}

/// Opens a read-only connection.
pub(crate) fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(storage)?;
    configure(&conn).map_err(storage)?;
    Ok(conn)
}

fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let app: i64 = conn.query_row("PRAGMA application_id", [], |r| r.get(0)).map_err(storage)?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(storage)?;
    let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0)).map_err(storage)?;
    if app != APPLICATION_ID && tables > 0 {
        return Err(StoreError::Incompatible("this SQLite file is not a tracelot database".into()));
    }
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(StoreError::Incompatible(format!(
            "schema version {version} is newer than this tracelot ({known})"
        )));
    }
    for (n, sql) in (1_i64..).zip(MIGRATIONS).skip(version as usize) {
        let batch = format!(
            "BEGIN IMMEDIATE; {sql}; PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {n}; COMMIT;"
        );
        if let Err(e) = conn.execute_batch(&batch) {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(StoreError::Storage(format!("migration {n} failed: {e}")));
        }
    }
    Ok(())
}

#[cfg(test)]
// Tests: an overflow or a panic is a failed test.
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    /// `synchronous` is a setting of each connection, invisible from another
    /// one: read it from the writer's own connection.
    #[test]
    fn the_writer_commits_durably_in_wal_mode() {
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = open_writer(&dir.path().join("t.db"), true).expect("open");
        let pragma = |name: &str| -> String {
            conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get::<_, rusqlite::types::Value>(0))
                .map(|v| match v {
                    rusqlite::types::Value::Integer(i) => i.to_string(),
                    rusqlite::types::Value::Text(t) => t,
                    other => format!("{other:?}"),
                })
                .expect("pragma")
        };
        assert_eq!(pragma("journal_mode"), "wal");
        assert_eq!(pragma("synchronous"), "2", "2 is FULL: every commit is fsynced");
        assert_eq!(pragma("foreign_keys"), "0", "declared, checked by verify");
        let reader = open_reader(&dir.path().join("t.db")).expect("reader");
        let sync: i64 = reader.query_row("PRAGMA synchronous", [], |r| r.get(0)).expect("pragma");
        assert_eq!(sync, 2);
    }
}
