//! The tracelot domain.
//!
//! Everything here is pure: values are parsed once into types that carry
//! their rules ([`Sku`], [`LotCode`], [`Serial`], [`Qty`] ...), commands say
//! what a user asked for, and [`rules::plan`] turns a command plus the state it
//! reads through a [`rules::LedgerView`] into the effects a store must write.
//! No I/O, no SQL: stores call in here from inside their write transaction.

pub mod access;
pub mod chain;
pub mod codes;
pub mod command;
pub mod document;
pub mod error;
pub mod ids;
pub mod item;
pub mod location;
pub mod lot;
pub mod quantity;
pub mod rules;
pub mod serial_range;
pub mod time;
pub mod warranty;

pub use access::{Permission, Role};
pub use command::{Command, Request, Transaction};
pub use error::{DomainError, Rule, ValueError};
pub use ids::{AccountName, LocationPath, LotCode, PartnerCode, PlaceRef, Serial, Sku, TxId, UserName};
pub use item::{ItemSpec, SerialKind, SerialPattern, Tracking};
pub use location::LocationKind;
pub use lot::{LotDetails, LotStatus, RecallDecision};
pub use quantity::{Qty, Scale};
