//! The `tracelot` binary. Every verb builds typed commands and posts them
//! through the store's one write path, or runs a query.

mod accounts;
mod args;
mod checkpoint;
mod demo;
mod labels;
mod output;
mod reports;
mod requests;
mod scale;
mod serve;
mod trace;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Parser;
use tracelot_core::time::today;
use tracelot_core::{Command, DomainError, LotCode, PartnerCode, Request, Rule, Serial, Transaction, UserName};
use tracelot_store::{Backend, ExpiringQuery, HistoryQuery, StockQuery, SubmitError, Window};
use tracelot_store_postgres::{PgOptions, PgStore};
use tracelot_store_sqlite::{SqliteOptions, SqliteStore};

use crate::args::{Cli, ItemVerb, LocationVerb, LotVerb, PartnerVerb, SerialVerb, Verb};
use crate::output::Out;
use crate::requests as rq;

/// Exit code for a refused command or a failed verification.
const EXIT_REFUSED: u8 = 1;
/// Exit code for storage and other failures.
const EXIT_FAILURE: u8 = 3;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Out { json: cli.json };
    match run(&cli, out) {
        Ok(code) => code,
        Err(e) => report_error(out, &e),
    }
}

/// Prints a failure (a problem JSON document with `--json`) and picks the exit code.
fn report_error(out: Out, e: &anyhow::Error) -> ExitCode {
    let refusal = e.downcast_ref::<DomainError>().or_else(|| match e.downcast_ref::<SubmitError>() {
        Some(SubmitError::Refused(d)) => Some(d),
        _ => None,
    });
    let (code, rule, field, detail) = match refusal {
        Some(d) => (EXIT_REFUSED, d.rule.code(), d.field.clone(), d.to_string()),
        None => (EXIT_FAILURE, "failure", None, format!("{e:#}")),
    };
    if out.json {
        let doc = serde_json::json!({ "code": rule, "field": field, "detail": detail });
        let _ = crate::output::write_stdout(&format!("{}\n", serde_json::to_string_pretty(&doc).unwrap_or_default()));
    } else {
        eprintln!("error: {detail}");
    }
    ExitCode::from(code)
}

/// A refusal for a key that does not exist, so that scripts see exit code
/// 1 and the code `not_found`.
fn not_found(field: &str, what: String) -> anyhow::Error {
    DomainError::at(Rule::NotFound, field, what).into()
}

/// A media type from a file name's extension, for documents.
fn media_type_of(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).as_deref() {
        Some("pdf") => "application/pdf",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("txt") => "text/plain",
        Some("csv") => "text/csv",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

/// Keeps a report's refusal a [`DomainError`], so that it exits 1 with its rule's code.
fn refused_or<T>(r: Result<T, tracelot_reports::ReportError>) -> anyhow::Result<T> {
    r.map_err(|e| match e {
        tracelot_reports::ReportError::Refused(d) => d.into(),
        tracelot_reports::ReportError::Store(s) => s.into(),
    })
}

/// Where a ledger lives, from `--db` / `TRACELOT_DATABASE_URL`.
pub(crate) enum Database {
    /// A SQLite file.
    File(PathBuf),
    /// A PostgreSQL database.
    Postgres(String),
}

impl Database {
    pub(crate) fn parse(db: &str) -> Database {
        if tracelot_store_postgres::is_postgres_url(db) {
            return Database::Postgres(db.to_owned());
        }
        let path = db.strip_prefix("sqlite://").or_else(|| db.strip_prefix("sqlite:")).unwrap_or(db);
        Database::File(PathBuf::from(path))
    }

    /// How messages name it (a URL without its password).
    pub(crate) fn display(&self) -> String {
        match self {
            Database::File(p) => p.display().to_string(),
            Database::Postgres(url) => tracelot_store_postgres::display_url(url),
        }
    }

    /// Opens an existing ledger.
    pub(crate) fn open(&self) -> anyhow::Result<Box<dyn Backend>> {
        let store: Box<dyn Backend> = match self {
            Database::File(p) => Box::new(SqliteStore::open(p, SqliteOptions::default())?),
            Database::Postgres(url) => Box::new(PgStore::open(url, PgOptions::default())?),
        };
        Ok(store)
    }

    /// Creates (or upgrades) a ledger with its default locations.
    pub(crate) fn init(&self) -> anyhow::Result<Box<dyn Backend>> {
        let store: Box<dyn Backend> = match self {
            Database::File(p) => Box::new(SqliteStore::init(p, SqliteOptions::default())?),
            Database::Postgres(url) => Box::new(PgStore::init(url, PgOptions::default())?),
        };
        Ok(store)
    }

    /// Creates the schema only, for a copy.
    fn create_empty(&self) -> anyhow::Result<Box<dyn Backend>> {
        let store: Box<dyn Backend> = match self {
            Database::File(p) => Box::new(SqliteStore::create_empty(p, SqliteOptions::default())?),
            Database::Postgres(url) => Box::new(PgStore::create_empty(url, PgOptions::default())?),
        };
        Ok(store)
    }
}

/// The database named by `--db`, else `tracelot.db`.
fn db_arg(cli: &Cli) -> &str {
    cli.db.as_deref().unwrap_or(DEFAULT_DB)
}

/// The database used when none is named.
const DEFAULT_DB: &str = "tracelot.db";

fn open(cli: &Cli) -> anyhow::Result<Box<dyn Backend>> {
    let db = Database::parse(db_arg(cli));
    db.open().with_context(|| format!("opening {}", db.display()))
}

fn user(cli: &Cli) -> anyhow::Result<UserName> {
    let name = cli.user.clone().or_else(|| std::env::var("USER").ok()).unwrap_or_else(|| "cli".into());
    Ok(rq::field("--user", &name, UserName::parse)?)
}

/// Non-empty lines of stdin, for scans from a keyboard-wedge scanner or a file.
fn stdin_lines() -> anyhow::Result<Vec<String>> {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).context("reading scans from stdin")?;
    Ok(text.lines().map(|l| l.trim_end_matches('\r').to_string()).filter(|l| !l.is_empty()).collect())
}

