//! The real `tracelot` binary on a temporary database, through the
//! situations the system exists for.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

/// A temporary database and the binary that works on it.
struct Tl {
    _dir: tempfile::TempDir,
    db: PathBuf,
}

impl Tl {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("t.db");
        let t = Tl { _dir: dir, db };
        t.ok(&["init"]);
        t
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_tracelot"))
            .args(["--db", self.db.to_str().expect("utf-8 path"), "--user", "alice", "--json"])
            .args(args)
            .env_remove("TRACELOT_DATABASE_URL")
            .output()
            .expect("run tracelot")
    }

    /// Runs a verb that must succeed and returns its JSON document.
    fn ok(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "tracelot {args:?} failed: {stdout} {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("tracelot {args:?} printed no JSON ({e}): {stdout}"))
    }

    /// Runs a verb that must be refused under `code`; returns the problem document.
    fn refused(&self, args: &[&str], code: &str) -> Value {
        let out = self.run(args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "tracelot {args:?} should exit 1: {stdout}");
        let doc: Value = serde_json::from_str(&stdout).expect("problem JSON");
        assert_eq!(doc["code"], code, "{doc}");
        doc
    }

    fn on_hand(&self, extra: &[&str]) -> i64 {
        let mut args = vec!["stock"];
        args.extend_from_slice(extra);
        self.ok(&args).as_array().expect("rows").iter().map(|r| r["units"].as_i64().expect("units")).sum()
    }

    fn verify_ok(&self) {
        let v = self.ok(&["verify"]);
        assert_eq!(v["problems"].as_array().map(Vec::len), Some(0), "{v}");
    }
}

fn today_plus(days: i64) -> String {
    let today = jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    today.checked_add(jiff::Span::new().days(days)).expect("date").to_string()
}

fn base(t: &Tl) {
    t.ok(&["location", "add", "MAIN/A/01"]);
    t.ok(&["location", "add", "MAIN/B/01"]);
    t.ok(&["partner", "add", "SUP", "--kind", "supplier", "--name", "Supplier Ltd"]);
    t.ok(&["partner", "add", "ACME", "--kind", "customer"]);
    t.ok(&["partner", "add", "BISTRO", "--kind", "customer"]);
}

#[test]
fn ketchup_lot_of_1000_partly_shipped_to_two_customers() {
    let t = Tl::new();
    base(&t);
    t.ok(&[
        "item",
        "add",
        "KETCHUP-500",
        "--name",
        "Ketchup 500 g",
        "--tracking",
        "lot",
        "--gtin",
        "09506000134352",
        "--shelf-life-days",
        "365",
    ]);
    let r = t.ok(&[
        "receive",
        "KETCHUP-500",
        "--from",
        "SUP",
        "--to",
        "MAIN/A/01",
        "--lot",
        "K2611A",
        "--qty",
        "1000",
        "--produced-on",
        &today_plus(-1),
        "--best-before",
        &today_plus(300),
        "--ref",
        "PO-1",
    ]);
    assert_eq!(r["movements"], 1);
    let lot = t.ok(&["lot", "show", "KETCHUP-500", "K2611A"]);
    assert_eq!(lot["best_before"], today_plus(300));
    assert_eq!(lot["expires_on"], today_plus(364), "expiry defaults from the shelf life");
    t.ok(&[
        "ship",
        "KETCHUP-500",
        "--from",
        "MAIN/A/01",
        "--to",
        "ACME",
        "--lot",
        "K2611A",
        "--qty",
        "300",
        "--ref",
        "SO-1",
    ]);
    t.ok(&[
        "ship",
        "KETCHUP-500",
        "--from",
        "MAIN/A/01",
        "--to",
        "BISTRO",
        "--lot",
        "K2611A",
        "--qty",
        "200",
        "--ref",
        "SO-2",
    ]);
    assert_eq!(t.on_hand(&["--item", "KETCHUP-500"]), 500);
    let all = t.ok(&["stock", "--item", "KETCHUP-500", "--all"]);
    let at =
        |loc: &str| all.as_array().expect("rows").iter().find(|r| r["location"] == loc).map(|r| r["units"].clone());
    assert_eq!(at("CUSTOMERS/ACME"), Some(300.into()));
    assert_eq!(at("CUSTOMERS/BISTRO"), Some(200.into()));
    assert_eq!(at("SUPPLIERS/SUP"), Some((-1000).into()));
    let h = t.ok(&["history", "KETCHUP-500", "--lot", "K2611A"]);
    let refs: Vec<&str> = h.as_array().expect("rows").iter().map(|r| r["reference"].as_str().expect("ref")).collect();
    assert_eq!(refs, ["PO-1", "SO-1", "SO-2"]);
    assert!(
        h.as_array()
            .expect("rows")
            .iter()
            .all(|r| r["user"] == "alice" && r["recorded_at"].is_string() && r["occurred_at"].is_string())
    );
    t.refused(
        &["ship", "KETCHUP-500", "--from", "MAIN/A/01", "--to", "ACME", "--lot", "K2611A", "--qty", "501"],
        "insufficient_stock",
    );
    t.refused(&["ship", "KETCHUP-500", "--from", "MAIN/A/01", "--to", "ACME", "--qty", "1"], "lot_required");
    t.verify_ok();
}

