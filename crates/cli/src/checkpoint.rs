//! `checkpoint` and the head checks of `verify`: signed chain heads kept
//! outside the database, so that a ledger cut short is caught.

use std::io::Write as _;

use anyhow::{Context, bail};
use tracelot_checkpoint::{Checkpoint, Head, Key};
use tracelot_reports::checkpoints;
use tracelot_store::{Backend, VerifyReport};

use crate::args::{CheckpointArgs, VerifyArgs};

/// Recomputes the chain and balances, then requires every expected head
/// (given, or read from signed checkpoints) to be still in the ledger.
pub fn verify(store: &dyn Backend, a: &VerifyArgs) -> anyhow::Result<VerifyReport> {
    let mut expected = Vec::new();
    for text in &a.expect_head {
        expected.push(Head::parse(text).with_context(|| format!("--expect-head {text}"))?);
    }
    let mut report = store.verify()?;
    if !a.skip_replay {
        report.problems.extend(tracelot_store_sqlite::SqliteStore::replay_problems_of(store)?);
    }
    if let (Some(dir), Some(key)) = (&a.checkpoints, &a.trusted_key) {
        let (heads, problems) =
            checkpoints::read_dir(dir, key).with_context(|| format!("reading checkpoints in {}", dir.display()))?;
        if heads.is_empty() && problems.is_empty() {
            bail!("{} holds no checkpoint files (checkpoint-SEQ.json)", dir.display());
        }
        expected.extend(heads);
        report.problems.extend(problems);
    }
    report.problems.extend(checkpoints::missing_heads(store, &expected)?);
    Ok(report)
}

/// Signs the current head with the key file (made first with `--new-key`).
pub fn make(store: &dyn Backend, a: &CheckpointArgs) -> anyhow::Result<Checkpoint> {
    if a.new_key {
        let key = Key::generate()?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(&a.key)
            .with_context(|| format!("creating the key file {} (it must not exist)", a.key.display()))?;
        writeln!(file, "{}", key.secret_hex())?;
    }
    let text = std::fs::read_to_string(&a.key).with_context(|| format!("reading {}", a.key.display()))?;
    let key = Key::parse(&text).with_context(|| format!("in {}", a.key.display()))?;
    let Some(head) = checkpoints::head(store)? else { bail!("the ledger is empty: there is no head to sign") };
    let checkpoint = key.sign(head, jiff::Timestamp::now());
    if let Some(dir) = &a.out {
        checkpoints::write(dir, &checkpoint).with_context(|| format!("writing into {}", dir.display()))?;
    }
    Ok(checkpoint)
}
