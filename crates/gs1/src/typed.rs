//! Typed readings of element values: dates, decimal measures, counts.

use crate::lint::days_in_month;
use crate::message::Message;
use crate::{Gln, Gtin, Sscc};

/// A calendar date read from a GS1 date field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Gs1Date {
    /// Four-digit year.
    pub year: i32,
    /// 1-12.
    pub month: u8,
    /// 1-31.
    pub day: u8,
}

impl std::fmt::Display for Gs1Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// GS1's century rule (General Specifications 7.12): a two-digit year is
/// placed in the century that puts it at most 49 years in the past or 50 in
/// the future of `reference_year`.
pub fn century(yy: u8, reference_year: i32) -> i32 {
    let current = reference_year.rem_euclid(100);
    let century = reference_year - current;
    match i32::from(yy) - current {
        51..=99 => century - 100 + i32::from(yy),
        -99..=-50 => century + 100 + i32::from(yy),
        _ => century + i32::from(yy),
    }
}

/// Reads `YYMMDD`; `DD = 00` means the last day of the month.
pub fn yymmdd(value: &str, reference_year: i32) -> Option<Gs1Date> {
    let digits = value.get(..6).filter(|d| d.bytes().all(|b| b.is_ascii_digit()))?;
    let n = |r: std::ops::Range<usize>| digits[r].parse::<u8>().ok();
    let (yy, month, day) = (n(0..2)?, n(2..4)?, n(4..6)?);
    let year = century(yy, reference_year);
    if !(1..=12).contains(&month) {
        return None;
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let last = days_in_month(u64::from(month), leap) as u8;
    match day {
        0 => Some(Gs1Date { year, month, day: last }),
        d if d <= last => Some(Gs1Date { year, month, day: d }),
        _ => None,
    }
}

/// An exact decimal: `units / 10^scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Decimal {
    /// The digits as an integer.
    pub units: u64,
    /// Digits after the decimal point.
    pub scale: u8,
}

impl std::fmt::Display for Decimal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let digits = format!("{:0>width$}", self.units, width = usize::from(self.scale) + 1);
        let (int, frac) = digits.split_at(digits.len() - usize::from(self.scale));
        match frac.is_empty() {
            true => f.write_str(int),
            false => write!(f, "{int}.{frac}"),
        }
    }
}

/// A trade measure from AIs 310n-369n: the last AI digit is the number of
/// decimals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measure {
    /// The AI, e.g. `3103`.
    pub ai: String,
    /// What is measured, from the dictionary ("NET WEIGHT").
    pub what: String,
    /// The unit, from the dictionary ("kg").
    pub unit: String,
    /// Whether the measure is of the logistic unit rather than the item.
    pub logistic: bool,
    /// The value.
    pub value: Decimal,
}

/// An amount from AIs 390n-393n, with its ISO 4217 currency when given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Money {
    /// The AI, e.g. `3922`.
    pub ai: String,
    /// ISO 4217 numeric currency, for 391n and 393n.
    pub currency: Option<String>,
    /// The amount.
    pub value: Decimal,
}

fn decimal(digits: &str, scale: u8) -> Option<Decimal> {
    Some(Decimal { units: digits.parse().ok()?, scale })
}

impl Message {
    /// AI (01), the trade item.
    pub fn gtin(&self) -> Option<Gtin> {
        self.get("01").and_then(|v| Gtin::parse(v).ok())
    }

    /// AI (02), the GTIN of the trade items contained in a logistic unit.
    pub fn content_gtin(&self) -> Option<Gtin> {
        self.get("02").and_then(|v| Gtin::parse(v).ok())
    }

    /// AI (00), the SSCC of a logistic unit.
    pub fn sscc(&self) -> Option<Sscc> {
        self.get("00").and_then(|v| Sscc::parse(v).ok())
    }

    /// AI (10), batch or lot.
    pub fn lot(&self) -> Option<&str> {
        self.get("10")
    }

    /// AI (21), serial number.
    pub fn serial(&self) -> Option<&str> {
        self.get("21")
    }

