//! Single requests that used to stop the writer or break the ledger for
//! good, each through the real server on both backends: each is refused,
//! naming its field and rule, and the service keeps working afterwards
//! (the next ordinary write succeeds and `verify` is OK).

mod support;

use std::sync::Arc;

use serde_json::{Value, json};
use support::{Server, tracelot};
use tracelot_store_postgres::testing::TestDb;

fn refused(s: &Server, path: &str, body: Value, status: u16, code: &str, field: &str) {
    let (got, doc) = s.post(&Server::client(), path, "manager", &body);
    assert_eq!((got, doc["code"].as_str(), doc["field"].as_str()), (status, Some(code), Some(field)), "{doc}");
}

fn receive(s: &Server, sku: &str, quantity: &str) -> (u16, Value) {
    let body = json!({"from": "S1", "to": "WH/A", "lines": [{"sku": sku, "units": {"quantity": quantity}}]});
    s.post(&Server::client(), "/api/v1/receipts", "operator", &body)
}

/// The service still takes an ordinary write, answers a stock query, and
/// its ledger verifies.
fn still_works(s: &Server) {
    let body = json!({"to": "WH/A", "lines": [{"sku": "SAUCE", "lot": "L-OK", "units": {"quantity": "1.5"}}]});
    let (status, doc) = s.post(&Server::client(), "/api/v1/receipts", "operator", &body);
    assert_eq!(status, 201, "{doc}");
    let (status, doc) = s.get(&Server::client(), "/api/v1/stock?include_virtual=true", "viewer");
    assert_eq!(status, 200, "{doc}");
    s.verify_ok();
}

/// Day and month counts are bounded where they are parsed: a shelf life
/// that used to panic the writer at the next receipt is refused at once.
fn day_counts_are_bounded(s: &Server) {
    let item = |field: &str, value: u64| json!({"sku": format!("BIG-{field}"), "name": "Big", "tracking": "lot", "uom": "ea", "scale": 0, field: value});
    refused(s, "/api/v1/items", item("shelf_life_days", 8_000_000), 422, "invalid_value", "shelf_life_days");
    refused(s, "/api/v1/items", item("warranty_months", 4_000_000_000), 422, "invalid_value", "warranty_months");
    let customer = json!({"code": "PICKY", "name": "Picky", "kind": "customer", "min_shelf_life_days": 8_000_000});
    refused(s, "/api/v1/partners", customer, 422, "invalid_value", "min_shelf_life_days");
    let (status, doc) = s.post(&Server::client(), "/api/v1/items", "manager", &item("shelf_life_days", 36_525));
    assert_eq!(status, 201, "a shelf life of 100 years is allowed: {doc}");
    let body =
        json!({"to": "WH/A", "lines": [{"sku": "BIG-shelf_life_days", "lot": "L1", "units": {"quantity": "1"}}]});
    let (status, doc) = s.post(&Server::client(), "/api/v1/receipts", "operator", &body);
    assert_eq!(status, 201, "{doc}");
    still_works(s);
}

