//! Writes `crates/gs1/src/table.rs` from GS1's Barcode Syntax Dictionary.
//!
//! Usage: `cargo run -p tracelot-gs1-tablegen -- DICTIONARY OUT`. With no
//! arguments it reads the vendored `crates/gs1/data/gs1-syntax-dictionary.txt`
//! and writes the checked-in table. A test keeps the checked-in
//! table equal to what this program produces.

use anyhow::{Context, Result};
use std::path::PathBuf;

fn main() -> Result<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut args = std::env::args().skip(1);
    let dictionary = args.next().map(PathBuf::from).unwrap_or_else(|| root.join(tracelot_gs1_tablegen::DICTIONARY));
    let out = args.next().map(PathBuf::from).unwrap_or_else(|| root.join("crates/gs1/src/table.rs"));
    let text = std::fs::read_to_string(&dictionary).with_context(|| format!("reading {}", dictionary.display()))?;
    let table = tracelot_gs1_tablegen::generate(&text)?;
    std::fs::write(&out, table).with_context(|| format!("writing {}", out.display()))?;
    println!("wrote {}", out.display());
    Ok(())
}
