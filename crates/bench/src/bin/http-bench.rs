//! http-bench: single-movement transactions posted over HTTP by many
//! concurrent connections to a real `tracelot serve`, durably, with the
//! disk's bare fsync rate measured in the same run as the baseline.
//!
//! The load generator is a minimal HTTP/1.1 client on one thread, so that
//! the server keeps as much of the machine as possible.
//!
//! With `--postgres SERVER_URL` the server runs on a fresh PostgreSQL
//! database, and the baseline is a bare set-based insert of the same rows
//! (a transaction header, a movement and the balance changes per request)
//! in the same group sizes the server committed, on the same PostgreSQL.

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tracelot_bench::pg::{BALANCES, Database, TRACELOT_SCHEMA, pg};

/// Posts receipts of one unit over N keep-alive connections and reports
/// transactions per second with p50 and p99 latency.
#[derive(Parser, Debug)]
struct Args {
    /// The tracelot binary (default: the one next to this program).
    #[arg(long)]
    bin: Option<PathBuf>,
    /// Concurrent connections.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Seconds of measured load (after one second of warm-up).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Seconds of the fsync baseline.
    #[arg(long, default_value_t = 3)]
    fsync_seconds: u64,
    /// Where the database goes (the disk being measured).
    #[arg(long, default_value = "target/bench-data")]
    dir: PathBuf,
    /// Run on PostgreSQL: a server URL whose user may create databases.
    #[arg(long)]
    postgres: Option<String>,
}

fn tracelot(bin: &Path, db: &OsStr, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(bin).arg("--db").arg(db).args(args).env_remove("TRACELOT_DATABASE_URL").output()?;
    if !out.status.success() {
        bail!("tracelot {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// One keep-alive connection speaking just enough HTTP/1.1.
struct Conn {
    reader: BufReader<TcpStream>,
    request: Vec<u8>,
}

impl Conn {
    async fn open(addr: &str, token: &str, path: &str, body: &str) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes();
        Ok(Conn { reader: BufReader::new(stream), request })
    }

    /// Sends the request and returns the response status.
    async fn send(&mut self) -> anyhow::Result<u16> {
        self.reader.get_mut().write_all(&self.request).await?;
        let mut line = String::new();
        self.reader.read_line(&mut line).await?;
        let status: u16 = line.split(' ').nth(1).and_then(|s| s.parse().ok()).context("no status line")?;
        let mut length = 0usize;
        loop {
            line.clear();
            self.reader.read_line(&mut line).await?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse()?;
            }
        }
        let mut body = vec![0u8; length];
        self.reader.read_exact(&mut body).await?;
        Ok(status)
    }
}

struct Load {
    latencies_us: Vec<u32>,
    errors: u64,
    elapsed: Duration,
}

async fn load(addr: &str, token: &str, args: &Args) -> anyhow::Result<Load> {
    let body = r#"{"to":"WH/A","lines":[{"sku":"BULK","units":{"quantity":"1"}}]}"#;
    let warmup = Duration::from_secs(1);
    let start = Instant::now();
    let measure_from = start + warmup;
    let until = measure_from + Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    for _ in 0..args.connections {
        let mut conn = Conn::open(addr, token, "/api/v1/receipts", body).await?;
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(100_000);
            let mut errors = 0u64;
            loop {
                let t = Instant::now();
                if t >= until {
                    break;
                }
                let status = conn.send().await?;
                let done = Instant::now();
                if t >= measure_from {
                    if status == 201 {
                        lat.push((done - t).as_micros().min(u128::from(u32::MAX)) as u32);
                    } else {
                        errors += 1;
                    }
                }
            }
            anyhow::Ok((lat, errors))
        }));
    }
    let mut latencies_us = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (lat, e) = t.await??;
        latencies_us.extend(lat);
        errors += e;
    }
    Ok(Load { latencies_us, errors, elapsed: Duration::from_secs(args.seconds) })
}

