//! The OpenAPI 3.1 document, generated from the route table so that it
//! lists exactly the routes the server has. Schemas are JSON Schema 2020-12
//! (OpenAPI 3.1's dialect), written to match the request body types.

use serde_json::{Map, Value, json};

use crate::ledger::{IDEMPOTENCY_KEY, REPLAYED};
use crate::routes::{ROUTES, Route};

fn refs(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn obj(required: &[&str], props: Value) -> Value {
    json!({ "type": "object", "additionalProperties": false, "required": required, "properties": props })
}

/// A posting body: the command's own fields plus the meta fields.
fn posting(required: &[&str], mut props: Value) -> Value {
    if let (Value::Object(p), Value::Object(meta)) = (&mut props, meta_props()) {
        p.extend(meta);
    }
    obj(required, props)
}

fn meta_props() -> Value {
    json!({
        "id": { "type": "string", "format": "uuid", "description": "Client-chosen transaction id; a retry with the same id and content replays the first answer." },
        "occurred_at": { "type": "string", "format": "date-time", "description": "When it happened, if not now (back-dating is limited)." },
        "reference": { "type": "string", "description": "The document: delivery note, order, RMA." },
        "reason": { "type": "string", "description": "Why; required by some commands." }
    })
}

fn text(desc: &str) -> Value {
    json!({ "type": "string", "description": desc })
}

fn lines() -> Value {
    json!({ "type": "array", "items": refs("Line") })
}

fn schemas() -> Value {
    let place = text("A location path (`WH/A/01`) or a partner code.");
    let sku = text("SKU: letters, digits, - _ . / (at most 64).");
    let lot = text("Lot code: GS1 character set 82, at most 20.");
    let amount = json!({ "type": "string", "pattern": "^[0-9]*\\.?[0-9]+$", "description": "An unsigned decimal in the item's unit." });
    let serials = json!({ "type": "array", "items": text("Serial: GS1 character set 82, at most 20.") });
    json!({
        "Problem": {
            "type": "object",
            "description": "RFC 9457 problem details, with a stable code and the field at fault.",
            "required": ["type", "title", "status", "code", "detail"],
            "properties": {
                "type": { "type": "string" }, "title": { "type": "string" }, "status": { "type": "integer" },
                "code": { "type": "string" }, "field": { "type": "string" }, "detail": { "type": "string" }
            }
        },
        "Object": { "type": "object" },
        "Text": { "type": "string" },
        "Html": { "type": "string" },
        "File": { "type": "string", "contentMediaType": "application/octet-stream", "description": "The file's bytes." },
        "Empty": { "type": "null" },
        "Page": {
            "type": "object",
            "required": ["items"],
            "properties": {
                "items": { "type": "array", "items": { "type": "object" } },
                "next": { "type": "string", "description": "Pass as `cursor` for the next page; absent on the last." }
            }
        },
        "Posted": {
            "type": "object",
            "required": ["id", "seq", "kind", "occurred_at", "recorded_at", "movements", "hash"],
            "properties": {
                "id": { "type": "string", "format": "uuid" }, "seq": { "type": "integer" },
                "kind": { "type": "string" }, "occurred_at": { "type": "string", "format": "date-time" },
                "recorded_at": { "type": "string", "format": "date-time" }, "movements": { "type": "integer" },
                "hash": { "type": "string" }, "generated_serials": serials,
                "overrides": { "type": "array", "items": { "type": "object" } }
            }
        },
        "Meta": posting(&[], json!({})),
        "Units": {
            "oneOf": [
                obj(&["quantity"], json!({ "quantity": amount })),
                obj(&["serials"], json!({ "serials": serials })),
                obj(&["weighed"], json!({ "weighed": refs("Weighed") }))
            ]
        },
        "Weighed": obj(&["quantity", "weight"], json!({
            "quantity": amount,
            "weight": { "allOf": [amount], "description": "A catch-weight item's actual weight in its weight unit, up to 3 decimals." }
        })),
        "ReceiveUnits": {
            "oneOf": [
                obj(&["quantity"], json!({ "quantity": amount })),
                obj(&["serials"], json!({ "serials": serials })),
                obj(&["weighed"], json!({ "weighed": refs("Weighed") })),
                obj(&["generate"], json!({ "generate": { "type": "integer", "minimum": 1 } }))
            ]
        },
        "Line": obj(&["sku", "units"], json!({ "sku": sku, "lot": lot, "units": refs("Units") })),
        "LotDetails": obj(&[], json!({
            "produced_on": { "type": "string", "format": "date" },
            "expires_on": { "type": "string", "format": "date" },
            "best_before": { "type": "string", "format": "date" },
            "supplier_lot": { "type": "string" },
            "attributes": { "type": "object", "additionalProperties": { "type": "string" } }
        })),
        "LotStatusName": { "enum": ["released", "quarantine", "on_hold", "recalled", "rejected"] },
        "LocationKind": { "enum": ["internal", "supplier", "customer", "production", "adjustment", "scrap", "transit", "quarantine", "assembly"] },
        "ReceiveLine": obj(&["sku", "units"], json!({
            "sku": sku, "lot": lot, "details": refs("LotDetails"), "status": refs("LotStatusName"),
            "units": refs("ReceiveUnits")
        })),
        "Receive": posting(&["to", "lines"], json!({
            "from": place, "to": place, "lines": { "type": "array", "items": refs("ReceiveLine") }
        })),
        "Transfer": posting(&["from", "to", "lines"], json!({ "from": place, "to": place, "lines": lines() })),
        "Ship": posting(&["from", "to", "lines"], json!({
            "from": place, "to": place, "lines": lines(),
            "allow_expired": { "type": "boolean", "description": "Ship an expired lot anyway (needs a reason)." },
            "allow_short_shelf_life": { "type": "boolean", "description": "Ship a lot with less shelf life than the customer requires (needs a reason)." }
        })),
        "Assemble": posting(&["parent_sku", "parent_serial"], json!({
            "parent_sku": sku, "parent_serial": text("The parent's serial."),
            "install": lines(), "remove": lines(),
            "from": place, "to": place
        })),
        "Recall": obj(&["sku", "reason"], json!({
            "sku": sku, "lot": lot, "reason": { "type": "string" },
            "supplier_lot": text("Instead of `lot`: the one lot of the item that carries this supplier's lot code."),
            "id": { "type": "string", "format": "uuid", "description": "Makes the recalled lot's status change retry-safe." }
        })),
        "Scan": obj(&["raw"], json!({
            "raw": text("The scan exactly as the scanner sent it: GS1 element strings with GS (\\u001d) separators and an optional symbology identifier (]C1, ]d2, ]Q3, ]e0, ]J1; ]C0, ]d1, ]Q1, ]E0, ]E4), bracketed text, a Digital Link URI, a bare GTIN or SSCC, a tracelot code (TL:LOC:PATH, TL:LOT:SKU:LOT, TL:SER:SKU:SERIAL) or a SKU.")
        })),
        "ScanReading": {
            "type": "object",
            "required": ["raw", "kind", "ais"],
            "description": "What a scan says and what it names. `ais` lists the element strings in scan order with values exactly as encoded; typed fields come beside it and are absent when the scan does not carry them.",
            "properties": {
                "raw": { "type": "string" },
                "kind": { "enum": ["gs1", "tracelot", "sku", "plain"] },
                "symbology": { "type": "string" },
                "carrier": { "enum": ["element_string", "bracketed", "digital_link", "gtin", "sscc"] },
                "ais": { "type": "array", "items": obj(&["ai", "value"], json!({ "ai": { "type": "string" }, "value": { "type": "string" }, "title": { "type": "string" } })) },
                "hri": { "type": "string" }, "bracketed": { "type": "string" },
                "element_string": { "type": "string", "description": "What a GS1 symbol encodes: GS between elements, predefined-length AIs first." },
                "digital_link": { "type": "string", "description": "The same data as a GS1 Digital Link URI on https://id.gs1.org, when it has a primary key." },
                "gtin": { "type": "string" }, "sscc": { "type": "string" },
                "lot": { "type": "string" }, "serial": { "type": "string" },
                "expires_on": { "type": "string", "format": "date" }, "best_before": { "type": "string", "format": "date" },
                "produced_on": { "type": "string", "format": "date" }, "count": { "type": "integer" },
                "quantity": { "type": "string", "description": "What the scan stands for in the item's unit, e.g. \"1.250 kg\"." },
                "measures": { "type": "array", "items": { "type": "object" } },
                "location": { "type": "string" }, "sku": { "type": "string" }, "item": { "type": "object" }, "stored_lot": { "type": "object" },
                "serial_at": { "type": "string" },
                "conflicts": { "type": "array", "items": { "type": "object" } },
                "warnings": { "type": "array", "items": { "type": "string" } }
            }
        },
        "ScanFlow": posting(&["scans"], json!({
            "scans": { "type": "array", "items": { "type": "string" }, "description": "Scans in order; a TL:LOC: label sets the internal location." },
            "from": place, "to": place,
            "allow_expired": { "type": "boolean", "description": "Shipments: ship an expired lot anyway (needs a reason)." },
            "allow_short_shelf_life": { "type": "boolean", "description": "Shipments: ship a lot with less shelf life than the customer requires (needs a reason)." }
        })),
        "Labels": {
            "type": "object", "additionalProperties": false, "required": ["format"],
            "description": "Exactly one of receipt, lot, locations or data.",
            "properties": {
                "template": text("A built-in template: lot, serial, location or sscc (default by run: serial, lot, location)."),
                "template_toml": text("Your own template, as TOML (see the README)."),
                "format": { "enum": ["pdf", "zpl", "png", "svg"] },
                "receipt": { "type": "string", "format": "uuid", "description": "A label for every serial this transaction moved." },
                "lot": obj(&["sku", "lot"], json!({ "sku": sku, "lot": lot, "copies": { "type": "integer", "minimum": 1, "maximum": 10000 } })),
                "locations": text("A site (or any location path): a label for it and every stock location below it."),
                "data": { "type": "array", "items": { "type": "object", "additionalProperties": { "type": "string" } }, "description": "One placeholder map per label." },
                "sheet": obj(&["paper"], json!({ "paper": { "enum": ["a4", "letter"] }, "columns": { "type": "integer" }, "rows": { "type": "integer" } }))
            }
        },
        "RecallClosure": obj(&["reason", "decision"], json!({
            "reason": { "type": "string" },
            "decision": { "type": "string", "enum": ["destroyed", "returned_to_supplier", "released"],
                          "description": "Becomes the status of every lot the recall still holds: destroyed and returned_to_supplier leave them rejected; released releases them." },
            "id": { "type": "string", "description": "Client-chosen id of the named lot's closure, for a safe retry." }
        })),
        "Produce": posting(&["at", "consume", "output"], json!({
            "at": place, "consume": lines(),
            "output": { "type": "array", "items": refs("ReceiveLine") }
        })),
        "Return": posting(&["from", "to", "lines"], json!({ "from": place, "to": place, "lines": lines() })),
        "Adjust": posting(&["at", "direction", "lines"], json!({
            "at": place, "direction": { "enum": ["in", "out"] }, "lines": lines()
        })),
        "Count": posting(&["at", "sku", "counted"], json!({
            "at": place, "sku": sku, "lot": lot,
            "counted": { "oneOf": [
                obj(&["quantity"], json!({ "quantity": amount })),
                obj(&["serials"], json!({ "serials": serials })),
                obj(&["lots"], json!({ "lots": { "type": "object", "additionalProperties": amount,
                    "description": "Quantity per lot code; every lot booked at the location and not named counts as zero." } }))
            ] }
        })),
        "Scrap": posting(&["at", "lines"], json!({ "at": place, "lines": lines() })),
        "DefineItem": posting(&["sku", "name", "tracking", "uom", "scale"], json!({
            "sku": sku, "name": { "type": "string" },
            "tracking": { "enum": ["none", "lot", "serial", "lot_serial"] },
            "gtin": text("GTIN-8/12/13/14 with a valid check digit."),
            "uom": { "type": "string" }, "scale": { "type": "integer", "minimum": 0, "maximum": 9 },
            "shelf_life_days": { "type": "integer", "minimum": 0 },
            "warranty_months": { "type": "integer", "minimum": 0 },
            "serial_kind": { "enum": ["free", "vin"] },
            "serial_pattern": text("Generated serials, e.g. `SN{yyyy}{seq:6}`."),
            "date_rule": { "enum": ["best_before", "hard_expiry"], "default": "best_before",
                "description": "A best-before lot ships past its date only with `allow_expired` and a reason; a hard expiry never ships nor goes into production." },
            "min_remaining_days": { "type": "integer", "minimum": 0,
                "description": "Days of shelf life a lot must have left to ship to anyone; a customer may require more." },
            "output_expiry": { "enum": ["earliest_input", "shelf_life"], "default": "earliest_input",
                "description": "A produced lot's default expiry: the earlier of its shelf life and its inputs' earliest expiry, or its shelf life alone." },
            "catch_weight_uom": text("Makes a catch-weight item: the unit (kg) its receipts' and shipments' actual weights are given in, next to their count.")
        })),
        "DefineLocation": posting(&["path", "kind"], json!({
            "path": text("Slash-separated path."), "kind": refs("LocationKind"),
            "time_zone": text("The site's IANA time zone (`Australia/Sydney`), set when the site is created and inherited by its locations; days (expiry, shelf life, bare dates) are counted on it. Default UTC.")
        })),
        "DefinePartner": posting(&["code", "name", "kind"], json!({
            "code": text("Partner code."), "name": { "type": "string" }, "kind": { "enum": ["supplier", "customer"] },
            "min_shelf_life_days": { "type": "integer", "minimum": 0, "description": "For a customer: days of shelf life it requires." }
        })),
        "DefineLot": posting(&["sku", "lot"], json!({
            "sku": sku, "lot": lot, "details": refs("LotDetails"), "status": refs("LotStatusName")
        })),
        "LotStatus": posting(&["status"], json!({ "status": refs("LotStatusName") })),
        "SerialStatus": posting(&["serials", "status"], json!({
            "serials": { "type": "array", "items": { "type": "string" }, "minItems": 1 },
            "status": { "enum": ["released", "on_hold", "recalled", "rejected"] }
        })),
        "SerialRecallClosure": posting(&["serials", "decision"], json!({
            "serials": { "type": "array", "items": { "type": "string" }, "minItems": 1 },
            "decision": { "enum": ["destroyed", "returned_to_supplier", "released"] }
        })),
        "DefinePackaging": posting(&["name", "gtin", "quantity"], json!({
            "name": text("Unique for the item: case, pallet."),
            "gtin": text("The packaging's own GTIN, check digit verified; no item or other packaging may carry it."),
            "quantity": amount
        })),
        "Arrive": posting(&["dispatch", "to"], json!({
            "dispatch": { "type": "string", "format": "uuid", "description": "The transfer that sent the stock into transit." },
            "to": place,
            "lines": { "allOf": [lines()], "description": "What arrived; what was sent and is not listed is written off from transit (needs a reason)." }
        })),
        "Relabel": posting(&["at", "sku", "from_lot", "to_lot", "quantity"], json!({
            "at": place, "sku": sku, "from_lot": lot, "to_lot": lot, "quantity": amount,
            "details": refs("LotDetails")
        })),
        "Release": posting(&["from", "to", "lines"], json!({ "from": place, "to": place, "lines": lines() })),
        "Transaction": posting(&["command"], json!({
            "command": {
                "type": "object",
                "required": ["type"],
                "description": "A command: `type` names the kind, the other fields are that kind's.",
                "properties": { "type": { "enum": crate::commands::KINDS } }
            }
        })),
        "Batch": obj(&["transactions"], json!({
            "transactions": { "type": "array", "maxItems": crate::ledger::MAX_BATCH, "items": refs("Transaction") }
        })),
        "BatchResults": {
            "type": "object",
            "properties": { "results": { "type": "array", "items": {
                "type": "object",
                "required": ["status"],
                "properties": {
                    "status": { "type": "integer" }, "replayed": { "type": "boolean" },
                    "posted": refs("Posted"), "problem": { "type": "object" }
                }
            } } }
        },
        "Login": obj(&["account", "password"], json!({ "account": { "type": "string" }, "password": { "type": "string" } })),
        "IssuedToken": {
            "type": "object",
            "required": ["id", "account", "token"],
            "properties": {
                "id": { "type": "string" }, "account": { "type": "string" }, "label": { "type": "string" },
                "kind": { "enum": ["api", "session"] },
                "token": { "type": "string", "description": "The bearer secret. Shown only here, never again." },
                "expires_at": { "type": ["string", "null"], "format": "date-time" }
            }
        },
        "Role": { "enum": ["viewer", "operator", "qc", "manager", "admin"] },
        "Account": {
            "type": "object",
            "properties": {
                "name": { "type": "string" }, "role": refs("Role"), "created_at": { "type": "string" },
                "disabled": { "type": "boolean" }, "has_password": { "type": "boolean" }
            }
        },
        "NewAccount": obj(&["name", "role"], json!({
            "name": text("Lower-case letters, digits, - _ . (at most 32)."), "role": refs("Role"),
            "password": text("At least 12 characters; leave out for a token-only account.")
        })),
        "AccountChange": obj(&[], json!({ "role": refs("Role"), "disabled": { "type": "boolean" }, "password": { "type": "string" } })),
        "NewToken": obj(&["account", "label"], json!({
            "account": { "type": "string" }, "label": { "type": "string" },
            "expires_in_days": { "type": "integer", "minimum": 1 }
        }))
    })
}

fn operation(r: &Route) -> Value {
    let mut op = Map::new();
    op.insert("operationId".into(), json!(r.op));
    op.insert("tags".into(), json!([r.tag]));
    let role = r.permission.map(|p| format!(" Needs the `{}` role.", p.min_role())).unwrap_or_default();
    op.insert("summary".into(), json!(r.summary));
    op.insert("description".into(), json!(format!("{}{role}", r.summary)));
    let mut params: Vec<Value> = r
        .path
        .split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
        .collect();
    params.extend(r.query.iter().map(|q| json!({ "name": q, "in": "query", "schema": { "type": "string" } })));
    if r.posts() {
        params.push(json!({
            "name": IDEMPOTENCY_KEY, "in": "header", "schema": { "type": "string", "maxLength": 255 },
            "description": "Makes a retry safe when the body has no id: the same key replays the first answer."
        }));
    }
    if !params.is_empty() {
        op.insert("parameters".into(), Value::Array(params));
    }
    if let Some(body) = r.body {
        op.insert(
            "requestBody".into(),
            json!({ "required": true, "content": { "application/json": { "schema": refs(body) } } }),
        );
    }
    let content = match r.response {
        "Empty" => None,
        "Text" => Some(json!({ "text/plain": { "schema": refs("Text") } })),
        "Html" => Some(json!({ "text/html": { "schema": refs("Html") } })),
        "File" => Some(json!({
            "application/pdf": { "schema": refs("File") },
            "application/vnd.zebra-zpl": { "schema": refs("File") },
            "image/png": { "schema": refs("File") },
            "image/svg+xml": { "schema": refs("File") }
        })),
        other => Some(json!({ "application/json": { "schema": refs(other) } })),
    };
    let mut ok = json!({ "description": "Success." });
    if let (Some(c), Value::Object(m)) = (content, &mut ok) {
        m.insert("content".into(), c);
    }
    if r.posts()
        && let Value::Object(m) = &mut ok
    {
        m.insert("headers".into(), json!({ REPLAYED: { "description": "`true` when this answer replays an earlier identical request.", "schema": { "type": "string" } } }));
    }
    let problem = json!({ "description": "A problem.", "content": { "application/problem+json": { "schema": refs("Problem") } } });
    let mut responses = Map::new();
    responses.insert(r.status.to_string(), ok);
    responses.insert("4XX".into(), problem.clone());
    responses.insert("503".into(), json!({ "description": "Storage unavailable; nothing was written. Retry.", "content": problem.get("content").cloned() }));
    op.insert("responses".into(), Value::Object(responses));
    if r.permission.is_none() {
        op.insert("security".into(), json!([]));
    }
    Value::Object(op)
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for r in ROUTES {
        let entry = paths.entry(r.path.to_owned()).or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(m) = entry {
            m.insert(r.method.to_owned(), operation(r));
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "tracelot",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Lot and serial inventory over an append-only, hash-chained ledger. Every posting goes through the same single writer as the CLI."
        },
        "servers": [{ "url": "/" }],
        "security": [{ "bearer": [] }],
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer", "description": "A token from `tracelot token create` or POST /api/v1/auth/login." } },
            "schemas": schemas()
        },
        "paths": paths
    })
}

#[cfg(test)]
// Tests: an overflow or a panic is a failed test.
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    /// Every `$ref` in the document names a schema the document defines.
    #[test]
    fn every_reference_resolves() {
        let doc = document();
        let text = doc.to_string();
        let defined = doc["components"]["schemas"].as_object().expect("schemas");
        for piece in text.split("#/components/schemas/").skip(1) {
            let name: String = piece.chars().take_while(|c| *c != '"').collect();
            assert!(defined.contains_key(&name), "{name} is referenced but not defined");
        }
        assert_eq!(doc["openapi"], "3.1.0");
    }

    /// `docs/openapi.json`, which the README links to, is this document.
    /// `TRACELOT_BLESS=1 cargo test -p tracelot-server` rewrites it.
    #[test]
    fn the_checked_in_document_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
        let text = format!("{}\n", serde_json::to_string_pretty(&document()).expect("json"));
        if std::env::var_os("TRACELOT_BLESS").is_some() {
            std::fs::write(&path, &text).expect("write docs/openapi.json");
        }
        let stored = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(stored == text, "docs/openapi.json is stale; run TRACELOT_BLESS=1 cargo test -p tracelot-server");
    }
}