#[test]
fn milk_lots_by_expiry_and_the_expired_one_is_refused() {
    let t = Tl::new();
    base(&t);
    t.ok(&["item", "add", "MILK-1L", "--tracking", "lot", "--shelf-life-days", "10"]);
    t.ok(&[
        "receive",
        "MILK-1L",
        "--from",
        "SUP",
        "--to",
        "MAIN/A/01",
        "--lot",
        "M-OLD",
        "--qty",
        "40",
        "--expires-on",
        &today_plus(-1),
    ]);
    t.ok(&[
        "receive",
        "MILK-1L",
        "--from",
        "SUP",
        "--to",
        "MAIN/A/01",
        "--lot",
        "M-NEW",
        "--qty",
        "60",
        "--expires-on",
        &today_plus(8),
    ]);
    let doc = t.refused(
        &["ship", "MILK-1L", "--from", "MAIN/A/01", "--to", "ACME", "--lot", "M-OLD", "--qty", "5"],
        "lot_expired",
    );
    assert!(doc["detail"].as_str().expect("detail").contains("expired on"), "{doc}");
    t.refused(
        &["ship", "MILK-1L", "--from", "MAIN/A/01", "--to", "ACME", "--lot", "M-OLD", "--qty", "5", "--allow-expired"],
        "reason_required",
    );
    t.ok(&["ship", "MILK-1L", "--from", "MAIN/A/01", "--to", "ACME", "--lot", "M-NEW", "--qty", "5"]);
    let p = t.ok(&[
        "ship",
        "MILK-1L",
        "--from",
        "MAIN/A/01",
        "--to",
        "BISTRO",
        "--lot",
        "M-OLD",
        "--qty",
        "2",
        "--allow-expired",
        "--reason",
        "pig feed",
    ]);
    assert_eq!(p["overrides"][0]["reason"], "pig feed", "the override is recorded");
    let exp = t.ok(&["expiring", "--days", "3"]);
    let lots: Vec<&str> = exp.as_array().expect("rows").iter().map(|r| r["lot"].as_str().expect("lot")).collect();
    assert_eq!(lots, ["M-OLD"]);
    assert_eq!(exp[0]["units"], 38);
    t.verify_ok();
}

