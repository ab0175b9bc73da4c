//! Scanning through the real `tracelot` binary and a real server: reading
//! scans, and receiving and shipping by sequences of scans.

mod support;

use serde_json::{Value, json};
use support::{Db, Server, tracelot};

const GS: char = '\u{1d}';

/// A GS1 DataMatrix drug pack as a scanner sends it: GTIN, expiry, lot, serial.
fn pack(serial: &str, expiry: &str, lot: &str) -> String {
    format!("]d20109506000134352{}{expiry}10{lot}{GS}21{serial}", "17")
}

fn stock(db: &Db, sku: &str) -> Vec<Value> {
    db.ok(&["stock", "--item", sku]).as_array().cloned().unwrap_or_default()
}

fn ais(doc: &Value) -> Vec<(String, String)> {
    doc["ais"]
        .as_array()
        .expect("ais")
        .iter()
        .map(|a| (a["ai"].as_str().unwrap().to_string(), a["value"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn scan_reads_every_form_without_master_data() {
    let db = Db::new();
    // No item carries this GTIN: the scan still parses; resolution is empty.
    let doc = db.ok(&["scan", &pack("SN1", "270600", "L-7")]);
    assert_eq!(
        ais(&doc),
        [("01", "09506000134352"), ("17", "270600"), ("10", "L-7"), ("21", "SN1")]
            .map(|(a, v)| (a.to_string(), v.to_string()))
    );
    assert_eq!((doc["kind"].as_str(), doc["symbology"].as_str()), (Some("gs1"), Some("]d2")));
    assert_eq!(doc["expires_on"], "2027-06-30", "DD = 00 is the last day of the month");
    assert!(doc.get("item").is_none(), "{doc}");

    let dl = db.ok(&["scan", "https://id.gs1.org/01/09506000134352/10/L-7?17=270615"]);
    assert_eq!((dl["carrier"].as_str(), dl["lot"].as_str()), (Some("digital_link"), Some("L-7")));
    // Every scan comes back in the other forms too.
    assert_eq!(doc["bracketed"], "(01)09506000134352(17)270600(10)L-7(21)SN1");
    assert_eq!(doc["element_string"], format!("01095060001343521727060010L-7{GS}21SN1"));
    assert_eq!(doc["digital_link"], "https://id.gs1.org/01/09506000134352/10/L-7/21/SN1?17=270600");
    assert_eq!(dl["element_string"], "01095060001343521727061510L-7");
    let bracketed = db.ok(&["scan", "(01)09506000134352(3103)001250(10)L-7"]);
    assert_eq!(bracketed["measures"][0]["value"], "1.250");
    assert_eq!(db.ok(&["scan", "]E09506000134352"])["gtin"], "09506000134352");
    assert_eq!(db.ok(&["scan", "TL:LOC:MAIN/DOCK"])["location"], "MAIN/DOCK");
    assert_eq!(db.ok(&["scan", "NO-SUCH-SKU"])["kind"], "plain");

    // A variable-measure item counts in its own unit: the net weight is the quantity.
    db.ok(&["item", "add", "CHEESE", "--tracking", "lot", "--uom", "kg", "--scale", "3", "--gtin", "9506000134376"]);
    let wheel = db.ok(&["scan", "(01)09506000134376(3102)001250(10)W1"]);
    assert_eq!((wheel["item"]["sku"].as_str(), wheel["quantity"].as_str()), (Some("CHEESE"), Some("12.500 kg")));
    let by_sku = db.ok(&["scan", "CHEESE"]);
    assert_eq!((by_sku["kind"].as_str(), by_sku["sku"].as_str()), (Some("sku"), Some("CHEESE")));
    assert_eq!(db.ok(&["scan", "TL:LOT:CHEESE:W1"])["item"]["name"], "CHEESE");
    assert_eq!(wheel["sku"], "CHEESE", "a GTIN scan names the SKU of the item that carries it");

    // An invalid scan exits 1 with a problem naming the AI, position and rule.
    let out = tracelot(&db.db, &["scan", &pack("SN1", "271332", "L-7")]);
    assert_eq!(out.status.code(), Some(1));
    let problem: Value = serde_json::from_slice(&out.stdout).expect("problem JSON");
    assert_eq!((problem["code"].as_str(), problem["field"].as_str()), (Some("invalid_scan"), Some("raw")));
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("AI (17) at position 21") && detail.contains("GS1_LINTER_ILLEGAL_MONTH"), "{detail}");
}

fn pharma(db: &Db) {
    db.ok(&["location", "add", "MAIN/DOCK"]);
    db.ok(&["partner", "add", "PHARMA", "--kind", "supplier", "--name", "Pharma Inc"]);
    db.ok(&["partner", "add", "CLINIC", "--kind", "customer", "--name", "Clinic"]);
    db.ok(&["item", "add", "PACK", "--name", "Drug pack", "--tracking", "lot_serial", "--gtin", "9506000134352"]);
}

#[test]
fn receiving_and_shipping_by_scans() {
    let db = Db::new();
    pharma(&db);
    // A location label and three packs: one receipt, lot created with the scanned expiry.
    let scans = [
        pack("SN1", "270600", "L-7"),
        "TL:LOC:MAIN/DOCK".into(),
        pack("SN2", "270600", "L-7"),
        pack("SN3", "270600", "L-7"),
    ];
    let mut args = vec!["receive-scans", "--from", "PHARMA", "--ref", "ASN-1"];
    args.extend(scans.iter().map(String::as_str));
    let posted = db.ok(&args);
    assert_eq!((posted["kind"].as_str(), posted["movements"].as_u64()), (Some("receive"), Some(3)));
    let lot = db.ok(&["lot", "show", "PACK", "L-7"]);
    assert_eq!(lot["expires_on"], "2027-06-30", "{lot}");
    // Once the item is known, a scan says what it stands for.
    let read = db.ok(&["scan", &pack("SN9", "270600", "L-7")]);
    assert_eq!((read["item"]["sku"].as_str(), read["quantity"].as_str()), (Some("PACK"), Some("1 ea")), "{read}");
    let mut serials: Vec<String> = stock(&db, "PACK")
        .iter()
        .map(|r| format!("{}@{}", r["serial"].as_str().unwrap(), r["location"].as_str().unwrap()))
        .collect();
    serials.sort();
    assert_eq!(serials, ["SN1@MAIN/DOCK", "SN2@MAIN/DOCK", "SN3@MAIN/DOCK"]);

    // A scanned expiry that differs from the stored lot is a conflict, never an overwrite.
    let conflict = db.refused(&["receive-scans", "--to", "MAIN/DOCK", &pack("SN4", "270500", "L-7")], "lot_conflict");
    let detail = conflict["detail"].as_str().unwrap();
    assert!(detail.contains("2027-06-30") && detail.contains("2027-05-31"), "{detail}");
    assert_eq!(conflict["field"], "scans[0].expires_on");
    assert_eq!(db.ok(&["lot", "show", "PACK", "L-7"])["expires_on"], "2027-06-30");

    // A tracelot code naming an item nobody defined.
    db.refused(&["receive-scans", "--to", "MAIN/DOCK", "TL:SER:NOPE:S1"], "not_found");

    // The same unit twice in one receipt is refused.
    let dup = db.refused(
        &["receive-scans", "--to", "MAIN/DOCK", &pack("SN5", "270600", "L-7"), &pack("SN5", "270600", "L-7")],
        "duplicate_scan",
    );
    assert_eq!(dup["field"], "scans[1]");

    // A GTIN nobody carries is refused with the way to create the item.
    let unknown = format!("]d20104012345678901{}270600", "17");
    let doc = db.refused(&["receive-scans", "--to", "MAIN/DOCK", &unknown], "unknown_gtin");
    assert!(
        doc["detail"].as_str().unwrap().contains("tracelot item add SKU --name NAME --gtin 04012345678901"),
        "{doc}"
    );

    // Scans on stdin, one per line, ship two of the packs.
    let scans_file = db.path("scans.txt");
    std::fs::write(&scans_file, format!("{}\n{}\n", pack("SN1", "270600", "L-7"), pack("SN3", "270600", "L-7")))
        .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tracelot"))
        .args(["--db", db.db.to_str().unwrap(), "--json", "ship-scans", "--from", "MAIN/DOCK", "--to", "CLINIC"])
        .stdin(std::fs::File::open(&scans_file).unwrap())
        .output()
        .expect("ship-scans");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let left: Vec<Value> = stock(&db, "PACK");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["serial"], "SN2");
    // A shipped pack cannot be shipped again.
    db.refused(
        &["ship-scans", "--from", "MAIN/DOCK", "--to", "CLINIC", &pack("SN1", "270600", "L-7")],
        "serial_not_there",
    );
    db.ok(&["verify"]);
}

#[test]
fn scanning_over_http() {
    let s = Server::start();
    s.standard();
    let c = Server::client();
    let (status, doc) = s.post(
        &c,
        "/api/v1/items",
        "manager",
        &json!({"sku": "PACK", "name": "Pack", "tracking": "lot_serial", "uom": "ea", "scale": 0, "gtin": "09506000134352"}),
    );
    assert_eq!(status, 201, "{doc}");

    // Reading a scan needs only the read role.
    let (status, doc) = s.post(&c, "/api/v1/scan", "viewer", &json!({"raw": pack("SN1", "270600", "L-9")}));
    assert_eq!(status, 200, "{doc}");
    assert_eq!(doc["ais"][3], json!({"ai": "21", "value": "SN1", "title": "SERIAL"}));
    assert_eq!(doc["item"]["sku"], "PACK");
    let (status, problem) = s.post(&c, "/api/v1/scan", "viewer", &json!({"raw": "]d201095060001343531"}));
    assert_eq!((status, problem["code"].as_str()), (422, Some("invalid_scan")), "{problem}");

    // A receipt by scans, retried with the same Idempotency-Key: one receipt.
    let body =
        json!({"scans": [pack("SN1", "270600", "L-9"), pack("SN2", "270600", "L-9")], "to": "WH/A", "from": "S1"});
    let send = || {
        let r = s
            .req(&c, "POST", "/api/v1/scan/receipts", Some("operator"))
            .header("Idempotency-Key", "scan-receipt-1")
            .json(&body)
            .send()
            .unwrap();
        let replayed = r.headers().get("Idempotent-Replayed").is_some();
        let (status, doc) = support::status_json(r);
        (status, doc, replayed)
    };
    let (first, posted, replayed) = send();
    assert_eq!((first, replayed), (201, false), "{posted}");
    let (again, replay, replayed) = send();
    assert_eq!((again, replayed), (201, true));
    assert_eq!(replay, posted);
    let (_, stock) = s.get(&c, "/api/v1/stock?sku=PACK", "viewer");
    assert_eq!(stock["items"].as_array().map(Vec::len), Some(2), "{stock}");

    // The same unit twice is refused with the scan's index.
    let dup = json!({"scans": [pack("SN7", "270600", "L-9"), pack("SN7", "270600", "L-9")], "to": "WH/A"});
    let (status, problem) = s.post(&c, "/api/v1/scan/receipts", "operator", &dup);
    assert_eq!(
        (status, problem["code"].as_str(), problem["field"].as_str()),
        (422, Some("duplicate_scan"), Some("scans[1]"))
    );

    // A shipment by scans; the location comes from a scanned label.
    let ship = json!({"scans": ["TL:LOC:WH/A", pack("SN2", "270600", "L-9")], "to": "C1"});
    let (status, doc) = s.post(&c, "/api/v1/scan/shipments", "operator", &ship);
    assert_eq!((status, doc["movements"].as_u64()), (201, Some(1)), "{doc}");
    // Viewers may read scans but not post them.
    let (status, _) = s.post(&c, "/api/v1/scan/shipments", "viewer", &ship);
    assert_eq!(status, 403);
    s.verify_ok();
}

#[test]
fn an_expired_lot_ships_by_scan_only_with_the_override_and_a_reason() {
    let db = Db::new();
    pharma(&db);
    let old = pack("SN1", "200131", "OLD");
    db.ok(&["receive-scans", "--to", "MAIN/DOCK", &old]);
    db.refused(&["ship-scans", "--from", "MAIN/DOCK", "--to", "CLINIC", &old], "lot_expired");
    db.refused(&["ship-scans", "--from", "MAIN/DOCK", "--to", "CLINIC", "--allow-expired", &old], "reason_required");
    let posted = db.ok(&[
        "ship-scans",
        "--from",
        "MAIN/DOCK",
        "--to",
        "CLINIC",
        "--allow-expired",
        "--reason",
        "returned for destruction",
        &old,
    ]);
    assert_eq!(posted["overrides"][0]["rule"], "lot_expired", "{posted}");
}

/// A scanned weight is booked in the item's own unit, converted exactly:
/// 25.00 lb into a kg item is 11.340 kg, not 1.000 kg. A variable-measure
/// GTIN without its weight is refused, and a lookup says why.
#[test]
fn a_scanned_weight_is_converted_or_refused() {
    let db = Db::new();
    for args in [
        vec!["location", "add", "MAIN/DOCK"],
        vec!["item", "add", "BEEF", "--tracking", "lot", "--uom", "kg", "--scale", "3", "--gtin", "99506000134355"],
    ] {
        db.ok(&args);
    }
    db.ok(&["receive-scans", "--to", "MAIN/DOCK", "(01)99506000134355(3202)002500(10)C1(17)270101"]);
    db.ok(&["receive-scans", "--to", "MAIN/DOCK", "(01)99506000134355(3103)001250(10)C1(17)270101"]);
    let rows = stock(&db, "BEEF");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["quantity"], "12.590", "11.340 kg from 25.00 lb, plus 1.250 kg: {rows:?}");
    // A net weight in lb wins over a gross weight in kg.
    db.ok(&["receive-scans", "--to", "MAIN/DOCK", "(01)99506000134355(3202)002756(3301)000140(10)C2(17)270101"]);
    let c2 = stock(&db, "BEEF").into_iter().find(|r| r["lot"] == "C2").expect("C2");
    assert_eq!(c2["quantity"], "12.501", "27.56 lb net, not 14.0 kg gross: {c2}");
    let refused =
        db.refused(&["receive-scans", "--to", "MAIN/DOCK", "(01)99506000134355(10)C1(17)270101"], "invalid_scan");
    assert!(refused["detail"].as_str().unwrap_or("").contains("counted in kg"), "{refused}");
    let lookup = db.ok(&["scan", "(01)99506000134355(10)C1"]);
    assert!(lookup.get("quantity").is_none(), "{lookup}");
    assert!(lookup["warnings"].to_string().contains("counted in kg"), "{lookup}");
}

/// An item's packagings carry GTINs of their own: scanning a case books
/// the case's quantity, times the count a label carries; a GTIN names one
/// item or one packaging, never two.
#[test]
fn a_scanned_case_books_its_quantity_of_the_item() {
    let db = Db::new();
    for args in [
        vec!["location", "add", "MAIN/DOCK"],
        vec!["item", "add", "WATER", "--gtin", "04012345000016", "--tracking", "lot"],
        vec!["item", "packaging", "WATER", "case", "--gtin", "14012345000013", "--qty", "12"],
        vec!["item", "packaging", "WATER", "pallet", "--gtin", "24012345000010", "--qty", "720"],
    ] {
        db.ok(&args);
    }
    db.refused(&["item", "packaging", "WATER", "crate", "--gtin", "04012345000016", "--qty", "6"], "already_exists");
    db.refused(&["item", "packaging", "WATER", "crate", "--gtin", "14012345000012", "--qty", "6"], "invalid_value");
    db.refused(&["item", "add", "SODA", "--gtin", "14012345000013"], "already_exists");
    let list = db.ok(&["item", "packagings", "WATER"]);
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list}");
    let case = db.ok(&["scan", "(01)14012345000013(10)W1"]);
    assert_eq!((case["sku"].as_str(), case["quantity"].as_str()), (Some("WATER"), Some("12 ea")), "{case}");
    assert_eq!(case["packaging"]["name"], "case", "{case}");
    db.ok(&[
        "receive-scans",
        "--to",
        "MAIN/DOCK",
        "(01)14012345000013(10)W1",
        "(01)14012345000013(10)W1(30)3",
        "(01)24012345000010(10)W1",
        "(01)04012345000016(10)W1",
    ]);
    let stock = db.ok(&["stock", "--item", "WATER"]);
    assert_eq!(stock[0]["quantity"], "769", "12 + 3 × 12 + 720 + 1: {stock}");
    db.ok(&["verify"]);
}

