//! Commands the PostgreSQL tests build.

use tracelot_core::command::{ReceiveLine, ReceiveUnits};
use tracelot_core::{Command, LotCode, LotDetails, PlaceRef, Sku};

/// A receipt of one line into `to`, from no partner.
pub fn receive_at(to: &str, sku: &str, lot: Option<&str>, units: ReceiveUnits) -> Command {
    let line = ReceiveLine {
        sku: Sku::parse(sku).expect("sku"),
        lot: lot.map(|l| LotCode::parse(l).expect("lot")),
        details: LotDetails::default(),
        status: None,
        units,
    };
    Command::Receive { from: None, to: PlaceRef::parse(to).expect("place"), lines: vec![line] }
}
