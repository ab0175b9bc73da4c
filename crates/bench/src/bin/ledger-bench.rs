//! Posts N movements (default 1,000,000), mixing lots and serials, through
//! the same store service the CLI uses, then writes the same ledger and
//! balance rows with a bare loop at the same batch size, and prints
//! movements per second for both, their ratio and the database sizes.
//!
//! `cargo run --release -p tracelot-bench --bin ledger-bench [-- --movements N]`
//! runs on SQLite; with `--postgres postgres://USER@HOST/DB` it runs on
//! PostgreSQL (fresh databases are created on that server and dropped), and
//! the baseline is a bare set-based (`unnest`) insert of the same rows.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use rusqlite::{Connection, params};
use tracelot_core::command::{Amount, Line, ReceiveLine, ReceiveUnits, Units};
use tracelot_core::item::Tracking;
use tracelot_core::{
    Command, ItemSpec, LocationKind, LocationPath, LotCode, LotDetails, PartnerCode, PlaceRef, Request, Serial, Sku,
    Transaction, UserName,
};
use tracelot_store::Store;
use tracelot_store_sqlite::{SqliteOptions, SqliteStore};

#[derive(Parser)]
struct Args {
    /// How many movements to post.
    #[arg(long, default_value_t = 1_000_000)]
    movements: usize,
    /// Client transactions per group commit (and per bare-loop commit).
    #[arg(long, default_value_t = 1000)]
    batch: usize,
    /// Alternating runs of both on fresh databases; the median ratio is the
    /// figure (this machine's speed drifts by a third between runs).
    #[arg(long, default_value_t = 3)]
    trials: usize,
    /// Run on PostgreSQL: a server URL whose user may create databases.
    #[arg(long)]
    postgres: Option<String>,
}

const BINS: usize = 20;
const CUSTOMERS: usize = 50;
const LOT_ITEMS: usize = 10;
const SERIAL_ITEMS: usize = 5;

/// One movement by the ids both databases share (master data is created in
/// the same order in both, so ids agree).
#[derive(Clone, Copy)]
struct Row {
    item: i64,
    lot: i64,
    serial: i64,
    from: i64,
    to: i64,
    from_internal: bool,
    to_internal: bool,
    qty: i64,
}

/// The workload: rounds of 8 transactions and 11 movements each.
/// Lot items: receive 100, transfer 40, ship 30 and 20. Serial items:
/// receive 4 serials, transfer one, ship two.
struct Workload {
    round: usize,
    user: UserName,
}

fn p(s: &str) -> anyhow::Result<PlaceRef> {
    PlaceRef::parse(s).map_err(|e| anyhow::anyhow!("{e}"))
}

fn bin(i: usize) -> String {
    format!("WH/BIN{:02}", i % BINS)
}

fn cust(i: usize) -> String {
    format!("CUST{:02}", i % CUSTOMERS)
}

impl Workload {
    fn lot_line(&self, item: usize, lot: &str, qty: u64) -> anyhow::Result<Line> {
        Ok(Line {
            sku: Sku::parse(&format!("LOT-ITEM-{item}")).map_err(|e| anyhow::anyhow!("{e}"))?,
            lot: Some(LotCode::parse(lot).map_err(|e| anyhow::anyhow!("{e}"))?),
            units: Units::Quantity(Amount::whole(qty)),
        })
    }

    fn serial_line(&self, item: usize, serials: Vec<Serial>) -> anyhow::Result<Line> {
        Ok(Line {
            sku: Sku::parse(&format!("SER-ITEM-{item}")).map_err(|e| anyhow::anyhow!("{e}"))?,
            lot: None,
            units: Units::Serials(serials),
        })
    }

