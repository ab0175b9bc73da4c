//! The command line: verbs and flags. Scripts depend on the verb names.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// tracelot: lot and serial inventory with an append-only, hash-chained ledger.
#[derive(Parser, Debug)]
#[command(name = "tracelot", version, about, propagate_version = true)]
pub struct Cli {
    /// The database: a SQLite file path (or sqlite://PATH), or a PostgreSQL URL
    /// (postgres://USER@HOST:PORT/DB). Default `tracelot.db` (for `serve`, the
    /// config file's `database` comes before the default).
    #[arg(long, global = true, env = "TRACELOT_DATABASE_URL")]
    pub db: Option<String>,
    /// Print one JSON document on stdout instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// Who is recorded on the transactions this command posts.
    #[arg(long, global = true, env = "TRACELOT_USER")]
    pub user: Option<String>,
    /// The verb.
    #[command(subcommand)]
    pub verb: Verb,
}

/// Every verb.
#[derive(Subcommand, Debug)]
pub enum Verb {
    /// Create the database (safe to run again).
    Init,
    /// Copy a whole installation (ledger with its hash chain, history,
    /// accounts and tokens) from one database to another: SQLite to
    /// PostgreSQL or back. The target must be new or empty; it is verified.
    MigrateStore {
        /// The installation to copy: a SQLite path or PostgreSQL URL.
        #[arg(long)]
        from: String,
        /// Where to copy it: a SQLite path or PostgreSQL URL.
        #[arg(long)]
        to: String,
    },
    /// Items (products, SKUs).
    #[command(subcommand)]
    Item(ItemVerb),
    /// Locations: internal bins and virtual places.
    #[command(subcommand)]
    Location(LocationVerb),
    /// Suppliers and customers.
    #[command(subcommand)]
    Partner(PartnerVerb),
    /// Lots: add, show, change status.
    #[command(subcommand)]
    Lot(LotVerb),
    /// Receive goods from a supplier.
    Receive(ReceiveArgs),
    /// Move stock between internal or transit locations.
    Transfer(MoveArgs),
    /// The second step of a transfer between sites: what arrived of a
    /// dispatch into transit goes to its destination; what was sent and did
    /// not arrive is written off from transit (needs --reason).
    Arrive(ArriveArgs),
    /// Release stock from quarantine into saleable or in-transit stock: a
    /// quality decision (qc or manager; needs --reason).
    Release(MoveArgs),
    /// Serials: hold, release, reject or recall single units.
    #[command(subcommand)]
    Serial(SerialVerb),
    /// Ship stock to a customer.
    Ship(ShipArgs),
    /// Take stock back from a customer (needs --reason).
    Return(MoveArgs),
    /// Correct stock against the adjustment location (needs --reason).
    Adjust(AdjustArgs),
    /// Record a stock count; the difference is posted against adjustment.
    Count(CountArgs),
    /// Put stock of one lot under another lot code of the same item, at one
    /// location (needs --reason): a supplier lot into an internal lot, or a
    /// wrong label found by a count. Traces follow the old lot to the new.
    Relabel(RelabelArgs),
    /// Scrap stock.
    Scrap(AtArgs),
    /// Undo a transaction with a new, reversing one.
    Reverse(ReverseArgs),
    /// Stock on hand, now or as of an instant.
    Stock(StockArgs),
    /// Where a serial is now.
    Where {
        /// The item.
        sku: String,
        /// The serial.
        serial: String,
    },
    /// Every movement of an item, lot or serial.
    History(HistoryArgs),
    /// Lots on hand that expire within N days (or have expired).
    Expiring {
        /// Days from today (at most 36525, 100 years).
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(0..=i64::from(tracelot_core::time::MAX_DAYS)))]
        days: u32,
    },
    /// A serial's warranty: first shipment, end date, returns.
    Warranty {
        /// The item.
        sku: String,
        /// The serial.
        serial: String,
    },
    /// Recompute the hash chain and every balance; exit 1 on the first mismatch.
    Verify(VerifyArgs),
    /// Sign the chain head with a key kept outside the database, so that a
    /// ledger cut short is caught later (`verify --checkpoints`).
    Checkpoint(CheckpointArgs),
    /// API accounts: add, list, change.
    #[command(subcommand)]
    User(UserVerb),
    /// API tokens for scripts: create (shown once), list, revoke.
    #[command(subcommand)]
    Token(TokenVerb),
    /// Run the HTTP API server until SIGTERM or Ctrl-C.
    Serve(ServeArgs),
    /// Record a production run: inputs consumed, outputs made, in one transaction.
    Produce(ProduceArgs),
    /// Install components into a serialized parent, remove them, or both (a replacement).
    Assemble(AssembleArgs),
    /// A serialized unit's assembly history: components it held, parents it was in.
    Assembly {
        /// The item.
        sku: String,
        /// The serial.
        serial: String,
    },
    /// Trace a lot or serial forward (products, customers) or backward (inputs, suppliers).
    Trace(TraceArgs),
    /// A lot's mass balance: received + produced = on hand + shipped + consumed + scrapped + adjusted.
    MassBalance {
        /// The item.
        sku: String,
        /// The lot.
        lot: String,
    },
    /// Recall a lot (manager): block it and report every customer and stock it reached.
    Recall(RecallArgs),
    /// First-expired-first-out: which lots to ship a quantity from.
    Fefo(FefoArgs),
    /// Read a barcode scan: GS1 element strings (with or without a
    /// symbology identifier such as ]d2), bracketed text, a Digital Link URI,
    /// a bare GTIN or SSCC, a tracelot code (TL:LOC:, TL:LOT:, TL:SER:) or a
    /// SKU. `-` reads one line from stdin.
    Scan {
        /// The scan as the scanner sent it (GS separators included).
        raw: String,
    },
    /// Receive goods by scanning them: one receipt for all scans (each scan
    /// an argument, or one per line on stdin).
    ReceiveScans(ScanFlowArgs),
    /// Ship goods by scanning them: one shipment for all scans.
    ShipScans(ScanFlowArgs),
    /// Labels: render a template with given data, or print runs from the ledger.
    #[command(subcommand)]
    Label(LabelVerb),
    /// Build a demo database from real situations and print what it holds.
    Demo {
        /// Where to write it.
        #[arg(long = "out", default_value = "tracelot-demo.db")]
        out: PathBuf,
        /// Replace the file at --out if it exists.
        #[arg(long)]
        replace: bool,
        /// Instead of the small story, generate a large ledger: about
        /// N × 100,000 movements (N = 100 gives about 10 million).
        #[arg(long)]
        scale: Option<u64>,
    },
}

