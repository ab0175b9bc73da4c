//! `tracelot demo`: builds a database from the situations tracelot exists
//! for, through the same store write path as every other verb, and prints
//! stock, a serial's history and a lot's history.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use tracelot_core::command::{Amount, Line, ReceiveLine, ReceiveUnits, Units};
use tracelot_core::item::{SerialKind, SerialPattern, Tracking};
use tracelot_core::{
    Command, ItemSpec, LocationKind, LocationPath, LotCode, LotDetails, PartnerCode, PlaceRef, Request, Scale, Serial,
    Sku, Transaction, UserName, serial_range,
};
use tracelot_store::{HistoryQuery, StockQuery, Store};
use tracelot_store_sqlite::{SqliteOptions, SqliteStore};

use crate::output::Out;
use crate::reports;

/// Posts demo transactions as one user, `days_ago` days back.
struct Demo {
    store: SqliteStore,
    user: UserName,
    now: Timestamp,
    today: Date,
}

fn v<T, E: std::fmt::Display>(r: Result<T, E>) -> anyhow::Result<T> {
    r.map_err(|e| anyhow::anyhow!("{e}"))
}

impl Demo {
    fn post(
        &self,
        days_ago: i64,
        reference: Option<&str>,
        reason: Option<&str>,
        command: Command,
    ) -> anyhow::Result<tracelot_store::Posted> {
        let request = Request {
            occurred_at: Some(self.now - SignedDuration::from_hours(24 * days_ago)),
            reference: reference.map(str::to_owned),
            reason: reason.map(str::to_owned),
            ..Request::new(command)
        };
        Ok(self.store.submit(Transaction { request, user: self.user.clone() })?)
    }

    fn date(&self, days_from_today: i64) -> Date {
        tracelot_core::time::add_days(self.today, days_from_today).unwrap_or(self.today)
    }
}

fn item(sku: &str, name: &str, tracking: Tracking, uom: &str, scale: u8) -> anyhow::Result<ItemSpec> {
    let mut spec = ItemSpec::new(v(Sku::parse(sku))?, name, tracking);
    spec.uom = uom.into();
    spec.scale = v(Scale::new(scale))?;
    Ok(spec)
}

fn place(p: &str) -> anyhow::Result<PlaceRef> {
    v(PlaceRef::parse(p))
}

fn lot_line(sku: &str, lot: &str, qty: &str) -> anyhow::Result<Line> {
    Ok(Line {
        sku: v(Sku::parse(sku))?,
        lot: Some(v(LotCode::parse(lot))?),
        units: Units::Quantity(v(Amount::parse(qty))?),
    })
}

fn serial_line(sku: &str, serials: &[&str]) -> anyhow::Result<Line> {
    let serials = serials.iter().map(|s| v(Serial::parse(s))).collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Line { sku: v(Sku::parse(sku))?, lot: None, units: Units::Serials(serials) })
}

fn receive(
    from: &str,
    sku: &str,
    lot: Option<&str>,
    details: LotDetails,
    units: ReceiveUnits,
) -> anyhow::Result<Command> {
    Ok(Command::Receive {
        from: Some(place(from)?),
        to: place("MAIN/RECEIVING")?,
        lines: vec![ReceiveLine {
            sku: v(Sku::parse(sku))?,
            lot: lot.map(LotCode::parse).transpose().map_err(|e| anyhow::anyhow!("{e}"))?,
            details,
            status: None,
            units,
        }],
    })
}

fn ship(to: &str, line: Line) -> anyhow::Result<Command> {
    Ok(Command::Ship {
        from: place("MAIN/RECEIVING")?,
        to: place(to)?,
        lines: vec![line],
        allow_expired: false,
        allow_short_shelf_life: false,
    })
}

/// Builds the demo database at `path` and prints what it holds.
/// Refuses an existing file unless `replace`, which removes it (and its WAL).
pub fn prepare(path: &Path, replace: bool) -> anyhow::Result<()> {
    if path.exists() {
        if !replace {
            bail!("{} exists; pass --replace to rebuild the demo there, or --out NEW_PATH", path.display());
        }
        for suffix in ["", "-wal", "-shm"] {
            let f = format!("{}{suffix}", path.display());
            if Path::new(&f).exists() {
                std::fs::remove_file(&f).with_context(|| format!("removing {f}"))?;
            }
        }
    }
    Ok(())
}

pub fn run(path: &Path, replace: bool, out: Out) -> anyhow::Result<()> {
    prepare(path, replace)?;
    let now = Timestamp::now();
    let d = Demo {
        store: SqliteStore::init(path, SqliteOptions::default())?,
        user: v(UserName::parse("demo"))?,
        now,
        today: tracelot_core::time::day(now),
    };
    master_data(&d)?;
    let notes = movements(&d)?;
    print(&d, path, &notes, out)
}

