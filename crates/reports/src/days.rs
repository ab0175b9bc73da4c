//! What a bare date means in a query. Each site counts days on its own
//! calendar, so "stock as of 2026-11-28" at a site in Sydney ends at
//! 23:59:59 Sydney time, and "today" there may already be tomorrow in UTC.

use jiff::Timestamp;
use jiff::civil::Date;
use tracelot_core::time::SiteZone;
use tracelot_core::{DomainError, LocationPath, Rule};
use tracelot_store::Store;

use crate::ReportError;

/// The instant `text` names: an RFC 3339 instant as given, or the end of a
/// date (`YYYY-MM-DD`) at the site of `location`, or at the one zone all
/// sites share. When sites keep different zones and no location is named,
/// a bare date is ambiguous and refused.
pub fn instant(
    store: &dyn Store,
    text: &str,
    field: &str,
    location: Option<&LocationPath>,
) -> Result<Timestamp, ReportError> {
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    let date: Date = text.parse().map_err(|_| {
        DomainError::at(
            Rule::InvalidValue,
            field,
            format!("{text:?} is neither an RFC 3339 instant (2026-11-28T23:59:59Z) nor a date (2026-11-28)"),
        )
    })?;
    let zones = store.site_zones(location)?;
    let zone = match zones.as_slice() {
        [] => SiteZone::utc(),
        [one] => one.clone(),
        several => {
            let names: Vec<&str> = several.iter().map(SiteZone::name).collect();
            return Err(DomainError::at(
                Rule::InvalidValue,
                field,
                format!(
                    "the sites keep different time zones ({}); name a location, or give an instant with its offset",
                    names.join(", ")
                ),
            )
            .into());
        }
    };
    Ok(zone.end_of_day(date).map_err(|e| DomainError::invalid(field, e))?)
}

/// Today at the site of `location`, or, across sites, the latest of their
/// days: a report of what expires soon then never leaves out a lot that
/// has reached its date at some site.
pub fn today(store: &dyn Store, location: Option<&LocationPath>) -> Result<Date, ReportError> {
    let now = Timestamp::now();
    let zones = store.site_zones(location)?;
    Ok(zones.iter().map(|z| z.day(now)).max().unwrap_or_else(|| tracelot_core::time::day(now)))
}
