//! tracelot's own barcode contents, for what has no GS1 key: locations,
//! and lots or serials of items without a GTIN.
//!
//! - `TL:LOC:<location path>`, e.g. `TL:LOC:MAIN/A/01`
//! - `TL:LOT:<SKU>:<lot code>`, e.g. `TL:LOT:KETCHUP-500:K2611A`
//! - `TL:SER:<SKU>:<serial>`, e.g. `TL:SER:PHONE-X:SN0001`
//!
//! A SKU never contains `:`, so everything after the SKU's colon is the lot
//! code or serial, which may hold `:` itself. The text is plain ASCII that
//! Code 128, DataMatrix and QR all carry.

use std::fmt;

use crate::error::ValueError;
use crate::ids::{LocationPath, LotCode, Serial, Sku};

/// A decoded tracelot code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnCode {
    /// A location label.
    Location(LocationPath),
    /// A lot of an item.
    Lot {
        /// The item.
        sku: Sku,
        /// The lot.
        lot: LotCode,
    },
    /// One serialized unit.
    Serial {
        /// The item.
        sku: Sku,
        /// The unit.
        serial: Serial,
    },
}

/// Every tracelot code starts with this.
pub const PREFIX: &str = "TL:";

impl OwnCode {
    /// `None` when `text` is not a tracelot code at all; otherwise the code
    /// or the reason it is malformed.
    pub fn parse(text: &str) -> Option<Result<OwnCode, ValueError>> {
        let rest = text.strip_prefix(PREFIX)?;
        Some(Self::parse_body(rest))
    }

    fn parse_body(rest: &str) -> Result<OwnCode, ValueError> {
        let malformed = || {
            ValueError::new("tracelot_code", "a tracelot code reads TL:LOC:PATH, TL:LOT:SKU:LOT or TL:SER:SKU:SERIAL")
        };
        let (kind, body) = rest.split_once(':').ok_or_else(malformed)?;
        match kind {
            "LOC" => Ok(OwnCode::Location(LocationPath::parse(body)?)),
            "LOT" | "SER" => {
                let (sku, code) = body.split_once(':').ok_or_else(malformed)?;
                let sku = Sku::parse(sku)?;
                Ok(match kind {
                    "LOT" => OwnCode::Lot { sku, lot: LotCode::parse(code)? },
                    _ => OwnCode::Serial { sku, serial: Serial::parse(code)? },
                })
            }
            _ => Err(malformed()),
        }
    }
}

impl fmt::Display for OwnCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OwnCode::Location(path) => write!(f, "{PREFIX}LOC:{path}"),
            OwnCode::Lot { sku, lot } => write!(f, "{PREFIX}LOT:{sku}:{lot}"),
            OwnCode::Serial { sku, serial } => write!(f, "{PREFIX}SER:{sku}:{serial}"),
        }
    }
}

#[cfg(test)]
// Tests: an overflow or a panic is a failed test.
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_keep_colons_in_lots() {
        for text in ["TL:LOC:MAIN/A/01", "TL:LOT:KETCHUP-500:K2611A", "TL:LOT:DYE:BATH:7", "TL:SER:PHONE-X:SN0001"] {
            let code = OwnCode::parse(text).expect("a tracelot code").expect("valid");
            assert_eq!(code.to_string(), text);
        }
        let lot = OwnCode::parse("TL:LOT:DYE:BATH:7").unwrap().unwrap();
        assert_eq!(lot, OwnCode::Lot { sku: Sku::parse("DYE").unwrap(), lot: LotCode::parse("BATH:7").unwrap() });
    }

    #[test]
    fn other_text_is_not_a_code_and_bad_codes_say_why() {
        assert!(OwnCode::parse("KETCHUP-500").is_none());
        assert!(OwnCode::parse("0109506000134352").is_none());
        for bad in ["TL:", "TL:BIN:X", "TL:LOT:NOLOT", "TL:LOC:A//B", "TL:SER:SKU#1:S"] {
            assert!(OwnCode::parse(bad).expect("starts with TL:").is_err(), "{bad}");
        }
    }
}
