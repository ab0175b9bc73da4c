//! Lots: groups of units of one item that share properties.

use std::collections::BTreeMap;
use std::str::FromStr;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::error::ValueError;

/// Whether a lot may leave. Only `released` lots ship.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LotStatus {
    /// Free to use and ship.
    Released,
    /// Awaiting inspection.
    Quarantine,
    /// Blocked pending a decision.
    OnHold,
    /// Recalled: nothing of it may ship.
    Recalled,
    /// Failed inspection.
    Rejected,
}

impl LotStatus {
    /// The stored and printed name.
    pub fn as_str(self) -> &'static str {
        match self {
            LotStatus::Released => "released",
            LotStatus::Quarantine => "quarantine",
            LotStatus::OnHold => "on_hold",
            LotStatus::Recalled => "recalled",
            LotStatus::Rejected => "rejected",
        }
    }
}

impl FromStr for LotStatus {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "released" => LotStatus::Released,
            "quarantine" => LotStatus::Quarantine,
            "on_hold" => LotStatus::OnHold,
            "recalled" => LotStatus::Recalled,
            "rejected" => LotStatus::Rejected,
            _ => {
                return Err(ValueError::new(
                    "lot_status",
                    format!("lot status is released, quarantine, on_hold, recalled or rejected, not {s:?}"),
                ));
            }
        })
    }
}

impl LotStatus {
    /// Whether stock of the lot is blocked: held, recalled or rejected
    /// stock may go only where it cannot be sold (quarantine, scrap, back
    /// to the supplier, or written off), whatever the command.
    pub fn is_blocked(self) -> bool {
        matches!(self, LotStatus::OnHold | LotStatus::Recalled | LotStatus::Rejected)
    }
}

/// How a recall ends, decided by a manager: the decision becomes the lot's
/// status, so nothing of a recalled lot is released without one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecallDecision {
    /// The stock is destroyed: the lot becomes `rejected` and may go only to scrap.
    Destroyed,
    /// The stock goes back to the supplier: the lot becomes `rejected`.
    ReturnedToSupplier,
    /// The investigation cleared it: the lot is `released` again.
    Released,
}

impl RecallDecision {
    /// The lot status the decision leaves.
    pub fn status(self) -> LotStatus {
        match self {
            RecallDecision::Destroyed | RecallDecision::ReturnedToSupplier => LotStatus::Rejected,
            RecallDecision::Released => LotStatus::Released,
        }
    }

    /// The stored and printed name.
    pub fn as_str(self) -> &'static str {
        match self {
            RecallDecision::Destroyed => "destroyed",
            RecallDecision::ReturnedToSupplier => "returned_to_supplier",
            RecallDecision::Released => "released",
        }
    }
}

impl FromStr for RecallDecision {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "destroyed" => RecallDecision::Destroyed,
            "returned_to_supplier" => RecallDecision::ReturnedToSupplier,
            "released" => RecallDecision::Released,
            _ => {
                return Err(ValueError::new(
                    "decision",
                    format!("a recall closes as destroyed, returned_to_supplier or released, not {s:?}"),
                ));
            }
        })
    }
}

/// The properties a lot's units share. All optional: a receipt names what
/// it knows, and a lot created without an expiry takes one from the item's
/// shelf life.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LotDetails {
    /// Date of manufacture (GS1 AI 11).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub produced_on: Option<Date>,
    /// Use-by / expiry date (GS1 AI 17).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<Date>,
    /// Best-before date (GS1 AI 15).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub best_before: Option<Date>,
    /// The supplier's own code for this lot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier_lot: Option<String>,
    /// Free attributes: dye shade, shift, line ...
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
}

impl LotDetails {
    /// True when nothing is given.
    pub fn is_empty(&self) -> bool {
        *self == LotDetails::default()
    }

    /// The date after which the lot may not ship: its expiry, or else its
    /// best-before date.
    pub fn ship_by(&self) -> Option<Date> {
        self.expires_on.or(self.best_before)
    }

    /// These details with every date and the supplier's lot code that they
    /// leave unknown taken from `given`: what a lot records once those
    /// become known. Known values are kept; attributes are not merged.
    pub fn with_unknown_from(&self, given: &LotDetails) -> LotDetails {
        LotDetails {
            produced_on: self.produced_on.or(given.produced_on),
            expires_on: self.expires_on.or(given.expires_on),
            best_before: self.best_before.or(given.best_before),
            supplier_lot: self.supplier_lot.clone().or_else(|| given.supplier_lot.clone()),
            attributes: self.attributes.clone(),
        }
    }

    /// Names the first field given here that contradicts `stored`, so that
    /// a receipt never silently rewrites a lot's recorded dates.
    pub fn conflict_with(&self, stored: &LotDetails) -> Option<(&'static str, String, String)> {
        fn cmp<T: PartialEq + ToString>(
            name: &'static str,
            given: &Option<T>,
            stored: &Option<T>,
        ) -> Option<(&'static str, String, String)> {
            match (given, stored) {
                (Some(g), Some(s)) if g != s => Some((name, s.to_string(), g.to_string())),
                (Some(g), None) => Some((name, "nothing".into(), g.to_string())),
                _ => None,
            }
        }
        cmp("produced_on", &self.produced_on, &stored.produced_on)
            .or_else(|| cmp("expires_on", &self.expires_on, &stored.expires_on))
            .or_else(|| cmp("best_before", &self.best_before, &stored.best_before))
            .or_else(|| cmp("supplier_lot", &self.supplier_lot, &stored.supplier_lot))
            .or_else(|| {
                self.attributes.iter().find_map(|(k, v)| {
                    let s = stored.attributes.get(k).cloned();
                    cmp("attributes", &Some(format!("{k}={v}")), &s.map(|s| format!("{k}={s}")))
                })
            })
    }

    /// Checks that dates are in order and texts are bounded.
    pub fn check(&self) -> Result<(), ValueError> {
        if let (Some(p), Some(e)) = (self.produced_on, self.expires_on)
            && e < p
        {
            return Err(ValueError::new("date_order", format!("expires_on {e} is before produced_on {p}")));
        }
        if self.supplier_lot.as_ref().is_some_and(|s| s.is_empty() || s.len() > 64) {
            return Err(ValueError::new("max_length", "supplier_lot is 1 to 64 characters"));
        }
        for (k, v) in &self.attributes {
            if k.is_empty()
                || k.len() > 64
                || v.len() > 256
                || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Err(ValueError::new(
                    "attribute",
                    format!("attribute {k:?}: names are 1-64 letters, digits or _; values at most 256 bytes"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
// Tests: an overflow or a panic is a failed test.
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn conflicts_name_the_field() {
        let stored = LotDetails { expires_on: Some(Date::constant(2027, 1, 31)), ..Default::default() };
        let same = LotDetails { expires_on: Some(Date::constant(2027, 1, 31)), ..Default::default() };
        assert_eq!(same.conflict_with(&stored), None);
        assert_eq!(LotDetails::default().conflict_with(&stored), None);
        let other = LotDetails { expires_on: Some(Date::constant(2027, 2, 28)), ..Default::default() };
        assert_eq!(other.conflict_with(&stored).unwrap().0, "expires_on");
        let bad = LotDetails {
            produced_on: Some(Date::constant(2027, 3, 1)),
            expires_on: Some(Date::constant(2027, 2, 28)),
            ..Default::default()
        };
        assert_eq!(bad.check().unwrap_err().rule, "date_order");
    }
}
