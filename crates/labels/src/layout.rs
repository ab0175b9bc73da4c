//! Filling a template with data: placeholders, then shapes in millimetres.

use std::collections::BTreeMap;

use tracelot_barcode::{Symbol, Symbology};
use tracelot_gs1::{Message, Options};

use crate::{Element, LabelError, Template};

/// Something to draw, in millimetres from the label's top-left corner.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// Text; `y` is the top of the line.
    Text {
        /// Left edge.
        x: f64,
        /// Top.
        y: f64,
        /// Size in points.
        size_pt: f64,
        /// Bold face.
        bold: bool,
        /// Centre the text on `x` instead of starting there.
        centered: bool,
        /// The text.
        text: String,
    },
    /// A filled rectangle (lines and box edges are thin rectangles).
    Rect {
        /// Left edge.
        x: f64,
        /// Top.
        y: f64,
        /// Width.
        w: f64,
        /// Height.
        h: f64,
    },
    /// A barcode: its modules, and what a printer with native barcode
    /// commands needs to draw it itself. Its human-readable text, when
    /// asked for, is the centred text shape that follows it.
    Barcode {
        /// Left edge of the first module.
        x: f64,
        /// Top.
        y: f64,
        /// Module width.
        module: f64,
        /// Bar height of a linear symbol (the matrix height otherwise).
        height: f64,
        /// The encoded symbol.
        symbol: Symbol,
        /// The data as a scanner will transmit it (GS between GS1 elements).
        data: String,
    },
}

/// A laid-out label.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    /// Width.
    pub width_mm: f64,
    /// Height.
    pub height_mm: f64,
    /// Printer resolution.
    pub dpi: u32,
    /// What to draw, in order.
    pub shapes: Vec<Shape>,
}

/// Millimetres per typographic point.
pub(crate) const MM_PER_PT: f64 = 25.4 / 72.0;

/// Dark runs of a row of modules, as (start, length).
pub(crate) fn runs(row: &[bool]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut cells = row.iter().enumerate().peekable();
    std::iter::from_fn(move || {
        // Past the light cells to the run's first dark one, then along it.
        while cells.next_if(|(_, dark)| !**dark).is_some() {}
        let &(start, _) = cells.peek()?;
        let len = std::iter::from_fn(|| cells.next_if(|(_, dark)| **dark)).count();
        Some((start, len))
    })
}

/// Fills `{key}` and `{key:FORMAT}`; `{{` and `}}` are literal braces.
fn fill(text: &str, data: &BTreeMap<String, String>, element: usize) -> Result<String, LabelError> {
    let braces = || LabelError::Braces { element, text: text.to_string() };
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((before, tail)) = rest.find(['{', '}']).and_then(|i| rest.split_at_checked(i)) {
        out.push_str(before);
        if let Some(t) = tail.strip_prefix("{{") {
            out.push('{');
            rest = t;
            continue;
        }
        if let Some(t) = tail.strip_prefix("}}") {
            out.push('}');
            rest = t;
            continue;
        }
        // Not a doubled brace: a `}` here has no `{`, and a `{` needs its `}`.
        let placeholder = tail.strip_prefix('{').ok_or_else(braces)?;
        let (inner, after) = placeholder.split_once('}').ok_or_else(braces)?;
        let (key, format) = match inner.split_once(':') {
            Some((k, f)) => (k, Some(f)),
            None => (inner, None),
        };
        let value = data.get(key).ok_or_else(|| LabelError::MissingData { element, key: key.to_string() })?;
        match format {
            None => out.push_str(value),
            Some(f) => {
                let not_date = || LabelError::NotADate {
                    element,
                    key: key.to_string(),
                    value: value.clone(),
                    format: f.to_string(),
                };
                let date: jiff::civil::Date = value.parse().map_err(|_| not_date())?;
                out.push_str(&jiff::fmt::strtime::format(f, date).map_err(|_| not_date())?);
            }
        }
        rest = after;
    }
    out.push_str(rest);
    Ok(out)
}