/// A balance at the 64-bit limit refuses the one transaction that would
/// pass it, on the supplier's side too, and never its neighbours.
fn balances_never_overflow(s: &Server) {
    let bulk = json!({"sku": "BULK", "name": "Bulk", "tracking": "none", "uom": "ea", "scale": 0});
    assert_eq!(s.post(&Server::client(), "/api/v1/items", "manager", &bulk).0, 201);
    let max = i64::MAX.to_string();
    assert_eq!(receive(s, "BULK", &max).0, 201);
    let s = Arc::new(s);
    std::thread::scope(|scope| {
        let overflow = scope.spawn(|| receive(&s, "BULK", "1"));
        let neighbours: Vec<_> = (0..16)
            .map(|i| {
                let s = s.clone();
                scope.spawn(move || {
                    let body = json!({"to": "WH/B", "lines": [{"sku": "SAUCE", "lot": format!("N{i}"), "units": {"quantity": "2"}}]});
                    s.post(&Server::client(), "/api/v1/receipts", "operator", &body)
                })
            })
            .collect();
        let (status, doc) = overflow.join().expect("thread");
        assert_eq!((status, doc["code"].as_str()), (409, Some("quantity_out_of_range")), "{doc}");
        assert_eq!(doc["field"], "lines[0]", "{doc}");
        for n in neighbours {
            let (status, doc) = n.join().expect("thread");
            assert_eq!(status, 201, "a neighbour of the refused transaction: {doc}");
        }
    });
    // Taking it all out to a customer would leave the supplier and the
    // customer in range; one more unit back from the supplier would not.
    let ship = json!({"from": "WH/A", "to": "C1", "lines": [{"sku": "BULK", "units": {"quantity": max}}]});
    assert_eq!(s.post(&Server::client(), "/api/v1/shipments", "operator", &ship).0, 201);
    let (status, doc) = receive(&s, "BULK", "2");
    assert_eq!((status, doc["code"].as_str()), (409, Some("quantity_out_of_range")), "SUPPLIERS/S1 is at -MAX: {doc}");
    still_works(&s);
}

#[test]
fn bounded_counts_and_balances_on_sqlite() {
    let s = Server::start();
    s.standard();
    day_counts_are_bounded(&s);
    balances_never_overflow(&s);
}

#[test]
fn bounded_counts_and_balances_on_postgresql() {
    let Some(db) = TestDb::create() else { return };
    let s = Server::start_on(tempfile::tempdir().expect("tempdir"), db.url().into(), &[]);
    s.standard();
    day_counts_are_bounded(&s);
    balances_never_overflow(&s);
}

