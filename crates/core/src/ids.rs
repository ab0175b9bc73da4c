//! Identifiers, each parsed once and carrying its own rules. Their text is
//! shared (`Arc<str>`), so copying a unit into a trace or report of
//! 100,000 rows costs a reference count, not an allocation.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use crate::error::ValueError;

fn check_text(
    s: &str,
    what: &str,
    max: usize,
    allowed: impl Fn(char) -> bool,
    rule_chars: &'static str,
    allowed_desc: &str,
) -> Result<(), ValueError> {
    if s.is_empty() {
        return Err(ValueError::new("not_empty", format!("{what} must not be empty")));
    }
    let n = s.chars().count();
    if n > max {
        return Err(ValueError::new("max_length", format!("{what} has {n} characters, at most {max} are allowed")));
    }
    if let Some(c) = s.chars().find(|c| !allowed(*c)) {
        return Err(ValueError::new(rule_chars, format!("{what} may not contain {c:?}; allowed: {allowed_desc}")));
    }
    Ok(())
}

/// Declares a validated string newtype with serde, `FromStr` and `Display`.
macro_rules! text_id {
    ($(#[$doc:meta])* $name:ident, $what:literal, $max:expr, $allowed:expr, $rule:literal, $desc:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Arc<str>);

        impl $name {
            /// Parses and validates.
            pub fn parse(s: &str) -> Result<Self, ValueError> {
                check_text(s, $what, $max, $allowed, $rule, $desc)?;
                Ok($name(Arc::from(s)))
            }

            /// The text as given.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = ValueError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

fn sku_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/')
}

/// GS1 character set 82 without the space-like risk: the printable ASCII
/// range that AI (10) and AI (21) permit.
fn gs1_cset82(c: char) -> bool {
    c.is_ascii_graphic() && !matches!(c, '#' | '$' | '@' | '[' | '\\' | ']' | '^' | '`' | '{' | '|' | '}' | '~')
}

fn path_segment_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

text_id!(
    /// A stock-keeping unit code. Never contains `#` or `:` so that the CLI
    /// forms `SKU#SERIAL` and `SKU:LOT:QTY` stay unambiguous.
    Sku, "SKU", 64, sku_char, "sku_chars", "letters, digits, - _ . /"
);
text_id!(
    /// A lot (batch) code, unique per item. Limited to what GS1 AI (10) can
    /// carry, so every lot can be printed on a GS1 label.
    LotCode, "lot code", 20, gs1_cset82, "gs1_cset82", "GS1 character set 82"
);
text_id!(
    /// A partner's code (supplier or customer).
    PartnerCode, "partner code", 32, path_segment_char, "partner_chars", "letters, digits, - _ ."
);
fn account_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.')
}

text_id!(
    /// The login name of an account that may use the API. Lower-case and
    /// free of `/`, so that `ACCOUNT/TOKEN` in the ledger's user column
    /// reads one way only.
    AccountName, "account name", 32, account_char, "account_chars", "lower-case letters, digits, - _ ."
);
text_id!(
    /// The user or token name recorded on every transaction.
    UserName, "user", 64, |c: char| c.is_ascii_graphic(), "user_chars", "printable ASCII without spaces"
);

/// A serial number of one unit, unique per item. Limited to what GS1 AI
/// (21) can carry (20 characters of set 82), so it can go on a label; VINs
/// (17 characters) fit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Serial(Arc<str>);

impl Serial {
    /// Parses and validates.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        check_text(s, "serial", 20, gs1_cset82, "gs1_cset82", "GS1 character set 82")?;
        if s.contains("..") {
            return Err(ValueError::new("serial_chars", "a serial may not contain '..' (that marks a range)"));
        }
        Ok(Serial(Arc::from(s)))
    }

    /// The serial as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Serial {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Serial::parse(s)
    }
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Serial {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Serial {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Serial::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A location path such as `MAIN/A/01`: segments of letters, digits, `-`,
/// `_` and `.` joined by `/`. The parent is the path without its last
/// segment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocationPath(Arc<str>);

impl LocationPath {
    /// Parses and validates every segment.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        check_text(
            s,
            "location path",
            200,
            |c| path_segment_char(c) || c == '/',
            "path_chars",
            "letters, digits, - _ . and / between segments",
        )?;
        if s.split('/').any(str::is_empty) {
            return Err(ValueError::new("path_segments", format!("location path {s:?} has an empty segment")));
        }
        Ok(LocationPath(Arc::from(s)))
    }

    /// The path as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The enclosing location, if any.
    pub fn parent(&self) -> Option<LocationPath> {
        self.0.rsplit_once('/').map(|(p, _)| LocationPath(Arc::from(p)))
    }

    /// The first segment: the site a location belongs to.
    pub fn root(&self) -> &str {
        self.0.split('/').next().unwrap_or_default()
    }

    /// This path and every ancestor, root first.
    pub fn lineage(&self) -> Vec<LocationPath> {
        let mut out = Vec::new();
        let mut cur = Some(self.clone());
        while let Some(p) = cur {
            cur = p.parent();
            out.push(p);
        }
        out.reverse();
        out
    }

    /// The virtual location that a partner's movements go to or come from.
    pub fn for_partner(kind_root: &str, code: &PartnerCode) -> LocationPath {
        LocationPath(Arc::from(format!("{kind_root}/{code}")))
    }
}

impl FromStr for LocationPath {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LocationPath::parse(s)
    }
}

