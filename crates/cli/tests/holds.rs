//! Holds and recalls that cannot leak: whatever the command, stock of a
//! held, recalled or rejected lot goes only where it cannot be sold, and a
//! recall ends only by a manager's decision. Through the real binary and
//! the real server.

mod support;

use serde_json::json;
use support::{Db, Server};

/// A lot K7 of a lot-tracked item, shipped in part, and a battery lot
/// fitted into a serialized laptop.
fn plant(d: &Db) {
    for args in [
        vec!["location", "add", "PLANT/FG"],
        vec!["location", "add", "PLANT/PARTS"],
        vec!["partner", "add", "SHOP", "--kind", "customer"],
        vec!["partner", "add", "MAKER", "--kind", "supplier"],
        vec!["item", "add", "SAUCE", "--tracking", "lot"],
        vec!["item", "add", "LAPTOP", "--tracking", "serial"],
        vec!["item", "add", "BATTERY", "--tracking", "lot_serial"],
        vec!["receive", "SAUCE", "--from", "MAKER", "--to", "PLANT/FG", "--lot", "K7", "--qty", "100"],
        vec!["ship", "SAUCE", "--from", "PLANT/FG", "--to", "SHOP", "--lot", "K7", "--qty", "40"],
        vec!["receive", "LAPTOP", "--to", "PLANT/FG", "--serial", "L1"],
        vec!["receive", "BATTERY", "--to", "PLANT/PARTS", "--lot", "AB-7", "--serial", "B1"],
        vec!["assemble", "LAPTOP", "L1", "--install", "BATTERY#B1", "--from", "PLANT/PARTS"],
    ] {
        d.ok(&args);
    }
}

#[test]
fn a_recall_is_undone_only_by_its_closure() {
    let d = Db::new();
    plant(&d);
    d.ok(&["recall", "SAUCE", "K7", "--reason", "allergen"]);
    let set = ["lot", "set-status", "SAUCE", "K7", "released", "--reason", "I think it's fine"];
    let doc = d.refused(&set, "lot_recalled");
    assert!(doc["detail"].as_str().unwrap_or("").contains("recall --close"), "{doc}");
    d.refused(&["recall", "SAUCE", "K7", "--close", "maybe", "--reason", "x"], "invalid_value");
    d.ok(&["recall", "SAUCE", "K7", "--close", "destroyed", "--reason", "burnt under supervision"]);
    assert_eq!(d.ok(&["lot", "show", "SAUCE", "K7"])["status"], "rejected");
    // A closed recall cannot be closed again, and a rejected lot still does not ship.
    d.refused(&["recall", "SAUCE", "K7", "--close", "released", "--reason", "x"], "not_recalled");
    d.refused(
        &["ship", "SAUCE", "--from", "PLANT/FG", "--to", "SHOP", "--lot", "K7", "--qty", "1"],
        "lot_not_released",
    );
    d.ok(&["scrap", "SAUCE", "--at", "PLANT/FG", "--lot", "K7", "--qty", "60", "--reason", "burnt"]);
    d.refused(&["lot", "set-status", "SAUCE", "K7", "released", "--reason", "oops"], "lot_blocked");
    d.ok(&["verify"]);
}

/// A lot that failed inspection stays rejected when a recall reaches it,
/// so the recall's release cannot release it.
#[test]
fn a_recall_does_not_release_what_was_rejected_before() {
    let d = Db::new();
    plant(&d);
    d.ok(&["item", "add", "DIP", "--tracking", "lot"]);
    d.ok(&["produce", "--at", "PLANT/FG", "--consume", "SAUCE:K7:10", "--output", "DIP:D1:10"]);
    d.ok(&["lot", "set-status", "DIP", "D1", "rejected", "--reason", "failed the taste test"]);
    d.ok(&["recall", "SAUCE", "K7", "--reason", "allergen"]);
    assert_eq!(d.ok(&["lot", "show", "DIP", "D1"])["status"], "rejected");
    d.ok(&["recall", "SAUCE", "K7", "--close", "released", "--reason", "lab cleared it"]);
    assert_eq!(d.ok(&["lot", "show", "SAUCE", "K7"])["status"], "released");
    assert_eq!(d.ok(&["lot", "show", "DIP", "D1"])["status"], "rejected", "the recall did not release it");
}

