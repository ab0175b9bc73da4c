//! The store: one trait that every tracelot backend implements, the rows
//! its queries return, and (feature `conformance`) the test suite that every
//! backend must pass.
//!
//! Writes have exactly one entry point, [`Store::submit_batch`] (and its
//! one-transaction form [`Store::submit`]): the CLI, the API, the importer
//! and scanner flows all build [`Transaction`]s and hand them here.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use tracelot_core::rules::Override;
use tracelot_core::{DomainError, LocationKind, LocationPath, LotCode, LotDetails, LotStatus, Serial, Sku, TxId};
use tracelot_gs1::Gtin;

pub use tracelot_core::Transaction;
pub use tracelot_core::item::ItemSpec;

pub mod accounts;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod copy;
pub mod metrics;
pub mod replay;
pub mod trace;
pub mod verify;
pub mod writing;

pub use accounts::{AccountError, AccountRow, Accounts, NewToken, TokenKey, TokenKind, TokenRow};

/// A whole backend: the ledger and the accounts in one database, which is
/// what the binary opens from a path or URL.
pub trait Backend: Store + Accounts {}

impl<T: Store + Accounts> Backend for T {}
pub use metrics::{WriterMetrics, WriterStats};
pub use trace::{AssemblyEvent, Direction, Link, PartnerMove, Quantity, TraceGraph, Traced, Unit};

/// Why a submitted transaction was not posted. Nothing of it was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// A rule refused it (the error names the rule and field). Includes
    /// `idempotency_conflict` for an id reused with other content.
    #[error(transparent)]
    Refused(#[from] DomainError),
    /// The database failed; the transaction was not committed.
    #[error("storage failure: {0}")]
    Storage(String),
}

/// A query or maintenance failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("storage failure: {0}")]
    Storage(String),
    /// The database was made by another program or a newer tracelot.
    #[error("incompatible database: {0}")]
    Incompatible(String),
}

/// The durable result of a posted transaction. A retry with the same id
/// and content gets the same result back with `replayed` set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Posted {
    /// The client-chosen id.
    pub id: TxId,
    /// Position in the ledger and hash chain.
    pub seq: i64,
    /// Command kind.
    pub kind: String,
    /// When it happened.
    pub occurred_at: Timestamp,
    /// When the ledger recorded it.
    pub recorded_at: Timestamp,
    /// How many movements it wrote.
    pub movements: u64,
    /// Its chain hash (hex).
    pub hash: String,
    /// True when this is the stored result of an earlier identical post.
    pub replayed: bool,
    /// Serials generated from the item's pattern.
    pub generated_serials: Vec<Serial>,
    /// Rules overridden, with reasons.
    pub overrides: Vec<Override>,
}

/// An item as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemRow {
    /// Definition.
    #[serde(flatten)]
    pub spec: ItemSpec,
}

/// A packaging of an item: its own GTIN and how much of the item it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackagingRow {
    /// The item inside.
    pub sku: Sku,
    /// Its name (`case`, `pallet`).
    pub name: String,
    /// Its GTIN.
    pub gtin: String,
    /// How much of the item one packaging holds, in the item's unit.
    pub quantity: String,
    /// The same in the item's smallest units.
    pub units: i64,
}

/// A location as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocationRow {
    /// Path.
    pub path: LocationPath,
    /// Kind.
    pub kind: LocationKind,
    /// The partner it belongs to, if it is a partner's location.
    pub partner: Option<String>,
    /// Its site's time zone (`UTC` unless the site set one).
    pub time_zone: tracelot_core::time::SiteZone,
}

/// A partner as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartnerRow {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Supplier or customer.
    pub kind: LocationKind,
    /// Its virtual location.
    pub location: LocationPath,
    /// For a customer: days of shelf life it requires.
    pub min_shelf_life_days: Option<u32>,
}

/// A lot with its status history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LotRow {
    /// Item.
    pub sku: Sku,
    /// Code.
    pub code: LotCode,
    /// Details.
    #[serde(flatten)]
    pub details: LotDetails,
    /// Current status.
    pub status: LotStatus,
    /// Every status change: when, who, why.
    pub status_history: Vec<StatusChange>,
    /// Documents attached to it (certificates of analysis), oldest first.
    pub documents: Vec<LotDocument>,
}

/// A document attached to a lot, with the transaction that attached it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LotDocument {
    /// The attachment as the ledger records it.
    #[serde(flatten)]
    pub document: tracelot_core::document::Attachment,
    /// The transaction that attached it.
    pub tx_id: TxId,
    /// When.
    pub occurred_at: Timestamp,
    /// Who.
    pub user: String,
}

