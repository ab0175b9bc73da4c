//! Turning rows into domain records. Every stored value is parsed back
//! through its newtype, so a corrupted row surfaces as an error, not as a
//! silently wrong value.

use std::str::FromStr;

use jiff::Timestamp;
use jiff::civil::Date;
use postgres::Row;
use tracelot_core::item::{ItemSpec, SerialKind, SerialPattern, Tracking};
use tracelot_core::rules::{ItemRecord, LocationRecord, LotRecord};
use tracelot_core::time::SiteZone;
use tracelot_core::{LocationPath, LotCode, LotDetails, LotStatus, Scale, Serial, Sku, TxId};

use crate::db::{Error, Result};

fn bad(idx: usize, e: impl std::fmt::Display) -> Error {
    Error::Data(format!("stored column {idx} does not parse: {e}"))
}

/// Column `idx` as text, parsed with `F::from_str`.
pub(crate) fn parsed<F>(r: &Row, idx: usize) -> Result<F>
where
    F: FromStr,
    F::Err: std::fmt::Display,
{
    let s: &str = r.try_get(idx)?;
    s.parse::<F>().map_err(|e| bad(idx, e))
}

/// Like [`parsed`] for a nullable column.
pub(crate) fn parsed_opt<F>(r: &Row, idx: usize) -> Result<Option<F>>
where
    F: FromStr,
    F::Err: std::fmt::Display,
{
    let s: Option<&str> = r.try_get(idx)?;
    s.map(|s| s.parse::<F>().map_err(|e| bad(idx, e))).transpose()
}

/// A 16-byte transaction id column.
pub(crate) fn tx_id(r: &Row, idx: usize) -> Result<TxId> {
    let b: &[u8] = r.try_get(idx)?;
    let arr: [u8; 16] = b.try_into().map_err(|_| bad(idx, "a transaction id is 16 bytes"))?;
    Ok(TxId::from_bytes(arr))
}

/// A nullable 16-byte transaction id column.
pub(crate) fn tx_id_opt(r: &Row, idx: usize) -> Result<Option<TxId>> {
    let b: Option<&[u8]> = r.try_get(idx)?;
    b.map(|b| <[u8; 16]>::try_from(b).map(TxId::from_bytes).map_err(|_| bad(idx, "a transaction id is 16 bytes")))
        .transpose()
}

/// A 32-byte hash column.
pub(crate) fn hash(r: &Row, idx: usize) -> Result<[u8; 32]> {
    let b: &[u8] = r.try_get(idx)?;
    b.try_into().map_err(|_| bad(idx, "a chain hash is 32 bytes"))
}

/// A microsecond timestamp column.
pub(crate) fn instant(r: &Row, idx: usize) -> Result<Timestamp> {
    Ok(tracelot_core::time::from_micros(r.try_get(idx)?))
}

/// A nullable microsecond timestamp column.
pub(crate) fn instant_opt(r: &Row, idx: usize) -> Result<Option<Timestamp>> {
    Ok(r.try_get::<_, Option<i64>>(idx)?.map(tracelot_core::time::from_micros))
}

/// A nullable non-negative integer column read as `u32`.
fn u32_opt(r: &Row, idx: usize) -> Result<Option<u32>> {
    r.try_get::<_, Option<i64>>(idx)?.map(|v| u32::try_from(v).map_err(|e| bad(idx, e))).transpose()
}

/// An item's scale column.
pub(crate) fn scale_at(r: &Row, idx: usize) -> Result<Scale> {
    let v: i16 = r.try_get(idx)?;
    Scale::new(u8::try_from(v).map_err(|e| bad(idx, e))?).map_err(|e| bad(idx, e))
}

/// Columns read by [`item`].
pub(crate) const ITEM_COLS: &str = "id, sku, name, tracking, gtin, uom, scale, shelf_life_days, warranty_months, serial_kind, serial_pattern, \
     date_rule, min_remaining_days, output_expiry, catch_weight_uom";

/// An item from [`ITEM_COLS`].
pub(crate) fn item(r: &Row) -> Result<ItemRecord> {
    let gtin: Option<&str> = r.try_get(4)?;
    let pattern: Option<&str> = r.try_get(10)?;
    Ok(ItemRecord {
        id: r.try_get(0)?,
        spec: ItemSpec {
            sku: parsed::<Sku>(r, 1)?,
            name: r.try_get(2)?,
            tracking: parsed::<Tracking>(r, 3)?,
            gtin: gtin.map(|g| tracelot_gs1::Gtin::parse(g).map_err(|e| bad(4, e))).transpose()?,
            uom: r.try_get(5)?,
            scale: scale_at(r, 6)?,
            shelf_life_days: u32_opt(r, 7)?,
            warranty_months: u32_opt(r, 8)?,
            serial_kind: parsed::<SerialKind>(r, 9)?,
            serial_pattern: pattern.map(|p| SerialPattern::parse(p).map_err(|e| bad(10, e))).transpose()?,
            date_rule: parsed(r, 11)?,
            min_remaining_days: u32_opt(r, 12)?,
            output_expiry: parsed(r, 13)?,
            catch_weight_uom: r.try_get(14)?,
        },
    })
}

/// Columns read by [`location`].
pub(crate) const LOCATION_COLS: &str =
    "id, path, kind, (SELECT p.min_shelf_life_days FROM partners p WHERE p.location_id = locations.id), time_zone";

/// A location from [`LOCATION_COLS`].
pub(crate) fn location(r: &Row) -> Result<LocationRecord> {
    Ok(LocationRecord {
        id: r.try_get(0)?,
        path: parsed::<LocationPath>(r, 1)?,
        kind: parsed(r, 2)?,
        min_shelf_life_days: u32_opt(r, 3)?,
        zone: r
            .try_get::<_, Option<&str>>(4)?
            .map(|z| SiteZone::parse(z).map_err(|e| bad(4, e)))
            .transpose()?
            .unwrap_or_default(),
    })
}

/// Columns read by [`lot`].
pub(crate) const LOT_COLS: &str =
    "id, item_id, code, produced_on, expires_on, best_before, supplier_lot, attributes, status";

/// A lot from [`LOT_COLS`].
pub(crate) fn lot(r: &Row) -> Result<LotRecord> {
    let attributes: &str = r.try_get(7)?;
    Ok(LotRecord {
        id: r.try_get(0)?,
        item_id: r.try_get(1)?,
        code: parsed::<LotCode>(r, 2)?,
        details: LotDetails {
            produced_on: parsed_opt::<Date>(r, 3)?,
            expires_on: parsed_opt::<Date>(r, 4)?,
            best_before: parsed_opt::<Date>(r, 5)?,
            supplier_lot: r.try_get(6)?,
            attributes: serde_json::from_str(attributes).map_err(|e| bad(7, e))?,
        },
        status: parsed::<LotStatus>(r, 8)?,
    })
}

/// A serial column.
pub(crate) fn serial(r: &Row, idx: usize) -> Result<Serial> {
    parsed::<Serial>(r, idx)
}
