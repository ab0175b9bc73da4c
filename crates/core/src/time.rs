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
        if -delta > self.max_future {
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
