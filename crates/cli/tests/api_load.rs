//! The API under concurrent load: many clients share the single writer's
//! group commit, every invariant holds afterwards, and a SIGTERM loses no
//! acknowledged write.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use support::{Server, tracelot_ok};

/// A small deterministic generator, so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

const PLACES: [&str; 2] = ["WH/A", "WH/B"];

/// One random command as (path, body); about half can be refused by the
/// state the other clients leave behind.
fn random_command(rng: &mut Rng, client: usize, n: usize, mine: &[String]) -> (&'static str, Value) {
    let lot = format!("L{}", rng.below(6));
    let qty = (1 + rng.below(40)).to_string();
    let sauce = |q: &str| json!([{"sku": "SAUCE", "lot": lot, "units": {"quantity": q}}]);
    match rng.below(10) {
        0..=2 => ("/api/v1/receipts", json!({"from": "S1", "to": rng.pick(&PLACES), "lines": sauce(&qty)})),
        3 => {
            let own = format!("P{client}-{}", n % 40);
            (
                "/api/v1/receipts",
                json!({"to": rng.pick(&PLACES), "lines": [{"sku": "PHONE", "units": {"serials": [own]}}]}),
            )
        }
        4 => {
            let (from, to) = if rng.below(2) == 0 { ("WH/A", "WH/B") } else { ("WH/B", "WH/A") };
            ("/api/v1/transfers", json!({"from": from, "to": to, "lines": sauce(&qty)}))
        }
        5 => ("/api/v1/shipments", json!({"from": rng.pick(&PLACES), "to": "C1", "lines": sauce(&qty)})),
        6 => {
            let s = format!("P{}-{}", rng.below(32), rng.below(40));
            (
                "/api/v1/shipments",
                json!({"from": rng.pick(&PLACES), "to": "C1", "lines": [{"sku": "PHONE", "units": {"serials": [s]}}]}),
            )
        }
        7 => {
            let s = format!("P{}-{}", rng.below(32), rng.below(40));
            let (from, to) = if rng.below(2) == 0 { ("WH/A", "WH/B") } else { ("WH/B", "WH/A") };
            (
                "/api/v1/transactions",
                json!({"command": {"type": "transfer", "from": from, "to": to,
                "lines": [{"sku": "PHONE", "units": {"serials": [s]}}]}}),
            )
        }
        8 => (
            "/api/v1/adjustments",
            json!({"at": rng.pick(&PLACES), "direction": "out", "lines": sauce(&qty), "reason": "damaged"}),
        ),
        _ => match mine.get(rng.below(mine.len().max(1) as u64) as usize) {
            Some(id) => (
                "/api/v1/transactions",
                json!({"command": {"type": "reverse", "tx": id}, "reason": "entered in error"}),
            ),
            None => ("/api/v1/receipts", json!({"to": "WH/A", "lines": sauce("1")})),
        },
    }
}

/// Every row of a paged list.
fn all_pages(s: &Server, c: &reqwest::blocking::Client, path: &str) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = match &cursor {
            Some(cur) => format!("{path}{sep}limit=1000&cursor={cur}"),
            None => format!("{path}{sep}limit=1000"),
        };
        let (st, page) = s.get(c, &url, "viewer");
        assert_eq!(st, 200, "{page}");
        rows.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["next"].as_str() {
            Some(n) => cursor = Some(n.to_owned()),
            None => return rows,
        }
    }
}

