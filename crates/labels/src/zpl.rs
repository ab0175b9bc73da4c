//! Labels as ZPL for Zebra printers, with the printer's own barcode
//! commands: `^BC` with `>8` for FNC1 (GS1-128), `^BX` with `_1` as FNC1
//! (GS1 DataMatrix), `^BQ` and `^BE` (for UPC-A too, as the EAN-13 with a
//! leading 0 that it is). A GS1 QR Code, which `^BQ`
//! cannot start with FNC1, and a Data Matrix whose data holds `^BX`'s
//! escape character `_`, go as a graphic field of their modules.

use std::fmt::Write;

use tracelot_barcode::{Symbol, Symbology};

use crate::layout::MM_PER_PT;
use crate::{Label, LabelError, Shape};

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

/// Characters the printer's UCC/EAN mode takes for something else: it
/// drops parentheses and spaces (they only group the printed text), and `>`
/// starts an invocation code.
const NOT_IN_UCC_MODE: [char; 4] = ['(', ')', ' ', '>'];

/// A GS1-128's element string as `^BC` data in UCC/EAN mode (`D`): the
/// printer starts the symbol with FNC1 and chooses the code sets itself, and
/// `>8` is each FNC1 separator. Translating tracelot's own symbol values
/// instead would need the printer to honour `>5` inside a symbol, which
/// the independent interpreter the tests use does not.
fn gs1_128_data(element_string: &str) -> Result<String, LabelError> {
    if let Some(c) = element_string.chars().find(|c| NOT_IN_UCC_MODE.contains(c)) {
        return Err(LabelError::Output(format!(
            "ZPL: the GS1-128 data {element_string:?} holds {c:?}, which a Zebra printer's GS1 mode (^BC mode D) drops or reads as a command; print this label as PDF or PNG, or use a GS1 DataMatrix"
        )));
    }
    Ok(element_string.split(char::from(tracelot_gs1::GS)).map(field).collect::<Vec<_>>().join(">8"))
}

/// A byte's bits, first dot first.
const BITS: [u8; 8] = [0x80, 0x40, 0x20, 0x10, 0x08, 0x04, 0x02, 0x01];

/// A row of modules as hex: `m` dots per module, eight dots to a byte.
fn hex_row(row: &[bool], m: usize) -> String {
    let dots: Vec<bool> = row.iter().flat_map(|&dark| std::iter::repeat_n(dark, m)).collect();
    let mut hex = String::new();
    for byte in dots.chunks(8) {
        let b = byte.iter().zip(BITS).filter(|(dark, _)| **dark).fold(0, |b, (_, bit)| b | bit);
        let _ = write!(hex, "{b:02X}");
    }
    hex
}

/// A symbol's modules as a `^GFA` graphic field, each module `module` dots
/// square.
fn graphic(symbol: &Symbol, module: i64) -> String {
    let Symbol::Matrix { width, height, modules, .. } = symbol else { return String::new() };
    let m = module.max(1) as usize;
    let rows: Vec<String> = modules.chunks((*width).max(1)).take(*height).map(|row| hex_row(row, m)).collect();
    // Two hex digits a byte.
    let row_bytes = rows.first().map_or(0, |row| row.len() / 2);
    let hex = rows.iter().flat_map(|row| std::iter::repeat_n(row.as_str(), m)).collect::<String>();
    let total = hex.len() / 2;
    format!("^GFA,{total},{total},{row_bytes},{hex}")
}

/// EAN and UPC data for `^BE`, which adds the check digit itself.
fn without_check_digit(data: &str) -> &str {
    data.get(..data.len().saturating_sub(1)).unwrap_or_default()
}

/// The label as one ZPL format (`^XA` ... `^XZ`), in the label's DPI.
/// Refused when a symbol's data cannot pass through the printer's own
/// barcode command unchanged.
pub fn zpl(label: &Label) -> Result<String, LabelError> {
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
                    (Symbology::Gs1_128, _) => {
                        writeln!(out, "^BY{m}^BCN,{h},N,N,N,D^FH^FD{}^FS", gs1_128_data(data)?)
                    }
                    // Automatic mode: the printer chooses the code sets for
                    // the plain ASCII data.
                    (Symbology::Code128, _) => writeln!(out, "^BY{m}^BCN,{h},N,N,N,A^FH^FD{}^FS", field(data)),
                    (Symbology::Ean13, _) => writeln!(out, "^BY{m}^BEN,{h},N,N^FD{}^FS", without_check_digit(data)),
                    // A UPC-A is an EAN-13 that starts with 0, bar for bar.
                    (Symbology::UpcA, _) => writeln!(out, "^BY{m}^BEN,{h},N,N^FD0{}^FS", without_check_digit(data)),
                    // `_` is ^BX's escape character, and printers disagree on
                    // how to escape it in data: such symbols go as graphics.
                    (Symbology::Gs1DataMatrix, _) if !data.contains('_') => {
                        let elements = data.replace(char::from(tracelot_gs1::GS), "_1");
                        writeln!(out, "^BXN,{m},200,0,0,6,_^FD_1{elements}^FS")
                    }
                    (Symbology::DataMatrix, _) if !data.contains('_') => {
                        writeln!(out, "^BXN,{m},200,0,0,6^FH^FD{}^FS", field(data))
                    }
                    (Symbology::Qr, _) => writeln!(out, "^BQN,2,{}^FH^FDQA,{}^FS", m.min(10), field(data)),
                    (_, s) => writeln!(out, "{}^FS", graphic(s, m)),
                };
            }
        }
    }
    out.push_str("^XZ\n");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gs1_separators_become_fnc1_and_grouping_characters_are_refused() {
        let gs = char::from(tracelot_gs1::GS);
        assert_eq!(gs1_128_data(&format!("0109506000134352101_A{gs}2199")).unwrap(), "0109506000134352101_5FA>82199");
        for bad in ["10A(B", "10A)B", "10A>8B"] {
            let error = gs1_128_data(bad).unwrap_err().to_string();
            assert!(error.contains("mode D") && error.contains(bad), "{error}");
        }
        assert_eq!(field("a_b^c~"), "a_5Fb_5Ec_7E");
        assert_eq!(without_check_digit("4006381333931"), "400638133393");
    }
}
