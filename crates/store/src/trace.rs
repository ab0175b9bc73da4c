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
    /// `produce`, `relabel` or `assemble`.
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
    let mut depth = 0_u32;
    while !frontier.is_empty() {
        depth = depth.saturating_add(1);
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

/// A unit by a backend's ids (0 meaning none), as its trace queries return
/// units before they are named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnitIds {
    /// Item id.
    pub item: i64,
    /// Lot id, or 0.
    pub lot: i64,
    /// Serial id, or 0.
    pub serial: i64,
}

/// Turns a backend's ids back into units and quantities (with whatever
/// lookups and caching the backend needs).
pub trait Namer {
    /// The backend's error.
    type Error;
    /// The unit these ids name.
    fn unit(&mut self, ids: UnitIds) -> Result<Unit, Self::Error>;
    /// `units` of an item as an exact quantity.
    fn quantity(&mut self, item: i64, units: i64) -> Result<Quantity, Self::Error>;
}

/// The transaction a link comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkTx {
    /// Chain position.
    pub seq: i64,
    /// Id.
    pub tx_id: TxId,
    /// When it happened.
    pub occurred_at: Timestamp,
    /// Its document.
    pub reference: Option<String>,
}

/// The transaction of a run row, and whether it is a relabel (a run from
/// one lot code of an item to another) rather than a production run.
#[derive(Debug, Clone)]
pub struct RunOf {
    /// The run's transaction.
    pub tx: LinkTx,
    /// Whether it relabels.
    pub relabel: bool,
}

/// One production run being gathered from query rows.
struct Run {
    tx: LinkTx,
    /// `produce` or `relabel`.
    kind: &'static str,
    /// (unit ids) → (line → units), so a line joined many times counts once.
    inputs: std::collections::BTreeMap<UnitIds, std::collections::BTreeMap<i64, i64>>,
    outputs: std::collections::BTreeMap<UnitIds, std::collections::BTreeMap<i64, i64>>,
}

/// Gathers the rows of one trace step (production runs joined input line
/// by output line, and installations) into links.
#[derive(Default)]
pub struct LinkRows {
    runs: std::collections::BTreeMap<i64, Run>,
    installs: Vec<(LinkTx, UnitIds, UnitIds, i64)>,
}

impl LinkRows {
    /// A row of a production run: one input line joined with one output line.
    pub fn produced(&mut self, of: RunOf, input: (UnitIds, i64, i64), output: (UnitIds, i64, i64)) {
        let run = self.runs.entry(of.tx.seq).or_insert_with(|| Run {
            tx: of.tx,
            kind: if of.relabel { "relabel" } else { "produce" },
            inputs: Default::default(),
            outputs: Default::default(),
        });
        run.inputs.entry(input.0).or_default().insert(input.1, input.2);
        run.outputs.entry(output.0).or_default().insert(output.1, output.2);
    }

    /// A component installed in a parent.
    pub fn installed(&mut self, tx: LinkTx, component: UnitIds, parent: UnitIds) {
        self.installs.push((tx, component, parent, 1));
    }

    /// A quantity of a lot-tracked part fitted into a parent.
    pub fn fitted(&mut self, tx: LinkTx, part: UnitIds, parent: UnitIds, qty: i64) {
        self.installs.push((tx, part, parent, qty));
    }

    /// The links, by when they happened: one per input and output of each
    /// run, then one per installation.
    pub fn links<N: Namer>(self, names: &mut N) -> Result<Vec<Link>, N::Error> {
        let mut out = Vec::new();
        let mut link = |kind, tx: &LinkTx, input: UnitIds, in_units, output: UnitIds, out_units| {
            Ok::<_, N::Error>(Link {
                kind,
                seq: tx.seq,
                tx_id: tx.tx_id,
                occurred_at: tx.occurred_at,
                reference: tx.reference.as_deref().map(Arc::from),
                input: names.unit(input)?,
                input_units: in_units,
                input_quantity: names.quantity(input.item, in_units)?,
                output: names.unit(output)?,
                output_units: out_units,
                output_quantity: names.quantity(output.item, out_units)?,
            })
        };
        for run in self.runs.values() {
            for (input, in_lines) in &run.inputs {
                let in_units: i64 = in_lines.values().sum();
                for (output, out_lines) in &run.outputs {
                    out.push(link(run.kind, &run.tx, *input, in_units, *output, out_lines.values().sum())?);
                }
            }
        }
        for (tx, component, parent, qty) in &self.installs {
            out.push(link("assemble", tx, *component, *qty, *parent, 1)?);
        }
        out.sort_by_key(|a| (a.occurred_at, a.seq));
        Ok(out)
    }
}

/// A movement of a traced unit to or from a partner location, as a
/// backend's query returns it (a line may come once per frontier unit).
#[derive(Debug, Clone)]
pub struct PartnerRow {
    /// Its transaction.
    pub tx: LinkTx,
    /// The transaction's command kind.
    pub kind: String,
    /// The movement's line.
    pub line: i64,
    /// The unit moved.
    pub ids: UnitIds,
    /// Smallest units moved.
    pub qty: i64,
    /// Source and its kind.
    pub from: (LocationPath, LocationKind),
    /// Destination and its kind.
    pub to: (LocationPath, LocationKind),
}

/// Partner moves from query rows: oldest first, each movement once, signed
/// as the partner sees it (negative when the partner is the source).
pub fn partner_moves<N: Namer>(mut rows: Vec<PartnerRow>, names: &mut N) -> Result<Vec<PartnerMove>, N::Error> {
    rows.sort_by_key(|r| (r.tx.occurred_at, r.tx.seq, r.line));
    rows.dedup_by_key(|r| (r.tx.occurred_at, r.tx.seq, r.line));
    rows.into_iter()
        .map(|r| {
            let from_partner = matches!(r.from.1, LocationKind::Supplier | LocationKind::Customer);
            let ((partner, partner_kind), units) =
                if from_partner { (r.from, r.qty.saturating_neg()) } else { (r.to, r.qty) };
            Ok(PartnerMove {
                seq: r.tx.seq,
                tx_id: r.tx.tx_id,
                kind: r.kind.into(),
                occurred_at: r.tx.occurred_at,
                reference: r.tx.reference.map(Arc::from),
                unit: names.unit(r.ids)?,
                partner,
                partner_kind,
                units,
                quantity: names.quantity(r.ids.item, r.qty)?,
            })
        })
        .collect()
}