    /// The next round's 8 requests.
    fn next_round(&mut self) -> anyhow::Result<Vec<Transaction>> {
        let r = self.round;
        self.round += 1;
        let (b, b2, c) = (bin(r), bin(r + 1), cust(r));
        let li = r % LOT_ITEMS;
        let lot = format!("L{}", r / 100);
        let si = r % SERIAL_ITEMS;
        let serials: Vec<Serial> = (0..4)
            .map(|k| Serial::parse(&format!("S{r:07}-{k}")))
            .collect::<Result<_, _>>()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let receive_lot = ReceiveLine {
            sku: Sku::parse(&format!("LOT-ITEM-{li}")).map_err(|e| anyhow::anyhow!("{e}"))?,
            lot: Some(LotCode::parse(&lot).map_err(|e| anyhow::anyhow!("{e}"))?),
            details: LotDetails::default(),
            status: None,
            units: ReceiveUnits::Quantity(Amount::whole(100)),
        };
        let receive_serials = ReceiveLine {
            sku: Sku::parse(&format!("SER-ITEM-{si}")).map_err(|e| anyhow::anyhow!("{e}"))?,
            lot: None,
            details: LotDetails::default(),
            status: None,
            units: ReceiveUnits::Serials(serials.clone()),
        };
        let commands = vec![
            Command::Receive { from: Some(p("SUP")?), to: p(&b)?, lines: vec![receive_lot] },
            Command::Transfer { from: p(&b)?, to: p(&b2)?, lines: vec![self.lot_line(li, &lot, 40)?] },
            Command::Ship {
                from: p(&b)?,
                to: p(&c)?,
                lines: vec![self.lot_line(li, &lot, 30)?],
                allow_expired: false,
                allow_short_shelf_life: false,
            },
            Command::Ship {
                from: p(&b2)?,
                to: p(&c)?,
                lines: vec![self.lot_line(li, &lot, 20)?],
                allow_expired: false,
                allow_short_shelf_life: false,
            },
            Command::Receive { from: Some(p("SUP")?), to: p(&b)?, lines: vec![receive_serials] },
            Command::Transfer {
                from: p(&b)?,
                to: p(&b2)?,
                lines: vec![self.serial_line(si, vec![serials[0].clone()])?],
            },
            Command::Ship {
                from: p(&b)?,
                to: p(&c)?,
                lines: vec![self.serial_line(si, vec![serials[1].clone()])?],
                allow_expired: false,
                allow_short_shelf_life: false,
            },
            Command::Ship {
                from: p(&b2)?,
                to: p(&c)?,
                lines: vec![self.serial_line(si, vec![serials[0].clone()])?],
                allow_expired: false,
                allow_short_shelf_life: false,
            },
        ];
        Ok(commands.into_iter().map(|c| Transaction { request: Request::new(c), user: self.user.clone() }).collect())
    }
}

/// The same round as plain rows for the bare loop. Ids follow creation
/// order: items 1..=15, lots numbered as first received, serials in receipt order.
#[derive(Clone)]
struct BareIds {
    internal: Vec<i64>,
    customers: Vec<i64>,
    supplier: i64,
    lots: std::collections::HashMap<(usize, usize), i64>,
    next_lot: i64,
    next_serial: i64,
}

impl BareIds {
    fn round(&mut self, r: usize) -> Vec<Vec<Row>> {
        let (b, b2, c) = (self.internal[r % BINS], self.internal[(r + 1) % BINS], self.customers[r % CUSTOMERS]);
        let li = r % LOT_ITEMS;
        let lot_item = li as i64 + 1;
        let next = &mut self.next_lot;
        let lot = *self.lots.entry((li, r / 100)).or_insert_with(|| {
            *next += 1;
            *next
        });
        let ser_item = (LOT_ITEMS + r % SERIAL_ITEMS) as i64 + 1;
        let s0 = self.next_serial + 1;
        self.next_serial += 4;
        let mv = |item, lot, serial, from, to, fi, ti, qty| Row {
            item,
            lot,
            serial,
            from,
            to,
            from_internal: fi,
            to_internal: ti,
            qty,
        };
        vec![
            vec![mv(lot_item, lot, 0, self.supplier, b, false, true, 100)],
            vec![mv(lot_item, lot, 0, b, b2, true, true, 40)],
            vec![mv(lot_item, lot, 0, b, c, true, false, 30)],
            vec![mv(lot_item, lot, 0, b2, c, true, false, 20)],
            (0..4).map(|k| mv(ser_item, 0, s0 + k, self.supplier, b, false, true, 1)).collect(),
            vec![mv(ser_item, 0, s0, b, b2, true, true, 1)],
            vec![mv(ser_item, 0, s0 + 1, b, c, true, false, 1)],
            vec![mv(ser_item, 0, s0, b2, c, true, false, 1)],
        ]
    }
}

