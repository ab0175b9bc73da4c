//! Commands: what a user asks the ledger to do. Every way in (CLI, API,
//! importer, scanner) builds these, and one service posts them.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::ValueError;
use crate::ids::{LocationPath, LotCode, PartnerCode, PlaceRef, Serial, Sku, TxId, UserName};
use crate::item::ItemSpec;
use crate::location::LocationKind;
use crate::lot::{LotDetails, LotStatus, RecallDecision};
use crate::quantity::{Qty, Scale};

/// A non-negative decimal quantity as the user wrote it (`"1.5"`), kept as
/// text until the item's scale turns it into exact units. Keeping the
/// user's words makes the stored request an honest record of what was asked.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Amount(String);

impl Amount {
    /// Checks decimal syntax: digits with at most one decimal point, no sign.
    /// The item's scale is applied later, when the item is known.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        let ok =
            s.len() <= 40 && !(int.is_empty() && frac.is_empty()) && !s.ends_with('.') && digits(int) && digits(frac);
        if !ok {
            return Err(ValueError::new("decimal", format!("{s:?} is not an unsigned decimal number")));
        }
        Ok(Amount(s.to_owned()))
    }

    /// Whole units, for callers that already hold an integer count.
    pub fn whole(n: u64) -> Self {
        Amount(n.to_string())
    }

    /// Exact units in `scale`, which must be positive.
    pub fn to_qty(&self, scale: Scale) -> Result<Qty, ValueError> {
        Qty::parse(&self.0, scale)
    }

    /// Exact units in `scale`, zero allowed (a count of an empty bin).
    pub fn to_units(&self, scale: Scale) -> Result<i64, ValueError> {
        scale.parse_signed(&self.0)
    }

    /// The text as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Amount {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Amount::parse(&s)
    }
}

impl From<Amount> for String {
    fn from(a: Amount) -> String {
        a.0
    }
}

/// Which units of an item a line moves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Units {
    /// A quantity of a non-serial item.
    Quantity(Amount),
    /// These serials, one unit each.
    Serials(Vec<Serial>),
    /// A quantity of a catch-weight item with its actual weight (cheese
    /// wheels: 12 counted, 131.4 kg weighed), in the item's weight unit.
    Weighed {
        /// The count, in the item's unit.
        quantity: Amount,
        /// The weight, in the item's catch-weight unit (up to 3 decimals).
        weight: Amount,
    },
}

/// One item's part of a movement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Line {
    /// The item.
    pub sku: Sku,
    /// The lot; for serials inside lots it may be left out (the serial knows it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot: Option<LotCode>,
    /// What moves.
    pub units: Units,
}

/// The units a receipt brings in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ReceiveUnits {
    /// A quantity of a non-serial item.
    Quantity(Amount),
    /// These serials.
    Serials(Vec<Serial>),
    /// This many new serials numbered by the item's serial pattern.
    Generate(u32),
    /// A quantity of a catch-weight item with its actual weight.
    Weighed {
        /// The count, in the item's unit.
        quantity: Amount,
        /// The weight, in the item's catch-weight unit (up to 3 decimals).
        weight: Amount,
    },
}

/// One item's part of a receipt, with the lot's details when it is new.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiveLine {
    /// The item.
    pub sku: Sku,
    /// The lot, created if new.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot: Option<LotCode>,
    /// Details of the lot; checked against a lot that already exists.
    #[serde(default, skip_serializing_if = "LotDetails::is_empty")]
    pub details: LotDetails,
    /// Status of a new lot (default `released`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<LotStatus>,
    /// What arrives.
    pub units: ReceiveUnits,
}

/// Whether an adjustment adds or removes stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Found stock: from `adjustment` into the location.
    In,
    /// Lost stock: from the location to `adjustment`.
    Out,
}