/// Posts one command through the store's single write path and prints the result.
fn post(cli: &Cli, out: Out, req: Request) -> anyhow::Result<ExitCode> {
    let store = open(cli)?;
    let posted = store.submit(Transaction { request: req, user: user(cli)? })?;
    out.emit(&posted, || reports::posted(&posted))?;
    Ok(ExitCode::SUCCESS)
}

/// `migrate-store`: copies an installation, then verifies the target and
/// checks that its chain ends with the source's head.
fn migrate_store(from: &str, to: &str, out: Out) -> anyhow::Result<ExitCode> {
    let (source, target) = (Database::parse(from), Database::parse(to));
    let src = source.open().with_context(|| format!("opening the source {}", source.display()))?;
    let checked = src.verify()?;
    if !checked.is_ok() {
        bail!("the source does not verify, so it is not copied: {}", checked.problems.join("; "));
    }
    let dst = target.create_empty().with_context(|| format!("creating the target {}", target.display()))?;
    let started = std::time::Instant::now();
    let report = tracelot_store::copy::copy_installation(src.as_ref(), dst.as_ref(), |n| {
        if !out.json {
            eprint!("\rcopied {n} of {} transactions", checked.transactions);
        }
    })
    .map_err(|e| match e {
        tracelot_store::copy::CopyError::TargetNotEmpty(_) => {
            anyhow::Error::from(DomainError::at(Rule::AlreadyExists, "--to", e.to_string()))
        }
        other => other.into(),
    })?;
    if !out.json && report.transactions > 0 {
        eprintln!();
    }
    let verified = dst.verify()?;
    let doc = serde_json::json!({
        "from": source.display(),
        "to": target.display(),
        "copied": report,
        "seconds": started.elapsed().as_secs_f64(),
        "source_head": checked.head,
        "target_head": verified.head,
        "verify": verified,
    });
    out.emit(&doc, || {
        format!(
            "copied {} transactions ({} movements), {} accounts and {} tokens from {} to {} in {:.1} s\nverify on the target: {}\nchain head: {} (source {})",
            report.transactions,
            report.movements,
            report.accounts,
            report.tokens,
            source.display(),
            target.display(),
            started.elapsed().as_secs_f64(),
            if verified.is_ok() { "OK".to_owned() } else { verified.problems.join("; ") },
            verified.head,
            checked.head
        )
    })?;
    if !verified.is_ok() || verified.head != checked.head {
        return Ok(ExitCode::from(EXIT_REFUSED));
    }
    Ok(ExitCode::SUCCESS)
}

