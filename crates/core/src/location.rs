//! Locations: where stock is held, and the virtual places it comes from or
//! goes to, so that every stock change is a movement between two of them.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ValueError;

/// What a location is. Only `internal` locations hold stock that we own and
/// can never go below zero; the others are counter-entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocationKind {
    /// A site, area or bin that holds our stock.
    Internal,
    /// Where receipts come from.
    Supplier,
    /// Where shipments go.
    Customer,
    /// Where production consumes and produces.
    Production,
    /// Count differences and corrections.
    Adjustment,
    /// Destroyed stock.
    Scrap,
    /// Stock on the way between sites.
    Transit,
    /// Our stock set aside: held (never below zero) but never shipped from.
    /// Recalled lots may still move here, and returned units may land here.
    Quarantine,
    /// Serialized components installed in a serialized parent.
    Assembly,
}

impl LocationKind {
    /// Every kind, in display order.
    pub const ALL: [LocationKind; 9] = [
        LocationKind::Internal,
        LocationKind::Supplier,
        LocationKind::Customer,
        LocationKind::Production,
        LocationKind::Adjustment,
        LocationKind::Scrap,
        LocationKind::Transit,
        LocationKind::Quarantine,
        LocationKind::Assembly,
    ];

    /// Whether this holds our own stock, whose balances stay at or above
    /// zero: bins, quarantine, and stock on its way between our sites.
    pub fn is_internal(self) -> bool {
        matches!(self, LocationKind::Internal | LocationKind::Quarantine | LocationKind::Transit)
    }

    /// Whether held, recalled or rejected stock may go here: places it
    /// cannot be sold from (quarantine, scrap, the supplier, a write-off)
    /// and transit, which it may leave only for such a place.
    pub fn takes_blocked_stock(self) -> bool {
        matches!(
            self,
            LocationKind::Quarantine
                | LocationKind::Scrap
                | LocationKind::Supplier
                | LocationKind::Adjustment
                | LocationKind::Transit
        )
    }

    /// The name with its article, for sentences: "an internal", "a scrap".
    pub fn with_article(self) -> String {
        let name = self.as_str();
        let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
        format!("{article} {name}")
    }

    /// The stored and printed name.
    pub fn as_str(self) -> &'static str {
        match self {
            LocationKind::Internal => "internal",
            LocationKind::Supplier => "supplier",
            LocationKind::Customer => "customer",
            LocationKind::Production => "production",
            LocationKind::Adjustment => "adjustment",
            LocationKind::Scrap => "scrap",
            LocationKind::Transit => "transit",
            LocationKind::Quarantine => "quarantine",
            LocationKind::Assembly => "assembly",
        }
    }

    /// The root path under which `init` creates the default virtual location
    /// of this kind (`None` for internal). Partners live under these roots.
    pub fn default_root(self) -> Option<&'static str> {
        match self {
            LocationKind::Internal => None,
            LocationKind::Supplier => Some("SUPPLIERS"),
            LocationKind::Customer => Some("CUSTOMERS"),
            LocationKind::Production => Some("PRODUCTION"),
            LocationKind::Adjustment => Some("ADJUSTMENT"),
            LocationKind::Scrap => Some("SCRAP"),
            LocationKind::Transit => Some("TRANSIT"),
            LocationKind::Quarantine => Some("QUARANTINE"),
            LocationKind::Assembly => Some("ASSEMBLIES"),
        }
    }
}

impl FromStr for LocationKind {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LocationKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            ValueError::new(
                "location_kind",
                format!(
                    "location kind is internal, supplier, customer, production, adjustment, scrap or transit, not {s:?}"
                ),
            )
        })
    }
}
