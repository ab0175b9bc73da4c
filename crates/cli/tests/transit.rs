//! Stock in transit is stock: it never goes below zero, and stock lists,
//! recalls and mass balances count it. Through the real binary.

mod support;

use support::Db;

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn transit_never_goes_negative_and_recalls_count_it() {
    let d = Db::new();
    for args in [
        vec!["location", "add", "A/BIN"],
        vec!["location", "add", "B/BIN"],
        vec!["location", "add", "TRANSIT/A-B", "--kind", "transit"],
        vec!["item", "add", "OIL", "--tracking", "lot", "--uom", "l"],
        vec!["receive", "OIL", "--to", "A/BIN", "--lot", "O1", "--qty", "100"],
    ] {
        d.ok(&args);
    }
    // Stock leaves transit only by arriving against its dispatch.
    let unload = ["transfer", "OIL", "--from", "TRANSIT/A-B", "--to", "B/BIN", "--lot", "O1", "--qty", "41"];
    d.refused(&unload, "transit_required");
    d.ok(&["transfer", "OIL", "--from", "A/BIN", "--to", "TRANSIT/A-B", "--lot", "O1", "--qty", "40"]);
    d.refused(&unload, "transit_required");
    let stock = d.ok(&["stock", "--item", "OIL"]);
    let at = |doc: &serde_json::Value, path: &str| -> Option<String> {
        doc.as_array()?.iter().find(|r| r["location"] == path).and_then(|r| r["quantity"].as_str().map(str::to_owned))
    };
    assert_eq!(at(&stock, "TRANSIT/A-B").as_deref(), Some("40"), "stock lists transit: {stock}");
    let report = d.ok(&["recall", "OIL", "O1", "--reason", "contaminated drum"]);
    assert_eq!(at(&report["on_hand"], "TRANSIT/A-B").as_deref(), Some("40"), "{}", report["on_hand"]);
    assert_eq!(at(&report["on_hand"], "A/BIN").as_deref(), Some("60"), "{}", report["on_hand"]);
    let text = std::process::Command::new(env!("CARGO_BIN_EXE_tracelot"))
        .args(["--db", d.db.to_str().expect("utf-8"), "recall", "OIL", "O1", "--report-only"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("on hand at TRANSIT/A-B: OIL O1 40 l"), "in the item's unit: {text}");
    let balance = d.ok(&["mass-balance", "OIL", "O1"]);
    assert_eq!((balance["on_hand_units"].as_i64(), balance["difference"].as_i64()), (Some(100), Some(0)), "{balance}");
    d.ok(&["verify"]);
}

/// A transfer between sites takes two steps: out to transit, then an
/// arrival that is checked against what the dispatch sent. More than was
/// sent is refused; less is written off from transit with a reason; a
/// dispatch arrives once.
#[test]
fn stock_between_sites_arrives_against_its_dispatch() {
    let d = Db::new();
    for args in [
        vec!["location", "add", "A/BIN"],
        vec!["location", "add", "B/BIN"],
        vec!["location", "add", "TRANSIT/A-B", "--kind", "transit"],
        vec!["item", "add", "OIL", "--tracking", "lot", "--uom", "l"],
        vec!["item", "add", "PHONE", "--tracking", "serial"],
        vec!["receive", "PHONE", "--to", "A/BIN", "--serial", "P1", "--serial", "P2"],
    ] {
        d.ok(&args);
    }
    let receipt = d.ok(&["receive", "OIL", "--to", "A/BIN", "--lot", "O1", "--qty", "100"]);
    let doc = d.refused(
        &["transfer", "OIL", "--from", "A/BIN", "--to", "B/BIN", "--lot", "O1", "--qty", "1"],
        "transit_required",
    );
    assert!(doc["detail"].as_str().unwrap_or("").contains("different sites"), "{doc}");
    let dispatch = d.ok(&["transfer", "OIL", "--from", "A/BIN", "--to", "TRANSIT/A-B", "--lot", "O1", "--qty", "40"]);
    let id = dispatch["id"].as_str().expect("id").to_owned();
    let arrive = |line: &str, extra: &[&str]| {
        let mut a = vec!["arrive".to_owned(), id.clone(), "--to".into(), "B/BIN".into(), "--line".into(), line.into()];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let doc = d.refused(&strs(&arrive("OIL:O1:41", &[])), "invalid_value");
    assert!(doc["detail"].as_str().unwrap_or("").contains("40 sent, 41 arriving"), "{doc}");
    d.refused(&strs(&arrive("OIL:O1:38", &[])), "reason_required");
    let posted = d.ok(&strs(&arrive("OIL:O1:38", &["--reason", "2 l spilled on the way"])));
    assert_eq!(posted["movements"], 2, "38 arrive, 2 are written off: {posted}");
    let stock = d.ok(&["stock", "--item", "OIL", "--all"]);
    let at = |path: &str| {
        stock.as_array().expect("rows").iter().find(|r| r["location"] == path).map(|r| r["quantity"].clone())
    };
    assert_eq!(at("B/BIN"), Some(serde_json::json!("38")), "{stock}");
    assert_eq!(at("TRANSIT/A-B"), None, "nothing is left in transit: {stock}");
    assert_eq!(at("ADJUSTMENT"), Some(serde_json::json!("2")), "{stock}");
    d.refused(&strs(&arrive("OIL:O1:1", &[])), "already_arrived");
    d.refused(&["reverse", &id, "--reason", "sent in error"], "not_reversible");
    d.refused(&["reverse", posted["id"].as_str().expect("id"), "--reason", "wrong"], "not_reversible");
    let receipt_id = receipt["id"].as_str().expect("id");
    d.refused(&["arrive", receipt_id, "--to", "B/BIN", "--line", "OIL:O1:1"], "invalid_value");
    // Units: one of two phones arrives; the other is written off by serial.
    let phones =
        d.ok(&["transfer", "PHONE", "--from", "A/BIN", "--to", "TRANSIT/A-B", "--serial", "P1", "--serial", "P2"]);
    let pid = phones["id"].as_str().expect("id");
    d.refused(&["arrive", pid, "--to", "B/BIN", "--line", "PHONE#P3"], "not_found");
    d.ok(&["arrive", pid, "--to", "B/BIN", "--line", "PHONE#P1", "--reason", "P2 missing from the carton"]);
    assert_eq!(d.ok(&["where", "PHONE", "P1"])["location"], "B/BIN");
    assert_eq!(d.ok(&["where", "PHONE", "P2"])["location"], "ADJUSTMENT");
    d.ok(&["verify"]);
}

#[test]
fn an_arrival_over_http() {
    let s = support::Server::start();
    let c = support::Server::client();
    s.standard();
    let setup = [("/api/v1/locations", serde_json::json!({"path": "TRANSIT/X", "kind": "transit"}))];
    for (path, body) in setup {
        assert_eq!(s.post(&c, path, "manager", &body).0, 201);
    }
    let receipt =
        serde_json::json!({"to": "WH/A", "lines": [{"sku": "SAUCE", "lot": "K1", "units": {"quantity": "5"}}]});
    assert_eq!(s.post(&c, "/api/v1/receipts", "operator", &receipt).0, 201);
    let out = serde_json::json!({"from": "WH/A", "to": "TRANSIT/X", "lines": [{"sku": "SAUCE", "lot": "K1", "units": {"quantity": "5"}}]});
    let (st, dispatch) = s.post(&c, "/api/v1/transfers", "operator", &out);
    assert_eq!(st, 201, "{dispatch}");
    let arrival = serde_json::json!({"dispatch": dispatch["id"], "to": "WH/B",
        "lines": [{"sku": "SAUCE", "lot": "K1", "units": {"quantity": "5"}}]});
    let (st, doc) = s.post(&c, "/api/v1/arrivals", "operator", &arrival);
    assert_eq!(st, 201, "{doc}");
    let (st, doc) =
        s.post(&c, "/api/v1/arrivals", "operator", &serde_json::json!({"dispatch": dispatch["id"], "to": "WH/B"}));
    assert_eq!((st, doc["code"].as_str()), (409, Some("already_arrived")), "{doc}");
    s.verify_ok();
}

/// A ledger upgraded from schema 5 keeps its history's rules: its older
/// transactions (here, every one before position 1000) were accepted under
/// them, and `verify` replays them so; a cross-site transfer and a lot
/// defined ahead with a made-up expiry replay as they were stored.
#[test]
fn an_upgraded_ledger_replays_under_the_rules_it_was_written_under() {
    let d = Db::new();
    let c = rusqlite::Connection::open(&d.db).expect("open");
    c.execute("UPDATE rules_from SET from_seq = 1000", []).expect("older rules");
    drop(c);
    for args in [
        vec!["location", "add", "A/BIN"],
        vec!["location", "add", "B/BIN"],
        vec!["item", "add", "SALT", "--tracking", "lot", "--shelf-life-days", "30"],
        vec!["receive", "SALT", "--to", "A/BIN", "--lot", "L1", "--qty", "5"],
        vec!["transfer", "SALT", "--from", "A/BIN", "--to", "B/BIN", "--lot", "L1", "--qty", "2"],
        vec!["lot", "add", "SALT", "L2"],
    ] {
        d.ok(&args);
    }
    assert!(d.ok(&["lot", "show", "SALT", "L2"])["expires_on"].is_string(), "the old rule dated a lot defined ahead");
    d.ok(&["verify"]);
}
