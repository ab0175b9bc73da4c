//! The HTTP API, end to end: a real `tracelot serve` on 127.0.0.1:0 over a
//! real database file, driven over HTTP.

mod support;

use std::collections::BTreeSet;
use std::sync::{Arc, Barrier};

use serde_json::{Value, json};
use support::{ROLES, Server, status_json, tracelot_ok};

fn receive_serial(s: &Server, serial: &str) {
    let body = json!({"from": "S1", "to": "WH/A", "lines": [{"sku": "PHONE", "units": {"serials": [serial]}}]});
    let (status, doc) = s.post(&Server::client(), "/api/v1/receipts", "operator", &body);
    assert_eq!(status, 201, "{doc}");
}

#[test]
fn sixty_four_clients_ship_one_serial_and_exactly_one_wins() {
    let s = Arc::new(Server::start());
    s.standard();
    receive_serial(&s, "RACE-1");
    let barrier = Arc::new(Barrier::new(64));
    let handles: Vec<_> = (0..64)
        .map(|_| {
            let (s, barrier) = (s.clone(), barrier.clone());
            std::thread::spawn(move || {
                let c = Server::client();
                let body =
                    json!({"from": "WH/A", "to": "C1", "lines": [{"sku": "PHONE", "units": {"serials": ["RACE-1"]}}]});
                // Warm the connection so the race is decided by the writer, not by connect order.
                let _ = s.get(&c, "/api/v1/auth/me", "operator");
                barrier.wait();
                s.post(&c, "/api/v1/shipments", "operator", &body)
            })
        })
        .collect();
    let results: Vec<(u16, Value)> = handles.into_iter().map(|h| h.join().expect("thread")).collect();
    let won = results.iter().filter(|(st, _)| *st == 201).count();
    let lost: Vec<&Value> = results.iter().filter(|(st, _)| *st == 409).map(|(_, d)| d).collect();
    assert_eq!(won, 1, "{results:?}");
    assert_eq!(lost.len(), 63, "{results:?}");
    assert!(lost.iter().all(|d| d["code"] == "serial_not_there" && d["field"].is_string()), "{lost:?}");
    let (_, at) = s.get(&Server::client(), "/api/v1/serials/PHONE/RACE-1", "viewer");
    assert_eq!(at["location"], "CUSTOMERS/C1", "{at}");
    let (_, stock) = s.get(&Server::client(), "/api/v1/stock?serial=RACE-1&include_virtual=true", "viewer");
    let held: Vec<&Value> =
        stock["items"].as_array().expect("rows").iter().filter(|r| r["units"].as_i64() > Some(0)).collect();
    assert_eq!(held.len(), 1, "the serial is in exactly one place: {stock}");
    s.verify_ok();
}

#[test]
fn a_retry_replays_and_a_conflicting_retry_is_refused() {
    let s = Server::start();
    s.standard();
    let c = Server::client();
    let id = "0192f0c4-7c1e-7b3a-8d2e-1f2a3b4c5d6e";
    let body = json!({"id": id, "to": "WH/A", "lines": [{"sku": "SAUCE", "lot": "L1", "units": {"quantity": "2.5"}}]});
    let first = s.req(&c, "POST", "/api/v1/receipts", Some("operator")).json(&body).send().expect("send");
    assert!(first.headers().get("idempotent-replayed").is_none());
    let (st1, doc1) = status_json(first);
    let again = s.req(&c, "POST", "/api/v1/receipts", Some("operator")).json(&body).send().expect("send");
    assert_eq!(again.headers().get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));
    let (st2, doc2) = status_json(again);
    assert_eq!((st1, st2), (201, 201));
    assert_eq!(doc1, doc2, "the retry gets the original body");

    let mut changed = body.clone();
    changed["lines"][0]["units"]["quantity"] = json!("3");
    let (st, problem) = s.post(&c, "/api/v1/receipts", "operator", &changed);
    assert_eq!((st, problem["code"].as_str()), (409, Some("idempotency_conflict")), "{problem}");

    // The same through the Idempotency-Key header, with a free-form key.
    let keyed = json!({"to": "WH/A", "lines": [{"sku": "SAUCE", "lot": "L1", "units": {"quantity": "1"}}]});
    let send = |b: &Value| {
        let r = s.req(&c, "POST", "/api/v1/receipts", Some("operator")).header("Idempotency-Key", "order-77/line-1");
        status_json(r.json(b).send().expect("send"))
    };
    let (k1, d1) = send(&keyed);
    let (k2, d2) = send(&keyed);
    assert_eq!((k1, k2), (201, 201));
    assert_eq!(d1, d2);
    let mut other = keyed.clone();
    other["lines"][0]["units"]["quantity"] = json!("9");
    assert_eq!(send(&other).0, 409);

    let (_, history) = s.get(&c, "/api/v1/history?sku=SAUCE", "viewer");
    let rows = history["items"].as_array().expect("rows");
    assert_eq!(rows.len(), 2, "two receipts, however often retried: {history}");
    let (_, stock) = s.get(&c, "/api/v1/stock?sku=SAUCE", "viewer");
    assert_eq!(stock["items"][0]["quantity"], "3.500", "{stock}");
    s.verify_ok();
}

