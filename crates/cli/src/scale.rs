//! `tracelot demo --scale N`: a large, realistic ledger for benchmarks,
//! posted through the same store write path as everything else, in big
//! group commits.
//!
//! A food plant makes ketchup in five production levels (tomato paste,
//! sauce base, sauce, bulk ketchup, bottles) and ships every bottle lot to
//! ten of a thousand customers. Salt comes in large lots, each feeding ten
//! thousand sauce-base runs, so one salt lot reaches more than ten thousand
//! production runs and a hundred thousand shipments. An electronics line
//! builds serialized devices from serialized boards, installs serialized
//! batteries, ships the devices, and takes some back for a new battery.
//! Scale 1 is about 100,000 movements; scale 100 about 10 million.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::bail;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use tracelot_core::command::{Amount, Line, ReceiveLine, ReceiveUnits, Units};
use tracelot_core::item::Tracking;
use tracelot_core::{
    Command, ItemSpec, LocationKind, LocationPath, LotCode, LotDetails, PartnerCode, PlaceRef, Request, Serial, Sku,
    Transaction, UserName,
};
use tracelot_store::Store;
use tracelot_store_sqlite::{SqliteOptions, SqliteStore};

/// Ketchup production chains per unit of scale (about 24 movements each).
const CHAINS_PER_SCALE: u64 = 4_000;
/// Devices per unit of scale.
const DEVICES_PER_SCALE: u64 = 500;
/// Sauce-base runs one salt lot feeds.
const RUNS_PER_SALT_LOT: u64 = 10_000;
/// Customers.
const CUSTOMERS: u64 = 1_000;
/// Shipments per bottle lot.
const SHIPMENTS_PER_LOT: u64 = 10;
/// Transactions per group commit while generating.
const BATCH: usize = 2_000;

/// What the generator made, printed for the benchmark to use.
#[derive(Debug, Serialize)]
pub struct Summary {
    /// The database.
    pub database: String,
    /// Scale.
    pub scale: u64,
    /// Transactions posted.
    pub transactions: u64,
    /// Movements written.
    pub movements: u64,
    /// Wall time of the generation, seconds.
    pub seconds: f64,
    /// The database file's size, bytes.
    pub bytes: u64,
    /// The heavily used salt lots (item SALT).
    pub salt_lots: Vec<String>,
    /// Device serials (item DEVICE), a sample.
    pub device_serials: Vec<String>,
}

fn v<T, E: std::fmt::Display>(r: Result<T, E>) -> anyhow::Result<T> {
    r.map_err(|e| anyhow::anyhow!("{e}"))
}

struct Gen {
    store: SqliteStore,
    user: UserName,
    pending: Vec<Transaction>,
    start: Timestamp,
    step: SignedDuration,
    tick: i64,
    transactions: u64,
    movements: u64,
    rng: u64,
}