/// Flags every posting verb takes.
#[derive(Args, Debug, Clone)]
pub struct Posting {
    /// Client-chosen transaction id (UUID). Reusing it makes a retry harmless.
    #[arg(long)]
    pub id: Option<String>,
    /// The document behind it (PO, SO, RMA ...).
    #[arg(long = "ref")]
    pub reference: Option<String>,
    /// Why (required by return, adjust, set-status and overrides).
    #[arg(long)]
    pub reason: Option<String>,
    /// When it happened on the floor (RFC 3339), if not now.
    #[arg(long)]
    pub occurred_at: Option<String>,
}

/// Which units: a quantity (with a lot) or serials.
#[derive(Args, Debug, Clone)]
pub struct UnitArgs {
    /// Quantity in the item's unit (decimal).
    #[arg(long)]
    pub qty: Option<String>,
    /// Lot code.
    #[arg(long)]
    pub lot: Option<String>,
    /// A serial or a range A..B; repeat for more.
    #[arg(long = "serial")]
    pub serials: Vec<String>,
    /// For a catch-weight item: the line's actual weight, in the item's
    /// weight unit, next to its --qty.
    #[arg(long, requires = "qty")]
    pub weight: Option<String>,
}

/// `serial` verbs.
#[derive(Subcommand, Debug)]
pub enum SerialVerb {
    /// Set the status of units: on_hold, released, rejected or recalled
    /// (needs --reason). A recalled unit changes only by close-recall.
    SetStatus {
        /// The item.
        sku: String,
        /// on_hold, released, rejected or recalled.
        status: String,
        /// A serial or a range A..B (a VIN range); repeat for more.
        #[arg(long = "serial", required = true)]
        serials: Vec<String>,
        #[command(flatten)]
        posting: Posting,
    },
    /// Close the recall of units with a decision (manager; needs --reason).
    CloseRecall {
        /// The item.
        sku: String,
        /// destroyed, returned_to_supplier or released.
        #[arg(long)]
        decision: String,
        /// A serial or a range A..B; repeat for more.
        #[arg(long = "serial", required = true)]
        serials: Vec<String>,
        #[command(flatten)]
        posting: Posting,
    },
}

