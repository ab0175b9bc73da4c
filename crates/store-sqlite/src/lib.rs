//! The embedded SQLite backend, tracelot's default.
//!
//! One database file in WAL mode with `synchronous=FULL`. A single writer
//! thread owns the write connection and group-commits whatever callers
//! queue (one SAVEPOINT and one result per client transaction); queries run
//! on their own read-only connections and never wait for the writer.

mod accounts;
mod db;
mod genealogy;
mod queries;
mod rows;
mod trace;
mod verify;
mod view;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc;
use std::thread::JoinHandle;

use rusqlite::Connection;
use tracelot_core::document::DocumentHash;
use tracelot_core::time::{ClockPolicy, SiteZone};
use tracelot_core::{LocationPath, LotCode, Serial, Sku, Transaction};
use tracelot_gs1::Gtin;
use tracelot_store::{
    AssemblyEvent, Direction, ExpiringQuery, ExpiringRow, HistoryQuery, HistoryRow, ItemRow, LedgerEntry, LedgerSize,
    Link, LocationRow, LotRow, PackagingRow, PartnerMove, PartnerRow, Posted, Reply, StockQuery, StockRow, Store,
    StoreError, SubmitError, TraceGraph, Unit, VerifyReport, WhereRow, Window, WriterStats,
};

use crate::writer::Writer;
use tracelot_store::writing::Queue;

/// Tuning of a [`SqliteStore`].
#[derive(Debug, Clone, Copy)]
pub struct SqliteOptions {
    /// How far `occurred_at` may be back-dated.
    pub clock_policy: ClockPolicy,
    /// The most client transactions group-committed in one database transaction.
    pub max_batch: usize,
    /// Keep an in-memory index of production runs, installations and partner
    /// moves for traces: worth it in a long-running server (it is built on
    /// the first trace and then only reads what is new), not in a one-shot CLI.
    pub genealogy_index: bool,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions { clock_policy: ClockPolicy::default(), max_batch: 1024, genealogy_index: false }
    }
}

/// A tracelot ledger in one SQLite file.
pub struct SqliteStore {
    path: PathBuf,
    queue: Queue,
    writer: Option<JoinHandle<()>>,
    readers: Mutex<Vec<Connection>>,
    /// The connection account changes are written on, opened on first use.
    accounts_conn: Mutex<Option<Connection>>,
    genealogy: Option<Mutex<genealogy::Genealogy>>,
}

impl SqliteStore {
    /// Creates (or upgrades) the database at `path` and makes sure the
    /// default virtual locations exist. Safe to run again.
    pub fn init(path: &Path, options: SqliteOptions) -> Result<Self, StoreError> {
        let store = Self::start(path, true, options)?;
        let existing: Vec<LocationPath> = store.locations(&Window::all())?.into_iter().map(|l| l.path).collect();
        for r in store.submit_batch(tracelot_store::default_locations(&existing)) {
            r.map_err(|e| StoreError::Storage(format!("creating default locations: {e}")))?;
        }
        Ok(store)
    }

    /// Replays `source`'s chain into a scratch SQLite file (removed after)
    /// and names every stored row outside the ledger tables that the chain
    /// does not make as stored: `verify`'s check of lots, serials and the
    /// other rows kept beside the ledger, for either backend.
    pub fn replay_problems_of(source: &dyn Store) -> Result<Vec<String>, StoreError> {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!("tracelot-verify-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| StoreError::Storage(format!("creating {}: {e}", dir.display())))?;
        let options = SqliteOptions { genealogy_index: false, ..Default::default() };
        let checked = SqliteStore::create_empty(&dir.join("replica.db"), options)
            .and_then(|replica| tracelot_store::replay::replay_problems(source, &replica));
        let _ = std::fs::remove_dir_all(&dir);
        checked
    }

    /// Creates an empty database (schema only, no default locations), the
    /// target of `migrate-store`, which copies the source's ledger into it.
    pub fn create_empty(path: &Path, options: SqliteOptions) -> Result<Self, StoreError> {
        Self::start(path, true, options)
    }

    /// Opens an existing database (upgrading its schema if it is older).
    pub fn open(path: &Path, options: SqliteOptions) -> Result<Self, StoreError> {
        Self::start(path, false, options)
    }

    fn start(path: &Path, create: bool, options: SqliteOptions) -> Result<Self, StoreError> {
        let conn = db::open_writer(path, create)?;
        let (queue, rx) = Queue::new();
        let (ready_tx, ready) = mpsc::sync_channel(1);
        let shared = queue.metrics();
        let handle = std::thread::Builder::new()
            .name("tracelot-writer".into())
            .spawn(move || match Writer::new(&conn, options.clock_policy, options.max_batch, shared) {
                Ok(writer) => {
                    let _ = ready_tx.send(Ok(()));
                    writer.run(rx);
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(db::storage(e)));
                }
            })
            .map_err(|e| StoreError::Storage(format!("cannot start the writer thread: {e}")))?;
        ready.recv().map_err(|_| StoreError::Storage("the writer thread stopped while starting".into()))??;
        Ok(SqliteStore {
            path: path.to_owned(),
            queue,
            writer: Some(handle),
            readers: Mutex::new(Vec::new()),
            accounts_conn: Mutex::new(None),
            genealogy: options.genealogy_index.then(|| Mutex::new(genealogy::Genealogy::default())),
        })
    }