impl Gen {
    fn rand(&mut self, n: u64) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng % n
    }

    /// Queues a command, each a little later than the last.
    fn post(&mut self, command: Command, reference: Option<String>, reason: Option<&str>) -> anyhow::Result<()> {
        self.tick += 1;
        let request = Request {
            occurred_at: Some(self.start + self.step * self.tick as i32),
            reference,
            reason: reason.map(str::to_owned),
            ..Request::new(command)
        };
        self.pending.push(Transaction { request, user: self.user.clone() });
        if self.pending.len() >= BATCH {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> anyhow::Result<()> {
        let txs = std::mem::take(&mut self.pending);
        for (i, r) in self.store.submit_batch(txs).into_iter().enumerate() {
            match r {
                Ok(p) => {
                    self.transactions += 1;
                    self.movements += p.movements;
                }
                Err(e) => bail!("generated transaction {i} of a batch was refused: {e}"),
            }
        }
        Ok(())
    }
}

fn sku(s: &str) -> anyhow::Result<Sku> {
    v(Sku::parse(s))
}

fn lot(s: &str) -> anyhow::Result<LotCode> {
    v(LotCode::parse(s))
}

fn place(s: &str) -> anyhow::Result<PlaceRef> {
    Ok(PlaceRef::from(v(LocationPath::parse(s))?))
}

fn qty(sku_text: &str, lot_code: &str, n: u64) -> anyhow::Result<Line> {
    Ok(Line { sku: sku(sku_text)?, lot: Some(lot(lot_code)?), units: Units::Quantity(Amount::whole(n)) })
}

fn out(sku_text: &str, lot_code: &str, n: u64) -> anyhow::Result<ReceiveLine> {
    Ok(ReceiveLine {
        sku: sku(sku_text)?,
        lot: Some(lot(lot_code)?),
        details: LotDetails::default(),
        status: None,
        units: ReceiveUnits::Quantity(Amount::whole(n)),
    })
}

/// A plain shipment.
fn ship(from: &PlaceRef, to: &str, line: Line) -> anyhow::Result<Command> {
    Ok(Command::Ship {
        from: from.clone(),
        to: place(to)?,
        lines: vec![line],
        allow_expired: false,
        allow_short_shelf_life: false,
    })
}

fn serial_line(sku_text: &str, s: &str) -> anyhow::Result<Line> {
    Ok(Line { sku: sku(sku_text)?, lot: None, units: Units::Serials(vec![v(Serial::parse(s))?]) })
}

/// Prints progress to stderr: a redrawn bar on a terminal, a line per tenth otherwise.
struct Progress {
    total: u64,
    shown: u64,
    started: Instant,
    tty: bool,
}

impl Progress {
    fn show(&mut self, done: u64, movements: u64) {
        let pct = done * 100 / self.total.max(1);
        if self.tty {
            let bar = "#".repeat((pct / 4) as usize);
            eprint!("\r[{bar:<25}] {pct:>3}%  {movements} movements  {:.0} s", self.started.elapsed().as_secs_f64());
            let _ = std::io::stderr().flush();
        } else if pct >= self.shown + 10 {
            self.shown = pct - pct % 10;
            eprintln!("{pct:>3}%  {movements} movements  {:.0} s", self.started.elapsed().as_secs_f64());
        }
    }
}

/// Generates the scale ledger at `path` (which must not exist).
pub fn generate(path: &Path, scale: u64) -> anyhow::Result<Summary> {
    if scale == 0 {
        bail!("--scale must be at least 1");
    }
    let started = Instant::now();
    let store = SqliteStore::init(path, SqliteOptions { max_batch: BATCH, ..SqliteOptions::default() })?;
    let chains = scale * CHAINS_PER_SCALE;
    let devices = scale * DEVICES_PER_SCALE;
    let ticks = chains * 16 + devices * 5 + 2_000;
    let now = Timestamp::now();
    let span = SignedDuration::from_hours(24 * 360);
    let mut g = Gen {
        store,
        user: v(UserName::parse("demo"))?,
        pending: Vec::new(),
        start: now - span,
        step: SignedDuration::from_nanos((span.as_nanos() / i128::from(ticks)).max(1000) as i64),
        tick: 0,
        transactions: 0,
        movements: 0,
        rng: 0x2545_F491_4F6C_DD1D,
    };
    let mut progress = Progress { total: chains + devices, shown: 0, started, tty: std::io::stderr().is_terminal() };

    for path in ["PLANT", "EWH"] {
        g.post(
            Command::DefineLocation {
                path: v(LocationPath::parse(path))?,
                kind: LocationKind::Internal,
                time_zone: None,
            },
            None,
            None,
        )?;
    }
    for code in ["FARM", "SUGARCO", "SALTCO", "SPICECO", "VINEGARCO", "BOARDCO", "CELLCO"] {
        g.post(
            Command::DefinePartner {
                code: v(PartnerCode::parse(code))?,
                name: code.into(),
                kind: LocationKind::Supplier,
                min_shelf_life_days: None,
            },
            None,
            None,
        )?;
    }
    for c in 0..CUSTOMERS {
        let code = format!("C{c:04}");
        let min = if c % 10 == 0 { Some(30) } else { None };
        g.post(
            Command::DefinePartner {
                code: v(PartnerCode::parse(&code))?,
                name: format!("Customer {c}"),
                kind: LocationKind::Customer,
                min_shelf_life_days: min,
            },
            None,
            None,
        )?;
    }
    let items: [(&str, Tracking, &str, Option<u32>); 13] = [
        ("TOMATO", Tracking::Lot, "kg", Some(20)),
        ("SUGAR", Tracking::Lot, "kg", Some(720)),
        ("SALT", Tracking::Lot, "kg", None),
        ("VINEGAR", Tracking::Lot, "l", Some(720)),
        ("SPICE", Tracking::Lot, "kg", Some(365)),
        ("PASTE", Tracking::Lot, "kg", Some(30)),
        ("BASE", Tracking::Lot, "kg", Some(30)),
        ("SAUCE", Tracking::Lot, "kg", Some(60)),
        ("KETCHUP-BULK", Tracking::Lot, "kg", Some(90)),
        ("KETCHUP-500", Tracking::Lot, "ea", Some(540)),
        ("BOARD", Tracking::Serial, "ea", None),
        ("BATTERY", Tracking::LotSerial, "ea", None),
        ("DEVICE", Tracking::Serial, "ea", None),
    ];
    for (s, tracking, uom, shelf) in items {
        let mut spec = ItemSpec::new(sku(s)?, s, tracking);
        spec.uom = uom.into();
        spec.shelf_life_days = shelf;
        if s == "DEVICE" {
            spec.warranty_months = Some(24);
        }
        g.post(Command::DefineItem(spec), None, None)?;
    }
    let receive = |g: &mut Gen, from: &str, line: ReceiveLine, doc: String| -> anyhow::Result<()> {
        g.post(Command::Receive { from: Some(place(from)?), to: place("PLANT")?, lines: vec![line] }, Some(doc), None)
    };
    let mut salt_lots = Vec::new();
    for k in 0..chains {
        if k % 20 == 0 {
            receive(&mut g, "FARM", out("TOMATO", &format!("T{}", k / 20), 2_000)?, format!("PO-T{}", k / 20))?;
        }
        if k % 200 == 0 {
            let b = k / 200;
            receive(&mut g, "SUGARCO", out("SUGAR", &format!("SU{b}"), 2_000)?, format!("PO-SU{b}"))?;
            receive(&mut g, "VINEGARCO", out("VINEGAR", &format!("V{b}"), 1_000)?, format!("PO-V{b}"))?;
            receive(&mut g, "SPICECO", out("SPICE", &format!("SP{b}"), 200)?, format!("PO-SP{b}"))?;
        }
        if k % RUNS_PER_SALT_LOT == 0 {
            let code = format!("SALT{}", k / RUNS_PER_SALT_LOT);
            receive(&mut g, "SALTCO", out("SALT", &code, RUNS_PER_SALT_LOT * 2)?, format!("PO-{code}"))?;
            salt_lots.push(code);
        }
        let (t, b, s) = (format!("T{}", k / 20), format!("{}", k / 200), format!("SALT{}", k / RUNS_PER_SALT_LOT));
        let wo = |level: u32| Some(format!("WO-{k}-{level}"));
        let at = place("PLANT")?;
        g.post(
            Command::Produce {
                at: at.clone(),
                consume: vec![qty("TOMATO", &t, 100)?],
                output: vec![out("PASTE", &format!("P{k}"), 60)?],
            },
            wo(1),
            None,
        )?;
        g.post(
            Command::Produce {
                at: at.clone(),
                consume: vec![
                    qty("PASTE", &format!("P{k}"), 60)?,
                    qty("SUGAR", &format!("SU{b}"), 10)?,
                    qty("SALT", &s, 2)?,
                    qty("VINEGAR", &format!("V{b}"), 5)?,
                ],
                output: vec![out("BASE", &format!("B{k}"), 75)?],
            },
            wo(2),
            None,
        )?;
        g.post(
            Command::Produce {
                at: at.clone(),
                consume: vec![qty("BASE", &format!("B{k}"), 75)?, qty("SPICE", &format!("SP{b}"), 1)?],
                output: vec![out("SAUCE", &format!("S{k}"), 76)?],
            },
            wo(3),
            None,
        )?;
        g.post(
            Command::Produce {
                at: at.clone(),
                consume: vec![qty("SAUCE", &format!("S{k}"), 76)?],
                output: vec![out("KETCHUP-BULK", &format!("K{k}"), 76)?],
            },
            wo(4),
            None,
        )?;
        g.post(
            Command::Produce {
                at: at.clone(),
                consume: vec![qty("KETCHUP-BULK", &format!("K{k}"), 76)?],
                output: vec![out("KETCHUP-500", &format!("F{k}"), 150)?],
            },
            wo(5),
            None,
        )?;
        for n in 0..SHIPMENTS_PER_LOT {
            let c = format!("C{:04}", g.rand(CUSTOMERS) / 10 * 10 + 1 + n % 9);
            g.post(ship(&at, &c, qty("KETCHUP-500", &format!("F{k}"), 15)?)?, Some(format!("SO-{k}-{n}")), None)?;
        }
        if k % 500 == 0 {
            progress.show(k, g.movements);
        }
    }
    let mut device_serials = Vec::new();
    for d in 0..devices {
        if d % 500 == 0 {
            let batch = d / 500;
            let boards: Vec<Serial> =
                (0..500).map(|i| v(Serial::parse(&format!("PCB{:07}", batch * 500 + i)))).collect::<Result<_, _>>()?;
            let cells: Vec<Serial> =
                (0..550).map(|i| v(Serial::parse(&format!("BAT{:07}", batch * 550 + i)))).collect::<Result<_, _>>()?;
            g.post(
                Command::Receive {
                    from: Some(place("BOARDCO")?),
                    to: place("EWH")?,
                    lines: vec![ReceiveLine {
                        sku: sku("BOARD")?,
                        lot: None,
                        details: LotDetails::default(),
                        status: None,
                        units: ReceiveUnits::Serials(boards),
                    }],
                },
                Some(format!("PO-B{batch}")),
                None,
            )?;
            g.post(
                Command::Receive {
                    from: Some(place("CELLCO")?),
                    to: place("EWH")?,
                    lines: vec![ReceiveLine {
                        sku: sku("BATTERY")?,
                        lot: Some(lot(&format!("CELLS{batch}"))?),
                        details: LotDetails::default(),
                        status: None,
                        units: ReceiveUnits::Serials(cells),
                    }],
                },
                Some(format!("PO-C{batch}")),
                None,
            )?;
        }
        let (board, battery, device) =
            (format!("PCB{d:07}"), format!("BAT{:07}", d / 500 * 550 + d % 500), format!("DEV{d:07}"));
        let ewh = place("EWH")?;
        g.post(
            Command::Produce {
                at: ewh.clone(),
                consume: vec![serial_line("BOARD", &board)?],
                output: vec![ReceiveLine {
                    sku: sku("DEVICE")?,
                    lot: None,
                    details: LotDetails::default(),
                    status: None,
                    units: ReceiveUnits::Serials(vec![v(Serial::parse(&device))?]),
                }],
            },
            Some(format!("WO-D{d}")),
            None,
        )?;
        g.post(
            Command::Assemble {
                parent_sku: sku("DEVICE")?,
                parent_serial: v(Serial::parse(&device))?,
                install: vec![serial_line("BATTERY", &battery)?],
                remove: vec![],
                from: Some(ewh.clone()),
                to: None,
            },
            None,
            None,
        )?;
        let customer = format!("C{:04}", g.rand(CUSTOMERS));
        g.post(ship(&ewh, &customer, serial_line("DEVICE", &device)?)?, Some(format!("SO-D{d}")), None)?;
        if d % 20 == 0 {
            // One in twenty comes back for a new battery and ships again.
            let spare = format!("BAT{:07}", d / 500 * 550 + 500 + (d % 500) / 20);
            g.post(
                Command::Return {
                    from: place(&customer)?,
                    to: ewh.clone(),
                    lines: vec![serial_line("DEVICE", &device)?],
                },
                Some(format!("RMA-{d}")),
                Some("battery does not hold charge"),
            )?;
            g.post(
                Command::Assemble {
                    parent_sku: sku("DEVICE")?,
                    parent_serial: v(Serial::parse(&device))?,
                    install: vec![serial_line("BATTERY", &spare)?],
                    remove: vec![serial_line("BATTERY", &battery)?],
                    from: Some(ewh.clone()),
                    to: Some(place("QUARANTINE")?),
                },
                Some(format!("RMA-{d}")),
                Some("battery replaced"),
            )?;
            g.post(ship(&ewh, &customer, serial_line("DEVICE", &device)?)?, Some(format!("SO-D{d}-R")), None)?;
        }
        if d % 97 == 0 && device_serials.len() < 1_000 {
            device_serials.push(device);
        }
        if d % 500 == 0 {
            progress.show(chains + d, g.movements);
        }
    }
    g.flush()?;
    progress.show(chains + devices, g.movements);
    if progress.tty {
        eprintln!();
    }
    let Gen { store, transactions, movements, .. } = g;
    drop(store);
    Ok(Summary {
        database: path.display().to_string(),
        scale,
        transactions,
        movements,
        seconds: started.elapsed().as_secs_f64(),
        bytes: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
        salt_lots,
        device_serials,
    })
}