/// What a count found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Counted {
    /// The quantity on the shelf (zero allowed).
    Quantity(Amount),
    /// Exactly these serials are on the shelf.
    Serials(Vec<Serial>),
    /// The quantity of each lot on the shelf: every lot booked there and
    /// not listed counts as zero, so a wrong-lot finding shows both sides.
    Lots(std::collections::BTreeMap<LotCode, Amount>),
}

fn is_false(b: &bool) -> bool {
    !b
}

/// Everything the ledger can be asked to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    /// Add an item.
    DefineItem(ItemSpec),
    /// Add a packaging of an item: a case of 12, a pallet of 720, with a
    /// GTIN of its own, so that scanning the case books 12.
    DefinePackaging {
        /// The item inside.
        sku: Sku,
        /// Its name, unique for the item (`case`, `pallet`).
        name: String,
        /// The packaging's own GTIN (check digit verified).
        gtin: String,
        /// How much of the item one packaging holds, in the item's unit.
        quantity: Amount,
    },
    /// Add a location (and any missing ancestors, of the same kind).
    DefineLocation {
        /// Where in the tree.
        path: LocationPath,
        /// What it is.
        kind: LocationKind,
        /// The IANA time zone of the site (the root location) it belongs
        /// to; set when the site is created, inherited by its locations.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        time_zone: Option<crate::time::SiteZone>,
    },
    /// Add a supplier or customer with its own virtual location.
    DefinePartner {
        /// The partner's code.
        code: PartnerCode,
        /// A human name.
        name: String,
        /// `supplier` or `customer`.
        kind: LocationKind,
        /// Days of shelf life a customer requires on what it is shipped.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_shelf_life_days: Option<u32>,
    },
    /// Add a lot before any of it arrives.
    DefineLot {
        /// The item.
        sku: Sku,
        /// The lot code.
        lot: LotCode,
        /// Its details.
        #[serde(default)]
        details: LotDetails,
        /// Its first status (default `released`).
        #[serde(default)]
        status: Option<LotStatus>,
    },
    /// Close the recall of a lot with a decision (needs a reason): the
    /// only way a recalled lot's status changes.
    CloseRecall {
        /// The item.
        sku: Sku,
        /// The lot.
        lot: LotCode,
        /// What was decided; it becomes the lot's status.
        decision: RecallDecision,
    },
    /// Close the recall of serials with a decision (needs a reason): the
    /// only way a recalled serial's status changes.
    CloseSerialRecall {
        /// The item.
        sku: Sku,
        /// The recalled serials.
        serials: Vec<Serial>,
        /// What was decided; it becomes their status.
        decision: RecallDecision,
    },
    /// Hold, release, reject or recall single units, such as a VIN range
    /// (needs a reason).
    SetSerialStatus {
        /// The item.
        sku: Sku,
        /// The serials.
        serials: Vec<Serial>,
        /// Their new status (`quarantine` is a place, not a unit status).
        status: LotStatus,
    },
    /// Stock leaves quarantine for saleable (or in-transit) stock: a
    /// quality decision, by the qc role or a manager, with its reason.
    Release {
        /// The quarantine location.
        from: PlaceRef,
        /// The internal or transit location it goes to.
        to: PlaceRef,
        /// What is released.
        lines: Vec<Line>,
    },
    /// Puts stock of one lot under another lot code of the same item, at
    /// one location (needs a reason): a supplier's lot taken into an
    /// internal lot, or a wrong label found by a count. Recorded as a run
    /// from the old lot to the new one, so traces follow it.
    Relabel {
        /// Where the stock is.
        at: PlaceRef,
        /// The item.
        sku: Sku,
        /// The lot on the stock now.
        from_lot: LotCode,
        /// The lot it belongs under (created if new).
        to_lot: LotCode,
        /// How much.
        quantity: Amount,
        /// Details of a new `to_lot`; it otherwise takes the old lot's
        /// dates, with the old code as its supplier lot code if it has none.
        #[serde(default, skip_serializing_if = "LotDetails::is_empty")]
        details: LotDetails,
    },
    /// Attach a stored document (a certificate of analysis) to a lot, by
    /// its hash: the chain covers the document's content.
    AttachDocument {
        /// The item.
        sku: Sku,
        /// The lot.
        lot: LotCode,
        /// The document.
        document: crate::document::Attachment,
    },
    /// Change a lot's status (needs a reason).
    SetLotStatus {
        /// The item.
        sku: Sku,
        /// The lot.
        lot: LotCode,
        /// The new status.
        status: LotStatus,
    },
    /// Goods in from a supplier.
    Receive {
        /// The supplier (default: the `SUPPLIERS` location).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<PlaceRef>,
        /// The internal location that receives.
        to: PlaceRef,
        /// What arrives.
        lines: Vec<ReceiveLine>,
    },
    /// Between internal (or transit) locations.
    Transfer {
        /// Source.
        from: PlaceRef,
        /// Destination.
        to: PlaceRef,
        /// What moves.
        lines: Vec<Line>,
    },
    /// The second step of a transfer between sites: what arrived of a
    /// dispatch into transit goes to its destination. What was sent and
    /// did not arrive is written off from transit, with the reason; more
    /// than was sent, or what was not sent, is refused.
    Arrive {
        /// The transfer that sent the stock into transit.
        dispatch: TxId,
        /// Where it arrives (an internal or quarantine location).
        to: PlaceRef,
        /// What arrived.
        lines: Vec<Line>,
    },
    /// Goods out to a customer.
    Ship {
        /// Source.
        from: PlaceRef,
        /// The customer.
        to: PlaceRef,
        /// What ships.
        lines: Vec<Line>,
        /// Ship expired lots anyway; needs a reason, and is recorded.
        #[serde(default, skip_serializing_if = "is_false")]
        allow_expired: bool,
        /// Ship a lot with less shelf life than the customer requires (needs a reason).
        #[serde(default, skip_serializing_if = "is_false")]
        allow_short_shelf_life: bool,
    },
    /// Goods back from a customer (needs a reason).
    Return {
        /// The customer.
        from: PlaceRef,
        /// The internal location that takes them back.
        to: PlaceRef,
        /// What comes back.
        lines: Vec<Line>,
    },
    /// A correction against `adjustment` (needs a reason code).
    Adjust {
        /// The internal location.
        at: PlaceRef,
        /// In or out.
        direction: Direction,
        /// What is adjusted.
        lines: Vec<Line>,
    },
    /// A stock count: the difference is posted against `adjustment`.
    Count {
        /// The internal location counted.
        at: PlaceRef,
        /// The item.
        sku: Sku,
        /// The lot, for lot-tracked items.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lot: Option<LotCode>,
        /// What was found.
        counted: Counted,
    },
    /// Destroy stock: to `scrap`.
    Scrap {
        /// The internal location.
        at: PlaceRef,
        /// What is scrapped.
        lines: Vec<Line>,
    },
    /// Undo an earlier transaction with a new one that points at it.
    Reverse {
        /// The transaction to undo.
        tx: TxId,
    },
    /// One production run at an internal location: the inputs go to
    /// production and the outputs come from it, in one transaction, so the
    /// ledger itself records which inputs made which outputs.
    Produce {
        /// Where the run takes its inputs from and puts its outputs.
        at: PlaceRef,
        /// Inputs: existing lots or serials, consumed.
        consume: Vec<Line>,
        /// Outputs: new (or existing) lots and serials, produced.
        output: Vec<ReceiveLine>,
    },
    /// Installs serialized components into a serialized parent, removes
    /// them, or both at once (a replacement). Installed components sit in
    /// the `ASSEMBLIES` location; the ledger records which parent holds them.
    Assemble {
        /// The parent's item.
        parent_sku: Sku,
        /// The parent's serial.
        parent_serial: Serial,
        /// Components to install, by serial, taken from `from`.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        install: Vec<Line>,
        /// Components to remove, by serial, put into `to`.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        remove: Vec<Line>,
        /// Where installed components come from (an internal location).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<PlaceRef>,
        /// Where removed components go: stock, quarantine or scrap.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<PlaceRef>,
    },
}