/// One recorded lot status change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusChange {
    /// The transaction that changed it.
    pub tx_id: TxId,
    /// The new status.
    pub status: LotStatus,
    /// When it took effect.
    pub occurred_at: Timestamp,
    /// Who changed it.
    pub user: String,
    /// Why.
    pub reason: Option<String>,
}

/// Which balances [`Store::stock`] returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StockQuery {
    /// Only this item.
    pub sku: Option<Sku>,
    /// Only this lot (needs `sku` to be unambiguous, but works without).
    pub lot: Option<LotCode>,
    /// Only this serial.
    pub serial: Option<Serial>,
    /// Only this location and everything under it.
    pub location: Option<LocationPath>,
    /// The stock at this past instant (by `occurred_at`) instead of now.
    pub as_of: Option<Timestamp>,
    /// Include virtual locations (suppliers, customers, adjustment ...).
    pub include_virtual: bool,
    /// Only rows after this one, in the order rows come back: a page's
    /// start, read in the database instead of skipping rows in memory.
    pub after: Option<StockKey>,
    /// At most this many rows.
    pub limit: Option<usize>,
}

/// Where a stock row sorts: by location path (byte order), then by the
/// database ids of its item, lot and serial (0 for none), which is the
/// order of the balances index inside one location, so a page is read by
/// seeking in that index instead of sorting every row.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct StockKey(pub String, pub i64, pub i64, pub i64);

impl StockRow {
    /// The row's place in the order [`Store::stock`] returns rows in.
    pub fn key(&self) -> StockKey {
        let (item, lot, serial) = self.ids;
        StockKey(self.location.to_string(), item, lot, serial)
    }
}

/// Which stretch of the stock order one statement of a backend reads.
pub enum Stretch<'a> {
    /// The cursor's own location, after the cursor's ids.
    Within(&'a StockKey),
    /// The locations after this path (all of them for `None`).
    After(Option<&'a str>),
}

/// One page of stock read in at most two stretches: the cursor's own
/// location from the cursor on, then the locations after it. Each stretch
/// is one index walk in a backend (`read` gets it and the rows still
/// wanted), so a page costs about its own rows wherever it starts.
pub fn stock_in_stretches<E>(
    q: &StockQuery,
    mut read: impl FnMut(Stretch<'_>, usize) -> Result<Vec<StockRow>, E>,
) -> Result<Vec<StockRow>, E> {
    let limit = q.limit.unwrap_or(usize::MAX);
    let mut rows = match &q.after {
        Some(k) => read(Stretch::Within(k), limit)?,
        None => Vec::new(),
    };
    if rows.len() < limit {
        let after = q.after.as_ref().map(|k| k.0.as_str());
        rows.extend(read(Stretch::After(after), limit.saturating_sub(rows.len()))?);
    }
    Ok(rows)
}

/// One non-zero balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StockRow {
    /// Location path.
    pub location: LocationPath,
    /// Location kind.
    pub location_kind: LocationKind,
    /// Item.
    pub sku: Sku,
    /// Lot.
    pub lot: Option<LotCode>,
    /// Serial.
    pub serial: Option<Serial>,
    /// Smallest units.
    pub units: i64,
    /// The quantity as a decimal in the item's unit.
    pub quantity: String,
    /// Unit of measure.
    pub uom: String,
    /// The database ids of its item, lot and serial: the rest of its
    /// [`StockKey`], never shown.
    #[serde(skip)]
    pub ids: (i64, i64, i64),
}

/// Where one serial is now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WhereRow {
    /// Item.
    pub sku: Sku,
    /// Serial.
    pub serial: Serial,
    /// Its lot.
    pub lot: Option<LotCode>,
    /// The location holding it, or `None` when nothing does (receipt reversed).
    pub location: Option<LocationPath>,
    /// That location's kind.
    pub location_kind: Option<LocationKind>,
    /// When it arrived there.
    pub since: Option<Timestamp>,
    /// The unit's own status (its lot has one too): held, recalled or
    /// rejected units move only into quarantine, scrap or a write-off.
    pub status: LotStatus,
}

/// Which movements [`Store::history`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryQuery {
    /// The item.
    pub sku: Sku,
    /// Only this lot.
    pub lot: Option<LotCode>,
    /// Only this serial.
    pub serial: Option<Serial>,
    /// Only movements after this one in history order (a page's cursor).
    pub after: Option<HistoryKey>,
    /// At most this many movements.
    pub limit: Option<usize>,
}