    /// Builds (or brings up to date) the in-memory genealogy index, when
    /// the store keeps one, so that the first trace does not pay for it.
    pub fn warm_genealogy(&self) -> Result<(), StoreError> {
        match &self.genealogy {
            Some(g) => self.with_genealogy(g, |_| ()),
            None => Ok(()),
        }
    }

    /// Brings the genealogy index up to date, then asks it.
    fn with_genealogy<T>(
        &self,
        g: &Mutex<genealogy::Genealogy>,
        f: impl FnOnce(&genealogy::Genealogy) -> T,
    ) -> Result<T, StoreError> {
        let mut g = g.lock().map_err(|_| StoreError::Storage("the genealogy index lock is poisoned".into()))?;
        self.read(|c| g.refresh(c))?;
        Ok(f(&g))
    }

    /// Runs `f` on a pooled read-only connection.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, StoreError> {
        let pooled = self.readers.lock().map(|mut v| v.pop()).unwrap_or(None);
        let conn = match pooled {
            Some(c) => c,
            None => db::open_reader(&self.path)?,
        };
        let out = f(&conn).map_err(db::storage);
        if let Ok(mut v) = self.readers.lock() {
            v.push(conn);
        }
        out
    }
}

impl Drop for SqliteStore {
    /// Closes the queue and waits for the writer to finish what it took, so
    /// no acknowledged write is lost at shutdown.
    fn drop(&mut self) {
        self.queue.close();
        if let Some(h) = self.writer.take() {
            let _ = h.join();
        }
    }
}

impl Store for SqliteStore {
    fn submit_batch_then(&self, txs: Vec<Transaction>, reply: Reply) {
        self.queue.submit(txs, None, reply);
    }

    fn import_batch(&self, entries: Vec<LedgerEntry>) -> Vec<Result<Posted, SubmitError>> {
        self.queue.import(entries)
    }

    fn ledger_entries(&self, after: i64, limit: usize) -> Result<Vec<LedgerEntry>, StoreError> {
        self.read(|c| queries::ledger_entries(c, after, limit))
    }

    fn chain_head(&self) -> Result<Option<(i64, [u8; 32])>, StoreError> {
        self.read(queries::chain_head)
    }

    fn snapshot(&self) -> Result<Vec<tracelot_store::replay::SnapshotRow>, StoreError> {
        self.read(queries::snapshot)
    }

    fn items(&self, w: &Window<String>) -> Result<Vec<ItemRow>, StoreError> {
        self.read(|c| queries::items(c, w))
    }

    fn item(&self, sku: &Sku) -> Result<Option<ItemRow>, StoreError> {
        self.read(|c| queries::item(c, sku))
    }

    fn item_by_gtin(&self, gtin: &Gtin) -> Result<Option<ItemRow>, StoreError> {
        self.read(|c| queries::item_by_gtin(c, gtin))
    }

    fn rules_from(&self) -> Result<i64, StoreError> {
        self.read(|c| c.query_row("SELECT from_seq FROM rules_from WHERE id = 1", [], |r| r.get(0)))
    }

    fn set_rules_from(&self, seq: i64) -> Result<(), StoreError> {
        let mut guard = self.accounts_conn.lock().map_err(|_| StoreError::Storage("poisoned lock".into()))?;
        if guard.is_none() {
            *guard = Some(db::open_side_writer(&self.path)?);
        }
        let c = guard.as_ref().ok_or_else(|| StoreError::Storage("no side connection".into()))?;
        c.execute(
            "UPDATE rules_from SET from_seq = ?1 WHERE id = 1 AND NOT EXISTS (SELECT 1 FROM transactions)",
            [seq],
        )
        .map_err(|e| StoreError::Storage(e.to_string()))?;
        Ok(())
    }

