//! The route table. The router and the OpenAPI document are both built
//! from [`ROUTES`], so the document lists exactly the routes the server has.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::routing::{MethodRouter, delete, get, patch, post};
use tracelot_core::Permission;

use crate::problem::Problem;
use crate::{App, admin, labels, ledger, ops, reads, scan, traceability};

/// One documented route.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// HTTP method, lower-case as OpenAPI spells it.
    pub method: &'static str,
    /// Path, with `{param}` segments.
    pub path: &'static str,
    /// OpenAPI operation id, and the key that binds the handler.
    pub op: &'static str,
    /// Grouping in the docs.
    pub tag: &'static str,
    /// One line.
    pub summary: &'static str,
    /// What the caller needs; `None` for public routes.
    pub permission: Option<Permission>,
    /// Request body schema (a component name), if it takes a body.
    pub body: Option<&'static str>,
    /// Success status.
    pub status: u16,
    /// Success response schema (a component name).
    pub response: &'static str,
    /// Query parameters.
    pub query: &'static [&'static str],
}

const fn r(
    method: &'static str,
    path: &'static str,
    op: &'static str,
    tag: &'static str,
    summary: &'static str,
    permission: Option<Permission>,
) -> Route {
    Route { method, path, op, tag, summary, permission, body: None, status: 200, response: "Object", query: &[] }
}

const READ: Option<Permission> = Some(Permission::Read);
const MOVE: Option<Permission> = Some(Permission::Move);
const RELEASE: Option<Permission> = Some(Permission::Release);
const MANAGE: Option<Permission> = Some(Permission::Manage);
const ADMIN: Option<Permission> = Some(Permission::Administer);
const PAGE: &[&str] = &["cursor", "limit"];

/// Builder-style setters, so the table reads one route per entry.
impl Route {
    const fn body(mut self, schema: &'static str) -> Self {
        self.body = Some(schema);
        self
    }
    const fn returns(mut self, status: u16, schema: &'static str) -> Self {
        self.status = status;
        self.response = schema;
        self
    }
    const fn query(mut self, q: &'static [&'static str]) -> Self {
        self.query = q;
        self
    }
    /// Whether the route posts ledger transactions (and so takes `Idempotency-Key`).
    pub fn posts(&self) -> bool {
        self.response == "Posted"
    }
}

