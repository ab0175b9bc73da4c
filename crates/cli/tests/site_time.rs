//! Days are counted on each site's calendar: expiry, best-before, the
//! shelf life a lot must have left, and bare dates in queries. Items say
//! whether their date is a hard expiry or a best-before, and a lot defined
//! before it arrives has no made-up dates. Through the real binary and a
//! real server.

mod support;

use serde_json::json;
use support::{Db, Server};

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn utc_today_plus(days: i64) -> jiff::civil::Date {
    let d = jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    d.checked_add(jiff::Span::new().days(days)).expect("date")
}

/// Sites on both sides of the date line from UTC: Sydney (UTC+10 or +11)
/// and a site without a zone (UTC), with the same lot at each.
fn two_sites(d: &Db, expiry: &str, received_at: &str) {
    for args in [
        vec!["location", "add", "SYD/A", "--time-zone", "Australia/Sydney"],
        vec!["location", "add", "LON/A"],
        vec!["partner", "add", "SHOP", "--kind", "customer"],
        vec!["item", "add", "YOGURT", "--tracking", "lot"],
    ] {
        d.ok(&args);
    }
    for (site, lot) in [("SYD/A", "Y-SYD"), ("LON/A", "Y-LON")] {
        d.ok(&[
            "receive",
            "YOGURT",
            "--to",
            site,
            "--lot",
            lot,
            "--qty",
            "10",
            "--expires-on",
            expiry,
            "--occurred-at",
            received_at,
        ]);
    }
}

/// Defect 8: at a site at UTC+11, a lot that expired on the 28th does not
/// ship at 01:00 local on the 29th, though it is still the 28th in UTC.
#[test]
fn expiry_is_judged_on_the_sites_own_day() {
    let d = Db::new();
    let expiry = utc_today_plus(-2);
    two_sites(&d, &expiry.to_string(), &format!("{}T10:00:00Z", utc_today_plus(-3)));
    // 14:30 UTC on the expiry day is 00:30 or 01:30 the next day in Sydney.
    let at = format!("{expiry}T14:30:00Z");
    let ship = |from: &str, lot: &str| {
        vec!["ship", "YOGURT", "--from", from, "--to", "SHOP", "--lot", lot, "--qty", "1", "--occurred-at", &at]
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<String>>()
    };
    let doc = d.refused(&strs(&ship("SYD/A", "Y-SYD")), "lot_expired");
    assert!(doc["detail"].as_str().unwrap_or("").contains(&format!("expired on {expiry}")), "{doc}");
    d.ok(&strs(&ship("LON/A", "Y-LON")));
    let locations = d.ok(&["location", "list"]);
    let syd = locations.as_array().expect("list").iter().find(|l| l["path"] == "SYD/A").expect("SYD/A").clone();
    assert_eq!(syd["time_zone"], "Australia/Sydney", "{syd}");
    d.refused(&["location", "add", "SYD/B", "--time-zone", "Europe/Berlin"], "invalid_value");
    d.refused(&["location", "add", "MEL", "--time-zone", "Australia/Melbourn"], "invalid_value");
    d.ok(&["verify"]);
}

/// A bare date in `stock --as-of` ends at midnight at the named location's
/// site; with sites in different zones and none named, it is refused.
#[test]
fn a_bare_date_means_the_end_of_that_day_at_the_site() {
    let d = Db::new();
    let day = utc_today_plus(-5);
    // Received at 20:00 UTC: already the next day in Sydney.
    two_sites(&d, &utc_today_plus(30).to_string(), &format!("{day}T20:00:00Z"));
    let on_hand = |location: &str| {
        let rows = d.ok(&["stock", "--location", location, "--as-of", &day.to_string()]);
        rows.as_array().expect("rows").len()
    };
    assert_eq!(on_hand("SYD/A"), 0, "in Sydney the receipt happened the next day");
    assert_eq!(on_hand("LON/A"), 1, "in UTC it happened that day");
    d.refused(&["stock", "--as-of", &day.to_string()], "invalid_value");
    // One site with a zone: a bare date means that site's day.
    let one = Db::new();
    one.ok(&["location", "add", "SYD/A", "--time-zone", "Australia/Sydney"]);
    one.ok(&["item", "add", "TEA"]);
    one.ok(&["receive", "TEA", "--to", "SYD/A", "--qty", "3", "--occurred-at", &format!("{day}T20:00:00Z")]);
    assert_eq!(one.ok(&["stock", "--as-of", &day.to_string()]).as_array().map(Vec::len), Some(0));
    let instant = format!("{}T00:00:00Z", utc_today_plus(-4));
    assert_eq!(d.ok(&["stock", "--as-of", &instant]).as_array().expect("rows").len(), 2);
}