fn master_data(d: &Demo) -> anyhow::Result<()> {
    d.post(
        30,
        None,
        None,
        Command::DefineLocation {
            path: v(LocationPath::parse("MAIN/RECEIVING"))?,
            kind: LocationKind::Internal,
            time_zone: None,
        },
    )?;
    d.post(
        30,
        None,
        None,
        Command::DefineLocation {
            path: v(LocationPath::parse("MAIN/A/01"))?,
            kind: LocationKind::Internal,
            time_zone: None,
        },
    )?;
    for (code, kind) in [
        ("HEINZLE", LocationKind::Supplier),
        ("DAIRYCO", LocationKind::Supplier),
        ("PYRO", LocationKind::Supplier),
        ("MILLS", LocationKind::Supplier),
        ("PHONECO", LocationKind::Supplier),
        ("AUTOCO", LocationKind::Supplier),
        ("ACME", LocationKind::Customer),
        ("BISTRO", LocationKind::Customer),
        ("ALICE", LocationKind::Customer),
    ] {
        d.post(
            30,
            None,
            None,
            Command::DefinePartner {
                code: v(PartnerCode::parse(code))?,
                name: code.into(),
                kind,
                min_shelf_life_days: None,
            },
        )?;
    }
    let mut ketchup = item("KETCHUP-500", "Tomato ketchup 500 g", Tracking::Lot, "ea", 0)?;
    ketchup.gtin = Some(v(tracelot_core::item::parse_gtin("09506000134352"))?);
    ketchup.shelf_life_days = Some(365);
    let mut milk = item("MILK-1L", "Fresh milk 1 l", Tracking::Lot, "ea", 0)?;
    milk.shelf_life_days = Some(10);
    let mut phone = item("PHONE-X", "Phone model X", Tracking::Serial, "ea", 0)?;
    phone.warranty_months = Some(24);
    let mut car = item("CAR-SEDAN", "Sedan", Tracking::Serial, "ea", 0)?;
    car.serial_kind = SerialKind::Vin;
    car.warranty_months = Some(36);
    let mut fridge = item("FRIDGE-300", "Fridge 300 l", Tracking::Serial, "ea", 0)?;
    fridge.warranty_months = Some(24);
    fridge.serial_pattern = Some(v(SerialPattern::parse("FR{yy}{seq:5}"))?);
    for spec in [
        ketchup,
        milk,
        item("ROCKET-12", "Rocket assortment, 12 pieces", Tracking::Lot, "ea", 0)?,
        item("FABRIC-RED", "Cotton fabric, red", Tracking::Lot, "m", 2)?,
        phone,
        car,
        fridge,
    ] {
        d.post(30, None, None, Command::DefineItem(spec))?;
    }
    Ok(())
}