#[test]
fn thirty_two_clients_send_twenty_thousand_random_commands_and_every_invariant_holds() {
    const CLIENTS: usize = 32;
    const TOTAL: usize = 20_000;
    let s = Arc::new(Server::start());
    s.standard();
    let setup = s.verify_ok()["transactions"].as_u64().expect("count");
    let statuses = Arc::new(Mutex::new(BTreeMap::<u16, usize>::new()));
    let handles: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let (s, statuses) = (s.clone(), statuses.clone());
            std::thread::spawn(move || {
                let c = Server::client();
                let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (client as u64 + 1).wrapping_mul(0x2545_F491_4F6C_DD1D));
                let mut mine: Vec<String> = Vec::new();
                let mut seen = BTreeMap::new();
                for n in 0..TOTAL / CLIENTS {
                    let (path, body) = random_command(&mut rng, client, n, &mine);
                    let (st, doc) = s.post(&c, path, "manager", &body);
                    assert!(st < 500, "{path} {body} → {st} {doc}");
                    assert!(matches!(st, 201 | 409 | 422), "{path} {body} → {st} {doc}");
                    if st == 201 && doc["kind"] != "reverse" {
                        mine.push(doc["id"].as_str().expect("id").to_owned());
                    }
                    *seen.entry(st).or_insert(0) += 1;
                }
                let mut all = statuses.lock().expect("lock");
                for (k, v) in seen {
                    *all.entry(k).or_insert(0) += v;
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("client thread");
    }
    let statuses = statuses.lock().expect("lock").clone();
    assert_eq!(statuses.values().sum::<usize>(), TOTAL);
    let acknowledged = statuses.get(&201).copied().unwrap_or(0) as u64;
    assert!(acknowledged > TOTAL as u64 / 4, "the mix should mostly post: {statuses:?}");

    // The ledger holds exactly the acknowledged transactions, and verifies.
    let report = s.verify_ok();
    assert_eq!(report["transactions"].as_u64(), Some(setup + acknowledged), "{statuses:?}");

    let c = Server::client();
    // Internal balances are never negative.
    for row in all_pages(&s, &c, "/api/v1/stock") {
        assert!(row["units"].as_i64() > Some(0), "{row}");
    }
    // Double entry: every lot's and every serial's balances sum to zero
    // across all places, virtual ones included.
    let mut sums: BTreeMap<String, i64> = BTreeMap::new();
    let mut holders: BTreeMap<String, usize> = BTreeMap::new();
    for row in all_pages(&s, &c, "/api/v1/stock?include_virtual=true") {
        let key = format!("{}|{}|{}", row["sku"], row["lot"], row["serial"]);
        *sums.entry(key.clone()).or_default() += row["units"].as_i64().expect("units");
        if row["serial"].is_string() && row["units"].as_i64() > Some(0) {
            *holders.entry(key).or_default() += 1;
        }
    }
    assert!(sums.values().all(|v| *v == 0), "{sums:?}");
    // A serial is in at most one place.
    assert!(holders.values().all(|n| *n == 1), "{holders:?}");
    // The writer group-committed: fewer commits than transactions.
    let metrics = s.req(&c, "GET", "/metrics", Some("viewer")).send().expect("metrics").text().expect("text");
    let value = |name: &str| -> f64 {
        metrics.lines().find_map(|l| l.strip_prefix(name)?.trim().parse().ok()).unwrap_or_else(|| panic!("{name}"))
    };
    let commits = value("tracelot_commit_batch_size_count");
    let txs = value("tracelot_commit_batch_size_sum");
    assert!(commits < txs, "{commits} commits for {txs} transactions");
}

#[test]
fn sigterm_finishes_in_flight_requests_and_loses_no_acknowledged_write() {
    let mut s = Server::start();
    s.standard();
    let s_ref = &s;
    let stop = AtomicBool::new(false);
    let acknowledged: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    std::thread::scope(|scope| {
        for client in 0..8u32 {
            let (stop, acknowledged) = (&stop, &acknowledged);
            scope.spawn(move || {
                let c = Server::client();
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let body = json!({"to": "WH/A", "lines": [{"sku": "SAUCE", "lot": format!("G{client}"), "units": {"quantity": "1"}}]});
                    let sent = s_ref.req(&c, "POST", "/api/v1/receipts", Some("operator")).json(&body).send();
                    let Ok(resp) = sent else { break };
                    let (st, doc) = support::status_json(resp);
                    if st == 201 {
                        acknowledged.lock().expect("lock").insert(doc["id"].as_str().expect("id").to_owned());
                    }
                    if n > 100_000 {
                        break;
                    }
                }
            });
        }
        std::thread::sleep(std::time::Duration::from_millis(700));
        s_ref.terminate();
    });
    stop.store(true, Ordering::Relaxed);
    assert!(s.stop(), "the server exits cleanly on SIGTERM");
    let acknowledged = acknowledged.into_inner().expect("lock");
    assert!(acknowledged.len() > 10, "the clients got answers before the stop");
    let history = tracelot_ok(&s.db, &["history", "SAUCE"]);
    let stored: BTreeSet<String> =
        history.as_array().expect("rows").iter().map(|r| r["tx_id"].as_str().expect("id").to_owned()).collect();
    let lost: Vec<&String> = acknowledged.difference(&stored).collect();
    assert!(lost.is_empty(), "{} acknowledged writes lost: {lost:?}", lost.len());
    s.verify_ok();
}
