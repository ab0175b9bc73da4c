//! Items (products, SKUs) and how they are tracked.

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use tracelot_gs1::Gtin;

use crate::error::ValueError;
use crate::ids::{Serial, Sku};
use crate::quantity::Scale;

/// How units of an item are identified in the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tracking {
    /// Plain quantities.
    None,
    /// Quantities per lot.
    Lot,
    /// One unit per serial.
    Serial,
    /// A serial inside a lot (drug packs, many electronics).
    LotSerial,
}

impl Tracking {
    /// Whether movements must name a lot.
    pub fn needs_lot(self) -> bool {
        matches!(self, Tracking::Lot | Tracking::LotSerial)
    }

    /// Whether movements must name serials.
    pub fn needs_serial(self) -> bool {
        matches!(self, Tracking::Serial | Tracking::LotSerial)
    }

    /// The stored and printed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Tracking::None => "none",
            Tracking::Lot => "lot",
            Tracking::Serial => "serial",
            Tracking::LotSerial => "lot_serial",
        }
    }
}

impl FromStr for Tracking {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "none" => Tracking::None,
            "lot" => Tracking::Lot,
            "serial" => Tracking::Serial,
            "lot_serial" => Tracking::LotSerial,
            _ => {
                return Err(ValueError::new(
                    "tracking",
                    format!("tracking is none, lot, serial or lot_serial, not {s:?}"),
                ));
            }
        })
    }
}

/// Extra validation applied to an item's serials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SerialKind {
    /// Any serial that fits GS1 AI (21).
    #[default]
    Free,
    /// A vehicle identification number with its check digit.
    Vin,
}

impl SerialKind {
    /// Validates a serial of this kind.
    pub fn check(self, serial: &Serial) -> Result<(), ValueError> {
        match self {
            SerialKind::Free => Ok(()),
            SerialKind::Vin => {
                tracelot_gs1::Vin::parse(serial.as_str()).map(|_| ()).map_err(|e| ValueError::new("vin", e.to_string()))
            }
        }
    }

    /// The stored and printed name.
    pub fn as_str(self) -> &'static str {
        match self {
            SerialKind::Free => "free",
            SerialKind::Vin => "vin",
        }
    }
}

impl FromStr for SerialKind {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "free" => Ok(SerialKind::Free),
            "vin" => Ok(SerialKind::Vin),
            _ => Err(ValueError::new("serial_kind", format!("serial kind is free or vin, not {s:?}"))),
        }
    }
}

/// How new serials are numbered: literal text with exactly one `{seq:N}`
/// (the item's counter, zero-padded to N digits) and optional `{yyyy}`,
/// `{yy}`, `{mm}`, `{dd}` from the receipt date. Example: `PH{yy}{seq:6}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SerialPattern(String);

impl SerialPattern {
    /// Checks the placeholders.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let bad = |m: String| ValueError::new("serial_pattern", m);
        let mut seqs = 0_u32;
        let mut rest = s;
        while let Some((_, opened)) = rest.split_once('{') {
            let (token, after) = opened.split_once('}').ok_or_else(|| bad(format!("unclosed '{{' in {s:?}")))?;
            match token {
                "yyyy" | "yy" | "mm" | "dd" => {}
                t if t
                    .strip_prefix("seq:")
                    .and_then(|n| n.parse::<u8>().ok())
                    .is_some_and(|n| (1..=12).contains(&n)) =>
                {
                    seqs = seqs.saturating_add(1)
                }
                t => {
                    return Err(bad(format!(
                        "unknown placeholder {{{t}}}; use {{seq:N}}, {{yyyy}}, {{yy}}, {{mm}}, {{dd}}"
                    )));
                }
            }
            rest = after;
        }
        if seqs != 1 {
            return Err(bad(format!("a serial pattern has exactly one {{seq:N}}, {s:?} has {seqs}")));
        }
        let pattern = SerialPattern(s.to_owned());
        // The pattern must produce valid serials.
        Serial::parse(&pattern.render(0, Date::constant(2026, 1, 1)))?;
        Ok(pattern)
    }

    /// The serial for counter value `seq` on `date`.
    pub fn render(&self, seq: u64, date: Date) -> String {
        let mut out = String::new();
        let mut rest = self.0.as_str();
        while let Some((before, opened)) = rest.split_once('{') {
            out.push_str(before);
            let (token, after) = opened.split_once('}').unwrap_or((opened, ""));
            match token {
                "yyyy" => out.push_str(&format!("{:04}", date.year())),
                "yy" => out.push_str(&format!("{:02}", date.year() % 100)),
                "mm" => out.push_str(&format!("{:02}", date.month())),
                "dd" => out.push_str(&format!("{:02}", date.day())),
                t => {
                    let width = t.trim_start_matches("seq:").parse::<usize>().unwrap_or(1);
                    out.push_str(&format!("{seq:0width$}"));
                }
            }
            rest = after;
        }
        out.push_str(rest);
        out
    }

    /// The pattern text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for SerialPattern {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        SerialPattern::parse(&s)
    }
}

