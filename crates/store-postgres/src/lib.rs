//! The PostgreSQL backend: for a site that outgrows one file or runs
//! several application servers on one database.
//!
//! Every process has one writer thread that group-commits what its callers
//! queue. Writers of all processes take turns on an advisory lock (the hash
//! chain has one head) and write each batch with set-based statements
//! (`unnest`). The ledger's invariants are PostgreSQL constraints, so they
//! hold whoever writes. Queries run on a pool of connections and never
//! wait for writers.

mod accounts;
mod db;
mod pool;
mod queries;
mod rows;
pub mod testing;
mod trace;
mod verify;
mod view;
mod writer;

use std::thread::JoinHandle;

use tracelot_core::document::DocumentHash;
use tracelot_core::time::{ClockPolicy, SiteZone};
use tracelot_core::{LocationPath, LotCode, Serial, Sku, Transaction, TxId};
use tracelot_gs1::Gtin;
use tracelot_store::{
    AssemblyEvent, Direction, ExpiringQuery, ExpiringRow, HistoryQuery, HistoryRow, ItemRow, LedgerEntry, LedgerSize,
    Link, LocationRow, LotRow, PackagingRow, PartnerMove, PartnerRow, Posted, Reply, StockQuery, StockRow, Store,
    StoreError, SubmitError, Unit, VerifyReport, WhereRow, Window, WriterStats,
};

use crate::db::Conn;
use crate::pool::Pool;
use crate::writer::Writer;
use tracelot_store::writing::Queue;

/// Whether a database URL names PostgreSQL.
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// A PostgreSQL URL as messages show it: without its password.
pub fn display_url(url: &str) -> String {
    db::redact(url)
}

/// Tuning of a [`PgStore`].
#[derive(Debug, Clone, Copy)]
pub struct PgOptions {
    /// How far `occurred_at` may be back-dated.
    pub clock_policy: ClockPolicy,
    /// The most client transactions group-committed in one database transaction.
    pub max_batch: usize,
    /// Connections (and threads) for queries.
    pub readers: usize,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions { clock_policy: ClockPolicy::default(), max_batch: 1024, readers: 8 }
    }
}

/// A tracelot ledger in a PostgreSQL database.
pub struct PgStore {
    queue: Queue,
    writer: Option<JoinHandle<()>>,
    pool: Pool,
}

impl PgStore {
    /// Creates (or upgrades) the schema and makes sure the default virtual
    /// locations exist. Safe to run again, and from several processes at once.
    pub fn init(url: &str, options: PgOptions) -> Result<Self, StoreError> {
        let store = Self::start(url, true, options)?;
        let existing: Vec<LocationPath> = store.locations(&Window::all())?.into_iter().map(|l| l.path).collect();
        for r in store.submit_batch(tracelot_store::default_locations(&existing)) {
            match r {
                Ok(_) => {}
                // Another process created it in the meantime.
                Err(SubmitError::Refused(d)) if d.rule == tracelot_core::Rule::AlreadyExists => {}
                Err(e) => return Err(StoreError::Storage(format!("creating default locations: {e}"))),
            }
        }
        Ok(store)
    }

    /// Creates the schema only (no default locations): the target of
    /// `migrate-store`, which copies a whole ledger into it.
    pub fn create_empty(url: &str, options: PgOptions) -> Result<Self, StoreError> {
        Self::start(url, true, options)
    }

    /// Opens a database that holds a tracelot ledger (upgrading its schema
    /// if it is older).
    pub fn open(url: &str, options: PgOptions) -> Result<Self, StoreError> {
        Self::start(url, false, options)
    }

    fn start(url: &str, create: bool, options: PgOptions) -> Result<Self, StoreError> {
        let mut conn = Conn::connect(url)?;
        db::migrate(&mut conn, create)?;
        let (queue, rx) = Queue::new();
        let writer = Writer::new(url.to_owned(), conn, options.clock_policy, options.max_batch, queue.metrics());
        let handle = std::thread::Builder::new()
            .name("tracelot-writer".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| StoreError::Storage(format!("cannot start the writer thread: {e}")))?;
        Ok(PgStore { queue, writer: Some(handle), pool: Pool::new(url, options.readers)? })
    }

    /// Runs a query on a pooled connection.
    fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Conn) -> db::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.pool.run(f)?.map_err(StoreError::from)
    }
}

impl Drop for PgStore {
    /// Closes the queue and waits for the writer to finish what it took, so
    /// no acknowledged write is lost at shutdown.
    fn drop(&mut self) {
        self.queue.close();
        if let Some(h) = self.writer.take() {
            let _ = h.join();
        }
    }
}

impl Store for PgStore {
    fn submit_batch_then(&self, txs: Vec<Transaction>, reply: Reply) {
        self.queue.submit(txs, None, reply);
    }

    fn import_batch(&self, entries: Vec<LedgerEntry>) -> Vec<Result<Posted, SubmitError>> {
        self.queue.import(entries)
    }

    fn ledger_entries(&self, after: i64, limit: usize) -> Result<Vec<LedgerEntry>, StoreError> {
        self.read(move |c| queries::ledger_entries(c, after, limit))
    }

    fn chain_head(&self) -> Result<Option<(i64, [u8; 32])>, StoreError> {
        self.read(queries::chain_head)
    }

    fn snapshot(&self) -> Result<Vec<tracelot_store::replay::SnapshotRow>, StoreError> {
        self.read(queries::snapshot)
    }

    fn items(&self, w: &Window<String>) -> Result<Vec<ItemRow>, StoreError> {
        let w = w.clone();
        self.read(move |c| queries::items(c, &w))
    }

