//! Scans resolved against the ledger, and sequences of scans turned into
//! the same receipt and shipment commands that every other way in builds.
//!
//! Reading a scan needs no master data: an unknown GTIN still parses and
//! its resolution fields are simply empty. Only a receipt or a shipment
//! refuses an item it cannot find.

use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;
use serde::Serialize;
use tracelot_core::codes::OwnCode;
use tracelot_core::command::{Amount, Line, ReceiveLine, ReceiveUnits, Units};
use tracelot_core::{Command, DomainError, LocationPath, LotCode, LotDetails, PlaceRef, Rule, Serial, Sku};
use tracelot_gs1::{Carrier, Gs1Date, Gtin, Message, Options, Scan, parse_scan};
use tracelot_store::{ItemRow, PackagingRow, Store};

use crate::ReportError;

/// One AI of a scan, with the value exactly as encoded.
#[derive(Debug, Clone, Serialize)]
pub struct AiValue {
    /// The AI's digits.
    pub ai: String,
    /// The value as encoded.
    pub value: String,
    /// GS1's short title of the AI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<&'static str>,
}

/// A trade measure such as a net weight.
#[derive(Debug, Clone, Serialize)]
pub struct MeasureValue {
    /// The AI.
    pub ai: String,
    /// What is measured.
    pub what: String,
    /// The unit.
    pub unit: String,
    /// The exact decimal value.
    pub value: String,
}

/// The item a scan names.
#[derive(Debug, Clone, Serialize)]
pub struct ScannedItem {
    /// SKU.
    pub sku: Sku,
    /// Name.
    pub name: String,
    /// How it is tracked.
    pub tracking: &'static str,
    /// Unit of measure.
    pub uom: String,
}

/// The lot a scan names, as the ledger knows it.
#[derive(Debug, Clone, Serialize)]
pub struct StoredLot {
    /// Status.
    pub status: String,
    /// Stored expiry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<Date>,
    /// Stored best-before date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub best_before: Option<Date>,
}

/// A scanned value that differs from what the ledger records.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Conflict {
    /// Which detail.
    pub field: &'static str,
    /// What the ledger records.
    pub stored: String,
    /// What the scan says.
    pub scanned: String,
}

/// What a scan says, and what it names in the ledger.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Reading {
    /// The scan as received.
    pub raw: String,
    /// `gs1`, `tracelot` (one of tracelot's own codes), `sku` (a plain
    /// barcode holding a SKU) or `plain` (nothing tracelot knows).
    pub kind: &'static str,
    /// The symbology identifier the scanner sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbology: Option<String>,
    /// How GS1 data was carried: element_string, bracketed, digital_link, gtin or sscc.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carrier: Option<&'static str>,
    /// GS1 element strings in scan order, values exactly as encoded.
    pub ais: Vec<AiValue>,
    /// GS1 human-readable text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hri: Option<String>,
    /// The same data as bracketed text, to print or to feed a label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bracketed: Option<String>,
    /// The same data as the element string a GS1 symbol encodes (GS between
    /// elements, predefined-length AIs first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub element_string: Option<String>,
    /// The same data as a GS1 Digital Link URI on GS1's resolver, when it
    /// has a primary key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digital_link: Option<String>,
    /// AI (01), 14 digits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gtin: Option<String>,
    /// AI (00).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sscc: Option<String>,
    /// The lot: AI (10) or a tracelot lot code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lot: Option<String>,
    /// The serial: AI (21) or a tracelot serial code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// AI (17); DD = 00 read as the month's last day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<Date>,
    /// AI (15).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub best_before: Option<Date>,
    /// AI (11).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub produced_on: Option<Date>,
    /// AI (30) or (37).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// What the scan stands for in a receipt or shipment, in the item's
    /// unit: a net measure in that unit, else the count, else one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<String>,
    /// AIs 310n-369n.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub measures: Vec<MeasureValue>,
    /// A location label's path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<LocationPath>,
    /// The packaging whose GTIN was scanned (a case of 12): each scan of
    /// it stands for its quantity of the item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub packaging: Option<PackagingRow>,
    /// The SKU the scan names: from a tracelot code or a SKU barcode, or
    /// the SKU of the item (or packaging) that carries its GTIN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sku: Option<Sku>,
    /// The item, when the ledger knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<ScannedItem>,
    /// The lot, when the ledger knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored_lot: Option<StoredLot>,
    /// Where the serial is now, when the ledger knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial_at: Option<LocationPath>,
    /// Scanned details that differ from the ledger's.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<Conflict>,
    /// GS1 association rules (`req=`, `ex=`) this scan alone does not meet.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Reading {
    fn new(raw: &str, kind: &'static str) -> Self {
        Reading { raw: raw.to_string(), kind, ..Reading::default() }
    }
}