#[test]
fn no_command_brings_recalled_stock_back_into_saleable_bins() {
    let d = Db::new();
    plant(&d);
    d.ok(&["recall", "SAUCE", "K7", "--reason", "allergen"]);
    d.ok(&["recall", "BATTERY", "AB-7", "--reason", "swelling cells"]);
    // A customer return lands in quarantine, never in finished goods.
    d.refused(
        &["return", "SAUCE", "--from", "SHOP", "--to", "PLANT/FG", "--lot", "K7", "--qty", "5", "--reason", "bad"],
        "lot_blocked",
    );
    d.ok(&["return", "SAUCE", "--from", "SHOP", "--to", "QUARANTINE", "--lot", "K7", "--qty", "5", "--reason", "bad"]);
    // Nor by a transfer or even a release out of quarantine, nor found by a count.
    d.refused(
        &["transfer", "SAUCE", "--from", "QUARANTINE", "--to", "PLANT/FG", "--lot", "K7", "--qty", "5"],
        "release_required",
    );
    d.refused(
        &[
            "release",
            "SAUCE",
            "--from",
            "QUARANTINE",
            "--to",
            "PLANT/FG",
            "--lot",
            "K7",
            "--qty",
            "5",
            "--reason",
            "ok",
        ],
        "lot_blocked",
    );
    d.refused(
        &["count", "SAUCE", "--at", "PLANT/FG", "--lot", "K7", "--counted", "70", "--reason", "recount"],
        "lot_blocked",
    );
    // A recalled component leaves its parent for quarantine, not for the parts bin.
    let remove =
        |to: &'static str| ["assemble", "LAPTOP", "L1", "--remove", "BATTERY#B1", "--to", to, "--reason", "recall"];
    d.refused(&remove("PLANT/PARTS"), "lot_blocked");
    d.ok(&remove("QUARANTINE"));
    // A count that finds less, and scrap, are allowed.
    d.ok(&["count", "SAUCE", "--at", "PLANT/FG", "--lot", "K7", "--counted", "50", "--reason", "recount"]);
    d.ok(&["scrap", "SAUCE", "--at", "QUARANTINE", "--lot", "K7", "--qty", "5", "--reason", "destroyed"]);
    d.ok(&["verify"]);
}

#[test]
fn a_held_lot_stays_out_of_saleable_stock_over_http() {
    let s = Server::start();
    let c = Server::client();
    s.standard();
    let receive = json!({"to": "WH/A", "lines": [{"sku": "SAUCE", "lot": "H1", "units": {"quantity": "10"}}]});
    let (st, doc) = s.post(&c, "/api/v1/receipts", "operator", &receive);
    assert_eq!(st, 201, "{doc}");
    let hold = json!({"status": "on_hold", "reason": "smell"});
    let (st, doc) = s.post(&c, "/api/v1/lots/SAUCE/H1/status", "manager", &hold);
    assert_eq!(st, 201, "{doc}");
    let transfer = |to: &str| json!({"from": "WH/A", "to": to, "lines": [{"sku": "SAUCE", "lot": "H1", "units": {"quantity": "4"}}]});
    let (st, doc) = s.post(&c, "/api/v1/transfers", "operator", &transfer("WH/B"));
    assert_eq!((st, doc["code"].as_str()), (409, Some("lot_blocked")), "{doc}");
    let (st, doc) = s.post(&c, "/api/v1/transfers", "operator", &transfer("QUARANTINE"));
    assert_eq!(st, 201, "{doc}");
    let (st, doc) = s.post(&c, "/api/v1/recalls", "manager", &json!({"sku": "SAUCE", "lot": "H1", "reason": "lab"}));
    assert_eq!(st, 201, "{doc}");
    let release = json!({"status": "released", "reason": "fine"});
    let (st, doc) = s.post(&c, "/api/v1/lots/SAUCE/H1/status", "manager", &release);
    assert_eq!((st, doc["code"].as_str()), (409, Some("lot_recalled")), "{doc}");
    let close = json!({"reason": "lab cleared it", "decision": "released"});
    let (st, doc) = s.post(&c, "/api/v1/recalls/SAUCE/H1/closure", "manager", &close);
    assert_eq!((st, doc["lot"]["status"].as_str()), (200, Some("released")), "{doc}");
    let (st, doc) = s.post(&c, "/api/v1/transfers", "operator", &transfer("WH/B"));
    assert_eq!(st, 201, "released stock moves again: {doc}");
    s.verify_ok();
}