impl HistoryQuery {
    /// Every movement of an item.
    pub fn of(sku: Sku) -> Self {
        HistoryQuery { sku, lot: None, serial: None, after: None, limit: None }
    }
}

/// A movement's place in history order: when it happened, then chain
/// position, then line. Stable, so pages neither skip nor repeat rows when
/// new movements arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryKey {
    /// When it happened.
    pub occurred_at: Timestamp,
    /// Chain position.
    pub seq: i64,
    /// Line within the transaction.
    pub line: i64,
}

/// One movement with its transaction's context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryRow {
    /// Chain position.
    pub seq: i64,
    /// Line within the transaction.
    pub line: i64,
    /// Transaction id.
    pub tx_id: TxId,
    /// Command kind.
    pub kind: String,
    /// When it happened.
    pub occurred_at: Timestamp,
    /// When it was recorded.
    pub recorded_at: Timestamp,
    /// Who posted it.
    pub user: String,
    /// The document.
    pub reference: Option<String>,
    /// Why.
    pub reason: Option<String>,
    /// The transaction it reverses.
    pub reverses: Option<TxId>,
    /// Item.
    pub sku: Sku,
    /// Lot.
    pub lot: Option<LotCode>,
    /// Serial.
    pub serial: Option<Serial>,
    /// Source.
    pub from: LocationPath,
    /// The source's kind.
    pub from_kind: LocationKind,
    /// Destination.
    pub to: LocationPath,
    /// The destination's kind.
    pub to_kind: LocationKind,
    /// Smallest units.
    pub units: i64,
    /// Decimal quantity.
    pub quantity: String,
    /// For a catch-weight item, the line's actual weight with its unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<String>,
}

/// A stretch of a list, read in the database so that a page never costs the
/// whole list: the rows after `after` in the list's order, at most `limit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window<K> {
    /// The key of the last row already seen.
    pub after: Option<K>,
    /// At most this many rows (`None`: to the end).
    pub limit: Option<usize>,
}

impl<K> Window<K> {
    /// The whole list, for callers that need every row (the CLI's listings).
    pub fn all() -> Self {
        Window { after: None, limit: None }
    }

    /// The limit as SQL takes it: "no limit" is the largest count.
    pub fn sql_limit(&self) -> i64 {
        self.limit.map_or(i64::MAX, |l| i64::try_from(l).unwrap_or(i64::MAX))
    }
}

/// Which lots [`Store::expiring`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiringQuery {
    /// Lots whose ship-by date is on or before this day.
    pub until: Date,
    /// The page.
    pub window: Window<ExpiringKey>,
}

/// Where an expiring lot sorts: ship-by date (ISO text), SKU, lot code.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct ExpiringKey(pub String, pub String, pub String);

impl ExpiringRow {
    /// The row's place in the order [`Store::expiring`] returns rows in.
    pub fn key(&self) -> ExpiringKey {
        ExpiringKey(self.ship_by.to_string(), self.sku.to_string(), self.lot.to_string())
    }
}

/// A lot with stock on hand that expires soon (or has expired).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpiringRow {
    /// Item.
    pub sku: Sku,
    /// Lot.
    pub lot: LotCode,
    /// The date after which it may not ship (expiry, else best-before).
    pub ship_by: Date,
    /// Status.
    pub status: LotStatus,
    /// Stock on hand in internal locations, smallest units.
    pub units: i64,
    /// Decimal quantity.
    pub quantity: String,
    /// Unit of measure.
    pub uom: String,
}

/// The outcome of [`Store::verify`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Transactions checked.
    pub transactions: u64,
    /// Movements checked.
    pub movements: u64,
    /// Balances checked.
    pub balances: u64,
    /// The last hash of the chain (hex).
    pub head: String,
    /// What does not match, first problem first. Empty means OK.
    pub problems: Vec<String>,
}

impl VerifyReport {
    /// True when the chain and every balance match the ledger.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// How many rows the ledger holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LedgerSize {
    /// Transactions in the chain.
    pub transactions: u64,
    /// Movements.
    pub movements: u64,
    /// Balance rows.
    pub balances: u64,
}