fn invalid(field: &str, detail: impl Into<String>) -> ReportError {
    ReportError::Refused(DomainError::at(Rule::InvalidScan, field, detail.into()))
}

fn date(d: Gs1Date) -> Option<Date> {
    Date::new(i16::try_from(d.year).ok()?, i8::try_from(d.month).ok()?, i8::try_from(d.day).ok()?).ok()
}

fn carrier_name(c: Carrier) -> &'static str {
    match c {
        Carrier::ElementString => "element_string",
        Carrier::Bracketed => "bracketed",
        Carrier::DigitalLink => "digital_link",
        Carrier::Gtin => "gtin",
        Carrier::Sscc => "sscc",
    }
}

fn gs1_reading(raw: &str, symbology: Option<String>, carrier: Carrier, m: &Message, today: Date) -> Reading {
    let year = i32::from(today.year());
    let mut r = Reading::new(raw, "gs1");
    r.symbology = symbology;
    r.carrier = Some(carrier_name(carrier));
    r.ais = m
        .elements()
        .map(|e| AiValue { ai: e.ai.to_string(), value: e.value.to_string(), title: e.entry.map(|x| x.title) })
        .collect();
    r.hri = Some(m.hri());
    r.bracketed = Some(m.bracketed());
    r.element_string = Some(m.element_string());
    r.digital_link = m.digital_link(None).ok();
    r.gtin = m.gtin().or_else(|| m.content_gtin()).map(|g| g.as_str().to_string());
    r.sscc = m.sscc().map(|s| s.to_string());
    r.lot = m.lot().map(str::to_string);
    r.serial = m.serial().map(str::to_string);
    r.expires_on = m.expiry(year).and_then(date);
    r.best_before = m.best_before(year).and_then(date);
    r.produced_on = m.production_date(year).and_then(date);
    r.count = m.count();
    r.measures = m
        .measures()
        .into_iter()
        .map(|x| MeasureValue { ai: x.ai, what: x.what, unit: x.unit, value: x.value.to_string() })
        .collect();
    r.warnings = m.association_issues().iter().map(ToString::to_string).collect();
    r
}

/// Reads one scan (`field` names it in errors, e.g. `raw` or `scans[3]`)
/// without looking anything up.
pub fn parse(raw: &str, field: &str, today: Date) -> Result<Reading, ReportError> {
    let raw = raw.trim_end_matches(['\r', '\n']);
    if let Some(own) = OwnCode::parse(raw) {
        let own = own.map_err(|e| invalid(field, e.to_string()))?;
        let mut r = Reading::new(raw, "tracelot");
        match own {
            OwnCode::Location(path) => r.location = Some(path),
            OwnCode::Lot { sku, lot } => {
                r.sku = Some(sku);
                r.lot = Some(lot.as_str().to_string());
            }
            OwnCode::Serial { sku, serial } => {
                r.sku = Some(sku);
                r.serial = Some(serial.as_str().to_string());
            }
        }
        return Ok(r);
    }
    let options = Options::lenient();
    match parse_scan(raw, &options).map_err(|e| invalid(field, e.to_string()))? {
        Scan::Gs1 { carrier, symbology, message } => Ok(gs1_reading(raw, symbology, carrier, &message, today)),
        Scan::Plain { symbology, data } => {
            // A scanner set to drop symbology identifiers and FNC1 still
            // sends GS1 element strings; they start with an AI.
            if let Ok(message) = Message::parse_element_string(&data, &options) {
                return Ok(gs1_reading(raw, symbology, Carrier::ElementString, &message, today));
            }
            let mut r = Reading::new(raw, "plain");
            r.symbology = symbology;
            if let Ok(sku) = Sku::parse(&data) {
                r.kind = "sku";
                r.sku = Some(sku);
            }
            Ok(r)
        }
    }
}

