//! Data Matrix (ECC 200) and QR Code, plain and GS1 (FNC1 first), through
//! the `datamatrix` and `qrcode` crates' encoders.

use qrcode::bits::Bits;
use qrcode::{EcLevel, QrCode, Version};
use tracelot_gs1::Message;

use crate::{BarcodeError, Symbol, Symbology};

/// The symbol's grid: `pixels` lists the dark modules row by row, so each
/// cell in turn is dark when it is the next one listed.
fn from_datamatrix(dm: datamatrix::DataMatrix, symbology: Symbology) -> Symbol {
    let bitmap = dm.bitmap();
    let (width, height) = (bitmap.width(), bitmap.height());
    let mut dark = bitmap.pixels().peekable();
    let modules = (0..height)
        .flat_map(|y| (0..width).map(move |x| (x, y)))
        .map(|cell| dark.next_if_eq(&cell).is_some())
        .collect();
    Symbol::Matrix { symbology, width, height, modules }
}

fn dm_error(name: &'static str, needed: usize) -> BarcodeError {
    BarcodeError::TooLong { symbology: name, max: 1556, unit: "bytes (144 x 144 modules)", needed }
}

/// A GS1 DataMatrix of `message`: FNC1 first, GS between elements.
pub fn gs1_datamatrix(message: &Message) -> Result<Symbol, BarcodeError> {
    let data = message.element_string();
    let dm = datamatrix::DataMatrix::encode_gs1(data.as_bytes(), datamatrix::SymbolList::default())
        .map_err(|_| dm_error("GS1 DataMatrix", data.len()))?;
    Ok(from_datamatrix(dm, Symbology::Gs1DataMatrix))
}

/// A plain Data Matrix of text (UTF-8 outside Latin-1 is refused).
pub fn datamatrix(text: &str) -> Result<Symbol, BarcodeError> {
    if let Some((position, character)) = text.chars().enumerate().find(|(_, c)| u32::from(*c) > 255) {
        return Err(BarcodeError::Character { symbology: "Data Matrix", character, position });
    }
    let dm = datamatrix::DataMatrix::encode_str(text, datamatrix::SymbolList::default())
        .map_err(|_| dm_error("Data Matrix", text.len()))?;
    Ok(from_datamatrix(dm, Symbology::DataMatrix))
}

fn from_qr(code: QrCode, symbology: Symbology) -> Symbol {
    let width = code.width();
    Symbol::Matrix {
        symbology,
        width,
        height: width,
        modules: code.to_colors().into_iter().map(|c| c == qrcode::Color::Dark).collect(),
    }
}

/// The smallest version (at error correction M) that holds the data.
fn qr_with(
    push: impl Fn(&mut Bits) -> qrcode::types::QrResult<()>,
    name: &'static str,
    needed: usize,
) -> Result<QrCode, BarcodeError> {
    for v in 1..=40 {
        let mut bits = Bits::new(Version::Normal(v));
        if push(&mut bits).is_ok()
            && bits.push_terminator(EcLevel::M).is_ok()
            && let Ok(code) = QrCode::with_bits(bits, EcLevel::M)
        {
            return Ok(code);
        }
    }
    Err(BarcodeError::TooLong { symbology: name, max: 2331, unit: "bytes (version 40, level M)", needed })
}

/// A GS1 QR Code of `message`: FNC1 first, GS between elements. Under
/// FNC1 an alphanumeric segment reads `%` as GS, so each `%` of the data
/// goes in a byte segment of its own, where it stays a `%`.
pub fn gs1_qr(message: &Message) -> Result<Symbol, BarcodeError> {
    let data = message.element_string();
    let code = qr_with(
        |bits| {
            bits.push_fnc1_first_position()?;
            for (k, run) in data.split('%').enumerate() {
                if k > 0 {
                    bits.push_byte_data(b"%")?;
                }
                if !run.is_empty() {
                    bits.push_optimal_data(run.as_bytes())?;
                }
            }
            Ok(())
        },
        "GS1 QR Code",
        data.len(),
    )?;
    Ok(from_qr(code, Symbology::Gs1Qr))
}

/// A plain QR Code of text, such as a GS1 Digital Link URI.
pub fn qr(text: &str) -> Result<Symbol, BarcodeError> {
    let code = qr_with(|bits| bits.push_optimal_data(text.as_bytes()), "QR Code", text.len())?;
    Ok(from_qr(code, Symbology::Qr))
}