const MOVEMENTS_PER_ROUND: usize = 11;
const TXS_PER_ROUND: usize = 8;

fn setup_service(store: &dyn Store) -> anyhow::Result<UserName> {
    let user = UserName::parse("bench").map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut master = Vec::new();
    for i in 0..BINS {
        let path = LocationPath::parse(&bin(i)).map_err(|e| anyhow::anyhow!("{e}"))?;
        master.push(Command::DefineLocation { path, kind: LocationKind::Internal, time_zone: None });
    }
    master.push(Command::DefinePartner {
        code: PartnerCode::parse("SUP").map_err(|e| anyhow::anyhow!("{e}"))?,
        name: "SUP".into(),
        kind: LocationKind::Supplier,
        min_shelf_life_days: None,
    });
    for i in 0..CUSTOMERS {
        let code = PartnerCode::parse(&cust(i)).map_err(|e| anyhow::anyhow!("{e}"))?;
        master.push(Command::DefinePartner {
            code,
            name: cust(i),
            kind: LocationKind::Customer,
            min_shelf_life_days: None,
        });
    }
    let spec = |sku: String, tracking| -> anyhow::Result<ItemSpec> {
        Ok(ItemSpec::new(Sku::parse(&sku).map_err(|e| anyhow::anyhow!("{e}"))?, sku.clone(), tracking))
    };
    for i in 0..LOT_ITEMS {
        master.push(Command::DefineItem(spec(format!("LOT-ITEM-{i}"), Tracking::Lot)?));
    }
    for i in 0..SERIAL_ITEMS {
        master.push(Command::DefineItem(spec(format!("SER-ITEM-{i}"), Tracking::Serial)?));
    }
    for cmd in master {
        store.submit(Transaction { request: Request::new(cmd), user: user.clone() })?;
    }
    Ok(user)
}

/// Posts the workload through `store` in batches; the time spent posting
/// and the movements posted.
fn post_workload(store: &dyn Store, rounds: usize, batch_rounds: usize) -> anyhow::Result<(Duration, u64)> {
    let user = setup_service(store)?;
    let mut w = Workload { round: 0, user };
    let mut elapsed = Duration::ZERO;
    let mut moved = 0u64;
    let mut done = 0;
    while done < rounds {
        let n = batch_rounds.min(rounds - done);
        let mut txs = Vec::with_capacity(n * TXS_PER_ROUND);
        for _ in 0..n {
            txs.extend(w.next_round()?);
        }
        let t = Instant::now();
        let results = store.submit_batch(txs);
        elapsed += t.elapsed();
        for r in results {
            moved += r.context("a benchmark transaction was refused")?.movements;
        }
        done += n;
    }
    Ok((elapsed, moved))
}

fn run_service(path: &Path, rounds: usize, batch_rounds: usize) -> anyhow::Result<(Duration, u64, BareIds)> {
    let store = SqliteStore::init(path, SqliteOptions { max_batch: usize::MAX, ..SqliteOptions::default() })?;
    let (elapsed, moved) = post_workload(&store, rounds, batch_rounds)?;
    drop(store);
    // Location ids in the bare database must match: read them from the service's file.
    let conn = Connection::open(path)?;
    let id = |path: &str| -> anyhow::Result<i64> {
        Ok(conn.query_row("SELECT id FROM locations WHERE path = ?1", [path], |r| r.get(0))?)
    };
    let internal = (0..BINS).map(|i| id(&bin(i))).collect::<anyhow::Result<Vec<_>>>()?;
    let customers =
        (0..CUSTOMERS).map(|i| id(&format!("CUSTOMERS/{}", cust(i)))).collect::<anyhow::Result<Vec<_>>>()?;
    let supplier = id("SUPPLIERS/SUP")?;
    let ids = BareIds { internal, customers, supplier, lots: Default::default(), next_lot: 0, next_serial: 0 };
    Ok((elapsed, moved, ids))
}