fn run(cli: &Cli, out: Out) -> anyhow::Result<ExitCode> {
    match &cli.verb {
        Verb::Init => {
            let db = Database::parse(db_arg(cli));
            let store = db.init().with_context(|| format!("initializing {}", db.display()))?;
            let locations = store.locations(&Window::all())?;
            let doc = serde_json::json!({ "database": db.display(), "locations": locations.len() });
            out.emit(&doc, || format!("initialized {} ({} locations)", db.display(), locations.len()))?;
        }
        Verb::MigrateStore { from, to } => return migrate_store(from, to, out),
        Verb::Item(ItemVerb::Add(a)) => return post(cli, out, rq::request(rq::item(a)?, &a.posting)?),
        Verb::Item(ItemVerb::List) => {
            let items = open(cli)?.items(&Window::all())?;
            out.emit(&items, || reports::items(&items))?;
        }
        Verb::Item(ItemVerb::Show { sku }) => {
            let sku = rq::sku(sku)?;
            let item = open(cli)?.item(&sku)?.ok_or_else(|| not_found("sku", format!("unknown item {sku}")))?;
            out.emit(&item, || reports::items(std::slice::from_ref(&item)))?;
        }
        Verb::Item(ItemVerb::Packaging { sku, name, gtin, qty, posting }) => {
            let cmd = Command::DefinePackaging {
                sku: rq::sku(sku)?,
                name: name.clone(),
                gtin: gtin.clone(),
                quantity: rq::field("--qty", qty, tracelot_core::command::Amount::parse)?,
            };
            return post(cli, out, rq::request(cmd, posting)?);
        }
        Verb::Item(ItemVerb::Packagings { sku }) => {
            let sku = rq::sku(sku)?;
            let store = open(cli)?;
            if store.item(&sku)?.is_none() {
                return Err(not_found("sku", format!("unknown item {sku}")));
            }
            let rows = store.packagings(&sku)?;
            out.emit(&rows, || reports::packagings(&rows))?;
        }
        Verb::Location(LocationVerb::Add { path, kind, time_zone, posting }) => {
            let cmd = Command::DefineLocation {
                path: rq::field("path", path, tracelot_core::LocationPath::parse)?,
                kind: rq::field("--kind", kind, |s| s.parse())?,
                time_zone: time_zone
                    .as_deref()
                    .map(|z| rq::field("--time-zone", z, tracelot_core::time::SiteZone::parse))
                    .transpose()?,
            };
            return post(cli, out, rq::request(cmd, posting)?);
        }
        Verb::Location(LocationVerb::List) => {
            let locs = open(cli)?.locations(&Window::all())?;
            out.emit(&locs, || reports::locations(&locs))?;
        }
        Verb::Partner(PartnerVerb::Add { code, kind, name, min_shelf_life_days, posting }) => {
            let cmd = Command::DefinePartner {
                code: rq::field("code", code, PartnerCode::parse)?,
                name: name.clone().unwrap_or_else(|| code.clone()),
                kind: rq::field("--kind", kind, |s| s.parse())?,
                min_shelf_life_days: *min_shelf_life_days,
            };
            return post(cli, out, rq::request(cmd, posting)?);
        }
        Verb::Partner(PartnerVerb::List) => {
            let partners = open(cli)?.partners(&Window::all())?;
            out.emit(&partners, || reports::partners(&partners))?;
        }
        Verb::Lot(LotVerb::Add { sku, lot, details, posting }) => {
            let (details, status) = rq::details(details)?;
            let cmd =
                Command::DefineLot { sku: rq::sku(sku)?, lot: rq::field("lot", lot, LotCode::parse)?, details, status };
            return post(cli, out, rq::request(cmd, posting)?);
        }
        Verb::Lot(LotVerb::Show { sku, lot }) => {
            let (sku, code) = (rq::sku(sku)?, rq::field("lot", lot, LotCode::parse)?);
            let row =
                open(cli)?.lot(&sku, &code)?.ok_or_else(|| not_found("lot", format!("unknown lot {code} of {sku}")))?;
            out.emit(&row, || reports::lot(&row))?;
        }
        Verb::Lot(LotVerb::Attach { sku, lot, file, kind, result, media_type, posting }) => {
            let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
            let size = u32::try_from(bytes.len())
                .ok()
                .filter(|n| usize::try_from(*n).is_ok_and(|n| n <= tracelot_core::document::MAX_DOCUMENT_BYTES))
                .with_context(|| format!("{} is larger than 20 MiB", file.display()))?;
            if size == 0 {
                bail!("{} is empty", file.display());
            }
            let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let store = open(cli)?;
            let (sku, lot) = (rq::sku(sku)?, rq::field("lot", lot, LotCode::parse)?);
            // Checked before the bytes are stored: a refused attachment
            // leaves nothing behind.
            if store.lot(&sku, &lot)?.is_none() {
                return Err(not_found("lot", format!("unknown lot {lot} of {sku}")));
            }
            let sha256 = store.put_document(&bytes)?;
            let document = tracelot_core::document::Attachment {
                kind: kind.clone(),
                media_type: media_type.clone().unwrap_or_else(|| media_type_of(&name).to_owned()),
                name,
                sha256,
                size,
                result: result.clone(),
            };
            let cmd = Command::AttachDocument { sku, lot, document };
            return post(cli, out, rq::request(cmd, posting)?);
        }
        Verb::Lot(LotVerb::Document { sha256, out: path }) => {
            let hash = rq::field("sha256", sha256, tracelot_core::document::DocumentHash::parse)?;
            let bytes =
                open(cli)?.document(&hash)?.ok_or_else(|| not_found("sha256", format!("no document {hash}")))?;
            std::fs::write(path, &bytes).with_context(|| format!("writing {}", path.display()))?;
            let doc = serde_json::json!({ "file": path.display().to_string(), "bytes": bytes.len(), "sha256": hash });
            out.emit(&doc, || format!("wrote {} ({} bytes)", path.display(), bytes.len()))?;
        }
        Verb::Lot(LotVerb::SetStatus { sku, lot, status, posting }) => {
            let cmd = Command::SetLotStatus {
                sku: rq::sku(sku)?,
                lot: rq::field("lot", lot, LotCode::parse)?,
                status: rq::field("status", status, |s| s.parse())?,
            };
            return post(cli, out, rq::request(cmd, posting)?);
        }
        Verb::Receive(a) => {
            let cmd = rq::receive(&a.sku, a.from.as_ref(), &a.to, &a.units, a.generate, &a.details)?;
            return post(cli, out, rq::request(cmd, &a.posting)?);
        }
        Verb::Arrive(a) => {
            let cmd = Command::Arrive {
                dispatch: rq::field("dispatch", &a.dispatch, tracelot_core::TxId::parse)?,
                to: rq::place("--to", &a.to)?,
                lines: a.lines.iter().map(|l| rq::unit_line("--line", l)).collect::<Result<_, _>>()?,
            };
            return post(cli, out, rq::request(cmd, &a.posting)?);
        }
        Verb::Relabel(a) => {
            let (details, status) = rq::details(&a.details)?;
            if status.is_some() {
                bail!("a relabelled lot keeps the old lot's status; change it with lot set-status");
            }
            let cmd = Command::Relabel {
                at: rq::place("--at", &a.at)?,
                sku: rq::sku(&a.sku)?,
                from_lot: rq::field("--from-lot", &a.from_lot, LotCode::parse)?,
                to_lot: rq::field("--to-lot", &a.to_lot, LotCode::parse)?,
                quantity: rq::field("--qty", &a.qty, tracelot_core::command::Amount::parse)?,
                details,
            };
            return post(cli, out, rq::request(cmd, &a.posting)?);
        }
        Verb::Release(a) => {
            let cmd = Command::Release {
                from: rq::place("--from", &a.from)?,
                to: rq::place("--to", &a.to)?,
                lines: vec![rq::line(&a.sku, &a.units)?],
            };
            return post(cli, out, rq::request(cmd, &a.posting)?);
        }
        Verb::Serial(SerialVerb::SetStatus { sku, status, serials, posting }) => {
            let cmd = Command::SetSerialStatus {
                sku: rq::sku(sku)?,
                serials: rq::serials(serials)?,
                status: rq::field("status", status, |s| s.parse())?,
            };
            return post(cli, out, rq::request(cmd, posting)?);
        }
        Verb::Serial(SerialVerb::CloseRecall { sku, decision, serials, posting }) => {
            let cmd = Command::CloseSerialRecall {
                sku: rq::sku(sku)?,
                serials: rq::serials(serials)?,
                decision: rq::field("--decision", decision, |s| s.parse())?,
            };
            return post(cli, out, rq::request(cmd, posting)?);
        }
        Verb::Transfer(a) => {
            let cmd = Command::Transfer {
                from: rq::place("--from", &a.from)?,
                to: rq::place("--to", &a.to)?,
                lines: vec![rq::line(&a.sku, &a.units)?],
            };
            return post(cli, out, rq::request(cmd, &a.posting)?);
        }
        Verb::Ship(s) => {
            let a = &s.base;
            let cmd = Command::Ship {
                from: rq::place("--from", &a.from)?,
                to: rq::place("--to", &a.to)?,
                lines: vec![rq::line(&a.sku, &a.units)?],
                allow_expired: s.allow_expired,
                allow_short_shelf_life: s.allow_short_shelf_life,
            };
            return post(cli, out, rq::request(cmd, &a.posting)?);
        }
        Verb::Return(a) => {
            let cmd = Command::Return {
                from: rq::place("--from", &a.from)?,
                to: rq::place("--to", &a.to)?,
                lines: vec![rq::line(&a.sku, &a.units)?],
            };
            return post(cli, out, rq::request(cmd, &a.posting)?);
        }
        Verb::Adjust(a) => return post(cli, out, rq::request(rq::adjust(a)?, &a.posting)?),
        Verb::Count(c) => {
            let sku = rq::sku(&c.sku)?;
            let item = open(cli)?.item(&sku)?;
            let serial_item = item.is_some_and(|i| i.spec.tracking.needs_serial());
            return post(cli, out, rq::request(rq::count(c, serial_item)?, &c.posting)?);
        }
        Verb::Scrap(a) => {
            let cmd = Command::Scrap { at: rq::place("--at", &a.at)?, lines: vec![rq::line(&a.sku, &a.units)?] };
            return post(cli, out, rq::request(cmd, &a.posting)?);
        }
        Verb::Reverse(a) => {
            let cmd = Command::Reverse { tx: rq::field("tx", &a.tx, tracelot_core::TxId::parse)? };
            return post(cli, out, rq::request(cmd, &a.posting)?);
        }
        Verb::Stock(a) => {
            let store = open(cli)?;
            let mut q = StockQuery {
                sku: a.sku.as_deref().map(rq::sku).transpose()?,
                lot: a.lot.as_deref().map(|l| rq::field("--lot", l, LotCode::parse)).transpose()?,
                serial: a.serial.as_deref().map(|s| rq::field("--serial", s, Serial::parse)).transpose()?,
                location: a
                    .location
                    .as_deref()
                    .map(|l| rq::field("--location", l, tracelot_core::LocationPath::parse))
                    .transpose()?,
                include_virtual: a.all,
                ..Default::default()
            };
            q.as_of = match a.as_of.as_deref() {
                Some(t) => {
                    Some(refused_or(tracelot_reports::days::instant(&*store, t, "--as-of", q.location.as_ref()))?)
                }
                None => None,
            };
            let rows = match &a.supplier_lot {
                None => store.stock(&q)?,
                Some(code) => {
                    let mut rows = Vec::new();
                    for (sku, lot) in store.lots_by_supplier_lot(q.sku.as_ref(), code)? {
                        rows.extend(store.stock(&StockQuery { sku: Some(sku), lot: Some(lot), ..q.clone() })?);
                    }
                    rows
                }
            };
            out.emit(&rows, || reports::stock(&rows))?;
        }
        Verb::Where { sku, serial } => {
            let (sku, serial) = (rq::sku(sku)?, rq::field("serial", serial, Serial::parse)?);
            let row = open(cli)?
                .where_is(&sku, &serial)?
                .ok_or_else(|| not_found("serial", format!("unknown serial {serial} of {sku}")))?;
            out.emit(&row, || reports::where_is(&row))?;
        }
        Verb::History(a) => {
            let q = HistoryQuery {
                sku: rq::sku(&a.sku)?,
                lot: a.lot.as_deref().map(|l| rq::field("--lot", l, LotCode::parse)).transpose()?,
                serial: a.serial.as_deref().map(|s| rq::field("--serial", s, Serial::parse)).transpose()?,
                after: None,
                limit: None,
            };
            let store = open(cli)?;
            if store.item(&q.sku)?.is_none() {
                return Err(not_found("sku", format!("unknown item {}", q.sku)));
            }
            let rows = store.history(&q)?;
            out.emit(&rows, || reports::history(&rows))?;
        }
        Verb::Expiring { days } => {
            let today = refused_or(tracelot_reports::days::today(&*open(cli)?, None))?;
            let until = tracelot_core::time::add_days(today, i64::from(*days)).context("--days is too large")?;
            let rows = open(cli)?.expiring(&ExpiringQuery { until, window: Window::all() })?;
            out.emit(&rows, || reports::expiring(&rows, today))?;
        }
        Verb::Warranty { sku, serial } => {
            let (sku, serial) = (rq::sku(sku)?, rq::field("serial", serial, Serial::parse)?);
            let store = open(cli)?;
            if store.where_is(&sku, &serial)?.is_none() {
                return Err(not_found("serial", format!("unknown serial {serial} of {sku}")));
            }
            let w = refused_or(tracelot_reports::warranty_of(store.as_ref(), &sku, &serial))?;
            out.emit(&w, || reports::warranty(&w))?;
        }
        Verb::Verify(a) => {
            let report = checkpoint::verify(&*open(cli)?, a)?;
            out.emit(&report, || reports::verify(&report))?;
            if !report.is_ok() {
                return Ok(ExitCode::from(EXIT_REFUSED));
            }
        }
        Verb::Checkpoint(a) => {
            let made = checkpoint::make(&*open(cli)?, a)?;
            out.emit(&made, || serde_json::to_string_pretty(&made).unwrap_or_default())?;
        }
        Verb::Demo { out: path, replace, scale: None } => {
            demo::run(path, *replace, out)?;
        }
        Verb::Demo { out: path, replace, scale: Some(n) } => {
            demo::prepare(path, *replace)?;
            let summary = scale::generate(path, *n)?;
            out.emit(&summary, || {
                format!(
                    "generated {}: {} transactions, {} movements in {:.1} s, {:.1} MiB",
                    summary.database,
                    summary.transactions,
                    summary.movements,
                    summary.seconds,
                    summary.bytes as f64 / 1048576.0
                )
            })?;
        }
        Verb::User(v) => accounts::user(&*open(cli)?, v, out)?,
        Verb::Token(v) => accounts::token(&*open(cli)?, v, out)?,
        Verb::Serve(a) => serve::run(cli.db.as_deref(), a)?,
        Verb::Label(v) => return labels::label(cli, v, out),
        Verb::Produce(a) => return post(cli, out, rq::request(rq::produce(a)?, &a.posting)?),
        Verb::Assemble(a) => return post(cli, out, rq::request(rq::assemble(a)?, &a.posting)?),
        Verb::Assembly { sku, serial } => {
            let serial = rq::field("serial", serial, Serial::parse)?;
            let events = open(cli)?.assembly_events(&rq::sku(sku)?, &serial)?;
            out.emit(&events, || reports::assembly(&events))?;
        }
        Verb::Trace(a) => trace::run(cli, a, out)?,
        Verb::MassBalance { sku, lot } => {
            let lot = rq::field("lot", lot, LotCode::parse)?;
            let b = refused_or(tracelot_reports::mass_balance(&*open(cli)?, &rq::sku(sku)?, &lot))?;
            out.emit(&b, || b.table())?;
        }
        Verb::Recall(a) => return trace::recall(cli, a, out),
        Verb::Scan { raw } => {
            let raw = match raw.as_str() {
                "-" => stdin_lines()?.into_iter().next().unwrap_or_default(),
                _ => raw.clone(),
            };
            let reading = refused_or(tracelot_reports::scan::read(&*open(cli)?, &raw, "raw", today()))?;
            out.emit(&reading, || reports::reading(&reading))?;
        }
        Verb::ReceiveScans(a) | Verb::ShipScans(a) => {
            let flow = match &cli.verb {
                Verb::ShipScans(_) => tracelot_reports::scan::Flow::Ship,
                _ => tracelot_reports::scan::Flow::Receive,
            };
            let scans = if a.scans.is_empty() { stdin_lines()? } else { a.scans.clone() };
            let ends = tracelot_reports::scan::Ends {
                from: a.from.as_deref().map(|f| rq::place("--from", f)).transpose()?,
                to: a.to.as_deref().map(|t| rq::place("--to", t)).transpose()?,
                allow_expired: a.allow_expired,
                allow_short_shelf_life: a.allow_short_shelf_life,
            };
            let store = open(cli)?;
            let cmd =
                refused_or(tracelot_reports::scan::command_from_scans(store.as_ref(), flow, &scans, ends, today()))?;
            return post(cli, out, rq::request(cmd, &a.posting)?);
        }
        Verb::Fefo(a) => {
            let qty = rq::field("--qty", &a.qty, tracelot_core::command::Amount::parse)?;
            let from = rq::field("--from", &a.from, tracelot_core::LocationPath::parse)?;
            let customer = a.customer.as_deref().map(|c| rq::field("--customer", c, PartnerCode::parse)).transpose()?;
            let store = open(cli)?;
            let today = refused_or(tracelot_reports::days::today(&*store, Some(&from)))?;
            let s =
                refused_or(tracelot_reports::fefo(&*store, &rq::sku(&a.sku)?, &from, &qty, customer.as_ref(), today))?;
            out.emit(&s, || s.table())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
