//! GS1 identifiers and the check-digit rules that guard them.
//!
//! This crate depends on no other tracelot crate so that scanners, label
//! renderers and the ledger all validate identifiers the same way.

mod check_digit;
mod gtin;
mod vin;

pub use check_digit::{gs1_check_digit, has_valid_gs1_check_digit};
pub use gtin::{Gtin, GtinError};
pub use vin::{Vin, VinError};
