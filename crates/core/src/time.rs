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

/// The calendar day (UTC) of an instant: the day of places that keep no
/// time zone (partners, virtual locations) and of sites that set none.
pub fn day(t: Timestamp) -> jiff::civil::Date {
    t.to_zoned_datetime(jiff::tz::TimeZone::UTC).date()
}

/// A site's time zone, by its IANA name (`Australia/Sydney`). Expiry,
/// best-before and every day-based rule count days on the site's own
/// calendar: a lot that expired on the 28th must not ship at 01:00 on the
/// 29th local time because it is still the 28th in UTC. The zone database
/// is built into the binary, so a name means the same on every machine.
#[derive(Debug, Clone)]
pub struct SiteZone {
    name: String,
    zone: jiff::tz::TimeZone,
}

impl SiteZone {
    /// Coordinated Universal Time: the zone of a site that names none.
    pub fn utc() -> Self {
        SiteZone { name: "UTC".into(), zone: jiff::tz::TimeZone::UTC }
    }

    /// Looks an IANA zone name up in the built-in database.
    pub fn parse(name: &str) -> Result<Self, crate::error::ValueError> {
        let zone = jiff::tz::db().get(name).map_err(|_| {
            crate::error::ValueError::new(
                "time_zone",
                format!("{name:?} is not an IANA time zone name such as Europe/Berlin or Australia/Sydney"),
            )
        })?;
        Ok(SiteZone { name: name.to_owned(), zone })
    }

    /// The name as given.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The calendar day at the site at instant `t`.
    pub fn day(&self, t: Timestamp) -> jiff::civil::Date {
        t.to_zoned_datetime(self.zone.clone()).date()
    }

    /// The last microsecond of `date` at the site: what "as of a date" means.
    pub fn end_of_day(&self, date: jiff::civil::Date) -> Result<Timestamp, crate::error::ValueError> {
        date.tomorrow()
            .and_then(|d| d.to_zoned_datetime(self.zone.clone()))
            .and_then(|z| z.timestamp().checked_sub(jiff::SignedDuration::from_micros(1)))
            .map_err(|e| crate::error::ValueError::new("date", format!("{date} has no end in {}: {e}", self.name)))
    }
}

impl std::str::FromStr for SiteZone {
    type Err = crate::error::ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SiteZone::parse(s)
    }
}

impl PartialEq for SiteZone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for SiteZone {}

impl Default for SiteZone {
    fn default() -> Self {
        SiteZone::utc()
    }
}

impl std::fmt::Display for SiteZone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

impl serde::Serialize for SiteZone {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name)
    }
}

impl<'de> serde::Deserialize<'de> for SiteZone {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        SiteZone::parse(&name).map_err(serde::de::Error::custom)
    }
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

    #[test]
    fn a_site_counts_days_on_its_own_calendar() {
        let sydney = SiteZone::parse("Australia/Sydney").unwrap();
        // 14:00 UTC on the 28th is 01:00 on the 29th in Sydney (UTC+11 in summer).
        let t: Timestamp = "2026-11-28T14:00:00Z".parse().unwrap();
        assert_eq!(day(t), date(2026, 11, 28));
        assert_eq!(sydney.day(t), date(2026, 11, 29));
        assert_eq!(sydney.end_of_day(date(2026, 11, 28)).unwrap().to_string(), "2026-11-28T12:59:59.999999Z");
        assert_eq!(SiteZone::parse("Mars/Olympus").unwrap_err().rule, "time_zone");
    }
}
