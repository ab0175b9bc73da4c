//! Turning command-line flags into typed commands. Every value is parsed
//! once here, and a bad one is refused naming its flag.

use std::collections::BTreeMap;
use std::str::FromStr;

use jiff::Timestamp;
use jiff::civil::Date;
use tracelot_core::command::{Amount, Counted, Direction, Line, ReceiveLine, ReceiveUnits, Units};
use tracelot_core::item::SerialPattern;
use tracelot_core::{
    Command, DomainError, LotCode, LotDetails, LotStatus, PlaceRef, Request, Rule, Serial, Sku, TxId, ValueError,
    serial_range,
};

use crate::args::{AdjustArgs, CountArgs, ItemAddArgs, LotDetailArgs, Posting, UnitArgs};

/// Parses `value` with `parse`, blaming `flag` on failure.
pub fn field<T>(flag: &str, value: &str, parse: impl FnOnce(&str) -> Result<T, ValueError>) -> Result<T, DomainError> {
    parse(value).map_err(|e| DomainError::invalid(flag, e))
}

fn opt<T>(
    flag: &str,
    value: Option<&String>,
    parse: impl FnOnce(&str) -> Result<T, ValueError>,
) -> Result<Option<T>, DomainError> {
    value.map(|v| field(flag, v, parse)).transpose()
}

fn from_str<T: FromStr>(s: &str) -> Result<T, ValueError>
where
    T::Err: std::fmt::Display,
{
    s.parse::<T>().map_err(|e| ValueError::new("format", e.to_string()))
}

/// A calendar date, `YYYY-MM-DD`.
pub fn date(s: &str) -> Result<Date, ValueError> {
    s.parse::<Date>().map_err(|e| ValueError::new("date", format!("{s:?} is not a date YYYY-MM-DD: {e}")))
}

/// Wraps a command in a request with the posting flags.
pub fn request(command: Command, p: &Posting) -> Result<Request, DomainError> {
    Ok(Request {
        id: match &p.id {
            Some(id) => field("--id", id, TxId::parse)?,
            None => TxId::generate(),
        },
        command,
        occurred_at: opt("--occurred-at", p.occurred_at.as_ref(), |s| {
            s.parse::<Timestamp>()
                .map_err(|e| ValueError::new("rfc3339", format!("{s:?} is not an RFC 3339 instant: {e}")))
        })?,
        reference: p.reference.clone(),
        reason: p.reason.clone(),
    })
}

/// `SKU` positional.
pub fn sku(s: &str) -> Result<Sku, DomainError> {
    field("sku", s, Sku::parse)
}

/// A `--from`/`--to`/`--at` place.
pub fn place(flag: &str, s: &str) -> Result<PlaceRef, DomainError> {
    field(flag, s, PlaceRef::parse)
}

/// Expands every `--serial` value (ranges included).
pub fn serials(values: &[String]) -> Result<Vec<Serial>, DomainError> {
    let mut out = Vec::new();
    for v in values {
        out.extend(field("--serial", v, serial_range::expand)?);
    }
    Ok(out)
}

/// Lot details from flags.
pub fn details(d: &LotDetailArgs) -> Result<(LotDetails, Option<LotStatus>), DomainError> {
    let mut attributes = BTreeMap::new();
    for a in &d.attributes {
        let Some((k, v)) = a.split_once('=') else {
            return Err(DomainError::at(
                Rule::InvalidValue,
                "--attr",
                format!("{a:?}: write an attribute as KEY=VALUE"),
            ));
        };
        attributes.insert(k.to_owned(), v.to_owned());
    }
    let details = LotDetails {
        produced_on: opt("--produced-on", d.produced_on.as_ref(), date)?,
        expires_on: opt("--expires-on", d.expires_on.as_ref(), date)?,
        best_before: opt("--best-before", d.best_before.as_ref(), date)?,
        supplier_lot: d.supplier_lot.clone(),
        attributes,
    };
    Ok((details, opt("--status", d.status.as_ref(), from_str::<LotStatus>)?))
}

