//! Stock in transit is stock: it never goes below zero, and stock lists,
//! recalls and mass balances count it. Through the real binary.

mod support;

use support::Db;

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
    // Out of an empty transit location: refused, as out of an empty bin.
    let unload = ["transfer", "OIL", "--from", "TRANSIT/A-B", "--to", "B/BIN", "--lot", "O1", "--qty", "41"];
    d.refused(&unload, "insufficient_stock");
    d.ok(&["transfer", "OIL", "--from", "A/BIN", "--to", "TRANSIT/A-B", "--lot", "O1", "--qty", "40"]);
    d.refused(&unload, "insufficient_stock");
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
