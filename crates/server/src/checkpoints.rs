//! The server's own checkpoints: every `every_seconds`, when the chain
//! head has moved, it is signed with the key file and written into the
//! configured folder, which should live on another machine or volume than
//! the database.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use tracelot_checkpoint::Key;

use crate::App;

/// `[checkpoints]` in the config file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointConfig {
    /// Where checkpoint files go.
    pub dir: PathBuf,
    /// The signing key's file (`tracelot checkpoint --new-key` makes one).
    pub key_file: PathBuf,
    /// How often to look at the head.
    #[serde(default = "five_minutes")]
    pub every_seconds: u64,
}

fn five_minutes() -> u64 {
    300
}

/// Why checkpoints could not start.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointStartError {
    /// The key file could not be read.
    #[error("checkpoint key {path}: {error}")]
    Key {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        error: String,
    },
    /// `every_seconds` is 0.
    #[error("checkpoints.every_seconds must be at least 1")]
    Interval,
}

/// Reads the key now, so that a wrong path stops the server at start, and
/// writes checkpoints in the background for as long as the runtime lives.
pub fn start(app: &App, c: &CheckpointConfig) -> Result<(), CheckpointStartError> {
    let key_error = |error: String| CheckpointStartError::Key { path: c.key_file.clone(), error };
    let text = std::fs::read_to_string(&c.key_file).map_err(|e| key_error(e.to_string()))?;
    let key = std::sync::Arc::new(Key::parse(&text).map_err(|e| key_error(e.to_string()))?);
    if c.every_seconds == 0 {
        return Err(CheckpointStartError::Interval);
    }
    let (app, dir, every) = (app.clone(), c.dir.clone(), Duration::from_secs(c.every_seconds));
    tracing::info!(dir = %dir.display(), public_key = key.public_hex(), "writing checkpoints");
    tokio::spawn(async move {
        let mut last = None;
        let mut ticks = tokio::time::interval(every);
        loop {
            ticks.tick().await;
            let (store, key, dir) = (app.store.clone(), key.clone(), dir.clone());
            let written = tokio::task::spawn_blocking(move || -> Result<Option<_>, String> {
                let Some(head) = tracelot_reports::checkpoints::head(store.as_ref()).map_err(|e| e.to_string())? else {
                    return Ok(None);
                };
                if last == Some(head) {
                    return Ok(last);
                }
                let checkpoint = key.sign(head, jiff::Timestamp::now());
                let path = tracelot_reports::checkpoints::write(&dir, &checkpoint).map_err(|e| e.to_string())?;
                tracing::info!(seq = head.seq, path = %path.display(), "checkpoint written");
                Ok(Some(head))
            })
            .await;
            match written {
                Ok(Ok(head)) => last = head,
                Ok(Err(e)) => tracing::error!(error = e, "checkpoint not written"),
                Err(e) => tracing::error!(error = %e, "checkpoint task stopped"),
            }
        }
    });
    Ok(())
}
