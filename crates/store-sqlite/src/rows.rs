//! Turning rows into domain records. Every stored value is parsed back
//! through its newtype, so a corrupted row surfaces as an error, not as a
//! silently wrong value.

use std::str::FromStr;

use jiff::civil::Date;
use rusqlite::Row;
use rusqlite::types::Type;
use tracelot_core::item::{ItemSpec, SerialKind, SerialPattern, Tracking};
use tracelot_core::rules::{ItemRecord, LocationRecord, LotRecord};
use tracelot_core::time::SiteZone;
use tracelot_core::{LocationKind, LocationPath, LotCode, LotDetails, LotStatus, Scale, Serial, Sku, TxId};

fn bad<E: std::error::Error + Send + Sync + 'static>(idx: usize, e: E) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e))
}

/// Reads column `idx` as text and parses it with `F::from_str`.
pub(crate) fn parsed<F>(r: &Row, idx: usize) -> rusqlite::Result<F>
where
    F: FromStr,
    F::Err: std::error::Error + Send + Sync + 'static,
{
    let s: String = r.get(idx)?;
    s.parse::<F>().map_err(|e| bad(idx, e))
}

/// Like [`parsed`] for a nullable column.
pub(crate) fn parsed_opt<F>(r: &Row, idx: usize) -> rusqlite::Result<Option<F>>
where
    F: FromStr,
    F::Err: std::error::Error + Send + Sync + 'static,
{
    let s: Option<String> = r.get(idx)?;
    s.map(|s| s.parse::<F>().map_err(|e| bad(idx, e))).transpose()
}

/// A 16-byte transaction id column.
pub(crate) fn tx_id(r: &Row, idx: usize) -> rusqlite::Result<TxId> {
    let b: Vec<u8> = r.get(idx)?;
    let arr: [u8; 16] = b.try_into().map_err(|_| rusqlite::Error::InvalidColumnType(idx, "id".into(), Type::Blob))?;
    Ok(TxId::from_bytes(arr))
}

/// A microsecond timestamp column.
pub(crate) fn instant(r: &Row, idx: usize) -> rusqlite::Result<jiff::Timestamp> {
    Ok(tracelot_core::time::from_micros(r.get(idx)?))
}

/// Columns read by [`item`].
pub(crate) const ITEM_COLS: &str = "id, sku, name, tracking, gtin, uom, scale, shelf_life_days, warranty_months, serial_kind, serial_pattern, \
     date_rule, min_remaining_days, output_expiry, catch_weight_uom";

/// An item from [`ITEM_COLS`].
pub(crate) fn item(r: &Row) -> rusqlite::Result<ItemRecord> {
    let gtin: Option<String> = r.get(4)?;
    let scale: u8 = r.get(6)?;
    Ok(ItemRecord {
        id: r.get(0)?,
        spec: ItemSpec {
            sku: parsed::<Sku>(r, 1)?,
            name: r.get(2)?,
            tracking: parsed::<Tracking>(r, 3)?,
            gtin: gtin.map(|g| tracelot_gs1::Gtin::parse(&g).map_err(|e| bad(4, e))).transpose()?,
            uom: r.get(5)?,
            scale: Scale::new(scale).map_err(|e| bad(6, e))?,
            shelf_life_days: r.get(7)?,
            warranty_months: r.get(8)?,
            serial_kind: parsed::<SerialKind>(r, 9)?,
            serial_pattern: parsed_opt::<PatternText>(r, 10)?.map(|p| p.0),
            date_rule: parsed(r, 11)?,
            min_remaining_days: r.get(12)?,
            output_expiry: parsed(r, 13)?,
            catch_weight_uom: r.get(14)?,
        },
    })
}

/// `SerialPattern` through `FromStr`, for [`parsed_opt`].
struct PatternText(SerialPattern);

impl FromStr for PatternText {
    type Err = tracelot_core::ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SerialPattern::parse(s).map(PatternText)
    }
}

/// Columns read by [`location`].
pub(crate) const LOCATION_COLS: &str =
    "id, path, kind, (SELECT p.min_shelf_life_days FROM partners p WHERE p.location_id = locations.id), time_zone";

/// A location from [`LOCATION_COLS`].
pub(crate) fn location(r: &Row) -> rusqlite::Result<LocationRecord> {
    Ok(LocationRecord {
        id: r.get(0)?,
        path: parsed::<LocationPath>(r, 1)?,
        kind: parsed::<LocationKind>(r, 2)?,
        min_shelf_life_days: r.get(3)?,
        zone: parsed_opt::<SiteZone>(r, 4)?.unwrap_or_default(),
    })
}

/// Columns read by [`lot`].
pub(crate) const LOT_COLS: &str =
    "id, item_id, code, produced_on, expires_on, best_before, supplier_lot, attributes, status";

/// A lot from [`LOT_COLS`].
pub(crate) fn lot(r: &Row) -> rusqlite::Result<LotRecord> {
    let attributes: String = r.get(7)?;
    Ok(LotRecord {
        id: r.get(0)?,
        item_id: r.get(1)?,
        code: parsed::<LotCode>(r, 2)?,
        details: LotDetails {
            produced_on: parsed_opt::<Date>(r, 3)?,
            expires_on: parsed_opt::<Date>(r, 4)?,
            best_before: parsed_opt::<Date>(r, 5)?,
            supplier_lot: r.get(6)?,
            attributes: serde_json::from_str(&attributes).map_err(|e| bad(7, e))?,
        },
        status: parsed::<LotStatus>(r, 8)?,
    })
}

/// A serial column.
pub(crate) fn serial(r: &Row, idx: usize) -> rusqlite::Result<Serial> {
    parsed::<Serial>(r, idx)
}

/// An item's scale column.
pub(crate) fn scale_at(r: &Row, idx: usize) -> rusqlite::Result<Scale> {
    let v: u8 = r.get(idx)?;
    Scale::new(v).map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Integer, Box::new(e)))
}