#[test]
fn packagings_over_http() {
    let s = support::Server::start();
    let c = support::Server::client();
    s.standard();
    let case = serde_json::json!({"name": "case", "gtin": "14012345000020", "quantity": "6.5"});
    let (st, doc) = s.post(&c, "/api/v1/items/SAUCE/packagings", "operator", &case);
    assert_eq!(st, 403, "{doc}");
    let (st, doc) = s.post(&c, "/api/v1/items/SAUCE/packagings", "manager", &case);
    assert_eq!(st, 201, "{doc}");
    let (st, list) = s.get(&c, "/api/v1/items/SAUCE/packagings", "viewer");
    assert_eq!(
        (st, list[0]["quantity"].as_str(), list[0]["units"].as_i64()),
        (200, Some("6.500"), Some(6500)),
        "{list}"
    );
    let (st, doc) = s.post(&c, "/api/v1/scan", "viewer", &serde_json::json!({"raw": "(01)14012345000020(10)K1"}));
    assert_eq!((st, doc["quantity"].as_str()), (200, Some("6.500 kg")), "{doc}");
    s.verify_ok();
}

/// Catch weight: cheese wheels are counted and sold by weight. Receipts
/// and shipments record each line's actual weight next to its count, and
/// the history shows both.
#[test]
fn catch_weight_lines_record_their_actual_weight() {
    let db = Db::new();
    for args in [
        vec!["location", "add", "MAIN/COLD"],
        vec!["partner", "add", "DELI", "--kind", "customer"],
        vec!["item", "add", "GOUDA", "--tracking", "lot", "--catch-weight-uom", "kg", "--gtin", "04012345000023"],
        vec!["item", "add", "BRIE", "--tracking", "lot"],
    ] {
        db.ok(&args);
    }
    let receive = ["receive", "GOUDA", "--to", "MAIN/COLD", "--lot", "G1", "--qty", "12"];
    let doc = db.refused(&receive, "invalid_value");
    assert!(doc["detail"].as_str().unwrap_or("").contains("weight in kg"), "{doc}");
    let mut weighed = receive.to_vec();
    weighed.extend(["--weight", "131.4"]);
    db.ok(&weighed);
    db.refused(
        &["receive", "BRIE", "--to", "MAIN/COLD", "--lot", "B1", "--qty", "2", "--weight", "2.5"],
        "invalid_value",
    );
    db.refused(
        &["receive", "GOUDA", "--to", "MAIN/COLD", "--lot", "G1", "--qty", "1", "--weight", "1.0001"],
        "invalid_value",
    );
    db.ok(&["ship", "GOUDA", "--from", "MAIN/COLD", "--to", "DELI", "--lot", "G1", "--qty", "2", "--weight", "21.95"]);
    // A transfer inside the warehouse may go without weighing.
    db.ok(&["location", "add", "MAIN/SHOP"]);
    db.ok(&["transfer", "GOUDA", "--from", "MAIN/COLD", "--to", "MAIN/SHOP", "--lot", "G1", "--qty", "1"]);
    let history = db.ok(&["history", "GOUDA"]);
    let weights: Vec<Option<&str>> = history.as_array().expect("rows").iter().map(|r| r["weight"].as_str()).collect();
    assert_eq!(weights, [Some("131.400 kg"), Some("21.950 kg"), None], "{history}");
    assert_eq!(
        stock(&db, "GOUDA").iter().map(|r| r["quantity"].as_str().unwrap_or("")).collect::<Vec<_>>(),
        ["9", "1"]
    );
    // By scan: each wheel's label carries its net weight (AI 3103, kg).
    let doc = db.refused(&["receive-scans", "--to", "MAIN/COLD", "(01)04012345000023(10)G2"], "invalid_scan");
    assert!(doc["detail"].as_str().unwrap_or("").contains("no such weight"), "{doc}");
    let wheels = ["(01)04012345000023(10)G2(3103)010500", "(01)04012345000023(10)G2(3103)011250"];
    db.ok(&["receive-scans", "--to", "MAIN/COLD", wheels[0], wheels[1]]);
    let last = db.ok(&["history", "GOUDA", "--lot", "G2"]);
    assert_eq!((last[0]["quantity"].as_str(), last[0]["weight"].as_str()), (Some("2"), Some("21.750 kg")), "{last}");
    db.ok(&["verify"]);
}

