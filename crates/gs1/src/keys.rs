//! The other GS1 keys a warehouse prints and scans: SSCC (pallets) and GLN
//! (places), each validated on parse and completable from its body.

use std::fmt;

use crate::check_digit::{gs1_check_digit, has_valid_gs1_check_digit};

/// Why a string is not a GS1 key of the expected kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The key has a fixed number of digits.
    #[error("a {kind} has {want} digits, not {got}")]
    Length {
        /// SSCC or GLN.
        kind: &'static str,
        /// Digits required.
        want: usize,
        /// Digits given.
        got: usize,
    },
    /// Only ASCII digits are allowed.
    #[error("a {0} has only digits")]
    NotDigits(&'static str),
    /// The last digit is not the GS1 check digit of the rest.
    #[error("the {0} check digit is wrong")]
    CheckDigit(&'static str),
}

fn parse_key(s: &str, kind: &'static str, want: usize) -> Result<String, KeyError> {
    if s.len() != want {
        return Err(KeyError::Length { kind, want, got: s.len() });
    }
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(KeyError::NotDigits(kind));
    }
    if !has_valid_gs1_check_digit(s) {
        return Err(KeyError::CheckDigit(kind));
    }
    Ok(s.to_string())
}

fn complete(body: &str, kind: &'static str, want: usize) -> Result<String, KeyError> {
    if body.len() + 1 != want {
        return Err(KeyError::Length { kind, want: want - 1, got: body.len() });
    }
    let check = gs1_check_digit(body).ok_or(KeyError::NotDigits(kind))?;
    Ok(format!("{body}{check}"))
}

macro_rules! key {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $len:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Validates length, digits and check digit.
            pub fn parse(s: &str) -> Result<Self, KeyError> {
                parse_key(s, $kind, $len).map($name)
            }

            /// Completes a key from its digits without the check digit.
            pub fn from_body(body: &str) -> Result<Self, KeyError> {
                complete(body, $kind, $len).map($name)
            }

            /// The digits.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

key!(
    /// A Serial Shipping Container Code (AI 00): one pallet or parcel.
    Sscc, "SSCC", 18
);
key!(
    /// A Global Location Number (AI 414 and others): one place or party.
    Gln, "GLN", 13
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_validate_and_complete() {
        assert_eq!(Sscc::from_body("10614141123456789").unwrap().as_str(), "106141411234567897");
        assert!(Sscc::parse("106141411234567897").is_ok());
        assert_eq!(Sscc::parse("106141411234567890"), Err(KeyError::CheckDigit("SSCC")));
        assert_eq!(Gln::from_body("952132100001").unwrap().as_str(), "9521321000018");
        assert_eq!(Gln::parse("95213210000"), Err(KeyError::Length { kind: "GLN", want: 13, got: 11 }));
        assert_eq!(Gln::parse("952132100001x"), Err(KeyError::NotDigits("GLN")));
        assert!(Sscc::from_body("1234").is_err());
    }
}
