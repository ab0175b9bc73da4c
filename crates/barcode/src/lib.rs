//! Barcode symbols for labels, as grids of modules that any renderer
//! (SVG, PNG, PDF, ZPL) can draw.
//!
//! GS1 symbols take a validated [`tracelot_gs1::Message`], so what is
//! printed is always data the GS1 engine accepts; every encoder refuses,
//! with the rule it breaks, data its symbol cannot hold rather than
//! printing something else.

mod code128;
mod ean;
mod matrix;
mod raster;

pub use code128::{code128, gs1_128};
pub use ean::{ean13, upca};
pub use matrix::{datamatrix, gs1_datamatrix, gs1_qr, qr};
pub use raster::{Bitmap, png};

/// The symbologies labels use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Symbology {
    /// Code 128 with FNC1 first: GS1 element strings.
    Gs1_128,
    /// Plain Code 128.
    Code128,
    /// EAN-13 (a GTIN-13).
    Ean13,
    /// UPC-A (a GTIN-12).
    UpcA,
    /// Data Matrix with FNC1 first: GS1 element strings.
    Gs1DataMatrix,
    /// Plain Data Matrix.
    DataMatrix,
    /// QR Code with FNC1 first: GS1 element strings.
    Gs1Qr,
    /// Plain QR Code (a Digital Link URI, a tracelot code, text).
    Qr,
}

impl Symbology {
    /// The AIM symbology identifier a scanner prefixes to this symbol's data.
    pub fn identifier(self) -> &'static str {
        match self {
            Symbology::Gs1_128 => "]C1",
            Symbology::Code128 => "]C0",
            Symbology::Ean13 | Symbology::UpcA => "]E0",
            Symbology::Gs1DataMatrix => "]d2",
            Symbology::DataMatrix => "]d1",
            Symbology::Gs1Qr => "]Q3",
            Symbology::Qr => "]Q1",
        }
    }
}

/// A drawn symbol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Symbol {
    /// Bars: `true` is a dark module, left to right, without quiet zones.
    Linear {
        /// Which symbology.
        symbology: Symbology,
        /// The modules.
        modules: Vec<bool>,
        /// The text printed under it.
        hri: String,
    },
    /// A square or rectangular grid, row by row, without quiet zone.
    Matrix {
        /// Which symbology.
        symbology: Symbology,
        /// Modules per row.
        width: usize,
        /// Rows.
        height: usize,
        /// `true` is a dark module.
        modules: Vec<bool>,
    },
}

impl Symbol {
    /// Which symbology drew it.
    pub fn symbology(&self) -> Symbology {
        match self {
            Symbol::Linear { symbology, .. } | Symbol::Matrix { symbology, .. } => *symbology,
        }
    }

    /// Modules of light margin the symbology requires on each side.
    pub fn quiet_zone(&self) -> usize {
        match self.symbology() {
            Symbology::Gs1_128 | Symbology::Code128 => 10,
            Symbology::Ean13 | Symbology::UpcA => 11,
            Symbology::Gs1DataMatrix | Symbology::DataMatrix => 1,
            Symbology::Gs1Qr | Symbology::Qr => 4,
        }
    }
}

/// Why data cannot become a symbol. Each names the symbology and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BarcodeError {
    /// More data than the symbology (or GS1's rule for it) allows.
    #[error("{symbology} holds at most {max} {unit}; this data needs {needed}")]
    TooLong {
        /// The symbology.
        symbology: &'static str,
        /// Its limit.
        max: usize,
        /// What the limit counts.
        unit: &'static str,
        /// What the data needs.
        needed: usize,
    },
    /// A character the symbology cannot encode.
    #[error("{symbology} cannot encode {character:?} (at position {position})")]
    Character {
        /// The symbology.
        symbology: &'static str,
        /// The character.
        character: char,
        /// Its position in the data.
        position: usize,
    },
    /// Wrong number of digits, or a wrong check digit.
    #[error("{symbology}: {rule}")]
    Invalid {
        /// The symbology.
        symbology: &'static str,
        /// The broken rule.
        rule: String,
    },
}
