//! Production, assemblies, trace, recall, mass balance, FEFO and warranty,
//! through the real `tracelot` binary on a temporary database.

mod support;

use std::collections::BTreeMap;

use serde_json::{Value, json};
use support::Db;

fn today_plus(days: i64) -> String {
    let d = jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    d.checked_add(jiff::Span::new().days(days)).expect("date").to_string()
}

/// Tomatoes into sauce, sauce into ketchup, ketchup to customers.
fn ketchup_plant(d: &Db) {
    for args in [
        vec!["location", "add", "PLANT"],
        vec!["partner", "add", "FARM", "--kind", "supplier"],
        vec!["partner", "add", "SHOP1", "--kind", "customer"],
        vec!["partner", "add", "SHOP2", "--kind", "customer"],
        vec!["partner", "add", "SHOP3", "--kind", "customer"],
        vec!["item", "add", "TOMATO", "--tracking", "lot", "--uom", "kg", "--scale", "3"],
        vec!["item", "add", "SAUCE", "--tracking", "lot", "--uom", "kg", "--scale", "3", "--shelf-life-days", "90"],
        vec!["item", "add", "KETCHUP", "--tracking", "lot", "--shelf-life-days", "365"],
        vec!["receive", "TOMATO", "--from", "FARM", "--to", "PLANT", "--lot", "T1", "--qty", "1000"],
        vec!["receive", "TOMATO", "--from", "FARM", "--to", "PLANT", "--lot", "T2", "--qty", "500"],
        // S1 mixes both tomato lots; S2 is T2 only.
        vec![
            "produce",
            "--at",
            "PLANT",
            "--consume",
            "TOMATO:T1:400",
            "--consume",
            "TOMATO:T2:100",
            "--output",
            "SAUCE:S1:450.5",
            "--ref",
            "WO-1",
        ],
        vec!["produce", "--at", "PLANT", "--consume", "TOMATO:T2:300", "--output", "SAUCE:S2:280", "--ref", "WO-2"],
        vec![
            "produce",
            "--at",
            "PLANT",
            "--consume",
            "SAUCE:S1:200",
            "--output",
            "KETCHUP:K1:400",
            "--expires",
            &format!("KETCHUP:K1={}", today_plus(200)),
            "--ref",
            "WO-3",
        ],
        vec!["produce", "--at", "PLANT", "--consume", "SAUCE:S2:100", "--output", "KETCHUP:K2:200", "--ref", "WO-4"],
        vec!["ship", "KETCHUP", "--from", "PLANT", "--to", "SHOP1", "--lot", "K1", "--qty", "100", "--ref", "SO-1"],
        vec!["ship", "KETCHUP", "--from", "PLANT", "--to", "SHOP2", "--lot", "K1", "--qty", "50", "--ref", "SO-2"],
        vec!["ship", "KETCHUP", "--from", "PLANT", "--to", "SHOP1", "--lot", "K1", "--qty", "20", "--ref", "SO-4"],
        vec!["ship", "KETCHUP", "--from", "PLANT", "--to", "SHOP3", "--lot", "K2", "--qty", "70", "--ref", "SO-3"],
    ] {
        d.ok(&args);
    }
}