/// A serialized parent that holds a recalled component does not ship until
/// the component is replaced; the recall report names shipped parents by
/// serial, with their customers.
#[test]
fn a_parent_holding_a_recalled_component_does_not_ship() {
    let d = Db::new();
    plant(&d);
    for args in [
        vec!["receive", "LAPTOP", "--to", "PLANT/FG", "--serial", "L2"],
        vec!["receive", "BATTERY", "--to", "PLANT/PARTS", "--lot", "AB-7", "--serial", "B2"],
        vec!["receive", "BATTERY", "--to", "PLANT/PARTS", "--lot", "AB-8", "--serial", "B3"],
        vec!["assemble", "LAPTOP", "L2", "--install", "BATTERY#B2", "--from", "PLANT/PARTS"],
        vec!["ship", "LAPTOP", "--from", "PLANT/FG", "--to", "SHOP", "--serial", "L2", "--ref", "SO-9"],
    ] {
        d.ok(&args);
    }
    d.ok(&["recall", "BATTERY", "AB-7", "--reason", "swelling cells"]);
    let ship = ["ship", "LAPTOP", "--from", "PLANT/FG", "--to", "SHOP", "--serial", "L1"];
    let doc = d.refused(&ship, "lot_recalled");
    assert!(doc["detail"].as_str().unwrap_or("").contains("LAPTOP L1 holds BATTERY B1 of lot AB-7"), "{doc}");
    let swap = [
        "assemble",
        "LAPTOP",
        "L1",
        "--remove",
        "BATTERY#B1",
        "--to",
        "QUARANTINE",
        "--install",
        "BATTERY#B3",
        "--from",
        "PLANT/PARTS",
        "--reason",
        "recall AB-7",
    ];
    d.ok(&swap);
    d.ok(&ship);
    let report = d.ok(&["recall", "BATTERY", "AB-7", "--report-only"]);
    let l2 = json!({"sku": "LAPTOP", "serial": "L2"});
    let got = report["customers"].as_array().and_then(|c| c.iter().find(|e| e["unit"] == l2)).cloned();
    assert_eq!(
        got.map(|e| (e["customer"].clone(), e["documents"].clone())),
        Some((json!("CUSTOMERS/SHOP"), json!(["SO-9"])))
    );
    let text = std::process::Command::new(env!("CARGO_BIN_EXE_tracelot"))
        .args(["--db", d.db.to_str().expect("utf-8"), "recall", "BATTERY", "AB-7", "--report-only"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("CUSTOMERS/SHOP got LAPTOP #L2"), "the shipped parent is named by serial: {text}");
    d.ok(&["verify"]);
}

/// Single units have a status: a range of serials is held, and held units
/// go only where held stock may; the parent holding a held component does
/// not ship; a recalled unit changes only by its recall's closure.
#[test]
fn single_units_are_held_and_recalled_by_serial() {
    let d = Db::new();
    plant(&d);
    for args in [
        vec!["item", "add", "PHONE", "--tracking", "serial"],
        vec!["receive", "PHONE", "--to", "PLANT/FG", "--serial", "PH001..PH005"],
        vec!["receive", "LAPTOP", "--to", "PLANT/FG", "--serial", "L9"],
        vec!["receive", "BATTERY", "--to", "PLANT/PARTS", "--lot", "AB-8", "--serial", "B9"],
        vec!["assemble", "LAPTOP", "L9", "--install", "BATTERY#B9", "--from", "PLANT/PARTS"],
    ] {
        d.ok(&args);
    }
    d.refused(&["serial", "set-status", "PHONE", "on_hold", "--serial", "PH002..PH003"], "reason_required");
    d.ok(&["serial", "set-status", "PHONE", "on_hold", "--serial", "PH002..PH003", "--reason", "drop test"]);
    assert_eq!(d.ok(&["where", "PHONE", "PH002"])["status"], "on_hold");
    assert_eq!(d.ok(&["where", "PHONE", "PH004"])["status"], "released");
    fn ship(s: &str) -> Vec<&str> {
        vec!["ship", "PHONE", "--from", "PLANT/FG", "--to", "SHOP", "--serial", s]
    }
    let doc = d.refused(&ship("PH003"), "serial_blocked");
    assert!(doc["detail"].as_str().unwrap_or("").contains("PHONE PH003 is on_hold"), "{doc}");
    d.ok(&ship("PH004"));
    d.refused(
        &["transfer", "PHONE", "--from", "PLANT/FG", "--to", "PLANT/PARTS", "--serial", "PH002"],
        "serial_blocked",
    );
    d.ok(&["transfer", "PHONE", "--from", "PLANT/FG", "--to", "QUARANTINE", "--serial", "PH002"]);
    // A held component keeps its parent from shipping.
    d.ok(&["serial", "set-status", "BATTERY", "on_hold", "--serial", "B9", "--reason", "swelling"]);
    let doc = d.refused(&["ship", "LAPTOP", "--from", "PLANT/FG", "--to", "SHOP", "--serial", "L9"], "serial_blocked");
    assert!(doc["detail"].as_str().unwrap_or("").contains("BATTERY B9"), "{doc}");
    // A recalled unit changes only by the recall's closure.
    d.ok(&["serial", "set-status", "PHONE", "recalled", "--serial", "PH005", "--reason", "battery fire"]);
    d.refused(&["serial", "set-status", "PHONE", "released", "--serial", "PH005", "--reason", "fine"], "lot_recalled");
    let close =
        ["serial", "close-recall", "PHONE", "--serial", "PH005", "--decision", "destroyed", "--reason", "burnt"];
    d.ok(&close);
    assert_eq!(d.ok(&["where", "PHONE", "PH005"])["status"], "rejected");
    d.refused(&close, "not_recalled");
    d.refused(&["serial", "set-status", "PHONE", "released", "--serial", "PH005", "--reason", "x"], "serial_blocked");
    d.ok(&["scrap", "PHONE", "--at", "PLANT/FG", "--serial", "PH005", "--reason", "destroyed"]);
    d.ok(&["verify"]);
}

/// Leaving quarantine for saleable stock is a release, with its reason;
/// a plain transfer out of quarantine is refused, and a held lot is not
/// released by it.
#[test]
fn stock_leaves_quarantine_only_by_a_release() {
    let d = Db::new();
    plant(&d);
    d.ok(&["transfer", "SAUCE", "--from", "PLANT/FG", "--to", "QUARANTINE", "--lot", "K7", "--qty", "10"]);
    let out = ["transfer", "SAUCE", "--from", "QUARANTINE", "--to", "PLANT/FG", "--lot", "K7", "--qty", "4"];
    let doc = d.refused(&out, "release_required");
    assert!(doc["detail"].as_str().unwrap_or("").contains("tracelot release"), "{doc}");
    let release = ["release", "SAUCE", "--from", "QUARANTINE", "--to", "PLANT/FG", "--lot", "K7", "--qty", "4"];
    d.refused(&release, "reason_required");
    let mut with_reason = release.to_vec();
    with_reason.extend(["--reason", "lab passed it"]);
    d.ok(&with_reason);
    d.ok(&["lot", "set-status", "SAUCE", "K7", "on_hold", "--reason", "second sample"]);
    d.refused(&with_reason, "lot_blocked");
    d.ok(&["location", "add", "TRANSIT/X", "--kind", "transit"]);
    let to_transit =
        ["release", "SAUCE", "--from", "QUARANTINE", "--to", "TRANSIT/X", "--lot", "K7", "--qty", "1", "--reason", "x"];
    d.refused(&to_transit, "lot_blocked");
    d.refused(
        &[
            "release",
            "SAUCE",
            "--from",
            "PLANT/FG",
            "--to",
            "PLANT/PARTS",
            "--lot",
            "K7",
            "--qty",
            "1",
            "--reason",
            "x",
        ],
        "wrong_location_kind",
    );
    d.ok(&["verify"]);
}

/// Over HTTP: the qc role holds units and releases quarantine; an
/// operator may do neither, and only a manager closes a recall.
#[test]
fn quality_decisions_need_the_qc_role_over_http() {
    let s = Server::start();
    let c = Server::client();
    s.standard();
    let receive = json!({"to": "WH/A", "lines": [{"sku": "PHONE", "units": {"serials": ["P1", "P2"]}},
                                                 {"sku": "SAUCE", "lot": "Q1", "units": {"quantity": "5"}}]});
    assert_eq!(s.post(&c, "/api/v1/receipts", "operator", &receive).0, 201);
    let hold = json!({"serials": ["P1"], "status": "recalled", "reason": "field failure"});
    let (st, doc) = s.post(&c, "/api/v1/serials/PHONE/status", "operator", &hold);
    assert_eq!((st, doc["code"].as_str()), (403, Some("forbidden")), "{doc}");
    let (st, doc) = s.post(&c, "/api/v1/serials/PHONE/status", "qc", &hold);
    assert_eq!(st, 201, "{doc}");
    let ship = json!({"from": "WH/A", "to": "C1", "lines": [{"sku": "PHONE", "units": {"serials": ["P1"]}}]});
    let (st, doc) = s.post(&c, "/api/v1/shipments", "operator", &ship);
    assert_eq!((st, doc["code"].as_str()), (409, Some("serial_blocked")), "{doc}");
    let close = json!({"serials": ["P1"], "decision": "released", "reason": "false alarm"});
    let (st, _) = s.post(&c, "/api/v1/serials/PHONE/recall-closure", "qc", &close);
    assert_eq!(st, 403, "only a manager closes a recall");
    let (st, doc) = s.post(&c, "/api/v1/serials/PHONE/recall-closure", "manager", &close);
    assert_eq!(st, 201, "{doc}");
    assert_eq!(s.post(&c, "/api/v1/shipments", "operator", &ship).0, 201);
    let to_q = json!({"from": "WH/A", "to": "QUARANTINE", "lines": [{"sku": "SAUCE", "lot": "Q1", "units": {"quantity": "5"}}]});
    assert_eq!(s.post(&c, "/api/v1/transfers", "operator", &to_q).0, 201);
    let release = json!({"from": "QUARANTINE", "to": "WH/B", "reason": "lab passed",
                         "lines": [{"sku": "SAUCE", "lot": "Q1", "units": {"quantity": "5"}}]});
    let (st, _) = s.post(&c, "/api/v1/releases", "operator", &release);
    assert_eq!(st, 403);
    let (st, doc) = s.post(&c, "/api/v1/releases", "qc", &release);
    assert_eq!(st, 201, "{doc}");
    s.verify_ok();
}
