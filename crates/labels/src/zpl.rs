//! Labels as ZPL for Zebra printers, with the printer's own barcode
//! commands: `^BC` with `>8` for FNC1 (GS1-128), `^BX` with `_1` as FNC1
//! (GS1 DataMatrix), `^BQ`, `^BE` and `^BU`. A GS1 QR Code, which `^BQ`
//! cannot start with FNC1, goes as a graphic field of its modules.

use std::fmt::Write;

use tracelot_barcode::{Symbol, Symbology};

use crate::layout::MM_PER_PT;
use crate::{Label, Shape};

fn dots(mm: f64, dpi: u32) -> i64 {
    (mm * f64::from(dpi) / 25.4).round() as i64
}

/// Field data through `^FH`: `_` starts a hex escape, so `_`, `^` and `~`
/// (and any non-ASCII byte) are written as `_XX`.
fn field(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_graphic() && !matches!(b, b'_' | b'^' | b'~') || b == b' ' {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "_{b:02X}");
        }
    }
    out
}

/// Code 128 symbol values as `^BC` data with invocation codes: `>9`, `>:`,
/// `>;` start sets A, B, C; `>7`, `>6`, `>5` switch to them; `>8` is FNC1.
fn code128_data(codewords: &[u8]) -> String {
    let mut out = String::new();
    let mut set = b'B';
    for &v in codewords {
        match v {
            103 => (out.push_str(">9"), set = b'A').1,
            104 => (out.push_str(">:"), set = b'B').1,
            105 => (out.push_str(">;"), set = b'C').1,
            101 => (out.push_str(">7"), set = b'A').1,
            100 => (out.push_str(">6"), set = b'B').1,
            99 => (out.push_str(">5"), set = b'C').1,
            102 => out.push_str(">8"),
            _ if set == b'C' => {
                let _ = write!(out, "{v:02}");
            }
            _ => {
                let byte = if set == b'A' && v >= 64 { v - 64 } else { v + 32 };
                match byte {
                    b'>' => out.push_str("><"),
                    _ => out.push_str(&field(&char::from(byte).to_string())),
                }
            }
        }
    }
    out
}

/// A symbol's modules as a `^GFA` graphic field.
fn graphic(symbol: &Symbol, module: i64) -> String {
    let Symbol::Matrix { width, height, modules, .. } = symbol else { return String::new() };
    let m = module.max(1) as usize;
    let row_bytes = (width * m).div_ceil(8);
    let mut hex = String::new();
    for y in 0..height * m {
        let mut row = vec![0u8; row_bytes];
        for x in 0..width * m {
            if modules[(y / m) * width + x / m] {
                row[x / 8] |= 0x80 >> (x % 8);
            }
        }
        for b in row {
            let _ = write!(hex, "{b:02X}");
        }
    }
    let total = row_bytes * height * m;
    format!("^GFA,{total},{total},{row_bytes},{hex}")
}

/// The label as one ZPL format (`^XA` ... `^XZ`), in the label's DPI.
pub fn zpl(label: &Label) -> String {
    let d = |mm: f64| dots(mm, label.dpi);
    let mut out = format!("^XA\n^CI28\n^PW{}\n^LL{}\n", d(label.width_mm), d(label.height_mm));
    for shape in &label.shapes {
        match shape {
            Shape::Rect { x, y, w, h } => {
                let (w, h) = (d(*w).max(1), d(*h).max(1));
                let _ = writeln!(out, "^FO{},{}^GB{w},{h},{}^FS", d(*x), d(*y), w.min(h));
            }
            Shape::Text { x, y, size_pt, centered, text, .. } => {
                let size = d(size_pt * MM_PER_PT).max(10);
                if *centered {
                    let half = x.min(label.width_mm - x).max(1.0);
                    let _ = writeln!(
                        out,
                        "^FO{},{}^FB{},1,0,C^A0N,{size},{size}^FH^FD{}^FS",
                        d(x - half),
                        d(*y),
                        d(2.0 * half),
                        field(text)
                    );
                } else {
                    let _ = writeln!(out, "^FO{},{}^A0N,{size},{size}^FH^FD{}^FS", d(*x), d(*y), field(text));
                }
            }
            Shape::Barcode { x, y, module, height, symbol, data, .. } => {
                let (m, h) = (d(*module).max(1), d(*height).max(1));
                let _ = write!(out, "^FO{},{}", d(*x), d(*y));
                let _ = match (symbol.symbology(), symbol) {
                    (Symbology::Gs1_128 | Symbology::Code128, Symbol::Linear { codewords, .. }) => {
                        writeln!(out, "^BY{m}^BCN,{h},N,N,N^FH^FD{}^FS", code128_data(codewords))
                    }
                    (Symbology::Ean13, _) => writeln!(out, "^BY{m}^BEN,{h},N,N^FD{}^FS", &data[..12]),
                    (Symbology::UpcA, _) => writeln!(out, "^BY{m}^BUN,{h},N,N,N^FD{}^FS", &data[..11]),
                    (Symbology::Gs1DataMatrix, _) => {
                        let escaped: String = data
                            .chars()
                            .map(|c| match c {
                                '\u{1d}' => "_1".to_string(),
                                '_' => "_d095".to_string(),
                                c => c.to_string(),
                            })
                            .collect();
                        writeln!(out, "^BXN,{m},200,0,0,6,_^FD_1{escaped}^FS")
                    }
                    (Symbology::DataMatrix, _) => writeln!(out, "^BXN,{m},200,0,0,6^FH^FD{}^FS", field(data)),
                    (Symbology::Qr, _) => writeln!(out, "^BQN,2,{}^FH^FDQA,{}^FS", m.min(10), field(data)),
                    (_, s) => writeln!(out, "{}^FS", graphic(s, m)),
                };
            }
        }
    }
    out.push_str("^XZ\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invocation_codes_mirror_the_encoder() {
        // Start C, FNC1, "01", "23", to B, "A", '>' escaped.
        assert_eq!(code128_data(&[105, 102, 1, 23, 100, 33, 30]), ">;>80123>6A><");
        assert_eq!(field("a_b^c~"), "a_5Fb_5Ec_7E");
    }
}
