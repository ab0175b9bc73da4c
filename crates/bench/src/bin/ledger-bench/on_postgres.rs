//! ledger-bench on PostgreSQL: the service is `PgStore::submit_batch`; the
//! baseline writes the same rows with set-based statements, one commit per
//! the same number of client transactions, into tables with the same
//! constraints. Every run gets fresh databases, dropped afterwards.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use postgres::{Client, NoTls};
use tracelot_core::UserName;
use tracelot_store_postgres::{PgOptions, PgStore};

use tracelot_bench::pg::{BALANCES, Database, TRACELOT_SCHEMA, pg};

use super::{BINS, BareIds, CUSTOMERS, Row, Rows, Trial, Workload, post_workload};

/// The baseline's tables: tracelot's movements and balances with the same
/// keys, indexes and constraints, without the rest of the schema.
const BARE_SCHEMA: &str = "
CREATE TABLE movements (
    tx_seq bigint NOT NULL, line bigint NOT NULL, item_id bigint NOT NULL, lot_id bigint NOT NULL,
    serial_id bigint NOT NULL, from_id bigint NOT NULL, to_id bigint NOT NULL,
    qty bigint NOT NULL CHECK (qty > 0), occurred_at bigint NOT NULL,
    PRIMARY KEY (tx_seq, line), CHECK (from_id <> to_id)
);
CREATE INDEX movements_by_item_lot ON movements(item_id, lot_id, tx_seq);
CREATE INDEX movements_by_serial ON movements(serial_id, tx_seq) WHERE serial_id <> 0;
CREATE TABLE balances (
    item_id bigint NOT NULL, lot_id bigint NOT NULL, serial_id bigint NOT NULL, location_id bigint NOT NULL,
    internal boolean NOT NULL, qty bigint NOT NULL,
    PRIMARY KEY (item_id, lot_id, serial_id, location_id),
    CHECK (NOT internal OR qty >= 0), CHECK (serial_id = 0 OR qty BETWEEN -1 AND 1),
    EXCLUDE USING btree (item_id WITH =, serial_id WITH =) WHERE (serial_id <> 0 AND qty > 0) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX balances_by_location ON balances(location_id);
";

/// Transaction header columns.
#[derive(Default)]
struct Headers {
    seq: Vec<i64>,
    id: Vec<Vec<u8>>,
    kind: Vec<&'static str>,
    request: Vec<String>,
    at: Vec<i64>,
    user: Vec<String>,
    count: Vec<i64>,
}

/// Net balance changes, column by column.
#[derive(Default)]
struct Changes {
    item: Vec<i64>,
    lot: Vec<i64>,
    serial: Vec<i64>,
    location: Vec<i64>,
    internal: Vec<bool>,
    qty: Vec<i64>,
}

fn run_bare(
    url: &str,
    rounds: usize,
    batch_rounds: usize,
    ids: BareIds,
    rows: Rows,
) -> anyhow::Result<(Duration, u64)> {
    bare_loop(url, rounds, batch_rounds, ids, rows).map_err(|e| match e.downcast::<postgres::Error>() {
        Ok(p) => pg(p),
        Err(other) => other,
    })
}

fn bare_loop(
    url: &str,
    rounds: usize,
    batch_rounds: usize,
    mut ids: BareIds,
    rows: Rows,
) -> anyhow::Result<(Duration, u64)> {
    let mut c = Client::connect(url, NoTls)?;
    c.batch_execute(if rows == Rows::All { TRACELOT_SCHEMA } else { BARE_SCHEMA })?;
    let movements = c.prepare(
        "INSERT INTO movements (tx_seq, line, item_id, lot_id, serial_id, from_id, to_id, qty, occurred_at)
         SELECT * FROM unnest($1::int8[], $2::int8[], $3::int8[], $4::int8[], $5::int8[], $6::int8[], $7::int8[],
           $8::int8[], $9::int8[])",
    )?;
    let balances = c.prepare(BALANCES)?;
    let all = rows == Rows::All;
    let headers = c.prepare(if !all { "SELECT 1" } else {
        "INSERT INTO transactions (seq, id, kind, request, occurred_at, recorded_at, user_name, movement_count, hash)
         SELECT s, i, k, r, o, o, u, n, '\\x0000000000000000000000000000000000000000000000000000000000000000'::bytea
         FROM unnest($1::int8[], $2::bytea[], $3::text[], $4::text[], $5::int8[], $6::text[], $7::int8[]) AS x(s, i, k, r, o, u, n)"
    })?;
    let serials = c.prepare(if !all { "SELECT 1" } else {
        "INSERT INTO serials (id, item_id, serial, created_seq) SELECT i, it, 'S' || i, s FROM unnest($1::int8[], $2::int8[], $3::int8[]) AS x(i, it, s)"
    })?;
    let mut requests = Workload { round: 0, user: UserName::parse("bench").map_err(|e| anyhow::anyhow!("{e}"))? };
    let now = 1_700_000_000_000_000i64;
    let (mut elapsed, mut moved, mut seq, mut done) = (Duration::ZERO, 0u64, 0i64, 0);
    while done < rounds {
        let n = batch_rounds.min(rounds - done);
        let txs: Vec<Vec<Row>> = (done..done + n).flat_map(|r| ids.round(r)).collect();
        let mut head = Headers::default();
        if all {
            for _ in 0..n {
                for t in requests.next_round()? {
                    head.id.push(t.request.id.as_bytes().to_vec());
                    head.kind.push(t.request.command.kind());
                    head.request.push(t.request.canonical_json());
                    head.user.push(t.user.to_string());
                }
            }
        }
        let t = Instant::now();
        let mut m: [Vec<i64>; 9] = Default::default();
        let mut net: HashMap<(i64, i64, i64, i64), (bool, i64)> = HashMap::new();
        let mut new_serials: (Vec<i64>, Vec<i64>, Vec<i64>) = Default::default();
        for tx in &txs {
            seq += 1;
            if all {
                head.seq.push(seq);
                head.at.push(now);
                head.count.push(tx.len() as i64);
                for r in tx.iter().filter(|r| r.from == ids.supplier && r.serial != 0) {
                    new_serials.0.push(r.serial);
                    new_serials.1.push(r.item);
                    new_serials.2.push(seq);
                }
            }
            for (line, r) in tx.iter().enumerate() {
                for (col, v) in m.iter_mut().zip([seq, line as i64, r.item, r.lot, r.serial, r.from, r.to, r.qty, now])
                {
                    col.push(v);
                }
                net.entry((r.item, r.lot, r.serial, r.from)).or_insert((r.from_internal, 0)).1 -= r.qty;
                net.entry((r.item, r.lot, r.serial, r.to)).or_insert((r.to_internal, 0)).1 += r.qty;
                moved += 1;
            }
        }
        let mut b = Changes::default();
        for ((i, l, s, loc), (internal, q)) in net {
            b.item.push(i);
            b.lot.push(l);
            b.serial.push(s);
            b.location.push(loc);
            b.internal.push(internal);
            b.qty.push(q);
        }
        let mut x = c.transaction()?;
        // As the service does: index probes for the batch's keys, never a
        // hash join over the whole balances table.
        x.batch_execute("SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off")?;
        if all {
            x.execute(&headers, &[&head.seq, &head.id, &head.kind, &head.request, &head.at, &head.user, &head.count])?;
            x.execute(&serials, &[&new_serials.0, &new_serials.1, &new_serials.2])?;
        }
        x.execute(&movements, &[&m[0], &m[1], &m[2], &m[3], &m[4], &m[5], &m[6], &m[7], &m[8]])?;
        x.execute(&balances, &[&b.item, &b.lot, &b.serial, &b.location, &b.internal, &b.qty])?;
        x.commit()?;
        elapsed += t.elapsed();
        done += n;
    }
    Ok((elapsed, moved))
}

/// One trial: the service, then both baselines, each on a fresh database.
pub fn trial(server: &str, rounds: usize, batch_rounds: usize, last: bool) -> anyhow::Result<Trial> {
    let service_db = Database::create(server, "service")?;
    let store = PgStore::init(&service_db.url, PgOptions { max_batch: usize::MAX, ..PgOptions::default() })?;
    let (service_time, service_moves) = post_workload(&store, rounds, batch_rounds)?;
    if last {
        super::verify_service(&store)?;
    }
    drop(store);
    let service_size = service_db.size()?;
    drop(service_db);
    // The bare tables have no references, so any distinct ids will do.
    let ids = BareIds {
        internal: (1..=BINS as i64).collect(),
        customers: (BINS as i64 + 1..=(BINS + CUSTOMERS) as i64).collect(),
        supplier: (BINS + CUSTOMERS) as i64 + 1,
        lots: Default::default(),
        next_lot: 0,
        next_serial: 0,
    };
    let bare_db = Database::create(server, "bare")?;
    let (bare_time, bare_moves) = run_bare(&bare_db.url, rounds, batch_rounds, ids.clone(), Rows::Ledger)?;
    let bare_size = bare_db.size()?;
    drop(bare_db);
    let all_db = Database::create(server, "all")?;
    let (all_time, all_moves) = run_bare(&all_db.url, rounds, batch_rounds, ids, Rows::All)?;
    drop(all_db);
    let t = Trial {
        service_rate: service_moves as f64 / service_time.as_secs_f64(),
        bare_rate: bare_moves as f64 / bare_time.as_secs_f64(),
        all_rate: all_moves as f64 / all_time.as_secs_f64(),
        service_size,
        bare_size,
    };
    super::print_trial(&t, rounds, service_time, bare_time, all_time);
    Ok(t)
}