impl Command {
    /// The stable name of the command, stored with the transaction.
    pub fn kind(&self) -> &'static str {
        match self {
            Command::DefineItem(_) => "define_item",
            Command::DefineLocation { .. } => "define_location",
            Command::DefinePackaging { .. } => "define_packaging",
            Command::DefinePartner { .. } => "define_partner",
            Command::DefineLot { .. } => "define_lot",
            Command::SetLotStatus { .. } => "set_lot_status",
            Command::CloseRecall { .. } => "close_recall",
            Command::CloseSerialRecall { .. } => "close_serial_recall",
            Command::SetSerialStatus { .. } => "set_serial_status",
            Command::Release { .. } => "release",
            Command::Relabel { .. } => "relabel",
            Command::Arrive { .. } => "arrive",
            Command::AttachDocument { .. } => "attach_document",
            Command::Receive { .. } => "receive",
            Command::Transfer { .. } => "transfer",
            Command::Ship { .. } => "ship",
            Command::Return { .. } => "return",
            Command::Adjust { .. } => "adjust",
            Command::Count { .. } => "count",
            Command::Scrap { .. } => "scrap",
            Command::Reverse { .. } => "reverse",
            Command::Produce { .. } => "produce",
            Command::Assemble { .. } => "assemble",
        }
    }
}

