//! Bounds on what one request may ask a renderer to do, checked where the
//! template and the print run are read, before anything large is
//! allocated. A label printer's largest media is about 200 mm wide; the
//! bounds leave room for that at any printer resolution and refuse what
//! only an attacker or a typo asks for.

use std::time::{Duration, Instant};

use crate::{LabelError, Sheet, Template};

/// The longest side of a label.
pub const MAX_SIDE_MM: f64 = 1000.0;

/// Dots of one label at its resolution (width × height): 64 million, such
/// as 200 × 300 mm at 600 dpi. Bounds the PNG bitmap and ZPL graphics.
pub const MAX_DOTS: f64 = 64.0e6;

/// Elements of one template.
pub const MAX_ELEMENTS: usize = 500;

/// Font size, in points.
pub const MAX_SIZE_PT: f64 = 300.0;

/// Module (narrow bar or matrix cell) size.
pub const MAX_MODULE_MM: f64 = 10.0;

/// Labels in one print run (copies included).
pub const MAX_LABELS: usize = 10_000;

/// Labels × elements in one print run: what a PDF or ZPL file holds.
pub const MAX_ELEMENTS_PER_RUN: usize = 200_000;

/// Columns or rows of a sheet.
pub const MAX_SHEET_CELLS: u32 = 50;

/// Copies of one label in a request.
pub const MAX_COPIES: u32 = MAX_LABELS as u32;

/// How long one render may run. It is checked before each label is laid
/// out and each page is written, so a run past its time stops there and is
/// refused instead of holding a render worker; one PNG label, bounded by
/// [`MAX_DOTS`], is the longest stretch between checks.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    at: Option<Instant>,
    limit: Duration,
}

impl Deadline {
    /// No limit: the CLI renders on the operator's own machine.
    pub fn none() -> Self {
        Deadline { at: None, limit: Duration::ZERO }
    }

    /// `limit` from now.
    pub fn after(limit: Duration) -> Self {
        Deadline { at: Instant::now().checked_add(limit), limit }
    }

    /// Refuses the render once the time is up.
    pub(crate) fn check(&self) -> Result<(), LabelError> {
        match self.at {
            Some(at) if Instant::now() > at => Err(LabelError::TooLarge(format!(
                "rendering ran past its limit of {} ms; print fewer labels per request",
                self.limit.as_millis()
            ))),
            _ => Ok(()),
        }
    }
}

fn refuse(rule: String) -> LabelError {
    LabelError::Template(rule)
}

/// A size that must be positive and at most `max`.
fn within(field: &str, v: f64, max: f64) -> Result<(), LabelError> {
    match v.is_finite() && v > 0.0 && v <= max {
        true => Ok(()),
        false => Err(refuse(format!("{field} must be more than 0 and at most {max} (it is {v})"))),
    }
}

/// A position that must lie on the label's scale.
fn position(field: &str, v: f64) -> Result<(), LabelError> {
    match v.is_finite() && v.abs() <= MAX_SIDE_MM {
        true => Ok(()),
        false => Err(refuse(format!("{field} must be between -{MAX_SIDE_MM} and {MAX_SIDE_MM} mm (it is {v})"))),
    }
}

/// Checks a parsed template against every bound.
pub(crate) fn check_template(t: &Template) -> Result<(), LabelError> {
    within("width_mm", t.width_mm, MAX_SIDE_MM)?;
    within("height_mm", t.height_mm, MAX_SIDE_MM)?;
    if !(72..=1200).contains(&t.dpi) {
        return Err(refuse(format!("dpi must be between 72 and 1200 (it is {})", t.dpi)));
    }
    let dots = t.width_mm * t.height_mm * (f64::from(t.dpi) / 25.4).powi(2);
    if dots > MAX_DOTS {
        return Err(refuse(format!(
            "the label is {dots:.0} dots at {} dpi; at most {MAX_DOTS:.0} are allowed (make it smaller or lower dpi)",
            t.dpi
        )));
    }
    if t.elements.len() > MAX_ELEMENTS {
        return Err(refuse(format!("a template has at most {MAX_ELEMENTS} elements (it has {})", t.elements.len())));
    }
    for (i, e) in t.elements.iter().enumerate() {
        check_element(e).map_err(|e| match e {
            LabelError::Template(rule) => refuse(format!("element {i}: {rule}")),
            other => other,
        })?;
    }
    Ok(())
}

fn check_element(e: &crate::Element) -> Result<(), LabelError> {
    use crate::Element;
    match e {
        Element::Text { x_mm, y_mm, size_pt, .. } => {
            position("x_mm", *x_mm)?;
            position("y_mm", *y_mm)?;
            within("size_pt", *size_pt, MAX_SIZE_PT)
        }
        Element::Barcode { x_mm, y_mm, module_mm, height_mm, .. } => {
            position("x_mm", *x_mm)?;
            position("y_mm", *y_mm)?;
            module_mm.map_or(Ok(()), |m| within("module_mm", m, MAX_MODULE_MM))?;
            height_mm.map_or(Ok(()), |h| within("height_mm", h, MAX_SIDE_MM))
        }
        Element::Line { x1_mm, y1_mm, x2_mm, y2_mm, thickness_mm } => {
            for (field, v) in [("x1_mm", x1_mm), ("y1_mm", y1_mm), ("x2_mm", x2_mm), ("y2_mm", y2_mm)] {
                position(field, *v)?;
            }
            within("thickness_mm", *thickness_mm, MAX_SIDE_MM)
        }
        Element::Box { x_mm, y_mm, width_mm, height_mm, thickness_mm } => {
            position("x_mm", *x_mm)?;
            position("y_mm", *y_mm)?;
            within("width_mm", *width_mm, MAX_SIDE_MM)?;
            within("height_mm", *height_mm, MAX_SIDE_MM)?;
            within("thickness_mm", *thickness_mm, MAX_SIDE_MM)
        }
    }
}

/// Checks a print run's size and sheet before any label is laid out.
pub(crate) fn check_run(t: &Template, labels: usize, sheet: Sheet) -> Result<(), LabelError> {
    let too_big = |rule: String| LabelError::TooLarge(rule);
    if labels > MAX_LABELS {
        return Err(too_big(format!("a print run has at most {MAX_LABELS} labels (this one has {labels})")));
    }
    let elements = labels.saturating_mul(t.elements.len().max(1));
    if elements > MAX_ELEMENTS_PER_RUN {
        return Err(too_big(format!(
            "a print run has at most {MAX_ELEMENTS_PER_RUN} labels × elements (this one has {elements}); print it in parts"
        )));
    }
    if let Sheet::Grid { columns, rows, .. } = sheet
        && !((1..=MAX_SHEET_CELLS).contains(&columns) && (1..=MAX_SHEET_CELLS).contains(&rows))
    {
        return Err(LabelError::Output(format!(
            "sheet columns and rows are 1 to {MAX_SHEET_CELLS} (they are {columns} and {rows})"
        )));
    }
    Ok(())
}
