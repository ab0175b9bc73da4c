//! What traceability queries return: the units a trace walks (a lot, a
//! serial, or an untracked item), the production runs that link them, the
//! movements to and from partners, and assembly events.

use std::sync::Arc;

use jiff::Timestamp;
use serde::{Deserialize, Serialize, Serializer};
use tracelot_core::{LocationKind, LocationPath, LotCode, Scale, Serial, Sku, TxId};

/// An exact quantity in an item's unit: smallest units and the item's
/// scale. It prints and serializes as a decimal string (`"300.000"`) and
/// costs no allocation, which matters when a trace returns 100,000 moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity {
    /// Smallest units.
    pub units: i64,
    /// The item's decimal places.
    pub scale: Scale,
}

impl std::fmt::Display for Quantity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.scale.format(self.units))
    }
}

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One traceable unit: a lot of an item, one serial, or (for untracked
/// items) the item itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Unit {
    /// Item.
    pub sku: Sku,
    /// Lot, when the unit is a lot (or a serial inside one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot: Option<LotCode>,
    /// Serial, when the unit is one serial.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<Serial>,
}

impl std::fmt::Display for Unit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.sku)?;
        if let Some(l) = &self.lot {
            write!(f, " lot {l}")?;
        }
        if let Some(s) = &self.serial {
            write!(f, " #{s}")?;
        }
        Ok(())
    }
}

/// Which way a trace walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From inputs to what was made of them (and to customers).
    Forward,
    /// From products to what they were made of (and to suppliers).
    Backward,
}

/// `input` went into `output` in one production run (quantities summed
/// over the run's lines), or a component was installed in a parent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    /// `produce` or `assemble`.
    pub kind: &'static str,
    /// The run's chain position.
    pub seq: i64,
    /// The run's transaction id.
    pub tx_id: TxId,
    /// When it ran.
    pub occurred_at: Timestamp,
    /// Its document (work order).
    pub reference: Option<Arc<str>>,
    /// What went in.
    pub input: Unit,
    /// Smallest units of it consumed in the run.
    pub input_units: i64,
    /// The same as a decimal in its item's unit.
    pub input_quantity: Quantity,
    /// What came out.
    pub output: Unit,
    /// Smallest units of it made in the run.
    pub output_units: i64,
    /// The same as a decimal.
    pub output_quantity: Quantity,
}

/// A movement between our stock and a partner (or the virtual supplier
/// and customer roots): receipts, shipments, returns and their reversals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartnerMove {
    /// Chain position.
    pub seq: i64,
    /// Transaction id.
    pub tx_id: TxId,
    /// Command kind (`ship`, `return`, `receive`, `reverse`).
    pub kind: Arc<str>,
    /// When it happened.
    pub occurred_at: Timestamp,
    /// The document (delivery note, order, RMA).
    pub reference: Option<Arc<str>>,
    /// What moved.
    pub unit: Unit,
    /// The partner's location (`CUSTOMERS/ACME`).
    pub partner: LocationPath,
    /// Supplier or customer.
    pub partner_kind: LocationKind,
    /// Smallest units; positive towards the partner, negative from it.
    pub units: i64,
    /// The size of the move (without its sign) as a decimal.
    pub quantity: Quantity,
}

/// One install or removal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssemblyEvent {
    /// Chain position.
    pub seq: i64,
    /// Transaction id.
    pub tx_id: TxId,
    /// When.
    pub occurred_at: Timestamp,
    /// The document (work order, repair ticket).
    pub reference: Option<String>,
    /// Why.
    pub reason: Option<String>,
    /// The parent unit.
    pub parent: Unit,
    /// The component unit.
    pub component: Unit,
    /// Installed (true) or removed (false).
    pub installed: bool,
}

/// A unit reached by a trace, with its distance from the start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Traced {
    /// The unit.
    pub unit: Unit,
    /// Production or assembly steps from the start (0 for the start).
    pub depth: u32,
}

/// Everything a trace reaches: the units (the start first, then by depth),
/// the runs and installations between them, and their partner movements.
#[derive(Debug, Clone, Default)]
pub struct TraceGraph {
    /// Units reached.
    pub units: Vec<Traced>,
    /// Production runs and installations, each once.
    pub links: Vec<Link>,
    /// Receipts, shipments and returns of the units, oldest first.
    pub partner_moves: Vec<PartnerMove>,
}

/// The trace every backend can answer: [`crate::Store::links`] level by
/// level until nothing new is reached, then the partner moves of all units.
/// A backend with a faster way must answer exactly this.
pub fn walk<S: crate::Store + ?Sized>(
    store: &S,
    start: &Unit,
    direction: Direction,
) -> Result<TraceGraph, crate::StoreError> {
    let mut seen: std::collections::HashSet<Unit> = std::collections::HashSet::from([start.clone()]);
    let mut units = vec![Traced { unit: start.clone(), depth: 0 }];
    let mut links = Vec::new();
    let mut link_keys = std::collections::HashSet::new();
    let mut frontier = vec![start.clone()];
    let mut depth = 0;
    while !frontier.is_empty() {
        depth += 1;
        let mut next = Vec::new();
        for link in store.links(&frontier, direction)? {
            let reached = match direction {
                Direction::Forward => &link.output,
                Direction::Backward => &link.input,
            };
            if seen.insert(reached.clone()) {
                units.push(Traced { unit: reached.clone(), depth });
                next.push(reached.clone());
            }
            if link_keys.insert((link.seq, link.kind, link.input.clone(), link.output.clone())) {
                links.push(link);
            }
        }
        frontier = next;
    }
    let all: Vec<Unit> = units.iter().map(|t| t.unit.clone()).collect();
    let partner_moves = store.partner_moves(&all)?;
    Ok(TraceGraph { units, links, partner_moves })
}
