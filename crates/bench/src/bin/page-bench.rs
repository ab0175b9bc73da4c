//! Receives N serials (default 1,000,000) into a fresh ledger, then times
//! what `GET /api/v1/stock` asks of the store for one page of 100 rows,
//! at the start of the list and deep inside it, beside the baseline of the
//! same run: reading every row (what one page used to cost).
//!
//! `cargo run --release -p tracelot-bench --bin page-bench [-- --serials N]`
//! runs on SQLite; with `--postgres postgres://USER@HOST/DB` it runs on a
//! fresh database on that server (created and dropped).

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use tracelot_core::command::{ReceiveLine, ReceiveUnits};
use tracelot_core::item::Tracking;
use tracelot_core::{
    Command, ItemSpec, LocationKind, LocationPath, LotDetails, PartnerCode, PlaceRef, Request, Serial, Sku,
    Transaction, UserName,
};
use tracelot_store::{StockKey, StockQuery, Store};
use tracelot_store_postgres::{PgOptions, PgStore};
use tracelot_store_sqlite::{SqliteOptions, SqliteStore};

#[derive(Parser)]
struct Args {
    /// Serials on hand.
    #[arg(long, default_value_t = 1_000_000)]
    serials: usize,
    /// Pages timed at each depth.
    #[arg(long, default_value_t = 50)]
    pages: usize,
    /// Run on PostgreSQL: a server URL whose user may create databases.
    #[arg(long)]
    postgres: Option<String>,
}

/// Rows per page, as the API's default.
const PAGE: usize = 100;
/// Serials per receipt (the receipt bound is far above it).
const PER_RECEIPT: usize = 50_000;
const BINS: usize = 10;

fn parsed<T, E: std::fmt::Display>(r: Result<T, E>) -> anyhow::Result<T> {
    r.map_err(|e| anyhow::anyhow!("{e}"))
}

/// An item, a supplier and ten bins, then the serials spread over the bins.
fn fill(store: &dyn Store, serials: usize) -> anyhow::Result<Duration> {
    let user = parsed(UserName::parse("bench"))?;
    let post = |cmd: Command| -> anyhow::Result<()> {
        store.submit(Transaction { request: Request::new(cmd), user: user.clone() })?;
        Ok(())
    };
    post(Command::DefineItem(ItemSpec::new(parsed(Sku::parse("PHONE"))?, "Phone", Tracking::Serial)))?;
    post(Command::DefinePartner {
        code: parsed(PartnerCode::parse("SUP"))?,
        name: "Supplier".into(),
        kind: LocationKind::Supplier,
        min_shelf_life_days: None,
    })?;
    for b in 0..BINS {
        post(Command::DefineLocation {
            path: parsed(LocationPath::parse(&format!("WH/B{b:02}")))?,
            kind: LocationKind::Internal,
            time_zone: None,
        })?;
    }
    let started = Instant::now();
    for (i, start) in (0..serials).step_by(PER_RECEIPT).enumerate() {
        let numbers: anyhow::Result<Vec<Serial>> =
            (start..serials.min(start + PER_RECEIPT)).map(|n| parsed(Serial::parse(&format!("SN{n:08}")))).collect();
        let line = ReceiveLine {
            sku: parsed(Sku::parse("PHONE"))?,
            lot: None,
            details: LotDetails::default(),
            status: None,
            units: ReceiveUnits::Serials(numbers?),
        };
        post(Command::Receive {
            from: Some(parsed(PlaceRef::parse("SUP"))?),
            to: parsed(PlaceRef::parse(&format!("WH/B{:02}", i % BINS)))?,
            lines: vec![line],
        })?;
    }
    Ok(started.elapsed())
}

/// The median and 99th percentile of some timings, in milliseconds.
fn percentiles(mut times: Vec<Duration>) -> (f64, f64) {
    times.sort();
    let at = |q: f64| {
        let i = ((times.len() as f64 - 1.0) * q).round() as usize;
        times.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    (at(0.5), at(0.99))
}

/// Times `pages` reads of one page starting after `after`.
fn time_pages(store: &dyn Store, after: Option<StockKey>, pages: usize) -> anyhow::Result<(f64, f64)> {
    let mut times = Vec::with_capacity(pages);
    for _ in 0..pages {
        let q = StockQuery { after: after.clone(), limit: Some(PAGE + 1), ..Default::default() };
        let t = Instant::now();
        let rows = store.stock(&q)?;
        times.push(t.elapsed());
        anyhow::ensure!(rows.len() == PAGE + 1, "a page came back with {} rows", rows.len());
    }
    Ok(percentiles(times))
}

fn measure(name: &str, store: &dyn Store, args: &Args) -> anyhow::Result<()> {
    let took = fill(store, args.serials)?;
    println!(
        "{name}: received {} serials in {:.1} s ({:.0} serials/s)",
        args.serials,
        took.as_secs_f64(),
        args.serials as f64 / took.as_secs_f64()
    );
    // The baseline: every row, which is what one page used to read.
    let t = Instant::now();
    let all = store.stock(&StockQuery::default())?;
    let whole = t.elapsed().as_secs_f64() * 1000.0;
    anyhow::ensure!(all.len() == args.serials, "{} rows, not {}", all.len(), args.serials);
    let middle = all.get(all.len() / 2).map(|r| r.key()).context("no middle row")?;
    let near_end = all.get(all.len().saturating_sub(PAGE * 2)).map(|r| r.key()).context("no last rows")?;
    drop(all);
    let (first50, first99) = time_pages(store, None, args.pages)?;
    let (mid50, mid99) = time_pages(store, Some(middle), args.pages)?;
    let (end50, end99) = time_pages(store, Some(near_end), args.pages)?;
    println!("{name}: reading every row (the old page):  {whole:9.1} ms");
    println!("{name}: first page of {PAGE}:                {first50:9.2} ms p50, {first99:9.2} ms p99");
    println!("{name}: page after the middle row:         {mid50:9.2} ms p50, {mid99:9.2} ms p99");
    println!("{name}: page near the end:                 {end50:9.2} ms p50, {end99:9.2} ms p99");
    let worst = first99.max(mid99).max(end99);
    println!("{name}: worst p99 page / every row = {:.4} ({:.0}x faster)", worst / whole, whole / worst.max(1e-9));
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    match &args.postgres {
        Some(server) => {
            let db = tracelot_bench::pg::Database::create(server, "page")?;
            let store = PgStore::init(&db.url, PgOptions::default())?;
            measure("postgresql", &store, &args)?;
            drop(store);
        }
        None => {
            let dir = tempfile::tempdir()?;
            let options = SqliteOptions { genealogy_index: false, ..SqliteOptions::default() };
            let store = SqliteStore::init(&dir.path().join("page.db"), options)?;
            measure("sqlite", &store, &args)?;
        }
    }
    Ok(())
}