/// `item` verbs.
#[derive(Subcommand, Debug)]
pub enum ItemVerb {
    /// Add an item.
    Add(Box<ItemAddArgs>),
    /// List items.
    List,
    /// Show one item.
    Show {
        /// The item.
        sku: String,
    },
    /// Add a packaging of an item with its own GTIN: scanning it books
    /// its quantity of the item.
    Packaging {
        /// The item inside.
        sku: String,
        /// The packaging's name, such as case or pallet.
        name: String,
        /// The packaging's own GTIN.
        #[arg(long)]
        gtin: String,
        /// How much of the item one packaging holds, in the item's unit.
        #[arg(long)]
        qty: String,
        #[command(flatten)]
        posting: Posting,
    },
    /// List an item's packagings.
    Packagings {
        /// The item.
        sku: String,
    },
}

/// `item add`.
#[derive(Args, Debug)]
pub struct ItemAddArgs {
    /// The SKU.
    pub sku: String,
    /// A human name (default: the SKU).
    #[arg(long)]
    pub name: Option<String>,
    /// none, lot, serial or lot_serial.
    #[arg(long, default_value = "none")]
    pub tracking: String,
    /// GTIN-8/12/13/14; its check digit is verified.
    #[arg(long)]
    pub gtin: Option<String>,
    /// Unit of measure.
    #[arg(long, default_value = "ea")]
    pub uom: String,
    /// Decimal places of the unit (kg with scale 3 counts grams).
    #[arg(long, default_value_t = 0)]
    pub scale: u8,
    /// Days from production to expiry; a new lot's default expiry.
    #[arg(long)]
    pub shelf_life_days: Option<u32>,
    /// Warranty length from the first shipment.
    #[arg(long)]
    pub warranty_months: Option<u32>,
    /// free or vin (17 characters with the check digit in position 9).
    #[arg(long, default_value = "free")]
    pub serial_kind: String,
    /// How generated serials are numbered, e.g. PH{yy}{seq:6}.
    #[arg(long)]
    pub serial_pattern: Option<String>,
    /// best_before (past it, ships only with --allow-expired and a reason)
    /// or hard_expiry (past it, never ships nor goes into production).
    #[arg(long, default_value = "best_before")]
    pub date_rule: String,
    /// Days of shelf life a lot must have left to ship to any customer.
    #[arg(long)]
    pub min_remaining_days: Option<u32>,
    /// How a produced lot's default expiry is set: earliest_input (the
    /// earlier of the shelf life and the inputs' expiry) or shelf_life.
    #[arg(long, default_value = "earliest_input")]
    pub output_expiry: String,
    /// Makes a catch-weight item (counted, sold by weight): the unit its
    /// actual weights are recorded in, such as kg. Its receipts and
    /// shipments then carry --weight next to --qty.
    #[arg(long)]
    pub catch_weight_uom: Option<String>,
    #[command(flatten)]
    pub posting: Posting,
}

/// `location` verbs.
#[derive(Subcommand, Debug)]
pub enum LocationVerb {
    /// Add a location (missing parents are created with the same kind).
    Add {
        /// Path such as MAIN/A/01.
        path: String,
        /// internal, supplier, customer, production, adjustment, scrap or transit.
        #[arg(long, default_value = "internal")]
        kind: String,
        /// The site's IANA time zone (Australia/Sydney), given when the
        /// site is created; its locations inherit it. Expiry and every
        /// day-based rule count days on it. Default: UTC.
        #[arg(long)]
        time_zone: Option<String>,
        #[command(flatten)]
        posting: Posting,
    },
    /// List locations.
    List,
}