    fn item(&self, sku: &Sku) -> Result<Option<ItemRow>, StoreError> {
        let sku = sku.clone();
        self.read(move |c| queries::item(c, &sku))
    }

    fn item_by_gtin(&self, gtin: &Gtin) -> Result<Option<ItemRow>, StoreError> {
        let gtin = gtin.clone();
        self.read(move |c| queries::item_by_gtin(c, &gtin))
    }

    fn rules_from(&self) -> Result<i64, StoreError> {
        self.read(|c| Ok(c.query_one("SELECT from_seq FROM rules_from WHERE id = 1", &[])?.try_get(0)?))
    }

    fn set_rules_from(&self, seq: i64) -> Result<(), StoreError> {
        self.read(move |c| {
            c.execute(
                "UPDATE rules_from SET from_seq = $1 WHERE id = 1 AND NOT EXISTS (SELECT 1 FROM transactions)",
                &[&seq],
            )
        })?;
        Ok(())
    }

    fn put_document(&self, bytes: &[u8]) -> Result<DocumentHash, StoreError> {
        let hash = DocumentHash::of(bytes);
        let (h, bytes) = (hash.clone(), bytes.to_vec());
        let size = i64::try_from(bytes.len()).map_err(|e| StoreError::Storage(e.to_string()))?;
        self.read(move |c| {
            c.execute(
                "INSERT INTO documents (sha256, size, bytes) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING",
                &[&h.as_str(), &size, &bytes],
            )
        })?;
        Ok(hash)
    }

    fn document(&self, sha256: &DocumentHash) -> Result<Option<Vec<u8>>, StoreError> {
        let sha256 = sha256.clone();
        self.read(move |c| queries::document(c, &sha256))
    }

    fn packagings(&self, sku: &Sku) -> Result<Vec<PackagingRow>, StoreError> {
        let sku = sku.clone();
        self.read(move |c| queries::packagings(c, &sku))
    }

    fn packaging_by_gtin(&self, gtin: &Gtin) -> Result<Option<PackagingRow>, StoreError> {
        let gtin = gtin.clone();
        self.read(move |c| queries::packaging_by_gtin(c, &gtin))
    }

    fn locations(&self, w: &Window<String>) -> Result<Vec<LocationRow>, StoreError> {
        let w = w.clone();
        self.read(move |c| queries::locations(c, &w))
    }

    fn site_zones(&self, location: Option<&LocationPath>) -> Result<Vec<SiteZone>, StoreError> {
        let location = location.cloned();
        self.read(move |c| queries::site_zones(c, location.as_ref()))
    }

    fn partners(&self, w: &Window<String>) -> Result<Vec<PartnerRow>, StoreError> {
        let w = w.clone();
        self.read(move |c| queries::partners(c, &w))
    }

    fn lot(&self, sku: &Sku, code: &LotCode) -> Result<Option<LotRow>, StoreError> {
        let (sku, code) = (sku.clone(), code.clone());
        self.read(move |c| queries::lot(c, &sku, &code))
    }

    fn lots_by_supplier_lot(&self, sku: Option<&Sku>, supplier_lot: &str) -> Result<Vec<(Sku, LotCode)>, StoreError> {
        let (sku, supplier_lot) = (sku.cloned(), supplier_lot.to_owned());
        self.read(move |c| queries::lots_by_supplier_lot(c, sku.as_ref(), &supplier_lot))
    }

    fn stock(&self, q: &StockQuery) -> Result<Vec<StockRow>, StoreError> {
        let q = q.clone();
        self.read(move |c| queries::stock(c, &q))
    }

    fn where_is(&self, sku: &Sku, serial: &Serial) -> Result<Option<WhereRow>, StoreError> {
        let (sku, serial) = (sku.clone(), serial.clone());
        self.read(move |c| queries::where_is(c, &sku, &serial))
    }

    fn history(&self, q: &HistoryQuery) -> Result<Vec<HistoryRow>, StoreError> {
        let q = q.clone();
        self.read(move |c| queries::history(c, &q))
    }

    fn transaction_movements(&self, id: &TxId) -> Result<Vec<HistoryRow>, StoreError> {
        let id = *id;
        self.read(move |c| queries::transaction_movements(c, &id))
    }

    fn expiring(&self, q: &ExpiringQuery) -> Result<Vec<ExpiringRow>, StoreError> {
        let q = q.clone();
        self.read(move |c| queries::expiring(c, &q))
    }

    fn verify(&self) -> Result<VerifyReport, StoreError> {
        self.read(verify::verify)
    }

    fn ledger_size(&self) -> Result<LedgerSize, StoreError> {
        self.read(queries::ledger_size)
    }

    fn ping(&self) -> Result<(), StoreError> {
        self.read(|c| c.query_one("SELECT 1 FROM tracelot_schema", &[]).map(|_| ()))
    }

    fn links(&self, units: &[Unit], direction: Direction) -> Result<Vec<Link>, StoreError> {
        let units = units.to_vec();
        self.read(move |c| trace::links(c, &units, direction))
    }

    fn partner_moves(&self, units: &[Unit]) -> Result<Vec<PartnerMove>, StoreError> {
        let units = units.to_vec();
        self.read(move |c| trace::partner_moves(c, &units))
    }

    fn assembly_events(&self, sku: &Sku, serial: &Serial) -> Result<Vec<AssemblyEvent>, StoreError> {
        let (sku, serial) = (sku.clone(), serial.clone());
        self.read(move |c| trace::assembly_events(c, &sku, &serial))
    }

    fn writer_stats(&self) -> WriterStats {
        self.queue.metrics().snapshot()
    }
}
