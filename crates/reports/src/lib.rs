//! Reports built from store queries. They live here, below both the CLI
//! and the API, so that both answer the same question the same way.

pub mod balance;
pub mod checkpoints;
pub mod fefo;
pub mod labels;
pub mod recall;
pub mod scan;
pub mod trace;

use jiff::civil::Date;
use serde::Serialize;
use tracelot_core::warranty::{self as warranty_rule, WarrantyStatus};
use tracelot_core::{DomainError, LocationKind, LotCode, Rule, Serial, Sku};
use tracelot_store::{HistoryQuery, Store, StoreError};

pub use balance::{MassBalance, mass_balance};
pub use fefo::{Suggestion, fefo};
pub use recall::{RecallReport, affected_lots, recall_report};
pub use trace::{Trace, trace};

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// What it is about does not exist (the error names the field).
    #[error(transparent)]
    Refused(#[from] DomainError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A return or repair of a unit.
#[derive(Debug, Serialize)]
pub struct Event {
    /// When.
    pub on: Date,
    /// From where.
    pub from: String,
    /// To where.
    pub to: String,
    /// The document.
    pub reference: Option<String>,
    /// Why.
    pub reason: Option<String>,
}

/// A serial's warranty.
#[derive(Debug, Serialize)]
pub struct Warranty {
    /// Item.
    pub sku: Sku,
    /// Serial.
    pub serial: Serial,
    /// Lot.
    pub lot: Option<LotCode>,
    /// The customer of the first shipment.
    pub customer: Option<String>,
    /// The first shipment's date: the warranty's start.
    pub shipped_on: Option<Date>,
    /// Warranty length.
    pub warranty_months: Option<u32>,
    /// Last day covered.
    pub warranty_end: Option<Date>,
    /// Status today.
    pub status: WarrantyStatus,
    /// Where the unit is now.
    pub location: Option<String>,
    /// Every return from a customer.
    pub returns: Vec<Event>,
    /// Repairs: components installed in or removed from the unit.
    pub repairs: Vec<tracelot_store::AssemblyEvent>,
}

/// Builds the warranty report from the serial's ledger history.
pub fn warranty_of(store: &dyn Store, sku: &Sku, serial: &Serial) -> Result<Warranty, ReportError> {
    let unknown = |field: &str, what: String| ReportError::Refused(DomainError::at(Rule::NotFound, field, what));
    let item = store.item(sku)?.ok_or_else(|| unknown("sku", format!("unknown item {sku}")))?;
    let here =
        store.where_is(sku, serial)?.ok_or_else(|| unknown("serial", format!("unknown serial {serial} of {sku}")))?;
    let history = store.history(&HistoryQuery { serial: Some(serial.clone()), ..HistoryQuery::of(sku.clone()) })?;
    let first_ship = history.iter().find(|h| h.to_kind == LocationKind::Customer && h.kind == "ship");
    let shipped_on = first_ship.map(|h| tracelot_core::time::day(h.occurred_at));
    let today = tracelot_core::time::today();
    let (warranty_end, status) = warranty_rule::warranty(item.spec.warranty_months, shipped_on, today);
    let returns = history
        .iter()
        .filter(|h| h.from_kind == LocationKind::Customer)
        .map(|h| Event {
            on: tracelot_core::time::day(h.occurred_at),
            from: h.from.to_string(),
            to: h.to.to_string(),
            reference: h.reference.clone(),
            reason: h.reason.clone(),
        })
        .collect();
    Ok(Warranty {
        sku: sku.clone(),
        serial: serial.clone(),
        lot: here.lot,
        customer: first_ship.map(|h| h.to.to_string()),
        shipped_on,
        warranty_months: item.spec.warranty_months,
        warranty_end,
        status,
        location: here.location.map(|l| l.to_string()),
        returns,
        repairs: store
            .assembly_events(sku, serial)?
            .into_iter()
            .filter(|e| &e.parent.sku == sku && e.parent.serial.as_ref() == Some(serial))
            .collect(),
    })
}
