//! Symbols as 8-bit grey bitmaps and PNG files, with their quiet zones.

use crate::Symbol;

/// An 8-bit grey image: 0 is black, 255 white.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bitmap {
    /// Pixels per row.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Row-major pixels.
    pub pixels: Vec<u8>,
}

/// One row of pixels: `modules` with `quiet` light modules either side,
/// `scale` pixels per module.
fn pixel_row(modules: impl Iterator<Item = bool>, quiet: usize, scale: usize) -> Vec<u8> {
    let light = || std::iter::repeat_n(false, quiet);
    light()
        .chain(modules)
        .chain(light())
        .flat_map(|dark| std::iter::repeat_n(if dark { 0 } else { 255 }, scale))
        .collect()
}

impl Symbol {
    /// Draws the symbol with `scale` pixels per module; linear symbols are
    /// `bar_height` pixels high. The quiet zone is included.
    pub fn bitmap(&self, scale: usize, bar_height: usize) -> Bitmap {
        let scale = scale.max(1);
        let q = self.quiet_zone();
        match self {
            Symbol::Linear { modules, .. } => {
                let row = pixel_row(modules.iter().copied(), q, scale);
                let height = bar_height.max(1);
                Bitmap { width: row.len(), height, pixels: row.repeat(height) }
            }
            Symbol::Matrix { width: w, height: h, modules, .. } => {
                // Each row exactly `w` modules wide, light where `modules` runs short.
                let row = |r: &[bool]| pixel_row(r.iter().copied().chain(std::iter::repeat(false)).take(*w), q, scale);
                let light = row(&[]);
                let quiet = std::iter::repeat_n(light.clone(), q);
                let rows = modules.chunks((*w).max(1)).map(row).chain(std::iter::repeat(light.clone())).take(*h);
                let lines: Vec<Vec<u8>> =
                    quiet.clone().chain(rows).chain(quiet).flat_map(|r| std::iter::repeat_n(r, scale)).collect();
                Bitmap { width: light.len(), height: lines.len(), pixels: lines.concat() }
            }
        }
    }
}

/// Encodes a bitmap as a greyscale PNG.
pub fn png(bitmap: &Bitmap) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, bitmap.width as u32, bitmap.height as u32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.write_header()?.write_image_data(&bitmap.pixels)?;
    Ok(out)
}