#[test]
fn fireworks_lot_coded_by_date_and_shift() {
    let t = Tl::new();
    base(&t);
    t.ok(&["item", "add", "ROCKET-12", "--tracking", "lot"]);
    t.ok(&[
        "receive",
        "ROCKET-12",
        "--from",
        "SUP",
        "--to",
        "MAIN/A/01",
        "--lot",
        "20261120-S2",
        "--qty",
        "200",
        "--produced-on",
        "2026-11-20",
        "--attr",
        "shift=2",
        "--attr",
        "line=B",
    ]);
    let lot = t.ok(&["lot", "show", "ROCKET-12", "20261120-S2"]);
    assert_eq!(lot["attributes"]["shift"], "2");
    assert_eq!(lot["produced_on"], "2026-11-20");
    t.refused(
        &[
            "receive",
            "ROCKET-12",
            "--from",
            "SUP",
            "--to",
            "MAIN/A/01",
            "--lot",
            "20261120-S2",
            "--qty",
            "1",
            "--attr",
            "shift=3",
        ],
        "lot_conflict",
    );
    t.refused(&["lot", "set-status", "ROCKET-12", "20261120-S2", "quarantine"], "reason_required");
    t.ok(&["lot", "set-status", "ROCKET-12", "20261120-S2", "quarantine", "--reason", "ATF inspection"]);
    t.refused(
        &["ship", "ROCKET-12", "--from", "MAIN/A/01", "--to", "ACME", "--lot", "20261120-S2", "--qty", "10"],
        "lot_not_released",
    );
    t.ok(&["lot", "set-status", "ROCKET-12", "20261120-S2", "released", "--reason", "inspection passed"]);
    t.ok(&["ship", "ROCKET-12", "--from", "MAIN/A/01", "--to", "ACME", "--lot", "20261120-S2", "--qty", "10"]);
    let history = t.ok(&["lot", "show", "ROCKET-12", "20261120-S2"])["status_history"].clone();
    let changes: Vec<(String, String)> = history
        .as_array()
        .expect("history")
        .iter()
        .map(|c| (c["status"].as_str().unwrap_or("").to_owned(), c["user"].as_str().unwrap_or("").to_owned()))
        .collect();
    assert_eq!(
        changes,
        [
            ("released".into(), "alice".into()),
            ("quarantine".into(), "alice".into()),
            ("released".into(), "alice".into())
        ]
    );
    t.refused(&["lot", "set-status", "ROCKET-12", "20261120-S2", "burnt", "--reason", "x"], "invalid_value");
    t.verify_ok();
}

#[test]
fn fabric_dye_lots_with_shade_shipped_by_lot_in_metres() {
    let t = Tl::new();
    base(&t);
    t.ok(&["item", "add", "FABRIC-RED", "--tracking", "lot", "--uom", "m", "--scale", "2"]);
    t.ok(&[
        "receive",
        "FABRIC-RED",
        "--from",
        "SUP",
        "--to",
        "MAIN/A/01",
        "--lot",
        "DYE-0457",
        "--qty",
        "350.5",
        "--attr",
        "shade=R-12",
    ]);
    t.ok(&[
        "receive",
        "FABRIC-RED",
        "--from",
        "SUP",
        "--to",
        "MAIN/A/01",
        "--lot",
        "DYE-0458",
        "--qty",
        "120",
        "--attr",
        "shade=R-14",
    ]);
    t.ok(&["ship", "FABRIC-RED", "--from", "MAIN/A/01", "--to", "BISTRO", "--lot", "DYE-0457", "--qty", "75.25"]);
    let rows = t.ok(&["stock", "--item", "FABRIC-RED", "--lot", "DYE-0457"]);
    assert_eq!(rows[0]["quantity"], "275.25");
    assert_eq!(rows[0]["units"], 27525, "stored as an integer count of centimetres");
    let doc = t.refused(
        &["ship", "FABRIC-RED", "--from", "MAIN/A/01", "--to", "BISTRO", "--lot", "DYE-0458", "--qty", "1.005"],
        "invalid_value",
    );
    assert!(doc["detail"].as_str().expect("detail").contains("decimal places"), "{doc}");
    assert_eq!(t.ok(&["lot", "show", "FABRIC-RED", "DYE-0458"])["attributes"]["shade"], "R-14");
    t.verify_ok();
}

#[test]
fn phones_by_serial_range_shipped_then_looked_up_for_warranty() {
    let t = Tl::new();
    base(&t);
    t.ok(&["item", "add", "PHONE-X", "--tracking", "serial", "--warranty-months", "24"]);
    let r = t.ok(&["receive", "PHONE-X", "--from", "SUP", "--to", "MAIN/A/01", "--serial", "SN0001..SN1000"]);
    assert_eq!(r["movements"], 1000);
    t.refused(&["transfer", "PHONE-X", "--from", "MAIN/A/01", "--to", "MAIN/B/01", "--qty", "1"], "serial_required");
    t.ok(&[
        "ship",
        "PHONE-X",
        "--from",
        "MAIN/A/01",
        "--to",
        "ACME",
        "--serial",
        "SN0007",
        "--serial",
        "SN0010..SN0012",
        "--ref",
        "SO-9",
    ]);
    assert_eq!(t.on_hand(&["--item", "PHONE-X"]), 996);
    let one = t.ok(&["stock", "--item", "PHONE-X", "--serial", "SN0008"]);
    assert_eq!(one.as_array().map(Vec::len), Some(1));
    assert_eq!(one[0]["location"], "MAIN/A/01");
    assert_eq!(
        t.ok(&["stock", "--serial", "SN0007"]).as_array().map(Vec::len),
        Some(0),
        "shipped units are not on hand"
    );
    let w = t.ok(&["where", "PHONE-X", "SN0011"]);
    assert_eq!(w["location"], "CUSTOMERS/ACME");
    let warranty = t.ok(&["warranty", "PHONE-X", "SN0007"]);
    assert_eq!(warranty["shipped_on"], today_plus(0));
    let today = jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    let end = today.checked_add(jiff::Span::new().months(24)).expect("date").to_string();
    assert_eq!(warranty["warranty_end"], end);
    assert_eq!(warranty["status"], "active");
    assert_eq!(warranty["customer"], "CUSTOMERS/ACME");
    assert_eq!(t.ok(&["warranty", "PHONE-X", "SN0008"])["status"], "not_started");
    t.refused(&["ship", "PHONE-X", "--from", "MAIN/A/01", "--to", "BISTRO", "--serial", "SN0007"], "serial_not_there");
    t.verify_ok();
}

