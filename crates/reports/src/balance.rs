//! The mass balance of a lot: what came in (received, produced) equals what
//! is on hand plus what went out (shipped, consumed, scrapped, adjusted,
//! installed), each term with the movements behind it. Auditors ask for it
//! in every mock recall.

use serde::Serialize;
use tracelot_core::{DomainError, LocationKind, LotCode, Rule, Sku};
use tracelot_store::{HistoryQuery, HistoryRow, StockQuery, StockRow, Store};

use crate::ReportError;

/// One term of the balance.
#[derive(Debug, Clone, Serialize)]
pub struct Term {
    /// `received`, `produced`, `shipped`, `consumed`, `scrapped`, `adjusted` or `installed`.
    pub name: &'static str,
    /// Net smallest units.
    pub units: i64,
    /// The same as a decimal.
    pub quantity: String,
    /// The movements counted, with their sign in this term.
    pub movements: Vec<(i64, HistoryRow)>,
}

/// A lot's mass balance.
#[derive(Debug, Clone, Serialize)]
pub struct MassBalance {
    /// Item.
    pub sku: Sku,
    /// Lot.
    pub lot: LotCode,
    /// Unit of measure.
    pub uom: String,
    /// Received and produced.
    pub inputs: Vec<Term>,
    /// Shipped, consumed, scrapped, adjusted, installed.
    pub outputs: Vec<Term>,
    /// On hand now, per location (internal, quarantine and transit).
    pub on_hand: Vec<StockRow>,
    /// Total on hand, smallest units.
    pub on_hand_units: i64,
    /// The same as a decimal.
    pub on_hand_quantity: String,
    /// inputs − (on hand + outputs); zero when the balance closes.
    pub difference: i64,
}

impl MassBalance {
    /// Whether in = on hand + out.
    pub fn closes(&self) -> bool {
        self.difference == 0
    }
}

fn holds(kind: LocationKind) -> bool {
    matches!(kind, LocationKind::Internal | LocationKind::Quarantine | LocationKind::Transit)
}

/// The term a movement between our stock and `other` belongs to, and
/// whether the term counts stock coming in (`true`) or going out.
fn term_of(other: LocationKind, into_stock: bool) -> (&'static str, bool) {
    match (other, into_stock) {
        (LocationKind::Supplier, _) => ("received", true),
        (LocationKind::Production, true) => ("produced", true),
        (LocationKind::Production, false) => ("consumed", false),
        (LocationKind::Customer, _) => ("shipped", false),
        (LocationKind::Scrap, _) => ("scrapped", false),
        (LocationKind::Assembly, _) => ("installed", false),
        _ => ("adjusted", false),
    }
}

/// Computes the mass balance of a lot from its full history.
pub fn mass_balance(store: &dyn Store, sku: &Sku, lot: &LotCode) -> Result<MassBalance, ReportError> {
    let item = store
        .item(sku)?
        .ok_or_else(|| ReportError::Refused(DomainError::at(Rule::NotFound, "sku", format!("unknown item {sku}"))))?;
    if store.lot(sku, lot)?.is_none() {
        return Err(DomainError::at(Rule::NotFound, "lot", format!("unknown lot {lot} of {sku}")).into());
    }
    let scale = item.spec.scale;
    let history = store.history(&HistoryQuery { lot: Some(lot.clone()), ..HistoryQuery::of(sku.clone()) })?;
    let names = ["received", "produced", "shipped", "consumed", "scrapped", "adjusted", "installed"];
    let mut terms: Vec<Term> =
        names.iter().map(|n| Term { name: n, units: 0, quantity: String::new(), movements: Vec::new() }).collect();
    for h in history {
        let (from_holds, to_holds) = (holds(h.from_kind), holds(h.to_kind));
        if from_holds == to_holds {
            continue;
        }
        let into_stock = to_holds;
        let other = if into_stock { h.from_kind } else { h.to_kind };
        // A reversal's movement mirrors the original's: count it against the
        // original's term, negatively.
        let original_into = if h.kind == "reverse" { !into_stock } else { into_stock };
        let (name, term_counts_in) = term_of(other, original_into);
        let sign = if into_stock == term_counts_in { 1 } else { -1 };
        if let Some(t) = terms.iter_mut().find(|t| t.name == name) {
            t.units += sign * h.units;
            t.movements.push((sign, h));
        }
    }
    for t in &mut terms {
        t.quantity = scale.format(t.units);
    }
    let on_hand: Vec<StockRow> = store
        .stock(&StockQuery {
            sku: Some(sku.clone()),
            lot: Some(lot.clone()),
            include_virtual: true,
            ..Default::default()
        })?
        .into_iter()
        .filter(|r| holds(r.location_kind))
        .collect();
    let on_hand_units: i64 = on_hand.iter().map(|r| r.units).sum();
    let (inputs, outputs): (Vec<Term>, Vec<Term>) =
        terms.into_iter().partition(|t| matches!(t.name, "received" | "produced"));
    let total = |ts: &[Term]| ts.iter().map(|t| t.units).sum::<i64>();
    let difference = total(&inputs) - on_hand_units - total(&outputs);
    Ok(MassBalance {
        sku: sku.clone(),
        lot: lot.clone(),
        uom: item.spec.uom.clone(),
        inputs,
        outputs,
        on_hand,
        on_hand_units,
        on_hand_quantity: scale.format(on_hand_units),
        difference,
    })
}

impl MassBalance {
    /// A readable statement.
    pub fn table(&self) -> String {
        let mut s = format!("mass balance of {} lot {} ({})\n", self.sku, self.lot, self.uom);
        for t in &self.inputs {
            s.push_str(&format!("  + {:<10} {:>14}  ({} movements)\n", t.name, t.quantity, t.movements.len()));
        }
        s.push_str(&format!(
            "  = {:<10} {:>14}  ({} locations)\n",
            "on hand",
            self.on_hand_quantity,
            self.on_hand.len()
        ));
        for t in &self.outputs {
            s.push_str(&format!("  + {:<10} {:>14}  ({} movements)\n", t.name, t.quantity, t.movements.len()));
        }
        s.push_str(if self.closes() { "closes: yes\n" } else { "closes: NO\n" });
        s
    }
}
