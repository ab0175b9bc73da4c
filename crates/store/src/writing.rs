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
use tracelot_core::error::{DomainError, Rule};
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

/// The database id of a plan's lot: a stored lot's own, or the id written
/// for the `i`th lot this plan creates (0 for no lot).
pub fn lot_id(lot: &Option<rules::LotRef>, new_lots: &[i64]) -> Result<i64, SubmitError> {
    match lot {
        Some(rules::LotRef::Existing(l)) => Ok(l.id),
        Some(rules::LotRef::New(i, _)) => created(new_lots, *i, "lot"),
        None => Ok(0),
    }
}

/// The database id of a movement's serial (0 for none), and whether the
/// plan created it.
pub fn serial_id(serial: &Option<rules::SerialRef>, new_serials: &[i64]) -> Result<(i64, bool), SubmitError> {
    match serial {
        Some(rules::SerialRef::Existing(id, _)) => Ok((*id, false)),
        Some(rules::SerialRef::New(i, _)) => Ok((created(new_serials, *i, "serial")?, true)),
        None => Ok((0, false)),
    }
}

/// The id written for the `i`th row of a kind the plan creates; a plan that
/// names a row it did not create is a defect, refused as such.
fn created(ids: &[i64], i: usize, what: &str) -> Result<i64, SubmitError> {
    ids.get(i).copied().ok_or_else(|| SubmitError::Storage(format!("the plan names a {what} it did not create")))
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
    let seq =
        head.seq.checked_add(1).ok_or_else(|| SubmitError::Storage("the chain has no sequence numbers left".into()))?;
    let planned =
        contained(|| format!("planning transaction {}", req.id), || rules::plan(req, occurred_at, seq, view))?;
    let plan = planned.map_err(|e| match e {
        PlanError::Domain(d) => SubmitError::Refused(d),
        PlanError::View(v) => SubmitError::Storage(v.to_string()),
    })?;
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

/// Runs `work`, turning a panic inside it into an `internal_error` refusal
/// of that one piece of work, so that a defect met by one transaction never
/// stops the writer. The refusal and the log line share an incident id;
/// `what` is only spelled out when that happens, not on every transaction.
pub fn contained<T>(what: impl FnOnce() -> String, work: impl FnOnce() -> T) -> Result<T, SubmitError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).map_err(|payload| {
        let incident = uuid::Uuid::now_v7();
        let cause = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".into());
        eprintln!("tracelot writer: incident {incident}: {} failed: {cause}", what());
        SubmitError::Refused(DomainError::new(
            Rule::InternalError,
            format!("tracelot failed on this transaction (incident {incident}); nothing of it was written"),
        ))
    })
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

/// What a backend's writer thread does with a batch.
pub trait BatchWriter {
    /// Posts the batch in one database transaction, one result each.
    fn post_all(&mut self, batch: &[Posting]) -> Vec<Result<Posted, SubmitError>>;

    /// Brings the backend back to a known state after `post_all` panicked:
    /// rolls back whatever it left open and forgets what it cached.
    fn recover(&mut self);
}

/// Posts a batch; if that panics, recovers the backend and posts each
/// transaction alone, so that only the one that panics is refused
/// (`internal_error`) and its neighbours are judged on their own.
fn post_contained(writer: &mut impl BatchWriter, batch: &[Posting]) -> Vec<Result<Posted, SubmitError>> {
    match contained(|| "posting a batch".into(), || writer.post_all(batch)) {
        Ok(results) => results,
        Err(_) => {
            writer.recover();
            batch
                .iter()
                .map(|posting| {
                    let what = || format!("posting transaction {}", posting.0.request.id);
                    let result = contained(what, || writer.post_all(std::slice::from_ref(posting)).pop());
                    if result.is_err() {
                        writer.recover();
                    }
                    result?.unwrap_or_else(|| Err(SubmitError::Storage("the writer gave no result".into())))
                })
                .collect()
        }
    }
}