/// `partner` verbs.
#[derive(Subcommand, Debug)]
pub enum PartnerVerb {
    /// Add a supplier or customer; it gets its own virtual location.
    Add {
        /// The partner's code.
        code: String,
        /// supplier or customer.
        #[arg(long)]
        kind: String,
        /// A human name (default: the code).
        #[arg(long)]
        name: Option<String>,
        /// For a customer: days of shelf life it requires on what it is shipped.
        #[arg(long)]
        min_shelf_life_days: Option<u32>,
        #[command(flatten)]
        posting: Posting,
    },
    /// List partners.
    List,
}

/// Lot details given on receipt or `lot add`.
#[derive(Args, Debug, Clone, Default)]
pub struct LotDetailArgs {
    /// Production date (YYYY-MM-DD).
    #[arg(long)]
    pub produced_on: Option<String>,
    /// Expiry date (YYYY-MM-DD); defaults from the item's shelf life.
    #[arg(long)]
    pub expires_on: Option<String>,
    /// Best-before date (YYYY-MM-DD).
    #[arg(long)]
    pub best_before: Option<String>,
    /// The supplier's own lot code.
    #[arg(long)]
    pub supplier_lot: Option<String>,
    /// A free attribute KEY=VALUE (shade, shift ...); repeat for more.
    #[arg(long = "attr")]
    pub attributes: Vec<String>,
    /// Status of a new lot (default released).
    #[arg(long)]
    pub status: Option<String>,
}

/// `lot` verbs.
#[derive(Subcommand, Debug)]
pub enum LotVerb {
    /// Add a lot before any of it arrives.
    Add {
        /// The item.
        sku: String,
        /// The lot code.
        lot: String,
        #[command(flatten)]
        details: LotDetailArgs,
        #[command(flatten)]
        posting: Posting,
    },
    /// Show a lot with its status history.
    Show {
        /// The item.
        sku: String,
        /// The lot code.
        lot: String,
    },
    /// Change a lot's status (needs --reason).
    SetStatus {
        /// The item.
        sku: String,
        /// The lot code.
        lot: String,
        /// released, quarantine, on_hold, recalled or rejected.
        status: String,
        #[command(flatten)]
        posting: Posting,
    },
    /// Attach a document (a certificate of analysis, a lab report) to a
    /// lot: its bytes are stored by SHA-256 and the hash enters the chain.
    Attach {
        /// The item.
        sku: String,
        /// The lot code.
        lot: String,
        /// The file.
        file: PathBuf,
        /// What it is: coa, lab_result, ...
        #[arg(long, default_value = "coa")]
        kind: String,
        /// The QC result it states (pass, fail, moisture 11.2 %).
        #[arg(long)]
        result: Option<String>,
        /// Its media type (default: from the file name's extension).
        #[arg(long)]
        media_type: Option<String>,
        #[command(flatten)]
        posting: Posting,
    },
    /// Write a stored document's bytes to a file.
    Document {
        /// The document's SHA-256.
        sha256: String,
        /// Where to write it.
        #[arg(long)]
        out: PathBuf,
    },
}

/// `receive`.
#[derive(Args, Debug)]
pub struct ReceiveArgs {
    /// The item.
    pub sku: String,
    /// The supplier (partner code or location path; default SUPPLIERS).
    #[arg(long)]
    pub from: Option<String>,
    /// The receiving internal location.
    #[arg(long)]
    pub to: String,
    #[command(flatten)]
    pub units: UnitArgs,
    /// Generate N new serials from the item's serial pattern.
    #[arg(long)]
    pub generate: Option<u32>,
    #[command(flatten)]
    pub details: LotDetailArgs,
    #[command(flatten)]
    pub posting: Posting,
}