/// A hard expiry never ships, not even with an override, and never goes
/// into production; a best-before date ships late with a reason. An item
/// may require shelf life left on everything it ships, and the stricter of
/// item and customer applies.
#[test]
fn hard_expiry_best_before_and_the_items_minimum_shelf_life() {
    let d = Db::new();
    let past = utc_today_plus(-1).to_string();
    let soon = utc_today_plus(3).to_string();
    for args in [
        vec!["location", "add", "DC"],
        vec!["partner", "add", "PHARMACY", "--kind", "customer", "--min-shelf-life-days", "1"],
        vec!["item", "add", "PILLS", "--tracking", "lot", "--date-rule", "hard_expiry"],
        vec!["item", "add", "MILK", "--tracking", "lot", "--min-remaining-days", "5"],
        vec!["item", "add", "CREAM", "--tracking", "lot"],
        vec!["receive", "PILLS", "--to", "DC", "--lot", "P1", "--qty", "10", "--expires-on", &past],
        vec!["receive", "MILK", "--to", "DC", "--lot", "M1", "--qty", "10", "--best-before", &past],
        vec!["receive", "MILK", "--to", "DC", "--lot", "M2", "--qty", "10", "--best-before", &soon],
    ] {
        d.ok(&args);
    }
    let ship = |lot: &str, sku: &str, extra: &[&str]| {
        let mut a = vec!["ship", sku, "--from", "DC", "--to", "PHARMACY", "--lot", lot, "--qty", "1"];
        a.extend_from_slice(extra);
        a.into_iter().map(str::to_owned).collect::<Vec<String>>()
    };
    let overridden = ["--allow-expired", "--reason", "customer accepts"];
    let doc = d.refused(&strs(&ship("P1", "PILLS", &overridden)), "lot_expired");
    assert!(doc["detail"].as_str().unwrap_or("").contains("hard expiry"), "{doc}");
    let run = ["produce", "--at", "DC", "--consume", "PILLS:P1:1", "--output", "CREAM:C1:1"];
    let doc = d.refused(&run, "lot_expired");
    assert!(doc["detail"].as_str().unwrap_or("").contains("production"), "{doc}");
    d.refused(&strs(&ship("M1", "MILK", &[])), "lot_expired");
    let posted = d.ok(&strs(&ship("M1", "MILK", &overridden)));
    assert_eq!(posted["overrides"][0]["rule"], "lot_expired", "{posted}");
    let doc = d.refused(&strs(&ship("M2", "MILK", &[])), "shelf_life_too_short");
    assert!(doc["detail"].as_str().unwrap_or("").contains("the item requires 5"), "{doc}");
    d.ok(&strs(&ship("M2", "MILK", &["--allow-short-shelf-life", "--reason", "agreed with the buyer"])));
    let fefo = d.ok(&["fefo", "MILK", "--from", "DC", "--qty", "1"]);
    assert!(fefo.to_string().contains("the item requires 5"), "FEFO skips it for the same reason: {fefo}");
    d.ok(&["verify"]);
}

/// Defect 5: a lot defined before it arrives has no dates; the receipt
/// brings them (given, or from the shelf life counted from the arrival),
/// and a date once known is never contradicted.
#[test]
fn a_lot_defined_before_it_arrives_takes_its_dates_on_arrival() {
    let d = Db::new();
    let expiry = utc_today_plus(20).to_string();
    for args in [
        vec!["location", "add", "DC"],
        vec!["item", "add", "YOGURT", "--tracking", "lot", "--shelf-life-days", "30"],
        vec!["lot", "add", "YOGURT", "Y1"],
        vec!["lot", "add", "YOGURT", "Y2"],
    ] {
        d.ok(&args);
    }
    let y1 = d.ok(&["lot", "show", "YOGURT", "Y1"]);
    assert!(y1["expires_on"].is_null(), "no made-up expiry before arrival: {y1}");
    d.ok(&["receive", "YOGURT", "--to", "DC", "--lot", "Y1", "--qty", "5", "--expires-on", &expiry]);
    assert_eq!(d.ok(&["lot", "show", "YOGURT", "Y1"])["expires_on"], expiry);
    d.ok(&["receive", "YOGURT", "--to", "DC", "--lot", "Y2", "--qty", "5"]);
    assert_eq!(d.ok(&["lot", "show", "YOGURT", "Y2"])["expires_on"], utc_today_plus(30).to_string());
    let other = utc_today_plus(25).to_string();
    d.refused(
        &["receive", "YOGURT", "--to", "DC", "--lot", "Y1", "--qty", "1", "--expires-on", &other],
        "lot_conflict",
    );
    d.ok(&["verify"]);
}

