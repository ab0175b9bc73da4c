//! The rules: a [`Request`] plus the state read through a [`LedgerView`]
//! becomes a [`Plan`] of effects, or a [`DomainError`] naming the rule.
//!
//! Stores call [`plan`] inside their write transaction, so what the rules
//! read cannot change before the effects are written; the database's
//! constraints then check the result a second time.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Date;
use tracelot_gs1::Gtin;

use crate::command::{Command, Counted, Direction, Line, ReceiveLine, ReceiveUnits, Request, Units};
use crate::error::{DomainError, Rule};
use crate::ids::{LocationPath, LotCode, PartnerCode, PlaceRef, Serial, Sku, TxId};
use crate::item::{DateRule, ItemSpec, OutputExpiry};
use crate::location::LocationKind;
use crate::lot::{LotDetails, LotStatus, RecallDecision};
use crate::time::{ClockPolicy, SiteZone};

/// The most units one transaction may name by serial.
pub const MAX_SERIALS_PER_TRANSACTION: usize = 1_000_000;

/// A failure of the store underneath a view (I/O, corruption).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ViewError(pub String);

/// What a view read returns.
pub type ViewResult<T> = Result<T, ViewError>;

/// An item as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRecord {
    /// Store id.
    pub id: i64,
    /// Definition.
    pub spec: ItemSpec,
}

/// A location as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationRecord {
    /// Store id.
    pub id: i64,
    /// Path.
    pub path: LocationPath,
    /// Kind.
    pub kind: LocationKind,
    /// For a customer's location: the shelf life (days) it requires.
    pub min_shelf_life_days: Option<u32>,
    /// The time zone of the site it belongs to (UTC when none is set).
    pub zone: SiteZone,
}

/// A lot as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotRecord {
    /// Store id.
    pub id: i64,
    /// The item it belongs to.
    pub item_id: i64,
    /// Code.
    pub code: LotCode,
    /// Details.
    pub details: LotDetails,
    /// Current status.
    pub status: LotStatus,
}

/// A serial as stored, with where it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialRecord {
    /// Store id.
    pub id: i64,
    /// The lot it belongs to, for `lot_serial` items.
    pub lot_id: Option<i64>,
    /// The one location holding it, if any holds it.
    pub at: Option<Arc<LocationRecord>>,
}

/// A stored movement, by ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovementRecord {
    /// Item.
    pub item_id: i64,
    /// Lot.
    pub lot_id: Option<i64>,
    /// Serial.
    pub serial_id: Option<i64>,
    /// Source.
    pub from_id: i64,
    /// Destination.
    pub to_id: i64,
    /// Smallest units.
    pub qty: i64,
}

/// A stored transaction, as a reversal needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxRecord {
    /// Chain position.
    pub seq: i64,
    /// Command kind.
    pub kind: String,
    /// The transaction it reverses.
    pub reverses: Option<i64>,
    /// The transaction that reversed it.
    pub reversed_by: Option<i64>,
    /// Its movements in order.
    pub movements: Vec<MovementRecord>,
}

/// Balance key: item, lot, serial, location.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BalanceKey {
    /// Item.
    pub item_id: i64,
    /// Lot, if any.
    pub lot_id: Option<i64>,
    /// Serial, if any.
    pub serial_id: Option<i64>,
    /// Location.
    pub location_id: i64,
}

/// Read access to the ledger's state from inside the write transaction.
pub trait LedgerView {
    /// Item by SKU.
    fn item(&mut self, sku: &Sku) -> ViewResult<Option<Arc<ItemRecord>>>;
    /// Item by id (for reversals).
    fn item_by_id(&mut self, id: i64) -> ViewResult<Arc<ItemRecord>>;
    /// Item by GTIN.
    fn item_by_gtin(&mut self, gtin: &Gtin) -> ViewResult<Option<Arc<ItemRecord>>>;
    /// Location by path.
    fn location(&mut self, path: &LocationPath) -> ViewResult<Option<Arc<LocationRecord>>>;
    /// Location by id (for reversals).
    fn location_by_id(&mut self, id: i64) -> ViewResult<Arc<LocationRecord>>;
    /// A partner's virtual location.
    fn partner_location(&mut self, code: &PartnerCode) -> ViewResult<Option<Arc<LocationRecord>>>;
    /// What a user's place text means: a location path, else a partner code.
    /// Paths and partner codes never collide (the rules refuse it), so a
    /// view may cache the answer.
    fn place(&mut self, place: &PlaceRef) -> ViewResult<Option<Arc<LocationRecord>>> {
        if let Some(l) = self.location(place.as_path())? {
            return Ok(Some(l));
        }
        match place.as_partner() {
            Some(code) => self.partner_location(&code),
            None => Ok(None),
        }
    }
    /// Lot by item and code.
    fn lot(&mut self, item_id: i64, code: &LotCode) -> ViewResult<Option<Arc<LotRecord>>>;
    /// Lot by id.
    fn lot_by_id(&mut self, id: i64) -> ViewResult<Arc<LotRecord>>;
    /// Serial by item and number, with its location.
    fn serial(&mut self, item_id: i64, serial: &Serial) -> ViewResult<Option<SerialRecord>>;
    /// The serials among `serials` that exist, by number. Receipts of many
    /// serials look them up in one call; a backend may answer in chunks.
    fn serials_known(&mut self, item_id: i64, serials: &[Serial]) -> ViewResult<HashMap<Serial, SerialRecord>> {
        let mut found = HashMap::new();
        for s in serials {
            if let Some(r) = self.serial(item_id, s)? {
                found.insert(s.clone(), r);
            }
        }
        Ok(found)
    }
    /// Serial number by id (for reversals).
    fn serial_by_id(&mut self, id: i64) -> ViewResult<Serial>;
    /// One balance (0 when absent).
    fn balance(&mut self, key: BalanceKey) -> ViewResult<i64>;
    /// The serials of an item held at a location, with their lots.
    fn serials_at(&mut self, item_id: i64, location_id: i64) -> ViewResult<Vec<(i64, Serial, Option<i64>)>>;
    /// A transaction by id.
    fn transaction(&mut self, id: &TxId) -> ViewResult<Option<TxRecord>>;
    /// The next value of an item's serial counter.
    fn serial_counter(&mut self, item_id: i64) -> ViewResult<u64>;
    /// The parent (item id, serial id) a component serial is installed in.
    fn installed_in(&mut self, item_id: i64, serial_id: i64) -> ViewResult<Option<(i64, i64)>>;
    /// The component serials (item id, serial id) installed in a parent now.
    fn components_in(&mut self, parent_item: i64, parent_serial: i64) -> ViewResult<Vec<(i64, i64)>>;
    /// The supplier location a lot was first received from, if any.
    fn lot_supplier(&mut self, item_id: i64, lot_id: i64) -> ViewResult<Option<i64>>;
    /// The lots (by id) of an item with a non-zero balance at a location.
    fn lots_at(&mut self, item_id: i64, location_id: i64) -> ViewResult<Vec<i64>>;
    /// Every serial (by id) whose latest status is not `released`: the
    /// held, recalled and rejected units, few enough to keep in memory.
    fn held_serials(&mut self) -> ViewResult<Arc<HashMap<i64, LotStatus>>>;
    /// The lot-tracked parts installed in a parent now: (item id, lot id,
    /// quantity installed less quantity removed), each above zero.
    fn lots_in(&mut self, parent_item: i64, parent_serial: i64) -> ViewResult<Vec<(i64, i64, i64)>>;
    /// The size of a stored document, if it is stored.
    fn document_size(&mut self, sha256: &crate::document::DocumentHash) -> ViewResult<Option<u32>>;
    /// The item (by id) whose packaging carries a GTIN, if any.
    fn packaging_gtin(&mut self, gtin: &Gtin) -> ViewResult<Option<i64>>;
    /// The chain position from which today's rules apply; transactions
    /// before it were accepted under the rules of schema 5 and are planned
    /// (replayed, copied) under those.
    fn rules_from(&mut self) -> ViewResult<i64>;
    /// The arrival (by chain position) of a dispatch into transit, if any.
    fn arrival_of(&mut self, dispatch_seq: i64) -> ViewResult<Option<i64>>;
}

/// A lot a movement refers to: one that exists, or one this plan creates
/// (the index among the plan's [`Effect::CreateLot`]s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LotRef {
    /// Stored already.
    Existing(Arc<LotRecord>),
    /// Created by this plan.
    New(usize, LotCode),
}

impl LotRef {
    /// The lot's code.
    pub fn code(&self) -> &LotCode {
        match self {
            LotRef::Existing(l) => &l.code,
            LotRef::New(_, c) => c,
        }
    }
}

/// A serial a movement refers to: stored, or created by this plan (the
/// index among the plan's [`Effect::CreateSerial`]s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SerialRef {
    /// Stored already.
    Existing(i64, Serial),
    /// Created by this plan.
    New(usize, Serial),
}

impl SerialRef {
    /// The serial number.
    pub fn serial(&self) -> &Serial {
        match self {
            SerialRef::Existing(_, s) | SerialRef::New(_, s) => s,
        }
    }
}

/// One movement to write. It carries the records so that the store can
/// hash natural keys and word errors without reading again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedMove {
    /// Item.
    pub item: Arc<ItemRecord>,
    /// Lot.
    pub lot: Option<LotRef>,
    /// Serial.
    pub serial: Option<SerialRef>,
    /// Source.
    pub from: Arc<LocationRecord>,
    /// Destination.
    pub to: Arc<LocationRecord>,
    /// Smallest units, always > 0.
    pub qty: i64,
    /// The request field this movement comes from, for error messages
    /// (shared by every serial of a line).
    pub field: Arc<str>,
    /// For a catch-weight item, the line's actual weight in thousandths
    /// of the item's weight unit.
    pub weight: Option<i64>,
}

impl PlannedMove {
    /// What moves, for messages: `SKU lot L serial S`.
    pub fn describe(&self) -> String {
        let mut s = self.item.spec.sku.to_string();
        if let Some(l) = &self.lot {
            s.push_str(&format!(" lot {}", l.code()));
        }
        if let Some(sr) = &self.serial {
            s.push_str(&format!(" serial {}", sr.serial()));
        }
        s
    }
}

/// One thing the store must write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Insert an item.
    CreateItem(ItemSpec),
    /// Record a document attached to a lot.
    AttachDocument {
        /// Lot.
        lot_id: i64,
        /// The document.
        document: crate::document::Attachment,
    },
    /// Insert a packaging of an item.
    CreatePackaging {
        /// Item.
        item_id: i64,
        /// Name, unique for the item.
        name: String,
        /// Its own GTIN.
        gtin: Gtin,
        /// Smallest units of the item in one packaging.
        units: i64,
    },
    /// Insert a location.
    CreateLocation {
        /// Path.
        path: LocationPath,
        /// Kind.
        kind: LocationKind,
        /// Its site's time zone, when the site sets one.
        zone: Option<SiteZone>,
    },
    /// Insert a partner; its location is created by an earlier effect.
    CreatePartner {
        /// Code.
        code: PartnerCode,
        /// Name.
        name: String,
        /// Supplier or customer.
        kind: LocationKind,
        /// Its virtual location.
        location: LocationPath,
        /// Shelf life (days) a customer requires.
        min_shelf_life_days: Option<u32>,
    },
    /// Insert a lot.
    CreateLot {
        /// Item.
        item_id: i64,
        /// Code.
        code: LotCode,
        /// Details (expiry already defaulted from shelf life).
        details: LotDetails,
        /// First status.
        status: LotStatus,
    },
    /// Record dates a lot did not have yet (the transaction that states
    /// them is their history); dates it has are never changed.
    FillLotDetails {
        /// Lot.
        lot_id: i64,
        /// The lot's details with the new dates filled in.
        details: LotDetails,
    },
    /// Change a lot's current status (the transaction is the history).
    SetLotStatus {
        /// Lot.
        lot_id: i64,
        /// New status.
        status: LotStatus,
    },
    /// Record a serial's new status (the transaction is the history).
    SetSerialStatus {
        /// Serial.
        serial_id: i64,
        /// New status.
        status: LotStatus,
    },
    /// Insert a serial.
    CreateSerial {
        /// Item.
        item_id: i64,
        /// Number.
        serial: Serial,
        /// Its lot, for `lot_serial` items.
        lot: Option<LotRef>,
    },
    /// Advance an item's serial counter.
    SetSerialCounter {
        /// Item.
        item_id: i64,
        /// The next value.
        next: u64,
    },
    /// Write a movement and its two balance changes.
    Move(PlannedMove),
    /// Record that a quantity of a component lot was fitted into (or taken
    /// out of) a serialized parent.
    AssemblyLot {
        /// Parent item.
        parent_item: i64,
        /// Parent serial.
        parent_serial: i64,
        /// Component item.
        component_item: i64,
        /// Component lot.
        component_lot: i64,
        /// Smallest units.
        qty: i64,
        /// Installed (true) or removed (false).
        installed: bool,
    },
    /// Record that this transaction is the arrival of a dispatch.
    Arrival {
        /// The dispatch's chain position.
        dispatch_seq: i64,
    },
    /// Record that a component was installed in (or removed from) a parent.
    Assembly {
        /// Parent item.
        parent_item: i64,
        /// Parent serial.
        parent_serial: i64,
        /// Component item.
        component_item: i64,
        /// Component serial.
        component_serial: i64,
        /// Installed (true) or removed (false).
        installed: bool,
    },
}