/// `transfer` and `return`.
#[derive(Args, Debug)]
pub struct MoveArgs {
    /// The item.
    pub sku: String,
    /// Source (location path or partner code).
    #[arg(long)]
    pub from: String,
    /// Destination (location path or partner code).
    #[arg(long)]
    pub to: String,
    #[command(flatten)]
    pub units: UnitArgs,
    #[command(flatten)]
    pub posting: Posting,
}

/// `ship`.
#[derive(Args, Debug)]
pub struct ShipArgs {
    #[command(flatten)]
    pub base: MoveArgs,
    /// Ship an expired lot anyway (needs --reason; recorded).
    #[arg(long)]
    pub allow_expired: bool,
    /// Ship a lot with less shelf life than the customer requires (needs --reason; recorded).
    #[arg(long)]
    pub allow_short_shelf_life: bool,
}

/// `receive-scans` and `ship-scans`.
#[derive(Args, Debug)]
pub struct ScanFlowArgs {
    /// Source: the supplier of a receipt (default SUPPLIERS), the internal
    /// location of a shipment (or scan its TL:LOC: label).
    #[arg(long)]
    pub from: Option<String>,
    /// Destination: the internal location of a receipt (or scan its TL:LOC:
    /// label), the customer of a shipment.
    #[arg(long)]
    pub to: Option<String>,
    /// Ship an expired lot anyway (needs --reason; recorded).
    #[arg(long)]
    pub allow_expired: bool,
    /// Ship a lot with less shelf life than the customer requires (needs --reason; recorded).
    #[arg(long)]
    pub allow_short_shelf_life: bool,
    /// The scans; none means one per line on stdin.
    pub scans: Vec<String>,
    #[command(flatten)]
    pub posting: Posting,
}

/// `scrap`.
#[derive(Args, Debug)]
pub struct AtArgs {
    /// The item.
    pub sku: String,
    /// The internal location.
    #[arg(long)]
    pub at: String,
    #[command(flatten)]
    pub units: UnitArgs,
    #[command(flatten)]
    pub posting: Posting,
}

/// `adjust`.
#[derive(Args, Debug)]
pub struct AdjustArgs {
    /// The item.
    pub sku: String,
    /// The internal location.
    #[arg(long)]
    pub at: String,
    /// Signed quantity: +5 found, -3 lost.
    #[arg(long, allow_hyphen_values = true)]
    pub qty: Option<String>,
    /// Lot code.
    #[arg(long)]
    pub lot: Option<String>,
    /// A serial or a range A..B; repeat for more (with --direction).
    #[arg(long = "serial")]
    pub serials: Vec<String>,
    /// in or out, for serials.
    #[arg(long)]
    pub direction: Option<String>,
    #[command(flatten)]
    pub posting: Posting,
}

/// `arrive`.
#[derive(Args, Debug)]
pub struct ArriveArgs {
    /// The id of the transfer that sent the stock into transit.
    pub dispatch: String,
    /// Where it arrives.
    #[arg(long)]
    pub to: String,
    /// What arrived: SKU:LOT:QTY, SKU:QTY or SKU#SERIAL (or SKU:LOT#SERIAL);
    /// repeat for more. Nothing given means nothing arrived.
    #[arg(long = "line")]
    pub lines: Vec<String>,
    #[command(flatten)]
    pub posting: Posting,
}

/// `relabel`.
#[derive(Args, Debug)]
pub struct RelabelArgs {
    /// The item (tracked by lot).
    pub sku: String,
    /// Where the stock is.
    #[arg(long)]
    pub at: String,
    /// The lot on the stock now.
    #[arg(long)]
    pub from_lot: String,
    /// The lot it belongs under (created if new, with the old lot's dates
    /// and the old code as its supplier lot code unless given).
    #[arg(long)]
    pub to_lot: String,
    /// Quantity in the item's unit.
    #[arg(long)]
    pub qty: String,
    #[command(flatten)]
    pub details: LotDetailArgs,
    #[command(flatten)]
    pub posting: Posting,
}