fn scanned_item(row: &ItemRow) -> ScannedItem {
    ScannedItem {
        sku: row.spec.sku.clone(),
        name: row.spec.name.clone(),
        tracking: row.spec.tracking.as_str(),
        uom: row.spec.uom.clone(),
    }
}

/// Reads one scan and fills in what the ledger knows: the item (by GTIN,
/// SKU or tracelot code), the stored lot, where the serial is, and any
/// detail that contradicts the ledger.
pub fn read(store: &dyn Store, raw: &str, field: &str, today: Date) -> Result<Reading, ReportError> {
    resolve(store, raw, field, today).map(|(r, _)| r)
}

/// [`read`], also handing back the item row it found.
fn resolve(store: &dyn Store, raw: &str, field: &str, today: Date) -> Result<(Reading, Option<ItemRow>), ReportError> {
    let mut r = parse(raw, field, today)?;
    let row = match (&r.gtin, &r.sku) {
        (Some(gtin), _) => match Gtin::parse(gtin).ok() {
            Some(g) => match store.item_by_gtin(&g)? {
                Some(row) => Some(row),
                None => {
                    r.packaging = store.packaging_by_gtin(&g)?;
                    match &r.packaging {
                        Some(p) => store.item(&p.sku)?,
                        None => None,
                    }
                }
            },
            None => None,
        },
        (None, Some(sku)) => store.item(sku)?,
        (None, None) => None,
    };
    if r.kind == "sku" && row.is_none() {
        r.kind = "plain";
    }
    r.item = row.as_ref().map(scanned_item);
    if let Some(row) = &row {
        r.sku = Some(row.spec.sku.clone());
    }
    if let Some(row) = &row
        && r.location.is_none()
    {
        // A lookup shows what a posting would book, or says why it would not.
        match units_of(&r, row, field) {
            Ok(units) => r.quantity = Some(format!("{} {}", row.spec.scale.format(units), row.spec.uom)),
            Err(e) => r.warnings.push(e.to_string()),
        }
    }
    let lot = r.lot.as_deref().and_then(|l| LotCode::parse(l).ok());
    let stored = match (&row, lot) {
        (Some(row), Some(lot)) => store.lot(&row.spec.sku, &lot)?,
        _ => None,
    };
    if let Some(stored) = stored {
        r.conflicts = conflicts(&r, &stored.details);
        r.stored_lot = Some(StoredLot {
            status: stored.status.as_str().to_string(),
            expires_on: stored.details.expires_on,
            best_before: stored.details.best_before,
        });
    }
    let serial = r.serial.as_deref().and_then(|s| Serial::parse(s).ok());
    if let (Some(row), Some(serial)) = (&row, serial) {
        r.serial_at = store.where_is(&row.spec.sku, &serial)?.and_then(|w| w.location);
    }
    Ok((r, row))
}

fn conflicts(r: &Reading, stored: &LotDetails) -> Vec<Conflict> {
    let pairs = [
        ("expires_on", stored.expires_on, r.expires_on),
        ("best_before", stored.best_before, r.best_before),
        ("produced_on", stored.produced_on, r.produced_on),
    ];
    pairs
        .into_iter()
        .filter_map(|(field, stored, scanned)| match (stored, scanned) {
            (Some(s), Some(c)) if s != c => Some(Conflict { field, stored: s.to_string(), scanned: c.to_string() }),
            _ => None,
        })
        .collect()
}

/// Which way the scanned goods go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Into stock from a supplier.
    Receive,
    /// Out of stock to a customer.
    Ship,
}

/// Where a flow's goods come from and go to (a scanned location label
/// fills the internal side when it is not given), and a shipment's
/// overrides.
#[derive(Debug, Clone, Default)]
pub struct Ends {
    /// Source: supplier for a receipt (optional), internal location for a shipment.
    pub from: Option<PlaceRef>,
    /// Destination: internal location for a receipt, customer for a shipment.
    pub to: Option<PlaceRef>,
    /// Shipments: ship an expired lot anyway (the ledger wants a reason).
    pub allow_expired: bool,
    /// Shipments: ship a lot shorter-dated than the customer requires (the ledger wants a reason).
    pub allow_short_shelf_life: bool,
}

