//! Connections, the statement cache, errors and schema migrations.

use std::collections::HashMap;

use postgres::types::ToSql;
use postgres::{Client, NoTls, Row, Statement};
use tracelot_store::{StoreError, SubmitError};

/// Schema migrations, applied in order; `tracelot_schema.version` counts them.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_ledger.sql"),
    include_str!("../migrations/0002_writer_only_columns.sql"),
    include_str!("../migrations/0003_status_guards.sql"),
    include_str!("../migrations/0004_stock_pages.sql"),
    include_str!("../migrations/0005_transit_is_stock.sql"),
    include_str!("../migrations/0006_site_time_and_date_rules.sql"),
    include_str!("../migrations/0007_serial_status_and_qc.sql"),
    include_str!("../migrations/0008_transit_arrivals.sql"),
    include_str!("../migrations/0009_lot_components.sql"),
    include_str!("../migrations/0010_packagings.sql"),
    include_str!("../migrations/0011_documents.sql"),
    include_str!("../migrations/0012_catch_weight.sql"),
];

/// The advisory lock every ledger writer holds for its whole database
/// transaction: the hash chain has one head, so writers take turns.
pub(crate) const WRITE_LOCK: i64 = 0x7472_6c74_0001;
/// The advisory lock held while the schema is created or upgraded.
const MIGRATION_LOCK: i64 = 0x7472_6c74_0002;

/// A failure inside the backend: the database's, or a stored value that
/// does not parse back into its domain type.
#[derive(Debug)]
pub(crate) enum Error {
    Db(postgres::Error),
    Data(String),
}

impl From<postgres::Error> for Error {
    fn from(e: postgres::Error) -> Self {
        Error::Db(e)
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Db(e) => match e.as_db_error() {
                Some(d) => write!(f, "{}: {}", d.code().code(), d.message()),
                None => match std::error::Error::source(e) {
                    Some(cause) => write!(f, "{e}: {cause}"),
                    None => write!(f, "{e}"),
                },
            },
            Error::Data(s) => f.write_str(s),
        }
    }
}

impl Error {
    /// The SQLSTATE of a database error.
    pub(crate) fn code(&self) -> Option<&str> {
        match self {
            Error::Db(e) => e.code().map(|c| c.code()),
            Error::Data(_) => None,
        }
    }

    /// An integrity constraint refused a row (SQLSTATE class 23).
    pub(crate) fn is_constraint(&self) -> bool {
        self.code().is_some_and(|c| c.starts_with("23"))
    }

    /// The failure belongs to a transaction's own rows, not to the store: a
    /// constraint refused one, or a value was out of range (a data
    /// exception, class 22). Redoing the batch one transaction at a time
    /// then refuses that transaction alone.
    pub(crate) fn is_of_one_transaction(&self) -> bool {
        self.is_constraint() || self.code().is_some_and(|c| c.starts_with("22"))
    }

    /// The name of the constraint that refused a row, if one did.
    pub(crate) fn constraint(&self) -> Option<&str> {
        match self {
            Error::Db(e) => e.as_db_error().and_then(|d| d.constraint()),
            Error::Data(_) => None,
        }
    }
}

pub(crate) type Result<T> = std::result::Result<T, Error>;

impl From<Error> for StoreError {
    fn from(e: Error) -> Self {
        StoreError::Storage(e.to_string())
    }
}

impl From<Error> for SubmitError {
    fn from(e: Error) -> Self {
        SubmitError::Storage(e.to_string())
    }
}

/// One connection with its prepared statements, so that each statement is
/// parsed once per connection instead of once per call.
pub(crate) struct Conn {
    pub(crate) client: Client,
    statements: HashMap<String, Statement>,
}

/// Parameters of one statement.
pub(crate) type Params<'a> = [&'a (dyn ToSql + Sync)];

impl Conn {
    pub(crate) fn connect(url: &str) -> std::result::Result<Conn, StoreError> {
        let mut client = Client::connect(url, NoTls).map_err(|e| {
            StoreError::Storage(format!("cannot connect to PostgreSQL at {}: {}", redact(url), Error::Db(e)))
        })?;
        // Plan every execution for its arguments. A generic plan made while
        // a table was small (a new ledger) keeps scanning it as it grows: the
        // writer's serial lookups ran six times slower by 100,000 movements.
        client
            .batch_execute("SET plan_cache_mode = force_custom_plan")
            .map_err(|e| StoreError::Storage(format!("configuring the connection: {e}")))?;
        Ok(Conn { client, statements: HashMap::new() })
    }