/// `count`.
#[derive(Args, Debug)]
pub struct CountArgs {
    /// The item.
    pub sku: String,
    /// The internal location counted.
    #[arg(long)]
    pub at: String,
    /// Lot code.
    #[arg(long)]
    pub lot: Option<String>,
    /// The quantity found (0 for an empty shelf).
    #[arg(long)]
    pub counted: Option<String>,
    /// Each serial found; repeat (ranges allowed).
    #[arg(long = "serial")]
    pub serials: Vec<String>,
    /// LOT=QTY found, one per lot on the shelf; repeat. Every lot booked
    /// at the location and not named counts as zero.
    #[arg(long = "lot-counted", value_name = "LOT=QTY")]
    pub lot_counts: Vec<String>,
    #[command(flatten)]
    pub posting: Posting,
}

/// `reverse`.
#[derive(Args, Debug)]
pub struct ReverseArgs {
    /// The transaction to undo.
    pub tx: String,
    #[command(flatten)]
    pub posting: Posting,
}

/// `stock`.
#[derive(Args, Debug)]
pub struct StockArgs {
    /// Only this item.
    #[arg(long = "item")]
    pub sku: Option<String>,
    /// Only this lot.
    #[arg(long)]
    pub lot: Option<String>,
    /// Only the lots that carry this supplier's lot code.
    #[arg(long, conflicts_with = "lot")]
    pub supplier_lot: Option<String>,
    /// Only this serial.
    #[arg(long)]
    pub serial: Option<String>,
    /// Only this location and what is under it.
    #[arg(long)]
    pub location: Option<String>,
    /// Stock at this instant (RFC 3339, or a date meaning the end of that day at the location's site).
    #[arg(long)]
    pub as_of: Option<String>,
    /// Include virtual locations (suppliers, customers, adjustment ...).
    #[arg(long)]
    pub all: bool,
}

/// `history`.
#[derive(Args, Debug)]
pub struct HistoryArgs {
    /// The item.
    pub sku: String,
    /// Only this serial.
    #[arg(long)]
    pub serial: Option<String>,
    /// Only this lot.
    #[arg(long)]
    pub lot: Option<String>,
}