/// A writer thread's loop: takes whatever is queued (up to `max_batch`
/// transactions) as one batch, hands it to `post`, and answers every job
/// with its share of the results. Returns when every sender is gone.
pub fn serve(rx: Receiver<Job>, max_batch: usize, metrics: &WriterMetrics, writer: &mut impl BatchWriter) {
    /// Marks the writer stopped however the loop ends, unwinding included,
    /// so that readiness turns 503 instead of writes failing unseen.
    struct Stopped<'m>(&'m WriterMetrics);
    impl Drop for Stopped<'_> {
        fn drop(&mut self) {
            self.0.writer_stopped();
        }
    }
    let _stopped = Stopped(metrics);
    while let Ok(first) = rx.recv() {
        let mut n = first.txs.len();
        let mut jobs = vec![first];
        while n < max_batch.max(1) {
            match rx.try_recv() {
                Ok(j) => {
                    n = n.saturating_add(j.txs.len());
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
        let mut results = post_contained(writer, &batch).into_iter();
        metrics.committed(n);
        for (job, size) in jobs.into_iter().zip(sizes) {
            (job.reply)(results.by_ref().take(size).collect());
        }
    }
}

#[cfg(test)]
// Tests: an overflow or a panic is a failed test.
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use tracelot_core::{Command, LocationKind, LocationPath, Request, UserName};

    /// A backend that posts whatever it is given, except that it panics on
    /// a transaction whose reason is "defect", as a bug met by that one
    /// transaction would. No real backend can be made to panic on demand.
    #[derive(Default)]
    struct Defective {
        seq: i64,
        recoveries: usize,
    }

    impl BatchWriter for Defective {
        fn post_all(&mut self, batch: &[Posting]) -> Vec<Result<Posted, SubmitError>> {
            // Like a database transaction, the batch counts only if it ends.
            let mut seq = self.seq;
            let mut results = Vec::new();
            for (tx, _) in batch {
                assert_ne!(tx.request.reason.as_deref(), Some("defect"), "a defect met by this transaction");
                seq += 1;
                results.push(Ok(Posted {
                    id: tx.request.id,
                    seq,
                    kind: "define_location".into(),
                    occurred_at: Timestamp::UNIX_EPOCH,
                    recorded_at: Timestamp::UNIX_EPOCH,
                    movements: 0,
                    hash: String::new(),
                    replayed: false,
                    generated_serials: Vec::new(),
                    overrides: Vec::new(),
                }));
            }
            self.seq = seq;
            results
        }

        fn recover(&mut self) {
            self.recoveries += 1;
        }
    }

    fn tx(path: &str, reason: Option<&str>) -> Transaction {
        let path = LocationPath::parse(path).expect("path");
        let mut request = Request::new(Command::DefineLocation { path, kind: LocationKind::Internal, time_zone: None });
        request.reason = reason.map(str::to_owned);
        Transaction { request, user: UserName::parse("tester").expect("user") }
    }

    fn submit(queue: &Queue, txs: Vec<Transaction>) -> mpsc::Receiver<Vec<Result<Posted, SubmitError>>> {
        let (tx, rx) = mpsc::channel();
        queue.submit(
            txs,
            None,
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        );
        rx
    }

    #[test]
    fn a_panic_refuses_its_transaction_alone_and_the_writer_goes_on() {
        let (mut queue, rx) = Queue::new();
        let metrics = queue.metrics();
        let writer = std::thread::spawn(move || {
            let mut backend = Defective::default();
            serve(rx, 64, &metrics, &mut backend);
            backend
        });
        let first = submit(&queue, vec![tx("A", None), tx("B", Some("defect")), tx("C", None)]);
        let results = first.recv().expect("answered");
        assert!(results[0].is_ok() && results[2].is_ok(), "{results:?}");
        let Err(SubmitError::Refused(refusal)) = &results[1] else { panic!("{results:?}") };
        assert_eq!(refusal.rule, Rule::InternalError);
        assert!(refusal.message.contains("incident"), "{refusal}");
        let later = submit(&queue, vec![tx("D", None)]).recv().expect("answered");
        assert!(later[0].is_ok(), "the writer still posts: {later:?}");
        assert!(queue.metrics().snapshot().writer_running);
        queue.close();
        let backend = writer.join().expect("the writer thread ends normally");
        assert!(!queue.metrics().snapshot().writer_running, "readiness sees a stopped writer");
        assert!(backend.recoveries >= 2, "recovered after the batch and after the transaction");
        assert_eq!(backend.seq, 3, "A, C and D were posted once each after the redo");
    }
}
