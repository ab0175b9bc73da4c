//! trace-bench: traceability at scale. Generates (or opens) a ledger made
//! by `tracelot demo --scale N`, then times forward traces from the heavily
//! used salt lots (each feeding 10,000 sauce-base runs and, downstream,
//! 100,000 shipments) and serial histories of devices, and prints p50/p99,
//! the database size and the generation time.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use tracelot_core::{LotCode, Serial, Sku};
use tracelot_store::{Direction, HistoryQuery, Store, Unit};
use tracelot_store_sqlite::{SqliteOptions, SqliteStore};

#[derive(Parser, Debug)]
struct Args {
    /// The scale to generate (about N × 100,000 movements).
    #[arg(long, default_value_t = 100)]
    scale: u64,
    /// Use this existing database instead of generating one.
    #[arg(long)]
    db: Option<PathBuf>,
    /// Where a generated database goes.
    #[arg(long, default_value = "target/bench-data/trace-bench.db")]
    out: PathBuf,
    /// The tracelot binary (default: the one next to this program).
    #[arg(long)]
    bin: Option<PathBuf>,
    /// Forward traces to time.
    #[arg(long, default_value_t = 30)]
    traces: usize,
    /// Serial histories to time.
    #[arg(long, default_value_t = 2000)]
    histories: usize,
    /// Also time the optional in-memory genealogy index (needs memory: about 5 GB at 10 million movements).
    #[arg(long)]
    index: bool,
    /// Skip the SQL traces (with --index: time only the index).
    #[arg(long)]
    no_sql: bool,
}

