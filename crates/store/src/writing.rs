//! What every backend's writer does the same way, whatever its SQL: place
//! a client transaction in the hash chain. The writer plans it against its
//! own view of the ledger; this module gives it its recorded time, its
//! position and its hash, and checks a copied transaction lands where it
//! sat in its source.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, SendError, Sender};

use jiff::Timestamp;
use tracelot_core::Transaction;
use tracelot_core::chain::{self, ChainMove, ChainTx};
use tracelot_core::rules::{self, Clocks, LedgerView, Plan, PlanError, PlannedMove};
use tracelot_core::time::{ClockPolicy, from_micros, to_micros};

use crate::{LedgerEntry, Posted, Reply, SubmitError, WriterMetrics};

/// The end of the chain: the last transaction's position, hash and
/// recorded time (µs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// Position.
    pub seq: i64,
    /// Hash.
    pub hash: [u8; 32],
    /// Recorded time, µs since the epoch.
    pub recorded_at: i64,
}

impl Head {
    /// The head of an empty ledger.
    pub const EMPTY: Head = Head { seq: 0, hash: chain::GENESIS, recorded_at: 0 };
}

/// Where a copied transaction sat in its source ledger's chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// Its position there.
    pub seq: i64,
    /// When the source recorded it (kept on the copy).
    pub recorded_at: Timestamp,
    /// Its hash there.
    pub hash: [u8; 32],
}

impl Stamp {
    /// Splits copied entries into the transactions and their stamps.
    pub fn split(entries: Vec<LedgerEntry>) -> (Vec<Transaction>, Vec<Stamp>) {
        entries.into_iter().map(|e| (e.tx, Stamp { seq: e.seq, recorded_at: e.recorded_at, hash: e.hash })).unzip()
    }
}

/// A planned transaction with its place in the chain: what a writer stores.
#[derive(Debug)]
pub struct Chained {
    /// What to write.
    pub plan: Plan,
    /// Its position.
    pub seq: i64,
    /// When it happened, µs.
    pub occurred_at: i64,
    /// When it was recorded, µs.
    pub recorded_at: i64,
    /// The overrides as stored (JSON).
    pub overrides: String,
    /// How many movements it writes.
    pub movement_count: i64,
    /// Its chain hash.
    pub hash: [u8; 32],
}

impl Chained {
    /// The chain's head once this transaction is written.
    pub fn head(&self) -> Head {
        Head { seq: self.seq, hash: self.hash, recorded_at: self.recorded_at }
    }

    /// The caller's result (after its effects were written).
    pub fn into_posted(self, tx: &Transaction) -> Posted {
        Posted {
            id: tx.request.id,
            seq: self.seq,
            kind: self.plan.kind.to_owned(),
            occurred_at: from_micros(self.occurred_at),
            recorded_at: from_micros(self.recorded_at),
            movements: self.movement_count as u64,
            hash: chain::to_hex(&self.hash),
            replayed: false,
            generated_serials: self.plan.generated,
            overrides: self.plan.overrides,
        }
    }
}

/// The movements of a plan, in line order.
pub fn moves(plan: &Plan) -> impl Iterator<Item = &PlannedMove> {
    plan.effects.iter().filter_map(|e| match e {
        rules::Effect::Move(m) => Some(m),
        _ => None,
    })
}

/// Plans `tx` (whose canonical JSON is `request`) against `view` and places
/// it after `head`: recorded now (never before the head), or at the
/// stamp's time for a copy, which must then land at the stamp's position
/// with the stamp's hash. Nothing is written.
pub fn chain(
    tx: &Transaction,
    request: &str,
    head: &Head,
    stamp: Option<&Stamp>,
    policy: ClockPolicy,
    view: &mut dyn LedgerView,
) -> Result<Chained, SubmitError> {
    let req = &tx.request;
    let recorded_at = match stamp {
        Some(s) => s.recorded_at,
        None => Timestamp::now().max(from_micros(head.recorded_at)),
    };
    let occurred_at = Clocks { recorded_at, policy }.occurred_at(req)?;
    let plan = rules::plan(req, occurred_at, view).map_err(|e| match e {
        PlanError::Domain(d) => SubmitError::Refused(d),
        PlanError::View(v) => SubmitError::Storage(v.to_string()),
    })?;
    let seq = head.seq + 1;
    let overrides = serde_json::to_string(&plan.overrides).map_err(|e| SubmitError::Storage(e.to_string()))?;
    let (occurred_at, recorded_at) = (to_micros(occurred_at), to_micros(recorded_at));
    let chain_moves = moves(&plan).enumerate().map(|(i, m)| ChainMove {
        line: i as i64,
        sku: m.item.spec.sku.as_str(),
        lot: m.lot.as_ref().map(|l| l.code().as_str()),
        serial: m.serial.as_ref().map(|s| s.serial().as_str()),
        from: m.from.path.as_str(),
        to: m.to.path.as_str(),
        qty: m.qty,
    });
    let chain_tx = ChainTx {
        seq,
        id: *req.id.as_bytes(),
        kind: plan.kind,
        request,
        occurred_at,
        recorded_at,
        user: tx.user.as_str(),
        reverses: plan.reverses,
        overrides: &overrides,
    };
    let hash = chain::hash(&head.hash, &chain_tx, chain_moves);
    if let Some(s) = stamp
        && (s.seq, s.hash) != (seq, hash)
    {
        return Err(crate::copy_mismatch(s.seq, seq));
    }
    let movement_count = moves(&plan).count() as i64;
    Ok(Chained { plan, seq, occurred_at, recorded_at, overrides, movement_count, hash })
}