/// What the scans add up to for one item and lot.
#[derive(Default)]
struct Tally {
    details: LotDetails,
    units: i64,
    /// For a catch-weight item, the scanned weights' sum in thousandths of
    /// its weight unit.
    weight: Option<i64>,
    serials: Vec<Serial>,
    first_scan: usize,
}

/// Turns a sequence of scans into one receipt or shipment. Each scan is a
/// unit (or the count / net measure it carries); a location label sets the
/// internal location. Refused, naming the scan (`scans[i]`): an invalid
/// scan, an unknown GTIN (with how to create the item), the same unit or
/// SSCC twice, a scanned date that contradicts the stored lot or another
/// scan of the same lot.
pub fn command_from_scans(
    store: &dyn Store,
    flow: Flow,
    scans: &[String],
    mut ends: Ends,
    today: Date,
) -> Result<Command, ReportError> {
    if scans.is_empty() {
        return Err(invalid("scans", "no scans were given"));
    }
    let mut tallies: BTreeMap<(Sku, Option<LotCode>), Tally> = BTreeMap::new();
    let mut items: HashMap<Sku, ItemRow> = HashMap::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, raw) in scans.iter().enumerate() {
        let field = format!("scans[{i}]");
        let (reading, row) = resolve(store, raw, &field, today)?;
        if let Some(path) = &reading.location {
            set_location(flow, &mut ends, path, &field)?;
            continue;
        }
        let row = match (row, &reading.gtin) {
            (Some(row), _) => row,
            (None, Some(gtin)) => return Err(unknown_gtin(&field, gtin)),
            (None, None) if reading.kind == "tracelot" && reading.sku.is_some() => {
                let sku = reading.sku.as_ref().map(ToString::to_string).unwrap_or_default();
                return Err(ReportError::Refused(DomainError::at(
                    Rule::NotFound,
                    field,
                    format!("unknown item {sku}"),
                )));
            }
            (None, None) if reading.sscc.is_some() => {
                return Err(invalid(
                    &field,
                    "an SSCC alone names a pallet, not its contents: scan the cases, or a label with (02) and (37)",
                ));
            }
            (None, None) => {
                return Err(invalid(&field, format!("{raw:?} names no item: not a GTIN, SKU or tracelot code")));
            }
        };
        let sscc_seen =
            reading.sscc.as_ref().and_then(|sscc| seen.insert(format!("sscc {sscc}"), i).map(|f| (sscc, f)));
        if let Some((sscc, first)) = sscc_seen {
            return Err(duplicate(&field, format!("SSCC {sscc} was already scanned as scans[{first}]")));
        }
        if let Some(c) = reading.conflicts.first() {
            return Err(ReportError::Refused(DomainError::at(
                Rule::LotConflict,
                format!("{field}.{}", c.field),
                format!(
                    "lot {} of {} records {} {}; the scan says {}",
                    reading.lot.as_deref().unwrap_or(""),
                    row.spec.sku,
                    c.field,
                    c.stored,
                    c.scanned
                ),
            )));
        }
        let sku = row.spec.sku.clone();
        let tracking = row.spec.tracking;
        let lot = match (&reading.lot, tracking.needs_lot()) {
            (Some(l), true) => Some(LotCode::parse(l).map_err(|e| invalid(&field, e.to_string()))?),
            (None, true) => {
                return Err(ReportError::Refused(DomainError::at(
                    Rule::LotRequired,
                    field,
                    format!("{sku} is tracked by lot and the scan has no lot (AI 10)"),
                )));
            }
            (_, false) => None,
        };
        let details = LotDetails {
            expires_on: reading.expires_on,
            best_before: reading.best_before,
            produced_on: reading.produced_on,
            ..LotDetails::default()
        };
        let tally =
            tallies.entry((sku.clone(), lot.clone())).or_insert_with(|| Tally { first_scan: i, ..Tally::default() });
        let merged = merge(&mut tally.details, &details);
        if let Some((name, before, now)) = merged {
            return Err(ReportError::Refused(DomainError::at(
                Rule::LotConflict,
                format!("{field}.{name}"),
                format!(
                    "lot {} of {sku} was scanned with {name} {before} in scans[{}] and {now} here",
                    lot.map(|l| l.to_string()).unwrap_or_default(),
                    tally.first_scan
                ),
            )));
        }
        if tracking.needs_serial() {
            let Some(serial) = &reading.serial else {
                return Err(ReportError::Refused(DomainError::at(
                    Rule::SerialRequired,
                    field,
                    format!("{sku} is tracked by serial and the scan has no serial (AI 21)"),
                )));
            };
            let serial = Serial::parse(serial).map_err(|e| invalid(&field, e.to_string()))?;
            if let Some(first) = seen.insert(format!("serial {sku} {serial}"), i) {
                return Err(duplicate(&field, format!("{sku} serial {serial} was already scanned as scans[{first}]")));
            }
            tally.serials.push(serial);
        } else {
            tally.units = tally.units.saturating_add(units_of(&reading, &row, &field)?);
            if let Some(uom) = &row.spec.catch_weight_uom {
                let w = catch_weight(&reading, uom, &field)?;
                tally.weight = Some(tally.weight.unwrap_or(0).saturating_add(w));
            }
        }
        items.insert(sku, row);
    }
    build(flow, ends, tallies, &items)
}