/// Anonymous resident memory of this process (Linux), in MiB: what an
/// in-memory index costs, without the database pages SQLite maps.
fn anon_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("RssAnon:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn percentile(v: &mut [Duration], p: f64) -> f64 {
    v.sort_unstable();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let db = match &args.db {
        Some(p) => p.clone(),
        None => {
            let bin = match &args.bin {
                Some(b) => b.clone(),
                None => std::env::current_exe()?.with_file_name("tracelot"),
            };
            if let Some(dir) = args.out.parent() {
                std::fs::create_dir_all(dir)?;
            }
            println!("generating scale {} into {} with {}", args.scale, args.out.display(), bin.display());
            let started = Instant::now();
            let out = Command::new(&bin)
                .args(["--json", "demo", "--replace", "--scale", &args.scale.to_string(), "--out"])
                .arg(&args.out)
                .output()
                .with_context(|| format!("running {}", bin.display()))?;
            if !out.status.success() {
                bail!("generation failed: {}", String::from_utf8_lossy(&out.stderr));
            }
            let summary: serde_json::Value = serde_json::from_slice(&out.stdout)?;
            println!(
                "generated: {} transactions, {} movements in {:.1} s ({:.0} movements/s, wall {:.1} s), {:.0} MiB",
                summary["transactions"],
                summary["movements"],
                summary["seconds"].as_f64().unwrap_or(0.0),
                summary["movements"].as_f64().unwrap_or(0.0) / summary["seconds"].as_f64().unwrap_or(1.0),
                started.elapsed().as_secs_f64(),
                summary["bytes"].as_f64().unwrap_or(0.0) / 1048576.0
            );
            args.out.clone()
        }
    };
    let bytes: u64 = ["", "-wal"]
        .iter()
        .map(|s| std::fs::metadata(format!("{}{s}", db.display())).map(|m| m.len()).unwrap_or(0))
        .sum();
    let store = SqliteStore::open(&db, SqliteOptions::default())?;
    let size = store.ledger_size()?;
    println!(
        "database: {} transactions, {} movements, {} balances, {:.0} MiB on disk",
        size.transactions,
        size.movements,
        size.balances,
        bytes as f64 / 1048576.0
    );
    let salt = Sku::parse("SALT").map_err(|e| anyhow::anyhow!("{e}"))?;
    let lots: Vec<LotCode> = (0..)
        .map_while(|i| {
            LotCode::parse(&format!("SALT{i}")).ok().filter(|l| store.lot(&salt, l).ok().flatten().is_some())
        })
        .collect();
    if lots.is_empty() {
        bail!("no SALT lots: is this a `tracelot demo --scale` database?");
    }
    // Full lots only: the last one may be partly used.
    let full: Vec<&LotCode> =
        if lots.len() > 1 { lots[..lots.len() - 1].iter().collect() } else { lots.iter().collect() };
    let mut times = Vec::new();
    let mut shape = (0, 0, 0);
    for i in 0..if args.no_sql { 0 } else { args.traces } {
        let lot = full[i % full.len()].clone();
        let start = Instant::now();
        let t = tracelot_reports::trace(
            &store,
            Unit { sku: salt.clone(), lot: Some(lot), serial: None },
            Direction::Forward,
        )?;
        times.push(start.elapsed());
        let runs: std::collections::BTreeSet<i64> = t.links.iter().map(|l| l.seq).collect();
        let shipments = t.partner_moves.iter().filter(|m| &*m.kind == "ship").count();
        shape = (t.units.len(), runs.len(), shipments);
    }
    println!(
        "forward trace of a salt lot (SQL): {} units, {} production runs, {} shipments; p50 {:.1} ms, p99 {:.1} ms over {} traces (target p99 <= 100 ms)",
        shape.0,
        shape.1,
        shape.2,
        percentile(&mut times.clone(), 0.5),
        percentile(&mut times, 0.99),
        times.len()
    );
    if args.index {
        // The server's optional in-memory genealogy index, built on the first trace.
        let indexed = SqliteStore::open(&db, SqliteOptions { genealogy_index: true, ..SqliteOptions::default() })?;
        let start = Instant::now();
        let before = anon_mib();
        let lot = Unit { sku: salt.clone(), lot: Some(full[0].clone()), serial: None };
        let first = tracelot_reports::trace(&indexed, lot.clone(), Direction::Forward)?;
        println!("genealogy index: built in {:.1} s with the first trace", start.elapsed().as_secs_f64());
        if let (Some(b), Some(a)) = (before, anon_mib()) {
            println!("  anonymous memory: {b:.0} MiB before, {a:.0} MiB after the build (+{:.0} MiB)", a - b);
        }
        let plain = tracelot_reports::trace(&store, lot, Direction::Forward)?;
        println!(
            "  indexed and SQL traces are equal: {}",
            serde_json::to_value(&plain)? == serde_json::to_value(&first)?
        );
        let mut t = Vec::new();
        for i in 0..args.traces {
            let lot = full[i % full.len()].clone();
            let start = Instant::now();
            tracelot_reports::trace(
                &indexed,
                Unit { sku: salt.clone(), lot: Some(lot), serial: None },
                Direction::Forward,
            )?;
            t.push(start.elapsed());
        }
        println!(
            "  forward trace with the index: p50 {:.1} ms, p99 {:.1} ms over {} traces",
            percentile(&mut t.clone(), 0.5),
            percentile(&mut t, 0.99),
            args.traces
        );
    }
    let device = Sku::parse("DEVICE").map_err(|e| anyhow::anyhow!("{e}"))?;
    let devices = size.movements / 200 + 1;
    let mut rng: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut times = Vec::new();
    let mut rows = 0;
    for _ in 0..args.histories {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let serial = Serial::parse(&format!("DEV{:07}", rng % devices)).map_err(|e| anyhow::anyhow!("{e}"))?;
        let q = HistoryQuery { serial: Some(serial), ..HistoryQuery::of(device.clone()) };
        let start = Instant::now();
        rows += store.history(&q)?.len();
        times.push(start.elapsed());
    }
    println!(
        "serial history of a device: {:.1} movements each; p50 {:.2} ms, p99 {:.2} ms over {} serials (target p99 <= 5 ms)",
        rows as f64 / args.histories as f64,
        percentile(&mut times.clone(), 0.5),
        percentile(&mut times, 0.99),
        args.histories
    );
    Ok(())
}