/// One transaction as the ledger stored it, for copying an installation
/// (`tracelot migrate-store`): the request and who posted it, when it was
/// recorded and where it sits in the hash chain. Importing it elsewhere
/// must give the same position and hash, or it is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    /// The transaction as posted.
    pub tx: Transaction,
    /// When the source ledger recorded it.
    pub recorded_at: Timestamp,
    /// Its position in the chain.
    pub seq: i64,
    /// Its chain hash.
    pub hash: [u8; 32],
}

/// The refusal of a copied transaction that would not land where it sat in
/// its source's chain (the target was not empty, or the source's chain
/// does not verify). Nothing of it is written.
pub fn copy_mismatch(source_seq: i64, seq: i64) -> SubmitError {
    SubmitError::Storage(format!(
        "copied transaction #{source_seq} would be #{seq} with another hash here: \
         the target must be an empty tracelot database and the source must pass verify"
    ))
}

/// The transactions that create the default virtual locations (suppliers,
/// customers, adjustments ...) missing from `existing`: what `init` posts
/// on every backend, so that a fresh installation can receive and ship.
pub fn default_locations(existing: &[LocationPath]) -> Vec<Transaction> {
    let Ok(user) = tracelot_core::UserName::parse("system") else { return Vec::new() };
    LocationKind::ALL
        .into_iter()
        .filter_map(|kind| Some((kind, LocationPath::parse(kind.default_root()?).ok()?)))
        .filter(|(_, path)| !existing.contains(path))
        .map(|(kind, path)| Transaction {
            request: tracelot_core::Request::new(tracelot_core::Command::DefineLocation {
                path,
                kind,
                time_zone: None,
            }),
            user: user.clone(),
        })
        .collect()
}

/// Where the results of a submission go: called once, on the writer's
/// thread, when the batch is durable (or refused). An async server hands it
/// a oneshot sender, so no thread waits per request.
pub type Reply = Box<dyn FnOnce(Vec<Result<Posted, SubmitError>>) + Send>;

/// A tracelot backend.
pub trait Store: Send + Sync {
    /// Queues transactions for the writer's group commit and returns at once;
    /// `reply` gets one result each, in order. A refused transaction writes
    /// nothing and does not affect its neighbours.
    fn submit_batch_then(&self, txs: Vec<Transaction>, reply: Reply);

    /// Posts transactions and waits until they are durable; one result each.
    fn submit_batch(&self, txs: Vec<Transaction>) -> Vec<Result<Posted, SubmitError>> {
        let n = txs.len();
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.submit_batch_then(
            txs,
            Box::new(move |results| {
                let _ = tx.send(results);
            }),
        );
        rx.recv().unwrap_or_else(|_| {
            (0..n).map(|_| Err(SubmitError::Storage("the writer stopped before answering".into()))).collect()
        })
    }

    /// Posts one transaction and returns once it is durable.
    fn submit(&self, tx: Transaction) -> Result<Posted, SubmitError> {
        self.submit_batch(vec![tx])
            .pop()
            .unwrap_or_else(|| Err(SubmitError::Storage("the writer returned no result".into())))
    }

    /// Posts transactions copied from another ledger: each keeps its
    /// recorded time, and is refused (with nothing written) unless it lands
    /// at the same chain position with the same hash. The target must hold
    /// no other transactions before the first.
    fn import_batch(&self, entries: Vec<LedgerEntry>) -> Vec<Result<Posted, SubmitError>>;

    /// Up to `limit` stored transactions after chain position `after`, in
    /// chain order: what `import_batch` takes on another backend.
    fn ledger_entries(&self, after: i64, limit: usize) -> Result<Vec<LedgerEntry>, StoreError>;

    /// The last transaction's position and hash, or `None` for an empty
    /// ledger: one index probe, for checkpoints taken every few minutes.
    fn chain_head(&self) -> Result<Option<(i64, [u8; 32])>, StoreError>;

    /// Every row kept beside the ledger (items, locations, partners, lots,
    /// lot status changes, serials, assembly events), by natural keys, for
    /// [`replay::replay_problems`] to compare with what the chain makes.
    fn snapshot(&self) -> Result<Vec<replay::SnapshotRow>, StoreError>;

