//! GS1 identifiers and barcode data: check digits, GTIN, VIN, and a complete
//! engine for GS1 Application Identifier data.
//!
//! The AI table is generated from GS1's Barcode Syntax Dictionary (see
//! `tracelot-gs1-tablegen`), so every AI, length, character set, linter and
//! association rule comes from GS1 rather than from someone's typing. The
//! engine reads every form a scan arrives in (FNC1/GS element strings,
//! symbology identifiers, bracketed text, Digital Link URIs, bare GTINs)
//! and writes element strings, bracketed text and Digital Link URIs.
//!
//! This crate depends on no other tracelot crate so that scanners, label
//! renderers and the ledger all validate identifiers the same way.

pub mod ai;
mod check_digit;
mod dl;
mod error;
mod gtin;
mod keys;
pub mod lint;
mod message;
mod scan;
#[rustfmt::skip]
mod table;
mod typed;
mod vin;

pub use check_digit::{gs1_check_digit, has_valid_gs1_check_digit};
pub use dl::CANONICAL_STEM;
pub use error::{ParseError, Rule};
pub use gtin::{Gtin, GtinError};
pub use keys::{Gln, KeyError, Sscc};
pub use message::{AssociationIssue, Element, FNC1, GS, Message, Options};
pub use scan::{Carrier, Scan, parse_scan};
pub use typed::{Decimal, Gs1Date, Measure, Money, century, yymmdd};
pub use vin::{Vin, VinError};