/// A catch-weight line's `--weight`.
fn weight(u: &UnitArgs) -> Result<Option<Amount>, DomainError> {
    opt("--weight", u.weight.as_ref(), Amount::parse)
}

/// One line of a transfer, shipment, return or scrap.
pub fn line(sku_text: &str, u: &UnitArgs) -> Result<Line, DomainError> {
    let sku = sku(sku_text)?;
    let lot = opt("--lot", u.lot.as_ref(), LotCode::parse)?;
    let units = match (&u.qty, u.serials.is_empty()) {
        (Some(q), true) => match weight(u)? {
            Some(weight) => Units::Weighed { quantity: field("--qty", q, Amount::parse)?, weight },
            None => Units::Quantity(field("--qty", q, Amount::parse)?),
        },
        (None, false) => Units::Serials(serials(&u.serials)?),
        (Some(_), false) => {
            return Err(DomainError::at(Rule::InvalidValue, "--qty", "give --qty or --serial, not both"));
        }
        (None, true) => {
            return Err(DomainError::at(Rule::InvalidValue, "--qty", "give --qty or at least one --serial"));
        }
    };
    Ok(Line { sku, lot, units })
}

/// A receipt.
pub fn receive(
    sku_text: &str,
    from: Option<&String>,
    to: &str,
    u: &UnitArgs,
    generate: Option<u32>,
    d: &LotDetailArgs,
) -> Result<Command, DomainError> {
    let sku = sku(sku_text)?;
    let lot = opt("--lot", u.lot.as_ref(), LotCode::parse)?;
    let units = match (&u.qty, u.serials.is_empty(), generate) {
        (Some(q), true, None) => match weight(u)? {
            Some(weight) => ReceiveUnits::Weighed { quantity: field("--qty", q, Amount::parse)?, weight },
            None => ReceiveUnits::Quantity(field("--qty", q, Amount::parse)?),
        },
        (None, false, None) => ReceiveUnits::Serials(serials(&u.serials)?),
        (None, true, Some(n)) => ReceiveUnits::Generate(n),
        _ => {
            return Err(DomainError::at(
                Rule::InvalidValue,
                "--qty",
                "give exactly one of --qty, --serial or --generate",
            ));
        }
    };
    let (details, status) = details(d)?;
    Ok(Command::Receive {
        from: from.map(|f| place("--from", f)).transpose()?,
        to: place("--to", to)?,
        lines: vec![ReceiveLine { sku, lot, details, status, units }],
    })
}

/// An adjustment: a signed quantity, or serials with a direction.
pub fn adjust(a: &AdjustArgs) -> Result<Command, DomainError> {
    let sku = sku(&a.sku)?;
    let lot = opt("--lot", a.lot.as_ref(), LotCode::parse)?;
    let (direction, units) = match (&a.qty, a.serials.is_empty()) {
        (Some(q), true) => {
            let (dir, magnitude) = match q.strip_prefix('-') {
                Some(m) => (Direction::Out, m),
                None => (Direction::In, q.strip_prefix('+').unwrap_or(q)),
            };
            if a.direction.is_some() {
                return Err(DomainError::at(
                    Rule::InvalidValue,
                    "--direction",
                    "a signed --qty already gives the direction",
                ));
            }
            (dir, Units::Quantity(field("--qty", magnitude, Amount::parse)?))
        }
        (None, false) => {
            let dir = match a.direction.as_deref() {
                Some("in") => Direction::In,
                Some("out") => Direction::Out,
                _ => {
                    return Err(DomainError::at(
                        Rule::InvalidValue,
                        "--direction",
                        "serials need --direction in or out",
                    ));
                }
            };
            (dir, Units::Serials(serials(&a.serials)?))
        }
        _ => {
            return Err(DomainError::at(
                Rule::InvalidValue,
                "--qty",
                "give a signed --qty, or --serial with --direction",
            ));
        }
    };
    Ok(Command::Adjust { at: place("--at", &a.at)?, direction, lines: vec![Line { sku, lot, units }] })
}

