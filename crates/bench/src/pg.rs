//! PostgreSQL pieces the benchmarks share: throwaway databases, the
//! baseline's balance statement and readable errors.

use anyhow::Context;
use postgres::{Client, NoTls};

/// A database made for one run on the benchmark's server, dropped after.
pub struct Database {
    server: String,
    name: String,
    /// Its URL.
    pub url: String,
}

impl Database {
    /// Creates `tracelot_bench_ROLE_PID` on `server` (dropping an old one).
    pub fn create(server: &str, role: &str) -> anyhow::Result<Database> {
        let name = format!("tracelot_bench_{role}_{}", std::process::id());
        let mut admin = Client::connect(server, NoTls).with_context(|| format!("connecting to {server}"))?;
        // One statement each: CREATE DATABASE cannot run inside a transaction.
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).map_err(pg)?;
        admin.batch_execute(&format!("CREATE DATABASE {name}")).map_err(pg)?;
        let base = server.rsplit_once('/').map_or(server, |(b, _)| b);
        Ok(Database { server: server.to_owned(), url: format!("{base}/{name}"), name })
    }

    /// Its size on disk, in bytes.
    pub fn size(&self) -> anyhow::Result<u64> {
        let mut c = Client::connect(&self.url, NoTls)?;
        let bytes: i64 = c.query_one("SELECT pg_database_size(current_database())", &[])?.get(0);
        Ok(bytes.max(0) as u64)
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Ok(mut admin) = Client::connect(&self.server, NoTls) {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

/// The batch's net balance changes: existing rows updated, new ones inserted.
pub const BALANCES: &str = "
MERGE INTO balances b
USING unnest($1::int8[], $2::int8[], $3::int8[], $4::int8[], $5::bool[], $6::int8[])
      AS d(item_id, lot_id, serial_id, location_id, internal, qty)
ON b.item_id = d.item_id AND b.lot_id = d.lot_id AND b.serial_id = d.serial_id AND b.location_id = d.location_id
WHEN MATCHED THEN UPDATE SET qty = b.qty + d.qty
WHEN NOT MATCHED THEN INSERT (item_id, lot_id, serial_id, location_id, internal, qty)
     VALUES (d.item_id, d.lot_id, d.serial_id, d.location_id, d.internal, d.qty)";

/// A PostgreSQL error with the server's message.
pub fn pg(e: postgres::Error) -> anyhow::Error {
    match e.as_db_error() {
        Some(d) => anyhow::anyhow!("{}: {}", d.code().code(), d.message()),
        None => e.into(),
    }
}

/// tracelot's own PostgreSQL schema, for baselines that write every row
/// the service writes.
pub const TRACELOT_SCHEMA: &str = include_str!("../../store-postgres/migrations/0001_ledger.sql");