#[test]
fn every_role_gets_exactly_what_it_may() {
    let s = Server::start();
    s.standard();
    let c = Server::client();
    // One endpoint per class, with the lowest role that may call it.
    let mut n = 0;
    let mut class = |method: &str, path: &str, min: usize, body: &dyn Fn(usize) -> Option<Value>| {
        let anon = s.req(&c, method, path, None);
        let anon = match body(0) {
            Some(b) => anon.json(&b),
            None => anon,
        };
        let (st, doc) = status_json(anon.send().expect("send"));
        assert_eq!((st, doc["code"].as_str()), (401, Some("unauthenticated")), "{method} {path}");
        for (i, role) in ROLES.iter().enumerate() {
            n += 1;
            let r = s.req(&c, method, path, Some(role));
            let r = match body(n) {
                Some(b) => r.json(&b),
                None => r,
            };
            let (st, doc) = status_json(r.send().expect("send"));
            if i < min {
                assert_eq!((st, doc["code"].as_str()), (403, Some("forbidden")), "{role} {method} {path}: {doc}");
            } else {
                assert!((200..300).contains(&st), "{role} {method} {path}: {st} {doc}");
            }
        }
    };
    class("GET", "/api/v1/stock", 0, &|_| None);
    class("GET", "/metrics", 0, &|_| None);
    class("POST", "/api/v1/receipts", 1, &|_| {
        Some(json!({"to": "WH/A", "lines": [{"sku": "SAUCE", "lot": "L1", "units": {"quantity": "1"}}]}))
    });
    // Quality decisions: the qc role and above.
    class("POST", "/api/v1/lots/SAUCE/L1/status", 2, &|i| {
        let status = if i % 2 == 0 { "on_hold" } else { "released" };
        Some(json!({"status": status, "reason": "quality check"}))
    });
    class("POST", "/api/v1/locations", 3, &|i| Some(json!({"path": format!("WH/R{i}"), "kind": "internal"})));
    class("POST", "/api/v1/transactions", 3, &|i| {
        Some(json!({"command": {"type": "define_location", "path": format!("WH/T{i}"), "kind": "internal"}}))
    });
    class("GET", "/api/v1/accounts", 4, &|_| None);
    class("POST", "/api/v1/accounts", 4, &|i| Some(json!({"name": format!("new{i}"), "role": "viewer"})));
    let released = json!({"status": "released", "reason": "quality check done"});
    let (st, doc) = s.post(&c, "/api/v1/lots/SAUCE/L1/status", "qc", &released);
    assert!(st == 201 || doc["code"] == "lot_conflict", "{doc}");
    // A movement through the generic endpoint needs only the operator role.
    let (st, _) = s.post(
        &c,
        "/api/v1/transactions",
        "operator",
        &json!({"command": {"type": "transfer", "from": "WH/A", "to": "WH/B",
                 "lines": [{"sku": "SAUCE", "lot": "L1", "units": {"quantity": "1"}}]}}),
    );
    assert_eq!(st, 201);
}

