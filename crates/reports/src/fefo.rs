//! First-expired, first-out: which lots to ship a quantity from, soonest
//! ship-by date first, skipping lots that may not ship (not released,
//! expired, or shorter-dated than the customer requires) and naming any
//! shortfall.

use jiff::civil::Date;
use serde::Serialize;
use tracelot_core::command::Amount;
use tracelot_core::{DomainError, LocationPath, LotCode, LotStatus, PartnerCode, Rule, Serial, Sku};
use tracelot_store::{StockQuery, Store, Window};

use crate::ReportError;

/// One lot (or serial) to pick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pick {
    /// Where it is.
    pub location: LocationPath,
    /// Lot.
    pub lot: Option<LotCode>,
    /// Serial.
    pub serial: Option<Serial>,
    /// Its ship-by date.
    pub ship_by: Option<Date>,
    /// Smallest units to take.
    pub units: i64,
    /// The same as a decimal.
    pub quantity: String,
}

/// A lot passed over, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Where it is.
    pub location: LocationPath,
    /// Lot.
    pub lot: Option<LotCode>,
    /// Smallest units there.
    pub units: i64,
    /// Why it may not ship.
    pub reason: String,
}

/// A FEFO suggestion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    /// Item.
    pub sku: Sku,
    /// Requested smallest units.
    pub requested: i64,
    /// What to take, in order.
    pub picks: Vec<Pick>,
    /// What was passed over.
    pub skipped: Vec<Skipped>,
    /// Smallest units that cannot be covered (0 when none).
    pub shortfall_units: i64,
    /// The shortfall as a decimal.
    pub shortfall: String,
}

/// Suggests lots to ship `qty` of `sku` from `from` (and below), for
/// `customer` if given (whose required shelf life then applies), as of `today`.
pub fn fefo(
    store: &dyn Store,
    sku: &Sku,
    from: &LocationPath,
    qty: &Amount,
    customer: Option<&PartnerCode>,
    today: Date,
) -> Result<Suggestion, ReportError> {
    let refused = |field: &str, m: String| ReportError::Refused(DomainError::at(Rule::NotFound, field, m));
    let item = store.item(sku)?.ok_or_else(|| refused("sku", format!("unknown item {sku}")))?;
    let scale = item.spec.scale;
    let requested = qty.to_qty(scale).map_err(|e| DomainError::invalid("qty", e))?.units();
    let customer_days = match customer {
        Some(code) => {
            let p = store.partners(&Window::all())?.into_iter().find(|p| p.code == code.as_str());
            p.ok_or_else(|| refused("customer", format!("unknown customer {code}")))?.min_shelf_life_days
        }
        None => None,
    };
    // The same requirement as the shipping rule.
    let required = tracelot_core::rules::required_shelf_life(customer_days, item.spec.min_remaining_days);
    let rows =
        store.stock(&StockQuery { sku: Some(sku.clone()), location: Some(from.clone()), ..Default::default() })?;
    let mut candidates = Vec::new();
    let mut skipped = Vec::new();
    for r in rows.into_iter().filter(|r| r.location_kind == tracelot_core::LocationKind::Internal) {
        let (status, ship_by) = match &r.lot {
            Some(l) => match store.lot(sku, l)? {
                Some(row) => (row.status, row.details.ship_by()),
                None => continue,
            },
            None => (LotStatus::Released, None),
        };
        let why = if status != LotStatus::Released {
            Some(format!("lot is {}", status.as_str()))
        } else if ship_by.is_some_and(|d| d < today) {
            Some(format!("expired on {}", ship_by.map(|d| d.to_string()).unwrap_or_default()))
        } else {
            match (required, ship_by) {
                (Some((min, who)), Some(by)) if (by - today).get_days() < i32::try_from(min).unwrap_or(i32::MAX) => {
                    Some(format!("{} days left, {who} {min}", (by - today).get_days()))
                }
                _ => None,
            }
        };
        match why {
            Some(reason) => skipped.push(Skipped { location: r.location, lot: r.lot, units: r.units, reason }),
            None => candidates.push((ship_by, r)),
        }
    }
    // Soonest first; undated stock last; then by lot code and location for a stable order.
    candidates.sort_by(|(a, ra), (b, rb)| {
        (a.is_none(), a, &ra.lot, &ra.location, &ra.serial).cmp(&(b.is_none(), b, &rb.lot, &rb.location, &rb.serial))
    });
    let mut left = requested;
    let mut picks = Vec::new();
    for (ship_by, r) in candidates {
        if left == 0 {
            break;
        }
        let take = r.units.min(left);
        left -= take;
        picks.push(Pick {
            location: r.location,
            lot: r.lot,
            serial: r.serial,
            ship_by,
            units: take,
            quantity: scale.format(take),
        });
    }
    Ok(Suggestion { sku: sku.clone(), requested, picks, skipped, shortfall_units: left, shortfall: scale.format(left) })
}

impl Suggestion {
    /// A readable pick list.
    pub fn table(&self) -> String {
        let mut s = String::new();
        for p in &self.picks {
            s.push_str(&format!(
                "take {} of {}{}{} from {} (ship by {})\n",
                p.quantity,
                self.sku,
                p.lot.as_ref().map(|l| format!(" lot {l}")).unwrap_or_default(),
                p.serial.as_ref().map(|x| format!(" #{x}")).unwrap_or_default(),
                p.location,
                p.ship_by.map(|d| d.to_string()).unwrap_or_else(|| "-".into())
            ));
        }
        for k in &self.skipped {
            s.push_str(&format!(
                "skip {}{} at {}: {}\n",
                self.sku,
                k.lot.as_ref().map(|l| format!(" lot {l}")).unwrap_or_default(),
                k.location,
                k.reason
            ));
        }
        if self.shortfall_units > 0 {
            s.push_str(&format!("SHORT by {}\n", self.shortfall));
        }
        s
    }
}