/// Every route the server has.
pub const ROUTES: &[Route] = &[
    r("get", "/healthz", "healthz", "operations", "Liveness: the process answers.", None).returns(200, "Text"),
    r(
        "get",
        "/readyz",
        "readyz",
        "operations",
        "Readiness: the database answers and the server is not stopping.",
        None,
    )
    .returns(200, "Text"),
    r("get", "/metrics", "metrics", "operations", "Prometheus metrics.", READ).returns(200, "Text"),
    r("get", "/api/v1/openapi.json", "openapi", "operations", "This document.", READ),
    r("get", "/api/v1/docs", "docs", "operations", "The browsable API page (its data needs a token).", None)
        .returns(200, "Html"),
    r("post", "/api/v1/auth/login", "login", "auth", "Trade a password for a session token.", None)
        .body("Login")
        .returns(201, "IssuedToken"),
    r("post", "/api/v1/auth/logout", "logout", "auth", "Revoke the token used.", READ).returns(204, "Empty"),
    r("get", "/api/v1/auth/me", "me", "auth", "Who the token belongs to.", READ),
    r("post", "/api/v1/transactions", "post_transaction", "ledger", "Post any command.", MOVE)
        .body("Transaction")
        .returns(201, "Posted"),
    r("post", "/api/v1/batches", "post_batch", "ledger", "Post up to 1000 transactions in one commit.", MOVE)
        .body("Batch")
        .returns(200, "BatchResults"),
    r("post", "/api/v1/transactions/{id}/reversal", "reverse", "ledger", "Reverse a transaction.", MANAGE)
        .body("Meta")
        .returns(201, "Posted"),
    r("post", "/api/v1/receipts", "receive", "ledger", "Receive stock.", MOVE).body("Receive").returns(201, "Posted"),
    r("post", "/api/v1/transfers", "transfer", "ledger", "Move stock between locations.", MOVE)
        .body("Transfer")
        .returns(201, "Posted"),
    r("post", "/api/v1/shipments", "ship", "ledger", "Ship stock to a customer.", MOVE)
        .body("Ship")
        .returns(201, "Posted"),
    r("post", "/api/v1/returns", "return_goods", "ledger", "Take back stock from a customer.", MOVE)
        .body("Return")
        .returns(201, "Posted"),
    r("post", "/api/v1/adjustments", "adjust", "ledger", "Add found or remove lost stock.", MOVE)
        .body("Adjust")
        .returns(201, "Posted"),
    r("post", "/api/v1/counts", "count", "ledger", "Record a count; the difference is adjusted.", MOVE)
        .body("Count")
        .returns(201, "Posted"),
    r("post", "/api/v1/scraps", "scrap", "ledger", "Scrap stock.", MOVE).body("Scrap").returns(201, "Posted"),
    r("post", "/api/v1/arrivals", "arrive", "ledger", "Receive a dispatch from transit at its destination.", MOVE)
        .body("Arrive")
        .returns(201, "Posted"),
    r("post", "/api/v1/relabels", "relabel", "ledger", "Put stock of one lot under another lot code.", MOVE)
        .body("Relabel")
        .returns(201, "Posted"),
    r("post", "/api/v1/releases", "release", "ledger", "Release stock from quarantine into saleable stock.", RELEASE)
        .body("Release")
        .returns(201, "Posted"),
    r(
        "post",
        "/api/v1/productions",
        "produce",
        "ledger",
        "Record a production run: inputs consumed, outputs made.",
        MOVE,
    )
    .body("Produce")
    .returns(201, "Posted"),
    r(
        "post",
        "/api/v1/assemblies",
        "assemble",
        "ledger",
        "Install, remove or replace components of a serialized unit.",
        MOVE,
    )
    .body("Assemble")
    .returns(201, "Posted"),
    r("get", "/api/v1/assemblies/{sku}/{serial}", "assembly", "traceability", "A unit's assembly history.", READ),
    r(
        "get",
        "/api/v1/trace",
        "trace",
        "traceability",
        "Trace a lot or serial forward or backward (JSON, DOT or SVG).",
        READ,
    )
    .query(&["direction", "sku", "lot", "supplier_lot", "serial", "format"]),
    r(
        "get",
        "/api/v1/lots/{sku}/{lot}/mass-balance",
        "mass_balance",
        "traceability",
        "A lot's mass balance, term by term.",
        READ,
    ),
    r(
        "post",
        "/api/v1/recalls",
        "start_recall",
        "traceability",
        "Recall a lot and everything made from it; answers with the report.",
        MANAGE,
    )
    .body("Recall")
    .returns(201, "Object"),
    r(
        "get",
        "/api/v1/recalls/{sku}/{lot}",
        "recall_report",
        "traceability",
        "The recall report (JSON, or CSV with format=csv).",
        READ,
    )
    .query(&["format"]),
    r(
        "post",
        "/api/v1/recalls/{sku}/{lot}/closure",
        "close_recall",
        "traceability",
        "Close a recall: the recalled lots get their final status.",
        MANAGE,
    )
    .body("RecallClosure"),
    r(
        "post",
        "/api/v1/scan",
        "scan",
        "scanning",
        "Read a scan: its GS1 data, or tracelot code, and what it names.",
        READ,
    )
    .body("Scan")
    .returns(200, "ScanReading"),
    r(
        "post",
        "/api/v1/scan/receipts",
        "scan_receive",
        "scanning",
        "Receive by a sequence of scans: one receipt.",
        MOVE,
    )
    .body("ScanFlow")
    .returns(201, "Posted"),
    r("post", "/api/v1/scan/shipments", "scan_ship", "scanning", "Ship by a sequence of scans: one shipment.", MOVE)
        .body("ScanFlow")
        .returns(201, "Posted"),
    r(
        "post",
        "/api/v1/labels",
        "labels",
        "labels",
        "Labels as a file (PDF, ZPL, PNG or SVG): a receipt's serials, copies of a lot, a site's locations, or given data.",
        READ,
    )
    .body("Labels")
    .returns(200, "File"),
    r("get", "/api/v1/fefo", "fefo", "traceability", "First-expired-first-out picks for a quantity.", READ)
        .query(&["sku", "from", "qty", "customer"]),
    r("get", "/api/v1/items", "items", "master data", "List items.", READ).query(PAGE).returns(200, "Page"),
    r("post", "/api/v1/items", "define_item", "master data", "Define or update an item.", MANAGE)
        .body("DefineItem")
        .returns(201, "Posted"),
    r("get", "/api/v1/items/{sku}", "item", "master data", "One item.", READ),
    r("get", "/api/v1/items/{sku}/packagings", "packagings", "master data", "An item's packagings.", READ),
    r("post", "/api/v1/items/{sku}/packagings", "define_packaging", "master data", "Add a packaging with its own GTIN.", MANAGE)
        .body("DefinePackaging")
        .returns(201, "Posted"),
    r("get", "/api/v1/locations", "locations", "master data", "List locations.", READ).query(PAGE).returns(200, "Page"),
    r("post", "/api/v1/locations", "define_location", "master data", "Define a location.", MANAGE)
        .body("DefineLocation")
        .returns(201, "Posted"),
    r("get", "/api/v1/partners", "partners", "master data", "List partners.", READ).query(PAGE).returns(200, "Page"),
    r("post", "/api/v1/partners", "define_partner", "master data", "Define a supplier or customer.", MANAGE)
        .body("DefinePartner")
        .returns(201, "Posted"),
    r("post", "/api/v1/lots", "define_lot", "master data", "Define a lot ahead of its receipt.", MANAGE)
        .body("DefineLot")
        .returns(201, "Posted"),
    r("get", "/api/v1/lots/{sku}/{lot}", "lot", "master data", "A lot with its status history.", READ),
    r("post", "/api/v1/lots/{sku}/{lot}/documents", "attach_document", "traceability", "Attach a document (the body) to a lot.", RELEASE)
        .query(&["kind", "name", "result", "id", "reason"])
        .returns(201, "Posted"),
    r("get", "/api/v1/documents/{sha256}", "document", "traceability", "A stored document's bytes.", READ),
    r("post", "/api/v1/lots/{sku}/{lot}/status", "set_lot_status", "master data", "Change a lot's status.", RELEASE)
        .body("LotStatus")
        .returns(201, "Posted"),
    r("get", "/api/v1/stock", "stock", "queries", "Non-zero balances, now or as of an instant.", READ)
        .query(&["sku", "lot", "supplier_lot", "serial", "location", "as_of", "include_virtual", "cursor", "limit"])
        .returns(200, "Page"),
    r("get", "/api/v1/serials/{sku}/{serial}", "where_is", "queries", "Where a serial is.", READ),
    r("get", "/api/v1/serials/{sku}/{serial}/warranty", "warranty", "queries", "A serial's warranty.", READ),
    r("post", "/api/v1/serials/{sku}/status", "set_serial_status", "master data", "Hold, release, reject or recall units.", RELEASE)
        .body("SerialStatus")
        .returns(201, "Posted"),
    r(
        "post",
        "/api/v1/serials/{sku}/recall-closure",
        "close_serial_recall",
        "traceability",
        "Close the recall of units with a decision.",
        MANAGE,
    )
    .body("SerialRecallClosure")
    .returns(201, "Posted"),
    r("get", "/api/v1/history", "history", "queries", "Movements of an item, lot or serial.", READ)
        .query(&["sku", "lot", "serial", "cursor", "limit"])
        .returns(200, "Page"),
    r("get", "/api/v1/expiring", "expiring", "queries", "Lots on hand that expire soon.", READ)
        .query(&["until", "within_days", "cursor", "limit"])
        .returns(200, "Page"),
    r(
        "get",
        "/api/v1/verify",
        "verify",
        "queries",
        "Recompute the hash chain and balances, and replay the chain to check every row kept beside it (skip with replay=false).",
        MANAGE,
    )
    .query(&["replay"]),
    r("get", "/api/v1/accounts", "accounts", "admin", "List accounts.", ADMIN).query(PAGE).returns(200, "Page"),
    r("post", "/api/v1/accounts", "add_account", "admin", "Create an account.", ADMIN)
        .body("NewAccount")
        .returns(201, "Account"),
    r("patch", "/api/v1/accounts/{name}", "update_account", "admin", "Change role, password or disable.", ADMIN)
        .body("AccountChange")
        .returns(200, "Account"),
    r("get", "/api/v1/tokens", "tokens", "admin", "List tokens (never their secrets).", ADMIN)
        .query(&["account", "cursor", "limit"])
        .returns(200, "Page"),
    r("post", "/api/v1/tokens", "add_token", "admin", "Create a token for a script.", ADMIN)
        .body("NewToken")
        .returns(201, "IssuedToken"),
    r("delete", "/api/v1/tokens/{id}", "revoke_token", "admin", "Revoke a token (any, or your own).", READ),
];