/// A rule that was deliberately overridden, with the reason. Stored with the
/// transaction and covered by the hash chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Override {
    /// The rule overridden.
    pub rule: String,
    /// What it concerned.
    pub subject: String,
    /// Why.
    pub reason: String,
}

/// What a request turns into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Command kind.
    pub kind: &'static str,
    /// The effects, in the order they must be written.
    pub effects: Vec<Effect>,
    /// The transaction this one reverses, by chain position.
    pub reverses: Option<i64>,
    /// Rules overridden, with reasons.
    pub overrides: Vec<Override>,
    /// Serials generated from the item's pattern.
    pub generated: Vec<Serial>,
}

/// Why planning failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// A rule refused the request.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The store could not be read.
    #[error("store read failed: {0}")]
    View(#[from] ViewError),
}

/// The clocks a plan is made under.
#[derive(Debug, Clone, Copy)]
pub struct Clocks {
    /// When the store records the transaction.
    pub recorded_at: Timestamp,
    /// The back-dating policy.
    pub policy: ClockPolicy,
}

impl Clocks {
    /// `occurred_at` for `req`: the client's, checked against the policy, or now.
    pub fn occurred_at(&self, req: &Request) -> Result<Timestamp, DomainError> {
        match req.occurred_at {
            Some(t) => {
                self.policy.check(t, self.recorded_at)?;
                Ok(t)
            }
            None => Ok(self.recorded_at),
        }
    }
}

type PResult<T> = Result<T, PlanError>;

/// A field path rendered only when an error names it: planning a receipt
/// of 100,000 serials formats no strings unless one of them is refused.
#[derive(Debug, Clone, Copy)]
struct At<'a> {
    base: &'a str,
    index: Option<usize>,
}

impl std::fmt::Display for At<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.index {
            Some(i) => write!(f, "{}[{i}]", self.base),
            None => f.write_str(self.base),
        }
    }
}

fn err<T>(rule: Rule, field: impl Into<String>, message: impl Into<String>) -> PResult<T> {
    Err(DomainError::at(rule, field, message).into())
}

/// Turns a request into the effects to write, or refuses it. `seq` is
/// the chain position it will take: a transaction from before today's
/// rules (an old ledger replayed or copied) is planned as it was accepted.
pub fn plan(req: &Request, occurred_at: Timestamp, seq: i64, view: &mut dyn LedgerView) -> PResult<Plan> {
    check_texts(req)?;
    let legacy = seq < view.rules_from()?;
    let mut p = Planner {
        view,
        req,
        legacy,
        occurred_at,
        plan: Plan {
            kind: req.command.kind(),
            effects: Vec::new(),
            reverses: None,
            overrides: Vec::new(),
            generated: Vec::new(),
        },
        filled: HashMap::new(),
        new_lots: HashMap::new(),
        lot_count: 0,
        new_serials: HashSet::new(),
        serial_count: 0,
        overridden: HashSet::new(),
    };
    p.run()?;
    p.check_balances()?;
    Ok(p.plan)
}

/// A lot as the balance check keys it: stored, created by this plan (by its
/// index there), or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum LotKey {
    Stored(i64),
    New(usize),
    None,
}

/// The refusal for a movement that would take a balance past the 64-bit
/// range of the item's smallest unit.
fn quantity_out_of_range(m: &PlannedMove, at: &LocationRecord) -> DomainError {
    DomainError::at(
        Rule::QuantityOutOfRange,
        m.field.to_string(),
        format!(
            "moving {} {} would take the balance at {} past the largest quantity tracelot can hold ({} in this unit)",
            m.item.spec.scale.format(m.qty),
            m.describe(),
            at.path,
            m.item.spec.scale.format(i64::MAX)
        ),
    )
}

/// The refusal for a movement that would take its source below zero.
pub fn insufficient_stock(m: &PlannedMove, on_hand: i64) -> DomainError {
    let what = m.describe();
    let scale = m.item.spec.scale;
    DomainError::at(
        Rule::InsufficientStock,
        m.field.to_string(),
        format!(
            "not enough {what} at {}: {} on hand, {} needed",
            m.from.path,
            scale.format(on_hand),
            scale.format(m.qty)
        ),
    )
}

fn check_texts(req: &Request) -> PResult<()> {
    let bounded = |field: &str, v: &Option<String>, max: usize| -> PResult<()> {
        match v {
            Some(s) if s.trim().is_empty() || s.chars().count() > max || s.chars().any(char::is_control) => {
                err(Rule::InvalidValue, field, format!("{field} is 1 to {max} printable characters"))
            }
            _ => Ok(()),
        }
    };
    bounded("reference", &req.reference, 100)?;
    bounded("reason", &req.reason, 500)
}

struct Planner<'a> {
    view: &'a mut dyn LedgerView,
    req: &'a Request,
    /// Planned under the rules of schema 5: lots defined ahead took an
    /// expiry from the day they were defined, and sites, transit and
    /// quarantine had no two-step rules.
    legacy: bool,
    occurred_at: Timestamp,
    plan: Plan,
    filled: HashMap<i64, LotDetails>,
    new_lots: HashMap<(i64, LotCode), (usize, LotDetails)>,
    lot_count: usize,
    new_serials: HashSet<(i64, Serial)>,
    serial_count: usize,
    overridden: HashSet<i64>,
}

/// A lot-tracked part an assembly moves: item, lot, quantity, field.
type LotPart = (Arc<ItemRecord>, Arc<LotRecord>, i64, Arc<str>);

/// A stored unit by ids: item, lot, serial.
type UnitIds = (i64, Option<i64>, Option<i64>);

/// The days of shelf life a lot must have left to ship: the stricter of
/// the customer's and the item's requirement, with who requires it.
pub fn required_shelf_life(customer: Option<u32>, item: Option<u32>) -> Option<(u32, &'static str)> {
    match (customer, item) {
        (Some(c), Some(i)) if i > c => Some((i, "the item requires")),
        (Some(c), _) => Some((c, "this customer requires")),
        (None, Some(i)) => Some((i, "the item requires")),
        (None, None) => None,
    }
}

fn lot_id_of(lot: &Option<LotRef>) -> Option<i64> {
    match lot {
        Some(LotRef::Existing(l)) => Some(l.id),
        _ => None,
    }
}

fn serial_id_of(serial: &Option<SerialRef>) -> Option<i64> {
    match serial {
        Some(SerialRef::Existing(id, _)) => Some(*id),
        _ => None,
    }
}

/// Without an expiry, a lot takes the item's shelf life counted from its
/// production day, or else from the day it arrives; a lot that has not
/// arrived (`arrival` is `None`) and names no production day has none yet.
fn default_expiry(item: &ItemRecord, details: &mut LotDetails, arrival: Option<Date>) {
    if details.expires_on.is_some() {
        return;
    }
    let (Some(days), Some(base)) = (item.spec.shelf_life_days, details.produced_on.or(arrival)) else { return };
    details.expires_on = crate::time::add_days(base, i64::from(days));
}

/// Stock of a held, recalled or rejected lot may go only where it cannot
/// be sold: quarantine, scrap, a supplier, or a write-off. Checked on every
/// planned move of a stored lot, so no command (return, transfer, count,
/// assembly removal, production) can bring it back into saleable stock.
fn check_blocked(lot: &LotRecord, to: &LocationRecord, field: &str) -> PResult<()> {
    if lot.status.is_blocked() && !to.kind.takes_blocked_stock() {
        return err(
            Rule::LotBlocked,
            field,
            format!(
                "lot {} is {}; its stock may go only into quarantine, transit, scrap, back to the supplier or written off, not to {}",
                lot.code,
                lot.status.as_str(),
                to.path
            ),
        );
    }
    Ok(())
}

/// Extra checks on lots leaving by a line.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Leaving {
    /// No lot checks (transfers, scrap, adjustments).
    Plain,
    /// A shipment on `day` (the shipping site's calendar): released and
    /// unexpired lots only, with the shelf life the customer and the item
    /// require unless overridden.
    Shipment { allow_expired: bool, allow_short: bool, min_days: Option<u32>, day: Date },
    /// Consumption by production on `day`: released lots only, and none
    /// past a hard expiry.
    Consumption { day: Date },
    /// A return: no more than the customer holds.
    Return,
}