/// One caller's submission and where its results go.
pub struct Job {
    /// The transactions, in order.
    pub txs: Vec<Transaction>,
    /// For transactions copied from another ledger: where each sat there.
    pub stamps: Option<Vec<Stamp>>,
    /// Called once with one result per transaction.
    pub reply: Reply,
}

/// A transaction of a batch, with its stamp when it is a copy.
pub type Posting = (Transaction, Option<Stamp>);

/// Results for `n` transactions the writer can no longer take.
pub fn stopped(n: usize) -> Vec<Result<Posted, SubmitError>> {
    (0..n).map(|_| Err(SubmitError::Storage("the writer thread has stopped".into()))).collect()
}

/// The sending end of a backend's writer queue, with its metrics.
pub struct Queue {
    jobs: Option<Sender<Job>>,
    metrics: Arc<WriterMetrics>,
}

impl Queue {
    /// A queue and the receiving end its writer thread serves.
    pub fn new() -> (Queue, Receiver<Job>) {
        let (tx, rx) = std::sync::mpsc::channel();
        (Queue { jobs: Some(tx), metrics: Arc::new(WriterMetrics::default()) }, rx)
    }

    /// The metrics the writer updates.
    pub fn metrics(&self) -> Arc<WriterMetrics> {
        self.metrics.clone()
    }

    /// Queues transactions; `reply` gets their results once durable.
    pub fn submit(&self, txs: Vec<Transaction>, stamps: Option<Vec<Stamp>>, reply: Reply) {
        let n = txs.len();
        if n == 0 {
            return reply(Vec::new());
        }
        let Some(jobs) = &self.jobs else { return reply(stopped(n)) };
        self.metrics.queued(n);
        if let Err(SendError(job)) = jobs.send(Job { txs, stamps, reply }) {
            self.metrics.taken(n);
            (job.reply)(stopped(n));
        }
    }

    /// Queues copied transactions and waits for their results.
    pub fn import(&self, entries: Vec<LedgerEntry>) -> Vec<Result<Posted, SubmitError>> {
        let n = entries.len();
        let (txs, stamps) = Stamp::split(entries);
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.submit(
            txs,
            Some(stamps),
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        );
        rx.recv().unwrap_or_else(|_| stopped(n))
    }

    /// Closes the queue: the writer finishes what it took, then stops.
    pub fn close(&mut self) {
        self.jobs.take();
    }
}

/// A writer thread's loop: takes whatever is queued (up to `max_batch`
/// transactions) as one batch, hands it to `post`, and answers every job
/// with its share of the results. Returns when every sender is gone.
pub fn serve(
    rx: Receiver<Job>,
    max_batch: usize,
    metrics: &WriterMetrics,
    mut post: impl FnMut(&[Posting]) -> Vec<Result<Posted, SubmitError>>,
) {
    while let Ok(first) = rx.recv() {
        let mut n = first.txs.len();
        let mut jobs = vec![first];
        while n < max_batch.max(1) {
            match rx.try_recv() {
                Ok(j) => {
                    n += j.txs.len();
                    jobs.push(j);
                }
                Err(_) => break,
            }
        }
        metrics.taken(n);
        let sizes: Vec<usize> = jobs.iter().map(|j| j.txs.len()).collect();
        let stamps: Vec<Option<Stamp>> = jobs
            .iter()
            .flat_map(|j| (0..j.txs.len()).map(|i| j.stamps.as_ref().and_then(|s| s.get(i).copied())))
            .collect();
        let batch: Vec<Posting> = jobs.iter_mut().flat_map(|j| std::mem::take(&mut j.txs)).zip(stamps).collect();
        let mut results = post(&batch).into_iter();
        metrics.committed(n);
        for (job, size) in jobs.into_iter().zip(sizes) {
            (job.reply)(results.by_ref().take(size).collect());
        }
    }
}