fn encode(symbology: &str, data: &str, element: usize) -> Result<(Symbol, String), LabelError> {
    let gs1 = |data: &str| {
        Message::parse_bracketed(data, &Options::default()).map_err(|error| LabelError::Gs1 { element, error })
    };
    let bar = |e: tracelot_barcode::BarcodeError| LabelError::Barcode { element, error: e };
    Ok(match symbology {
        "gs1-128" => {
            let m = gs1(data)?;
            (tracelot_barcode::gs1_128(&m).map_err(bar)?, m.element_string())
        }
        "gs1-datamatrix" => {
            let m = gs1(data)?;
            (tracelot_barcode::gs1_datamatrix(&m).map_err(bar)?, m.element_string())
        }
        "gs1-qr" => {
            let m = gs1(data)?;
            (tracelot_barcode::gs1_qr(&m).map_err(bar)?, m.element_string())
        }
        "code128" => (tracelot_barcode::code128(data).map_err(bar)?, data.to_string()),
        "ean13" => (tracelot_barcode::ean13(data).map_err(bar)?, data.to_string()),
        "upca" => (tracelot_barcode::upca(data).map_err(bar)?, data.to_string()),
        "datamatrix" => (tracelot_barcode::datamatrix(data).map_err(bar)?, data.to_string()),
        "qr" => (tracelot_barcode::qr(data).map_err(bar)?, data.to_string()),
        other => {
            return Err(LabelError::Template(format!(
                "element {element}: unknown symbology {other:?} (gs1-128, code128, ean13, upca, gs1-datamatrix, datamatrix, gs1-qr, qr)"
            )));
        }
    })
}

/// The default module width: GS1's recommended X-dimension for the symbology.
fn default_module(symbology: Symbology) -> f64 {
    match symbology {
        Symbology::Ean13 | Symbology::UpcA => 0.33,
        Symbology::Gs1_128 | Symbology::Code128 => 0.495,
        _ => 0.5,
    }
}