impl From<SerialPattern> for String {
    fn from(p: SerialPattern) -> String {
        p.0
    }
}

impl fmt::Display for SerialPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What an item's lot date means for shipping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateRule {
    /// A best-before or sell-by date (milk, flour): past it, a lot ships
    /// only with an override and a reason.
    #[default]
    BestBefore,
    /// A hard expiry (drugs, infant formula): past it, a lot never ships
    /// and never goes into production; no override exists.
    HardExpiry,
}

impl DateRule {
    /// The stored and printed name.
    pub fn as_str(self) -> &'static str {
        match self {
            DateRule::BestBefore => "best_before",
            DateRule::HardExpiry => "hard_expiry",
        }
    }

    fn is_default(&self) -> bool {
        *self == DateRule::default()
    }
}

impl FromStr for DateRule {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "best_before" => Ok(DateRule::BestBefore),
            "hard_expiry" => Ok(DateRule::HardExpiry),
            _ => Err(ValueError::new("date_rule", format!("date rule is best_before or hard_expiry, not {s:?}"))),
        }
    }
}

/// How a produced lot's expiry is set when the run does not give one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputExpiry {
    /// The earlier of the item's shelf life and the inputs' earliest
    /// expiry, so that reworked stock never outlives what it was made from.
    #[default]
    EarliestInput,
    /// The item's shelf life from the production day alone (a process
    /// that resets the clock: canning, sterilising).
    ShelfLife,
}

impl OutputExpiry {
    /// The stored and printed name.
    pub fn as_str(self) -> &'static str {
        match self {
            OutputExpiry::EarliestInput => "earliest_input",
            OutputExpiry::ShelfLife => "shelf_life",
        }
    }

    fn is_default(&self) -> bool {
        *self == OutputExpiry::default()
    }
}

impl FromStr for OutputExpiry {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "earliest_input" => Ok(OutputExpiry::EarliestInput),
            "shelf_life" => Ok(OutputExpiry::ShelfLife),
            _ => Err(ValueError::new(
                "output_expiry",
                format!("output expiry is earliest_input or shelf_life, not {s:?}"),
            )),
        }
    }
}

/// Parses a GTIN, wording its failure as a value error.
pub fn parse_gtin(s: &str) -> Result<Gtin, ValueError> {
    Gtin::parse(s).map_err(|e| {
        let rule = if e == tracelot_gs1::GtinError::CheckDigit { "gtin_check_digit" } else { "gtin_format" };
        ValueError::new(rule, e.to_string())
    })
}

/// Everything that defines an item. Validated on construction of each
/// field; the combination is checked by [`ItemSpec::check`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemSpec {
    /// The item's code.
    pub sku: Sku,
    /// A human name.
    pub name: String,
    /// How units are identified.
    pub tracking: Tracking,
    /// The GS1 trade item number, check digit verified.
    #[serde(default, with = "gtin_opt")]
    pub gtin: Option<Gtin>,
    /// The unit of measure, such as `ea` or `kg`.
    pub uom: String,
    /// Decimal places of the unit; quantities are counted in 10^-scale units.
    pub scale: Scale,
    /// Days from production to expiry; sets a new lot's default expiry.
    #[serde(default)]
    pub shelf_life_days: Option<u32>,
    /// Warranty length from the first shipment to a customer.
    #[serde(default)]
    pub warranty_months: Option<u32>,
    /// Extra serial validation.
    #[serde(default)]
    pub serial_kind: SerialKind,
    /// How generated serials are numbered.
    #[serde(default)]
    pub serial_pattern: Option<SerialPattern>,
    /// Whether the lot date is a hard expiry or a best-before date.
    #[serde(default, skip_serializing_if = "DateRule::is_default")]
    pub date_rule: DateRule,
    /// Days of shelf life a lot must have left to ship to anyone (a
    /// customer may require more, never less).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_remaining_days: Option<u32>,
    /// How a produced lot's default expiry is set.
    #[serde(default, skip_serializing_if = "OutputExpiry::is_default")]
    pub output_expiry: OutputExpiry,
    /// For a catch-weight item (counted in units, sold by weight): the unit
    /// its actual weights are recorded in, such as `kg`. Receipts and
    /// shipments of it carry each line's weight next to its count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catch_weight_uom: Option<String>,
}