#[test]
fn malformed_requests_get_problems_and_change_nothing() {
    let s = Server::start();
    s.standard();
    let c = Server::client();
    let stocked = json!({"to": "WH/A", "lines": [{"sku": "SAUCE", "lot": "L1", "units": {"quantity": "1"}}]});
    assert_eq!(s.post(&c, "/api/v1/receipts", "operator", &stocked).0, 201);
    let tx_count = |s: &Server| s.verify_ok()["transactions"].as_u64().expect("count");
    let start = tx_count(&s);
    let recv = |lines: Value| json!({"to": "WH/A", "lines": lines});
    let big = "x".repeat(2 << 20);
    // (method, path, role, body as raw text, expected status)
    let cases: Vec<(&str, &str, Option<&str>, String, u16)> = vec![
        ("POST", "/api/v1/receipts", Some("operator"), "{".into(), 400),
        ("POST", "/api/v1/receipts", Some("operator"), "".into(), 400),
        ("POST", "/api/v1/receipts", Some("operator"), "[1,2]".into(), 422),
        ("POST", "/api/v1/receipts", Some("operator"), "{} {}".into(), 400),
        ("POST", "/api/v1/receipts", Some("operator"), "null".into(), 422),
        ("POST", "/api/v1/receipts", Some("operator"), big.clone(), 413),
        ("POST", "/api/v1/receipts", Some("operator"), json!({"to": "WH/A"}).to_string(), 422),
        ("POST", "/api/v1/receipts", Some("operator"), json!({"to": "WH/A", "lines": [], "x": 1}).to_string(), 422),
        ("POST", "/api/v1/receipts", Some("operator"), json!({"to": 5, "lines": []}).to_string(), 422),
        ("POST", "/api/v1/receipts", Some("operator"), recv(json!("all")).to_string(), 422),
        ("POST", "/api/v1/receipts", Some("operator"), recv(json!([{"sku": "SAUCE", "lot": "L1", "units": {"quantity": "-1"}}])).to_string(), 422),
        ("POST", "/api/v1/receipts", Some("operator"), recv(json!([{"sku": "SAUCE", "lot": "L1", "units": {"quantity": "1.0001"}}])).to_string(), 422),
        ("POST", "/api/v1/receipts", Some("operator"), recv(json!([{"sku": "SAUCE", "lot": "L1", "units": {"quantity": "1e3"}}])).to_string(), 422),
        ("POST", "/api/v1/receipts", Some("operator"), recv(json!([{"sku": "SAUCE", "lot": "L1", "units": {"liters": "1"}}])).to_string(), 422),
        ("POST", "/api/v1/receipts", Some("operator"), recv(json!([{"sku": "NOPE", "lot": "L1", "units": {"quantity": "1"}}])).to_string(), 422),
        ("POST", "/api/v1/receipts", Some("operator"), recv(json!([{"sku": "bad sku!", "units": {"quantity": "1"}}])).to_string(), 422),
        ("POST", "/api/v1/receipts", Some("operator"), recv(json!([{"sku": "SAUCE", "lot": "L".repeat(21), "units": {"quantity": "1"}}])).to_string(), 422),
        ("POST", "/api/v1/receipts", Some("operator"), recv(json!([{"sku": "SAUCE", "units": {"quantity": "1"}}])).to_string(), 422),
        ("POST", "/api/v1/receipts", Some("operator"), recv(json!([{"sku": "PHONE", "units": {"serials": ["A..B..C"]}}])).to_string(), 422),
        ("POST", "/api/v1/receipts", Some("operator"), json!({"to": "NOWHERE", "lines": [{"sku": "SAUCE", "lot": "L1", "units": {"quantity": "1"}}]}).to_string(), 422),
        ("POST", "/api/v1/receipts", Some("operator"), json!({"id": "not-a-uuid", "to": "WH/A", "lines": []}).to_string(), 422),
        ("POST", "/api/v1/receipts", Some("operator"), json!({"occurred_at": "yesterday", "to": "WH/A", "lines": []}).to_string(), 422),
        ("POST", "/api/v1/receipts", Some("operator"), json!({"occurred_at": "1999-01-01T00:00:00Z", "to": "WH/A", "lines": [{"sku": "SAUCE", "lot": "L1", "units": {"quantity": "1"}}]}).to_string(), 422),
        ("POST", "/api/v1/shipments", Some("operator"), json!({"from": "WH/A", "to": "C1", "lines": [{"sku": "SAUCE", "lot": "L1", "units": {"quantity": "5"}}]}).to_string(), 409),
        ("POST", "/api/v1/transactions", Some("operator"), json!({"command": {"type": "teleport"}}).to_string(), 422),
        ("POST", "/api/v1/transactions", Some("operator"), json!({"command": "receive"}).to_string(), 422),
        ("POST", "/api/v1/transactions", Some("operator"), json!({"cmd": {}}).to_string(), 422),
        ("POST", "/api/v1/items", Some("manager"), json!({"sku": "G", "name": "g", "tracking": "lot", "uom": "ea", "scale": 0, "gtin": "09506000134353"}).to_string(), 422),
        ("POST", "/api/v1/items", Some("manager"), json!({"sku": "G", "name": "g", "tracking": "sometimes", "uom": "ea", "scale": 0}).to_string(), 422),
        ("POST", "/api/v1/items", Some("manager"), json!({"sku": "G", "name": "g", "tracking": "lot", "uom": "ea", "scale": 12}).to_string(), 422),
        ("POST", "/api/v1/lots/SAUCE/L1/status", Some("manager"), json!({"status": "lost"}).to_string(), 422),
        ("POST", "/api/v1/transactions/xyz/reversal", Some("manager"), "{}".into(), 400),
        ("POST", "/api/v1/lots/bad%20sku/L1/status", Some("manager"), json!({"status": "released"}).to_string(), 400),
        ("PATCH", "/api/v1/accounts/Not%20A%20Name", Some("admin"), json!({"disabled": true}).to_string(), 400),
        ("POST", "/api/v1/transactions/0192f0c4-7c1e-7b3a-8d2e-1f2a3b4c5d6e/reversal", Some("manager"), "{}".into(), 422),
        ("GET", "/api/v1/items/NOPE", Some("viewer"), String::new(), 404),
        ("GET", "/api/v1/lots/SAUCE/NOPE", Some("viewer"), String::new(), 404),
        ("GET", "/api/v1/serials/PHONE/NOPE", Some("viewer"), String::new(), 404),
        ("GET", "/api/v1/stock?sku=bad%20sku", Some("viewer"), String::new(), 400),
        ("GET", "/api/v1/stock?colour=red", Some("viewer"), String::new(), 400),
        ("GET", "/api/v1/stock?as_of=tomorrow", Some("viewer"), String::new(), 400),
        ("GET", "/api/v1/stock?limit=0", Some("viewer"), String::new(), 400),
        ("GET", "/api/v1/items?cursor=zz", Some("viewer"), String::new(), 400),
        ("GET", "/api/v1/history", Some("viewer"), String::new(), 400),
        ("GET", "/api/v1/expiring?within_days=-3", Some("viewer"), String::new(), 400),
        ("GET", "/api/v1/nothing-here", Some("viewer"), String::new(), 404),
        ("GET", "/api/v1/trace?direction=sideways&sku=SAUCE&lot=L1", Some("viewer"), String::new(), 400),
        ("GET", "/api/v1/trace?sku=SAUCE", Some("viewer"), String::new(), 400),
        ("GET", "/api/v1/fefo?sku=SAUCE&from=WH/A&qty=-1", Some("viewer"), String::new(), 400),
        ("GET", "/api/v1/recalls/SAUCE/NOPE", Some("viewer"), String::new(), 404),
        ("GET", "/api/v1/lots/SAUCE/NOPE/mass-balance", Some("viewer"), String::new(), 404),
        ("POST", "/api/v1/recalls", Some("manager"), json!({"sku": "SAUCE", "lot": "NOPE", "reason": "x"}).to_string(), 404),
        ("DELETE", "/api/v1/items", Some("admin"), String::new(), 405),
        ("POST", "/api/v1/accounts", Some("admin"), json!({"name": "Bad Name", "role": "viewer"}).to_string(), 422),
        ("POST", "/api/v1/accounts", Some("admin"), json!({"name": "shorty", "role": "viewer", "password": "short"}).to_string(), 422),
        ("POST", "/api/v1/accounts", Some("admin"), json!({"name": "root", "role": "superuser"}).to_string(), 422),
        ("POST", "/api/v1/auth/login", None, json!({"account": "nobody", "password": "whatever-it-is"}).to_string(), 401),
        ("GET", "/api/v1/items", None, String::new(), 401),
    ];
    assert!(cases.len() >= 30);
    for (method, path, role, body, expected) in &cases {
        let mut r = s.req(&c, method, path, *role);
        if !body.is_empty() || *method == "POST" {
            r = r.header("content-type", "application/json").body(body.clone());
        }
        let resp = r.send().expect("send");
        let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let (st, doc) = status_json(resp);
        let shown = if body.len() > 200 { "(large body)" } else { body.as_str() };
        assert_eq!(st, *expected, "{method} {path} {shown}: {doc}");
        assert_eq!(ct, "application/problem+json", "{method} {path}");
        assert!(doc["code"].is_string() && doc["detail"].is_string(), "{method} {path}: {doc}");
        assert_eq!(doc["status"], *expected);
    }
    // A non-JSON content type is refused too.
    let r = s.req(&c, "POST", "/api/v1/receipts", Some("operator")).header("content-type", "text/plain").body("{}");
    assert_eq!(status_json(r.send().expect("send")).0, 415);
    // Named fields, for a few.
    let (_, d) = s.post(
        &c,
        "/api/v1/receipts",
        "operator",
        &recv(json!([{"sku": "SAUCE", "lot": "L1", "units": {"quantity": "-1"}}])),
    );
    assert_eq!(d["field"], "lines[0].units.quantity", "{d}");
    let (_, d) = s.post(&c, "/api/v1/receipts", "operator", &json!({"to": "WH/A", "lines": [], "x": 1}));
    assert_eq!((d["code"].as_str(), d["field"].as_str()), (Some("unknown_field"), Some("x")), "{d}");
    let (_, d) = s.post(&c, "/api/v1/receipts", "operator", &json!({"to": 5, "lines": []}));
    assert_eq!((d["code"].as_str(), d["field"].as_str()), (Some("invalid_type"), Some("to")), "{d}");
    assert_eq!(tx_count(&s), start, "no malformed request wrote anything");
}

