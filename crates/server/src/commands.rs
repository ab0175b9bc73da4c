//! Request bodies into [`Command`]s. Each command kind has its own body
//! type here, field for field the command's, so that a bad field is named
//! by its full path (`lines[0].units.quantity`); serde loses the path
//! inside the command's internally tagged enum.

use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Map, Value};
use tracelot_core::command::{Counted, Direction, Line, ReceiveLine};
use tracelot_core::lot::RecallDecision;
use tracelot_core::{
    Command, ItemSpec, LocationKind, LocationPath, LotCode, LotDetails, LotStatus, PartnerCode, PlaceRef, Serial, Sku,
    TxId,
};

use crate::body::from_value;
use crate::problem::Problem;

/// The fields any posting accepts beside its command's.
#[derive(Debug, Default)]
pub struct Meta {
    /// Client-chosen transaction id (the idempotency key).
    pub id: Option<TxId>,
    /// When it happened, if not now.
    pub occurred_at: Option<Timestamp>,
    /// The document (delivery note, order).
    pub reference: Option<String>,
    /// Why.
    pub reason: Option<String>,
}

/// Takes the [`Meta`] fields out of a body object, leaving the command's.
pub fn split_meta(prefix: &str, mut fields: Map<String, Value>) -> Result<(Meta, Map<String, Value>), Problem> {
    let name = |f: &str| if prefix.is_empty() { f.to_owned() } else { format!("{prefix}.{f}") };
    let mut take = |f: &str| fields.remove(f).filter(|v| !v.is_null());
    let meta = Meta {
        id: take("id").map(|v| from_value(&name("id"), v)).transpose()?,
        occurred_at: take("occurred_at").map(|v| from_value(&name("occurred_at"), v)).transpose()?,
        reference: take("reference").map(|v| from_value(&name("reference"), v)).transpose()?,
        reason: take("reason").map(|v| from_value(&name("reason"), v)).transpose()?,
    };
    Ok((meta, fields))
}