/// `user` verbs.
#[derive(Subcommand, Debug)]
pub enum UserVerb {
    /// Add an account. Without --password-stdin it can only use tokens.
    Add {
        /// Login name: lower-case letters, digits, - _ .
        name: String,
        /// viewer, operator, qc, manager or admin.
        #[arg(long)]
        role: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts.
    List,
    /// Change an account's role, password or whether it is disabled.
    Set {
        /// Login name.
        name: String,
        /// New role.
        #[arg(long)]
        role: Option<String>,
        /// Read a new password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// Disable the account: it can no longer log in and its tokens stop working.
        #[arg(long, conflicts_with = "enable")]
        disable: bool,
        /// Enable a disabled account.
        #[arg(long)]
        enable: bool,
    },
}

/// Where a label goes: format, file, and how labels sit on PDF pages.
#[derive(Args, Debug)]
pub struct LabelOutput {
    /// A built-in template (lot, serial, location, sscc) or a template file (.toml).
    #[arg(long, short)]
    pub template: Option<String>,
    /// svg, png, pdf or zpl.
    #[arg(long)]
    pub format: String,
    /// The file to write.
    #[arg(long)]
    pub out: PathBuf,
    /// PDF on sheets: a4 or letter (default: one label per page).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Labels across a sheet.
    #[arg(long, default_value_t = 3)]
    pub columns: u32,
    /// Labels down a sheet.
    #[arg(long, default_value_t = 10)]
    pub rows: u32,
    /// Printer resolution for PNG and ZPL (default: the template's).
    #[arg(long)]
    pub dpi: Option<u32>,
}

/// `label` verbs.
#[derive(Subcommand, Debug)]
pub enum LabelVerb {
    /// The built-in templates.
    List,
    /// Render a template with the given data; needs no database.
    Render {
        /// A built-in template (lot, serial, location, sscc) or a template file (.toml).
        template: String,
        /// svg, png, pdf or zpl.
        #[arg(long)]
        format: String,
        /// The file to write.
        #[arg(long)]
        out: PathBuf,
        /// A placeholder's value, such as lot.code=K2611A (repeats).
        #[arg(long = "data", value_name = "KEY=VALUE")]
        data: Vec<String>,
        /// Copies (PDF and ZPL), 1 to 10000.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=i64::from(tracelot_labels::limits::MAX_COPIES)))]
        copies: u32,
        /// Printer resolution for PNG and ZPL (default: the template's).
        #[arg(long)]
        dpi: Option<u32>,
    },
    /// A label for every serial a transaction (a receipt) moved (default template: serial).
    Receipt {
        /// The transaction id.
        tx: String,
        #[command(flatten)]
        output: LabelOutput,
    },
    /// Copies of a lot's label (default template: lot).
    Lot {
        /// The item.
        sku: String,
        /// The lot.
        lot: String,
        /// How many, 1 to 10000.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=i64::from(tracelot_labels::limits::MAX_COPIES)))]
        copies: u32,
        #[command(flatten)]
        output: LabelOutput,
    },
    /// A label for every stock location of a site (default template: location).
    Locations {
        /// The site, or any location path: it and everything below it.
        site: String,
        #[command(flatten)]
        output: LabelOutput,
    },
}

/// `token` verbs.
#[derive(Subcommand, Debug)]
pub enum TokenVerb {
    /// Create a token for an account and print it (shown only this once).
    Create {
        /// The account it acts for.
        account: String,
        /// A label to tell tokens apart.
        #[arg(long, default_value = "cli")]
        label: String,
        /// Days until it expires: at most TRACELOT_MAX_TOKEN_DAYS (default 365),
        /// and that maximum when omitted.
        #[arg(long)]
        expires_days: Option<u32>,
        /// The longest a token may live, in days.
        #[arg(long, env = "TRACELOT_MAX_TOKEN_DAYS", default_value_t = tracelot_auth::DEFAULT_MAX_TOKEN_DAYS)]
        max_days: u32,
    },
    /// List tokens (never their secrets).
    List {
        /// Only this account's.
        #[arg(long)]
        account: Option<String>,
    },
    /// Revoke a token by id.
    Revoke {
        /// The token's id (`tk_...`).
        id: String,
    },
}

/// `serve` flags; each overrides the config file's field of the same name.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// A TOML config file.
    #[arg(long, env = "TRACELOT_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    #[arg(long, env = "TRACELOT_LISTEN")]
    pub listen: Option<String>,
    /// Log format: text or json.
    #[arg(long, env = "TRACELOT_LOG_FORMAT")]
    pub log_format: Option<String>,
    /// Log filter, such as `info` or `warn,tracelot_server=debug`.
    #[arg(long, env = "TRACELOT_LOG")]
    pub log_level: Option<String>,
    /// Largest accepted request body, in bytes.
    #[arg(long, env = "TRACELOT_BODY_LIMIT_BYTES")]
    pub body_limit_bytes: Option<usize>,
    /// Hours a password login's session token lasts.
    #[arg(long, env = "TRACELOT_SESSION_HOURS")]
    pub session_hours: Option<u32>,
}

/// `produce`.
#[derive(Args, Debug)]
pub struct ProduceArgs {
    /// The internal location the run takes inputs from and puts outputs into.
    #[arg(long)]
    pub at: String,
    /// An input: `SKU:LOT:QTY`, `SKU:QTY` (untracked) or `SKU#SERIAL`; repeat for more.
    #[arg(long = "consume", required = true)]
    pub consume: Vec<String>,
    /// An output: `SKU:LOT:QTY`, `SKU:QTY`, `SKU#SERIAL` or `SKU:LOT#SERIAL`; repeat for more.
    #[arg(long = "output", required = true)]
    pub output: Vec<String>,
    /// An output lot's expiry: `SKU:LOT=YYYY-MM-DD` (default: production date plus shelf life).
    #[arg(long = "expires")]
    pub expires: Vec<String>,
    /// An output lot's best-before date: `SKU:LOT=YYYY-MM-DD`.
    #[arg(long = "best-before")]
    pub best_before: Vec<String>,
    #[command(flatten)]
    pub posting: Posting,
}

