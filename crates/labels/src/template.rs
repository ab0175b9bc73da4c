//! The template format.

use serde::Deserialize;

use crate::LabelError;

/// A label template.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// A name for people.
    pub name: String,
    /// Label width.
    pub width_mm: f64,
    /// Label height.
    pub height_mm: f64,
    /// The printer's resolution (dots per inch), for ZPL and PNG.
    #[serde(default = "default_dpi")]
    pub dpi: u32,
    /// What is printed, in order.
    #[serde(default, rename = "element")]
    pub elements: Vec<Element>,
}

fn default_dpi() -> u32 {
    300
}

fn default_size() -> f64 {
    10.0
}

fn default_true() -> bool {
    true
}

fn default_thickness() -> f64 {
    0.3
}

/// One thing on a label. Positions are from the top-left corner.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Element {
    /// A line of text; `{key}` and `{key:FORMAT}` are filled from the data
    /// (FORMAT is a strftime format for dates, such as `%d.%m.%Y`).
    Text {
        /// Left edge.
        x_mm: f64,
        /// Top of the text.
        y_mm: f64,
        /// Font size in points.
        #[serde(default = "default_size")]
        size_pt: f64,
        /// Bold face.
        #[serde(default)]
        bold: bool,
        /// The text, with placeholders.
        text: String,
        /// Drawn only when the data has this key (a lot's supplier code,
        /// which most lots do not have); otherwise a missing key is an error.
        #[serde(default)]
        when: Option<String>,
    },
    /// A barcode. For GS1 symbologies `data` is bracketed AI text, e.g.
    /// `(01){item.gtin}(10){lot.code}`.
    Barcode {
        /// Left edge of the symbol (its quiet zone lies outside).
        x_mm: f64,
        /// Top edge.
        y_mm: f64,
        /// gs1-128, code128, ean13, upca, gs1-datamatrix, datamatrix, gs1-qr or qr.
        symbology: String,
        /// The data, with placeholders.
        data: String,
        /// Width of one module (narrow bar or matrix cell).
        #[serde(default)]
        module_mm: Option<f64>,
        /// Bar height of a linear symbol.
        #[serde(default)]
        height_mm: Option<f64>,
        /// Print the human-readable text under a linear symbol.
        #[serde(default = "default_true")]
        hri: bool,
    },
    /// A straight line.
    Line {
        /// Start.
        x1_mm: f64,
        /// Start.
        y1_mm: f64,
        /// End.
        x2_mm: f64,
        /// End.
        y2_mm: f64,
        /// Stroke width.
        #[serde(default = "default_thickness")]
        thickness_mm: f64,
    },
    /// A rectangle outline.
    Box {
        /// Left edge.
        x_mm: f64,
        /// Top edge.
        y_mm: f64,
        /// Width.
        width_mm: f64,
        /// Height.
        height_mm: f64,
        /// Stroke width.
        #[serde(default = "default_thickness")]
        thickness_mm: f64,
    },
}

impl Template {
    /// Reads a template from TOML.
    pub fn parse(text: &str) -> Result<Template, LabelError> {
        let t: Template = toml::from_str(text).map_err(|e| LabelError::Template(e.to_string()))?;
        crate::limits::check_template(&t)?;
        Ok(t)
    }

    /// The template at another printer resolution, within the same bounds.
    pub fn with_dpi(mut self, dpi: u32) -> Result<Template, LabelError> {
        self.dpi = dpi;
        crate::limits::check_template(&self)?;
        Ok(self)
    }
}

/// The built-in templates by name.
const BUILTINS: &[(&str, &str)] = &[
    ("lot", include_str!("../templates/lot.toml")),
    ("serial", include_str!("../templates/serial.toml")),
    ("location", include_str!("../templates/location.toml")),
    ("sscc", include_str!("../templates/sscc.toml")),
];

/// Names of the built-in templates.
pub fn builtin_names() -> impl Iterator<Item = &'static str> {
    BUILTINS.iter().map(|(n, _)| *n)
}

/// A built-in template.
pub fn builtin(name: &str) -> Result<Template, LabelError> {
    let (_, text) =
        BUILTINS.iter().find(|(n, _)| *n == name).ok_or_else(|| LabelError::UnknownTemplate(name.into()))?;
    Template::parse(text)
}
