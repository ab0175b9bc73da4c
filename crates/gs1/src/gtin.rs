//! Global Trade Item Numbers.

use std::fmt;
use std::str::FromStr;

use crate::check_digit::has_valid_gs1_check_digit;

/// Why a string is not a GTIN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GtinError {
    /// GTINs are 8, 12, 13 or 14 digits long.
    #[error("a GTIN has 8, 12, 13 or 14 digits, not {0}")]
    Length(usize),
    /// Only ASCII digits are allowed.
    #[error("a GTIN has only digits")]
    NotDigits,
    /// The last digit does not match the GS1 modulo-10 check digit.
    #[error("the GTIN check digit is wrong")]
    CheckDigit,
}

/// A validated GTIN, stored in its 14-digit form so that GTIN-8, -12 and
/// -13 spellings of the same product compare equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Gtin(String);

impl Gtin {
    /// Validates length, digits and check digit; pads to 14 digits.
    pub fn parse(s: &str) -> Result<Self, GtinError> {
        if !matches!(s.len(), 8 | 12 | 13 | 14) {
            return Err(GtinError::Length(s.len()));
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(GtinError::NotDigits);
        }
        if !has_valid_gs1_check_digit(s) {
            return Err(GtinError::CheckDigit);
        }
        Ok(Gtin(format!("{s:0>14}")))
    }

    /// Completes a GTIN from its digits without the check digit (7, 11, 12
    /// or 13 of them).
    pub fn from_body(body: &str) -> Result<Self, GtinError> {
        let check = crate::check_digit::gs1_check_digit(body).ok_or(GtinError::NotDigits)?;
        Gtin::parse(&format!("{body}{check}"))
    }

    /// The 14-digit form, as carried in GS1 AI (01).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Gtin {
    type Err = GtinError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Gtin::parse(s)
    }
}

impl fmt::Display for Gtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_and_validates() {
        assert_eq!(Gtin::parse("9506000134352").unwrap().as_str(), "09506000134352");
        assert_eq!(Gtin::parse("96385074").unwrap().as_str(), "00000096385074");
        assert_eq!(Gtin::parse("9506000134353"), Err(GtinError::CheckDigit));
        assert_eq!(Gtin::parse("950600013435"), Err(GtinError::CheckDigit));
        assert_eq!(Gtin::parse("12345"), Err(GtinError::Length(5)));
        assert_eq!(Gtin::parse("95060001343a"), Err(GtinError::NotDigits));
        assert_eq!(Gtin::from_body("950600013435").unwrap().as_str(), "09506000134352");
        assert_eq!(Gtin::from_body("12"), Err(GtinError::Length(3)));
    }
}
