//! Vehicle Identification Numbers (ISO 3779 with the North American check
//! digit in position 9).

use std::fmt;

/// Why a string is not a valid VIN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VinError {
    /// A VIN is exactly 17 characters.
    #[error("a VIN has 17 characters, not {0}")]
    Length(usize),
    /// I, O and Q are excluded to avoid confusion with 1 and 0.
    #[error("a VIN may not contain '{0}' (I, O and Q are never used; only A-Z and 0-9)")]
    Character(char),
    /// Position 9 must match the weighted transliteration sum modulo 11.
    #[error("the VIN check digit (position 9) should be '{expected}', not '{found}'")]
    CheckDigit { expected: char, found: char },
}

/// A validated VIN.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Vin(String);

const WEIGHTS: [u32; 17] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];

fn transliterate(c: char) -> Result<u32, VinError> {
    Ok(match c {
        '0'..='9' => c as u32 - '0' as u32,
        'A' | 'J' => 1,
        'B' | 'K' | 'S' => 2,
        'C' | 'L' | 'T' => 3,
        'D' | 'M' | 'U' => 4,
        'E' | 'N' | 'V' => 5,
        'F' | 'W' => 6,
        'G' | 'P' | 'X' => 7,
        'H' | 'Y' => 8,
        'R' | 'Z' => 9,
        other => return Err(VinError::Character(other)),
    })
}

impl Vin {
    /// Validates length, alphabet and check digit. Lower case is refused
    /// rather than folded, so the stored serial is exactly what was scanned.
    pub fn parse(s: &str) -> Result<Self, VinError> {
        let n = s.chars().count();
        if n != 17 {
            return Err(VinError::Length(n));
        }
        let mut sum = 0;
        for (c, w) in s.chars().zip(WEIGHTS) {
            sum += transliterate(c)? * w;
        }
        let expected = match sum % 11 {
            10 => 'X',
            d => char::from(b'0' + d as u8),
        };
        let found = s.chars().nth(8).unwrap_or(' ');
        if found != expected {
            return Err(VinError::CheckDigit { expected, found });
        }
        Ok(Vin(s.to_owned()))
    }

    /// The VIN as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Vin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digit() {
        // The textbook example VIN with check digit X, and a real-format one.
        assert!(Vin::parse("1M8GDM9AXKP042788").is_ok());
        assert!(Vin::parse("11111111111111111").is_ok());
        assert_eq!(Vin::parse("1M8GDM9A1KP042788"), Err(VinError::CheckDigit { expected: 'X', found: '1' }));
        assert_eq!(Vin::parse("1M8GDM9AXKP04278"), Err(VinError::Length(16)));
        assert_eq!(Vin::parse("1M8GDM9AXKP0427O8"), Err(VinError::Character('O')));
        assert_eq!(Vin::parse("1m8GDM9AXKP042788"), Err(VinError::Character('m')));
    }
}