/// A canned lot's own shelf life restarts the clock when the item says so;
/// by default a product never outlives its inputs.
#[test]
fn an_item_can_reset_its_output_expiry() {
    let d = Db::new();
    let tomato_expiry = utc_today_plus(10).to_string();
    for args in [
        vec!["location", "add", "PLANT"],
        vec!["item", "add", "TOMATO", "--tracking", "lot"],
        vec!["item", "add", "CAN", "--tracking", "lot", "--shelf-life-days", "365", "--output-expiry", "shelf_life"],
        vec!["item", "add", "SAUCE", "--tracking", "lot", "--shelf-life-days", "365"],
        vec!["receive", "TOMATO", "--to", "PLANT", "--lot", "T1", "--qty", "10", "--expires-on", &tomato_expiry],
        vec!["produce", "--at", "PLANT", "--consume", "TOMATO:T1:5", "--output", "CAN:C1:5"],
        vec!["produce", "--at", "PLANT", "--consume", "TOMATO:T1:5", "--output", "SAUCE:S1:5"],
    ] {
        d.ok(&args);
    }
    assert_eq!(d.ok(&["lot", "show", "CAN", "C1"])["expires_on"], utc_today_plus(365).to_string());
    assert_eq!(d.ok(&["lot", "show", "SAUCE", "S1"])["expires_on"], tomato_expiry);
}

/// The same rules over HTTP: a site's zone, an item's date rule, and the
/// refusal a shipment gets.
#[test]
fn site_time_and_date_rules_over_http() {
    let s = Server::start();
    let c = Server::client();
    let expiry = utc_today_plus(-2);
    let setup = [
        ("/api/v1/locations", json!({"path": "SYD/A", "kind": "internal", "time_zone": "Australia/Sydney"})),
        ("/api/v1/partners", json!({"code": "SHOP", "name": "Shop", "kind": "customer"})),
        (
            "/api/v1/items",
            json!({"sku": "PILLS", "name": "Pills", "tracking": "lot", "uom": "ea", "scale": 0,
                   "date_rule": "hard_expiry", "min_remaining_days": 30}),
        ),
    ];
    for (path, body) in setup {
        let (st, doc) = s.post(&c, path, "manager", &body);
        assert_eq!(st, 201, "{path}: {doc}");
    }
    let (st, doc) = s.post(
        &c,
        "/api/v1/locations",
        "manager",
        &json!({"path": "X", "kind": "internal", "time_zone": "Nowhere/Land"}),
    );
    assert_eq!(st, 422, "{doc}");
    let receipt = json!({"to": "SYD/A", "occurred_at": format!("{}T10:00:00Z", utc_today_plus(-3)),
        "lines": [{"sku": "PILLS", "lot": "P1", "details": {"expires_on": expiry.to_string()}, "units": {"quantity": "5"}}]});
    let (st, doc) = s.post(&c, "/api/v1/receipts", "operator", &receipt);
    assert_eq!(st, 201, "{doc}");
    let shipment = json!({"from": "SYD/A", "to": "SHOP", "occurred_at": format!("{expiry}T14:30:00Z"),
        "allow_expired": true, "reason": "urgent",
        "lines": [{"sku": "PILLS", "lot": "P1", "units": {"quantity": "1"}}]});
    let (st, doc) = s.post(&c, "/api/v1/shipments", "operator", &shipment);
    assert_eq!((st, doc["code"].as_str()), (409, Some("lot_expired")), "{doc}");
    let (st, item) = s.get(&c, "/api/v1/items/PILLS", "viewer");
    assert_eq!((st, item["date_rule"].as_str()), (200, Some("hard_expiry")), "{item}");
    // Defect 5 over HTTP: a lot defined ahead has no dates until it arrives.
    let (st, doc) = s.post(&c, "/api/v1/lots", "manager", &json!({"sku": "PILLS", "lot": "P2"}));
    assert_eq!(st, 201, "{doc}");
    let (_, lot) = s.get(&c, "/api/v1/lots/PILLS/P2", "viewer");
    assert!(lot["expires_on"].is_null(), "{lot}");
    let later = utc_today_plus(90).to_string();
    let arrival = json!({"to": "SYD/A", "lines": [{"sku": "PILLS", "lot": "P2", "details": {"expires_on": later}, "units": {"quantity": "5"}}]});
    let (st, doc) = s.post(&c, "/api/v1/receipts", "operator", &arrival);
    assert_eq!(st, 201, "{doc}");
    let (_, lot) = s.get(&c, "/api/v1/lots/PILLS/P2", "viewer");
    assert_eq!(lot["expires_on"].as_str(), Some(later.as_str()), "{lot}");
    s.verify_ok();
}
