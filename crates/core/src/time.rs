//! The two clocks: `occurred_at` (when it happened on the floor, may be
//! back-dated within policy) and `recorded_at` (when the ledger learned it).

use jiff::{SignedDuration, Timestamp};

use crate::error::{DomainError, Rule};

/// How far `occurred_at` may lie from `recorded_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockPolicy {
    /// The furthest back a movement may be dated.
    pub max_backdate: SignedDuration,
    /// Tolerated clock skew into the future.
    pub max_future: SignedDuration,
}

impl Default for ClockPolicy {
    /// 400 days back (a year-end correction still fits) and 5 minutes ahead.
    fn default() -> Self {
        ClockPolicy { max_backdate: SignedDuration::from_hours(400 * 24), max_future: SignedDuration::from_mins(5) }
    }
}

impl ClockPolicy {
    /// Refuses an `occurred_at` outside the policy.
    pub fn check(&self, occurred_at: Timestamp, recorded_at: Timestamp) -> Result<(), DomainError> {
        let delta = recorded_at.duration_since(occurred_at);
        if delta > self.max_backdate {
            return Err(DomainError::at(
                Rule::ClockPolicy,
                "occurred_at",
                format!("occurred_at {occurred_at} is more than {} hours in the past", self.max_backdate.as_hours()),
            ));
        }
        if delta.checked_neg().is_none_or(|ahead| ahead > self.max_future) {
            return Err(DomainError::at(
                Rule::ClockPolicy,
                "occurred_at",
                format!("occurred_at {occurred_at} is in the future"),
            ));
        }
        Ok(())
    }
}

/// Microseconds since the Unix epoch: how both backends store instants.
pub fn to_micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

/// The inverse of [`to_micros`]; out-of-range values clamp to the nearest
/// representable instant rather than panic.
pub fn from_micros(us: i64) -> Timestamp {
    Timestamp::from_microsecond(us).unwrap_or(if us < 0 { Timestamp::MIN } else { Timestamp::MAX })
}

/// The calendar day (UTC) of an instant: the day every date in tracelot
/// (expiry, ship date, warranty) is counted in.
pub fn day(t: Timestamp) -> jiff::civil::Date {
    t.to_zoned_datetime(jiff::tz::TimeZone::UTC).date()
}

/// Today (UTC), for expiry checks and GS1's century rule.
pub fn today() -> jiff::civil::Date {
    day(Timestamp::now())
}

/// The longest span of days tracelot accepts anywhere (an item's shelf life,
/// the shelf life a customer requires, "expiring within"): 100 years. The
/// bound is checked where the number is parsed, so date arithmetic on it
/// cannot leave the calendar.
pub const MAX_DAYS: u32 = 36_525;

/// The longest warranty, in months: 100 years.
pub const MAX_MONTHS: u32 = 1_200;

/// `date` plus `days` (negative goes back), or `None` past the calendar's
/// ends (years -9999 to 9999). Never panics, whatever the count.
pub fn add_days(date: jiff::civil::Date, days: i64) -> Option<jiff::civil::Date> {
    date.checked_add(jiff::Span::new().try_days(days).ok()?).ok()
}

/// `date` plus `months`, or `None` past the calendar's ends. Never panics.
pub fn add_months(date: jiff::civil::Date, months: i64) -> Option<jiff::civil::Date> {
    date.checked_add(jiff::Span::new().try_months(months).ok()?).ok()
}

#[cfg(test)]
// Tests: an overflow or a panic is a failed test.
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn date_arithmetic_never_panics_and_stops_at_the_calendar_ends() {
        assert_eq!(add_days(date(2026, 11, 29), 2), Some(date(2026, 12, 1)));
        assert_eq!(add_months(date(2026, 1, 31), 1), Some(date(2026, 2, 28)));
        for n in [i64::MIN, -8_000_000, 8_000_000, 4_000_000_000, i64::MAX] {
            assert_eq!(add_days(date(2026, 11, 29), n), None, "{n} days");
            assert_eq!(add_months(date(2026, 11, 29), n), None, "{n} months");
        }
        assert!(add_days(date(2026, 1, 1), i64::from(MAX_DAYS)).is_some());
        assert!(add_months(date(2026, 1, 1), i64::from(MAX_MONTHS)).is_some());
    }
}