#[test]
fn catch_weight_over_http() {
    let s = Server::start();
    let c = Server::client();
    s.standard();
    let item =
        json!({"sku": "HAM", "name": "Ham", "tracking": "lot", "uom": "ea", "scale": 0, "catch_weight_uom": "kg"});
    assert_eq!(s.post(&c, "/api/v1/items", "manager", &item).0, 201);
    let receipt = json!({"to": "WH/A", "lines": [{"sku": "HAM", "lot": "H1", "units": {"weighed": {"quantity": "4", "weight": "30.125"}}}]});
    let (st, doc) = s.post(&c, "/api/v1/receipts", "operator", &receipt);
    assert_eq!(st, 201, "{doc}");
    let bare = json!({"from": "WH/A", "to": "C1", "lines": [{"sku": "HAM", "lot": "H1", "units": {"quantity": "1"}}]});
    let (st, doc) = s.post(&c, "/api/v1/shipments", "operator", &bare);
    assert_eq!((st, doc["code"].as_str()), (422, Some("invalid_value")), "{doc}");
    let (st, page) = s.get(&c, "/api/v1/history?sku=HAM", "viewer");
    assert_eq!((st, page["items"][0]["weight"].as_str()), (200, Some("30.125 kg")), "{page}");
    s.verify_ok();
}