/// What a client submits: a command with its client-chosen id. Everything
/// here is the request's content for idempotency: posting the same id with
/// the same content returns the first result; different content is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// The client-chosen transaction id.
    pub id: TxId,
    /// What to do.
    pub command: Command,
    /// When it happened on the floor; `None` means when it is recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurred_at: Option<Timestamp>,
    /// The document behind it (PO, SO, RMA ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Why (required for returns, adjustments, status changes and overrides).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Request {
    /// A request with a fresh id and no document, reason or back-dating.
    pub fn new(command: Command) -> Self {
        Request { id: TxId::generate(), command, occurred_at: None, reference: None, reason: None }
    }

    /// The canonical JSON of the request's content, without the id (stored
    /// and chained beside it): what idempotency compares and the chain
    /// covers. serde_json writes struct fields in declaration order and the
    /// maps here are `BTreeMap`s, so equal content gives equal bytes.
    pub fn canonical_json(&self) -> String {
        #[derive(Serialize)]
        struct Content<'a> {
            command: &'a Command,
            #[serde(skip_serializing_if = "Option::is_none")]
            occurred_at: Option<&'a Timestamp>,
            #[serde(skip_serializing_if = "Option::is_none")]
            reference: Option<&'a String>,
            #[serde(skip_serializing_if = "Option::is_none")]
            reason: Option<&'a String>,
        }
        let content = Content {
            command: &self.command,
            occurred_at: self.occurred_at.as_ref(),
            reference: self.reference.as_ref(),
            reason: self.reason.as_ref(),
        };
        serde_json::to_string(&content).unwrap_or_default()
    }

    /// The request back from its id and [`Request::canonical_json`], as a
    /// ledger stores them: how a stored transaction is copied to another
    /// database and posted there again.
    pub fn from_canonical_json(id: TxId, json: &str) -> Result<Request, serde_json::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Content {
            command: Command,
            #[serde(default)]
            occurred_at: Option<Timestamp>,
            #[serde(default)]
            reference: Option<String>,
            #[serde(default)]
            reason: Option<String>,
        }
        let c: Content = serde_json::from_str(json)?;
        Ok(Request { id, command: c.command, occurred_at: c.occurred_at, reference: c.reference, reason: c.reason })
    }
}

/// A request together with who posts it. The user is recorded on the
/// transaction but is not part of the idempotent content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// What is asked.
    pub request: Request,
    /// Who asks.
    pub user: UserName,
}