fn movements(d: &Demo) -> anyhow::Result<Vec<String>> {
    let mut notes = Vec::new();
    // Ketchup: one production lot of 1,000 bottles with a best-by date, partly shipped to two customers.
    let best_by = LotDetails { produced_on: Some(d.date(-20)), best_before: Some(d.date(345)), ..Default::default() };
    d.post(
        20,
        Some("PO-1001"),
        None,
        receive("HEINZLE", "KETCHUP-500", Some("K2611A"), best_by, ReceiveUnits::Quantity(Amount::whole(1000)))?,
    )?;
    d.post(10, Some("SO-2001"), None, ship("ACME", lot_line("KETCHUP-500", "K2611A", "300")?)?)?;
    d.post(9, Some("SO-2002"), None, ship("BISTRO", lot_line("KETCHUP-500", "K2611A", "120")?)?)?;

    // Milk: two lots that differ by expiry; the expired one may not ship.
    let old = LotDetails { expires_on: Some(d.date(-1)), ..Default::default() };
    let fresh = LotDetails { expires_on: Some(d.date(9)), ..Default::default() };
    d.post(
        11,
        Some("PO-1002"),
        None,
        receive("DAIRYCO", "MILK-1L", Some("M-0412"), old, ReceiveUnits::Quantity(Amount::whole(48)))?,
    )?;
    d.post(
        1,
        Some("PO-1003"),
        None,
        receive("DAIRYCO", "MILK-1L", Some("M-0422"), fresh, ReceiveUnits::Quantity(Amount::whole(96)))?,
    )?;
    match d.post(0, Some("SO-2003"), None, ship("BISTRO", lot_line("MILK-1L", "M-0412", "12")?)?) {
        Err(e) => notes.push(format!("refused as it should be: shipping expired milk lot M-0412: {e}")),
        Ok(_) => bail!("the demo shipped an expired lot"),
    }
    d.post(0, Some("SO-2003"), None, ship("BISTRO", lot_line("MILK-1L", "M-0422", "12")?)?)?;

    // Fireworks: lots coded by date and shift of manufacture.
    let shift = LotDetails {
        produced_on: Some(d.date(-40)),
        attributes: BTreeMap::from([("shift".to_owned(), "2".to_owned())]),
        ..Default::default()
    };
    let fw_lot = format!("{}-S2", d.date(-40).strftime("%Y%m%d"));
    d.post(
        15,
        Some("PO-1004"),
        None,
        receive("PYRO", "ROCKET-12", Some(&fw_lot), shift, ReceiveUnits::Quantity(Amount::whole(200)))?,
    )?;
    d.post(5, Some("SO-2004"), None, ship("ACME", lot_line("ROCKET-12", &fw_lot, "50")?)?)?;

    // Fabric: dye lots with a shade attribute, shipped by lot in metres.
    for (lot, shade, qty) in [("DYE-0457", "R-12", "350.50"), ("DYE-0458", "R-14", "120.00")] {
        let details =
            LotDetails { attributes: BTreeMap::from([("shade".to_owned(), shade.to_owned())]), ..Default::default() };
        d.post(
            12,
            Some("PO-1005"),
            None,
            receive("MILLS", "FABRIC-RED", Some(lot), details, ReceiveUnits::Quantity(v(Amount::parse(qty))?))?,
        )?;
    }
    d.post(4, Some("SO-2005"), None, ship("BISTRO", lot_line("FABRIC-RED", "DYE-0457", "75.25")?)?)?;

    // Phones: received by serial range, a few shipped (warranty runs from the ship date).
    let phones = v(serial_range::expand("PX0001..PX0012"))?;
    d.post(
        8,
        Some("PO-1006"),
        None,
        receive("PHONECO", "PHONE-X", None, LotDetails::default(), ReceiveUnits::Serials(phones))?,
    )?;
    d.post(3, Some("SO-2006"), None, ship("ALICE", serial_line("PHONE-X", &["PX0007", "PX0008"])?)?)?;

    // Cars by VIN: a wrong check digit is refused.
    let vins = vec![v(Serial::parse("1M8GDM9AXKP042788"))?];
    d.post(
        7,
        Some("PO-1007"),
        None,
        receive("AUTOCO", "CAR-SEDAN", None, LotDetails::default(), ReceiveUnits::Serials(vins))?,
    )?;
    let bad = vec![v(Serial::parse("1M8GDM9A1KP042788"))?];
    match d.post(
        7,
        Some("PO-1007"),
        None,
        receive("AUTOCO", "CAR-SEDAN", None, LotDetails::default(), ReceiveUnits::Serials(bad))?,
    ) {
        Err(e) => notes.push(format!("refused as it should be: VIN with a wrong check digit: {e}")),
        Ok(_) => bail!("the demo accepted a bad VIN"),
    }

    // Appliances by serial: received, shipped, returned, shipped again.
    let fridges = d.post(
        6,
        Some("PO-1008"),
        None,
        receive("HEINZLE", "FRIDGE-300", None, LotDetails::default(), ReceiveUnits::Generate(3))?,
    )?;
    let first = fridges.generated_serials.first().context("no fridge serial generated")?.to_string();
    d.post(5, Some("SO-2007"), None, ship("ALICE", serial_line("FRIDGE-300", &[&first])?)?)?;
    let back = Command::Return {
        from: place("ALICE")?,
        to: place("MAIN/A/01")?,
        lines: vec![serial_line("FRIDGE-300", &[&first])?],
    };
    d.post(3, Some("RMA-3001"), Some("door seal damaged in transit"), back)?;
    let again = Command::Ship {
        from: place("MAIN/A/01")?,
        to: place("ACME")?,
        lines: vec![serial_line("FRIDGE-300", &[&first])?],
        allow_expired: false,
        allow_short_shelf_life: false,
    };
    d.post(1, Some("SO-2008"), None, again)?;
    notes.push(format!(
        "fridge {first}: shipped, returned and shipped again; see `tracelot history FRIDGE-300 --serial {first}`"
    ));
    Ok(notes)
}

fn print(d: &Demo, path: &Path, notes: &[String], out: Out) -> anyhow::Result<()> {
    let stock = d.store.stock(&StockQuery::default())?;
    let serial = v(Serial::parse("PX0007"))?;
    let sku = v(Sku::parse("PHONE-X"))?;
    let serial_history = d.store.history(&HistoryQuery {
        sku: sku.clone(),
        lot: None,
        serial: Some(serial.clone()),
        after: None,
        limit: None,
    })?;
    let ketchup = v(Sku::parse("KETCHUP-500"))?;
    let lot_history = d.store.history(&HistoryQuery {
        sku: ketchup,
        lot: Some(v(LotCode::parse("K2611A"))?),
        serial: None,
        after: None,
        limit: None,
    })?;
    let warranty = tracelot_reports::warranty_of(&d.store, &sku, &serial)?;
    let verify = d.store.verify()?;
    let doc = serde_json::json!({
        "database": path.display().to_string(),
        "notes": notes,
        "stock": stock,
        "serial_history": serial_history,
        "lot_history": lot_history,
        "warranty": warranty,
        "verify": verify,
    });
    out.emit(&doc, || {
        format!(
            "demo database: {}\n\n{}\n\n== stock on hand ==\n{}\n\n== history of PHONE-X serial PX0007 ==\n{}\n\n{}\n\n== history of KETCHUP-500 lot K2611A ==\n{}\n\n== verify ==\n{}",
            path.display(),
            notes.join("\n"),
            reports::stock(&stock),
            reports::history(&serial_history),
            reports::warranty(&warranty),
            reports::history(&lot_history),
            reports::verify(&verify)
        )
    })
}