#[test]
fn cars_by_vin_and_a_wrong_check_digit_is_refused() {
    let t = Tl::new();
    base(&t);
    t.ok(&["item", "add", "SEDAN", "--tracking", "serial", "--serial-kind", "vin", "--warranty-months", "36"]);
    t.ok(&["receive", "SEDAN", "--from", "SUP", "--to", "MAIN/A/01", "--serial", "1M8GDM9AXKP042788"]);
    let doc = t.refused(
        &["receive", "SEDAN", "--from", "SUP", "--to", "MAIN/A/01", "--serial", "1M8GDM9A1KP042788"],
        "invalid_value",
    );
    assert!(doc["detail"].as_str().expect("detail").contains("check digit"), "{doc}");
    t.refused(
        &["receive", "SEDAN", "--from", "SUP", "--to", "MAIN/A/01", "--serial", "1M8GDM9AXKP04278"],
        "invalid_value",
    );
    t.refused(
        &["receive", "SEDAN", "--from", "SUP", "--to", "MAIN/A/01", "--serial", "1M8GDM9AXKP042788"],
        "serial_exists",
    );
    let doc = t.refused(&["item", "add", "BAD-GTIN", "--gtin", "09506000134353"], "invalid_value");
    assert_eq!(doc["field"], "--gtin");
    assert!(doc["detail"].as_str().expect("detail").contains("gtin_check_digit"), "{doc}");
    t.ok(&["ship", "SEDAN", "--from", "MAIN/A/01", "--to", "ACME", "--serial", "1M8GDM9AXKP042788"]);
    assert_eq!(t.ok(&["where", "SEDAN", "1M8GDM9AXKP042788"])["location"], "CUSTOMERS/ACME");
    t.verify_ok();
}

#[test]
fn appliances_returned_then_shipped_again_with_history_intact() {
    let t = Tl::new();
    base(&t);
    t.ok(&[
        "item",
        "add",
        "FRIDGE",
        "--tracking",
        "serial",
        "--warranty-months",
        "24",
        "--serial-pattern",
        "FR{seq:5}",
    ]);
    let r = t.ok(&["receive", "FRIDGE", "--from", "SUP", "--to", "MAIN/A/01", "--generate", "3"]);
    assert_eq!(r["generated_serials"], serde_json::json!(["FR00001", "FR00002", "FR00003"]));
    t.ok(&["ship", "FRIDGE", "--from", "MAIN/A/01", "--to", "ACME", "--serial", "FR00002", "--ref", "SO-1"]);
    let doc =
        t.refused(&["receive", "FRIDGE", "--from", "SUP", "--to", "MAIN/A/01", "--serial", "FR00002"], "serial_exists");
    assert!(doc["detail"].as_str().expect("detail").contains("return"), "points at `return`: {doc}");
    t.refused(&["return", "FRIDGE", "--from", "ACME", "--to", "MAIN/B/01", "--serial", "FR00002"], "reason_required");
    t.refused(
        &["return", "FRIDGE", "--from", "BISTRO", "--to", "MAIN/B/01", "--serial", "FR00002", "--reason", "x"],
        "serial_not_there",
    );
    t.ok(&[
        "return",
        "FRIDGE",
        "--from",
        "ACME",
        "--to",
        "MAIN/B/01",
        "--serial",
        "FR00002",
        "--reason",
        "door seal",
        "--ref",
        "RMA-7",
    ]);
    t.ok(&["ship", "FRIDGE", "--from", "MAIN/B/01", "--to", "BISTRO", "--serial", "FR00002", "--ref", "SO-2"]);
    let h = t.ok(&["history", "FRIDGE", "--serial", "FR00002"]);
    let kinds: Vec<&str> = h.as_array().expect("rows").iter().map(|r| r["kind"].as_str().expect("kind")).collect();
    assert_eq!(kinds, ["receive", "ship", "return", "ship"]);
    assert_eq!(h[2]["reason"], "door seal");
    assert_eq!(h[2]["reference"], "RMA-7");
    let w = t.ok(&["warranty", "FRIDGE", "FR00002"]);
    assert_eq!(w["customer"], "CUSTOMERS/ACME", "the warranty starts at the first shipment");
    assert_eq!(w["returns"].as_array().map(Vec::len), Some(1));
    assert_eq!(w["location"], "CUSTOMERS/BISTRO");
    let more = t.ok(&["receive", "FRIDGE", "--from", "SUP", "--to", "MAIN/A/01", "--generate", "1"]);
    assert_eq!(more["generated_serials"], serde_json::json!(["FR00004"]));
    t.verify_ok();
}