const BARE_SCHEMA: &str = "
CREATE TABLE movements (
    tx_seq INTEGER NOT NULL, line INTEGER NOT NULL, item_id INTEGER NOT NULL, lot_id INTEGER NOT NULL,
    serial_id INTEGER NOT NULL, from_id INTEGER NOT NULL, to_id INTEGER NOT NULL,
    qty INTEGER NOT NULL CHECK (qty > 0), occurred_at INTEGER NOT NULL,
    PRIMARY KEY (tx_seq, line), CHECK (from_id <> to_id)
) WITHOUT ROWID;
CREATE INDEX movements_by_item_lot ON movements(item_id, lot_id, tx_seq);
CREATE INDEX movements_by_serial ON movements(serial_id, tx_seq) WHERE serial_id <> 0;
CREATE TABLE balances (
    item_id INTEGER NOT NULL, lot_id INTEGER NOT NULL, serial_id INTEGER NOT NULL, location_id INTEGER NOT NULL,
    internal INTEGER NOT NULL, qty INTEGER NOT NULL,
    PRIMARY KEY (item_id, lot_id, serial_id, location_id),
    CHECK (internal = 0 OR qty >= 0), CHECK (serial_id = 0 OR qty BETWEEN -1 AND 1)
) WITHOUT ROWID;
CREATE UNIQUE INDEX serial_in_one_place ON balances(item_id, serial_id) WHERE serial_id <> 0 AND qty > 0;
CREATE INDEX balances_by_location ON balances(location_id);
";

/// The baseline: the same movement and balance rows, same indexes and
/// constraints, same durability, written by a plain loop of prepared
/// statements, one commit per the same number of client transactions.
/// Which rows a bare loop writes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rows {
    /// One movement row and two balance changes per movement: the baseline
    /// of the target.
    Ledger,
    /// Every row the service writes (transaction headers with their request
    /// JSON, serial rows, movements, balances) into tracelot's own schema,
    /// without the service's rules, hashing or queue: what the service's
    /// logic costs on top of its writes.
    All,
}

/// The schema of the `All` loop: tracelot's own migration.
const TRACELOT_SCHEMA: &str = include_str!("../../../store-sqlite/migrations/0001_ledger.sql");