/// A count. `serial_item` says whether the item counts by serial, so that
/// `--counted 0` means "no serials here" for serial-tracked items.
pub fn count(c: &CountArgs, serial_item: bool) -> Result<Command, DomainError> {
    if !c.lot_counts.is_empty() {
        if c.counted.is_some() || !c.serials.is_empty() {
            return Err(DomainError::at(Rule::InvalidValue, "--lot-counted", "give --lot-counted alone, per lot"));
        }
        let mut by_lot = std::collections::BTreeMap::new();
        for text in &c.lot_counts {
            let (l, q) = text.split_once('=').ok_or_else(|| {
                DomainError::at(Rule::InvalidValue, "--lot-counted", format!("{text:?} is not LOT=QTY"))
            })?;
            by_lot.insert(field("--lot-counted", l, LotCode::parse)?, field("--lot-counted", q, Amount::parse)?);
        }
        return Ok(Command::Count {
            at: place("--at", &c.at)?,
            sku: sku(&c.sku)?,
            lot: opt("--lot", c.lot.as_ref(), LotCode::parse)?,
            counted: Counted::Lots(by_lot),
        });
    }
    let counted = match (&c.counted, c.serials.is_empty()) {
        (None, false) => Counted::Serials(serials(&c.serials)?),
        (Some(q), true)
            if serial_item && q.trim_start_matches('0').trim_start_matches('.').trim_start_matches('0').is_empty() =>
        {
            Counted::Serials(Vec::new())
        }
        (Some(q), true) => Counted::Quantity(field("--counted", q, Amount::parse)?),
        _ => {
            return Err(DomainError::at(
                Rule::InvalidValue,
                "--counted",
                "give --counted or the --serial values found, not both",
            ));
        }
    };
    Ok(Command::Count {
        at: place("--at", &c.at)?,
        sku: sku(&c.sku)?,
        lot: opt("--lot", c.lot.as_ref(), LotCode::parse)?,
        counted,
    })
}

/// An item definition.
pub fn item(a: &ItemAddArgs) -> Result<Command, DomainError> {
    Ok(Command::DefineItem(tracelot_core::ItemSpec {
        sku: sku(&a.sku)?,
        name: a.name.clone().unwrap_or_else(|| a.sku.clone()),
        tracking: field("--tracking", &a.tracking, from_str)?,
        gtin: opt("--gtin", a.gtin.as_ref(), tracelot_core::item::parse_gtin)?,
        uom: a.uom.clone(),
        scale: tracelot_core::Scale::new(a.scale).map_err(|e| DomainError::invalid("--scale", e))?,
        shelf_life_days: a.shelf_life_days,
        warranty_months: a.warranty_months,
        serial_kind: field("--serial-kind", &a.serial_kind, from_str)?,
        serial_pattern: opt("--serial-pattern", a.serial_pattern.as_ref(), SerialPattern::parse)?,
        date_rule: field("--date-rule", &a.date_rule, from_str)?,
        min_remaining_days: a.min_remaining_days,
        output_expiry: field("--output-expiry", &a.output_expiry, from_str)?,
        catch_weight_uom: a.catch_weight_uom.clone(),
    }))
}

/// One unit spec of `produce` and `assemble`: `SKU:LOT:QTY`, `SKU:QTY`,
/// `SKU#SERIAL` or `SKU:LOT#SERIAL`. A SKU never holds `:` or `#`, and a lot
/// or serial never holds `#`, so the split is unambiguous.
struct UnitSpec {
    sku: Sku,
    lot: Option<LotCode>,
    what: Result<Amount, Serial>,
}

