//! Warranty: it starts at a serial's first shipment to a customer and lasts
//! the item's warranty months.

use jiff::civil::Date;
use serde::Serialize;

/// Where a unit stands against its warranty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WarrantyStatus {
    /// Never shipped: the warranty has not started.
    NotStarted,
    /// Shipped, and today is on or before the end date.
    Active,
    /// The end date has passed.
    Expired,
    /// The item carries no warranty.
    None,
}

/// The warranty end date and status of a unit.
pub fn warranty(months: Option<u32>, first_shipped: Option<Date>, today: Date) -> (Option<Date>, WarrantyStatus) {
    let Some(months) = months.filter(|m| *m > 0) else { return (None, WarrantyStatus::None) };
    let Some(start) = first_shipped else { return (None, WarrantyStatus::NotStarted) };
    let end = crate::time::add_months(start, i64::from(months));
    match end {
        Some(e) if today <= e => (Some(e), WarrantyStatus::Active),
        _ => (end, WarrantyStatus::Expired),
    }
}

#[cfg(test)]
// Tests: an overflow or a panic is a failed test.
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn ends_after_the_months() {
        let d = |y, m, dd| Date::new(y, m, dd).unwrap();
        assert_eq!(
            warranty(Some(24), Some(d(2026, 1, 31)), d(2026, 6, 1)),
            (Some(d(2028, 1, 31)), WarrantyStatus::Active)
        );
        assert_eq!(
            warranty(Some(1), Some(d(2026, 1, 31)), d(2026, 3, 1)),
            (Some(d(2026, 2, 28)), WarrantyStatus::Expired)
        );
        assert_eq!(warranty(Some(12), None, d(2026, 3, 1)), (None, WarrantyStatus::NotStarted));
        assert_eq!(warranty(None, Some(d(2026, 1, 1)), d(2026, 3, 1)), (None, WarrantyStatus::None));
    }
}