impl ItemSpec {
    /// An item counted in whole `ea` units, with no GTIN, shelf life,
    /// warranty or serial pattern: the usual start, refined field by field.
    pub fn new(sku: Sku, name: impl Into<String>, tracking: Tracking) -> Self {
        ItemSpec {
            sku,
            name: name.into(),
            tracking,
            gtin: None,
            uom: "ea".into(),
            scale: Scale::UNITS,
            shelf_life_days: None,
            warranty_months: None,
            serial_kind: SerialKind::Free,
            serial_pattern: None,
            date_rule: DateRule::BestBefore,
            min_remaining_days: None,
            output_expiry: OutputExpiry::EarliestInput,
            catch_weight_uom: None,
        }
    }

    /// Rules that span fields.
    pub fn check(&self) -> Result<(), crate::DomainError> {
        use crate::{DomainError, Rule};
        if self.name.trim().is_empty() || self.name.chars().count() > 200 {
            return Err(DomainError::at(Rule::InvalidValue, "name", "name must be 1 to 200 characters"));
        }
        if self.uom.is_empty() || self.uom.len() > 16 || !self.uom.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(DomainError::at(Rule::InvalidValue, "uom", "unit of measure is 1 to 16 letters or digits"));
        }
        if self.shelf_life_days.is_some_and(|d| d > crate::time::MAX_DAYS) {
            return Err(DomainError::at(
                Rule::InvalidValue,
                "shelf_life_days",
                format!("shelf life is at most {} days (100 years)", crate::time::MAX_DAYS),
            ));
        }
        if let Some(u) = &self.catch_weight_uom {
            if u.is_empty() || u.len() > 16 || !u.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(DomainError::at(
                    Rule::InvalidValue,
                    "catch_weight_uom",
                    "a weight unit is 1 to 16 letters or digits",
                ));
            }
            if self.tracking.needs_serial() {
                return Err(DomainError::at(
                    Rule::InvalidValue,
                    "catch_weight_uom",
                    "catch weights are recorded on quantity lines; a serialized item has none",
                ));
            }
        }
        if self.min_remaining_days.is_some_and(|d| d > crate::time::MAX_DAYS) {
            return Err(DomainError::at(
                Rule::InvalidValue,
                "min_remaining_days",
                format!("a required remaining shelf life is at most {} days (100 years)", crate::time::MAX_DAYS),
            ));
        }
        if self.warranty_months.is_some_and(|m| m > crate::time::MAX_MONTHS) {
            return Err(DomainError::at(
                Rule::InvalidValue,
                "warranty_months",
                format!("a warranty is at most {} months (100 years)", crate::time::MAX_MONTHS),
            ));
        }
        if !self.tracking.needs_serial() {
            if self.serial_kind != SerialKind::Free {
                return Err(DomainError::at(
                    Rule::InvalidValue,
                    "serial_kind",
                    "a serial kind needs tracking serial or lot_serial",
                ));
            }
            if self.serial_pattern.is_some() {
                return Err(DomainError::at(
                    Rule::InvalidValue,
                    "serial_pattern",
                    "a serial pattern needs tracking serial or lot_serial",
                ));
            }
        } else if self.scale != Scale::UNITS {
            return Err(DomainError::at(
                Rule::InvalidValue,
                "scale",
                "serial-tracked items count whole units: scale must be 0",
            ));
        }
        if self.serial_kind == SerialKind::Vin && self.serial_pattern.is_some() {
            return Err(DomainError::at(
                Rule::InvalidValue,
                "serial_pattern",
                "VINs are assigned by the manufacturer, not generated",
            ));
        }
        Ok(())
    }
}

mod gtin_opt {
    use serde::{Deserialize, Deserializer, Serializer};
    use tracelot_gs1::Gtin;

    pub fn serialize<S: Serializer>(g: &Option<Gtin>, s: S) -> Result<S::Ok, S::Error> {
        match g {
            Some(g) => s.serialize_some(g.as_str()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Gtin>, D::Error> {
        Option::<String>::deserialize(d)?.map(|s| Gtin::parse(&s).map_err(serde::de::Error::custom)).transpose()
    }
}

#[cfg(test)]
// Tests: an overflow or a panic is a failed test.
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn serial_patterns() {
        let p = SerialPattern::parse("PH{yy}{mm}-{seq:5}").unwrap();
        assert_eq!(p.render(42, Date::constant(2026, 3, 9)), "PH2603-00042");
        assert!(SerialPattern::parse("PH").is_err());
        assert!(SerialPattern::parse("{seq:3}{seq:3}").is_err());
        assert!(SerialPattern::parse("{seq:3}{zz}").is_err());
        assert!(SerialPattern::parse("{seq:3").is_err());
        assert!(SerialPattern::parse("X{seq:30}").is_err());
    }

    #[test]
    fn vin_kind_checks_check_digit() {
        let ok = Serial::parse("1M8GDM9AXKP042788").unwrap();
        let bad = Serial::parse("1M8GDM9A1KP042788").unwrap();
        assert!(SerialKind::Vin.check(&ok).is_ok());
        assert_eq!(SerialKind::Vin.check(&bad).unwrap_err().rule, "vin");
    }
}
