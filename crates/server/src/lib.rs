//! tracelot's HTTP API.
//!
//! Every handler that changes anything builds the same `Transaction`s as
//! the CLI and posts them through the store's one write path; the store's
//! single writer group-commits all clients' transactions together and each
//! client gets its own result. Reads go straight to the store's queries.

// The OpenAPI schemas are one large `json!` literal.
#![recursion_limit = "512"]

mod admin;
pub mod auth;
mod body;
pub mod checkpoints;
mod commands;
pub mod connections;
mod labels;
mod ledger;
pub mod metrics;
pub mod openapi;
mod ops;
pub mod paging;
pub mod problem;
mod reads;
pub mod routes;
mod scan;
mod traceability;

use std::future::Future;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::http::StatusCode;
use serde::Deserialize;
use tokio::net::TcpListener;
use tracelot_store::{Accounts, Store};

pub use crate::auth::LoginPolicy;
use crate::auth::{LoginLimiter, TokenCache};
use crate::metrics::HttpMetrics;
use crate::problem::Problem;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// One human-readable line per event.
    #[default]
    Text,
    /// One JSON object per event, for log shippers.
    Json,
}

/// Server configuration, from a TOML file; flags and environment variables
/// override it field by field.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    pub listen: String,
    /// The database (a SQLite path); the `--db` flag overrides it.
    pub database: Option<String>,
    /// Log line format.
    pub log_format: LogFormat,
    /// Log filter, such as `info` or `tracelot_server=debug`.
    pub log_level: String,
    /// Largest accepted request body.
    pub body_limit_bytes: usize,
    /// How long one label render may run before it is stopped and refused
    /// (413), so that no request holds a render worker for longer.
    pub label_render_ms: u64,
    /// How long a password login's session token lasts.
    pub session_hours: u32,
    /// The longest lifetime of a script's token, and its default.
    pub max_token_days: u32,
    /// Signed chain heads written every few minutes, if configured.
    pub checkpoints: Option<checkpoints::CheckpointConfig>,
    /// Timeouts and the connection limit.
    pub connections: connections::ConnectionLimits,
    /// Failed-login limits.
    pub login: LoginPolicy,
    /// Keep an in-memory genealogy index for traces and recalls (on by
    /// default): a forward trace through 40,000 runs and 100,000 shipments
    /// takes about 50 ms instead of 1.4 s, at about 0.28 KB of memory per
    /// ledger movement (2.7 GiB at 10 million) and a build of about 13 s
    /// there, in the background at startup.
    pub genealogy_index: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            database: None,
            log_format: LogFormat::Text,
            log_level: "info".into(),
            body_limit_bytes: 1 << 20,
            label_render_ms: 10_000,
            session_hours: 12,
            max_token_days: tracelot_auth::DEFAULT_MAX_TOKEN_DAYS,
            checkpoints: None,
            connections: connections::ConnectionLimits::default(),
            login: LoginPolicy::default(),
            genealogy_index: true,
        }
    }
}

/// Runs blocking work (store reads, reports, rendering) off the async
/// workers; its error becomes a problem document.
pub(crate) async fn blocking<T: Send + 'static, E: Into<Problem> + Send + 'static>(
    f: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, Problem> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Problem::unavailable(format!("work stopped: {e}")))?
        .map_err(Into::into)
}

/// Runs a read of the store off the async workers, so that a slow query
/// never stalls other requests or `/healthz`.
pub(crate) async fn read<T: Send + 'static>(
    app: &App,
    f: impl FnOnce(&dyn Store) -> Result<T, tracelot_store::StoreError> + Send + 'static,
) -> Result<T, Problem> {
    let store = app.store.clone();
    blocking(move || f(store.as_ref())).await
}

/// What every handler shares.
pub struct AppState {
    /// The ledger.
    pub store: Arc<dyn Store>,
    /// Accounts and tokens.
    pub accounts: Arc<dyn Accounts>,
    /// Settings.
    pub config: Config,
    /// Request counters.
    pub http: HttpMetrics,
    /// Failed-login limiter.
    pub logins: LoginLimiter,
    /// Recently checked tokens.
    pub tokens: TokenCache,
    /// Set when shutdown begins, so `/readyz` turns away new traffic.
    pub stopping: AtomicBool,
    /// A hash to check unknown accounts' passwords against, so a failed
    /// login takes as long whether or not the account exists.
    pub decoy_hash: String,
    /// Label renders that may run at once (one per core): each may use
    /// all the memory the label bounds allow, so they queue instead of
    /// adding up.
    pub renders: tokio::sync::Semaphore,
    /// How `GET /api/v1/verify` replays the chain to check the rows kept
    /// beside the ledger; set by whoever knows where a scratch replica can
    /// live (the binary), absent in servers that only check the chain.
    pub replay: std::sync::OnceLock<Replay>,
}

/// Replays a store's chain into a scratch replica and names every stored
/// row the chain does not make as stored.
pub type Replay = Arc<dyn Fn(&dyn Store) -> Result<Vec<String>, tracelot_store::StoreError> + Send + Sync>;

/// Cheaply clonable handle on [`AppState`].
#[derive(Clone)]
pub struct App(Arc<AppState>);

impl Deref for App {
    type Target = AppState;
    fn deref(&self) -> &AppState {
        &self.0
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Credentials could not be prepared.
    #[error(transparent)]
    Auth(#[from] tracelot_auth::AuthError),
}

impl App {
    /// Shares one backend as both the ledger and the accounts store.
    pub fn new<S: Store + Accounts + 'static>(backend: Arc<S>, config: Config) -> Result<Self, StartError> {
        let decoy = tracelot_auth::issue_token()?.secret;
        Ok(App(Arc::new(AppState {
            store: backend.clone(),
            accounts: backend,
            logins: LoginLimiter::new(config.login.clone()),
            tokens: TokenCache::default(),
            config,
            http: HttpMetrics::default(),
            stopping: AtomicBool::new(false),
            decoy_hash: tracelot_auth::hash_password(&decoy)?,
            renders: tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(1, |n| n.get())),
            replay: std::sync::OnceLock::new(),
        })))
    }
}

async fn not_found() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "no_route", "no such route; see /api/v1/openapi.json")
}

async fn method_not_allowed() -> Problem {
    Problem::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this route does not take that method")
}

/// The complete router: every route, problem answers for unknown routes and
/// methods, and the metrics middleware.
pub fn router(app: App) -> Router {
    routes::router()
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(app.clone(), metrics::track))
        .with_state(app)
}

/// Serves until `shutdown` completes, then lets in-flight requests finish.
/// Their transactions are durable before they are answered, so once this
/// returns every acknowledged write is in the database.
pub async fn serve(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Some(c) = &app.config.checkpoints {
        checkpoints::start(&app, c).map_err(std::io::Error::other)?;
    }
    let flag = app.clone();
    let limits = app.config.connections.clone();
    let stopping = async move {
        shutdown.await;
        flag.stopping.store(true, Ordering::Relaxed);
        tracing::info!("shutting down: finishing in-flight requests");
    };
    connections::serve(listener, router(app), &limits, stopping).await
}
