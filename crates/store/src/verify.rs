//! The hash-chain half of `verify`, the same on every backend: the
//! backend streams the stored transactions and movements in chain order,
//! this recomputes every hash and names the first row that does not match.

use tracelot_core::TxId;
use tracelot_core::chain::{self, ChainMove, ChainTx};

/// A transaction as stored.
#[derive(Debug, Clone)]
pub struct StoredTx {
    /// Position.
    pub seq: i64,
    /// Id bytes (16 when intact).
    pub id: Vec<u8>,
    /// Command kind.
    pub kind: String,
    /// Canonical request JSON.
    pub request: String,
    /// When it happened, µs.
    pub occurred_at: i64,
    /// When it was recorded, µs.
    pub recorded_at: i64,
    /// Who posted it.
    pub user: String,
    /// What it reverses, by position.
    pub reverses: Option<i64>,
    /// Overrides JSON.
    pub overrides: String,
    /// Movements it says it has.
    pub movement_count: i64,
    /// Stored hash (32 bytes when intact).
    pub hash: Vec<u8>,
}

/// A movement as stored, by natural keys.
#[derive(Debug, Clone)]
pub struct StoredMove {
    /// Its transaction's position.
    pub seq: i64,
    /// Line.
    pub line: i64,
    /// Item.
    pub sku: String,
    /// Lot.
    pub lot: Option<String>,
    /// Serial.
    pub serial: Option<String>,
    /// Source path.
    pub from: String,
    /// Destination path.
    pub to: String,
    /// Smallest units.
    pub qty: i64,
    /// When it happened, µs.
    pub occurred_at: i64,
}

/// What the chain check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// Transactions read.
    pub transactions: u64,
    /// Movements read.
    pub movements: u64,
    /// The last stored hash.
    pub head: [u8; 32],
    /// Problems, first first.
    pub problems: Vec<String>,
}

/// Checks the chain from two streams in chain order (transactions by
/// position; movements by position, then line). After the first broken
/// link the rest is still counted but no longer compared.
pub fn check_chain<E>(
    mut next_tx: impl FnMut() -> Result<Option<StoredTx>, E>,
    mut next_move: impl FnMut() -> Result<Option<StoredMove>, E>,
) -> Result<ChainReport, E> {
    let mut report = ChainReport { transactions: 0, movements: 0, head: chain::GENESIS, problems: Vec::new() };
    let mut pending = next_move()?;
    let mut expected_seq = 1;
    let mut broken = false;
    while let Some(tx) = next_tx()? {
        report.transactions = report.transactions.saturating_add(1);
        let mut own = Vec::new();
        while let Some(m) = pending.take_if(|m| m.seq <= tx.seq) {
            pending = next_move()?;
            report.movements = report.movements.saturating_add(1);
            if m.seq < tx.seq {
                report.problems.push(format!("movement {}/{} belongs to no transaction", m.seq, m.line));
                continue;
            }
            own.push(m);
        }
        if !broken && let Some(p) = link_problem(&tx, &own, &report.head, expected_seq) {
            report.problems.push(p);
            broken = true;
        }
        report.head = tx.hash.as_slice().try_into().unwrap_or(chain::GENESIS);
        expected_seq = tx.seq.saturating_add(1);
    }
    while let Some(m) = pending {
        pending = next_move()?;
        report.movements = report.movements.saturating_add(1);
        report.problems.push(format!("movement {}/{} belongs to no transaction", m.seq, m.line));
    }
    Ok(report)
}

/// What is wrong with one link of the chain, if anything.
fn link_problem(tx: &StoredTx, own: &[StoredMove], prev: &[u8; 32], expected_seq: i64) -> Option<String> {
    let id: [u8; 16] = tx.id.as_slice().try_into().unwrap_or([0; 16]);
    let id_text = TxId::from_bytes(id);
    let seq = tx.seq;
    if seq != expected_seq {
        return Some(format!(
            "transaction #{seq} ({id_text}): expected #{expected_seq} next; a transaction is missing"
        ));
    }
    if own.len() as i64 != tx.movement_count || own.iter().enumerate().any(|(i, m)| m.line != i as i64) {
        return Some(format!(
            "transaction #{seq} ({id_text}): records {} movements, the ledger holds {}",
            tx.movement_count,
            own.len()
        ));
    }
    if let Some(m) = own.iter().find(|m| m.occurred_at != tx.occurred_at) {
        return Some(format!("movement {seq}/{}: occurred_at differs from its transaction's", m.line));
    }
    let chain_tx = ChainTx {
        seq,
        id,
        kind: &tx.kind,
        request: &tx.request,
        occurred_at: tx.occurred_at,
        recorded_at: tx.recorded_at,
        user: &tx.user,
        reverses: tx.reverses,
        overrides: &tx.overrides,
    };
    let recomputed = chain::hash(
        prev,
        &chain_tx,
        own.iter().map(|m| ChainMove {
            line: m.line,
            sku: &m.sku,
            lot: m.lot.as_deref(),
            serial: m.serial.as_deref(),
            from: &m.from,
            to: &m.to,
            qty: m.qty,
        }),
    );
    (tx.hash != recomputed).then(|| {
        format!("transaction #{seq} ({id_text}, {}): hash mismatch; its content or movements were altered", tx.kind)
    })
}