    /// A date AI (11, 12, 13, 15, 16, 17) read with the century rule.
    pub fn date(&self, ai: &str, reference_year: i32) -> Option<Gs1Date> {
        self.get(ai).and_then(|v| yymmdd(v, reference_year))
    }

    /// AI (17), use-by or expiry date.
    pub fn expiry(&self, reference_year: i32) -> Option<Gs1Date> {
        self.date("17", reference_year)
    }

    /// AI (15), best-before date.
    pub fn best_before(&self, reference_year: i32) -> Option<Gs1Date> {
        self.date("15", reference_year)
    }

    /// AI (11), production date.
    pub fn production_date(&self, reference_year: i32) -> Option<Gs1Date> {
        self.date("11", reference_year)
    }

    /// AI (30) or (37): a count of items.
    pub fn count(&self) -> Option<u64> {
        self.get("30").or_else(|| self.get("37")).and_then(|v| v.parse().ok())
    }

    /// The GLN of AI (414), a physical location.
    pub fn gln(&self) -> Option<Gln> {
        self.get("414").and_then(|v| Gln::parse(v).ok())
    }

    /// Every trade measure (310n-369n), in the order given.
    pub fn measures(&self) -> Vec<Measure> {
        self.elements()
            .filter(|e| e.ai.len() == 4 && ("310".."370").contains(&&e.ai[..3]))
            .filter_map(|e| {
                let entry = e.entry?;
                let scale = e.ai.as_bytes()[3] - b'0';
                let (what, rest) = entry.title.split_once(" (")?;
                let (unit, tail) = rest.split_once(')')?;
                Some(Measure {
                    ai: e.ai.to_string(),
                    what: what.to_string(),
                    unit: unit.to_string(),
                    logistic: tail.contains("log") || what.starts_with("GROSS"),
                    value: decimal(e.value, scale)?,
                })
            })
            .collect()
    }

    /// Every amount (390n-393n), in the order given.
    pub fn amounts(&self) -> Vec<Money> {
        self.elements()
            .filter(|e| e.ai.len() == 4 && ("390".."394").contains(&&e.ai[..3]))
            .filter_map(|e| {
                let scale = e.ai.as_bytes()[3] - b'0';
                let with_currency = matches!(&e.ai[..3], "391" | "393");
                let (currency, digits) = if with_currency { e.value.split_at(3) } else { ("", e.value) };
                Some(Money {
                    ai: e.ai.to_string(),
                    currency: with_currency.then(|| currency.to_string()),
                    value: decimal(digits, scale)?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn century_rule_follows_the_general_specifications() {
        // Reference 2026: 76 is 2076 (50 ahead), 77 is 1977 (49 back).
        assert_eq!(century(76, 2026), 2076);
        assert_eq!(century(77, 2026), 1977);
        assert_eq!(century(26, 2026), 2026);
        // Near a century end, a small year lands in the next century.
        assert_eq!(century(10, 2095), 2110);
        assert_eq!(century(45, 2095), 2145);
        assert_eq!(century(46, 2095), 2046);
    }

    #[test]
    fn day_zero_is_the_last_day_of_the_month() {
        assert_eq!(yymmdd("240200", 2026), Some(Gs1Date { year: 2024, month: 2, day: 29 }));
        assert_eq!(yymmdd("250200", 2026), Some(Gs1Date { year: 2025, month: 2, day: 28 }));
        assert_eq!(yymmdd("261100", 2026), Some(Gs1Date { year: 2026, month: 11, day: 30 }));
        assert_eq!(yymmdd("261231", 2026).map(|d| d.to_string()).as_deref(), Some("2026-12-31"));
        assert_eq!(yymmdd("261331", 2026), None);
        assert_eq!(yymmdd("260231", 2026), None);
    }

    #[test]
    fn decimals_print_exactly() {
        assert_eq!(Decimal { units: 195, scale: 3 }.to_string(), "0.195");
        assert_eq!(Decimal { units: 123456, scale: 2 }.to_string(), "1234.56");
        assert_eq!(Decimal { units: 7, scale: 0 }.to_string(), "7");
        assert_eq!(Decimal { units: 0, scale: 5 }.to_string(), "0.00000");
    }
}