fn set_location(flow: Flow, ends: &mut Ends, path: &LocationPath, field: &str) -> Result<(), ReportError> {
    let slot = match flow {
        Flow::Receive => &mut ends.to,
        Flow::Ship => &mut ends.from,
    };
    let scanned = PlaceRef::from(path.clone());
    match slot {
        Some(given) if *given != scanned => Err(ReportError::Refused(DomainError::at(
            Rule::InvalidValue,
            field,
            format!("the scanned location {path} differs from the one given ({given})"),
        ))),
        _ => {
            *slot = Some(scanned);
            Ok(())
        }
    }
}

fn unknown_gtin(field: &str, gtin: &str) -> ReportError {
    ReportError::Refused(DomainError::at(
        Rule::UnknownGtin,
        field,
        format!(
            "GTIN {gtin} is not on any item; create it with `tracelot item add SKU --name NAME --gtin {gtin}` \
             or POST /api/v1/items with \"gtin\": \"{gtin}\", then scan again"
        ),
    ))
}

fn duplicate(field: &str, detail: String) -> ReportError {
    ReportError::Refused(DomainError::at(Rule::DuplicateScan, field, detail))
}

/// Adds scanned dates to those already seen for the lot; returns the
/// first that disagrees.
fn merge(into: &mut LotDetails, from: &LotDetails) -> Option<(&'static str, Date, Date)> {
    let fields: [(&'static str, &mut Option<Date>, Option<Date>); 3] = [
        ("expires_on", &mut into.expires_on, from.expires_on),
        ("best_before", &mut into.best_before, from.best_before),
        ("produced_on", &mut into.produced_on, from.produced_on),
    ];
    for (name, slot, value) in fields {
        match (*slot, value) {
            (Some(a), Some(b)) if a != b => return Some((name, a, b)),
            (None, Some(b)) => *slot = Some(b),
            _ => {}
        }
    }
    None
}

/// What a unit of measure measures, and its size in that dimension's base
/// unit (kg, l, m) as an exact fraction: numerator over 10^exponent.
fn measure_unit(unit: &str) -> Option<(&'static str, i128, u32)> {
    Some(match unit.to_ascii_lowercase().as_str() {
        "kg" => ("mass", 1, 0),
        "g" => ("mass", 1, 3),
        "lb" => ("mass", 45_359_237, 8),
        "t" => ("mass", 1000, 0),
        "l" => ("volume", 1, 0),
        "ml" => ("volume", 1, 3),
        "m³" | "m3" => ("volume", 1000, 0),
        "m" => ("length", 1, 0),
        "cm" => ("length", 1, 2),
        "mm" => ("length", 1, 3),
        "in" => ("length", 254, 4),
        "ft" => ("length", 3048, 4),
        "yd" => ("length", 9144, 4),
        _ => return None,
    })
}

/// `value` (a decimal in `from`) in smallest units of `to` at `scale`
/// decimals, rounded to the nearest smallest unit, halves away from zero;
/// `None` when the units measure different things or the number is too large.
fn convert(value: &str, from: &str, to: &str, scale: u32) -> Option<i64> {
    let ((dim_from, num_from, exp_from), (dim_to, num_to, exp_to)) = (measure_unit(from)?, measure_unit(to)?);
    if dim_from != dim_to {
        return None;
    }
    let (whole, frac) = value.split_once('.').unwrap_or((value, ""));
    let digits: i128 = format!("{whole}{frac}").parse().ok()?;
    let places = u32::try_from(frac.len()).ok()?;
    // digits / 10^places from-units = digits * num_from / 10^(places + exp_from) base units,
    // and one to-unit is num_to / 10^exp_to base units.
    let numerator = digits.checked_mul(num_from)?.checked_mul(10_i128.checked_pow(exp_to.checked_add(scale)?)?)?;
    let denominator = num_to.checked_mul(10_i128.checked_pow(places.checked_add(exp_from)?)?)?;
    let (quotient, remainder) = (numerator.checked_div(denominator)?, numerator.checked_rem(denominator)?);
    let rounded = if remainder.checked_mul(2)? >= denominator { quotient.checked_add(1)? } else { quotient };
    i64::try_from(rounded).ok()
}

/// Whether a GTIN-14 is a variable-measure trade item (indicator digit 9),
/// which is meaningless without its measure.
fn variable_measure(gtin: Option<&str>) -> bool {
    gtin.is_some_and(|g| g.len() == 14 && g.starts_with('9'))
}

/// A catch-weight scan's weight in thousandths of the item's weight unit:
/// its net measure (AI 310n, 320n ...), converted exactly. A catch-weight
/// unit scanned without its weight is refused.
fn catch_weight(reading: &Reading, uom: &str, field: &str) -> Result<i64, ReportError> {
    let dimension = measure_unit(uom).map(|(d, _, _)| d);
    let same = |m: &&MeasureValue| measure_unit(&m.unit).map(|(d, _, _)| d) == dimension && dimension.is_some();
    let Some(m) = reading.measures.iter().filter(same).min_by_key(|m| !m.what.starts_with("NET")) else {
        return Err(invalid(
            field,
            format!(
                "a catch-weight item is weighed in {uom}; this scan carries no such weight (AI 310n in kg, 320n in lb)"
            ),
        ));
    };
    convert(&m.value, &m.unit, uom, 3)
        .ok_or_else(|| invalid(field, format!("{} {} cannot be recorded in {uom}", m.value, m.unit)))
}

/// The quantity one scan stands for, in the item's smallest units. An item
/// counted in a measure (kg, l, m ...) books the scan's net measure,
/// converted exactly from its unit (lb to kg, for example) and rounded to
/// the item's smallest unit, halves away from zero; a scan without such a
/// measure is refused, as is a variable-measure GTIN without its measure.
/// Other items book the count of AI (30)/(37), else one; a packaging's
/// GTIN books that many packagings' worth (for a measured item, when the
/// scan carries no measure of its own).
fn units_of(reading: &Reading, row: &ItemRow, field: &str) -> Result<i64, ReportError> {
    let (scale, uom) = (row.spec.scale, row.spec.uom.as_str());
    if let Some((dimension, _, _)) = measure_unit(uom) {
        let same = |m: &&MeasureValue| measure_unit(&m.unit).is_some_and(|(d, _, _)| d == dimension);
        let measured = reading.measures.iter().filter(same).min_by_key(|m| !m.what.starts_with("NET"));
        if let (None, Some(p)) = (measured, &reading.packaging) {
            return packagings_worth(reading, p, uom, field);
        }
        let Some(m) = measured else {
            return Err(invalid(
                field,
                format!(
                    "{} is counted in {uom}; this scan carries no {dimension} to book (a net measure such as AI 310n in kg or 320n in lb)",
                    row.spec.sku
                ),
            ));
        };
        let places = u32::from(scale.places());
        return convert(&m.value, &m.unit, uom, places).ok_or_else(|| {
            invalid(field, format!("{} {} cannot be booked in {uom}: the number is too large", m.value, m.unit))
        });
    }
    // A unit tracelot does not convert: only the same unit is booked.
    if let Some(m) = reading.measures.iter().find(|m| m.unit.eq_ignore_ascii_case(uom)) {
        return scale.parse_signed(&m.value).map_err(|e| invalid(field, format!("{} {uom}: {e}", m.value)));
    }
    if reading.measures.is_empty() && variable_measure(reading.gtin.as_deref()) {
        return Err(invalid(
            field,
            format!(
                "GTIN {} is a variable-measure item; its scan must carry the measure",
                reading.gtin.as_deref().unwrap_or("")
            ),
        ));
    }
    if let Some(p) = &reading.packaging {
        return packagings_worth(reading, p, uom, field);
    }
    let text = reading.count.unwrap_or(1).to_string();
    scale.parse_signed(&text).map_err(|e| invalid(field, format!("{text} {uom}: {e}")))
}

/// What a scanned packaging stands for: its quantity of the item, times
/// the count (AI 30/37) a case label carries.
fn packagings_worth(reading: &Reading, p: &PackagingRow, uom: &str, field: &str) -> Result<i64, ReportError> {
    let count = reading.count.unwrap_or(1);
    i64::try_from(count).ok().and_then(|n| n.checked_mul(p.units)).ok_or_else(|| {
        invalid(field, format!("{count} × {} of {} {uom} is more than tracelot can hold", p.name, p.quantity))
    })
}

fn build(
    flow: Flow,
    ends: Ends,
    tallies: BTreeMap<(Sku, Option<LotCode>), Tally>,
    items: &HashMap<Sku, ItemRow>,
) -> Result<Command, ReportError> {
    let missing = |name: &str| {
        ReportError::Refused(DomainError::at(
            Rule::InvalidValue,
            name,
            format!("no {name} location: give one or scan a location label (TL:LOC:PATH)"),
        ))
    };
    if tallies.is_empty() {
        return Err(invalid("scans", "the scans name no goods, only locations"));
    }
    let amount = |sku: &Sku, units: i64| {
        let text = match items.get(sku) {
            Some(row) => row.spec.scale.format(units),
            None => units.to_string(),
        };
        Amount::parse(&text).map_err(|e| invalid("scans", e.to_string()))
    };
    let weight = |thousandths: i64| {
        let text = tracelot_core::Scale::new(3).map(|s| s.format(thousandths)).unwrap_or_default();
        Amount::parse(&text).map_err(|e| invalid("scans", e.to_string()))
    };
    match flow {
        Flow::Receive => {
            let to = ends.to.ok_or_else(|| missing("to"))?;
            let mut lines = Vec::new();
            for ((sku, lot), t) in tallies {
                let units = match (t.serials.is_empty(), t.weight) {
                    (true, Some(w)) => ReceiveUnits::Weighed { quantity: amount(&sku, t.units)?, weight: weight(w)? },
                    (true, None) => ReceiveUnits::Quantity(amount(&sku, t.units)?),
                    (false, _) => ReceiveUnits::Serials(t.serials),
                };
                lines.push(ReceiveLine { sku, lot, details: t.details, status: None, units });
            }
            Ok(Command::Receive { from: ends.from, to, lines })
        }
        Flow::Ship => {
            let from = ends.from.ok_or_else(|| missing("from"))?;
            let to = ends.to.ok_or_else(|| missing("to"))?;
            let mut lines = Vec::new();
            for ((sku, lot), t) in tallies {
                let units = match (t.serials.is_empty(), t.weight) {
                    (true, Some(w)) => Units::Weighed { quantity: amount(&sku, t.units)?, weight: weight(w)? },
                    (true, None) => Units::Quantity(amount(&sku, t.units)?),
                    (false, _) => Units::Serials(t.serials),
                };
                lines.push(Line { sku, lot, units });
            }
            Ok(Command::Ship {
                from,
                to,
                lines,
                allow_expired: ends.allow_expired,
                allow_short_shelf_life: ends.allow_short_shelf_life,
            })
        }
    }
}

#[cfg(test)]
// Tests: an overflow or a panic is a failed test.
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn measures_convert_exactly_and_round_halves_away_from_zero() {
        assert_eq!(convert("25.00", "lb", "kg", 3), Some(11_340), "11.33980925 kg");
        assert_eq!(convert("1", "lb", "g", 0), Some(454), "453.59237 g");
        assert_eq!(convert("0.5", "kg", "lb", 2), Some(110), "1.1023 lb");
        assert_eq!(convert("1.25", "kg", "KG", 3), Some(1_250));
        assert_eq!(convert("0.0005", "kg", "g", 0), Some(1), "0.5 g rounds up");
        assert_eq!(convert("2", "ft", "in", 0), Some(24));
        assert_eq!(convert("1", "l", "kg", 3), None, "volume is not mass");
        assert_eq!(convert("1", "parsec", "m", 0), None);
    }
}