    fn put_document(&self, bytes: &[u8]) -> Result<DocumentHash, StoreError> {
        let hash = DocumentHash::of(bytes);
        let mut guard = self.accounts_conn.lock().map_err(|_| StoreError::Storage("poisoned lock".into()))?;
        if guard.is_none() {
            *guard = Some(db::open_side_writer(&self.path)?);
        }
        let c = guard.as_ref().ok_or_else(|| StoreError::Storage("no side connection".into()))?;
        c.execute(
            "INSERT INTO documents (sha256, size, bytes) VALUES (?1, ?2, ?3) ON CONFLICT (sha256) DO NOTHING",
            rusqlite::params![hash.as_str(), i64::try_from(bytes.len()).unwrap_or(i64::MAX), bytes],
        )
        .map_err(|e| StoreError::Storage(e.to_string()))?;
        Ok(hash)
    }

    fn document(&self, sha256: &DocumentHash) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(|c| queries::document(c, sha256))
    }

    fn packagings(&self, sku: &Sku) -> Result<Vec<PackagingRow>, StoreError> {
        self.read(|c| queries::packagings(c, sku))
    }

    fn packaging_by_gtin(&self, gtin: &Gtin) -> Result<Option<PackagingRow>, StoreError> {
        self.read(|c| queries::packaging_by_gtin(c, gtin))
    }

    fn locations(&self, w: &Window<String>) -> Result<Vec<LocationRow>, StoreError> {
        self.read(|c| queries::locations(c, w))
    }

    fn partners(&self, w: &Window<String>) -> Result<Vec<PartnerRow>, StoreError> {
        self.read(|c| queries::partners(c, w))
    }

    fn site_zones(&self, location: Option<&LocationPath>) -> Result<Vec<SiteZone>, StoreError> {
        self.read(|c| queries::site_zones(c, location))
    }

    fn lot(&self, sku: &Sku, code: &LotCode) -> Result<Option<LotRow>, StoreError> {
        self.read(|c| queries::lot(c, sku, code))
    }

    fn lots_by_supplier_lot(&self, sku: Option<&Sku>, supplier_lot: &str) -> Result<Vec<(Sku, LotCode)>, StoreError> {
        self.read(|c| queries::lots_by_supplier_lot(c, sku, supplier_lot))
    }

    fn stock(&self, q: &StockQuery) -> Result<Vec<StockRow>, StoreError> {
        self.read(|c| queries::stock(c, q))
    }

    fn where_is(&self, sku: &Sku, serial: &Serial) -> Result<Option<WhereRow>, StoreError> {
        self.read(|c| queries::where_is(c, sku, serial))
    }

    fn history(&self, q: &HistoryQuery) -> Result<Vec<HistoryRow>, StoreError> {
        self.read(|c| queries::history(c, q))
    }

    fn transaction_movements(&self, id: &tracelot_core::TxId) -> Result<Vec<HistoryRow>, StoreError> {
        self.read(|c| queries::transaction_movements(c, id))
    }

    fn expiring(&self, q: &ExpiringQuery) -> Result<Vec<ExpiringRow>, StoreError> {
        self.read(|c| queries::expiring(c, q))
    }

    fn verify(&self) -> Result<VerifyReport, StoreError> {
        self.read(verify::verify)
    }

    fn ledger_size(&self) -> Result<LedgerSize, StoreError> {
        self.read(queries::ledger_size)
    }

    fn links(&self, units: &[Unit], direction: Direction) -> Result<Vec<Link>, StoreError> {
        match &self.genealogy {
            Some(g) => self.with_genealogy(g, |g| g.links(units, direction)),
            None => self.read(|c| trace::links(c, units, direction)),
        }
    }

    fn partner_moves(&self, units: &[Unit]) -> Result<Vec<PartnerMove>, StoreError> {
        match &self.genealogy {
            Some(g) => self.with_genealogy(g, |g| g.partner_moves(units)),
            None => self.read(|c| trace::partner_moves(c, units)),
        }
    }

    fn trace(&self, start: &Unit, direction: Direction) -> Result<TraceGraph, StoreError> {
        match &self.genealogy {
            Some(g) => self.with_genealogy(g, |g| g.trace(start, direction)),
            None => tracelot_store::trace::walk(self, start, direction),
        }
    }

    fn assembly_events(&self, sku: &Sku, serial: &Serial) -> Result<Vec<AssemblyEvent>, StoreError> {
        self.read(|c| trace::assembly_events(c, sku, serial))
    }

    fn ping(&self) -> Result<(), StoreError> {
        self.read(|c| c.query_row("SELECT count(*) FROM (SELECT 1 FROM transactions LIMIT 1)", [], |_| Ok(())))
    }

    fn writer_stats(&self) -> WriterStats {
        self.queue.metrics().snapshot()
    }
}