    /// Items by SKU, within the window (keyed by SKU).
    fn items(&self, w: &Window<String>) -> Result<Vec<ItemRow>, StoreError>;
    /// One item.
    fn item(&self, sku: &Sku) -> Result<Option<ItemRow>, StoreError>;
    /// The item carrying this GTIN (GTINs are unique), for scans.
    fn item_by_gtin(&self, gtin: &Gtin) -> Result<Option<ItemRow>, StoreError>;
    /// Stores a document's bytes under their SHA-256 (once: the same bytes
    /// again change nothing) and answers the hash.
    fn put_document(&self, bytes: &[u8]) -> Result<tracelot_core::document::DocumentHash, StoreError>;
    /// A stored document's bytes.
    fn document(&self, sha256: &tracelot_core::document::DocumentHash) -> Result<Option<Vec<u8>>, StoreError>;
    /// The chain position from which today's rules apply (earlier
    /// transactions of an upgraded ledger keep the rules of schema 5).
    fn rules_from(&self) -> Result<i64, StoreError>;
    /// Sets that position in an empty store, before a copy or replay of a
    /// ledger that has its own.
    fn set_rules_from(&self, seq: i64) -> Result<(), StoreError>;
    /// An item's packagings, by name.
    fn packagings(&self, sku: &Sku) -> Result<Vec<PackagingRow>, StoreError>;
    /// The packaging that carries a GTIN, if any.
    fn packaging_by_gtin(&self, gtin: &Gtin) -> Result<Option<PackagingRow>, StoreError>;
    /// Locations by path, within the window (keyed by path).
    fn locations(&self, w: &Window<String>) -> Result<Vec<LocationRow>, StoreError>;
    /// The distinct time zones of the sites holding stock, or of the site
    /// of `location` alone: what a bare date in a query means.
    fn site_zones(&self, location: Option<&LocationPath>) -> Result<Vec<tracelot_core::time::SiteZone>, StoreError>;
    /// Partners by code, within the window (keyed by code).
    fn partners(&self, w: &Window<String>) -> Result<Vec<PartnerRow>, StoreError>;
    /// One lot with its status history.
    fn lot(&self, sku: &Sku, code: &LotCode) -> Result<Option<LotRow>, StoreError>;
    /// The lots (item, code) that carry a supplier's lot code, of one item
    /// or of any, in item and code order: how a supplier's recall notice
    /// finds our lots.
    fn lots_by_supplier_lot(&self, sku: Option<&Sku>, supplier_lot: &str) -> Result<Vec<(Sku, LotCode)>, StoreError>;
    /// Non-zero balances, now or as of an instant.
    fn stock(&self, q: &StockQuery) -> Result<Vec<StockRow>, StoreError>;
    /// Where a serial is now (`None` if the serial is unknown).
    fn where_is(&self, sku: &Sku, serial: &Serial) -> Result<Option<WhereRow>, StoreError>;
    /// Every movement of an item, lot or serial, oldest first.
    fn history(&self, q: &HistoryQuery) -> Result<Vec<HistoryRow>, StoreError>;
    /// The movements of one transaction, in line order (empty when the id is unknown).
    fn transaction_movements(&self, id: &TxId) -> Result<Vec<HistoryRow>, StoreError>;
    /// Lots on hand whose ship-by date is on or before `q.until`, by
    /// ship-by date, SKU and lot code.
    fn expiring(&self, q: &ExpiringQuery) -> Result<Vec<ExpiringRow>, StoreError>;
    /// Recomputes the hash chain and every balance from the ledger.
    fn verify(&self) -> Result<VerifyReport, StoreError>;
    /// Row counts, for monitoring. Counts rows, so it costs a scan.
    fn ledger_size(&self) -> Result<LedgerSize, StoreError>;
    /// Whether the database answers, cheaply (a readiness probe).
    fn ping(&self) -> Result<(), StoreError>;
    /// One step of a trace: the production runs (and installations) that
    /// consumed these units (forward) or made them (backward). Runs that were
    /// reversed are left out. Unknown units have no links.
    fn links(&self, units: &[Unit], direction: Direction) -> Result<Vec<Link>, StoreError>;
    /// Receipts, shipments and returns of these units, oldest first.
    fn partner_moves(&self, units: &[Unit]) -> Result<Vec<PartnerMove>, StoreError>;
    /// A whole trace from `start` to any depth. The default walks
    /// [`Store::links`] level by level ([`trace::walk`]); a backend with an
    /// index answers the same from it.
    fn trace(&self, start: &Unit, direction: Direction) -> Result<TraceGraph, StoreError> {
        trace::walk(self, start, direction)
    }
    /// Installs and removals where this serial is the parent or the component, oldest first.
    fn assembly_events(&self, sku: &Sku, serial: &Serial) -> Result<Vec<AssemblyEvent>, StoreError>;
    /// The writer's queue depth and commit sizes, for monitoring.
    fn writer_stats(&self) -> WriterStats;
}
