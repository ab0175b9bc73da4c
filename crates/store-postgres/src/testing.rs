//! Throwaway databases for tests: each test gets a database of its own on
//! the PostgreSQL server named by `TRACELOT_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`), dropped when it ends.
//!
//! Without a server the PostgreSQL tests cannot run. They then say so
//! loudly on the terminal (not in captured test output) and pass, so that
//! the test command works on any machine, unless `TRACELOT_REQUIRE_POSTGRES`
//! is set (as CI does): then they fail.

use std::io::Write;
use std::sync::Once;
use std::sync::atomic::{AtomicU32, Ordering};

use postgres::{Client, NoTls};

/// The variable naming the server tests create their databases on.
pub const SERVER_ENV: &str = "TRACELOT_TEST_POSTGRES";
/// The variable that makes a missing server a test failure.
pub const REQUIRE_ENV: &str = "TRACELOT_REQUIRE_POSTGRES";
/// The server tests use when `TRACELOT_TEST_POSTGRES` is not set.
pub const DEFAULT_SERVER: &str = "postgres://postgres@127.0.0.1:5432/postgres";

static WARNED: Once = Once::new();
static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A database that exists for one test.
pub struct TestDb {
    server: String,
    name: String,
    url: String,
}

fn server() -> String {
    std::env::var(SERVER_ENV).unwrap_or_else(|_| DEFAULT_SERVER.to_owned())
}

/// Whether the test server answers (see [`TestDb::create`] for what
/// happens when it does not).
pub fn server_available() -> bool {
    admin().is_some()
}

fn admin() -> Option<Client> {
    let server = server();
    match Client::connect(&server, NoTls) {
        Ok(c) => Some(c),
        Err(e) => {
            if std::env::var_os(REQUIRE_ENV).is_some() {
                panic!("{REQUIRE_ENV} is set but PostgreSQL at {} does not answer: {e}", crate::db::redact(&server));
            }
            WARNED.call_once(|| {
                    let line = "!".repeat(78);
                    let _ = writeln!(
                        std::io::stderr(),
                        "\n{line}\n!! PostgreSQL at {} does not answer ({e}).\n!! THE POSTGRESQL HALF OF THE TEST SUITE DID NOT RUN: its tests pass without\n!! checking anything. Start PostgreSQL or set {SERVER_ENV}; CI sets {REQUIRE_ENV}.\n{line}",
                        crate::db::redact(&server)
                    );
                });
            None
        }
    }
}

impl TestDb {
    /// Creates a fresh, empty database. `None` when no server answers and
    /// none is required; panics when `TRACELOT_REQUIRE_POSTGRES` is set.
    pub fn create() -> Option<TestDb> {
        let server = server();
        let mut admin = admin()?;
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let name = format!("tracelot_test_{}_{}_{nanos}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
        let url = format!("{base}/{name}");
        Some(TestDb { server, name, url })
    }

    /// The database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = Client::connect(&self.server, NoTls) {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}