fn run_bare(
    path: &Path,
    rounds: usize,
    batch_rounds: usize,
    mut ids: BareIds,
    rows: Rows,
) -> anyhow::Result<(Duration, u64)> {
    let conn = Connection::open(path)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if mode != "wal" {
        bail!("bare database is not in WAL mode");
    }
    conn.execute_batch(
        "PRAGMA foreign_keys = OFF; PRAGMA synchronous = FULL; PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 8192; PRAGMA mmap_size = 1073741824;",
    )?;
    conn.execute_batch(if rows == Rows::All { TRACELOT_SCHEMA } else { BARE_SCHEMA })?;
    // The same requests the service got, for the header rows' JSON.
    let mut requests = Workload { round: 0, user: UserName::parse("bench").map_err(|e| anyhow::anyhow!("{e}"))? };
    let mut elapsed = Duration::ZERO;
    let mut moved = 0u64;
    let mut seq = 0i64;
    let mut done = 0;
    while done < rounds {
        let n = batch_rounds.min(rounds - done);
        let txs: Vec<Vec<Row>> = (done..done + n).flat_map(|r| ids.round(r)).collect();
        let mut headers: Vec<(String, [u8; 16], &'static str, String)> = Vec::new();
        if rows == Rows::All {
            for _ in 0..n {
                for t in requests.next_round()? {
                    let r = &t.request;
                    headers.push((r.canonical_json(), *r.id.as_bytes(), r.command.kind(), t.user.to_string()));
                }
            }
        }
        let t = Instant::now();
        conn.execute_batch("BEGIN IMMEDIATE")?;
        {
            let mut insert = conn.prepare_cached(
                "INSERT INTO movements (tx_seq, line, item_id, lot_id, serial_id, from_id, to_id, qty, occurred_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            let mut dec = conn.prepare_cached(
                "UPDATE balances SET qty = qty - ?5 WHERE item_id = ?1 AND lot_id = ?2 AND serial_id = ?3 AND location_id = ?4",
            )?;
            let mut upsert = conn.prepare_cached(
                "INSERT INTO balances (item_id, lot_id, serial_id, location_id, internal, qty) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (item_id, lot_id, serial_id, location_id) DO UPDATE SET qty = qty + excluded.qty",
            )?;
            let mut header = conn.prepare_cached(
                if rows == Rows::All {
                    "INSERT INTO transactions (seq, id, kind, request, occurred_at, recorded_at, user_name, movement_count, hash)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7, zeroblob(32))"
                } else {
                    "SELECT 1"
                },
            )?;
            let mut serial_row = conn.prepare_cached(if rows == Rows::All {
                "INSERT INTO serials (id, item_id, serial, created_seq) VALUES (?1, ?2, 'S' || ?1, ?3)"
            } else {
                "SELECT 1"
            })?;
            let now = 1_700_000_000_000_000i64;
            for (i, tx) in txs.iter().enumerate() {
                seq += 1;
                if let Some((request, id, kind, user)) = headers.get(i) {
                    header.execute(params![seq, &id[..], kind, request, now, user, tx.len() as i64])?;
                    for m in tx.iter().filter(|m| m.from == ids.supplier && m.serial != 0) {
                        serial_row.execute(params![m.serial, m.item, seq])?;
                    }
                }
                for (line, m) in tx.iter().enumerate() {
                    insert.execute(params![seq, line as i64, m.item, m.lot, m.serial, m.from, m.to, m.qty, now])?;
                    if dec.execute(params![m.item, m.lot, m.serial, m.from, m.qty])? == 0 {
                        upsert.execute(params![m.item, m.lot, m.serial, m.from, m.from_internal, -m.qty])?;
                    }
                    upsert.execute(params![m.item, m.lot, m.serial, m.to, m.to_internal, m.qty])?;
                    moved += 1;
                }
            }
        }
        conn.execute_batch("COMMIT")?;
        elapsed += t.elapsed();
        done += n;
    }
    Ok((elapsed, moved))
}

/// One trial's figures.
struct Trial {
    service_rate: f64,
    bare_rate: f64,
    all_rate: f64,
    service_size: u64,
    bare_size: u64,
}

fn trial(args: &Args, rounds: usize, batch_rounds: usize, last: bool) -> anyhow::Result<Trial> {
    if let Some(server) = &args.postgres {
        return on_postgres::trial(server, rounds, batch_rounds, last);
    }
    let dir = tempfile::tempdir()?;
    let service_db = dir.path().join("service.db");
    let bare_db = dir.path().join("bare.db");
    let (service_time, service_moves, ids) = run_service(&service_db, rounds, batch_rounds)?;
    let all_ids = ids.clone();
    let (bare_time, bare_moves) = run_bare(&bare_db, rounds, batch_rounds, ids, Rows::Ledger)?;
    let all_db = dir.path().join("bare-all.db");
    let (all_time, all_moves) = run_bare(&all_db, rounds, batch_rounds, all_ids, Rows::All)?;
    let t = Trial {
        service_rate: service_moves as f64 / service_time.as_secs_f64(),
        bare_rate: bare_moves as f64 / bare_time.as_secs_f64(),
        all_rate: all_moves as f64 / all_time.as_secs_f64(),
        service_size: tracelot_bench::sqlite_size(&service_db),
        bare_size: tracelot_bench::sqlite_size(&bare_db),
    };
    print_trial(&t, rounds, service_time, bare_time, all_time);
    if last && args.trials > 0 {
        verify_service(&SqliteStore::open(&service_db, SqliteOptions::default())?)?;
    }
    Ok(t)
}

/// Verifies the service's ledger after the last trial and prints how long it took.
fn verify_service(store: &dyn Store) -> anyhow::Result<()> {
    let started = Instant::now();
    let report = store.verify()?;
    println!(
        "verify after the last trial: {} ({} transactions, {} movements) in {:.1} s",
        if report.is_ok() { "OK" } else { "MISMATCH" },
        report.transactions,
        report.movements,
        started.elapsed().as_secs_f64()
    );
    if !report.is_ok() {
        bail!("verify failed: {:?}", report.problems.first());
    }
    Ok(())
}

#[path = "ledger-bench/on_postgres.rs"]
mod on_postgres;

fn print_trial(t: &Trial, rounds: usize, service_time: Duration, bare_time: Duration, all_time: Duration) {
    println!(
        "  service {:>6.0}/s ({:.2} s, {:.0} transactions/s) | bare {:>6.0}/s ({:.2} s) ratio {:.2} | bare, all rows {:>6.0}/s ({:.2} s) ratio {:.2}",
        t.service_rate,
        service_time.as_secs_f64(),
        (rounds * TXS_PER_ROUND) as f64 / service_time.as_secs_f64(),
        t.bare_rate,
        bare_time.as_secs_f64(),
        t.service_rate / t.bare_rate,
        t.all_rate,
        all_time.as_secs_f64(),
        t.service_rate / t.all_rate
    );
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let rounds = args.movements.div_ceil(MOVEMENTS_PER_ROUND);
    let batch_rounds = (args.batch / TXS_PER_ROUND).max(1);
    println!(
        "ledger-bench: {} movements in {} transactions ({} per group commit), lots and serials mixed, {} trials",
        rounds * MOVEMENTS_PER_ROUND,
        rounds * TXS_PER_ROUND,
        batch_rounds * TXS_PER_ROUND,
        args.trials
    );
    if args.postgres.is_some() {
        println!("service = PgStore::submit_batch (the CLI's and server's write path) on PostgreSQL");
        println!(
            "bare = one set-based (unnest) insert of the batch's movement rows and one of its balance changes per commit, same constraints (the target's baseline)"
        );
        println!(
            "bare, all rows = the same plus transaction headers with their requests and serial rows, set-based, into tracelot's schema"
        );
    } else {
        println!("service = SqliteStore::submit_batch (the CLI's write path)");
        println!(
            "bare = rusqlite loop writing one movement row and two balance changes per movement (the target's baseline)"
        );
        println!(
            "bare, all rows = rusqlite loop writing every row the service writes (headers with requests, serials too) into tracelot's schema"
        );
    }
    let mut trials = Vec::new();
    for i in 0..args.trials.max(1) {
        trials.push(trial(&args, rounds, batch_rounds, i + 1 == args.trials.max(1))?);
    }
    let last = trials.last().context("no trial ran")?;
    println!(
        "median: service {:.0} movements/s, bare {:.0} movements/s, ratio {:.2} (target >= 0.50); bare with all rows {:.0} movements/s, ratio {:.2}",
        median(trials.iter().map(|t| t.service_rate).collect()),
        median(trials.iter().map(|t| t.bare_rate).collect()),
        median(trials.iter().map(|t| t.service_rate / t.bare_rate).collect()),
        median(trials.iter().map(|t| t.all_rate).collect()),
        median(trials.iter().map(|t| t.service_rate / t.all_rate).collect())
    );
    println!(
        "database size: service {} (transactions with their requests, movements, balances, serials, hash chain); bare {} (movements and balances only)",
        tracelot_bench::mib(last.service_size),
        tracelot_bench::mib(last.bare_size)
    );
    Ok(())
}