/// The handler of an operation.
fn handler(op: &str) -> Option<MethodRouter<App>> {
    Some(match op {
        "healthz" => get(ops::healthz),
        "readyz" => get(ops::readyz),
        "metrics" => get(ops::metrics),
        "openapi" => get(ops::openapi),
        "docs" => get(ops::docs),
        "login" => post(admin::login),
        "logout" => post(admin::logout),
        "me" => get(admin::me),
        "post_transaction" => post(ledger::post_transaction),
        "post_batch" => post(ledger::post_batch),
        "reverse" => post(ledger::reverse),
        "receive" => post(ledger::receive),
        "transfer" => post(ledger::transfer),
        "ship" => post(ledger::ship),
        "return_goods" => post(ledger::return_goods),
        "adjust" => post(ledger::adjust),
        "count" => post(ledger::count),
        "scrap" => post(ledger::scrap),
        "produce" => post(ledger::produce),
        "assemble" => post(ledger::assemble),
        "assembly" => get(traceability::assembly),
        "trace" => get(traceability::trace),
        "mass_balance" => get(traceability::mass_balance),
        "start_recall" => post(traceability::start_recall),
        "recall_report" => get(traceability::recall_report),
        "close_recall" => post(traceability::close_recall),
        "fefo" => get(traceability::fefo),
        "scan" => post(scan::read),
        "labels" => post(labels::render),
        "scan_receive" => post(scan::receive),
        "scan_ship" => post(scan::ship),
        "items" => get(reads::items),
        "define_item" => post(ledger::define_item),
        "item" => get(reads::item),
        "packagings" => get(reads::packagings),
        "define_packaging" => post(ledger::define_packaging),
        "locations" => get(reads::locations),
        "define_location" => post(ledger::define_location),
        "partners" => get(reads::partners),
        "define_partner" => post(ledger::define_partner),
        "define_lot" => post(ledger::define_lot),
        "lot" => get(reads::lot),
        "set_lot_status" => post(ledger::set_lot_status),
        "attach_document" => post(ledger::attach_document),
        "document" => get(reads::document),
        "set_serial_status" => post(ledger::set_serial_status),
        "close_serial_recall" => post(ledger::close_serial_recall),
        "release" => post(ledger::release),
        "relabel" => post(ledger::relabel),
        "arrive" => post(ledger::arrive),
        "stock" => get(reads::stock),
        "where_is" => get(reads::where_is),
        "warranty" => get(reads::warranty),
        "history" => get(reads::history),
        "expiring" => get(reads::expiring),
        "verify" => get(reads::verify),
        "accounts" => get(admin::accounts),
        "add_account" => post(admin::add_account),
        "update_account" => patch(admin::update_account),
        "tokens" => get(admin::tokens),
        "add_token" => post(admin::add_token),
        "revoke_token" => delete(admin::revoke_token),
        _ => return None,
    })
}