    fn statement(&mut self, sql: &str) -> Result<Statement> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql)?;
        self.statements.insert(sql.to_owned(), s.clone());
        Ok(s)
    }

    pub(crate) fn query(&mut self, sql: &str, params: &Params) -> Result<Vec<Row>> {
        let s = self.statement(sql)?;
        Ok(self.client.query(&s, params)?)
    }

    pub(crate) fn query_opt(&mut self, sql: &str, params: &Params) -> Result<Option<Row>> {
        let s = self.statement(sql)?;
        Ok(self.client.query_opt(&s, params)?)
    }

    pub(crate) fn query_one(&mut self, sql: &str, params: &Params) -> Result<Row> {
        let s = self.statement(sql)?;
        Ok(self.client.query_one(&s, params)?)
    }

    pub(crate) fn execute(&mut self, sql: &str, params: &Params) -> Result<u64> {
        let s = self.statement(sql)?;
        Ok(self.client.execute(&s, params)?)
    }

    pub(crate) fn batch(&mut self, sql: &str) -> Result<()> {
        Ok(self.client.batch_execute(sql)?)
    }

    /// Whether the connection is gone (the server restarted or dropped it).
    pub(crate) fn is_closed(&self) -> bool {
        self.client.is_closed()
    }
}

/// A URL without its password, for messages.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let Some((creds, host)) = rest.rsplit_once('@') else { return url.to_owned() };
    match creds.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

/// Creates or upgrades the schema. Several processes may start at once:
/// the first one migrates under an advisory lock, the others wait for it.
/// `create` is false for `open`, which refuses a database without tracelot.
pub(crate) fn migrate(c: &mut Conn, create: bool) -> std::result::Result<(), StoreError> {
    let run = |c: &mut Conn| -> Result<std::result::Result<(), StoreError>> {
        c.batch(&format!("BEGIN; SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))?;
        let ours = c.query_one("SELECT to_regclass('tracelot_schema') IS NOT NULL", &[])?.get::<_, bool>(0);
        let version: i64 = if ours {
            c.query_one("SELECT version FROM tracelot_schema", &[])?.get(0)
        } else {
            let tables: i64 = c
                .query_one("SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()", &[])?
                .get(0);
            if tables > 0 {
                c.batch("ROLLBACK")?;
                return Ok(Err(StoreError::Incompatible(
                    "this PostgreSQL database holds tables but no tracelot schema".into(),
                )));
            }
            if !create {
                c.batch("ROLLBACK")?;
                return Ok(Err(StoreError::Storage(
                    "this PostgreSQL database holds no tracelot ledger; run `tracelot init` first".into(),
                )));
            }
            c.batch("CREATE TABLE tracelot_schema (version bigint NOT NULL); INSERT INTO tracelot_schema VALUES (0);")?;
            0
        };
        let known = MIGRATIONS.len() as i64;
        if version > known {
            c.batch("ROLLBACK")?;
            return Ok(Err(StoreError::Incompatible(format!(
                "schema version {version} is newer than this tracelot ({known})"
            ))));
        }
        for (n, sql) in (1_i64..).zip(MIGRATIONS).skip(usize::try_from(version).unwrap_or(0)) {
            c.batch(sql)?;
            c.execute("UPDATE tracelot_schema SET version = $1", &[&n])?;
        }
        c.batch("COMMIT")?;
        Ok(Ok(()))
    };
    match run(c) {
        Ok(r) => r,
        Err(e) => {
            let _ = c.batch("ROLLBACK");
            Err(StoreError::Storage(format!("migrating the PostgreSQL schema: {e}")))
        }
    }
}

#[cfg(test)]
// Tests: an overflow or a panic is a failed test.
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::redact;

    #[test]
    fn messages_never_show_a_password() {
        assert_eq!(redact("postgres://app:s3cret@db:5432/tl"), "postgres://app:***@db:5432/tl");
        assert_eq!(redact("postgres://app@db/tl"), "postgres://app@db/tl");
        assert_eq!(redact("postgresql://db/tl"), "postgresql://db/tl");
    }
}