fn unit_spec(flag: &str, text: &str) -> Result<UnitSpec, DomainError> {
    let bad = || {
        DomainError::at(
            Rule::InvalidValue,
            flag,
            format!("{text:?}: write SKU:LOT:QTY, SKU:QTY, SKU#SERIAL or SKU:LOT#SERIAL"),
        )
    };
    if let Some((head, serial)) = text.split_once('#') {
        let (sku_text, lot) = match head.split_once(':') {
            Some((s, l)) => (s, Some(field(flag, l, LotCode::parse)?)),
            None => (head, None),
        };
        return Ok(UnitSpec {
            sku: field(flag, sku_text, Sku::parse)?,
            lot,
            what: Err(field(flag, serial, Serial::parse)?),
        });
    }
    let (sku_text, rest) = text.split_once(':').ok_or_else(bad)?;
    let (lot, qty) = match rest.rsplit_once(':') {
        Some((l, q)) => (Some(field(flag, l, LotCode::parse)?), q),
        None => (None, rest),
    };
    Ok(UnitSpec { sku: field(flag, sku_text, Sku::parse)?, lot, what: Ok(field(flag, qty, Amount::parse)?) })
}

/// An input line of `produce`, or a component of `assemble`.
pub fn unit_line(flag: &str, text: &str) -> Result<Line, DomainError> {
    let u = unit_spec(flag, text)?;
    let units = match u.what {
        Ok(q) => Units::Quantity(q),
        Err(s) => Units::Serials(vec![s]),
    };
    Ok(Line { sku: u.sku, lot: u.lot, units })
}

/// Per-output dates given as `SKU:LOT=DATE`.
fn dated(flag: &str, values: &[String]) -> Result<BTreeMap<(Sku, LotCode), Date>, DomainError> {
    let mut out = BTreeMap::new();
    for v in values {
        let bad = || DomainError::at(Rule::InvalidValue, flag, format!("{v:?}: write SKU:LOT=YYYY-MM-DD"));
        let (key, d) = v.split_once('=').ok_or_else(bad)?;
        let (s, l) = key.split_once(':').ok_or_else(bad)?;
        out.insert((field(flag, s, Sku::parse)?, field(flag, l, LotCode::parse)?), field(flag, d, date)?);
    }
    Ok(out)
}

/// `produce`.
pub fn produce(a: &crate::args::ProduceArgs) -> Result<Command, DomainError> {
    let consume = a.consume.iter().map(|c| unit_line("--consume", c)).collect::<Result<Vec<_>, _>>()?;
    let expires = dated("--expires", &a.expires)?;
    let best_before = dated("--best-before", &a.best_before)?;
    let mut output = Vec::new();
    for text in &a.output {
        let u = unit_spec("--output", text)?;
        let key = u.lot.clone().map(|l| (u.sku.clone(), l));
        let details = LotDetails {
            expires_on: key.as_ref().and_then(|k| expires.get(k).copied()),
            best_before: key.as_ref().and_then(|k| best_before.get(k).copied()),
            ..LotDetails::default()
        };
        let units = match u.what {
            Ok(q) => ReceiveUnits::Quantity(q),
            Err(s) => ReceiveUnits::Serials(vec![s]),
        };
        output.push(ReceiveLine { sku: u.sku, lot: u.lot, details, status: None, units });
    }
    for ((s, l), _) in expires.iter().chain(best_before.iter()) {
        if !output.iter().any(|o| &o.sku == s && o.lot.as_ref() == Some(l)) {
            return Err(DomainError::at(Rule::InvalidValue, "--expires", format!("{s}:{l} is not an --output lot")));
        }
    }
    Ok(Command::Produce { at: place("--at", &a.at)?, consume, output })
}

/// `assemble`.
pub fn assemble(a: &crate::args::AssembleArgs) -> Result<Command, DomainError> {
    Ok(Command::Assemble {
        parent_sku: sku(&a.parent_sku)?,
        parent_serial: field("parent_serial", &a.parent_serial, Serial::parse)?,
        install: a.install.iter().map(|c| unit_line("--install", c)).collect::<Result<_, _>>()?,
        remove: a.remove.iter().map(|c| unit_line("--remove", c)).collect::<Result<_, _>>()?,
        from: a.from.as_deref().map(|f| place("--from", f)).transpose()?,
        to: a.to.as_deref().map(|t| place("--to", t)).transpose()?,
    })
}
