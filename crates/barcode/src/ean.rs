//! EAN-13 and UPC-A: a GTIN-13 or GTIN-12 with its check digit verified.

use tracelot_gs1::has_valid_gs1_check_digit;

use crate::{BarcodeError, Symbol, Symbology};

/// Left-hand odd-parity (set A) patterns; set C is their complement and
/// set B the reverse of set C.
const SET_A: [&str; 10] =
    ["0001101", "0011001", "0010011", "0111101", "0100011", "0110001", "0101111", "0111011", "0110111", "0001011"];

/// Which left-hand digits use set B, by the first digit (1 = set B).
const PARITY: [&str; 10] =
    ["000000", "001011", "001101", "001110", "010011", "011001", "011100", "010101", "010110", "011010"];

fn bits(pattern: &str) -> impl Iterator<Item = bool> + '_ {
    pattern.bytes().map(|b| b == b'1')
}

/// The set A pattern and the parity pattern of an ASCII digit; None for any
/// other byte.
fn patterns(b: u8) -> Option<(&'static str, &'static str)> {
    let digit = usize::from(b.checked_sub(b'0')?);
    Some((SET_A.get(digit)?, PARITY.get(digit)?))
}

fn symbol(digits: &str, symbology: Symbology, name: &'static str, len: usize) -> Result<Symbol, BarcodeError> {
    let wrong_length = || BarcodeError::Invalid { symbology: name, rule: format!("needs exactly {len} digits") };
    if digits.len() != len {
        return Err(wrong_length());
    }
    // Thirteen digits (a UPC-A with a leading 0), each with its patterns.
    let d: [(&str, &str); 13] = format!("{digits:0>13}")
        .bytes()
        .map(patterns)
        .collect::<Option<Vec<_>>>()
        .and_then(|d| d.try_into().ok())
        .ok_or_else(wrong_length)?;
    if !has_valid_gs1_check_digit(digits) {
        return Err(BarcodeError::Invalid { symbology: name, rule: "the check digit is wrong".into() });
    }
    let (_, parity) = d[0];
    let mut m: Vec<bool> = bits("101").collect();
    for (&(set_a, _), set) in d[1..7].iter().zip(parity.bytes()) {
        let a: Vec<bool> = bits(set_a).collect();
        if set == b'1' {
            m.extend(a.iter().rev().map(|x| !x));
        } else {
            m.extend(a);
        }
    }
    m.extend(bits("01010"));
    for &(set_a, _) in &d[7..] {
        m.extend(bits(set_a).map(|x| !x));
    }
    m.extend(bits("101"));
    Ok(Symbol::Linear { symbology, modules: m, hri: digits.to_string() })
}

/// An EAN-13 symbol of a 13-digit GTIN.
pub fn ean13(gtin13: &str) -> Result<Symbol, BarcodeError> {
    symbol(gtin13, Symbology::Ean13, "EAN-13", 13)
}

/// A UPC-A symbol of a 12-digit GTIN.
pub fn upca(gtin12: &str) -> Result<Symbol, BarcodeError> {
    symbol(gtin12, Symbology::UpcA, "UPC-A", 12)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ninety_five_modules_and_checked_digits() {
        let Symbol::Linear { modules, .. } = ean13("9506000134352").unwrap() else { panic!("linear") };
        assert_eq!(modules.len(), 95);
        assert!(matches!(ean13("9506000134353"), Err(BarcodeError::Invalid { .. })));
        assert!(matches!(upca("03600029145"), Err(BarcodeError::Invalid { .. })));
        assert!(upca("036000291452").is_ok());
    }
}
