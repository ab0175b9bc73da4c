//! Errors of the domain: every refusal names the rule it enforces and, where
//! there is one, the field that broke it.

use std::fmt;

use serde::Serialize;

/// Why a single value failed to parse. Newtypes do not know which field they
/// were read from, so callers attach it with [`DomainError::invalid`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ValueError {
    /// The rule's stable code, such as `gtin_check_digit`.
    pub rule: &'static str,
    /// One human sentence.
    pub message: String,
}

impl ValueError {
    /// Builds a value error for `rule`.
    pub fn new(rule: &'static str, message: impl Into<String>) -> Self {
        ValueError { rule, message: message.into() }
    }
}

/// The rules a command can break. Their snake_case names are stable: API
/// clients and scripts match on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// A value does not parse (see the message for the precise rule).
    InvalidValue,
    /// An item, location, partner, lot, serial or transaction is not known.
    NotFound,
    /// Something with the same key already exists.
    AlreadyExists,
    /// Serial-tracked items move only by serial.
    SerialRequired,
    /// Items not tracked by serial cannot be moved by serial.
    SerialNotTracked,
    /// Lot-tracked items need a lot.
    LotRequired,
    /// Items not tracked by lot cannot carry a lot.
    LotNotTracked,
    /// A serial that exists cannot be received again.
    SerialExists,
    /// The serial is not where the command says it is.
    SerialNotThere,
    /// An internal location would go below zero.
    InsufficientStock,
    /// A lot that is not released cannot be shipped.
    LotNotReleased,
    /// An expired lot cannot be shipped without an override.
    LotExpired,
    /// The command's details contradict what the lot already records.
    LotConflict,
    /// The locations do not fit the movement (a shipment goes to a customer ...).
    WrongLocationKind,
    /// A reason is required for this command or override.
    ReasonRequired,
    /// The same transaction id was posted with different content.
    IdempotencyConflict,
    /// The transaction cannot be reversed (already reversed, or a reversal).
    NotReversible,
    /// `occurred_at` is outside the back-dating policy.
    ClockPolicy,
    /// More units were returned than the customer holds.
    ReturnExceedsShipped,
    /// A recalled lot changes status only by the recall's closure.
    LotRecalled,
    /// Held, recalled or rejected stock may move only into quarantine,
    /// scrap, its supplier or a write-off.
    LotBlocked,
    /// A recall closure names a lot that is not under recall.
    NotRecalled,
    /// A receipt names a lot that another supplier delivered.
    LotOtherSupplier,
    /// A held, recalled or rejected serial may move only into quarantine,
    /// scrap, its supplier or a write-off.
    SerialBlocked,
    /// Stock leaves quarantine for saleable stock only by a release.
    ReleaseRequired,
    /// Stock between sites goes out to transit and arrives from it.
    TransitRequired,
    /// A dispatch into transit arrives once.
    AlreadyArrived,
    /// The lot has fewer days left than the customer requires.
    ShelfLifeTooShort,
    /// A scan is not valid GS1 data or a tracelot code.
    InvalidScan,
    /// A scanned GTIN belongs to no item.
    UnknownGtin,
    /// The same unit was scanned twice in one receipt or shipment.
    DuplicateScan,
    /// A balance would leave the 64-bit range of the item's smallest unit.
    QuantityOutOfRange,
    /// tracelot failed on this transaction (a defect, logged with the
    /// incident id in the message); nothing of it was written, and other
    /// transactions are not affected.
    InternalError,
}

impl Rule {
    /// The stable snake_case code, the only spelling of it: serialisation
    /// and messages both use this.
    pub fn code(self) -> &'static str {
        match self {
            Rule::InvalidValue => "invalid_value",
            Rule::NotFound => "not_found",
            Rule::AlreadyExists => "already_exists",
            Rule::SerialRequired => "serial_required",
            Rule::SerialNotTracked => "serial_not_tracked",
            Rule::LotRequired => "lot_required",
            Rule::LotNotTracked => "lot_not_tracked",
            Rule::SerialExists => "serial_exists",
            Rule::SerialNotThere => "serial_not_there",
            Rule::InsufficientStock => "insufficient_stock",
            Rule::LotNotReleased => "lot_not_released",
            Rule::LotExpired => "lot_expired",
            Rule::LotConflict => "lot_conflict",
            Rule::WrongLocationKind => "wrong_location_kind",
            Rule::ReasonRequired => "reason_required",
            Rule::IdempotencyConflict => "idempotency_conflict",
            Rule::NotReversible => "not_reversible",
            Rule::ClockPolicy => "clock_policy",
            Rule::ReturnExceedsShipped => "return_exceeds_shipped",
            Rule::LotRecalled => "lot_recalled",
            Rule::LotBlocked => "lot_blocked",
            Rule::NotRecalled => "not_recalled",
            Rule::LotOtherSupplier => "lot_other_supplier",
            Rule::SerialBlocked => "serial_blocked",
            Rule::ReleaseRequired => "release_required",
            Rule::TransitRequired => "transit_required",
            Rule::AlreadyArrived => "already_arrived",
            Rule::ShelfLifeTooShort => "shelf_life_too_short",
            Rule::InvalidScan => "invalid_scan",
            Rule::UnknownGtin => "unknown_gtin",
            Rule::DuplicateScan => "duplicate_scan",
            Rule::QuantityOutOfRange => "quantity_out_of_range",
            Rule::InternalError => "internal_error",
        }
    }
}

impl Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

/// A refused command: the rule, the field (when one is to blame) and a
/// sentence a floor operator can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
pub struct DomainError {
    /// Which rule refused the command.
    pub rule: Rule,
    /// The field at fault, such as `lot` or `lines[2].serial`.
    pub field: Option<String>,
    /// What went wrong, in one sentence.
    pub message: String,
}

impl DomainError {
    /// A refusal under `rule`, blaming no single field.
    pub fn new(rule: Rule, message: impl Into<String>) -> Self {
        DomainError { rule, field: None, message: message.into() }
    }

    /// A refusal under `rule`, blaming `field`.
    pub fn at(rule: Rule, field: impl Into<String>, message: impl Into<String>) -> Self {
        DomainError { rule, field: Some(field.into()), message: message.into() }
    }

    /// Wraps a value that did not parse, naming the field it came from.
    pub fn invalid(field: impl Into<String>, err: ValueError) -> Self {
        let field = field.into();
        DomainError {
            rule: Rule::InvalidValue,
            message: format!("{field}: {} [{}]", err.message, err.rule),
            field: Some(field),
        }
    }
}

impl fmt::Display for DomainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} [rule: {}]", self.message, self.rule.code())
    }
}

#[cfg(test)]
// Tests: an overflow or a panic is a failed test.
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_serialises_as_its_code() {
        let doc = serde_json::to_value(DomainError::at(Rule::LotExpired, "lines[0]", "expired")).expect("json");
        assert_eq!(doc["rule"], "lot_expired");
        assert_eq!(doc["field"], "lines[0]");
    }
}