impl Planner<'_> {
    /// Refuses, before anything is written, a plan that would take an
    /// internal balance below zero, or any balance (suppliers and customers
    /// accumulate a ledger's whole traffic) out of the 64-bit range. The
    /// database's constraint checks the first again; checking here means a
    /// refusal has nothing to undo, so the writer needs no savepoint on its
    /// common path. (Serial moves were checked where they were planned: the
    /// serial must be at the source, and a serial's balance is 0 or 1.)
    fn check_balances(&mut self) -> PResult<()> {
        let mut after: HashMap<(i64, LotKey, i64), i64> = HashMap::new();
        for effect in &self.plan.effects {
            let Effect::Move(m) = effect else { continue };
            if m.serial.is_some() {
                continue;
            }
            let lot = match &m.lot {
                Some(LotRef::Existing(l)) => LotKey::Stored(l.id),
                Some(LotRef::New(i, _)) => LotKey::New(*i),
                None => LotKey::None,
            };
            for (location, leaving) in [(&m.from, true), (&m.to, false)] {
                let key = (m.item.id, lot, location.id);
                let stored =
                    |lot_id| BalanceKey { item_id: m.item.id, lot_id, serial_id: None, location_id: location.id };
                let before = match (after.get(&key), lot) {
                    (Some(q), _) => *q,
                    (None, LotKey::New(_)) => 0,
                    (None, LotKey::Stored(id)) => self.view.balance(stored(Some(id)))?,
                    (None, LotKey::None) => self.view.balance(stored(None))?,
                };
                let next = if leaving { before.checked_sub(m.qty) } else { before.checked_add(m.qty) };
                let Some(next) = next else { return Err(quantity_out_of_range(m, location).into()) };
                if leaving && location.kind.is_internal() && next < 0 {
                    return Err(insufficient_stock(m, before).into());
                }
                after.insert(key, next);
            }
        }
        Ok(())
    }

    fn run(&mut self) -> PResult<()> {
        let req = self.req;
        match &req.command {
            Command::DefineItem(spec) => self.define_item(spec),
            Command::DefinePackaging { sku, name, gtin, quantity } => self.define_packaging(sku, name, gtin, quantity),
            Command::DefineLocation { path, kind, time_zone } => self.define_location(path, *kind, time_zone.as_ref()),
            Command::DefinePartner { code, name, kind, min_shelf_life_days } => {
                self.define_partner(code, name, *kind, *min_shelf_life_days)
            }
            Command::DefineLot { sku, lot, details, status } => self.define_lot(sku, lot, details, *status),
            Command::SetLotStatus { sku, lot, status } => self.set_lot_status(sku, lot, *status),
            Command::CloseRecall { sku, lot, decision } => self.close_recall(sku, lot, *decision),
            Command::SetSerialStatus { sku, serials, status } => self.set_serial_status(sku, serials, *status, None),
            Command::CloseSerialRecall { sku, serials, decision } => {
                self.set_serial_status(sku, serials, decision.status(), Some(*decision))
            }
            Command::Release { from, to, lines } => self.release(from, to, lines),
            Command::Arrive { dispatch, to, lines } => self.arrive(dispatch, to, lines),
            Command::AttachDocument { sku, lot, document } => {
                document.check().map_err(|e| DomainError::invalid("document", e))?;
                let item = self.item(sku, "sku")?;
                let lot = self.existing_lot(&item, lot, "lot")?;
                match self.view.document_size(&document.sha256)? {
                    Some(size) if size == document.size => {}
                    Some(size) => {
                        return err(
                            Rule::InvalidValue,
                            "document.size",
                            format!("document {} has {size} bytes, not {}", document.sha256, document.size),
                        );
                    }
                    None => {
                        return err(
                            Rule::NotFound,
                            "document.sha256",
                            format!("no document {} is stored; upload its bytes first", document.sha256),
                        );
                    }
                }
                self.plan.effects.push(Effect::AttachDocument { lot_id: lot.id, document: document.clone() });
                Ok(())
            }
            Command::Relabel { at, sku, from_lot, to_lot, quantity, details } => {
                self.relabel(at, sku, (from_lot, to_lot), quantity, details)
            }
            Command::Receive { from, to, lines } => self.receive(from.as_ref(), to, lines),
            Command::Transfer { from, to, lines } => {
                let from = self.place(from, "from")?;
                let to = self.place(to, "to")?;
                for (field, loc) in [("from", &from), ("to", &to)] {
                    self.expect_kind(
                        loc,
                        &[LocationKind::Internal, LocationKind::Transit, LocationKind::Quarantine],
                        field,
                        "a transfer moves between internal, quarantine or transit locations",
                    )?;
                }
                if from.id == to.id {
                    return err(
                        Rule::WrongLocationKind,
                        "to",
                        format!("a transfer needs two different locations, both are {}", from.path),
                    );
                }
                if from.kind == LocationKind::Transit && !self.legacy {
                    return err(
                        Rule::TransitRequired,
                        "from",
                        format!(
                            "{} is transit; its stock leaves by `arrive`, which checks it against what its dispatch sent",
                            from.path
                        ),
                    );
                }
                if from.kind == LocationKind::Internal
                    && to.kind == LocationKind::Internal
                    && from.path.root() != to.path.root()
                    && !self.legacy
                {
                    return err(
                        Rule::TransitRequired,
                        "to",
                        format!(
                            "{} and {} are different sites; send the stock into a transit location, then `arrive` it there",
                            from.path, to.path
                        ),
                    );
                }
                if from.kind == LocationKind::Quarantine && to.kind != LocationKind::Quarantine && !self.legacy {
                    return err(
                        Rule::ReleaseRequired,
                        "to",
                        format!(
                            "{} is quarantine; its stock goes into {} only by a release (`tracelot release`, qc or manager, with a reason)",
                            from.path, to.path
                        ),
                    );
                }
                self.lines(lines, &from, &to, Leaving::Plain)
            }
            Command::Ship { from, to, lines, allow_expired, allow_short_shelf_life } => {
                let from = self.place(from, "from")?;
                let to = self.place(to, "to")?;
                self.expect_kind(
                    &from,
                    &[LocationKind::Internal],
                    "from",
                    "a shipment leaves from an internal location",
                )?;
                self.expect_kind(&to, &[LocationKind::Customer], "to", "a shipment goes to a customer")?;
                if *allow_expired {
                    self.reason("allow_expired")?;
                }
                if *allow_short_shelf_life {
                    self.reason("allow_short_shelf_life")?;
                }
                let leaving = Leaving::Shipment {
                    allow_expired: *allow_expired,
                    allow_short: *allow_short_shelf_life,
                    min_days: to.min_shelf_life_days,
                    day: from.zone.day(self.occurred_at),
                };
                self.lines(lines, &from, &to, leaving)
            }
            Command::Return { from, to, lines } => {
                self.reason("reason")?;
                let from = self.place(from, "from")?;
                let to = self.place(to, "to")?;
                self.expect_kind(&from, &[LocationKind::Customer], "from", "a return comes from a customer")?;
                self.expect_kind(
                    &to,
                    &[LocationKind::Internal, LocationKind::Quarantine],
                    "to",
                    "a return goes to an internal or quarantine location",
                )?;
                self.lines(lines, &from, &to, Leaving::Return)
            }
            Command::Adjust { at, direction, lines } => {
                self.reason("reason")?;
                let at = self.internal(at, "at")?;
                let adj = self.root(LocationKind::Adjustment)?;
                match direction {
                    Direction::Out => self.lines(lines, &at, &adj, Leaving::Plain),
                    Direction::In => self.found_lines(lines, &adj, &at),
                }
            }
            Command::Count { at, sku, lot, counted } => self.count(at, sku, lot.as_ref(), counted),
            Command::Scrap { at, lines } => {
                let at = self.internal(at, "at")?;
                let scrap = self.root(LocationKind::Scrap)?;
                self.lines(lines, &at, &scrap, Leaving::Plain)
            }
            Command::Reverse { tx } => self.reverse(tx),
            Command::Produce { at, consume, output } => self.produce(at, consume, output),
            Command::Assemble { parent_sku, parent_serial, install, remove, from, to } => {
                self.assemble(parent_sku, parent_serial, install, remove, from.as_ref(), to.as_ref())
            }
        }
    }

    fn assemble(
        &mut self,
        parent_sku: &Sku,
        parent_serial: &Serial,
        install: &[Line],
        remove: &[Line],
        from: Option<&PlaceRef>,
        to: Option<&PlaceRef>,
    ) -> PResult<()> {
        let parent_item = self.item(parent_sku, "parent_sku")?;
        if !parent_item.spec.tracking.needs_serial() {
            return err(
                Rule::SerialRequired,
                "parent_sku",
                format!("item {parent_sku} is not serial-tracked; a parent is one unit"),
            );
        }
        let Some(parent) = self.view.serial(parent_item.id, parent_serial)? else {
            return err(Rule::NotFound, "parent_serial", format!("unknown serial {parent_serial} of {parent_sku}"));
        };
        if install.is_empty() && remove.is_empty() {
            return err(Rule::InvalidValue, "install", "give components to install or to remove");
        }
        let assembly = self.root(LocationKind::Assembly)?;
        for (field, lines) in [("remove", remove), ("install", install)] {
            let installing = field == "install";
            if lines.is_empty() {
                continue;
            }
            let place = if installing { from } else { to };
            let Some(place) = place else {
                let which = if installing { "from" } else { "to" };
                return err(Rule::InvalidValue, which, format!("{field} needs `{which}`"));
            };
            let place_field = if installing { "from" } else { "to" };
            let place = self.place(place, place_field)?;
            let allowed: &[LocationKind] = if installing {
                &[LocationKind::Internal]
            } else {
                &[LocationKind::Internal, LocationKind::Quarantine, LocationKind::Scrap]
            };
            self.expect_kind(
                &place,
                allowed,
                place_field,
                "components come from stock and go back to stock, quarantine or scrap",
            )?;
            let (src, dst) = if installing { (&place, &assembly) } else { (&assembly, &place) };
            let before = self.plan.effects.len();
            for (i, line) in lines.iter().enumerate() {
                let f = format!("{field}[{i}]");
                if matches!(line.units, Units::Quantity(_) | Units::Weighed { .. }) {
                    let part = self.item(&line.sku, &format!("{f}.sku"))?;
                    if part.spec.tracking != crate::item::Tracking::Lot {
                        return err(
                            Rule::SerialRequired,
                            format!("{f}.units"),
                            format!(
                                "{} is not tracked by lot; a part is fitted by serial, or by lot and quantity (bolts, fluids)",
                                line.sku
                            ),
                        );
                    }
                }
                self.line(line, &f, src, dst, Leaving::Plain)?;
            }
            self.record_lot_parts(before, (parent_item.id, parent.id), installing, parent_sku, parent_serial)?;
            let moved: Vec<(Arc<ItemRecord>, i64, Arc<str>)> = self
                .plan
                .effects
                .get(before..)
                .unwrap_or_default()
                .iter()
                .filter_map(|e| match e {
                    Effect::Move(m) => match &m.serial {
                        Some(SerialRef::Existing(id, _)) => Some((m.item.clone(), *id, m.field.clone())),
                        _ => None,
                    },
                    _ => None,
                })
                .collect();
            for (item, serial_id, f) in moved {
                if item.id == parent_item.id && serial_id == parent.id {
                    return err(Rule::InvalidValue, f.to_string(), "a unit cannot be installed in itself");
                }
                if !installing && self.view.installed_in(item.id, serial_id)? != Some((parent_item.id, parent.id)) {
                    return err(
                        Rule::SerialNotThere,
                        f.to_string(),
                        format!("that {} is not installed in {parent_sku} {parent_serial}", item.spec.sku),
                    );
                }
                self.plan.effects.push(Effect::Assembly {
                    parent_item: parent_item.id,
                    parent_serial: parent.id,
                    component_item: item.id,
                    component_serial: serial_id,
                    installed: installing,
                });
            }
        }
        Ok(())
    }

    /// Records the lot-tracked parts moved by an assembly's lines (the
    /// moves planned since `before`). A removal takes out no more of a lot
    /// than the parent holds.
    fn record_lot_parts(
        &mut self,
        before: usize,
        (parent_item, parent_serial): (i64, i64),
        installing: bool,
        parent_sku: &Sku,
        parent_number: &Serial,
    ) -> PResult<()> {
        let parts: Vec<LotPart> = self
            .plan
            .effects
            .get(before..)
            .unwrap_or_default()
            .iter()
            .filter_map(|e| match e {
                Effect::Move(PlannedMove {
                    item, lot: Some(LotRef::Existing(l)), serial: None, qty, field, ..
                }) => Some((item.clone(), l.clone(), *qty, field.clone())),
                _ => None,
            })
            .collect();
        let mut held: HashMap<(i64, i64), i64> = HashMap::new();
        if !installing && !parts.is_empty() {
            for (item, lot, qty) in self.view.lots_in(parent_item, parent_serial)? {
                held.insert((item, lot), qty);
            }
        }
        for (item, lot, qty, field) in parts {
            if !installing {
                let left = held.get(&(item.id, lot.id)).copied().unwrap_or(0);
                if qty > left {
                    return err(
                        Rule::SerialNotThere,
                        field.to_string(),
                        format!(
                            "{parent_sku} {parent_number} holds {} of {} lot {}, not {}",
                            item.spec.scale.format(left),
                            item.spec.sku,
                            lot.code,
                            item.spec.scale.format(qty)
                        ),
                    );
                }
                held.insert((item.id, lot.id), left.saturating_sub(qty));
            }
            self.plan.effects.push(Effect::AssemblyLot {
                parent_item,
                parent_serial,
                component_item: item.id,
                component_lot: lot.id,
                qty,
                installed: installing,
            });
        }
        Ok(())
    }

    fn produce(&mut self, at: &PlaceRef, consume: &[Line], output: &[ReceiveLine]) -> PResult<()> {
        let at = self.place(at, "at")?;
        self.expect_kind(
            &at,
            &[LocationKind::Internal],
            "at",
            "production takes from and puts into an internal location",
        )?;
        let production = self.root(LocationKind::Production)?;
        if consume.is_empty() {
            return err(Rule::InvalidValue, "consume", "a production run consumes at least one input");
        }
        if output.is_empty() {
            return err(Rule::InvalidValue, "output", "a production run makes at least one output");
        }
        let before = self.plan.effects.len();
        let day = at.zone.day(self.occurred_at);
        for (i, line) in consume.iter().enumerate() {
            self.line(line, &format!("consume[{i}]"), &at, &production, Leaving::Consumption { day })?;
        }
        let earliest_input = self.earliest_expiry(before);
        for (i, line) in output.iter().enumerate() {
            let line = ReceiveLine { details: self.output_details(line, earliest_input, day)?, ..line.clone() };
            self.receive_line(&line, &production, &at, &format!("output[{i}]"))?;
        }
        Ok(())
    }

    /// The earliest expiry among the lots consumed by the moves planned
    /// since `before`.
    fn earliest_expiry(&self, before: usize) -> Option<Date> {
        let effects = self.plan.effects.get(before..).unwrap_or_default();
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::Move(PlannedMove { lot: Some(LotRef::Existing(l)), .. }) => l.details.expires_on,
                _ => None,
            })
            .min()
    }

    /// A new output lot's details: made on `day` unless told otherwise,
    /// and, without an explicit expiry, expiring at the earlier of its
    /// shelf life and its inputs' earliest expiry (unless the item resets
    /// the clock), so reworked stock never outlives what it was made from.
    /// A lot that exists keeps its own.
    fn output_details(&mut self, line: &ReceiveLine, earliest_input: Option<Date>, day: Date) -> PResult<LotDetails> {
        let Some(code) = &line.lot else { return Ok(line.details.clone()) };
        let Some(item) = self.view.item(&line.sku)? else { return Ok(line.details.clone()) };
        if self.new_lots.contains_key(&(item.id, code.clone())) {
            return Ok(line.details.clone());
        }
        // A lot defined ahead without dates is dated by the run that makes
        // it, as a new lot would be; a lot with dates keeps its own.
        if let Some(stored) = self.view.lot(item.id, code)?
            && (stored.details.produced_on.is_some() || stored.details.ship_by().is_some())
        {
            return Ok(line.details.clone());
        }
        let mut details = line.details.clone();
        let made = *details.produced_on.get_or_insert(day);
        let earliest_input = earliest_input.filter(|_| item.spec.output_expiry == OutputExpiry::EarliestInput);
        if details.expires_on.is_none() {
            let by_shelf_life = item.spec.shelf_life_days.and_then(|days| crate::time::add_days(made, i64::from(days)));
            details.expires_on = match (by_shelf_life, earliest_input) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        Ok(details)
    }

    fn reason(&self, field: &str) -> PResult<&str> {
        match &self.req.reason {
            Some(r) => Ok(r),
            None => err(
                Rule::ReasonRequired,
                "reason",
                format!("{} needs a reason (required by {field})", self.req.command.kind()),
            ),
        }
    }

    fn item(&mut self, sku: &Sku, field: &str) -> PResult<Arc<ItemRecord>> {
        match self.view.item(sku)? {
            Some(i) => Ok(i),
            None => err(Rule::NotFound, field, format!("unknown item {sku}")),
        }
    }

    fn place(&mut self, place: &PlaceRef, field: &str) -> PResult<Arc<LocationRecord>> {
        match self.view.place(place)? {
            Some(l) => Ok(l),
            None => err(Rule::NotFound, field, format!("unknown location or partner {place}")),
        }
    }

    fn internal(&mut self, place: &PlaceRef, field: &str) -> PResult<Arc<LocationRecord>> {
        let loc = self.place(place, field)?;
        self.expect_kind(
            &loc,
            &[LocationKind::Internal, LocationKind::Quarantine],
            field,
            "stock is counted, adjusted and scrapped at internal or quarantine locations",
        )?;
        Ok(loc)
    }

    fn root(&mut self, kind: LocationKind) -> PResult<Arc<LocationRecord>> {
        let path = LocationPath::parse(kind.default_root().unwrap_or("INTERNAL"))
            .map_err(|e| DomainError::invalid("location", e))?;
        match self.view.location(&path)? {
            Some(l) if l.kind == kind => Ok(l),
            _ => err(Rule::NotFound, "location", format!("the {path} location is missing; run `tracelot init`")),
        }
    }

    fn expect_kind(&self, loc: &LocationRecord, allowed: &[LocationKind], field: &str, rule: &str) -> PResult<()> {
        if allowed.contains(&loc.kind) {
            return Ok(());
        }
        err(Rule::WrongLocationKind, field, format!("{} is {} location; {rule}", loc.path, loc.kind.with_article()))
    }

    fn define_item(&mut self, spec: &ItemSpec) -> PResult<()> {
        spec.check()?;
        if self.view.item(&spec.sku)?.is_some() {
            return err(Rule::AlreadyExists, "sku", format!("item {} already exists", spec.sku));
        }
        if let Some(g) = &spec.gtin {
            self.gtin_free(g)?;
        }
        self.plan.effects.push(Effect::CreateItem(spec.clone()));
        Ok(())
    }

    /// A GTIN names one thing: an item or one packaging of an item.
    fn gtin_free(&mut self, g: &Gtin) -> PResult<()> {
        if let Some(other) = self.view.item_by_gtin(g)? {
            return err(Rule::AlreadyExists, "gtin", format!("GTIN {g} already belongs to item {}", other.spec.sku));
        }
        if let Some(item_id) = self.view.packaging_gtin(g)? {
            let other = self.view.item_by_id(item_id)?;
            return err(
                Rule::AlreadyExists,
                "gtin",
                format!("GTIN {g} already belongs to a packaging of item {}", other.spec.sku),
            );
        }
        Ok(())
    }

    fn define_packaging(
        &mut self,
        sku: &Sku,
        name: &str,
        gtin: &str,
        quantity: &crate::command::Amount,
    ) -> PResult<()> {
        let item = self.item(sku, "sku")?;
        if item.spec.tracking.needs_serial() {
            return err(
                Rule::InvalidValue,
                "sku",
                format!("{sku} moves by serial; a scanned packaging cannot name its serials, so it has none"),
            );
        }
        if name.trim().is_empty() || name.chars().count() > 50 || name.chars().any(char::is_control) {
            return err(Rule::InvalidValue, "name", "a packaging name is 1 to 50 printable characters");
        }
        let gtin = crate::item::parse_gtin(gtin).map_err(|e| DomainError::invalid("gtin", e))?;
        self.gtin_free(&gtin)?;
        let units = quantity.to_qty(item.spec.scale).map_err(|e| DomainError::invalid("quantity", e))?.units();
        self.plan.effects.push(Effect::CreatePackaging { item_id: item.id, name: name.to_owned(), gtin, units });
        Ok(())
    }

    fn define_location(&mut self, path: &LocationPath, kind: LocationKind, zone: Option<&SiteZone>) -> PResult<()> {
        if self.view.location(path)?.is_some() {
            return err(Rule::AlreadyExists, "path", format!("location {path} already exists"));
        }
        if let Some(code) = PartnerCode::parse(path.as_str()).ok()
            && self.view.partner_location(&code)?.is_some()
        {
            return err(
                Rule::AlreadyExists,
                "path",
                format!("{path} is a partner's code; a location path may not repeat it"),
            );
        }
        if zone.is_some() && !kind.is_internal() {
            return err(
                Rule::InvalidValue,
                "time_zone",
                format!("a time zone belongs to a site that holds stock, not to a {} location", kind.as_str()),
            );
        }
        self.create_lineage(path, kind, zone)
    }

    /// Creates `path` and any missing ancestors with the same kind; an
    /// existing ancestor of another kind is refused. New locations take
    /// the time zone of the site (the root) they belong to; a site keeps
    /// one zone.
    fn create_lineage(&mut self, path: &LocationPath, kind: LocationKind, zone: Option<&SiteZone>) -> PResult<()> {
        let mut zone = zone.cloned();
        for p in path.lineage() {
            let existing = self.view.location(&p)?;
            if let Some(l) = &existing {
                match &zone {
                    Some(z) if *z != l.zone => {
                        return err(
                            Rule::InvalidValue,
                            "time_zone",
                            format!("site {} keeps time zone {}; its locations cannot use {z}", l.path, l.zone),
                        );
                    }
                    _ => zone = Some(l.zone.clone()).filter(|z| *z != SiteZone::utc()),
                }
            }
            match existing {
                Some(l) if l.kind != kind => {
                    return err(
                        Rule::WrongLocationKind,
                        "path",
                        format!(
                            "{} is {} location; {} location cannot sit inside it",
                            l.path,
                            l.kind.with_article(),
                            kind.with_article()
                        ),
                    );
                }
                Some(_) => {}
                None => self.plan.effects.push(Effect::CreateLocation { path: p, kind, zone: zone.clone() }),
            }
        }
        Ok(())
    }

    fn define_partner(
        &mut self,
        code: &PartnerCode,
        name: &str,
        kind: LocationKind,
        min_shelf_life_days: Option<u32>,
    ) -> PResult<()> {
        if min_shelf_life_days.is_some() && kind != LocationKind::Customer {
            return err(Rule::InvalidValue, "min_shelf_life_days", "only a customer requires a shelf life");
        }
        if min_shelf_life_days.is_some_and(|d| d > crate::time::MAX_DAYS) {
            return err(
                Rule::InvalidValue,
                "min_shelf_life_days",
                format!("a required shelf life is at most {} days (100 years)", crate::time::MAX_DAYS),
            );
        }
        let Some(root) =
            kind.default_root().filter(|_| matches!(kind, LocationKind::Supplier | LocationKind::Customer))
        else {
            return err(
                Rule::WrongLocationKind,
                "kind",
                format!("a partner is a supplier or a customer, not {}", kind.as_str()),
            );
        };
        if name.trim().is_empty() || name.chars().count() > 200 {
            return err(Rule::InvalidValue, "name", "name must be 1 to 200 characters");
        }
        if self.view.partner_location(code)?.is_some() {
            return err(Rule::AlreadyExists, "code", format!("partner {code} already exists"));
        }
        if let Ok(as_path) = LocationPath::parse(code.as_str())
            && self.view.location(&as_path)?.is_some()
        {
            return err(
                Rule::AlreadyExists,
                "code",
                format!("{code} is a location path; a partner code may not repeat it"),
            );
        }
        let path = LocationPath::for_partner(root, code);
        if self.view.location(&path)?.is_some() {
            return err(Rule::AlreadyExists, "code", format!("location {path} already exists"));
        }
        self.create_lineage(&path, kind, None)?;
        self.plan.effects.push(Effect::CreatePartner {
            code: code.clone(),
            name: name.to_owned(),
            kind,
            location: path,
            min_shelf_life_days,
        });
        Ok(())
    }

    fn define_lot(
        &mut self,
        sku: &Sku,
        code: &LotCode,
        details: &LotDetails,
        status: Option<LotStatus>,
    ) -> PResult<()> {
        let item = self.item(sku, "sku")?;
        if !item.spec.tracking.needs_lot() {
            return err(Rule::LotNotTracked, "lot", format!("item {sku} is not tracked by lot"));
        }
        if self.view.lot(item.id, code)?.is_some() {
            return err(Rule::AlreadyExists, "lot", format!("lot {code} of {sku} already exists"));
        }
        let arrival = self.legacy.then(|| crate::time::day(self.occurred_at));
        self.lot_ref(&item, code, details, status, "details", arrival)?;
        Ok(())
    }

    fn set_lot_status(&mut self, sku: &Sku, code: &LotCode, status: LotStatus) -> PResult<()> {
        self.reason("reason")?;
        let item = self.item(sku, "sku")?;
        let Some(lot) = self.view.lot(item.id, code)? else {
            return err(Rule::NotFound, "lot", format!("unknown lot {code} of {sku}"));
        };
        if lot.status == LotStatus::Rejected && status != LotStatus::Rejected {
            return err(
                Rule::LotBlocked,
                "status",
                format!(
                    "lot {code} of {sku} is rejected; a rejection is final: its stock goes to scrap or back to the supplier"
                ),
            );
        }
        if lot.status == LotStatus::Recalled && status != LotStatus::Recalled {
            return err(
                Rule::LotRecalled,
                "status",
                format!(
                    "lot {code} of {sku} is under recall; only closing the recall with a decision changes its status (recall --close --decision destroyed|returned_to_supplier|released)"
                ),
            );
        }
        self.plan.effects.push(Effect::SetLotStatus { lot_id: lot.id, status });
        Ok(())
    }

    /// The second step of a transfer between sites. What arrived moves from
    /// transit to `to`; what the dispatch sent and did not arrive is
    /// written off from transit with the reason, so transit never keeps a
    /// dispatch's remainder unexplained. A dispatch arrives once.
    fn arrive(&mut self, dispatch: &TxId, to: &PlaceRef, lines: &[Line]) -> PResult<()> {
        let Some(tx) = self.view.transaction(dispatch)? else {
            return err(Rule::NotFound, "dispatch", format!("unknown transaction {dispatch}"));
        };
        let transit = match tx.movements.first() {
            Some(m) if tx.kind == "transfer" || tx.kind == "release" => self.view.location_by_id(m.to_id)?,
            _ => return err(Rule::InvalidValue, "dispatch", format!("transaction {dispatch} is no dispatch")),
        };
        if transit.kind != LocationKind::Transit || tx.movements.iter().any(|m| m.to_id != transit.id) {
            return err(
                Rule::InvalidValue,
                "dispatch",
                format!("transaction {dispatch} did not send its stock into one transit location"),
            );
        }
        if tx.reversed_by.is_some() {
            return err(Rule::InvalidValue, "dispatch", format!("transaction {dispatch} was reversed"));
        }
        if let Some(seq) = self.view.arrival_of(tx.seq)? {
            return err(Rule::AlreadyArrived, "dispatch", format!("dispatch {dispatch} arrived already (#{seq})"));
        }
        let to = self.place(to, "to")?;
        self.expect_kind(
            &to,
            &[LocationKind::Internal, LocationKind::Quarantine],
            "to",
            "stock arrives into an internal or quarantine location",
        )?;
        let mut sent: HashMap<UnitIds, i64> = HashMap::new();
        for m in &tx.movements {
            let q = sent.entry((m.item_id, m.lot_id, m.serial_id)).or_insert(0);
            *q = q.saturating_add(m.qty);
        }
        let before = self.plan.effects.len();
        if !lines.is_empty() {
            self.lines(lines, &transit, &to, Leaving::Plain)?;
        }
        let arrived: Vec<(UnitIds, Arc<ItemRecord>, i64, Arc<str>)> = self
            .plan
            .effects
            .get(before..)
            .unwrap_or_default()
            .iter()
            .filter_map(|e| match e {
                Effect::Move(m) => {
                    let ids = (m.item.id, lot_id_of(&m.lot), serial_id_of(&m.serial));
                    Some((ids, m.item.clone(), m.qty, m.field.clone()))
                }
                _ => None,
            })
            .collect();
        for (ids, item, qty, field) in arrived {
            let left = sent.get(&ids).copied().unwrap_or(0);
            if qty > left {
                return err(
                    Rule::InvalidValue,
                    field.to_string(),
                    format!(
                        "more {} arrived than dispatch {dispatch} sent: {} sent, {} arriving",
                        item.spec.sku,
                        item.spec.scale.format(left),
                        item.spec.scale.format(qty)
                    ),
                );
            }
            sent.insert(ids, left.saturating_sub(qty));
        }
        self.write_off_in_transit(&transit, sent)?;
        self.plan.effects.push(Effect::Arrival { dispatch_seq: tx.seq });
        Ok(())
    }

    /// What a dispatch sent and did not arrive leaves transit for
    /// adjustment: lost on the way, explained by the arrival's reason.
    fn write_off_in_transit(&mut self, transit: &Arc<LocationRecord>, missing: HashMap<UnitIds, i64>) -> PResult<()> {
        let adj = self.root(LocationKind::Adjustment)?;
        let mut missing: Vec<_> = missing.into_iter().filter(|(_, q)| *q > 0).collect();
        missing.sort_unstable();
        if !missing.is_empty() {
            self.reason("writing off what was sent and did not arrive")?;
        }
        let field: Arc<str> = "lines".into();
        for ((item_id, lot_id, serial_id), qty) in missing {
            let item = self.view.item_by_id(item_id)?;
            let lot = match lot_id {
                Some(l) => Some(LotRef::Existing(self.view.lot_by_id(l)?)),
                None => None,
            };
            let serial = match serial_id {
                Some(s) => Some(SerialRef::Existing(s, self.view.serial_by_id(s)?)),
                None => None,
            };
            self.push_move(&item, lot, serial, (transit, &adj), qty, field.clone())?;
        }
        Ok(())
    }

    /// Stock of one lot goes under another code of the same item, as a run
    /// from production: the old lot is consumed and the new one made, so
    /// the genealogy links them. A held lot cannot be relabelled (it may
    /// not go into production), nor stock put under a held lot.
    fn relabel(
        &mut self,
        at: &PlaceRef,
        sku: &Sku,
        (from_lot, to_lot): (&LotCode, &LotCode),
        quantity: &crate::command::Amount,
        details: &LotDetails,
    ) -> PResult<()> {
        self.reason("reason")?;
        let at = self.internal(at, "at")?;
        let production = self.root(LocationKind::Production)?;
        let item = self.item(sku, "sku")?;
        if item.spec.tracking != crate::item::Tracking::Lot {
            return err(
                Rule::InvalidValue,
                "sku",
                format!("{sku} is not tracked by lot alone; only lot-tracked stock is relabelled"),
            );
        }
        if from_lot == to_lot {
            return err(Rule::InvalidValue, "to_lot", format!("lot {to_lot} is the lot the stock is under already"));
        }
        let old = self.existing_lot(&item, from_lot, "from_lot")?;
        let day = at.zone.day(self.occurred_at);
        if let Some(by) = old.details.ship_by().filter(|by| *by < day && item.spec.date_rule == DateRule::HardExpiry) {
            return err(
                Rule::LotExpired,
                "from_lot",
                format!("lot {from_lot} expired on {by} (a hard expiry); a new label cannot give it a new life"),
            );
        }
        let units = Units::Quantity(quantity.clone());
        let taken = Line { sku: sku.clone(), lot: Some(from_lot.clone()), units };
        self.line(&taken, "from_lot", &at, &production, Leaving::Plain)?;
        let inherited = LotDetails { attributes: Default::default(), ..old.details.clone() };
        // A new lot keeps the old one's status: stock awaiting inspection
        // is not released by a new label; an existing lot must have it.
        // Either way, dates the target does not know come from the old lot.
        let existing = self.view.lot(item.id, to_lot)?;
        if let Some(e) = existing.as_ref().filter(|e| e.status != old.status) {
            return err(
                Rule::LotConflict,
                "to_lot",
                format!(
                    "lot {to_lot} is {}, lot {from_lot} is {}; stock goes only under a lot of its own status",
                    e.status.as_str(),
                    old.status.as_str()
                ),
            );
        }
        let new_details = details.with_unknown_from(&inherited);
        let status = if existing.is_some() { None } else { Some(old.status) };
        // Nor does a new label extend the stock's life.
        let target_by = existing.as_ref().and_then(|e| e.details.ship_by()).or(new_details.ship_by());
        if let (Some(was), Some(now)) = (old.details.ship_by(), target_by)
            && now > was
        {
            return err(
                Rule::InvalidValue,
                "to_lot",
                format!(
                    "lot {to_lot} would be dated {now}, later than lot {from_lot}'s {was}; a new label does not extend the stock's life"
                ),
            );
        }
        let made = ReceiveLine {
            sku: sku.clone(),
            lot: Some(to_lot.clone()),
            details: new_details,
            status,
            units: ReceiveUnits::Quantity(quantity.clone()),
        };
        self.receive_line(&made, &production, &at, "to_lot")
    }

    /// A quality decision: stock leaves quarantine for saleable or
    /// in-transit stock, with its reason.
    fn release(&mut self, from: &PlaceRef, to: &PlaceRef, lines: &[Line]) -> PResult<()> {
        self.reason("reason")?;
        let from = self.place(from, "from")?;
        let to = self.place(to, "to")?;
        self.expect_kind(&from, &[LocationKind::Quarantine], "from", "a release takes stock out of quarantine")?;
        self.expect_kind(
            &to,
            &[LocationKind::Internal, LocationKind::Transit],
            "to",
            "a release puts stock into saleable or in-transit stock",
        )?;
        let before = self.plan.effects.len();
        self.lines(lines, &from, &to, Leaving::Plain)?;
        // Transit takes held stock on its way to another quarantine, but a
        // release is a decision that the stock is fit: none of it may be held.
        let held = self.view.held_serials()?;
        for e in self.plan.effects.get(before..).unwrap_or_default() {
            let Effect::Move(m) = e else { continue };
            if let Some(LotRef::Existing(l)) = &m.lot
                && l.status.is_blocked()
            {
                return err(
                    Rule::LotBlocked,
                    m.field.to_string(),
                    format!(
                        "lot {} is {}; a release cannot free it (its status changes first)",
                        l.code,
                        l.status.as_str()
                    ),
                );
            }
            if let Some(SerialRef::Existing(id, s)) = &m.serial
                && let Some(status) = held.get(id)
            {
                return err(
                    Rule::SerialBlocked,
                    m.field.to_string(),
                    format!("{} {s} is {}; a release cannot free it", m.item.spec.sku, status.as_str()),
                );
            }
        }
        Ok(())
    }

    /// A held, recalled or rejected unit may go only where a blocked lot
    /// may: quarantine, transit, scrap, its supplier, or a write-off.
    fn check_serial_blocked(
        &mut self,
        item: &ItemRecord,
        serial_id: i64,
        serial: &Serial,
        to: &LocationRecord,
        field: &str,
    ) -> PResult<()> {
        let Some(status) = self.view.held_serials()?.get(&serial_id).copied() else { return Ok(()) };
        if to.kind.takes_blocked_stock() {
            return Ok(());
        }
        err(
            Rule::SerialBlocked,
            field,
            format!(
                "{} {serial} is {}; it may go only into quarantine, transit, scrap, back to the supplier or written off, not to {}",
                item.spec.sku,
                status.as_str(),
                to.path
            ),
        )
    }

    /// Sets the status of single units. A recalled unit changes only by the
    /// recall's closure (`decision`), and a rejected one never.
    fn set_serial_status(
        &mut self,
        sku: &Sku,
        serials: &[Serial],
        status: LotStatus,
        decision: Option<RecallDecision>,
    ) -> PResult<()> {
        self.reason("reason")?;
        let item = self.item(sku, "sku")?;
        if !item.spec.tracking.needs_serial() {
            return err(Rule::SerialNotTracked, "serials", format!("item {sku} has no serials"));
        }
        if status == LotStatus::Quarantine {
            return err(
                Rule::InvalidValue,
                "status",
                "a unit is held with on_hold; quarantine is a place: move it to a quarantine location",
            );
        }
        self.serial_count_ok(serials.len(), "serials")?;
        let held = self.view.held_serials()?;
        let mut seen = HashSet::with_capacity(serials.len());
        for (i, s) in serials.iter().enumerate() {
            let field = format!("serials[{i}]");
            if !seen.insert(s) {
                return err(Rule::SerialExists, field, format!("serial {s} appears twice"));
            }
            let Some(rec) = self.view.serial(item.id, s)? else {
                return err(Rule::NotFound, field, format!("unknown serial {s} of {sku}"));
            };
            let now = held.get(&rec.id).copied().unwrap_or(LotStatus::Released);
            match (now, decision) {
                (LotStatus::Recalled, None) if status != LotStatus::Recalled => {
                    return err(
                        Rule::LotRecalled,
                        field,
                        format!(
                            "{sku} {s} is under recall; only closing the recall with a decision changes its status (serial close-recall --decision destroyed|returned_to_supplier|released)"
                        ),
                    );
                }
                (now, Some(_)) if now != LotStatus::Recalled => {
                    return err(
                        Rule::NotRecalled,
                        field,
                        format!("{sku} {s} is {}, not under recall; there is no recall to close", now.as_str()),
                    );
                }
                (LotStatus::Rejected, _) if status != LotStatus::Rejected => {
                    return err(
                        Rule::SerialBlocked,
                        field,
                        format!("{sku} {s} is rejected; a rejection is final: scrap it or return it to the supplier"),
                    );
                }
                _ => {}
            }
            self.plan.effects.push(Effect::SetSerialStatus { serial_id: rec.id, status });
        }
        Ok(())
    }

    /// A recall's closure: the decision becomes the recalled lot's status.
    fn close_recall(&mut self, sku: &Sku, code: &LotCode, decision: RecallDecision) -> PResult<()> {
        self.reason("reason")?;
        let item = self.item(sku, "sku")?;
        let Some(lot) = self.view.lot(item.id, code)? else {
            return err(Rule::NotFound, "lot", format!("unknown lot {code} of {sku}"));
        };
        if lot.status != LotStatus::Recalled {
            return err(
                Rule::NotRecalled,
                "lot",
                format!(
                    "lot {code} of {sku} is {}, not under recall; there is no recall to close",
                    lot.status.as_str()
                ),
            );
        }
        self.plan.effects.push(Effect::SetLotStatus { lot_id: lot.id, status: decision.status() });
        Ok(())
    }

    /// An existing lot (its details must not contradict `details`) or a new
    /// one created by this plan. `arrival` is the day stock of it arrives
    /// on the receiving site's calendar (`None` for a lot defined before
    /// it arrives): a lot without an expiry takes one from the item's
    /// shelf life counted from its production day, else from its arrival.
    fn lot_ref(
        &mut self,
        item: &ItemRecord,
        code: &LotCode,
        details: &LotDetails,
        status: Option<LotStatus>,
        field: &str,
        arrival: Option<Date>,
    ) -> PResult<LotRef> {
        if let Some(lot) = self.view.lot(item.id, code)? {
            self.known_lot(item, &lot, details, field, arrival)?;
            if let Some(s) = status.filter(|s| *s != lot.status) {
                return err(
                    Rule::LotConflict,
                    "status",
                    format!("lot {code} is {}; change it with set-status, not {}", lot.status.as_str(), s.as_str()),
                );
            }
            return Ok(LotRef::Existing(lot));
        }
        if let Some((idx, first)) = self.new_lots.get(&(item.id, code.clone())) {
            if let Some((name, stored, given)) = details.conflict_with(first) {
                return err(
                    Rule::LotConflict,
                    format!("{field}.{name}"),
                    format!("lot {code} is given {name} {stored} and {given} in one request"),
                );
            }
            return Ok(LotRef::New(*idx, code.clone()));
        }
        details.check().map_err(|e| DomainError::invalid(field, e))?;
        let mut details = details.clone();
        default_expiry(item, &mut details, arrival);
        let idx = self.lot_count;
        // A batch holds far fewer lots than usize counts.
        self.lot_count = idx.saturating_add(1);
        self.new_lots.insert((item.id, code.clone()), (idx, details.clone()));
        self.plan.effects.push(Effect::CreateLot {
            item_id: item.id,
            code: code.clone(),
            details,
            status: status.unwrap_or(LotStatus::Released),
        });
        Ok(LotRef::New(idx, code.clone()))
    }

    /// Checks what a request says about a stored lot. What the lot records
    /// may not be contradicted; what it does not record yet (a lot defined
    /// before it arrived, a supplier lot code learned later) is filled in,
    /// once, by the transaction that states it.
    fn known_lot(
        &mut self,
        item: &ItemRecord,
        lot: &LotRecord,
        details: &LotDetails,
        field: &str,
        arrival: Option<Date>,
    ) -> PResult<()> {
        let stored = self.filled.get(&lot.id).unwrap_or(&lot.details).clone();
        if let Some((name, was, given)) = details.conflict_with(&stored.with_unknown_from(details)) {
            return err(
                Rule::LotConflict,
                format!("{field}.{name}"),
                format!("lot {} of {} records {name} {was}; this request says {given}", lot.code, item.spec.sku),
            );
        }
        let mut next = stored.with_unknown_from(details);
        next.check().map_err(|e| DomainError::invalid(field, e))?;
        default_expiry(item, &mut next, arrival);
        if next != stored {
            self.filled.insert(lot.id, next.clone());
            self.plan.effects.push(Effect::FillLotDetails { lot_id: lot.id, details: next });
        }
        Ok(())
    }

    fn existing_lot(&mut self, item: &ItemRecord, code: &LotCode, field: &str) -> PResult<Arc<LotRecord>> {
        match self.view.lot(item.id, code)? {
            Some(l) => Ok(l),
            None => err(Rule::NotFound, field, format!("unknown lot {code} of {}", item.spec.sku)),
        }
    }

    /// Checks a line's lot against the item's tracking mode.
    fn check_lot_presence(
        &self,
        item: &ItemRecord,
        lot: Option<&LotCode>,
        serial_line: bool,
        field: &str,
    ) -> PResult<()> {
        let t = item.spec.tracking;
        match lot {
            Some(_) if !t.needs_lot() => err(
                Rule::LotNotTracked,
                format!("{field}.lot"),
                format!("item {} is not tracked by lot", item.spec.sku),
            ),
            // A serial inside a lot knows its lot; only new serials need one.
            None if t.needs_lot() && !serial_line => err(
                Rule::LotRequired,
                format!("{field}.lot"),
                format!("item {} is tracked by lot: give a lot", item.spec.sku),
            ),
            _ => Ok(()),
        }
    }

    fn check_units(&self, item: &ItemRecord, by_serial: bool, field: &str) -> PResult<()> {
        let sku = &item.spec.sku;
        match (item.spec.tracking.needs_serial(), by_serial) {
            (true, false) => err(
                Rule::SerialRequired,
                format!("{field}.units"),
                format!("item {sku} is serial-tracked: it moves only by serial"),
            ),
            (false, true) => err(
                Rule::SerialNotTracked,
                format!("{field}.units"),
                format!("item {sku} is not serial-tracked: give a quantity"),
            ),
            _ => Ok(()),
        }
    }

    fn serial_count_ok(&self, n: usize, field: &str) -> PResult<()> {
        if n == 0 || n > MAX_SERIALS_PER_TRANSACTION {
            return err(Rule::InvalidValue, field, format!("give 1 to {MAX_SERIALS_PER_TRANSACTION} serials, not {n}"));
        }
        Ok(())
    }

    fn push_move(
        &mut self,
        item: &Arc<ItemRecord>,
        lot: Option<LotRef>,
        serial: Option<SerialRef>,
        (from, to): (&Arc<LocationRecord>, &Arc<LocationRecord>),
        qty: i64,
        field: Arc<str>,
    ) -> PResult<()> {
        // A reversal only undoes a record (the stock never moved), so it
        // may put a now-held lot back where the original took it from.
        if self.plan.reverses.is_none() {
            if let Some(LotRef::Existing(l)) = &lot {
                check_blocked(l, to, &field)?;
            }
            if let Some(SerialRef::Existing(id, s)) = &serial {
                self.check_serial_blocked(item, *id, s, to, &field)?;
            }
        }
        self.plan.effects.push(Effect::Move(PlannedMove {
            item: item.clone(),
            lot,
            serial,
            from: from.clone(),
            to: to.clone(),
            qty,
            field,
            weight: None,
        }));
        Ok(())
    }

    /// Records a catch-weight line's weight on the move just planned. A
    /// catch-weight item's receipts and shipments need it; other items
    /// have none.
    fn weigh(
        &mut self,
        item: &ItemRecord,
        weight: Option<&crate::command::Amount>,
        needed: bool,
        field: &str,
    ) -> PResult<()> {
        let sku = &item.spec.sku;
        let (Some(w), Some(_)) = (weight, &item.spec.catch_weight_uom) else {
            return match (weight, &item.spec.catch_weight_uom) {
                (Some(_), None) => err(
                    Rule::InvalidValue,
                    format!("{field}.units.weighed"),
                    format!("{sku} is not a catch-weight item; give its quantity alone"),
                ),
                (None, Some(uom)) if needed => err(
                    Rule::InvalidValue,
                    format!("{field}.units"),
                    format!("{sku} is a catch-weight item: give the line's weight in {uom} next to its count"),
                ),
                _ => Ok(()),
            };
        };
        let grams = w
            .to_qty(crate::quantity::Scale::new(3).map_err(|e| DomainError::invalid("weight", e))?)
            .map_err(|e| DomainError::invalid(format!("{field}.units.weighed.weight"), e))?
            .units();
        if let Some(Effect::Move(m)) = self.plan.effects.last_mut() {
            m.weight = Some(grams);
        }
        Ok(())
    }

    fn receive(&mut self, from: Option<&PlaceRef>, to: &PlaceRef, lines: &[ReceiveLine]) -> PResult<()> {
        let from = match from {
            Some(f) => self.place(f, "from")?,
            None => self.root(LocationKind::Supplier)?,
        };
        self.expect_kind(&from, &[LocationKind::Supplier], "from", "a receipt comes from a supplier")?;
        let to = self.place(to, "to")?;
        self.expect_kind(
            &to,
            &[LocationKind::Internal, LocationKind::Quarantine],
            "to",
            "a receipt goes to an internal or quarantine location",
        )?;
        if lines.is_empty() {
            return err(Rule::InvalidValue, "lines", "a receipt needs at least one line");
        }
        for (i, line) in lines.iter().enumerate() {
            let field = format!("lines[{i}]");
            self.receive_line(line, &from, &to, &field)?;
        }
        Ok(())
    }

    fn receive_line(
        &mut self,
        line: &ReceiveLine,
        from: &Arc<LocationRecord>,
        to: &Arc<LocationRecord>,
        field: &str,
    ) -> PResult<()> {
        let item = self.item(&line.sku, &format!("{field}.sku"))?;
        let by_serial = matches!(line.units, ReceiveUnits::Serials(_) | ReceiveUnits::Generate(_));
        self.check_units(&item, by_serial, field)?;
        self.check_lot_presence(&item, line.lot.as_ref(), false, field)?;
        let lot = match &line.lot {
            Some(code) => {
                let arrival = Some(to.zone.day(self.occurred_at));
                let lot =
                    self.lot_ref(&item, code, &line.details, line.status, &format!("{field}.details"), arrival)?;
                if let LotRef::Existing(l) = &lot {
                    self.check_supplier(&item, l, from, field)?;
                }
                Some(lot)
            }
            None if !line.details.is_empty() || line.status.is_some() => {
                return err(
                    Rule::LotNotTracked,
                    format!("{field}.details"),
                    format!("item {} has no lots to carry details", item.spec.sku),
                );
            }
            None => None,
        };
        match &line.units {
            ReceiveUnits::Quantity(a) | ReceiveUnits::Weighed { quantity: a, .. } => {
                let qty = a
                    .to_qty(item.spec.scale)
                    .map_err(|e| DomainError::invalid(format!("{field}.units.quantity"), e))?;
                self.push_move(&item, lot, None, (from, to), qty.units(), field.into())?;
                let weight = match &line.units {
                    ReceiveUnits::Weighed { weight, .. } => Some(weight),
                    _ => None,
                };
                self.weigh(&item, weight, from.kind == LocationKind::Supplier, field)?;
            }
            ReceiveUnits::Serials(serials) => {
                let base = format!("{field}.units.serials");
                self.serial_count_ok(serials.len(), &base)?;
                let shared: Arc<str> = base.as_str().into();
                let mut known = self.view.serials_known(item.id, serials)?;
                for (j, s) in serials.iter().enumerate() {
                    let rec = known.remove(s);
                    let r = self.arriving_serial(&item, s, lot.as_ref(), rec, At { base: &base, index: Some(j) })?;
                    self.push_move(&item, lot.clone(), Some(r), (from, to), 1, shared.clone())?;
                }
            }
            ReceiveUnits::Generate(n) => {
                let f = format!("{field}.units.generate");
                self.serial_count_ok(*n as usize, &f)?;
                let Some(pattern) = item.spec.serial_pattern.clone() else {
                    return err(
                        Rule::InvalidValue,
                        f,
                        format!("item {} has no serial pattern to generate from", item.spec.sku),
                    );
                };
                let mut counter = self.view.serial_counter(item.id)?;
                let shared: Arc<str> = f.as_str().into();
                let mut made = 0_u32;
                while made < *n {
                    let text = pattern.render(counter, to.zone.day(self.occurred_at));
                    counter = counter.checked_add(1).ok_or_else(|| {
                        DomainError::at(Rule::InvalidValue, f.clone(), "the item's serial counter is used up")
                    })?;
                    let s = Serial::parse(&text).map_err(|e| DomainError::invalid(f.clone(), e))?;
                    if self.view.serial(item.id, &s)?.is_some() || self.new_serials.contains(&(item.id, s.clone())) {
                        continue;
                    }
                    let r = self.arriving_serial(&item, &s, lot.as_ref(), None, At { base: &f, index: None })?;
                    self.push_move(&item, lot.clone(), Some(r), (from, to), 1, shared.clone())?;
                    self.plan.generated.push(s);
                    made = made.saturating_add(1);
                }
                self.plan.effects.push(Effect::SetSerialCounter { item_id: item.id, next: counter });
            }
        }
        Ok(())
    }

    /// A serial coming into stock from outside (receipt or found in a
    /// count): new, or known but held nowhere (its receipt was reversed).
    fn arriving_serial(
        &mut self,
        item: &ItemRecord,
        s: &Serial,
        lot: Option<&LotRef>,
        known: Option<SerialRecord>,
        field: At<'_>,
    ) -> PResult<SerialRef> {
        let sku = &item.spec.sku;
        if !self.new_serials.insert((item.id, s.clone())) {
            return err(
                Rule::SerialExists,
                field.to_string(),
                format!("serial {s} of {sku} appears twice in this request"),
            );
        }
        item.spec.serial_kind.check(s).map_err(|e| DomainError::invalid(field.to_string(), e))?;
        match known {
            Some(rec) => {
                if let Some(at) = &rec.at {
                    return err(
                        Rule::SerialExists,
                        field.to_string(),
                        format!(
                            "serial {s} of {sku} already exists (at {}); a unit coming back from a customer arrives through `return`",
                            at.path
                        ),
                    );
                }
                let same_lot = match (rec.lot_id, lot) {
                    (None, None) => true,
                    (Some(id), Some(LotRef::Existing(l))) => id == l.id,
                    _ => false,
                };
                if !same_lot {
                    return err(
                        Rule::LotConflict,
                        field.to_string(),
                        format!("serial {s} of {sku} belongs to another lot"),
                    );
                }
                Ok(SerialRef::Existing(rec.id, s.clone()))
            }
            None => {
                let idx = self.serial_count;
                // Serials per batch are bounded (see Limits), far below usize.
                self.serial_count = idx.saturating_add(1);
                self.plan.effects.push(Effect::CreateSerial { item_id: item.id, serial: s.clone(), lot: lot.cloned() });
                Ok(SerialRef::New(idx, s.clone()))
            }
        }
    }

    fn lines(
        &mut self,
        lines: &[Line],
        from: &Arc<LocationRecord>,
        to: &Arc<LocationRecord>,
        leaving: Leaving,
    ) -> PResult<()> {
        if lines.is_empty() {
            return err(Rule::InvalidValue, "lines", "give at least one line");
        }
        for (i, line) in lines.iter().enumerate() {
            self.line(line, &format!("lines[{i}]"), from, to, leaving)?;
        }
        Ok(())
    }

    fn line(
        &mut self,
        line: &Line,
        field: &str,
        from: &Arc<LocationRecord>,
        to: &Arc<LocationRecord>,
        leaving: Leaving,
    ) -> PResult<()> {
        let item = self.item(&line.sku, &format!("{field}.sku"))?;
        let by_serial = matches!(line.units, Units::Serials(_));
        self.check_units(&item, by_serial, field)?;
        self.check_lot_presence(&item, line.lot.as_ref(), by_serial, field)?;
        match &line.units {
            Units::Quantity(a) | Units::Weighed { quantity: a, .. } => {
                let qty = a
                    .to_qty(item.spec.scale)
                    .map_err(|e| DomainError::invalid(format!("{field}.units.quantity"), e))?;
                let lot = match &line.lot {
                    Some(code) => Some(self.existing_lot(&item, code, &format!("{field}.lot"))?),
                    None => None,
                };
                if let Some(l) = &lot {
                    self.check_leaving(&item, l, leaving, At { base: field, index: None })?;
                }
                if leaving == Leaving::Return {
                    let held = self.view.balance(BalanceKey {
                        item_id: item.id,
                        lot_id: lot.as_ref().map(|l| l.id),
                        serial_id: None,
                        location_id: from.id,
                    })?;
                    if held < qty.units() {
                        return err(
                            Rule::ReturnExceedsShipped,
                            format!("{field}.units.quantity"),
                            format!(
                                "{} holds {} of {}; {} cannot come back",
                                from.path,
                                item.spec.scale.format(held.max(0)),
                                item.spec.sku,
                                a.as_str()
                            ),
                        );
                    }
                }
                self.push_move(&item, lot.map(LotRef::Existing), None, (from, to), qty.units(), field.into())?;
                let weight = match &line.units {
                    Units::Weighed { weight, .. } => Some(weight),
                    _ => None,
                };
                self.weigh(&item, weight, matches!(leaving, Leaving::Shipment { .. }), field)?;
            }
            Units::Serials(serials) => {
                let base = format!("{field}.units.serials");
                self.serial_count_ok(serials.len(), &base)?;
                let shared: Arc<str> = base.as_str().into();
                let mut seen = HashSet::with_capacity(serials.len());
                for (j, s) in serials.iter().enumerate() {
                    let f = At { base: &base, index: Some(j) };
                    if !seen.insert(s) {
                        return err(
                            Rule::SerialExists,
                            f.to_string(),
                            format!("serial {s} appears twice in this line"),
                        );
                    }
                    let (sref, lot) = self.serial_at(&item, s, line.lot.as_ref(), from, f)?;
                    if let Some(l) = &lot {
                        self.check_leaving(&item, l, leaving, f)?;
                    }
                    let outgoing = matches!(leaving, Leaving::Shipment { .. } | Leaving::Consumption { .. });
                    if let (true, SerialRef::Existing(id, _)) = (outgoing, &sref) {
                        self.check_components(&item, *id, s, f)?;
                    }
                    self.push_move(&item, lot.map(LotRef::Existing), Some(sref), (from, to), 1, shared.clone())?;
                }
            }
        }
        Ok(())
    }

    /// A serial that must be at `from` now; returns it with its lot.
    fn serial_at(
        &mut self,
        item: &ItemRecord,
        s: &Serial,
        lot: Option<&LotCode>,
        from: &LocationRecord,
        field: At<'_>,
    ) -> PResult<(SerialRef, Option<Arc<LotRecord>>)> {
        let sku = &item.spec.sku;
        let Some(rec) = self.view.serial(item.id, s)? else {
            return err(Rule::NotFound, field.to_string(), format!("unknown serial {s} of {sku}"));
        };
        match &rec.at {
            Some(at) if at.id == from.id => {}
            Some(at) => {
                return err(
                    Rule::SerialNotThere,
                    field.to_string(),
                    format!("serial {s} of {sku} is at {}, not at {}", at.path, from.path),
                );
            }
            None => {
                return err(
                    Rule::SerialNotThere,
                    field.to_string(),
                    format!("serial {s} of {sku} is not in stock anywhere"),
                );
            }
        }
        let lot_rec = match rec.lot_id {
            Some(id) => Some(self.view.lot_by_id(id)?),
            None => None,
        };
        if let Some(code) = lot
            && lot_rec.as_ref().is_none_or(|l| &l.code != code)
        {
            return err(Rule::LotConflict, field.to_string(), format!("serial {s} of {sku} is not in lot {code}"));
        }
        Ok((SerialRef::Existing(rec.id, s.clone()), lot_rec))
    }

    /// A lot is one supplier's: receiving its code from another supplier
    /// would merge two suppliers' goods into one lot and make every trace
    /// name both, so it is refused; the other supplier's lot gets a code of
    /// its own (with theirs kept as `supplier_lot`).
    fn check_supplier(
        &mut self,
        item: &ItemRecord,
        lot: &LotRecord,
        from: &LocationRecord,
        field: &str,
    ) -> PResult<()> {
        if from.kind != LocationKind::Supplier {
            return Ok(());
        }
        let Some(first) = self.view.lot_supplier(item.id, lot.id)? else { return Ok(()) };
        if first == from.id {
            return Ok(());
        }
        let first = self.view.location_by_id(first)?;
        err(
            Rule::LotOtherSupplier,
            format!("{field}.lot"),
            format!(
                "lot {} of {} came from {}, not {}; receive this delivery under a lot code of its own and keep the supplier's code as supplier_lot",
                lot.code, item.spec.sku, first.path, from.path
            ),
        )
    }

    /// Refuses a unit that holds `what` (a component or a part) of a lot
    /// that is not released.
    fn check_part_lot(
        &mut self,
        (item, serial): (&ItemRecord, &Serial),
        lot_id: i64,
        what: &str,
        field: At<'_>,
    ) -> PResult<()> {
        let lot = self.view.lot_by_id(lot_id)?;
        if lot.status == LotStatus::Released || (self.legacy && !lot.status.is_blocked()) {
            return Ok(());
        }
        let rule = match lot.status {
            LotStatus::Recalled => Rule::LotRecalled,
            LotStatus::Quarantine => Rule::LotNotReleased,
            _ => Rule::LotBlocked,
        };
        err(
            rule,
            field.to_string(),
            format!(
                "{} {serial} holds {what} of lot {}, which is {}; replace it before the unit ships or is used",
                item.spec.sku,
                lot.code,
                lot.status.as_str()
            ),
        )
    }

    /// A serialized unit ships, or goes into production, only if nothing
    /// installed in it, at any depth, is held, recalled or rejected, or
    /// belongs to a lot that is not released.
    fn check_components(&mut self, item: &ItemRecord, serial_id: i64, serial: &Serial, field: At<'_>) -> PResult<()> {
        let mut todo = vec![(item.id, serial_id)];
        let mut seen = HashSet::new();
        while let Some((parent_item, parent_serial)) = todo.pop() {
            if !seen.insert((parent_item, parent_serial)) {
                continue;
            }
            for (part_item, part_lot, _) in self.view.lots_in(parent_item, parent_serial)? {
                let part = self.view.item_by_id(part_item)?;
                self.check_part_lot((item, serial), part_lot, &part.spec.sku.to_string(), field)?;
            }
            for (component_item, component_serial) in self.view.components_in(parent_item, parent_serial)? {
                todo.push((component_item, component_serial));
                let number = self.view.serial_by_id(component_serial)?;
                if let Some(status) = self.view.held_serials()?.get(&component_serial).copied() {
                    let component = self.view.item_by_id(component_item)?;
                    return err(
                        Rule::SerialBlocked,
                        field.to_string(),
                        format!(
                            "{} {serial} holds {} {number}, which is {}; replace that component before the unit ships or is used",
                            item.spec.sku,
                            component.spec.sku,
                            status.as_str()
                        ),
                    );
                }
                let Some(lot_id) = self.view.serial(component_item, &number)?.and_then(|r| r.lot_id) else {
                    continue;
                };
                let component = self.view.item_by_id(component_item)?;
                self.check_part_lot((item, serial), lot_id, &format!("{} {number}", component.spec.sku), field)?;
            }
        }
        Ok(())
    }

    fn check_leaving(&mut self, item: &ItemRecord, lot: &LotRecord, leaving: Leaving, field: At<'_>) -> PResult<()> {
        let outgoing = matches!(leaving, Leaving::Consumption { .. } | Leaving::Shipment { .. });
        if outgoing && lot.status == LotStatus::Recalled {
            return err(
                Rule::LotRecalled,
                field.to_string(),
                format!("lot {} is under recall; it can neither ship nor go into production", lot.code),
            );
        }
        let hard = item.spec.date_rule == DateRule::HardExpiry;
        if let Leaving::Consumption { day } = leaving {
            if lot.status != LotStatus::Released {
                return err(
                    Rule::LotNotReleased,
                    field.to_string(),
                    format!("lot {} is {}; only released lots go into production", lot.code, lot.status.as_str()),
                );
            }
            if let Some(by) = lot.details.ship_by().filter(|by| hard && *by < day) {
                return err(
                    Rule::LotExpired,
                    field.to_string(),
                    format!(
                        "lot {} expired on {by}; {} has a hard expiry, so it cannot go into production",
                        lot.code, item.spec.sku
                    ),
                );
            }
        }
        let Leaving::Shipment { allow_expired, allow_short, min_days, day } = leaving else {
            return Ok(());
        };
        if lot.status != LotStatus::Released {
            return err(
                Rule::LotNotReleased,
                field.to_string(),
                format!("lot {} is {}; only released lots ship", lot.code, lot.status.as_str()),
            );
        }
        let Some(by) = lot.details.ship_by() else { return Ok(()) };
        if by < day {
            return self.ship_expired(item, lot, by, allow_expired, field);
        }
        let Some((min, who)) = required_shelf_life(min_days, item.spec.min_remaining_days) else { return Ok(()) };
        let left = day.until(by).map_or(i32::MAX, |span| span.get_days());
        if left >= i32::try_from(min).unwrap_or(i32::MAX) {
            return Ok(());
        }
        if !allow_short {
            return err(
                Rule::ShelfLifeTooShort,
                field.to_string(),
                format!(
                    "lot {} has {left} days left (until {by}); {who} {min}; ship it only with allow_short_shelf_life and a reason",
                    lot.code
                ),
            );
        }
        let subject = format!("lot {} with {left} days left, {who} {min}", lot.code);
        self.record_override(lot.id, Rule::ShelfLifeTooShort, "allow_short_shelf_life", subject)
    }

    /// Records a rule a shipment overrides for a lot, once per lot, with
    /// the request's reason (which the override needs).
    fn record_override(&mut self, lot_id: i64, rule: Rule, flag: &str, subject: String) -> PResult<()> {
        if self.overridden.insert(lot_id) {
            let reason = self.reason(flag)?.to_owned();
            self.plan.overrides.push(Override { rule: rule.code().into(), subject, reason });
        }
        Ok(())
    }

    /// A lot past its date ships only if the item's date is a best-before
    /// and the shipment overrides it with a reason; a hard expiry is final.
    fn ship_expired(
        &mut self,
        item: &ItemRecord,
        lot: &LotRecord,
        by: Date,
        allow_expired: bool,
        field: At<'_>,
    ) -> PResult<()> {
        if item.spec.date_rule == DateRule::HardExpiry {
            return err(
                Rule::LotExpired,
                field.to_string(),
                format!(
                    "lot {} expired on {by}; {} has a hard expiry, so it never ships: scrap it or return it to the supplier",
                    lot.code, item.spec.sku
                ),
            );
        }
        if !allow_expired {
            return err(
                Rule::LotExpired,
                field.to_string(),
                format!(
                    "lot {} expired on {by} (a best-before date); ship it only with allow_expired and a reason",
                    lot.code
                ),
            );
        }
        self.record_override(lot.id, Rule::LotExpired, "allow_expired", format!("lot {} expired on {by}", lot.code))
    }

    /// Adjustments in: quantities of known lots, and serials that are new
    /// or held nowhere.
    fn found_lines(&mut self, lines: &[Line], adj: &Arc<LocationRecord>, at: &Arc<LocationRecord>) -> PResult<()> {
        if lines.is_empty() {
            return err(Rule::InvalidValue, "lines", "give at least one line");
        }
        for (i, line) in lines.iter().enumerate() {
            let field = format!("lines[{i}]");
            let Units::Serials(serials) = &line.units else {
                self.line(line, &field, adj, at, Leaving::Plain)?;
                continue;
            };
            let item = self.item(&line.sku, &format!("{field}.sku"))?;
            self.check_units(&item, true, &field)?;
            self.check_lot_presence(&item, line.lot.as_ref(), false, &field)?;
            let lot = match &line.lot {
                Some(code) => Some(LotRef::Existing(self.existing_lot(&item, code, &format!("{field}.lot"))?)),
                None => None,
            };
            let base = format!("{field}.units.serials");
            self.serial_count_ok(serials.len(), &base)?;
            let shared: Arc<str> = base.as_str().into();
            let mut known = self.view.serials_known(item.id, serials)?;
            for (j, s) in serials.iter().enumerate() {
                let rec = known.remove(s);
                let field = At { base: &base, index: Some(j) };
                // A unit written off earlier (a count missed it) comes back
                // from adjustment, where the write-off put it.
                if let Some(r) = rec.as_ref().filter(|r| r.at.as_ref().is_some_and(|a| a.id == adj.id)) {
                    if !self.new_serials.insert((item.id, s.clone())) {
                        return err(
                            Rule::SerialExists,
                            field.to_string(),
                            format!("serial {s} appears twice in this request"),
                        );
                    }
                    let lot = match r.lot_id {
                        Some(l) => Some(LotRef::Existing(self.view.lot_by_id(l)?)),
                        None => None,
                    };
                    let found = SerialRef::Existing(r.id, s.clone());
                    self.push_move(&item, lot, Some(found), (adj, at), 1, shared.clone())?;
                    continue;
                }
                let r = self.arriving_serial(&item, s, lot.as_ref(), rec, field)?;
                self.push_move(&item, lot.clone(), Some(r), (adj, at), 1, shared.clone())?;
            }
        }
        Ok(())
    }

    /// A count: every difference is posted against adjustment, and needs
    /// a reason.
    fn count(&mut self, at: &PlaceRef, sku: &Sku, lot: Option<&LotCode>, counted: &Counted) -> PResult<()> {
        let at = self.internal(at, "at")?;
        let adj = self.root(LocationKind::Adjustment)?;
        let item = self.item(sku, "sku")?;
        let before = self.plan.effects.len();
        match counted {
            Counted::Lots(by_lot) => self.count_lots(&item, (&at, &adj), lot, by_lot)?,
            Counted::Quantity(a) => {
                let lot = self.counted_lot(&item, lot, false)?;
                let units = a.to_units(item.spec.scale).map_err(|e| DomainError::invalid("counted.quantity", e))?;
                self.count_quantity(&item, lot, (&at, &adj), units, "counted")?;
            }
            Counted::Serials(found) => {
                let lot = self.counted_lot(&item, lot, true)?;
                self.count_serials(&item, (&at, &adj), lot, found)?;
            }
        }
        if self.plan.effects.len() > before {
            self.reason("reason")?;
        }
        Ok(())
    }

    /// The lot a quantity or serial count names, checked against the item.
    fn counted_lot(
        &mut self,
        item: &ItemRecord,
        lot: Option<&LotCode>,
        by_serial: bool,
    ) -> PResult<Option<Arc<LotRecord>>> {
        self.check_units(item, by_serial, "counted")?;
        self.check_lot_presence(item, lot, by_serial, "counted")?;
        match lot {
            Some(code) => Ok(Some(self.existing_lot(item, code, "lot")?)),
            None => Ok(None),
        }
    }

    /// Posts a counted quantity of one lot (or of an item without lots).
    fn count_quantity(
        &mut self,
        item: &Arc<ItemRecord>,
        lot: Option<Arc<LotRecord>>,
        (at, adj): (&Arc<LocationRecord>, &Arc<LocationRecord>),
        units: i64,
        field: &str,
    ) -> PResult<()> {
        let key =
            BalanceKey { item_id: item.id, lot_id: lot.as_ref().map(|l| l.id), serial_id: None, location_id: at.id };
        let booked = self.view.balance(key)?;
        let lot = lot.map(LotRef::Existing);
        // Both are within 0..=i64::MAX, so each difference fits.
        if units > booked {
            self.push_move(item, lot, None, (adj, at), units.saturating_sub(booked), field.into())?;
        } else if units < booked {
            self.push_move(item, lot, None, (at, adj), booked.saturating_sub(units), field.into())?;
        }
        Ok(())
    }

    /// A count of every lot of an item at a location: listed lots as found,
    /// booked lots not listed as zero.
    fn count_lots(
        &mut self,
        item: &Arc<ItemRecord>,
        (at, adj): (&Arc<LocationRecord>, &Arc<LocationRecord>),
        lot: Option<&LotCode>,
        by_lot: &std::collections::BTreeMap<LotCode, crate::command::Amount>,
    ) -> PResult<()> {
        let sku = &item.spec.sku;
        if lot.is_some() {
            return err(Rule::InvalidValue, "lot", "a count by lot lists its lots; give no lot besides");
        }
        if item.spec.tracking != crate::item::Tracking::Lot {
            return err(
                Rule::InvalidValue,
                "counted.lots",
                format!("{sku} is not counted by lot; count its quantity or serials"),
            );
        }
        let mut listed = HashSet::new();
        for (code, amount) in by_lot {
            let field = format!("counted.lots.{code}");
            let l = self.existing_lot(item, code, &field)?;
            let units = amount.to_units(item.spec.scale).map_err(|e| DomainError::invalid(field.clone(), e))?;
            listed.insert(l.id);
            self.count_quantity(item, Some(l), (at, adj), units, &field)?;
        }
        for lot_id in self.view.lots_at(item.id, at.id)? {
            if !listed.contains(&lot_id) {
                let l = self.view.lot_by_id(lot_id)?;
                let field = format!("counted.lots.{}", l.code);
                self.count_quantity(item, Some(l), (at, adj), 0, &field)?;
            }
        }
        Ok(())
    }

    /// A count of serials: missing ones go out to adjustment, found ones come in.
    fn count_serials(
        &mut self,
        item: &Arc<ItemRecord>,
        (at, adj): (&Arc<LocationRecord>, &Arc<LocationRecord>),
        lot: Option<Arc<LotRecord>>,
        found: &[Serial],
    ) -> PResult<()> {
        if found.len() > MAX_SERIALS_PER_TRANSACTION {
            return err(
                Rule::InvalidValue,
                "counted.serials",
                format!("at most {MAX_SERIALS_PER_TRANSACTION} serials per count"),
            );
        }
        let here = self.view.serials_at(item.id, at.id)?;
        let found_set: HashSet<&Serial> = found.iter().collect();
        if found_set.len() != found.len() {
            return err(Rule::SerialExists, "counted.serials", "a serial appears twice in the count");
        }
        let in_scope = |l: Option<i64>| lot.as_ref().is_none_or(|lr| Some(lr.id) == l);
        let shared: Arc<str> = "counted.serials".into();
        let here_set: HashSet<&Serial> = here.iter().filter(|(_, _, l)| in_scope(*l)).map(|(_, s, _)| s).collect();
        for (id, s, lot_id) in here.iter().filter(|(_, s, l)| in_scope(*l) && !found_set.contains(s)) {
            let lot = match lot_id {
                Some(l) => Some(LotRef::Existing(self.view.lot_by_id(*l)?)),
                None => None,
            };
            self.push_move(item, lot, Some(SerialRef::Existing(*id, s.clone())), (at, adj), 1, shared.clone())?;
        }
        for (j, s) in found.iter().enumerate().filter(|(_, s)| !here_set.contains(s)) {
            let f = At { base: "counted.serials", index: Some(j) };
            match self.view.serial(item.id, s)? {
                // In another bin, or written off by an earlier count: move it here.
                Some(SerialRecord { id, lot_id, at: Some(elsewhere) })
                    if elsewhere.kind == LocationKind::Internal || elsewhere.id == adj.id =>
                {
                    let lot = match lot_id {
                        Some(l) => Some(LotRef::Existing(self.view.lot_by_id(l)?)),
                        None => None,
                    };
                    self.push_move(
                        item,
                        lot,
                        Some(SerialRef::Existing(id, s.clone())),
                        (&elsewhere, at),
                        1,
                        shared.clone(),
                    )?;
                }
                other => {
                    let lot = lot.clone().map(LotRef::Existing);
                    let r = self.arriving_serial(item, s, lot.as_ref(), other, f)?;
                    self.push_move(item, lot, Some(r), (adj, at), 1, shared.clone())?;
                }
            }
        }
        Ok(())
    }

    fn reverse(&mut self, id: &TxId) -> PResult<()> {
        let Some(tx) = self.view.transaction(id)? else {
            return err(Rule::NotFound, "tx", format!("unknown transaction {id}"));
        };
        if tx.reverses.is_some() {
            return err(
                Rule::NotReversible,
                "tx",
                format!("transaction {id} is itself a reversal; post the original command again instead"),
            );
        }
        if let Some(by) = tx.reversed_by {
            return err(
                Rule::NotReversible,
                "tx",
                format!("transaction {id} was already reversed by transaction #{by}"),
            );
        }
        if tx.kind == "assemble" {
            return err(
                Rule::NotReversible,
                "tx",
                format!("transaction {id} changed an assembly; undo it with another assemble command"),
            );
        }
        if tx.kind == "arrive" {
            return err(
                Rule::NotReversible,
                "tx",
                format!(
                    "transaction {id} is an arrival, which closes its dispatch; correct it with a transfer at the site"
                ),
            );
        }
        if let Some(arrival) = self.view.arrival_of(tx.seq)? {
            return err(
                Rule::NotReversible,
                "tx",
                format!("dispatch {id} arrived already (#{arrival}); its stock is no longer in transit"),
            );
        }
        if tx.movements.is_empty() {
            return err(
                Rule::NotReversible,
                "tx",
                format!("transaction {id} ({}) moved no stock; correct it with a new command", tx.kind),
            );
        }
        self.plan.reverses = Some(tx.seq);
        let shared: Arc<str> = "tx".into();
        for m in tx.movements.iter().rev() {
            let item = self.view.item_by_id(m.item_id)?;
            let lot = match m.lot_id {
                Some(l) => Some(LotRef::Existing(self.view.lot_by_id(l)?)),
                None => None,
            };
            let serial = match m.serial_id {
                Some(s) => Some(SerialRef::Existing(s, self.view.serial_by_id(s)?)),
                None => None,
            };
            let from = self.view.location_by_id(m.to_id)?;
            let to = self.view.location_by_id(m.from_id)?;
            if let Some(SerialRef::Existing(_, s)) = &serial {
                let at = self.view.serial(item.id, s)?.and_then(|r| r.at);
                if at.as_ref().is_none_or(|a| a.id != from.id) {
                    let now = at.map_or_else(|| "in stock nowhere".to_owned(), |a| format!("at {}", a.path));
                    return err(
                        Rule::SerialNotThere,
                        "tx",
                        format!(
                            "serial {s} of {} is {now}; undoing this transaction needs it at {}",
                            item.spec.sku, from.path
                        ),
                    );
                }
            }
            self.push_move(&item, lot, serial, (&from, &to), m.qty, shared.clone())?;
        }
        Ok(())
    }
}
