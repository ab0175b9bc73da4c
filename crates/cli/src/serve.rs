//! `tracelot serve`: configuration (file, then environment and flags), logs,
//! the runtime, and a shutdown that loses no acknowledged write.

use std::sync::Arc;

use anyhow::{Context, bail};
use tracelot_server::{App, Config, LogFormat};
use tracelot_store::{Accounts, Store};
use tracelot_store_postgres::{PgOptions, PgStore};
use tracelot_store_sqlite::{SqliteOptions, SqliteStore};

use crate::args::ServeArgs;

/// Reads the config file, then lets flags and environment variables
/// (which clap has already merged) override it field by field.
fn config(args: &ServeArgs) -> anyhow::Result<Config> {
    let mut c = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            toml::from_str::<Config>(&text).with_context(|| format!("in {}", path.display()))?
        }
        None => Config::default(),
    };
    if let Some(v) = &args.listen {
        c.listen = v.clone();
    }
    if let Some(v) = &args.log_format {
        c.log_format = match v.as_str() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => bail!("--log-format must be text or json, not {other:?}"),
        };
    }
    if let Some(v) = &args.log_level {
        c.log_level = v.clone();
    }
    if let Some(v) = args.body_limit_bytes {
        c.body_limit_bytes = v;
    }
    if let Some(v) = args.session_hours {
        c.session_hours = v;
    }
    Ok(c)
}

fn init_logs(c: &Config) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(&c.log_level)
        .with_context(|| format!("log level {:?} is not a valid filter", c.log_level))?;
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    let installed = match c.log_format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
    installed.map_err(|e| anyhow::anyhow!("cannot install the logger: {e}"))
}

/// Completes on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// Runs the server on the database from `--db`, else the config file's, else `tracelot.db`.
pub fn run(db_flag: Option<&str>, args: &ServeArgs) -> anyhow::Result<()> {
    let c = config(args)?;
    init_logs(&c)?;
    let db = crate::Database::parse(db_flag.or(c.database.as_deref()).unwrap_or(crate::DEFAULT_DB));
    let name = db.display();
    match db {
        crate::Database::File(path) => {
            let store = Arc::new(
                SqliteStore::init(
                    &path,
                    SqliteOptions { genealogy_index: c.genealogy_index, ..SqliteOptions::default() },
                )
                .with_context(|| format!("opening {name}"))?,
            );
            if c.genealogy_index {
                warm_genealogy(store.clone())?;
            }
            serve(store, c, &name)
        }
        crate::Database::Postgres(url) => {
            // Several servers may share the database; each has its own writer,
            // and they take turns on the ledger's write lock.
            let store = Arc::new(PgStore::init(&url, PgOptions::default()).with_context(|| format!("opening {name}"))?);
            serve(store, c, &name)
        }
    }
}

/// Builds the in-memory genealogy index in the background, so that the
/// first trace does not wait for it.
fn warm_genealogy(store: Arc<SqliteStore>) -> anyhow::Result<()> {
    std::thread::Builder::new()
        .name("genealogy".into())
        .spawn(move || {
            let started = std::time::Instant::now();
            match store.warm_genealogy() {
                Ok(()) => tracing::info!(seconds = started.elapsed().as_secs_f64(), "genealogy index built"),
                Err(e) => tracing::warn!(error = %e, "genealogy index not built; traces build it on demand"),
            }
        })
        .context("starting the genealogy index thread")?;
    Ok(())
}

fn serve<S: Store + Accounts + 'static>(store: Arc<S>, c: Config, name: &str) -> anyhow::Result<()> {
    let grace = std::time::Duration::from_secs(c.connections.shutdown_grace_seconds);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
    runtime.block_on(async {
        let listener =
            tokio::net::TcpListener::bind(&c.listen).await.with_context(|| format!("listening on {}", c.listen))?;
        let addr = listener.local_addr()?;
        let app = App::new(store.clone(), c)?;
        let replay: tracelot_server::Replay = Arc::new(SqliteStore::replay_problems_of);
        let _ = app.replay.set(replay);
        // Scripts and tests read the bound address from this first line.
        println!("listening on http://{addr}");
        tracing::info!(%addr, database = %name, "serving");
        tracelot_server::serve(listener, app, shutdown_signal()).await.context("serving")
    })?;
    // Blocking work still running (a slow report, a render whose client
    // went away) gets the same grace, then is abandoned.
    runtime.shutdown_timeout(grace);
    // The last handle: dropping it joins the writer after it has committed
    // everything it took.
    drop(store);
    tracing::info!("stopped");
    Ok(())
}