#[test]
fn the_openapi_document_lists_every_route_and_the_docs_page_is_self_contained() {
    let s = Server::start();
    s.standard();
    let c = Server::client();
    let (st, doc) = s.get(&c, "/api/v1/openapi.json", "viewer");
    assert_eq!(st, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().expect("paths");
    let mut documented = BTreeSet::new();
    for (path, ops) in paths {
        for method in ops.as_object().expect("ops").keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    // Every documented operation exists on the server: none answers `no_route`
    // or 405, whatever else it says about an empty body and dummy parameters.
    for (method, path) in &documented {
        let concrete = path
            .replace("{sku}", "PHONE")
            .replace("{lot}", "L1")
            .replace("{serial}", "S")
            .replace("{id}", "0192f0c4-7c1e-7b3a-8d2e-1f2a3b4c5d6e");
        let concrete = concrete.replace("{name}", "viewer1");
        let mut r = s.req(&c, method, &concrete, Some("admin"));
        if method != "GET" && method != "DELETE" {
            r = r.json(&json!({}));
        }
        let (st, body) = status_json(r.send().expect("send"));
        assert!(st != 405 && body["code"] != "no_route", "{method} {path} → {st} {body}");
        assert!(st < 500, "{method} {path} → {st} {body}");
    }
    // And the server has no route the document leaves out: every route the
    // CLI's verbs map to is listed, and an unlisted path is `no_route`.
    let expected = [
        ("POST", "/api/v1/receipts"),
        ("POST", "/api/v1/transfers"),
        ("POST", "/api/v1/shipments"),
        ("POST", "/api/v1/returns"),
        ("POST", "/api/v1/adjustments"),
        ("POST", "/api/v1/counts"),
        ("POST", "/api/v1/scraps"),
        ("POST", "/api/v1/transactions/{id}/reversal"),
        ("GET", "/api/v1/items"),
        ("POST", "/api/v1/items"),
        ("GET", "/api/v1/items/{sku}"),
        ("GET", "/api/v1/locations"),
        ("POST", "/api/v1/locations"),
        ("GET", "/api/v1/partners"),
        ("POST", "/api/v1/partners"),
        ("POST", "/api/v1/lots"),
        ("GET", "/api/v1/lots/{sku}/{lot}"),
        ("POST", "/api/v1/lots/{sku}/{lot}/status"),
        ("GET", "/api/v1/stock"),
        ("GET", "/api/v1/serials/{sku}/{serial}"),
        ("GET", "/api/v1/history"),
        ("GET", "/api/v1/expiring"),
        ("GET", "/api/v1/serials/{sku}/{serial}/warranty"),
        ("GET", "/api/v1/verify"),
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/metrics"),
    ];
    for (m, p) in expected {
        assert!(documented.contains(&(m.to_owned(), p.to_owned())), "{m} {p} is not documented");
    }
    let (st, body) = s.get(&c, "/api/v1/undocumented", "admin");
    assert_eq!((st, body["code"].as_str()), (404, Some("no_route")));
    // Every operation that needs a role says which.
    for (path, ops) in paths {
        for (m, op) in ops.as_object().expect("ops") {
            let public = op.get("security").is_some_and(|s| s.as_array().is_some_and(Vec::is_empty));
            let says_role = op["description"].as_str().is_some_and(|d| d.contains(" role."));
            assert!(public || says_role, "{m} {path} does not say its role");
        }
    }

    let page = c.get(s.url("/api/v1/docs")).send().expect("docs");
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().expect("html");
    assert!(html.contains("/api/v1/openapi.json"));
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("//cdn"), "no external assets");
}

#[test]
fn paging_covers_every_row_once_and_transactions_name_their_token() {
    let s = Server::start();
    s.standard();
    let c = Server::client();
    for i in 0..25 {
        let (st, _) =
            s.post(&c, "/api/v1/locations", "manager", &json!({"path": format!("BIN/{i:02}"), "kind": "internal"}));
        assert_eq!(st, 201);
    }
    let (_, all) = s.get(&c, "/api/v1/locations?limit=1000", "viewer");
    let total = all["items"].as_array().expect("rows").len();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(cur) => format!("/api/v1/locations?limit=10&cursor={cur}"),
            None => "/api/v1/locations?limit=10".to_owned(),
        };
        let (st, page) = s.get(&c, &path, "viewer");
        assert_eq!(st, 200, "{page}");
        pages += 1;
        seen.extend(
            page["items"].as_array().expect("rows").iter().map(|r| r["path"].as_str().unwrap_or("").to_owned()),
        );
        match page["next"].as_str() {
            Some(n) => cursor = Some(n.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), total);
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), total, "no row twice");
    assert_eq!(pages, total.div_ceil(10));

    // History pages through the store, and each row names account and token.
    for q in ["1", "2", "3"] {
        let body = json!({"to": "WH/A", "lines": [{"sku": "SAUCE", "lot": "L1", "units": {"quantity": q}}]});
        assert_eq!(s.post(&c, "/api/v1/receipts", "operator", &body).0, 201);
    }
    let (_, p1) = s.get(&c, "/api/v1/history?sku=SAUCE&limit=2", "viewer");
    let next = p1["next"].as_str().expect("a second page");
    let (_, p2) = s.get(&c, &format!("/api/v1/history?sku=SAUCE&limit=2&cursor={next}"), "viewer");
    assert_eq!(p1["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(p2["items"].as_array().map(Vec::len), Some(1));
    assert!(p2.get("next").is_none());
    let (_, me) = s.get(&c, "/api/v1/auth/me", "operator");
    let expected_user = format!("operator1/{}", me["token_id"].as_str().expect("token id"));
    assert_eq!(p1["items"][0]["user"], expected_user.as_str());
}

#[test]
fn logins_are_rate_limited_and_tokens_can_be_revoked() {
    let mut s = Server::start_with(&[]);
    s.add_user_with_password("carol", "operator", "a long enough secret");
    let c = Server::client();
    let login = |password: &str| {
        let r = c.post(s.url("/api/v1/auth/login")).json(&json!({"account": "carol", "password": password}));
        status_json(r.send().expect("send"))
    };
    let (st, session) = login("a long enough secret");
    assert_eq!(st, 201, "{session}");
    let token = session["token"].as_str().expect("token").to_owned();
    let me = c.get(s.url("/api/v1/auth/me")).bearer_auth(&token).send().expect("me");
    assert_eq!(status_json(me).1["role"], "operator");
    for _ in 0..5 {
        assert_eq!(login("wrong password!!").0, 401);
    }
    let (st, body) = login("a long enough secret");
    assert_eq!(
        (st, body["code"].as_str()),
        (429, Some("too_many_attempts")),
        "locked out even with the right password"
    );

    // Logging out revokes the session token; an admin revokes a script token.
    let out = c.post(s.url("/api/v1/auth/logout")).bearer_auth(&token).send().expect("logout");
    assert_eq!(out.status().as_u16(), 204);
    let me = c.get(s.url("/api/v1/auth/me")).bearer_auth(&token).send().expect("me");
    assert_eq!(status_json(me).0, 401);
    let (st, issued) =
        s.post(&c, "/api/v1/tokens", "admin", &json!({"account": "viewer1", "label": "script", "expires_in_days": 1}));
    assert_eq!(st, 201, "{issued}");
    let script = issued["token"].as_str().expect("secret").to_owned();
    assert_eq!(c.get(s.url("/api/v1/stock")).bearer_auth(&script).send().expect("get").status().as_u16(), 200);
    let id = issued["id"].as_str().expect("id");
    assert_eq!(
        s.req(&c, "DELETE", &format!("/api/v1/tokens/{id}"), Some("admin")).send().expect("del").status().as_u16(),
        200
    );
    assert_eq!(c.get(s.url("/api/v1/stock")).bearer_auth(&script).send().expect("get").status().as_u16(), 401);
    let (_, list) = s.get(&c, "/api/v1/tokens?account=viewer1", "admin");
    assert!(list.to_string().contains("revoked_at") && !list.to_string().contains("tlt_"), "no secrets listed: {list}");
    // A token past its expiry is refused.
    let (st, dead) =
        s.post(&c, "/api/v1/tokens", "admin", &json!({"account": "viewer1", "label": "short", "expires_in_days": 0}));
    assert_eq!(st, 201, "{dead}");
    let r = c.get(s.url("/api/v1/stock")).bearer_auth(dead["token"].as_str().expect("secret")).send().expect("get");
    let (st, problem) = status_json(r);
    assert_eq!(st, 401);
    assert!(problem["detail"].as_str().unwrap_or("").contains("expired"), "{problem}");

    // A token revoked by another process (the CLI) stops working once the
    // server's short token cache expires.
    let cli_token = tracelot_ok(&s.db, &["token", "create", "viewer1", "--label", "cli"]);
    let secret = cli_token["token"].as_str().expect("secret").to_owned();
    let get = |t: &str| c.get(s.url("/api/v1/stock")).bearer_auth(t).send().expect("get").status().as_u16();
    assert_eq!(get(&secret), 200);
    tracelot_ok(&s.db, &["token", "revoke", cli_token["id"].as_str().expect("id")]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while get(&secret) != 401 {
        assert!(std::time::Instant::now() < deadline, "a revoked token kept working");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert!(s.stop(), "clean exit on SIGTERM");
}

#[test]
fn metrics_report_requests_commits_queue_and_ledger() {
    let s = Server::start();
    s.standard();
    let c = Server::client();
    let r = s.req(&c, "GET", "/metrics", Some("viewer")).send().expect("metrics");
    assert!(r.headers()["content-type"].to_str().unwrap_or("").starts_with("text/plain"));
    let text = r.text().expect("text");
    for needle in [
        "tracelot_http_requests_total{method=\"POST\",route=\"/api/v1/items\",status=\"201\"} 2",
        "tracelot_http_request_duration_seconds_bucket{method=\"POST\",route=\"/api/v1/items\",le=\"+Inf\"} 2",
        "tracelot_writer_queue_depth 0",
        "tracelot_commit_batch_size_bucket{le=\"+Inf\"}",
        "tracelot_ledger_rows{table=\"transactions\"}",
        "tracelot_ledger_rows{table=\"movements\"} 0",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
    assert_eq!(c.get(s.url("/healthz")).send().expect("h").status().as_u16(), 200);
    assert_eq!(c.get(s.url("/readyz")).send().expect("r").status().as_u16(), 200);
}

#[test]
fn configuration_comes_from_a_toml_file_and_flags_override_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("conf.db");
    tracelot_ok(&db, &["init"]);
    tracelot_ok(&db, &["user", "add", "ops", "--role", "viewer"]);
    let token = tracelot_ok(&db, &["token", "create", "ops"])["token"].as_str().expect("token").to_owned();
    let conf = dir.path().join("tracelot.toml");
    std::fs::write(
        &conf,
        format!(
            "listen = \"127.0.0.1:1\"\ndatabase = {:?}\nlog_format = \"json\"\nlog_level = \"info\"\nbody_limit_bytes = 64\n\n[login]\nmax_failures = 2\n",
            db.to_str().expect("utf-8")
        ),
    )
    .expect("write config");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tracelot"))
        .args(["serve", "--config", conf.to_str().expect("utf-8"), "--listen", "127.0.0.1:0"])
        .env_remove("TRACELOT_DATABASE_URL")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().expect("stdout")), &mut line)
        .expect("line");
    let base = line.trim().strip_prefix("listening on ").expect("address").to_owned();
    let c = Server::client();
    let r = c.get(format!("{base}/api/v1/items")).bearer_auth(&token).send().expect("get");
    assert_eq!(r.status().as_u16(), 200, "the database came from the file");
    let big = c.post(format!("{base}/api/v1/auth/login")).json(&json!({"account": "ops", "password": "x".repeat(80)}));
    assert_eq!(status_json(big.send().expect("post")).0, 413, "the body limit came from the file");
    let _ = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success());
    let logs = String::from_utf8_lossy(&out.stderr);
    let first: Value = serde_json::from_str(logs.lines().next().expect("a log line")).expect("JSON log lines");
    assert_eq!(first["level"], "INFO", "{first}");
    assert!(logs.lines().any(|l| l.contains("\"route\":\"/api/v1/items\"")), "{logs}");
}

