//! Reports built from store queries. They live here, below both the CLI
//! and the API, so that both answer the same question the same way.

pub mod balance;
pub mod checkpoints;
pub mod days;
pub mod fefo;
pub mod labels;
pub mod recall;
pub mod scan;
pub mod supplier_lots;
pub mod trace;

use jiff::Timestamp;
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
    /// The warranty's start: the unit's first shipment or, if earlier, the
    /// first shipment of a parent while the unit was installed in it.
    pub shipped_on: Option<Date>,
    /// The parent whose shipment started a component's warranty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipped_in: Option<tracelot_store::Unit>,
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
    /// The factory fit: components installed before the unit first shipped.
    pub fitted: Vec<tracelot_store::AssemblyEvent>,
    /// Repairs: components installed in or removed from the unit after it
    /// first shipped.
    pub repairs: Vec<tracelot_store::AssemblyEvent>,
}

/// A unit's shipments to customers, oldest first: when, to whom.
fn shipments(store: &dyn Store, sku: &Sku, serial: &Serial) -> Result<Vec<(Timestamp, String)>, ReportError> {
    let history = store.history(&HistoryQuery { serial: Some(serial.clone()), ..HistoryQuery::of(sku.clone()) })?;
    Ok(history
        .iter()
        .filter(|h| h.to_kind == LocationKind::Customer && h.kind == "ship")
        .map(|h| (h.occurred_at, h.to.to_string()))
        .collect())
}

/// The earliest shipment of a parent while the component was installed in
/// it (from its install to its removal), with that parent.
fn shipped_inside(
    store: &dyn Store,
    events: &[tracelot_store::AssemblyEvent],
    sku: &Sku,
    serial: &Serial,
) -> Result<Option<(Timestamp, String, tracelot_store::Unit)>, ReportError> {
    let mut earliest: Option<(Timestamp, String, tracelot_store::Unit)> = None;
    let as_component =
        |e: &&tracelot_store::AssemblyEvent| &e.component.sku == sku && e.component.serial.as_ref() == Some(serial);
    let mine: Vec<&tracelot_store::AssemblyEvent> = events.iter().filter(as_component).collect();
    for (i, install) in mine.iter().enumerate().filter(|(_, e)| e.installed) {
        let Some(parent_serial) = &install.parent.serial else { continue };
        let removed = mine.iter().skip(i.saturating_add(1)).find(|e| !e.installed && e.parent == install.parent);
        let inside = shipments(store, &install.parent.sku, parent_serial)?
            .into_iter()
            .find(|(at, _)| *at >= install.occurred_at && removed.is_none_or(|r| *at <= r.occurred_at));
        if let Some((at, customer)) = inside
            && earliest.as_ref().is_none_or(|(t, _, _)| at < *t)
        {
            earliest = Some((at, customer, install.parent.clone()));
        }
    }
    Ok(earliest)
}

/// Builds the warranty report from the serial's ledger history.
pub fn warranty_of(store: &dyn Store, sku: &Sku, serial: &Serial) -> Result<Warranty, ReportError> {
    let unknown = |field: &str, what: String| ReportError::Refused(DomainError::at(Rule::NotFound, field, what));
    let item = store.item(sku)?.ok_or_else(|| unknown("sku", format!("unknown item {sku}")))?;
    let here =
        store.where_is(sku, serial)?.ok_or_else(|| unknown("serial", format!("unknown serial {serial} of {sku}")))?;
    let history = store.history(&HistoryQuery { serial: Some(serial.clone()), ..HistoryQuery::of(sku.clone()) })?;
    let events = store.assembly_events(sku, serial)?;
    // The warranty starts at the earlier of the unit's own first shipment
    // and the first shipment of a parent while it was installed there.
    let own = shipments(store, sku, serial)?.into_iter().next();
    let (started, customer, shipped_in) = match (own, shipped_inside(store, &events, sku, serial)?) {
        (Some((at, customer)), inside) if inside.as_ref().is_none_or(|(t, _, _)| at <= *t) => {
            (Some(at), Some(customer), None)
        }
        (_, Some((at, customer, parent))) => (Some(at), Some(customer), Some(parent)),
        (_, None) => (None, None, None),
    };
    let shipped_on = started.map(tracelot_core::time::day);
    let today = tracelot_core::time::today();
    let (warranty_end, status) = warranty_rule::warranty(item.spec.warranty_months, shipped_on, today);
    // Installs and removals on this unit: before its warranty started they
    // are how it was built; after, they are repairs.
    let (fitted, repairs): (Vec<_>, Vec<_>) = events
        .iter()
        .filter(|e| &e.parent.sku == sku && e.parent.serial.as_ref() == Some(serial))
        .cloned()
        .partition(|e| started.is_none_or(|t| e.occurred_at < t));
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
        customer,
        shipped_on,
        shipped_in,
        warranty_months: item.spec.warranty_months,
        warranty_end,
        status,
        location: here.location.map(|l| l.to_string()),
        returns,
        fitted,
        repairs,
    })
}