/// Commits per second when every commit is one small write and one fsync.
fn fsync_rate(dir: &Path, seconds: u64) -> anyhow::Result<f64> {
    let path = dir.join("fsync-probe");
    let mut f = std::fs::OpenOptions::new().create(true).truncate(true).write(true).open(&path)?;
    let page = [7u8; 4096];
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < Duration::from_secs(seconds) {
        f.write_all(&page)?;
        f.sync_data()?;
        n += 1;
    }
    let rate = n as f64 / start.elapsed().as_secs_f64();
    std::fs::remove_file(&path)?;
    Ok(rate)
}

/// The server's throughput, latencies (sorted, µs) and group commits.
fn print_server(label: &str, tps: f64, lat: &[u32], errors: u64, per_commit: f64, commits: f64) {
    println!(
        "{label}: {tps:.0} transactions/s, p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms, {errors} non-201 answers",
        percentile(lat, 0.50),
        percentile(lat, 0.99),
        percentile(lat, 0.999),
        percentile(lat, 1.0),
    );
    println!(
        "group commit: {per_commit:.1} transactions per commit on average ({commits:.0} commits, including warm-up)"
    );
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
}

/// The baseline on PostgreSQL: `n` receipts of one unit, as the server
/// stores them (a transaction header with its request, one movement, the
/// balance changes), written with set-based statements in groups of
/// `group`, one commit per group, into tracelot's schema.
fn bare_receipts(url: &str, n: usize, group: usize) -> anyhow::Result<Duration> {
    let mut c = postgres::Client::connect(url, postgres::NoTls)?;
    c.batch_execute(TRACELOT_SCHEMA)?;
    let headers = c.prepare(
        "INSERT INTO transactions (seq, id, kind, request, occurred_at, recorded_at, user_name, movement_count, hash)
         SELECT s, i, 'receive', r, o, o, 'bench/tk_0', 1, h
         FROM unnest($1::int8[], $2::bytea[], $3::text[], $4::int8[], $5::bytea[]) AS x(s, i, r, o, h)",
    )?;
    let movements = c.prepare(
        "INSERT INTO movements (tx_seq, line, item_id, lot_id, serial_id, from_id, to_id, qty, occurred_at)
         SELECT s, 0, 1, 0, 0, 2, 3, 1, o FROM unnest($1::int8[], $2::int8[]) AS x(s, o)",
    )?;
    let balances = c.prepare(BALANCES)?;
    let request = r#"{"command":{"receive":{"to":"WH/A","lines":[{"sku":"BULK","units":{"quantity":"1"}}]}}}"#;
    let started = Instant::now();
    let mut seq = 0i64;
    while (seq as usize) < n {
        let k = group.min(n - seq as usize);
        let seqs: Vec<i64> = (seq + 1..=seq + k as i64).collect();
        let ids: Vec<Vec<u8>> = seqs.iter().map(|s| s.to_be_bytes().repeat(2)).collect();
        let requests: Vec<&str> = vec![request; k];
        let at: Vec<i64> = seqs.iter().map(|s| 1_700_000_000_000_000 + s).collect();
        let hashes: Vec<Vec<u8>> = seqs.iter().map(|s| s.to_be_bytes().repeat(4)).collect();
        let mut x = c.transaction()?;
        x.batch_execute("SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off")?;
        x.execute(&headers, &[&seqs, &ids, &requests, &at, &hashes])?;
        x.execute(&movements, &[&seqs, &at])?;
        let q = k as i64;
        x.execute(
            &balances,
            &[&vec![1i64, 1], &vec![0i64, 0], &vec![0i64, 0], &vec![2i64, 3], &vec![false, true], &vec![-q, q]],
        )?;
        x.commit()?;
        seq += k as i64;
    }
    Ok(started.elapsed())
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let _ = self.0.wait();
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let bin = match &args.bin {
        Some(b) => b.clone(),
        None => std::env::current_exe()?.with_file_name("tracelot"),
    };
    std::fs::create_dir_all(&args.dir)?;
    let dir = tempfile::tempdir_in(&args.dir)?;
    let pg_db = args.postgres.as_deref().map(|server| Database::create(server, "http")).transpose()?;
    let db = match &pg_db {
        Some(d) => d.url.clone().into(),
        None => dir.path().join("http-bench.db").into_os_string(),
    };
    let db = db.as_os_str();
    tracelot(&bin, db, &["init"])?;
    tracelot(&bin, db, &["location", "add", "WH/A", "--kind", "internal"])?;
    tracelot(&bin, db, &["item", "add", "BULK", "--name", "Bulk item", "--tracking", "none"])?;
    tracelot(&bin, db, &["user", "add", "bench", "--role", "operator"])?;
    let token = tracelot(&bin, db, &["token", "create", "bench"])?;

    let mut child = Command::new(&bin)
        .arg("--db")
        .arg(db)
        .args(["serve", "--listen", "127.0.0.1:0", "--log-level", "warn"])
        .env_remove("TRACELOT_DATABASE_URL")
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let stdout = child.stdout.take().context("server stdout")?;
    let server = Server(child);
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)?;
    let addr = line.trim().strip_prefix("listening on http://").context("server address")?.to_owned();

    println!(
        "http-bench: POST /api/v1/receipts (one movement each) over {} connections for {} s, server {}",
        args.connections,
        args.seconds,
        bin.display()
    );
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let result = rt.block_on(load(&addr, &token, &args))?;
    let metrics = rt.block_on(async {
        let mut s = TcpStream::connect(&addr).await?;
        let req = format!(
            "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
        );
        s.write_all(req.as_bytes()).await?;
        let mut text = String::new();
        s.read_to_string(&mut text).await?;
        anyhow::Ok(text)
    })?;
    drop(server);

    let mut lat = result.latencies_us;
    lat.sort_unstable();
    let tps = lat.len() as f64 / result.elapsed.as_secs_f64();
    let commits = metric(&metrics, "tracelot_commit_batch_size_count").unwrap_or(0.0);
    let batched = metric(&metrics, "tracelot_commit_batch_size_sum").unwrap_or(0.0);
    let per_commit = if commits > 0.0 { batched / commits } else { 0.0 };
    if let (Some(server), Some(service_db)) = (&args.postgres, pg_db) {
        drop(service_db);
        let n = lat.len();
        let bare = Database::create(server, "http_bare")?;
        let group = (per_commit.round() as usize).max(1);
        let elapsed = bare_receipts(&bare.url, n, group).map_err(|e| match e.downcast::<postgres::Error>() {
            Ok(p) => pg(p),
            Err(other) => other,
        })?;
        let bare_tps = n as f64 / elapsed.as_secs_f64();
        print_server("server on PostgreSQL", tps, &lat, result.errors, per_commit, commits);
        println!(
            "baseline: bare set-based insert of the same {n} transactions' rows (header with request, movement, balance changes) in groups of {group}, one commit each: {bare_tps:.0} transactions/s ({:.2} s)",
            elapsed.as_secs_f64()
        );
        println!("ratio: server / bare set-based insert = {:.2} (target >= 0.50)", tps / bare_tps);
        return Ok(());
    }
    let fsync = fsync_rate(dir.path(), args.fsync_seconds)?;
    print_server("server", tps, &lat, result.errors, per_commit, commits);
    println!("baseline: bare fsync {fsync:.0} commits/s (one 4 KiB write + fdatasync each, same disk)");
    println!(
        "ratio: server / bare fsync = {:.1}x (target >= 2x); targets: >= 20000 tx/s ({}), p99 <= 20 ms ({})",
        tps / fsync,
        if tps >= 20_000.0 { "met" } else { "NOT met" },
        if percentile(&lat, 0.99) <= 20.0 { "met" } else { "NOT met" }
    );
    Ok(())
}
