//! The server's own checkpoints: every `every_seconds`, when the chain
//! head has moved, it is signed with the key file and written into the
//! configured folder, posted to the configured URL, or both. Either should
//! live on another machine or volume than the database. A checkpoint not
//! delivered is tried again at the next tick.

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
    #[serde(default)]
    pub dir: Option<PathBuf>,
    /// Where checkpoints are posted as JSON (`http://` only: the signature,
    /// not the transport, is what makes a checkpoint trustworthy).
    #[serde(default)]
    pub url: Option<String>,
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
    /// Neither `dir` nor `url` says where checkpoints go.
    #[error("[checkpoints] needs dir, url or both")]
    Nowhere,
    /// `url` is not an `http://` URL.
    #[error("checkpoints.url must be an http:// URL, not {0:?}")]
    Url(String),
}

/// Where one checkpoint goes: a folder, a collector, or both.
struct Destinations {
    dir: Option<PathBuf>,
    url: Option<reqwest::Url>,
    client: reqwest::Client,
}

impl Destinations {
    fn new(c: &CheckpointConfig) -> Result<Self, CheckpointStartError> {
        let url = match &c.url {
            Some(u) => match reqwest::Url::parse(u) {
                Ok(parsed) if parsed.scheme() == "http" && parsed.host().is_some() => Some(parsed),
                _ => return Err(CheckpointStartError::Url(u.clone())),
            },
            None => None,
        };
        if c.dir.is_none() && url.is_none() {
            return Err(CheckpointStartError::Nowhere);
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| CheckpointStartError::Url(e.to_string()))?;
        Ok(Destinations { dir: c.dir.clone(), url, client })
    }

    /// Delivers one checkpoint everywhere it goes; any failure means it is
    /// sent again (to every destination) at the next tick.
    async fn deliver(&self, checkpoint: tracelot_checkpoint::Checkpoint) -> Result<(), String> {
        if let Some(dir) = self.dir.clone() {
            let c = checkpoint.clone();
            let path = tokio::task::spawn_blocking(move || tracelot_reports::checkpoints::write(&dir, &c))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
            tracing::info!(seq = checkpoint.seq, path = %path.display(), "checkpoint written");
        }
        if let Some(url) = &self.url {
            let answer = self.client.post(url.clone()).json(&checkpoint).send().await.map_err(|e| e.to_string())?;
            if !answer.status().is_success() {
                return Err(format!("{url} answered {}", answer.status()));
            }
            tracing::info!(seq = checkpoint.seq, %url, "checkpoint posted");
        }
        Ok(())
    }
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
    let to = Destinations::new(c)?;
    let (app, every) = (app.clone(), Duration::from_secs(c.every_seconds));
    tracing::info!(dir = ?to.dir, url = ?to.url.as_ref().map(ToString::to_string), public_key = key.public_hex(), "writing checkpoints");
    tokio::spawn(async move {
        let mut last = None;
        let mut ticks = tokio::time::interval(every);
        loop {
            ticks.tick().await;
            let store = app.store.clone();
            let head = tokio::task::spawn_blocking(move || tracelot_reports::checkpoints::head(store.as_ref())).await;
            let head = match head {
                Ok(Ok(Some(head))) if last != Some(head) => head,
                Ok(Ok(_)) => continue,
                Ok(Err(e)) => {
                    tracing::error!(error = %e, "checkpoint: the chain head could not be read");
                    continue;
                }
                Err(e) => {
                    tracing::error!(error = %e, "checkpoint task stopped");
                    continue;
                }
            };
            match to.deliver(key.sign(head, jiff::Timestamp::now())).await {
                Ok(()) => last = Some(head),
                Err(e) => tracing::error!(error = e, seq = head.seq, "checkpoint not delivered; trying again"),
            }
        }
    });
    Ok(())
}
