//! Lots as suppliers send them: one supplier's lot code is not merged with
//! another's, and a produced lot records the day it was made and never
//! outlives its inputs. Through the real binary.

mod support;

use support::Db;

fn today_plus(days: i64) -> String {
    let d = jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    d.checked_add(jiff::Span::new().days(days)).expect("date").to_string()
}

#[test]
fn produced_lots_record_their_day_and_never_outlive_their_inputs() {
    let d = Db::new();
    let milk_expiry = today_plus(10);
    for args in [
        vec!["location", "add", "PLANT"],
        vec!["item", "add", "MILK", "--tracking", "lot", "--uom", "l"],
        vec!["item", "add", "YOGURT", "--tracking", "lot", "--shelf-life-days", "30"],
        vec!["item", "add", "CHEESE", "--tracking", "lot", "--shelf-life-days", "5"],
        vec!["receive", "MILK", "--to", "PLANT", "--lot", "M1", "--qty", "100", "--expires-on", &milk_expiry],
        vec!["produce", "--at", "PLANT", "--consume", "MILK:M1:50", "--output", "YOGURT:Y1:100"],
        vec!["produce", "--at", "PLANT", "--consume", "MILK:M1:10", "--output", "CHEESE:C1:2"],
        // Rework: an old yogurt lot reprocessed keeps the old lot's expiry.
        vec!["produce", "--at", "PLANT", "--consume", "YOGURT:Y1:20", "--output", "YOGURT:Y1R:20"],
        // A lot defined ahead is dated by the run that makes it.
        vec!["lot", "add", "YOGURT", "YP"],
        vec!["produce", "--at", "PLANT", "--consume", "MILK:M1:5", "--output", "YOGURT:YP:10"],
    ] {
        d.ok(&args);
    }
    let details = |sku: &str, lot: &str| d.ok(&["lot", "show", sku, lot]);
    let yogurt = details("YOGURT", "Y1");
    assert_eq!(yogurt["produced_on"], today_plus(0), "{yogurt}");
    assert_eq!(yogurt["expires_on"], milk_expiry, "30 days of shelf life, capped by the milk's expiry: {yogurt}");
    assert_eq!(details("CHEESE", "C1")["expires_on"], today_plus(5), "its own shelf life is shorter");
    assert_eq!(details("YOGURT", "Y1R")["expires_on"], milk_expiry, "rework does not restart the clock");
    let yp = details("YOGURT", "YP");
    assert_eq!(
        (yp["produced_on"].as_str(), yp["expires_on"].as_str()),
        (Some(today_plus(0).as_str()), Some(milk_expiry.as_str())),
        "{yp}"
    );
    d.ok(&["verify"]);
}

#[test]
fn two_suppliers_lots_with_one_code_stay_apart() {
    let d = Db::new();
    for args in [
        vec!["location", "add", "PLANT"],
        vec!["partner", "add", "FARM1", "--kind", "supplier"],
        vec!["partner", "add", "FARM2", "--kind", "supplier"],
        vec!["item", "add", "TOMATO", "--tracking", "lot", "--uom", "kg"],
        vec!["receive", "TOMATO", "--from", "FARM1", "--to", "PLANT", "--lot", "001", "--qty", "100"],
    ] {
        d.ok(&args);
    }
    let second = ["receive", "TOMATO", "--from", "FARM2", "--to", "PLANT", "--lot", "001", "--qty", "50"];
    let doc = d.refused(&second, "lot_other_supplier");
    assert!(doc["detail"].as_str().unwrap_or("").contains("came from SUPPLIERS/FARM1"), "{doc}");
    let own_code = [
        "receive",
        "TOMATO",
        "--from",
        "FARM2",
        "--to",
        "PLANT",
        "--lot",
        "F2-001",
        "--supplier-lot",
        "001",
        "--qty",
        "50",
    ];
    d.ok(&own_code);
    let back = d.ok(&["trace", "backward", "TOMATO", "--lot", "001"]);
    let text = back.to_string();
    assert!(text.contains("FARM1") && !text.contains("FARM2"), "only the first farm supplied lot 001: {text}");
    d.ok(&["verify"]);
}

