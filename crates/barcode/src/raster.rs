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

impl Symbol {
    /// Draws the symbol with `scale` pixels per module; linear symbols are
    /// `bar_height` pixels high. The quiet zone is included.
    pub fn bitmap(&self, scale: usize, bar_height: usize) -> Bitmap {
        let scale = scale.max(1);
        let q = self.quiet_zone();
        match self {
            Symbol::Linear { modules, .. } => {
                let width = (modules.len() + 2 * q) * scale;
                let mut row = vec![255u8; width];
                for (i, dark) in modules.iter().enumerate() {
                    if *dark {
                        row[(q + i) * scale..(q + i + 1) * scale].fill(0);
                    }
                }
                let height = bar_height.max(1);
                Bitmap { width, height, pixels: row.repeat(height) }
            }
            Symbol::Matrix { width: w, height: h, modules, .. } => {
                let (width, height) = ((w + 2 * q) * scale, (h + 2 * q) * scale);
                let mut pixels = vec![255u8; width * height];
                for y in 0..*h {
                    for x in 0..*w {
                        if modules[y * w + x] {
                            for py in (y + q) * scale..(y + q + 1) * scale {
                                pixels[py * width + (x + q) * scale..py * width + (x + q + 1) * scale].fill(0);
                            }
                        }
                    }
                }
                Bitmap { width, height, pixels }
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