#[test]
fn a_multi_level_recall_names_exactly_the_affected_customers_and_blocks_shipments() {
    let d = Db::new();
    ketchup_plant(&d);
    let csv = d.path("recall.csv");
    let report =
        d.ok(&["recall", "TOMATO", "T1", "--reason", "pesticide residue", "--csv", csv.to_str().expect("utf-8")]);
    // Exactly SHOP1 (120) and SHOP2 (50) got ketchup made from T1; SHOP3's ketchup came from T2 only.
    let mut got: BTreeMap<String, i64> = BTreeMap::new();
    for c in report["customers"].as_array().expect("customers") {
        *got.entry(c["customer"].as_str().expect("customer").to_owned()).or_default() +=
            c["units"].as_i64().expect("units");
        assert_eq!(c["unit"]["sku"], "KETCHUP");
        assert_eq!(c["unit"]["lot"], "K1");
    }
    assert_eq!(got, BTreeMap::from([("CUSTOMERS/SHOP1".into(), 120), ("CUSTOMERS/SHOP2".into(), 50)]));
    let docs: Vec<&str> = report["customers"]
        .as_array()
        .expect("c")
        .iter()
        .flat_map(|c| c["documents"].as_array().expect("d"))
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(docs.len(), 3, "{docs:?}");
    assert!(docs.contains(&"SO-1") && docs.contains(&"SO-4") && docs.contains(&"SO-2"));
    // Stock of the lot and its products on hand, per location.
    let on_hand: BTreeMap<String, String> = report["on_hand"]
        .as_array()
        .expect("on hand")
        .iter()
        .map(|r| {
            (
                format!("{} {}", r["sku"].as_str().unwrap_or(""), r["lot"].as_str().unwrap_or("")),
                r["quantity"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(on_hand.get("TOMATO T1").map(String::as_str), Some("600.000"));
    assert_eq!(on_hand.get("SAUCE S1").map(String::as_str), Some("250.500"));
    assert_eq!(on_hand.get("KETCHUP K1").map(String::as_str), Some("230"));
    assert!(!on_hand.contains_key("KETCHUP K2") && !on_hand.contains_key("SAUCE S2"));
    // The CSV has one row per shipment and per on-hand balance.
    let text = std::fs::read_to_string(&csv).expect("csv");
    assert_eq!(text.lines().filter(|l| l.starts_with("shipment,")).count(), 3, "{text}");
    assert!(text.contains("shipment,CUSTOMERS/SHOP1,KETCHUP,K1,,100,100,"), "{text}");
    assert_eq!(text.lines().filter(|l| l.starts_with("on_hand,")).count(), 3, "{text}");

    // Further shipments of affected lots are blocked; quarantine and scrap are allowed.
    d.refused(&["ship", "KETCHUP", "--from", "PLANT", "--to", "SHOP3", "--lot", "K1", "--qty", "1"], "lot_recalled");
    d.refused(&["produce", "--at", "PLANT", "--consume", "SAUCE:S1:10", "--output", "KETCHUP:K9:20"], "lot_recalled");
    d.ok(&["transfer", "KETCHUP", "--from", "PLANT", "--to", "QUARANTINE", "--lot", "K1", "--qty", "30"]);
    d.ok(&["scrap", "SAUCE", "--at", "PLANT", "--lot", "S1", "--qty", "250.5"]);
    d.ok(&["ship", "KETCHUP", "--from", "PLANT", "--to", "SHOP3", "--lot", "K2", "--qty", "1"]);
    for (sku, lot) in [("TOMATO", "T1"), ("SAUCE", "S1"), ("KETCHUP", "K1")] {
        assert_eq!(d.ok(&["lot", "show", sku, lot])["status"], "recalled", "{sku} {lot}");
    }
    assert_eq!(d.ok(&["lot", "show", "KETCHUP", "K2"])["status"], "released");

    // Closing the recall is recorded too.
    d.ok(&["recall", "TOMATO", "T1", "--close", "destroyed", "--reason", "destroyed under supervision"]);
    let history = d.ok(&["lot", "show", "KETCHUP", "K1"])["status_history"].clone();
    let statuses: Vec<(&str, &str)> = history
        .as_array()
        .expect("history")
        .iter()
        .map(|h| (h["status"].as_str().unwrap_or(""), h["reason"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(
        statuses,
        [("released", ""), ("recalled", "pesticide residue"), ("rejected", "destroyed under supervision")]
    );

    // Every lot's mass balance closes, term by term.
    for (sku, lot) in
        [("TOMATO", "T1"), ("TOMATO", "T2"), ("SAUCE", "S1"), ("SAUCE", "S2"), ("KETCHUP", "K1"), ("KETCHUP", "K2")]
    {
        let b = d.ok(&["mass-balance", sku, lot]);
        assert_eq!(b["difference"], 0, "{sku} {lot}: {b}");
    }
    let b = d.ok(&["mass-balance", "KETCHUP", "K1"]);
    let term = |side: &str, name: &str| -> i64 {
        b[side]
            .as_array()
            .expect("terms")
            .iter()
            .find(|t| t["name"] == name)
            .map(|t| t["units"].as_i64().unwrap_or(0))
            .unwrap_or(-1)
    };
    assert_eq!(term("inputs", "produced"), 400);
    assert_eq!(term("outputs", "shipped"), 170);
    // Each term lists the movements behind it, with their documents.
    let shipped = b["outputs"].as_array().expect("terms").iter().find(|t| t["name"] == "shipped").expect("shipped");
    let docs: Vec<&str> =
        shipped["movements"].as_array().expect("movements").iter().filter_map(|m| m[1]["reference"].as_str()).collect();
    assert_eq!(docs, ["SO-1", "SO-2", "SO-4"]);
    assert_eq!(b["on_hand_units"], 230);
    d.ok(&["verify"]);
}

#[test]
fn traces_walk_both_ways_and_draw_themselves() {
    let d = Db::new();
    ketchup_plant(&d);
    let fwd = d.ok(&["trace", "forward", "TOMATO", "--lot", "T2"]);
    let units: Vec<String> = fwd["units"]
        .as_array()
        .expect("units")
        .iter()
        .map(|u| format!("{} {}", u["unit"]["sku"].as_str().unwrap_or(""), u["unit"]["lot"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(units.len(), 5, "{units:?}");
    for u in ["TOMATO T2", "SAUCE S1", "SAUCE S2", "KETCHUP K1", "KETCHUP K2"] {
        assert!(units.contains(&u.to_owned()), "{u} missing from {units:?}");
    }
    let back = d.ok(&["trace", "backward", "KETCHUP", "--lot", "K2"]);
    let links = back["links"].as_array().expect("links");
    assert_eq!(links.len(), 2);
    assert!(
        links
            .iter()
            .any(|l| l["input"]["lot"] == "T2" && l["output"]["lot"] == "S2" && l["input_quantity"] == "300.000")
    );
    let suppliers: Vec<&str> = back["partner_moves"]
        .as_array()
        .expect("moves")
        .iter()
        .filter(|m| m["partner_kind"] == "supplier")
        .filter_map(|m| m["partner"].as_str())
        .collect();
    assert_eq!(suppliers, ["SUPPLIERS/FARM"]);

    // The readable table, as a person sees it (no --json).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tracelot"))
        .args(["--db", d.db.to_str().expect("utf-8"), "trace", "forward", "TOMATO", "--lot", "T1"])
        .env_remove("TRACELOT_DATABASE_URL")
        .output()
        .expect("run");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.starts_with("trace forward from TOMATO lot T1: 3 units, 2 links"), "{table}");
    assert!(table.contains("\n    KETCHUP lot K1\n"), "depth shows as indentation: {table}");
    assert!(table.contains("to CUSTOMERS/SHOP2 50 (SO-2)"), "{table}");
    let dot = d.path("t.dot");
    d.ok(&["trace", "forward", "TOMATO", "--lot", "T1", "--format", "dot", "--out", dot.to_str().expect("utf-8")]);
    let dot = std::fs::read_to_string(dot).expect("dot");
    assert!(dot.starts_with("digraph trace {") && dot.contains("\"SAUCE lot S1\" -> \"KETCHUP lot K1\""), "{dot}");
    let svg_path = d.path("t.svg");
    d.ok(&["trace", "forward", "TOMATO", "--lot", "T1", "--format", "svg", "--out", svg_path.to_str().expect("utf-8")]);
    let svg = std::fs::read_to_string(svg_path).expect("svg");
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""), "{svg}");
    for label in ["TOMATO lot T1", "SAUCE lot S1", "KETCHUP lot K1", "CUSTOMERS/SHOP1", "CUSTOMERS/SHOP2"] {
        assert!(svg.contains(&format!(">{label}</text>")), "{label} not drawn");
    }
    assert_eq!(svg.matches("<rect").count(), 5);
    d.refused(&["trace", "forward", "TOMATO", "--lot", "NOPE"], "not_found");
}

#[test]
fn components_are_installed_removed_and_reinstalled_with_both_histories() {
    let d = Db::new();
    for args in [
        vec!["location", "add", "LINE"],
        vec!["partner", "add", "BUYER", "--kind", "customer"],
        vec!["item", "add", "LAPTOP", "--tracking", "serial", "--warranty-months", "12"],
        vec!["item", "add", "BATTERY", "--tracking", "lot_serial"],
        vec!["receive", "LAPTOP", "--to", "LINE", "--serial", "L1", "--serial", "L2"],
        vec!["receive", "BATTERY", "--to", "LINE", "--lot", "CELLS-7", "--serial", "B1", "--serial", "B2"],
    ] {
        d.ok(&args);
    }
    d.ok(&["assemble", "LAPTOP", "L1", "--install", "BATTERY#B1", "--from", "LINE", "--ref", "WO-10"]);
    assert_eq!(d.ok(&["where", "BATTERY", "B1"])["location"], "ASSEMBLIES");
    d.refused(&["assemble", "LAPTOP", "L2", "--install", "BATTERY#B1", "--from", "LINE"], "serial_not_there");
    d.refused(&["assemble", "LAPTOP", "L2", "--remove", "BATTERY#B2", "--to", "LINE"], "serial_not_there");
    // Replace B1 by B2 in one transaction; B1 goes to quarantine.
    d.ok(&[
        "assemble",
        "LAPTOP",
        "L1",
        "--remove",
        "BATTERY#B1",
        "--to",
        "QUARANTINE",
        "--install",
        "BATTERY#B2",
        "--from",
        "LINE",
        "--reason",
        "swollen cell",
    ]);
    assert_eq!(d.ok(&["where", "BATTERY", "B1"])["location"], "QUARANTINE");
    // B1 checked, released to stock, reinstalled into L2.
    d.ok(&["release", "BATTERY", "--from", "QUARANTINE", "--to", "LINE", "--serial", "B1", "--reason", "tested"]);
    d.ok(&["assemble", "LAPTOP", "L2", "--install", "BATTERY#B1", "--from", "LINE"]);

    let parent = d.ok(&["assembly", "LAPTOP", "L1"]);
    let events: Vec<(String, bool)> = parent
        .as_array()
        .expect("events")
        .iter()
        .map(|e| {
            (e["component"]["serial"].as_str().unwrap_or("").to_owned(), e["installed"].as_bool().unwrap_or(false))
        })
        .collect();
    assert_eq!(events, [("B1".into(), true), ("B1".into(), false), ("B2".into(), true)]);
    let component = d.ok(&["assembly", "BATTERY", "B1"]);
    let parents: Vec<(String, bool)> = component
        .as_array()
        .expect("events")
        .iter()
        .map(|e| (e["parent"]["serial"].as_str().unwrap_or("").to_owned(), e["installed"].as_bool().unwrap_or(false)))
        .collect();
    assert_eq!(parents, [("L1".into(), true), ("L1".into(), false), ("L2".into(), true)]);
    let moves = d.ok(&["history", "BATTERY", "--serial", "B1"]);
    let path: Vec<&str> = moves.as_array().expect("h").iter().filter_map(|m| m["to"].as_str()).collect();
    assert_eq!(path, ["LINE", "ASSEMBLIES", "QUARANTINE", "LINE", "ASSEMBLIES"]);

    // The laptop has not shipped: the battery swap is part of how it was built.
    let w = d.ok(&["warranty", "LAPTOP", "L1"]);
    assert_eq!(w["repairs"], serde_json::json!([]), "{w}");
    let repairs: Vec<(String, bool)> = w["fitted"]
        .as_array()
        .expect("fitted")
        .iter()
        .map(|e| {
            (e["component"]["serial"].as_str().unwrap_or("").to_owned(), e["installed"].as_bool().unwrap_or(false))
        })
        .collect();
    assert_eq!(repairs, [("B1".into(), true), ("B1".into(), false), ("B2".into(), true)]);
    // A battery lot traces forward to the laptops it went into and their buyer.
    d.ok(&["ship", "LAPTOP", "--from", "LINE", "--to", "BUYER", "--serial", "L2"]);
    let t = d.ok(&["trace", "forward", "BATTERY", "--lot", "CELLS-7"]);
    let reached: Vec<&str> =
        t["units"].as_array().expect("u").iter().filter_map(|u| u["unit"]["serial"].as_str()).collect();
    assert!(reached.contains(&"L1") && reached.contains(&"L2"), "{t}");
    let buyers: Vec<&str> = t["partner_moves"]
        .as_array()
        .expect("m")
        .iter()
        .filter(|m| m["partner_kind"] == "customer")
        .filter_map(|m| m["partner"].as_str())
        .collect();
    assert_eq!(buyers, ["CUSTOMERS/BUYER"]);
    d.ok(&["verify"]);
}

#[test]
fn fefo_skips_expired_quarantined_and_short_dated_lots() {
    let d = Db::new();
    for args in [
        vec!["location", "add", "WH"],
        vec!["partner", "add", "HOSPITAL", "--kind", "customer", "--min-shelf-life-days", "60"],
        vec!["partner", "add", "OUTLET", "--kind", "customer"],
        vec!["item", "add", "SALINE", "--tracking", "lot"],
    ] {
        d.ok(&args);
    }
    let lots = [
        ("OLD", -3, None),
        ("SOON", 20, None),
        ("HELD", 40, Some("quarantine")),
        ("MID", 90, None),
        ("LATE", 300, None),
    ];
    for (lot, days, status) in lots {
        let date = today_plus(days);
        let mut args = vec!["receive", "SALINE", "--to", "WH", "--lot", lot, "--qty", "10", "--expires-on", &date];
        if let Some(s) = status {
            args.extend(["--status", s]);
        }
        d.ok(&args);
    }
    let picks = |customer: Option<&str>, qty: &str| {
        let mut args = vec!["fefo", "SALINE", "--from", "WH", "--qty", qty];
        if let Some(c) = customer {
            args.extend(["--customer", c]);
        }
        d.ok(&args)
    };
    let any = picks(None, "25");
    let order: Vec<(&str, i64)> = any["picks"]
        .as_array()
        .expect("p")
        .iter()
        .map(|p| (p["lot"].as_str().unwrap_or(""), p["units"].as_i64().unwrap_or(0)))
        .collect();
    assert_eq!(order, [("SOON", 10), ("MID", 10), ("LATE", 5)]);
    let skipped: Vec<&str> = any["skipped"].as_array().expect("s").iter().filter_map(|s| s["lot"].as_str()).collect();
    assert_eq!(skipped.len(), 2);
    assert!(skipped.contains(&"OLD") && skipped.contains(&"HELD"));
    assert_eq!(any["shortfall_units"], 0);

    let hospital = picks(Some("HOSPITAL"), "25");
    let order: Vec<&str> = hospital["picks"].as_array().expect("p").iter().filter_map(|p| p["lot"].as_str()).collect();
    assert_eq!(order, ["MID", "LATE"], "SOON has 20 days left, the hospital needs 60");
    assert_eq!(hospital["shortfall_units"], 5);
    assert!(hospital["skipped"].to_string().contains("this customer requires 60"));

    // Shipping follows the same rule, unless overridden with a reason.
    d.refused(
        &["ship", "SALINE", "--from", "WH", "--to", "HOSPITAL", "--lot", "SOON", "--qty", "1"],
        "shelf_life_too_short",
    );
    d.refused(
        &[
            "ship",
            "SALINE",
            "--from",
            "WH",
            "--to",
            "HOSPITAL",
            "--lot",
            "SOON",
            "--qty",
            "1",
            "--allow-short-shelf-life",
        ],
        "reason_required",
    );
    let p = d.ok(&[
        "ship",
        "SALINE",
        "--from",
        "WH",
        "--to",
        "HOSPITAL",
        "--lot",
        "SOON",
        "--qty",
        "1",
        "--allow-short-shelf-life",
        "--reason",
        "emergency, agreed by pharmacist",
    ]);
    assert_eq!(p["overrides"][0]["rule"], "shelf_life_too_short");
    d.ok(&["ship", "SALINE", "--from", "WH", "--to", "OUTLET", "--lot", "SOON", "--qty", "1"]);
    d.refused(&["ship", "SALINE", "--from", "WH", "--to", "OUTLET", "--lot", "HELD", "--qty", "1"], "lot_not_released");
}

#[test]
fn warranty_survives_a_return_and_a_reshipment() {
    let d = Db::new();
    for args in [
        vec!["location", "add", "WH"],
        vec!["partner", "add", "ALICE", "--kind", "customer"],
        vec!["partner", "add", "BOB", "--kind", "customer"],
        vec!["item", "add", "DRYER", "--tracking", "serial", "--warranty-months", "24"],
        vec!["receive", "DRYER", "--to", "WH", "--serial", "D1"],
        vec!["ship", "DRYER", "--from", "WH", "--to", "ALICE", "--serial", "D1", "--ref", "SO-1"],
    ] {
        d.ok(&args);
    }
    let first = d.ok(&["warranty", "DRYER", "D1"]);
    assert_eq!(first["customer"], "CUSTOMERS/ALICE");
    assert_eq!(first["status"], "active");
    d.ok(&[
        "return",
        "DRYER",
        "--from",
        "ALICE",
        "--to",
        "QUARANTINE",
        "--serial",
        "D1",
        "--reason",
        "drum noise",
        "--ref",
        "RMA-1",
    ]);
    assert_eq!(d.ok(&["where", "DRYER", "D1"])["location"], "QUARANTINE");
    d.refused(&["ship", "DRYER", "--from", "QUARANTINE", "--to", "BOB", "--serial", "D1"], "wrong_location_kind");
    d.ok(&["release", "DRYER", "--from", "QUARANTINE", "--to", "WH", "--serial", "D1", "--reason", "repaired"]);
    d.ok(&["ship", "DRYER", "--from", "WH", "--to", "BOB", "--serial", "D1", "--ref", "SO-2"]);
    let w = d.ok(&["warranty", "DRYER", "D1"]);
    assert_eq!(w["customer"], "CUSTOMERS/ALICE", "the warranty started with the first shipment");
    assert_eq!(w["shipped_on"], first["shipped_on"]);
    assert_eq!(w["warranty_end"], first["warranty_end"]);
    assert_eq!(w["location"], "CUSTOMERS/BOB");
    let returns = w["returns"].as_array().expect("returns");
    assert_eq!(returns.len(), 1);
    assert_eq!((returns[0]["reason"].as_str(), returns[0]["reference"].as_str()), (Some("drum noise"), Some("RMA-1")));
    let h = d.ok(&["history", "DRYER", "--serial", "D1"]);
    let kinds: Vec<&str> = h.as_array().expect("h").iter().filter_map(|m| m["kind"].as_str()).collect();
    assert_eq!(kinds, ["receive", "ship", "return", "release", "ship"]);
}

#[test]
fn produce_takes_serials_and_refuses_bad_specs() {
    let d = Db::new();
    for args in [
        vec!["location", "add", "CELL"],
        vec!["item", "add", "BOARD", "--tracking", "serial"],
        vec!["item", "add", "SOLDER", "--tracking", "none", "--uom", "g", "--scale", "1"],
        vec!["item", "add", "MODULE", "--tracking", "lot_serial"],
        vec!["receive", "BOARD", "--to", "CELL", "--serial", "PCB1"],
        vec!["receive", "SOLDER", "--to", "CELL", "--qty", "100"],
    ] {
        d.ok(&args);
    }
    let p = d.ok(&[
        "produce",
        "--at",
        "CELL",
        "--consume",
        "BOARD#PCB1",
        "--consume",
        "SOLDER:2.5",
        "--output",
        "MODULE:M-24#MOD1",
    ]);
    assert_eq!(p["movements"], 3);
    assert_eq!(d.ok(&["where", "MODULE", "MOD1"])["lot"], "M-24");
    let back = d.ok(&["trace", "backward", "MODULE", "--serial", "MOD1"]);
    let inputs: Vec<String> = back["links"]
        .as_array()
        .expect("l")
        .iter()
        .map(|l| l["input"]["sku"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(inputs.len(), 2);
    assert!(inputs.contains(&"BOARD".to_owned()) && inputs.contains(&"SOLDER".to_owned()));
    d.refused(
        &["produce", "--at", "CELL", "--consume", "BOARD#PCB1", "--output", "MODULE:M-24#MOD2"],
        "serial_not_there",
    );
    d.refused(&["produce", "--at", "CELL", "--consume", "SOLDER-100", "--output", "MODULE:M-24#MOD2"], "invalid_value");
    d.refused(
        &["produce", "--at", "CELL", "--consume", "SOLDER:500", "--output", "MODULE:M-24#MOD2"],
        "insufficient_stock",
    );
    d.refused(
        &["produce", "--at", "PRODUCTION", "--consume", "SOLDER:1", "--output", "MODULE:M-24#MOD2"],
        "wrong_location_kind",
    );
    d.ok(&["verify"]);
}

/// A component's warranty starts when the parent it sits in first ships;
/// the factory fit is listed as how the parent was built, not as a repair.
#[test]
fn a_components_warranty_starts_with_its_parents_shipment() {
    let d = Db::new();
    for args in [
        vec!["location", "add", "FACTORY"],
        vec!["partner", "add", "HOME", "--kind", "customer"],
        vec!["item", "add", "FRIDGE", "--tracking", "serial", "--warranty-months", "24"],
        vec!["item", "add", "COMPRESSOR", "--tracking", "serial", "--warranty-months", "60"],
        vec!["receive", "FRIDGE", "--to", "FACTORY", "--serial", "FR1"],
        vec!["receive", "COMPRESSOR", "--to", "FACTORY", "--serial", "C1"],
        vec!["assemble", "FRIDGE", "FR1", "--install", "COMPRESSOR#C1", "--from", "FACTORY", "--ref", "WO-1"],
    ] {
        d.ok(&args);
    }
    assert_eq!(d.ok(&["warranty", "COMPRESSOR", "C1"])["status"], "not_started");
    d.ok(&["ship", "FRIDGE", "--from", "FACTORY", "--to", "HOME", "--serial", "FR1", "--ref", "SO-1"]);
    let c = d.ok(&["warranty", "COMPRESSOR", "C1"]);
    assert_eq!((c["status"].as_str(), c["customer"].as_str()), (Some("active"), Some("CUSTOMERS/HOME")), "{c}");
    assert_eq!(c["shipped_in"], serde_json::json!({"sku": "FRIDGE", "serial": "FR1"}), "{c}");
    assert_eq!(c["shipped_on"], today_plus(0), "{c}");
    let f = d.ok(&["warranty", "FRIDGE", "FR1"]);
    assert_eq!(f["fitted"].as_array().map(Vec::len), Some(1), "the factory fit: {f}");
    assert_eq!(f["repairs"], serde_json::json!([]), "{f}");
    // Back for repair: a new compressor's warranty starts when the fridge ships again.
    for args in [
        vec!["return", "FRIDGE", "--from", "HOME", "--to", "FACTORY", "--serial", "FR1", "--reason", "noisy"],
        vec!["receive", "COMPRESSOR", "--to", "FACTORY", "--serial", "C2"],
    ] {
        d.ok(&args);
    }
    let swap = [
        "assemble",
        "FRIDGE",
        "FR1",
        "--remove",
        "COMPRESSOR#C1",
        "--to",
        "QUARANTINE",
        "--install",
        "COMPRESSOR#C2",
        "--from",
        "FACTORY",
        "--reason",
        "noisy",
    ];
    d.ok(&swap);
    assert_eq!(d.ok(&["warranty", "COMPRESSOR", "C2"])["status"], "not_started");
    d.ok(&["ship", "FRIDGE", "--from", "FACTORY", "--to", "HOME", "--serial", "FR1", "--ref", "SO-2"]);
    assert_eq!(d.ok(&["warranty", "COMPRESSOR", "C2"])["status"], "active");
    assert_eq!(d.ok(&["warranty", "FRIDGE", "FR1"])["repairs"].as_array().map(Vec::len), Some(2), "the swap");
}

/// The tomato recall, with stock in transit, a serialized machine holding
/// a dispenser filled from the recalled sauce, and the farm's own lot
/// code: the recall starts from the supplier's code, its report counts
/// the transit stock and names the shipped machine by serial with its
/// customer, the unshipped machine does not ship, and the transit stock
/// arrives only into quarantine.
#[test]
fn the_tomato_recall_reaches_transit_machines_and_starts_from_the_farms_code() {
    let d = Db::new();
    ketchup_plant(&d);
    for args in [
        // The farm's code becomes known with a later delivery of the same lot.
        vec![
            "receive",
            "TOMATO",
            "--from",
            "FARM",
            "--to",
            "PLANT",
            "--lot",
            "T1",
            "--qty",
            "1",
            "--supplier-lot",
            "FARM-88",
        ],
        vec!["location", "add", "DC/A"],
        vec!["location", "add", "QUARANTINE/DC", "--kind", "quarantine"],
        vec!["location", "add", "TRANSIT/PLANT-DC", "--kind", "transit"],
        vec!["item", "add", "DISPENSER", "--tracking", "lot_serial"],
        vec!["item", "add", "MACHINE", "--tracking", "serial"],
        vec![
            "produce",
            "--at",
            "PLANT",
            "--consume",
            "SAUCE:S1:10",
            "--output",
            "DISPENSER:D1#DS1",
            "--output",
            "DISPENSER:D1#DS2",
        ],
        vec!["receive", "MACHINE", "--to", "PLANT", "--serial", "M1", "--serial", "M2"],
        vec!["assemble", "MACHINE", "M1", "--install", "DISPENSER#DS1", "--from", "PLANT"],
        vec!["assemble", "MACHINE", "M2", "--install", "DISPENSER#DS2", "--from", "PLANT"],
        vec!["ship", "MACHINE", "--from", "PLANT", "--to", "SHOP3", "--serial", "M1", "--ref", "SO-9"],
    ] {
        d.ok(&args);
    }
    let dispatch =
        d.ok(&["transfer", "KETCHUP", "--from", "PLANT", "--to", "TRANSIT/PLANT-DC", "--lot", "K1", "--qty", "30"]);
    let report = d.ok(&["recall", "TOMATO", "--supplier-lot", "FARM-88", "--reason", "pesticide residue at the farm"]);
    let in_transit = report["on_hand"]
        .as_array()
        .expect("on hand")
        .iter()
        .find(|r| r["location"] == "TRANSIT/PLANT-DC")
        .map(|r| (r["sku"].clone(), r["quantity"].clone()));
    assert_eq!(in_transit, Some((json!("KETCHUP"), json!("30"))), "{}", report["on_hand"]);
    let text = report.to_string();
    assert!(text.contains("M1") && text.contains("SHOP3"), "the shipped machine by serial, with its customer: {text}");
    let doc = d.refused(&["ship", "MACHINE", "--from", "PLANT", "--to", "SHOP1", "--serial", "M2"], "lot_recalled");
    assert!(doc["detail"].as_str().unwrap_or("").contains("DISPENSER DS2"), "{doc}");
    let id = dispatch["id"].as_str().expect("id");
    d.refused(&["arrive", id, "--to", "DC/A", "--line", "KETCHUP:K1:30"], "lot_blocked");
    d.ok(&["arrive", id, "--to", "QUARANTINE/DC", "--line", "KETCHUP:K1:30"]);
    d.ok(&["verify"]);
}

/// Lot-tracked parts (bolts, oil) are fitted into a serialized car by
/// quantity: the car's genealogy holds their lots, a recalled bolt lot
/// reaches the car's customer and keeps an unshipped car in the yard
/// until the bolts are replaced, and no more is taken out than was fitted.
#[test]
fn lot_tracked_parts_fitted_into_a_serialized_parent() {
    let d = Db::new();
    for args in [
        vec!["location", "add", "PLANT/LINE"],
        vec!["partner", "add", "DEALER", "--kind", "customer"],
        vec!["item", "add", "CAR", "--tracking", "serial"],
        vec!["item", "add", "BOLT", "--tracking", "lot"],
        vec!["item", "add", "OIL", "--tracking", "lot", "--uom", "l", "--scale", "1"],
        vec!["item", "add", "RAG"],
        vec!["receive", "CAR", "--to", "PLANT/LINE", "--serial", "V1", "--serial", "V2"],
        vec!["receive", "BOLT", "--to", "PLANT/LINE", "--lot", "B-1", "--qty", "100"],
        vec!["receive", "BOLT", "--to", "PLANT/LINE", "--lot", "B-2", "--qty", "100"],
        vec!["receive", "OIL", "--to", "PLANT/LINE", "--lot", "O-7", "--qty", "200"],
        vec!["receive", "RAG", "--to", "PLANT/LINE", "--qty", "10"],
        vec!["assemble", "CAR", "V1", "--install", "BOLT:B-1:4", "--install", "OIL:O-7:5.5", "--from", "PLANT/LINE"],
        vec!["assemble", "CAR", "V2", "--install", "BOLT:B-1:4", "--from", "PLANT/LINE"],
        vec!["ship", "CAR", "--from", "PLANT/LINE", "--to", "DEALER", "--serial", "V1", "--ref", "SO-1"],
    ] {
        d.ok(&args);
    }
    d.refused(&["assemble", "CAR", "V2", "--install", "RAG:1", "--from", "PLANT/LINE"], "serial_required");
    let back = d.ok(&["trace", "backward", "CAR", "--serial", "V1"]).to_string();
    assert!(back.contains("B-1") && back.contains("O-7") && back.contains("5.5"), "{back}");
    let forward = d.ok(&["trace", "forward", "BOLT", "--lot", "B-1"]).to_string();
    assert!(forward.contains("V1") && forward.contains("V2") && forward.contains("DEALER"), "{forward}");
    let report = d.ok(&["recall", "BOLT", "B-1", "--reason", "hydrogen embrittlement"]).to_string();
    assert!(report.contains("V1") && report.contains("DEALER"), "the shipped car by VIN, with its dealer: {report}");
    let doc = d.refused(&["ship", "CAR", "--from", "PLANT/LINE", "--to", "DEALER", "--serial", "V2"], "lot_recalled");
    assert!(doc["detail"].as_str().unwrap_or("").contains("BOLT of lot B-1"), "{doc}");
    let take_out = |qty: &str, to: &str| {
        let part = format!("BOLT:B-1:{qty}");
        let args = ["assemble", "CAR", "V2", "--remove", part.as_str(), "--to", to];
        args.map(str::to_owned)
    };
    d.refused(&take_out("5", "QUARANTINE").each_ref().map(String::as_str), "serial_not_there");
    d.refused(&take_out("4", "PLANT/LINE").each_ref().map(String::as_str), "lot_blocked");
    d.ok(&take_out("4", "QUARANTINE").each_ref().map(String::as_str));
    d.ok(&["assemble", "CAR", "V2", "--install", "BOLT:B-2:4", "--from", "PLANT/LINE"]);
    d.ok(&["ship", "CAR", "--from", "PLANT/LINE", "--to", "DEALER", "--serial", "V2"]);
    d.ok(&["verify"]);
}