/// The CLI refuses a day count beyond its bound as a malformed command
/// line (exit 2), where it used to panic (exit 101).
#[test]
fn the_cli_bounds_day_counts() {
    let db = support::Db::new();
    let out = tracelot(&db.db, &["expiring", "--days", "4000000000"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--days"));
    db.ok(&["expiring", "--days", "36525"]);
}

/// Document numbers a spreadsheet would run as formulas stay text in the
/// recall CSV a quality manager opens.
#[test]
fn the_recall_csv_never_carries_a_formula() {
    let s = Server::start();
    s.standard();
    let c = Server::client();
    let receipt =
        json!({"from": "S1", "to": "WH/A", "lines": [{"sku": "SAUCE", "lot": "S-1", "units": {"quantity": "9"}}]});
    assert_eq!(s.post(&c, "/api/v1/receipts", "operator", &receipt).0, 201);
    let references = ["=HYPERLINK(\"http://evil.example\",\"open\")", "+1+2", "@SUM(A1)", "-2+3"];
    for reference in references {
        let ship = json!({"from": "WH/A", "to": "C1", "reference": reference,
            "lines": [{"sku": "SAUCE", "lot": "S-1", "units": {"quantity": "1"}}]});
        let (status, doc) = s.post(&c, "/api/v1/shipments", "operator", &ship);
        assert_eq!(status, 201, "{doc}");
    }
    let csv = s.req(&c, "GET", "/api/v1/recalls/SAUCE/S-1?format=csv", Some("viewer")).send().expect("csv");
    let text = csv.text().expect("text");
    assert!(text.contains(",\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"open\"\")\","), "{text}");
    for escaped in [",'+1+2,", ",'@SUM(A1),", ",'-2+3,"] {
        assert!(text.contains(escaped), "{escaped} in {text}");
    }
    let cells = text.lines().flat_map(|l| l.split(',')).map(|c| c.trim_start_matches('"'));
    let formulas: Vec<&str> = cells.filter(|c| c.starts_with(['=', '+', '@'])).collect();
    assert!(formulas.is_empty(), "{formulas:?} in {text}");
    assert!(text.contains("shipment,CUSTOMERS/C1,SAUCE,S-1,,1.000,1000,"), "quantities stay numbers: {text}");
    still_works(&s);
}

/// No token lives for ever: the lifetime is bounded by `max_token_days`
/// (a year by default) and defaults to it, over the API and in the CLI.
#[test]
fn every_token_expires_within_the_configured_maximum() {
    let s = Server::start();
    let c = Server::client();
    let body = |days: Option<u64>| match days {
        Some(d) => json!({"account": "viewer1", "label": "script", "expires_in_days": d}),
        None => json!({"account": "viewer1", "label": "script"}),
    };
    for days in [4_294_967_295, 366] {
        let (status, doc) = s.post(&c, "/api/v1/tokens", "admin", &body(Some(days)));
        assert_eq!((status, doc["field"].as_str()), (422, Some("expires_in_days")), "{days}: {doc}");
    }
    let year_from_now = jiff::Timestamp::now().as_second() + 365 * 86_400;
    for days in [None, Some(365)] {
        let (status, doc) = s.post(&c, "/api/v1/tokens", "admin", &body(days));
        assert_eq!(status, 201, "{doc}");
        let expires: jiff::Timestamp = doc["expires_at"].as_str().expect("an expiry").parse().expect("instant");
        assert!((expires.as_second() - year_from_now).abs() < 120, "{doc}");
    }
    let refused = tracelot(&s.db, &["token", "create", "viewer1", "--expires-days", "4000"]);
    assert_eq!(refused.status.code(), Some(1), "{}", String::from_utf8_lossy(&refused.stdout));
    let made = support::tracelot_ok(&s.db, &["token", "create", "viewer1"]);
    assert!(made["expires_at"].is_string(), "{made}");
}

/// A label template of `width` × `height` mm at `dpi` with `elements`.
fn template(width: u32, height: u32, dpi: u32, elements: &str) -> String {
    format!("name = \"probe\"\nwidth_mm = {width}\nheight_mm = {height}\ndpi = {dpi}\n{elements}")
}

fn boxes(n: usize) -> String {
    "[[element]]\ntype = \"box\"\nx_mm = 1\ny_mm = 1\nwidth_mm = 5\nheight_mm = 5\n".repeat(n)
}

/// Requests that used to abort the server or exhaust its memory are
/// refused before anything large is allocated, naming the bound.
#[test]
fn label_requests_are_bounded_before_rendering() {
    let s = Server::start();
    let c = Server::client();
    let text =
        |size: u32| format!("[[element]]\ntype = \"text\"\nx_mm = 1\ny_mm = 1\nsize_pt = {size}\ntext = \"X\"\n");
    let qr = "[[element]]\ntype = \"barcode\"\nsymbology = \"qr\"\nx_mm = 1\ny_mm = 1\nmodule_mm = 300\ndata = \"X\"\n";
    let one = json!([{}]);
    let cases = [
        (template(10_000, 10_000, 1200, ""), "png", one.clone(), None, 422, "width_mm"),
        (template(1000, 1000, 1200, ""), "png", one.clone(), None, 422, "dots"),
        (template(50, 30, 300, &text(100_000)), "png", one.clone(), None, 422, "size_pt"),
        (template(900, 900, 72, qr), "png", one.clone(), None, 422, "module_mm"),
        (template(50, 30, 300, &boxes(2_000)), "pdf", one.clone(), None, 422, "elements"),
        (template(50, 30, 300, &boxes(400)), "pdf", json!(vec![json!({}); 10_000]), None, 413, "labels × elements"),
        (template(50, 30, 300, &boxes(1)), "pdf", json!(vec![json!({}); 10_001]), None, 413, "10000 labels"),
        (
            template(50, 30, 300, &boxes(1)),
            "pdf",
            one.clone(),
            Some(json!({"paper": "a4", "columns": 65_536, "rows": 65_536})),
            422,
            "columns and rows",
        ),
    ];
    for (toml, format, data, sheet, status, names) in cases {
        let mut body = json!({"template_toml": toml, "format": format, "data": data});
        if let Some(sheet) = sheet {
            body["sheet"] = sheet;
        }
        let (got, doc) = s.post(&c, "/api/v1/labels", "viewer", &body);
        assert_eq!(got, status, "{names}: {doc}");
        assert!(doc["detail"].as_str().unwrap_or_default().contains(names), "{names}: {doc}");
    }
    let lot = json!({"format": "zpl", "lot": {"sku": "X", "lot": "L", "copies": 4_000_000_000u64}});
    let (got, doc) = s.post(&c, "/api/v1/labels", "viewer", &lot);
    assert_eq!((got, doc["field"].as_str()), (422, Some("copies")), "{doc}");
    let fine = json!({"template_toml": template(50, 30, 300, &boxes(3)), "format": "png", "data": [{}]});
    let answer = s.req(&c, "POST", "/api/v1/labels", Some("viewer")).json(&fine).send().expect("send");
    assert_eq!(answer.status().as_u16(), 200);
    assert!(answer.bytes().expect("png").starts_with(b"\x89PNG"));
    s.standard();
    still_works(&s);
}

/// A print run that would take longer than `label_render_ms` stops at the
/// next label or page and is refused naming the limit; the next request,
/// which fits, is rendered.
#[test]
fn a_render_past_its_time_is_stopped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("tracelot.toml");
    std::fs::write(&config, "listen = \"127.0.0.1:0\"\nlabel_render_ms = 20\n").expect("config");
    let db = dir.path().join("api.db");
    let s = Server::start_on(dir, db, &["--config", config.to_str().expect("utf-8")]);
    let c = Server::client();
    let qr =
        "[[element]]\ntype = \"barcode\"\nsymbology = \"qr\"\nx_mm = 5\ny_mm = 5\nmodule_mm = 0.3\ndata = \"{n}\"\n";
    // 10,000 labels, each with ten QR codes: seconds of work, far past 20 ms.
    let data: Vec<Value> = (0..10_000).map(|n| json!({ "n": format!("LOT-{n:05}-{}", "X".repeat(20)) })).collect();
    let heavy = json!({"template_toml": template(100, 100, 300, &qr.repeat(10)), "format": "pdf", "data": data});
    let (got, doc) = s.post(&c, "/api/v1/labels", "viewer", &heavy);
    assert_eq!(got, 413, "{doc}");
    assert!(doc["detail"].as_str().unwrap_or_default().contains("limit of 20 ms"), "{doc}");
    let fine = json!({"template_toml": template(50, 30, 300, &boxes(3)), "format": "svg", "data": [{}]});
    let answer = s.req(&c, "POST", "/api/v1/labels", Some("viewer")).json(&fine).send().expect("send");
    assert_eq!(answer.status().as_u16(), 200);
    s.standard();
    still_works(&s);
}

/// Behind a trusted proxy, a guesser locks out its own address, not
/// everyone whose requests the proxy forwards.
#[test]
fn a_guesser_behind_a_trusted_proxy_locks_out_only_itself() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("tracelot.toml");
    std::fs::write(&config, "listen = \"127.0.0.1:0\"\n[login]\ntrusted_proxies = [\"127.0.0.1\"]\n").expect("config");
    let db = dir.path().join("api.db");
    let s = Server::start_on(dir, db, &["--config", config.to_str().expect("utf-8")]);
    s.add_user_with_password("carol", "operator", "a long enough secret");
    let c = Server::client();
    let login = |client: &str, account: &str, password: &str| {
        let r = c
            .post(s.url("/api/v1/auth/login"))
            .header("x-forwarded-for", client)
            .json(&json!({"account": account, "password": password}));
        support::status_json(r.send().expect("send")).0
    };
    for _ in 0..5 {
        assert_eq!(login("203.0.113.9", "mallory", "guess guess guess"), 401);
    }
    assert_eq!(login("203.0.113.9", "carol", "a long enough secret"), 429, "the guesser's address is locked");
    assert_eq!(login("203.0.113.10", "carol", "a long enough secret"), 201, "a neighbour behind the proxy is not");
}