/// Every command kind, as its `type` tag and in the generic transaction body.
pub const KINDS: [&str; 21] = [
    "define_item",
    "define_packaging",
    "define_location",
    "define_partner",
    "define_lot",
    "set_lot_status",
    "set_serial_status",
    "close_serial_recall",
    "release",
    "relabel",
    "arrive",
    "receive",
    "transfer",
    "ship",
    "return",
    "adjust",
    "count",
    "scrap",
    "reverse",
    "produce",
    "assemble",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DefineLocation {
    path: LocationPath,
    kind: LocationKind,
    #[serde(default)]
    time_zone: Option<tracelot_core::time::SiteZone>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DefinePartner {
    code: PartnerCode,
    name: String,
    kind: LocationKind,
    #[serde(default)]
    min_shelf_life_days: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DefineLot {
    sku: Sku,
    lot: LotCode,
    #[serde(default)]
    details: LotDetails,
    #[serde(default)]
    status: Option<LotStatus>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetLotStatus {
    sku: Sku,
    lot: LotCode,
    status: LotStatus,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetSerialStatus {
    sku: Sku,
    serials: Vec<Serial>,
    status: LotStatus,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Relabel {
    at: PlaceRef,
    sku: Sku,
    from_lot: LotCode,
    to_lot: LotCode,
    quantity: tracelot_core::command::Amount,
    #[serde(default)]
    details: LotDetails,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DefinePackaging {
    sku: Sku,
    name: String,
    gtin: String,
    quantity: tracelot_core::command::Amount,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Arrive {
    dispatch: TxId,
    to: PlaceRef,
    #[serde(default)]
    lines: Vec<Line>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CloseSerialRecall {
    sku: Sku,
    serials: Vec<Serial>,
    decision: RecallDecision,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Receive {
    #[serde(default)]
    from: Option<PlaceRef>,
    to: PlaceRef,
    lines: Vec<ReceiveLine>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Move {
    from: PlaceRef,
    to: PlaceRef,
    lines: Vec<Line>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Ship {
    from: PlaceRef,
    to: PlaceRef,
    lines: Vec<Line>,
    #[serde(default)]
    allow_expired: bool,
    #[serde(default)]
    allow_short_shelf_life: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Adjust {
    at: PlaceRef,
    direction: Direction,
    lines: Vec<Line>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Count {
    at: PlaceRef,
    sku: Sku,
    #[serde(default)]
    lot: Option<LotCode>,
    counted: Counted,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Scrap {
    at: PlaceRef,
    lines: Vec<Line>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Reverse {
    tx: TxId,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Assemble {
    parent_sku: Sku,
    parent_serial: tracelot_core::Serial,
    #[serde(default)]
    install: Vec<Line>,
    #[serde(default)]
    remove: Vec<Line>,
    #[serde(default)]
    from: Option<PlaceRef>,
    #[serde(default)]
    to: Option<PlaceRef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Produce {
    at: PlaceRef,
    consume: Vec<Line>,
    output: Vec<ReceiveLine>,
}

/// Builds the command of `kind` from its fields; `prefix` is where the
/// fields sit in the body, for error paths.
pub fn command(kind: &str, prefix: &str, fields: Map<String, Value>) -> Result<Command, Problem> {
    let v = Value::Object(fields);
    Ok(match kind {
        "define_item" => Command::DefineItem(from_value::<ItemSpec>(prefix, v)?),
        "define_location" => {
            let b: DefineLocation = from_value(prefix, v)?;
            Command::DefineLocation { path: b.path, kind: b.kind, time_zone: b.time_zone }
        }
        "define_partner" => {
            let b: DefinePartner = from_value(prefix, v)?;
            Command::DefinePartner {
                code: b.code,
                name: b.name,
                kind: b.kind,
                min_shelf_life_days: b.min_shelf_life_days,
            }
        }
        "define_lot" => {
            let b: DefineLot = from_value(prefix, v)?;
            Command::DefineLot { sku: b.sku, lot: b.lot, details: b.details, status: b.status }
        }
        "set_lot_status" => {
            let b: SetLotStatus = from_value(prefix, v)?;
            Command::SetLotStatus { sku: b.sku, lot: b.lot, status: b.status }
        }
        "set_serial_status" => {
            let b: SetSerialStatus = from_value(prefix, v)?;
            Command::SetSerialStatus { sku: b.sku, serials: b.serials, status: b.status }
        }
        "close_serial_recall" => {
            let b: CloseSerialRecall = from_value(prefix, v)?;
            Command::CloseSerialRecall { sku: b.sku, serials: b.serials, decision: b.decision }
        }
        "define_packaging" => {
            let b: DefinePackaging = from_value(prefix, v)?;
            Command::DefinePackaging { sku: b.sku, name: b.name, gtin: b.gtin, quantity: b.quantity }
        }
        "arrive" => {
            let b: Arrive = from_value(prefix, v)?;
            Command::Arrive { dispatch: b.dispatch, to: b.to, lines: b.lines }
        }
        "relabel" => {
            let b: Relabel = from_value(prefix, v)?;
            Command::Relabel {
                at: b.at,
                sku: b.sku,
                from_lot: b.from_lot,
                to_lot: b.to_lot,
                quantity: b.quantity,
                details: b.details,
            }
        }
        "release" => {
            let b: Move = from_value(prefix, v)?;
            Command::Release { from: b.from, to: b.to, lines: b.lines }
        }
        "receive" => {
            let b: Receive = from_value(prefix, v)?;
            Command::Receive { from: b.from, to: b.to, lines: b.lines }
        }
        "transfer" => {
            let b: Move = from_value(prefix, v)?;
            Command::Transfer { from: b.from, to: b.to, lines: b.lines }
        }
        "ship" => {
            let b: Ship = from_value(prefix, v)?;
            Command::Ship {
                from: b.from,
                to: b.to,
                lines: b.lines,
                allow_expired: b.allow_expired,
                allow_short_shelf_life: b.allow_short_shelf_life,
            }
        }
        "return" => {
            let b: Move = from_value(prefix, v)?;
            Command::Return { from: b.from, to: b.to, lines: b.lines }
        }
        "adjust" => {
            let b: Adjust = from_value(prefix, v)?;
            Command::Adjust { at: b.at, direction: b.direction, lines: b.lines }
        }
        "count" => {
            let b: Count = from_value(prefix, v)?;
            Command::Count { at: b.at, sku: b.sku, lot: b.lot, counted: b.counted }
        }
        "scrap" => {
            let b: Scrap = from_value(prefix, v)?;
            Command::Scrap { at: b.at, lines: b.lines }
        }
        "reverse" => {
            let b: Reverse = from_value(prefix, v)?;
            Command::Reverse { tx: b.tx }
        }
        "assemble" => {
            let b: Assemble = from_value(prefix, v)?;
            Command::Assemble {
                parent_sku: b.parent_sku,
                parent_serial: b.parent_serial,
                install: b.install,
                remove: b.remove,
                from: b.from,
                to: b.to,
            }
        }
        "produce" => {
            let b: Produce = from_value(prefix, v)?;
            Command::Produce { at: b.at, consume: b.consume, output: b.output }
        }
        other => {
            let field = if prefix.is_empty() { "type".to_owned() } else { format!("{prefix}.type") };
            return Err(Problem::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_value",
                format!("{field}: {other:?} is not a command type; use one of {}", KINDS.join(", ")),
            )
            .at(field));
        }
    })
}

#[cfg(test)]
// Tests: an overflow or a panic is a failed test.
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    /// Every kind parses to the command that serialises back to the same
    /// JSON, so these bodies and the stored requests cannot drift apart.
    #[test]
    fn bodies_match_the_commands_serialised_form() {
        let samples = [
            serde_json::json!({"type": "define_location", "path": "WH/A", "kind": "internal"}),
            serde_json::json!({"type": "define_partner", "code": "C1", "name": "Shop", "kind": "customer"}),
            serde_json::json!({"type": "define_lot", "sku": "X", "lot": "L1", "details": {"expires_on": "2027-01-31"}, "status": "quarantine"}),
            serde_json::json!({"type": "set_lot_status", "sku": "X", "lot": "L1", "status": "released"}),
            serde_json::json!({"type": "receive", "to": "WH/A", "lines": [{"sku": "X", "lot": "L1", "units": {"quantity": "5"}}]}),
            serde_json::json!({"type": "transfer", "from": "WH/A", "to": "WH/B", "lines": [{"sku": "X", "units": {"serials": ["S1"]}}]}),
            serde_json::json!({"type": "ship", "from": "WH/A", "to": "C1", "lines": [{"sku": "X", "units": {"quantity": "1"}}], "allow_expired": true}),
            serde_json::json!({"type": "return", "from": "C1", "to": "WH/A", "lines": [{"sku": "X", "units": {"quantity": "1"}}]}),
            serde_json::json!({"type": "adjust", "at": "WH/A", "direction": "out", "lines": [{"sku": "X", "units": {"quantity": "1"}}]}),
            serde_json::json!({"type": "count", "at": "WH/A", "sku": "X", "counted": {"quantity": "0"}}),
            serde_json::json!({"type": "scrap", "at": "WH/A", "lines": [{"sku": "X", "units": {"quantity": "1"}}]}),
            serde_json::json!({"type": "reverse", "tx": "0192f0c4-7c1e-7b3a-8d2e-1f2a3b4c5d6e"}),
            serde_json::json!({"type": "set_serial_status", "sku": "CAR", "serials": ["V1"], "status": "on_hold"}),
            serde_json::json!({"type": "close_serial_recall", "sku": "CAR", "serials": ["V1"], "decision": "released"}),
            serde_json::json!({"type": "define_packaging", "sku": "X", "name": "case", "gtin": "10012345000017", "quantity": "12"}),
            serde_json::json!({"type": "arrive", "dispatch": "0192f0c4-7c1e-7b3a-8d2e-1f2a3b4c5d6e", "to": "WH/B", "lines": [{"sku": "X", "units": {"quantity": "1"}}]}),
            serde_json::json!({"type": "relabel", "at": "WH/A", "sku": "X", "from_lot": "L1", "to_lot": "L2", "quantity": "3"}),
            serde_json::json!({"type": "release", "from": "QUARANTINE", "to": "WH/A", "lines": [{"sku": "X", "units": {"quantity": "1"}}]}),
            serde_json::json!({"type": "assemble", "parent_sku": "CAR", "parent_serial": "V1", "install": [{"sku": "ENGINE", "units": {"serials": ["E1"]}}], "from": "WH/A"}),
            serde_json::json!({"type": "produce", "at": "WH/A", "consume": [{"sku": "X", "lot": "L1", "units": {"quantity": "2"}}],
                "output": [{"sku": "Y", "lot": "P1", "details": {"expires_on": "2027-01-31"}, "units": {"quantity": "1"}}]}),
        ];
        for sample in samples {
            let mut fields = obj(sample.clone());
            let kind = fields.remove("type").and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
            let cmd = command(&kind, "", fields).unwrap_or_else(|p| panic!("{kind}: {p:?}"));
            assert_eq!(cmd.kind(), kind);
            let direct: Command = serde_json::from_value(sample.clone()).expect("direct");
            assert_eq!(cmd, direct, "{kind}");
        }
        assert_eq!(KINDS.len(), 21);
    }

    #[test]
    fn a_bad_field_is_named_by_its_path() {
        let body = obj(serde_json::json!({"to": "WH/A", "lines": [{"sku": "X", "units": {"quantity": "-1"}}]}));
        let p = command("receive", "command", body).expect_err("negative");
        assert_eq!(p.field.as_deref(), Some("command.lines[0].units.quantity"), "{p:?}");
        let body = obj(serde_json::json!({"to": "WH/A", "lines": [], "colour": "red"}));
        let p = command("receive", "", body).expect_err("unknown");
        assert_eq!((p.code.as_str(), p.field.as_deref()), ("unknown_field", Some("colour")));
        let p = command("teleport", "", Map::new()).expect_err("kind");
        assert_eq!(p.field.as_deref(), Some("type"));
    }
}
