//! Serial ranges such as `SN0001..SN1000`: a shared prefix and a numeric
//! suffix of equal width, expanded inclusively.

use crate::error::ValueError;
use crate::ids::Serial;

/// The largest range one argument may expand to; a receipt may hold several.
pub const MAX_RANGE: u64 = 1_000_000;

/// Splits `SN0042` into `("SN", "0042")`.
fn split_digits(s: &str) -> (&str, &str) {
    let prefix = s.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    s.split_at(prefix)
}

/// Expands `A..B` into every serial from A to B, or parses a single serial.
pub fn expand(spec: &str) -> Result<Vec<Serial>, ValueError> {
    let Some((a, b)) = spec.split_once("..") else {
        return Ok(vec![Serial::parse(spec)?]);
    };
    let bad = |m: String| ValueError::new("serial_range", m);
    let (pa, na) = split_digits(a);
    let (pb, nb) = split_digits(b);
    if na.is_empty() || nb.is_empty() {
        return Err(bad(format!("range {spec:?}: both ends must end in digits")));
    }
    if pa != pb || na.len() != nb.len() {
        return Err(bad(format!("range {spec:?}: both ends need the same prefix and the same number of digits")));
    }
    let (lo, hi) = match (na.parse::<u64>(), nb.parse::<u64>()) {
        (Ok(lo), Ok(hi)) if lo <= hi => (lo, hi),
        (Ok(_), Ok(_)) => return Err(bad(format!("range {spec:?}: the start is after the end"))),
        _ => return Err(bad(format!("range {spec:?}: the numbers are too long"))),
    };
    // lo <= hi, so the difference cannot underflow; a count past u64 is past the bound too.
    let count = hi.abs_diff(lo).saturating_add(1);
    if count > MAX_RANGE {
        return Err(bad(format!("range {spec:?} has {count} serials; at most {MAX_RANGE} per range")));
    }
    let width = na.len();
    (lo..=hi).map(|n| Serial::parse(&format!("{pa}{n:0width$}"))).collect()
}

#[cfg(test)]
// Tests: an overflow or a panic is a failed test.
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn expands_inclusively() {
        let v = expand("SN0998..SN1001").unwrap();
        let v: Vec<_> = v.iter().map(|s| s.as_str()).collect();
        assert_eq!(v, ["SN0998", "SN0999", "SN1000", "SN1001"]);
        assert_eq!(expand("X7").unwrap().len(), 1);
        assert_eq!(expand("A01..B02").unwrap_err().rule, "serial_range");
        assert_eq!(expand("A01..A002").unwrap_err().rule, "serial_range");
        assert_eq!(expand("A05..A01").unwrap_err().rule, "serial_range");
        assert_eq!(expand("A..B").unwrap_err().rule, "serial_range");
        assert_eq!(expand("A0000000..A9999999").unwrap_err().rule, "serial_range");
    }
}