/// Random damage to valid bodies never gets a 5xx: every answer is a
/// success or a problem document.
#[test]
fn randomly_damaged_bodies_never_get_a_server_error() {
    let s = Server::start();
    s.standard();
    let c = Server::client();
    let valid: Vec<(&str, Value)> = vec![
        (
            "/api/v1/receipts",
            json!({"to": "WH/A", "lines": [{"sku": "SAUCE", "lot": "L1", "details": {"expires_on": "2030-01-31"}, "units": {"quantity": "2.5"}}]}),
        ),
        (
            "/api/v1/shipments",
            json!({"from": "WH/A", "to": "C1", "lines": [{"sku": "SAUCE", "lot": "L1", "units": {"quantity": "1"}}]}),
        ),
        (
            "/api/v1/transactions",
            json!({"command": {"type": "count", "at": "WH/A", "sku": "SAUCE", "lot": "L1", "counted": {"quantity": "0"}}, "reason": "cycle count"}),
        ),
        (
            "/api/v1/batches",
            json!({"transactions": [{"command": {"type": "receive", "to": "WH/B", "lines": [{"sku": "PHONE", "units": {"serials": ["Z1"]}}]}}]}),
        ),
        (
            "/api/v1/items",
            json!({"sku": "NEW", "name": "n", "tracking": "lot_serial", "uom": "kg", "scale": 3, "shelf_life_days": 30, "serial_pattern": "N{seq:4}"}),
        ),
        ("/api/v1/accounts", json!({"name": "eve", "role": "viewer"})),
        (
            "/api/v1/productions",
            json!({"at": "WH/A", "consume": [{"sku": "SAUCE", "lot": "L1", "units": {"quantity": "1"}}],
            "output": [{"sku": "SAUCE", "lot": "L2", "details": {"expires_on": "2031-01-01"}, "units": {"quantity": "1"}}]}),
        ),
        (
            "/api/v1/assemblies",
            json!({"parent_sku": "PHONE", "parent_serial": "Z1", "install": [{"sku": "PHONE", "units": {"serials": ["Z2"]}}], "from": "WH/A"}),
        ),
        ("/api/v1/recalls", json!({"sku": "SAUCE", "lot": "L1", "reason": "test"})),
    ];
    let mut seed: u64 = 0x5DEE_CE66_D1CE_4E5B;
    let mut rnd = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n.max(1) as u64) as usize
    };
    let junk = ["", "null", "-1", "1e999", "\"\\u0000\"", "[]", "{}", "\"x\"", "true", "18446744073709551616", "\"ü\""];
    for round in 0..400 {
        let (path, body) = &valid[rnd(valid.len())];
        let text = body.to_string();
        let damaged = match rnd(4) {
            0 => text[..rnd(text.len())].to_owned(),
            1 => {
                let mut b = text.clone().into_bytes();
                let i = rnd(b.len());
                let pool = b"{}[]\":,0a\\ \x00\xff";
                b[i] = pool[rnd(pool.len())];
                String::from_utf8_lossy(&b).into_owned()
            }
            2 => {
                // Replace one value (after a colon) with junk.
                let colons: Vec<usize> = text.match_indices(':').map(|(i, _)| i).collect();
                let at = colons[rnd(colons.len())] + 1;
                let end = text[at..].find([',', '}', ']']).map_or(text.len(), |e| at + e);
                format!("{}{}{}", &text[..at], junk[rnd(junk.len())], &text[end..])
            }
            _ => format!("{}{}", "[".repeat(rnd(300)), text),
        };
        let r = s.req(&c, "POST", path, Some("admin")).header("content-type", "application/json").body(damaged.clone());
        let resp = r.send().expect("send");
        let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let (st, doc) = status_json(resp);
        assert!(st < 500, "round {round}: {path} {damaged:?} → {st} {doc}");
        if st >= 400 {
            assert_eq!(ct, "application/problem+json", "round {round}: {path} {damaged:?}");
            assert!(doc["code"].is_string(), "round {round}: {doc}");
        }
    }
    s.verify_ok();
}

