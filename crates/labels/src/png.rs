//! Labels as PNG at the template's DPI (or another), text drawn with the
//! built-in font.

use tracelot_barcode::Symbol;

use crate::fonts::{font, text_width};
use crate::layout::{MM_PER_PT, runs};
use crate::{Label, LabelError, Shape};

struct Canvas {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Canvas {
    /// Row `y`; None below the canvas.
    fn row(&mut self, y: usize) -> Option<&mut [u8]> {
        self.pixels.chunks_exact_mut(self.width.max(1)).nth(y)
    }

    /// Blackens the pixels from (x0, y0) up to (x1, y1), clipped.
    fn fill(&mut self, x0: f64, y0: f64, x1: f64, y1: f64) {
        let clip = |v: f64, max: usize| (v.round().max(0.0) as usize).min(max);
        let (x0, x1) = (clip(x0, self.width), clip(x1, self.width));
        let (y0, y1) = (clip(y0, self.height), clip(y1, self.height));
        for y in y0..y1 {
            if let Some(span) = self.row(y).and_then(|row| row.get_mut(x0..x1)) {
                span.fill(0);
            }
        }
    }

    fn text(&mut self, x: f64, top: f64, px: f32, bold: bool, text: &str) {
        let f = font(bold);
        let ascent = f.horizontal_line_metrics(px).map(|m| m.ascent).unwrap_or(px * 0.8);
        let baseline = top as f32 + ascent;
        let mut pen = x as f32;
        for c in text.chars() {
            let (m, coverage) = f.rasterize(c, px);
            let left = (pen + m.xmin as f32).round() as i64;
            let top = (baseline - m.height as f32 - m.ymin as f32).round() as i64;
            // Glyph pixels off the canvas are clipped.
            for (gy, glyph_row) in coverage.chunks_exact(m.width.max(1)).enumerate() {
                let Some(row) = usize::try_from(top.saturating_add(gy as i64)).ok().and_then(|y| self.row(y)) else {
                    continue;
                };
                for (gx, c) in glyph_row.iter().enumerate() {
                    let x = usize::try_from(left.saturating_add(gx as i64)).ok();
                    if let Some(pixel) = x.and_then(|x| row.get_mut(x)) {
                        // Darker where the glyph covers more: 255 - coverage.
                        *pixel = (*pixel).min(!c);
                    }
                }
            }
            pen += m.advance_width;
        }
    }
}

/// The label as an 8-bit grey PNG at `dpi`.
pub fn png(label: &Label, dpi: u32) -> Result<Vec<u8>, LabelError> {
    let s = f64::from(dpi) / 25.4;
    let (width, height) = ((label.width_mm * s).round() as usize, (label.height_mm * s).round() as usize);
    let dots = width.checked_mul(height).ok_or_else(|| {
        LabelError::TooLarge(format!("a PNG of {width} x {height} pixels is over {} pixels", usize::MAX))
    })?;
    let mut c = Canvas { width, height, pixels: vec![255; dots] };
    for shape in &label.shapes {
        match shape {
            Shape::Rect { x, y, w, h } => c.fill(x * s, y * s, (x + w) * s, (y + h) * s),
            Shape::Text { x, y, size_pt, bold, centered, text } => {
                let px = (size_pt * MM_PER_PT * s) as f32;
                let left = if *centered { x * s - f64::from(text_width(text, px, *bold)) / 2.0 } else { x * s };
                c.text(left, y * s, px, *bold, text);
            }
            Shape::Barcode { x, y, module, height, symbol, .. } => match symbol {
                Symbol::Linear { modules, .. } => {
                    for (start, len) in runs(modules) {
                        let x0 = x + start as f64 * module;
                        c.fill(x0 * s, y * s, (x0 + len as f64 * module) * s, (y + height) * s);
                    }
                }
                Symbol::Matrix { width: w, modules, .. } => {
                    for (r, row) in modules.chunks(*w).enumerate() {
                        for (start, len) in runs(row) {
                            let (x0, y0) = (x + start as f64 * module, y + r as f64 * module);
                            c.fill(x0 * s, y0 * s, (x0 + len as f64 * module) * s, (y0 + module) * s);
                        }
                    }
                }
            },
        }
    }
    let bitmap = tracelot_barcode::Bitmap { width, height, pixels: c.pixels };
    tracelot_barcode::png(&bitmap).map_err(|e| LabelError::Output(format!("PNG: {e}")))
}
