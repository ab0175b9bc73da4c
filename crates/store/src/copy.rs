//! Copying a whole installation from one backend to another (`tracelot
//! migrate-store`): accounts and tokens as they are, then every ledger
//! transaction posted again in chain order through the target's own write
//! path, keeping its recorded time. The target's rules and constraints
//! check every one, and each must land at the same chain position with the
//! same hash, so the copy ends with the source's head or not at all.

use serde::Serialize;

use crate::{AccountError, Backend, LedgerEntry, NewToken, Posted, Store, StoreError, SubmitError};

/// Transactions read and posted per round.
const CHUNK: usize = 2000;

/// Why a copy stopped. What was copied before stays in the target.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// The target already holds a ledger.
    #[error("the target already holds {0} transactions; copy into an empty database")]
    TargetNotEmpty(u64),
    /// Reading the source or writing the target failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An account or token could not be copied.
    #[error("copying accounts: {0}")]
    Account(#[from] AccountError),
    /// The target refused a transaction.
    #[error("transaction #{seq} was not copied: {error}")]
    Refused {
        /// Its position in the source's chain.
        seq: i64,
        /// What the target said.
        error: SubmitError,
    },
}

/// What was copied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CopyReport {
    /// Accounts copied.
    pub accounts: u64,
    /// Tokens copied.
    pub tokens: u64,
    /// Ledger transactions copied.
    pub transactions: u64,
    /// Movements they carried.
    pub movements: u64,
    /// The last chain hash written (hex), equal to the source's.
    pub head: String,
}

/// Copies `from` into `to`, which must hold no transactions. `progress`
/// hears the number of transactions copied so far after each round.
pub fn copy_installation(
    from: &dyn Backend,
    to: &dyn Backend,
    mut progress: impl FnMut(u64),
) -> Result<CopyReport, CopyError> {
    let existing = to.ledger_size()?.transactions;
    if existing > 0 {
        return Err(CopyError::TargetNotEmpty(existing));
    }
    let mut report = CopyReport { accounts: 0, tokens: 0, transactions: 0, movements: 0, head: String::new() };
    for account in from.accounts(&crate::Window::all())? {
        let hash = from.account(&account.name)?.and_then(|(_, h)| h);
        to.add_account(&account.name, account.role, hash.as_deref(), account.created_at)?;
        if account.disabled {
            to.update_account(&account.name, None, Some(true))?;
        }
        report.accounts = report.accounts.saturating_add(1);
    }
    for (t, hash) in from.tokens_with_hashes()? {
        let token = NewToken {
            id: t.id.clone(),
            account: t.account.clone(),
            label: t.label.clone(),
            kind: t.kind,
            hash,
            created_at: t.created_at,
            expires_at: t.expires_at,
        };
        to.add_token(&token)?;
        if let Some(at) = t.revoked_at {
            to.revoke_token(&t.id, at)?;
        }
        report.tokens = report.tokens.saturating_add(1);
    }
    copy_ledger(from, to, |posted| {
        report.transactions = report.transactions.saturating_add(1);
        report.movements = report.movements.saturating_add(posted.movements);
        report.head = posted.hash;
        if report.transactions.is_multiple_of(CHUNK as u64) {
            progress(report.transactions);
        }
    })?;
    progress(report.transactions);
    Ok(report)
}

/// Copies the bytes of the documents that `entries` attach, before the
/// entries themselves: the target stores them under the hash of the bytes
/// it was given, so a document whose bytes were changed in the source no
/// longer matches the hash its transaction names, and is refused there.
fn copy_documents(from: &dyn Store, to: &dyn Store, entries: &[LedgerEntry]) -> Result<(), StoreError> {
    for e in entries {
        if let tracelot_core::Command::AttachDocument { document, .. } = &e.tx.request.command
            && let Some(bytes) = from.document(&document.sha256)?
        {
            to.put_document(&bytes)?;
        }
    }
    Ok(())
}

/// Posts every transaction of `from`'s chain, in order, into `to` with its
/// recorded time, position and hash; `posted` hears each result.
pub fn copy_ledger(from: &dyn Store, to: &dyn Store, mut posted: impl FnMut(Posted)) -> Result<(), CopyError> {
    to.set_rules_from(from.rules_from()?)?;
    let mut after = 0;
    loop {
        let entries = from.ledger_entries(after, CHUNK)?;
        let Some(last) = entries.last() else { return Ok(()) };
        after = last.seq;
        copy_documents(from, to, &entries)?;
        let seqs: Vec<i64> = entries.iter().map(|e| e.seq).collect();
        for (seq, result) in seqs.into_iter().zip(to.import_batch(entries)) {
            posted(result.map_err(|error| CopyError::Refused { seq, error })?);
        }
    }
}
