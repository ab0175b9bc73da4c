//! Exact quantities. Stock is an integer count of an item's smallest unit
//! (an item in kg with scale 3 counts grams); decimals exist only when text
//! is parsed or shown. No floating point touches stock.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::ValueError;

/// How many decimal places an item's unit has (0 to 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Scale(u8);

impl Scale {
    /// Whole units.
    pub const UNITS: Scale = Scale(0);

    /// Validates the range 0..=9 (10^9 smallest units still leave 9.2e9 whole units in an i64).
    pub fn new(places: u8) -> Result<Self, ValueError> {
        if places > 9 {
            return Err(ValueError::new("scale_range", format!("scale is 0 to 9 decimal places, not {places}")));
        }
        Ok(Scale(places))
    }

    /// The number of decimal places.
    pub fn places(self) -> u8 {
        self.0
    }

    /// Parses a decimal string such as `12.5` or `-3` into smallest units.
    /// More decimal places than the scale allows is an error, never a rounding.
    pub fn parse_signed(self, s: &str) -> Result<i64, ValueError> {
        let (neg, body) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        let digits_ok = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() && frac.is_empty() || !digits_ok(int) || !digits_ok(frac) || body.ends_with('.') {
            return Err(ValueError::new("decimal", format!("{s:?} is not a decimal number")));
        }
        if frac.len() > usize::from(self.0) {
            return Err(ValueError::new(
                "scale",
                format!("{s:?} has {} decimal places; this item's unit allows {}", frac.len(), self.0),
            ));
        }
        let too_big = || ValueError::new("range", format!("{s:?} is too large"));
        let mut v: i64 = 0;
        for b in int.bytes().chain(frac.bytes()) {
            let digit = char::from(b).to_digit(10).map(i64::from);
            v = v.checked_mul(10).zip(digit).and_then(|(v, d)| v.checked_add(d)).ok_or_else(too_big)?;
        }
        for _ in frac.len()..usize::from(self.0) {
            v = v.checked_mul(10).ok_or_else(too_big)?;
        }
        // Never fails: v is not negative, so its negation fits.
        Ok(if neg { v.checked_neg().ok_or_else(too_big)? } else { v })
    }

    /// Formats smallest units as a decimal string with exactly `places` decimals.
    pub fn format(self, units: i64) -> String {
        let places = u32::from(self.0);
        if places == 0 {
            return units.to_string();
        }
        // Scales hold at most a few places, and any i64 fits in i128 with room.
        let p = 10u128.pow(places);
        let sign = if units < 0 { "-" } else { "" };
        let a = u128::from(units.unsigned_abs());
        let (whole, part) = (a.checked_div(p).unwrap_or(a), a.checked_rem(p).unwrap_or(0));
        format!("{sign}{whole}.{part:0width$}", width = places as usize)
    }
}

impl TryFrom<u8> for Scale {
    type Error = ValueError;
    fn try_from(v: u8) -> Result<Self, Self::Error> {
        Scale::new(v)
    }
}

impl From<Scale> for u8 {
    fn from(s: Scale) -> u8 {
        s.0
    }
}

/// A strictly positive quantity in smallest units: what one movement carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Qty(i64);

impl Qty {
    /// One unit (a serial).
    pub const ONE: Qty = Qty(1);

    /// Refuses zero and negatives: a movement of nothing is not a movement.
    pub fn new(units: i64) -> Result<Self, ValueError> {
        if units <= 0 {
            return Err(ValueError::new("positive", format!("a quantity must be greater than zero, not {units}")));
        }
        Ok(Qty(units))
    }

    /// Parses a positive decimal in the item's scale.
    pub fn parse(s: &str, scale: Scale) -> Result<Self, ValueError> {
        Qty::new(scale.parse_signed(s)?)
    }

    /// The count in smallest units.
    pub fn units(self) -> i64 {
        self.0
    }
}

impl TryFrom<i64> for Qty {
    type Error = ValueError;
    fn try_from(v: i64) -> Result<Self, Self::Error> {
        Qty::new(v)
    }
}

impl From<Qty> for i64 {
    fn from(q: Qty) -> i64 {
        q.0
    }
}

impl fmt::Display for Qty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
// Tests: an overflow or a panic is a failed test.
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_exactly() {
        let kg = Scale::new(3).unwrap();
        assert_eq!(kg.parse_signed("1.5").unwrap(), 1500);
        assert_eq!(kg.parse_signed("-0.001").unwrap(), -1);
        assert_eq!(kg.parse_signed(".25").unwrap(), 250);
        assert_eq!(kg.parse_signed("1.2345").unwrap_err().rule, "scale");
        assert_eq!(kg.parse_signed("1e3").unwrap_err().rule, "decimal");
        assert_eq!(kg.parse_signed("").unwrap_err().rule, "decimal");
        assert_eq!(kg.parse_signed("1.").unwrap_err().rule, "decimal");
        assert_eq!(kg.parse_signed("99999999999999999999").unwrap_err().rule, "range");
        assert_eq!(Scale::UNITS.parse_signed("0.5").unwrap_err().rule, "scale");
        assert_eq!(Qty::parse("0", Scale::UNITS).unwrap_err().rule, "positive");
        assert_eq!(kg.format(1500), "1.500");
        assert_eq!(kg.format(-1), "-0.001");
        assert_eq!(Scale::new(10).unwrap_err().rule, "scale_range");
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(units in any::<i64>().prop_filter("abs", |v| *v != i64::MIN), places in 0u8..=9) {
            let scale = Scale::new(places).unwrap();
            prop_assert_eq!(scale.parse_signed(&scale.format(units)).unwrap(), units);
        }
    }
}