/// Production, trace, recall and FEFO over HTTP, with the manager role for the recall.
#[test]
fn a_recall_over_http_blocks_products_and_reports_customers() {
    let s = Server::start();
    s.standard();
    let c = Server::client();
    let setup = [
        (
            "/api/v1/items",
            json!({"sku": "KETCHUP", "name": "Ketchup", "tracking": "lot", "uom": "ea", "scale": 0, "shelf_life_days": 365}),
        ),
        (
            "/api/v1/receipts",
            json!({"from": "S1", "to": "WH/A", "lines": [{"sku": "SAUCE", "lot": "S-1", "units": {"quantity": "100"}}]}),
        ),
        (
            "/api/v1/productions",
            json!({"at": "WH/A", "reference": "WO-1",
            "consume": [{"sku": "SAUCE", "lot": "S-1", "units": {"quantity": "40"}}],
            "output": [{"sku": "KETCHUP", "lot": "K-1", "units": {"quantity": "80"}}]}),
        ),
        (
            "/api/v1/shipments",
            json!({"from": "WH/A", "to": "C1", "reference": "SO-9", "lines": [{"sku": "KETCHUP", "lot": "K-1", "units": {"quantity": "30"}}]}),
        ),
    ];
    for (path, body) in setup {
        let role = if path == "/api/v1/items" { "manager" } else { "operator" };
        let (st, doc) = s.post(&c, path, role, &body);
        assert_eq!(st, 201, "{path}: {doc}");
    }
    let svg = s
        .req(&c, "GET", "/api/v1/trace?direction=forward&sku=SAUCE&lot=S-1&format=svg", Some("viewer"))
        .send()
        .expect("svg");
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    assert!(svg.text().expect("text").contains(">KETCHUP lot K-1</text>"));
    let recall = json!({"sku": "SAUCE", "lot": "S-1", "reason": "allergen not declared"});
    assert_eq!(s.post(&c, "/api/v1/recalls", "operator", &recall).0, 403, "a recall needs the manager role");
    let (st, report) = s.post(&c, "/api/v1/recalls", "manager", &recall);
    assert_eq!(st, 201, "{report}");
    assert_eq!(report["customers"][0]["customer"], "CUSTOMERS/C1");
    assert_eq!(report["customers"][0]["units"], 30);
    let (st, refused) = s.post(
        &c,
        "/api/v1/shipments",
        "operator",
        &json!({"from": "WH/A", "to": "C1", "lines": [{"sku": "KETCHUP", "lot": "K-1", "units": {"quantity": "1"}}]}),
    );
    assert_eq!((st, refused["code"].as_str()), (409, Some("lot_recalled")));
    let csv = s.req(&c, "GET", "/api/v1/recalls/SAUCE/S-1?format=csv", Some("viewer")).send().expect("csv");
    assert!(csv.headers()["content-type"].to_str().unwrap_or("").starts_with("text/csv"));
    let text = csv.text().expect("text");
    assert!(text.contains("shipment,CUSTOMERS/C1,KETCHUP,K-1,,30,30,"), "{text}");
    let (_, fefo) = s.get(&c, "/api/v1/fefo?sku=KETCHUP&from=WH/A&qty=10", "viewer");
    assert_eq!(fefo["shortfall_units"], 10, "the recalled lot is skipped: {fefo}");
    let (_, balance) = s.get(&c, "/api/v1/lots/KETCHUP/K-1/mass-balance", "viewer");
    assert_eq!(balance["difference"], 0);
    let (st, closed) = s.post(
        &c,
        "/api/v1/recalls/SAUCE/S-1/closure",
        "manager",
        &json!({"reason": "relabelled", "decision": "released"}),
    );
    assert_eq!(st, 200, "{closed}");
    assert_eq!(closed["lot"]["status"], "released");
    let (_, user_row) = s.get(&c, "/api/v1/lots/KETCHUP/K-1", "viewer");
    let who: Vec<&str> =
        user_row["status_history"].as_array().expect("h").iter().filter_map(|h| h["user"].as_str()).collect();
    assert!(who.iter().skip(1).all(|u| u.starts_with("manager1/")), "{who:?}");
    s.verify_ok();
}
