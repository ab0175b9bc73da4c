//! Counters a backend's writer keeps for `/metrics`: queue depth and the
//! sizes of its group commits. Lock-free, so keeping them costs the hot
//! path a few atomic adds.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use serde::Serialize;

/// Upper bounds of the batch-size histogram's buckets (transactions per commit).
pub const BATCH_BUCKETS: [u64; 12] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096];

/// Live writer counters, shared between submitters and the writer thread.
#[derive(Debug, Default)]
pub struct WriterMetrics {
    queued: AtomicU64,
    commits: AtomicU64,
    committed_txs: AtomicU64,
    buckets: [AtomicU64; BATCH_BUCKETS.len()],
    redone: AtomicU64,
    stopped: AtomicBool,
}

impl WriterMetrics {
    /// `n` transactions joined the queue.
    pub fn queued(&self, n: usize) {
        self.queued.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// The writer took `n` transactions off the queue.
    pub fn taken(&self, n: usize) {
        self.queued.fetch_sub(n as u64, Ordering::Relaxed);
    }

    /// One database commit held `n` client transactions.
    pub fn committed(&self, n: usize) {
        self.commits.fetch_add(1, Ordering::Relaxed);
        self.committed_txs.fetch_add(n as u64, Ordering::Relaxed);
        // A batch larger than the last bound counts in the last bucket.
        let bucket = BATCH_BUCKETS.iter().position(|b| n as u64 <= *b).and_then(|i| self.buckets.get(i));
        if let Some(b) = bucket.or(self.buckets.last()) {
            b.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A batch was rolled back and redone one transaction at a time: the
    /// database caught what the rules did not, which is worth a look.
    pub fn redone(&self) {
        self.redone.fetch_add(1, Ordering::Relaxed);
    }

    /// The writer thread has left its loop: nothing more will be written.
    pub fn writer_stopped(&self) {
        self.stopped.store(true, Ordering::Relaxed);
    }

    /// A consistent-enough copy for reporting.
    pub fn snapshot(&self) -> WriterStats {
        let mut cumulative = 0;
        let buckets = BATCH_BUCKETS
            .iter()
            .zip(&self.buckets)
            .map(|(le, c)| {
                cumulative = c.load(Ordering::Relaxed).saturating_add(cumulative);
                (*le, cumulative)
            })
            .collect();
        WriterStats {
            queue_depth: self.queued.load(Ordering::Relaxed),
            commits: self.commits.load(Ordering::Relaxed),
            committed_transactions: self.committed_txs.load(Ordering::Relaxed),
            batch_size_buckets: buckets,
            redone_batches: self.redone.load(Ordering::Relaxed),
            writer_running: !self.stopped.load(Ordering::Relaxed),
        }
    }
}

/// What [`WriterMetrics::snapshot`] reports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WriterStats {
    /// Transactions waiting for the writer.
    pub queue_depth: u64,
    /// Database commits since start.
    pub commits: u64,
    /// Client transactions in those commits (posted or refused).
    pub committed_transactions: u64,
    /// Cumulative histogram: (upper bound, commits with at most that many transactions).
    pub batch_size_buckets: Vec<(u64, u64)>,
    /// Batches rolled back and redone with one savepoint per transaction.
    pub redone_batches: u64,
    /// The writer still takes transactions; readiness reports it.
    pub writer_running: bool,
}

#[cfg(test)]
// Tests: an overflow or a panic is a failed test.
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn the_histogram_is_cumulative_and_the_queue_drains() {
        let m = WriterMetrics::default();
        m.queued(5);
        m.taken(3);
        m.committed(1);
        m.committed(3);
        m.committed(5000);
        let s = m.snapshot();
        assert_eq!(s.queue_depth, 2);
        assert_eq!((s.commits, s.committed_transactions), (3, 5004));
        assert_eq!(s.batch_size_buckets[0], (1, 1));
        assert_eq!(s.batch_size_buckets[2], (4, 2));
        assert_eq!(s.batch_size_buckets.last(), Some(&(4096, 3)));
    }
}
