//! Where the ledger stands against heads kept outside it: the current head
//! to sign, and whether each expected head is still there.

use std::path::Path;

use tracelot_checkpoint::{Checkpoint, Head};
use tracelot_core::chain;
use tracelot_store::{Store, StoreError};

/// The ledger's last transaction's position and hash; `None` when empty.
pub fn head(store: &dyn Store) -> Result<Option<Head>, StoreError> {
    Ok(store.chain_head()?.map(|(seq, hash)| Head { seq, hash }))
}

/// One problem per expected head the ledger no longer holds at its
/// position: cut off (the ledger is shorter) or rewritten (another hash).
pub fn missing_heads(store: &dyn Store, expected: &[Head]) -> Result<Vec<String>, StoreError> {
    let mut problems = Vec::new();
    for want in expected {
        let before = want.seq.saturating_sub(1);
        let found = store.ledger_entries(before, 1)?.into_iter().next().filter(|e| e.seq == want.seq);
        match found {
            None => problems.push(format!(
                "head #{} {} is gone: the ledger ends before it; transactions were cut off the end",
                want.seq,
                want.hash_hex()
            )),
            Some(e) if e.hash != want.hash => problems.push(format!(
                "head #{} was {} and is now {}: the ledger was rewritten from there",
                want.seq,
                want.hash_hex(),
                chain::to_hex(&e.hash)
            )),
            Some(_) => {}
        }
    }
    Ok(problems)
}

/// Reads every `*.json` checkpoint in `dir`, each checked against the
/// trusted public key; a file that fails is a problem, not a head.
pub fn read_dir(dir: &Path, trusted_public: &str) -> std::io::Result<(Vec<Head>, Vec<String>)> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    let (mut heads, mut problems) = (Vec::new(), Vec::new());
    for path in paths {
        let checked = std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|text| Checkpoint::parse(&text).map_err(|e| e.to_string()))
            .and_then(|c| c.check(trusted_public).map_err(|e| e.to_string()));
        match checked {
            Ok(head) => heads.push(head),
            Err(e) => problems.push(format!("{}: {e}", path.display())),
        }
    }
    Ok((heads, problems))
}

/// Writes `checkpoint` into `dir` as `checkpoint-SEQ.json`, whole or not at
/// all (a temporary file synced to disk, then renamed into place).
pub fn write(dir: &Path, checkpoint: &Checkpoint) -> std::io::Result<std::path::PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("checkpoint-{:012}.json", checkpoint.seq));
    let partial = dir.join(format!(".checkpoint-{:012}.json.partial", checkpoint.seq));
    let text = serde_json::to_string_pretty(checkpoint).map_err(std::io::Error::other)?;
    let mut file = std::fs::File::create(&partial)?;
    std::io::Write::write_all(&mut file, (text + "\n").as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&partial, &path)?;
    // The rename itself must survive a crash too.
    std::fs::File::open(dir)?.sync_all()?;
    Ok(path)
}