#[test]
fn ids_make_retries_harmless_and_reversals_correct_mistakes() {
    let t = Tl::new();
    base(&t);
    t.ok(&["item", "add", "BOLT", "--uom", "kg", "--scale", "3"]);
    let id = "01936a8e-0000-7000-8000-000000000001";
    let first = t.ok(&["receive", "BOLT", "--to", "MAIN/A/01", "--qty", "12.5", "--id", id]);
    let again = t.ok(&["receive", "BOLT", "--to", "MAIN/A/01", "--qty", "12.5", "--id", id]);
    assert_eq!(again["replayed"], true);
    assert_eq!(again["seq"], first["seq"]);
    assert_eq!(t.on_hand(&["--item", "BOLT"]), 12_500);
    t.refused(&["receive", "BOLT", "--to", "MAIN/A/01", "--qty", "13", "--id", id], "idempotency_conflict");
    t.refused(&["receive", "BOLT", "--to", "MAIN/A/01", "--qty", "1", "--id", "not-a-uuid"], "invalid_value");
    let rev = t.ok(&["reverse", id, "--reason", "wrong supplier"]);
    assert_eq!(rev["movements"], 1);
    assert_eq!(t.on_hand(&["--item", "BOLT"]), 0);
    t.refused(&["reverse", id], "not_reversible");
    t.ok(&["receive", "BOLT", "--to", "MAIN/A/01", "--qty", "10"]);
    t.ok(&["count", "BOLT", "--at", "MAIN/A/01", "--counted", "9.75", "--reason", "cycle count"]);
    t.ok(&["adjust", "BOLT", "--at", "MAIN/A/01", "--qty", "-0.75", "--reason", "rust"]);
    t.refused(&["adjust", "BOLT", "--at", "MAIN/A/01", "--qty", "+1"], "reason_required");
    t.ok(&["scrap", "BOLT", "--at", "MAIN/A/01", "--qty", "1"]);
    assert_eq!(t.on_hand(&["--item", "BOLT"]), 8_000);
    let before = jiff::Timestamp::now().to_string();
    std::thread::sleep(std::time::Duration::from_millis(5));
    t.ok(&["transfer", "BOLT", "--from", "MAIN/A/01", "--to", "MAIN/B/01", "--qty", "8"]);
    assert_eq!(t.on_hand(&["--item", "BOLT", "--location", "MAIN/A", "--as-of", &before]), 8_000);
    assert_eq!(t.on_hand(&["--item", "BOLT", "--location", "MAIN/A"]), 0);
    assert_eq!(t.on_hand(&["--item", "BOLT", "--location", "MAIN"]), 8_000);
    t.verify_ok();
}