/// The router of every route in [`ROUTES`]. Methods on one path merge.
pub fn router() -> Router<App> {
    let mut by_path: Vec<(&'static str, MethodRouter<App>)> = Vec::new();
    for route in ROUTES {
        let Some(h) = handler(route.op) else { continue };
        match by_path.iter_mut().find(|(p, _)| *p == route.path) {
            Some((_, existing)) => *existing = std::mem::take(existing).merge(h),
            None => by_path.push((route.path, h)),
        }
    }
    by_path.into_iter().fold(Router::new(), |router, (path, h)| router.route(path, h))
}

/// Path parameters, with a problem (not plain text) when they do not decode.
#[derive(Debug)]
pub struct Params(HashMap<String, String>);

impl Params {
    /// The parameter `name`.
    pub fn get(&self, name: &str) -> Result<&str, Problem> {
        self.0
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| Problem::bad_request("invalid_path", format!("{name} is missing")))
    }

    /// The parameter `name` parsed into its domain type. A path segment is
    /// part of the request target, so a bad one is a 400 that names it.
    pub fn value<T>(
        &self,
        name: &str,
        parse: impl Fn(&str) -> Result<T, tracelot_core::ValueError>,
    ) -> Result<T, Problem> {
        crate::body::required(name, crate::body::param(name, Some(self.get(name)?), parse)?)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map(|Path(m)| Params(m))
            .map_err(|e| Problem::bad_request("invalid_path", e.body_text()))
    }
}

#[cfg(test)]
// Tests: an overflow or a panic is a failed test.
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn every_route_has_a_handler_and_a_unique_operation() {
        for r in ROUTES {
            assert!(handler(r.op).is_some(), "{} has no handler", r.op);
            assert_eq!(ROUTES.iter().filter(|o| o.op == r.op).count(), 1, "{} twice", r.op);
            let same = ROUTES.iter().filter(|o| o.path == r.path && o.method == r.method).count();
            assert_eq!(same, 1, "{} {} twice", r.method, r.path);
        }
    }
}
