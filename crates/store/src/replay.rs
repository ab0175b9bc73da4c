//! The half of `verify` that recomputes from the chain what the database
//! keeps beside it: items, locations, partners, lots with their dates and
//! status, lot status changes, serials, serial counters, assembly events,
//! and each transaction's document and reason columns. The chain's
//! transactions are posted again, in order, into an empty replica through
//! its own rules; every row the replica makes must be in the database as
//! stored, and every stored row must be one the replica made. A row edited
//! in place (a lot's expiry moved, a status inserted) is named.

use std::collections::BTreeMap;

use crate::copy::CopyError;
use crate::{Store, StoreError};

/// Differences named before the rest are only counted.
const MAX_NAMED: usize = 20;

/// One stored row outside the ledger tables, by natural keys, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotRow {
    /// Which table, such as `lot`.
    pub table: &'static str,
    /// Its natural key, such as `SALT lot L1`.
    pub key: String,
    /// Its other columns, NULL as `None`.
    pub values: Vec<Option<String>>,
}

fn show(values: &[Option<String>]) -> String {
    let cells: Vec<&str> = values.iter().map(|v| v.as_deref().unwrap_or("NULL")).collect();
    format!("({})", cells.join(", "))
}

fn by_key(rows: Vec<SnapshotRow>) -> BTreeMap<(&'static str, String), Vec<Option<String>>> {
    rows.into_iter().map(|r| ((r.table, r.key), r.values)).collect()
}

/// Replays `source`'s chain into `replica` (an empty store) and names
/// every row of `source` that the chain does not make as stored.
pub fn replay_problems(source: &dyn Store, replica: &dyn Store) -> Result<Vec<String>, StoreError> {
    match crate::copy::copy_ledger(source, replica, |_| {}) {
        Ok(()) => {}
        Err(CopyError::Refused { seq, error }) => {
            return Ok(vec![format!("the chain cannot be replayed at transaction #{seq}: {error}")]);
        }
        Err(CopyError::Store(e)) => return Err(e),
        Err(other) => return Err(StoreError::Storage(other.to_string())),
    }
    let (stored, made) = (by_key(source.snapshot()?), by_key(replica.snapshot()?));
    let mut problems = Vec::new();
    for ((table, key), values) in &stored {
        match made.get(&(*table, key.clone())) {
            None => problems.push(format!("{table} {key} is stored, but no transaction in the chain made it")),
            Some(want) if want != values => problems.push(format!(
                "{table} {key} is stored as {} but the chain makes it {}",
                show(values),
                show(want)
            )),
            Some(_) => {}
        }
    }
    for (table, key) in made.keys().filter(|k| !stored.contains_key(*k)) {
        problems.push(format!("{table} {key} is made by the chain but missing from the database"));
    }
    if problems.len() > MAX_NAMED {
        let more = problems.len().saturating_sub(MAX_NAMED);
        problems.truncate(MAX_NAMED);
        problems.push(format!("and {more} more rows differ"));
    }
    Ok(problems)
}
