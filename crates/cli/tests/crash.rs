//! A loaded server killed with SIGKILL, five times on each backend, loses
//! no acknowledged write: every transaction a client saw answered 201 is
//! in the ledger afterwards (posting it again replays it), and the ledger
//! verifies.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use support::Server;
use tracelot_store_postgres::testing::TestDb;

const KILLS: usize = 5;
const CLIENTS: usize = 8;

fn receipt(id: &str) -> serde_json::Value {
    json!({"id": id, "from": "S1", "to": "WH/A", "lines": [{"sku": "SAUCE", "lot": "L1", "units": {"quantity": "1"}}]})
}

/// Posts receipts from many clients until the server dies; the ids that
/// were acknowledged.
fn load_until_killed(s: &mut Server, round: usize) -> Vec<String> {
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let dead = Arc::new(AtomicBool::new(false));
    let base = s.base.clone();
    let token = s.token("operator").to_owned();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let (acknowledged, dead, base, token) = (acknowledged.clone(), dead.clone(), base.clone(), token.clone());
            std::thread::spawn(move || {
                let http = Server::client();
                for n in 0.. {
                    if dead.load(Ordering::Relaxed) {
                        break;
                    }
                    let id = format!("0193{round:02x}{client:02x}-0000-7000-8000-{n:012x}");
                    let answer = http
                        .post(format!("{base}/api/v1/receipts"))
                        .bearer_auth(&token)
                        .json(&receipt(&id))
                        .timeout(Duration::from_secs(10))
                        .send();
                    match answer {
                        Ok(r) if r.status().as_u16() == 201 => acknowledged.lock().expect("lock").push(id),
                        Ok(r) => panic!("an ordinary receipt got {}", r.status()),
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(400));
    s.kill();
    dead.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().expect("client");
    }
    acknowledged.lock().expect("lock").clone()
}

fn no_acknowledged_write_is_lost(mut s: Server) {
    s.standard();
    let mut acknowledged = Vec::new();
    for round in 0..KILLS {
        let ids = load_until_killed(&mut s, round);
        assert!(!ids.is_empty(), "round {round}: the load reached the server");
        acknowledged.extend(ids);
        s.spawn(&[]);
    }
    let http = Server::client();
    for id in &acknowledged {
        let again = s.req(&http, "POST", "/api/v1/receipts", Some("operator")).json(&receipt(id)).send().expect("send");
        let replayed = again.headers().get("idempotent-replayed").and_then(|v| v.to_str().ok()) == Some("true");
        assert_eq!(again.status().as_u16(), 201, "{id}");
        assert!(replayed, "acknowledged {id} was lost: posting it again wrote it anew");
    }
    s.verify_ok();
    eprintln!("{} acknowledged writes over {KILLS} kills, none lost", acknowledged.len());
}

#[test]
fn sigkill_loses_no_acknowledged_write_on_sqlite() {
    no_acknowledged_write_is_lost(Server::start());
}

#[test]
fn sigkill_loses_no_acknowledged_write_on_postgresql() {
    let Some(pg) = TestDb::create() else { return };
    no_acknowledged_write_is_lost(Server::start_on(tempfile::tempdir().expect("tempdir"), pg.url().into(), &[]));
}
