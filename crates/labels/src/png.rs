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
    /// Blackens the pixels from (x0, y0) up to (x1, y1), clipped.
    fn fill(&mut self, x0: f64, y0: f64, x1: f64, y1: f64) {
        let clip = |v: f64, max: usize| (v.round().max(0.0) as usize).min(max);
        let (x0, x1) = (clip(x0, self.width), clip(x1, self.width));
        let (y0, y1) = (clip(y0, self.height), clip(y1, self.height));
        for y in y0..y1 {
            self.pixels[y * self.width + x0..y * self.width + x1].fill(0);
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
            for gy in 0..m.height {
                for gx in 0..m.width {
                    let (px_x, px_y) = (left + gx as i64, top + gy as i64);
                    if px_x < 0 || px_y < 0 || px_x as usize >= self.width || px_y as usize >= self.height {
                        continue;
                    }
                    let i = px_y as usize * self.width + px_x as usize;
                    self.pixels[i] = self.pixels[i].min(255 - coverage[gy * m.width + gx]);
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
    let mut c = Canvas { width, height, pixels: vec![255; width * height] };
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