/// A count of a bin where the wrong lot sits: by lot, it shows both sides
/// (Y1 missing, Y3 found) in one transaction, and needs a reason.
#[test]
fn a_count_of_the_wrong_lot_keeps_the_truth() {
    let d = Db::new();
    for args in [
        vec!["location", "add", "DC/A"],
        vec!["item", "add", "YOGURT", "--tracking", "lot"],
        vec!["receive", "YOGURT", "--to", "DC/A", "--lot", "Y1", "--qty", "100"],
        vec!["lot", "add", "YOGURT", "Y3"],
    ] {
        d.ok(&args);
    }
    d.refused(&["count", "YOGURT", "--at", "DC/A", "--lot", "Y3", "--counted", "100"], "reason_required");
    let by_lot = ["count", "YOGURT", "--at", "DC/A", "--lot-counted", "Y3=100", "--reason", "wrong lot on shelf"];
    let posted = d.ok(&by_lot);
    assert_eq!(posted["movements"], 2, "{posted}");
    let stock = d.ok(&["stock", "--item", "YOGURT"]);
    let lots: Vec<(&str, &str)> = stock
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| (r["lot"].as_str().unwrap_or(""), r["quantity"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(lots, [("Y3", "100")], "Y1 went out, Y3 came in: {stock}");
    d.ok(&["verify"]);
}

/// A supplier's recall notice names its own lot code: it finds our lots
/// in stock, trace and recall, through the CLI and the API.
#[test]
fn a_supplier_lot_code_finds_our_lots() {
    let d = Db::new();
    for args in [
        vec!["location", "add", "PLANT"],
        vec!["partner", "add", "FARM1", "--kind", "supplier"],
        vec!["partner", "add", "FARM2", "--kind", "supplier"],
        vec!["item", "add", "TOMATO", "--tracking", "lot", "--uom", "kg"],
        vec!["item", "add", "SALT", "--tracking", "lot", "--uom", "kg"],
        vec![
            "receive",
            "TOMATO",
            "--from",
            "FARM1",
            "--to",
            "PLANT",
            "--lot",
            "T-A",
            "--qty",
            "10",
            "--supplier-lot",
            "F-77",
        ],
        vec![
            "receive",
            "TOMATO",
            "--from",
            "FARM2",
            "--to",
            "PLANT",
            "--lot",
            "T-B",
            "--qty",
            "20",
            "--supplier-lot",
            "F-77",
        ],
        vec![
            "receive",
            "SALT",
            "--from",
            "FARM1",
            "--to",
            "PLANT",
            "--lot",
            "S-1",
            "--qty",
            "5",
            "--supplier-lot",
            "F-77",
        ],
    ] {
        d.ok(&args);
    }
    let count = |args: &[&str]| d.ok(args).as_array().expect("rows").len();
    assert_eq!(count(&["stock", "--supplier-lot", "F-77"]), 3);
    assert_eq!(count(&["stock", "--item", "TOMATO", "--supplier-lot", "F-77"]), 2);
    assert_eq!(count(&["stock", "--supplier-lot", "NOPE"]), 0);
    let doc = d.refused(&["trace", "forward", "TOMATO", "--supplier-lot", "F-77"], "invalid_value");
    assert!(doc["detail"].as_str().unwrap_or("").contains("T-A, T-B"), "{doc}");
    d.refused(&["trace", "forward", "TOMATO", "--supplier-lot", "F-78"], "not_found");
    let trace = d.ok(&["trace", "backward", "SALT", "--supplier-lot", "F-77"]);
    assert!(trace.to_string().contains("S-1"), "{trace}");
    d.ok(&["recall", "SALT", "--supplier-lot", "F-77", "--reason", "supplier notice N-12"]);
    assert_eq!(d.ok(&["lot", "show", "SALT", "S-1"])["status"], "recalled");
    d.ok(&["verify"]);
}

#[test]
fn a_supplier_lot_code_finds_our_lots_over_http() {
    let s = support::Server::start();
    let c = support::Server::client();
    s.standard();
    let receipt = serde_json::json!({"from": "S1", "to": "WH/A", "lines": [{"sku": "SAUCE", "lot": "K1",
        "details": {"supplier_lot": "ACME-9"}, "units": {"quantity": "4"}}]});
    assert_eq!(s.post(&c, "/api/v1/receipts", "operator", &receipt).0, 201);
    let (st, page) = s.get(&c, "/api/v1/stock?supplier_lot=ACME-9", "viewer");
    assert_eq!(st, 200, "{page}");
    assert_eq!(page["items"][0]["lot"], "K1", "{page}");
    let (st, trace) = s.get(&c, "/api/v1/trace?direction=backward&sku=SAUCE&supplier_lot=ACME-9", "viewer");
    assert_eq!(st, 200, "{trace}");
    let recall = serde_json::json!({"sku": "SAUCE", "supplier_lot": "ACME-9", "reason": "notice"});
    let (st, report) = s.post(&c, "/api/v1/recalls", "manager", &recall);
    assert_eq!((st, report["lot"]["code"].as_str()), (201, Some("K1")), "{report}");
    s.verify_ok();
}

/// Relabelling keeps the link: a supplier's lot taken into an internal lot
/// is traced through, keeps its dates and supplier code, and cannot free a
/// held lot; a wrong label found by a count is one relabel, not two
/// unrelated adjustments.
#[test]
fn a_relabel_keeps_the_link_in_the_trace() {
    let d = Db::new();
    let expiry = today_plus(40);
    for args in [
        vec!["location", "add", "PLANT"],
        vec!["partner", "add", "FARM1", "--kind", "supplier"],
        vec!["partner", "add", "SHOP", "--kind", "customer"],
        vec!["item", "add", "TOMATO", "--tracking", "lot", "--uom", "kg"],
        vec!["item", "add", "KETCHUP", "--tracking", "lot"],
        vec![
            "receive",
            "TOMATO",
            "--from",
            "FARM1",
            "--to",
            "PLANT",
            "--lot",
            "001",
            "--qty",
            "100",
            "--expires-on",
            &expiry,
            "--supplier-lot",
            "F-001",
        ],
    ] {
        d.ok(&args);
    }
    let relabel = ["relabel", "TOMATO", "--at", "PLANT", "--from-lot", "001", "--to-lot", "T-2611", "--qty", "60"];
    d.refused(&relabel, "reason_required");
    let mut with_reason = relabel.to_vec();
    with_reason.extend(["--reason", "internal lot"]);
    d.ok(&with_reason);
    let new = d.ok(&["lot", "show", "TOMATO", "T-2611"]);
    assert_eq!(
        (new["expires_on"].as_str(), new["supplier_lot"].as_str()),
        (Some(expiry.as_str()), Some("F-001")),
        "{new}"
    );
    d.ok(&["produce", "--at", "PLANT", "--consume", "TOMATO:T-2611:50", "--output", "KETCHUP:K1:100"]);
    d.ok(&["ship", "KETCHUP", "--from", "PLANT", "--to", "SHOP", "--lot", "K1", "--qty", "10"]);
    let forward = d.ok(&["trace", "forward", "TOMATO", "--lot", "001"]).to_string();
    assert!(forward.contains("T-2611") && forward.contains("K1") && forward.contains("SHOP"), "{forward}");
    assert!(forward.contains("\"kind\":\"relabel\""), "the link says what it was: {forward}");
    let from_new = d.ok(&["trace", "forward", "TOMATO", "--lot", "T-2611"]);
    assert_eq!(from_new["supplier_lots"]["TOMATO T-2611"], "F-001", "the trace shows the supplier's code: {from_new}");
    let backward = d.ok(&["trace", "backward", "KETCHUP", "--lot", "K1"]).to_string();
    assert!(backward.contains("\"001\"") && backward.contains("FARM1"), "{backward}");
    // A new label neither extends the stock's life nor changes its status.
    let later = today_plus(80);
    let mut longer = with_reason.clone();
    longer[7] = "T-NEW";
    longer[9] = "1";
    longer.extend(["--expires-on", &later]);
    d.refused(&longer, "invalid_value");
    d.ok(&["lot", "add", "TOMATO", "T-Q", "--status", "quarantine"]);
    let mut into_quarantined = with_reason.clone();
    into_quarantined[7] = "T-Q";
    into_quarantined[9] = "1";
    d.refused(&into_quarantined, "lot_conflict");
    // A held lot is not relabelled out of its hold.
    d.ok(&["lot", "set-status", "TOMATO", "001", "on_hold", "--reason", "pesticide test"]);
    let mut held = with_reason.clone();
    held[9] = "10";
    d.refused(&held, "lot_blocked");
    // A count finds Y3 where Y1 was booked; one relabel records the swap.
    for args in [
        vec!["item", "add", "YOGURT", "--tracking", "lot"],
        vec!["receive", "YOGURT", "--to", "PLANT", "--lot", "Y1", "--qty", "100"],
        vec!["lot", "add", "YOGURT", "Y3"],
    ] {
        d.ok(&args);
    }
    let swap = [
        "relabel",
        "YOGURT",
        "--at",
        "PLANT",
        "--from-lot",
        "Y1",
        "--to-lot",
        "Y3",
        "--qty",
        "100",
        "--reason",
        "label swap found by count",
    ];
    d.ok(&swap);
    let count = d.ok(&["count", "YOGURT", "--at", "PLANT", "--lot-counted", "Y3=100"]);
    assert_eq!(count["movements"], 0, "the books now match the shelf: {count}");
    let y3 = d.ok(&["trace", "backward", "YOGURT", "--lot", "Y3"]).to_string();
    assert!(y3.contains("Y1"), "{y3}");
    d.ok(&["verify"]);
}

/// A certificate of analysis attached to a lot: stored once by its hash,
/// listed with the lot, read back byte for byte, and covered by verify: a
/// document whose bytes are changed in the database is named.
#[test]
fn a_certificate_of_analysis_is_attached_by_its_hash() {
    let d = Db::new();
    for args in [
        vec!["location", "add", "PLANT"],
        vec!["item", "add", "FLOUR", "--tracking", "lot", "--uom", "kg"],
        vec!["receive", "FLOUR", "--to", "PLANT", "--lot", "F1", "--qty", "100"],
    ] {
        d.ok(&args);
    }
    let pdf = d.path("coa-F1.pdf");
    let content = b"%PDF-1.4\n% certificate of analysis, lot F1: moisture 11.2 %, pass\n%%EOF\n".to_vec();
    std::fs::write(&pdf, &content).expect("write");
    let file = pdf.to_str().expect("utf-8");
    d.refused(&["lot", "attach", "FLOUR", "NOPE", file], "not_found");
    d.ok(&["lot", "attach", "FLOUR", "F1", file, "--kind", "coa", "--result", "pass"]);
    let lot = d.ok(&["lot", "show", "FLOUR", "F1"]);
    let doc = &lot["documents"][0];
    assert_eq!((doc["kind"].as_str(), doc["result"].as_str()), (Some("coa"), Some("pass")), "{lot}");
    assert_eq!(doc["media_type"], "application/pdf");
    let sha = doc["sha256"].as_str().expect("sha256").to_owned();
    let back = d.path("back.pdf");
    d.ok(&["lot", "document", &sha, "--out", back.to_str().expect("utf-8")]);
    assert_eq!(std::fs::read(&back).expect("read"), content);
    d.ok(&["verify"]);
    // Someone swaps the certificate's bytes in the file: verify names it.
    let c = rusqlite::Connection::open(&d.db).expect("open");
    c.execute_batch("DROP TRIGGER documents_immutable").expect("drop trigger");
    let forged = String::from_utf8(content.clone()).expect("utf-8").replace("pass", "fail");
    c.execute("UPDATE documents SET bytes = ?1", [forged.as_bytes()]).expect("edit");
    drop(c);
    let out = support::tracelot(&d.db, &["verify"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(out.status.code(), Some(1), "{report}");
    let problems = report["problems"].to_string();
    assert!(problems.contains("cannot be replayed") && problems.contains(&sha), "{report}");
}

#[test]
fn documents_over_http() {
    let s = support::Server::start();
    let c = support::Server::client();
    s.standard();
    let receipt =
        serde_json::json!({"to": "WH/A", "lines": [{"sku": "SAUCE", "lot": "K1", "units": {"quantity": "4"}}]});
    assert_eq!(s.post(&c, "/api/v1/receipts", "operator", &receipt).0, 201);
    let upload = |role: &str| {
        s.req(&c, "POST", "/api/v1/lots/SAUCE/K1/documents?kind=coa&name=coa.pdf&result=pass", Some(role))
            .header("content-type", "application/pdf")
            .body(b"%PDF-1.4 lab report\n".to_vec())
            .send()
            .expect("send")
    };
    assert_eq!(upload("operator").status().as_u16(), 403);
    let (st, posted) = support::status_json(upload("qc"));
    assert_eq!(st, 201, "{posted}");
    let (st, lot) = s.get(&c, "/api/v1/lots/SAUCE/K1", "viewer");
    assert_eq!(st, 200);
    let sha = lot["documents"][0]["sha256"].as_str().expect("sha").to_owned();
    let bytes = s
        .req(&c, "GET", &format!("/api/v1/documents/{sha}"), Some("viewer"))
        .send()
        .expect("send")
        .bytes()
        .expect("bytes");
    assert_eq!(bytes.as_ref(), b"%PDF-1.4 lab report\n");
    s.verify_ok();
}