/// `assemble`.
#[derive(Args, Debug)]
pub struct AssembleArgs {
    /// The parent's item.
    pub parent_sku: String,
    /// The parent's serial.
    pub parent_serial: String,
    /// A component to install: `SKU#SERIAL`; repeat for more.
    #[arg(long = "install")]
    pub install: Vec<String>,
    /// A component to remove: `SKU#SERIAL`; repeat for more.
    #[arg(long = "remove")]
    pub remove: Vec<String>,
    /// Where installed components come from.
    #[arg(long)]
    pub from: Option<String>,
    /// Where removed components go: stock, quarantine or scrap.
    #[arg(long)]
    pub to: Option<String>,
    #[command(flatten)]
    pub posting: Posting,
}

/// `trace`.
#[derive(Args, Debug)]
pub struct TraceArgs {
    /// forward or backward.
    pub direction: String,
    /// The item.
    pub sku: String,
    /// The lot to trace.
    #[arg(long, conflicts_with = "serial")]
    pub lot: Option<String>,
    /// The lot that carries this supplier's lot code.
    #[arg(long, conflicts_with_all = ["serial", "lot"])]
    pub supplier_lot: Option<String>,
    /// The serial to trace.
    #[arg(long)]
    pub serial: Option<String>,
    /// table, json, dot or svg (`--json` also gives json).
    #[arg(long, default_value = "table")]
    pub format: String,
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `recall`.
#[derive(Args, Debug)]
pub struct RecallArgs {
    /// The item.
    pub sku: String,
    /// The lot (or give --supplier-lot).
    #[arg(required_unless_present = "supplier_lot")]
    pub lot: Option<String>,
    /// The lot that carries this supplier's lot code.
    #[arg(long, conflicts_with = "lot")]
    pub supplier_lot: Option<String>,
    /// Why (required to start or close a recall).
    #[arg(long)]
    pub reason: Option<String>,
    /// Only print the report; change nothing.
    #[arg(long, conflicts_with = "decision")]
    pub report_only: bool,
    /// Close the recall with a manager's decision, which becomes the status
    /// of every lot it still holds: destroyed or returned_to_supplier (the
    /// lots become rejected) or released (after investigation).
    #[arg(long = "close", value_name = "DECISION")]
    pub decision: Option<String>,
    /// Also write the report as CSV to this file.
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// Client-chosen transaction id for the status change.
    #[arg(long)]
    pub id: Option<String>,
}

/// `fefo`.
#[derive(Args, Debug)]
pub struct FefoArgs {
    /// The item.
    pub sku: String,
    /// The location to pick from (and everything below it).
    #[arg(long)]
    pub from: String,
    /// The quantity to ship.
    #[arg(long)]
    pub qty: String,
    /// The customer, whose required shelf life applies.
    #[arg(long)]
    pub customer: Option<String>,
}

/// `verify`.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// A head the ledger must still hold, as SEQ:HASH (from an earlier
    /// `verify` or `checkpoint`); repeats.
    #[arg(long = "expect-head", value_name = "SEQ:HASH")]
    pub expect_head: Vec<String>,
    /// A folder of checkpoint files, each checked against --trusted-key,
    /// whose heads the ledger must still hold.
    #[arg(long, requires = "trusted_key")]
    pub checkpoints: Option<PathBuf>,
    /// The public key (hex) checkpoints must be signed with.
    #[arg(long, env = "TRACELOT_CHECKPOINT_PUBLIC_KEY")]
    pub trusted_key: Option<String>,
    /// Skip replaying the chain to recompute lots, serials and the other
    /// rows kept beside the ledger (the chain and balances are still checked).
    #[arg(long)]
    pub skip_replay: bool,
}

/// `checkpoint`.
#[derive(Args, Debug)]
pub struct CheckpointArgs {
    /// The signing key's file (32 bytes as hex), kept outside the database.
    #[arg(long, env = "TRACELOT_CHECKPOINT_KEY")]
    pub key: PathBuf,
    /// Create the key file first (refused if it exists).
    #[arg(long)]
    pub new_key: bool,
    /// Also write the checkpoint into this folder as checkpoint-SEQ.json.
    #[arg(long)]
    pub out: Option<PathBuf>,
}