#[test]
fn verify_exits_1_and_names_the_row_edited_behind_its_back() {
    let t = Tl::new();
    base(&t);
    t.ok(&["item", "add", "NUT"]);
    t.ok(&["receive", "NUT", "--to", "MAIN/A/01", "--qty", "100"]);
    t.verify_ok();
    let db = rusqlite::Connection::open(&t.db).expect("open");
    db.execute_batch("DROP TRIGGER movements_append_only_update; UPDATE movements SET qty = 1000;").expect("tamper");
    drop(db);
    let out = t.run(&["verify"]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(v["problems"][0].as_str().expect("problem").contains("hash mismatch"), "{v}");
    let text = Command::new(env!("CARGO_BIN_EXE_tracelot"))
        .args(["--db", t.db.to_str().expect("path"), "verify"])
        .output()
        .expect("run");
    assert_eq!(text.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&text.stdout).starts_with("MISMATCH: transaction #"));
}

#[test]
fn the_demo_builds_and_verifies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("demo.db");
    let run = |replace: bool| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_tracelot"));
        c.args(["demo", "--out", out.to_str().expect("path")]);
        if replace {
            c.arg("--replace");
        }
        c.output().expect("run demo")
    };
    let first = run(false);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let text = String::from_utf8_lossy(&first.stdout);
    for part in [
        "== stock on hand ==",
        "== history of PHONE-X serial PX0007 ==",
        "== history of KETCHUP-500 lot K2611A ==",
        "OK: ",
    ] {
        assert!(text.contains(part), "missing {part:?} in {text}");
    }
    assert!(!run(false).status.success(), "an existing file is not replaced without --replace");
    assert!(run(true).status.success());
}

#[test]
fn bad_input_is_a_clear_error_that_changes_nothing() {
    let t = Tl::new();
    base(&t);
    t.ok(&["item", "add", "X", "--tracking", "lot"]);
    let head = t.ok(&["verify"])["head"].clone();
    t.refused(&["receive", "X", "--to", "MAIN/A/01", "--lot", "L 1", "--qty", "1"], "invalid_value");
    t.refused(&["receive", "X", "--to", "MAIN/A/01", "--lot", "L1", "--qty=-1"], "invalid_value");
    t.refused(&["receive", "X", "--to", "NOWHERE", "--lot", "L1", "--qty", "1"], "not_found");
    t.refused(&["receive", "X", "--to", "ACME", "--lot", "L1", "--qty", "1"], "wrong_location_kind");
    t.refused(
        &["receive", "X", "--to", "MAIN/A/01", "--lot", "L1", "--qty", "1", "--expires-on", "2026-02-30"],
        "invalid_value",
    );
    t.refused(
        &["receive", "X", "--to", "MAIN/A/01", "--lot", "L1", "--qty", "1", "--occurred-at", "yesterday"],
        "invalid_value",
    );
    t.refused(&["item", "add", "X"], "already_exists");
    t.refused(&["item", "add", "Y", "--tracking", "sometimes"], "invalid_value");
    t.refused(&["location", "add", "CUSTOMERS/ACME/BIN", "--kind", "internal"], "wrong_location_kind");
    t.refused(&["partner", "add", "P", "--kind", "scrap"], "wrong_location_kind");
    assert_eq!(t.ok(&["verify"])["head"], head, "nothing was written");
    t.refused(&["history", "NOPE"], "not_found");
    t.refused(&["where", "X", "NOPE"], "not_found");
    t.refused(&["lot", "show", "X", "NOPE"], "not_found");
    t.refused(&["warranty", "X", "NOPE"], "not_found");
    let out = t.run(&["receive"]);
    assert_eq!(out.status.code(), Some(2), "usage errors exit 2");
}

#[test]
fn the_database_comes_from_the_environment_and_init_is_safe_to_repeat() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("env.db");
    let url = format!("sqlite://{}", db.display());
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_tracelot"))
            .args(args)
            .env("TRACELOT_DATABASE_URL", &url)
            .env("TRACELOT_USER", "env-user")
            .output()
            .expect("run")
    };
    let missing = run(&["stock"]);
    assert_eq!(missing.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("tracelot init"));
    assert!(run(&["init"]).status.success());
    assert!(run(&["location", "add", "A"]).status.success());
    assert!(run(&["init"]).status.success(), "init again keeps the database");
    assert!(run(&["item", "add", "X"]).status.success());
    assert!(run(&["receive", "X", "--to", "A", "--qty", "3"]).status.success());
    let h: Value = serde_json::from_slice(&run(&["history", "X", "--json"]).stdout).expect("json");
    assert_eq!(h[0]["user"], "env-user");
    assert!(db.exists(), "the file named by TRACELOT_DATABASE_URL holds the ledger");
}