impl fmt::Display for LocationPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for LocationPath {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for LocationPath {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        LocationPath::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Where a movement starts or ends, as a user writes it: a location path or
/// a partner code. The store resolves it (path first, then partner).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PlaceRef(LocationPath);

impl PlaceRef {
    /// Parses a path or partner code (partner codes are valid one-segment paths).
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        LocationPath::parse(s).map(PlaceRef)
    }

    /// The reference as a path.
    pub fn as_path(&self) -> &LocationPath {
        &self.0
    }

    /// The same text read as a partner code, when it can be one.
    pub fn as_partner(&self) -> Option<PartnerCode> {
        PartnerCode::parse(self.0.as_str()).ok()
    }
}

impl From<LocationPath> for PlaceRef {
    fn from(p: LocationPath) -> Self {
        PlaceRef(p)
    }
}

impl fmt::Display for PlaceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A transaction id chosen by the client (UUID; the CLI generates UUIDv7).
/// Posting the same id twice is how retries stay harmless.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TxId(Uuid);

impl TxId {
    /// A fresh, time-ordered id (UUIDv7).
    pub fn generate() -> Self {
        TxId(Uuid::now_v7())
    }

    /// Parses a UUID in any standard spelling.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        Uuid::parse_str(s).map(TxId).map_err(|e| ValueError::new("uuid", format!("a transaction id is a UUID: {e}")))
    }

    /// The 16 raw bytes, for compact storage.
    pub fn as_bytes(&self) -> &[u8; 16] {
        self.0.as_bytes()
    }

    /// Rebuilds an id from stored bytes.
    pub fn from_bytes(b: [u8; 16]) -> Self {
        TxId(Uuid::from_bytes(b))
    }
}

impl FromStr for TxId {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TxId::parse(s)
    }
}

impl fmt::Display for TxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

#[cfg(test)]
// Tests: an overflow or a panic is a failed test.
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_refuse_what_would_break_the_cli_or_gs1() {
        assert!(Sku::parse("KETCHUP-500").is_ok());
        assert_eq!(Sku::parse("A#B").unwrap_err().rule, "sku_chars");
        assert_eq!(Sku::parse("").unwrap_err().rule, "not_empty");
        assert!(LotCode::parse("L2026-11:A").is_ok());
        assert_eq!(LotCode::parse("L 1").unwrap_err().rule, "gs1_cset82");
        assert_eq!(LotCode::parse(&"X".repeat(21)).unwrap_err().rule, "max_length");
        assert_eq!(Serial::parse("SN1..SN2").unwrap_err().rule, "serial_chars");
        assert_eq!(LocationPath::parse("MAIN//01").unwrap_err().rule, "path_segments");
        let p = LocationPath::parse("MAIN/A/01").unwrap();
        let lineage: Vec<_> = p.lineage().iter().map(|p| p.to_string()).collect();
        assert_eq!(lineage, ["MAIN", "MAIN/A", "MAIN/A/01"]);
        assert!(TxId::parse("not-a-uuid").is_err());
        let id = TxId::generate();
        assert_eq!(TxId::parse(&id.to_string()).unwrap(), id);
    }
}
