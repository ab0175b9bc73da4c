//! Label templates and the layout every output format shares.
//!
//! A template is TOML: the label's size in millimetres, the printer's DPI,
//! and elements (text with placeholders such as `{lot.code}` or
//! `{lot.expires_on:%d.%m.%Y}`, barcodes, lines, boxes). [`Template::layout`]
//! fills the placeholders from a data map, encodes each barcode (refusing
//! data its symbol cannot hold) and returns a [`Label`]: shapes in
//! millimetres that the SVG and ZPL writers draw.

mod fonts;
mod layout;
pub mod limits;
mod pdf;
mod png;
mod render;
mod svg;
mod template;
mod zpl;

pub use layout::{Label, Shape};
pub use limits::Deadline;
pub use pdf::{Paper, Sheet, pdf};
pub use png::png;
pub use render::{Format, render};
pub use svg::svg;
pub use template::{Element, Template, builtin, builtin_names};
pub use zpl::zpl;

/// Why a label could not be made. Each names the element and the rule.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LabelError {
    /// The template is not valid TOML for a template.
    #[error("template: {0}")]
    Template(String),
    /// A placeholder names data that was not given.
    #[error("element {element}: no data for placeholder {{{key}}}")]
    MissingData {
        /// Element index.
        element: usize,
        /// The placeholder's key.
        key: String,
    },
    /// A placeholder's format applies to dates and the value is not one.
    #[error("element {element}: {key} = {value:?} is not a date (YYYY-MM-DD) for the format {format:?}")]
    NotADate {
        /// Element index.
        element: usize,
        /// The key.
        key: String,
        /// The value given.
        value: String,
        /// The format.
        format: String,
    },
    /// Unbalanced braces in a placeholder text.
    #[error("element {element}: unbalanced braces in {text:?}")]
    Braces {
        /// Element index.
        element: usize,
        /// The text.
        text: String,
    },
    /// The barcode's GS1 data is not valid.
    #[error("element {element}: {error}")]
    Gs1 {
        /// Element index.
        element: usize,
        /// The GS1 engine's error.
        error: tracelot_gs1::ParseError,
    },
    /// The symbol cannot hold the data.
    #[error("element {element}: {error}")]
    Barcode {
        /// Element index.
        element: usize,
        /// The encoder's refusal.
        error: tracelot_barcode::BarcodeError,
    },
    /// The symbol (with its quiet zones) does not fit on the label.
    #[error(
        "element {element}: the symbol with its quiet zones spans x = {left_mm:.1} to {right_mm:.1} mm and y = {top_mm:.1} to {bottom_mm:.1} mm, past the {width_mm} × {height_mm} mm label; move it or make its modules smaller"
    )]
    DoesNotFit {
        /// Element index.
        element: usize,
        /// The left edge of its quiet zone.
        left_mm: f64,
        /// The right edge of its quiet zone.
        right_mm: f64,
        /// Its top.
        top_mm: f64,
        /// Its bottom (a linear symbol's bars grow to fit).
        bottom_mm: f64,
        /// The label's width.
        width_mm: f64,
        /// The label's height.
        height_mm: f64,
    },
    /// The output could not be written.
    #[error("{0}")]
    Output(String),
    /// The print run is larger than one request may ask for.
    #[error("{0}")]
    TooLarge(String),
    /// An unknown built-in template.
    #[error("no built-in template {0:?}; built-ins are lot, serial, location and sscc")]
    UnknownTemplate(String),
}