impl Template {
    /// Fills the placeholders from `data` and encodes every barcode.
    pub fn layout(&self, data: &BTreeMap<String, String>) -> Result<Label, LabelError> {
        let mut shapes = Vec::new();
        for (i, e) in self.elements.iter().enumerate() {
            match e {
                Element::Text { when: Some(key), .. } if !data.contains_key(key) => {}
                Element::Text { x_mm, y_mm, size_pt, bold, text, .. } => shapes.push(Shape::Text {
                    x: *x_mm,
                    y: *y_mm,
                    size_pt: *size_pt,
                    bold: *bold,
                    centered: false,
                    text: fill(text, data, i)?,
                }),
                Element::Barcode { x_mm, y_mm, symbology, data: template, module_mm, height_mm, hri } => {
                    let filled = fill(template, data, i)?;
                    let (symbol, transmitted) = encode(symbology, &filled, i)?;
                    let module = module_mm.unwrap_or_else(|| default_module(symbol.symbology()));
                    let (columns, rows) = match &symbol {
                        Symbol::Linear { modules, .. } => (modules.len(), 0),
                        Symbol::Matrix { width, height, .. } => (*width, *height),
                    };
                    let quiet = symbol.quiet_zone() as f64 * module;
                    let (left, right) = (x_mm - quiet, x_mm + columns as f64 * module + quiet);
                    let bottom = y_mm + rows as f64 * module;
                    let fits_x = left >= -1e-9 && right <= self.width_mm + 1e-9;
                    if !fits_x || bottom > self.height_mm + 1e-9 {
                        return Err(LabelError::DoesNotFit {
                            element: i,
                            left_mm: left,
                            right_mm: right,
                            top_mm: *y_mm,
                            bottom_mm: bottom,
                            width_mm: self.width_mm,
                            height_mm: self.height_mm,
                        });
                    }
                    let (height, hri_text) = match &symbol {
                        Symbol::Linear { modules, hri: text, .. } => {
                            (height_mm.unwrap_or(15.0), Some((modules.len() as f64 * module, text.clone())))
                        }
                        Symbol::Matrix { height, .. } => (*height as f64 * module, None),
                    };
                    shapes.push(Shape::Barcode { x: *x_mm, y: *y_mm, module, height, symbol, data: transmitted });
                    if let (true, Some((width, text))) = (*hri, hri_text) {
                        shapes.push(Shape::Text {
                            x: x_mm + width / 2.0,
                            y: y_mm + height + 1.0,
                            size_pt: 8.0,
                            bold: false,
                            centered: true,
                            text,
                        });
                    }
                }
                Element::Line { x1_mm, y1_mm, x2_mm, y2_mm, thickness_mm } => {
                    let (x, y) = (x1_mm.min(*x2_mm), y1_mm.min(*y2_mm));
                    let (w, h) = ((x2_mm - x1_mm).abs().max(*thickness_mm), (y2_mm - y1_mm).abs().max(*thickness_mm));
                    shapes.push(Shape::Rect { x, y, w, h });
                }
                Element::Box { x_mm, y_mm, width_mm, height_mm, thickness_mm } => {
                    let t = *thickness_mm;
                    shapes.push(Shape::Rect { x: *x_mm, y: *y_mm, w: *width_mm, h: t });
                    shapes.push(Shape::Rect { x: *x_mm, y: y_mm + height_mm - t, w: *width_mm, h: t });
                    shapes.push(Shape::Rect { x: *x_mm, y: *y_mm, w: t, h: *height_mm });
                    shapes.push(Shape::Rect { x: x_mm + width_mm - t, y: *y_mm, w: t, h: *height_mm });
                }
            }
        }
        Ok(Label { width_mm: self.width_mm, height_mm: self.height_mm, dpi: self.dpi, shapes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_text_with_when_is_drawn_only_when_its_key_is_there() {
        let lot = crate::template::builtin("lot").unwrap();
        let mut d = data(&[
            ("item.name", "Flour"),
            ("item.sku", "FLOUR"),
            ("item.gtin", "09506000134352"),
            ("lot.code", "F1"),
            ("lot.expires_on", "2027-06-30"),
        ]);
        let texts = |d: &BTreeMap<String, String>| -> Vec<String> {
            lot.layout(d)
                .unwrap()
                .shapes
                .into_iter()
                .filter_map(|s| match s {
                    Shape::Text { text, .. } => Some(text),
                    _ => None,
                })
                .collect()
        };
        assert!(!texts(&d).iter().any(|t| t.contains("SUPPLIER")));
        d.insert("lot.supplier_lot".into(), "MILL-7731".into());
        assert!(texts(&d).contains(&"SUPPLIER LOT MILL-7731".to_string()));
    }

    #[test]
    fn placeholders_fill_with_date_formats_and_name_what_is_missing() {
        let d = data(&[("lot.code", "L1"), ("lot.expires_on", "2027-06-30")]);
        assert_eq!(fill("LOT {lot.code} {lot.expires_on:%d.%m.%Y} {{x}}", &d, 0).unwrap(), "LOT L1 30.06.2027 {x}");
        assert_eq!(fill("(17){lot.expires_on:%y%m%d}", &d, 0).unwrap(), "(17)270630");
        assert_eq!(fill("{nope}", &d, 3), Err(LabelError::MissingData { element: 3, key: "nope".into() }));
        assert!(matches!(fill("{lot.code:%Y}", &d, 0), Err(LabelError::NotADate { .. })));
        assert!(matches!(fill("{lot.code", &d, 0), Err(LabelError::Braces { .. })));
        assert!(matches!(fill("a}b", &d, 0), Err(LabelError::Braces { .. })));
    }
}
