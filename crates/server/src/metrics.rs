//! `/metrics` in the Prometheus text format: request counts and latencies
//! per route, the writer's queue depth and commit sizes, and ledger rows.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tracelot_store::{LedgerSize, WriterStats};

use crate::App;

/// Latency bucket bounds, in seconds.
const LATENCY_BUCKETS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

#[derive(Debug, Default)]
struct Latency {
    buckets: [u64; LATENCY_BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// Counters of one method on one route.
#[derive(Debug, Default)]
struct RouteStats {
    method: String,
    latency: Latency,
    /// (status, count), few per route.
    statuses: Vec<(u16, u64)>,
}

/// Request counters, updated by the [`track`] middleware. Keyed by route
/// so that the per-request update finds its entry without allocating.
#[derive(Debug, Default)]
pub struct HttpMetrics {
    routes: Mutex<HashMap<String, Vec<RouteStats>>>,
}

impl HttpMetrics {
    fn record(&self, method: &str, route: &str, status: u16, took: Duration) {
        let Ok(mut routes) = self.routes.lock() else { return };
        if !routes.contains_key(route) {
            routes.insert(route.to_owned(), Vec::new());
        }
        let Some(list) = routes.get_mut(route) else { return };
        if !list.iter().any(|r| r.method == method) {
            list.push(RouteStats { method: method.to_owned(), ..Default::default() });
        }
        let Some(r) = list.iter_mut().find(|r| r.method == method) else { return };
        match r.statuses.iter_mut().find(|(s, _)| *s == status) {
            Some((_, n)) => *n = n.saturating_add(1),
            None => r.statuses.push((status, 1)),
        }
        let l = &mut r.latency;
        let secs = took.as_secs_f64();
        l.count = l.count.saturating_add(1);
        l.sum += secs;
        let bucket = LATENCY_BUCKETS.iter().position(|b| secs <= *b).and_then(|i| l.buckets.get_mut(i));
        if let Some(n) = bucket {
            *n = n.saturating_add(1);
        }
    }

    /// The Prometheus text exposition of everything.
    pub fn render(&self, writer: &WriterStats, ledger: Option<LedgerSize>) -> String {
        let mut s = String::new();
        let esc = |v: &str| v.replace('\\', "\\\\").replace('"', "\\\"");
        if let Ok(routes) = self.routes.lock() {
            let mut requests = BTreeMap::new();
            let mut latency = BTreeMap::new();
            for (route, list) in routes.iter() {
                for stats in list {
                    for (status, n) in &stats.statuses {
                        requests.insert((stats.method.as_str(), route.as_str(), *status), *n);
                    }
                    latency.insert((stats.method.as_str(), route.as_str()), &stats.latency);
                }
            }
            s.push_str("# HELP tracelot_http_requests_total HTTP requests by method, route and status.\n");
            s.push_str("# TYPE tracelot_http_requests_total counter\n");
            for ((m, r, st), n) in &requests {
                let _ = writeln!(
                    s,
                    "tracelot_http_requests_total{{method=\"{m}\",route=\"{}\",status=\"{st}\"}} {n}",
                    esc(r)
                );
            }
            s.push_str("# HELP tracelot_http_request_duration_seconds Time from request to response.\n");
            s.push_str("# TYPE tracelot_http_request_duration_seconds histogram\n");
            for ((m, r), l) in &latency {
                let labels = format!("method=\"{m}\",route=\"{}\"", esc(r));
                let mut cumulative = 0;
                for (b, n) in LATENCY_BUCKETS.iter().zip(l.buckets) {
                    cumulative = n.saturating_add(cumulative);
                    let _ = writeln!(
                        s,
                        "tracelot_http_request_duration_seconds_bucket{{{labels},le=\"{b}\"}} {cumulative}"
                    );
                }
                let _ =
                    writeln!(s, "tracelot_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}", l.count);
                let _ = writeln!(s, "tracelot_http_request_duration_seconds_sum{{{labels}}} {}", l.sum);
                let _ = writeln!(s, "tracelot_http_request_duration_seconds_count{{{labels}}} {}", l.count);
            }
        }
        s.push_str("# HELP tracelot_writer_queue_depth Transactions waiting for the single writer.\n");
        s.push_str("# TYPE tracelot_writer_queue_depth gauge\n");
        let _ = writeln!(s, "tracelot_writer_queue_depth {}", writer.queue_depth);
        s.push_str("# HELP tracelot_commit_batch_size Client transactions per database commit (group commit).\n");
        s.push_str("# TYPE tracelot_commit_batch_size histogram\n");
        for (le, n) in &writer.batch_size_buckets {
            let _ = writeln!(s, "tracelot_commit_batch_size_bucket{{le=\"{le}\"}} {n}");
        }
        let _ = writeln!(s, "tracelot_commit_batch_size_bucket{{le=\"+Inf\"}} {}", writer.commits);
        let _ = writeln!(s, "tracelot_commit_batch_size_sum {}", writer.committed_transactions);
        let _ = writeln!(s, "tracelot_commit_batch_size_count {}", writer.commits);
        s.push_str("# HELP tracelot_writer_redone_batches Batches the database refused and the writer redid one transaction at a time.\n");
        s.push_str("# TYPE tracelot_writer_redone_batches counter\n");
        let _ = writeln!(s, "tracelot_writer_redone_batches {}", writer.redone_batches);
        if let Some(l) = ledger {
            s.push_str("# HELP tracelot_ledger_rows Rows in the ledger, by table.\n");
            s.push_str("# TYPE tracelot_ledger_rows gauge\n");
            let _ = writeln!(s, "tracelot_ledger_rows{{table=\"transactions\"}} {}", l.transactions);
            let _ = writeln!(s, "tracelot_ledger_rows{{table=\"movements\"}} {}", l.movements);
            let _ = writeln!(s, "tracelot_ledger_rows{{table=\"balances\"}} {}", l.balances);
        }
        s
    }
}

/// Middleware: times every request and logs it.
pub async fn track(State(app): State<App>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let route = req.extensions().get::<MatchedPath>().cloned();
    let resp = next.run(req).await;
    let took = start.elapsed();
    let status = resp.status().as_u16();
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    let method = method.as_str();
    app.http.record(method, route, status, took);
    tracing::info!(method, route, status, micros = took.as_micros() as u64, "request");
    resp
}
