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
    d.ok(&["verify"]);
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
    // Nor by a transfer out of quarantine, nor found by a count.
    d.refused(
        &["transfer", "SAUCE", "--from", "QUARANTINE", "--to", "PLANT/FG", "--lot", "K7", "--qty", "5"],
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
