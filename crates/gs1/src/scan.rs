//! What a scanner sends, classified: GS1 data in any of its carriers, or a
//! plain code for the application to interpret.

use crate::error::{ParseError, Rule};
use crate::message::{GS, Message, Options};

/// How the data reached us, from its symbology identifier or its shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carrier {
    /// GS1 element strings behind a GS1 symbology identifier (`]C1`, `]d2`,
    /// `]Q3`, `]e0`, `]J1`) or a leading FNC1.
    ElementString,
    /// Bracketed human-readable text.
    Bracketed,
    /// A GS1 Digital Link URI.
    DigitalLink,
    /// A bare GTIN-8/12/13/14, e.g. from EAN/UPC (`]E0`, `]E4`).
    Gtin,
    /// A bare 18-digit SSCC.
    Sscc,
}

/// A classified scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scan {
    /// GS1 data, validated.
    Gs1 {
        /// Where it came from.
        carrier: Carrier,
        /// The symbology identifier, when the scanner sent one.
        symbology: Option<String>,
        /// The element strings.
        message: Message,
    },
    /// Data from a non-GS1 symbol (`]C0`, `]d1`, `]Q1`...), or with no
    /// identifier and no GS1 shape: a SKU, a location label, a URL.
    Plain {
        /// The symbology identifier, when the scanner sent one.
        symbology: Option<String>,
        /// The data as sent.
        data: String,
    },
}

/// Symbology identifiers whose data is GS1 element strings.
const GS1_IDENTIFIERS: &[&str] = &["]C1", "]d2", "]Q3", "]e0", "]J1"];
/// Symbology identifiers of plain data (possibly a Digital Link URI).
const PLAIN_IDENTIFIERS: &[&str] = &["]C0", "]d1", "]Q1", "]E0", "]E4", "]Q0", "]d0", "]A0", "]I0"];

/// Reads one scan. The symbology identifier, when present, decides how the
/// data is read; otherwise its shape does: a URI, bracketed text, FNC1 or
/// GS separators, a bare GTIN or SSCC. Plain data that is none of these is
/// returned as `Scan::Plain` for the caller to resolve.
pub fn parse_scan(raw: &str, options: &Options) -> Result<Scan, ParseError> {
    let raw = raw.trim_end_matches(['\r', '\n']);
    if raw.is_empty() {
        return Err(ParseError::at(0, Rule::Empty));
    }
    if let Some(id) = raw.get(..3).filter(|s| s.starts_with(']')) {
        let data = &raw[3..];
        let shift = |e: ParseError| ParseError { position: e.position + 3, ..e };
        if GS1_IDENTIFIERS.contains(&id) {
            let message = Message::parse_element_string(data, options).map_err(shift)?;
            return Ok(Scan::Gs1 { carrier: Carrier::ElementString, symbology: Some(id.to_string()), message });
        }
        if PLAIN_IDENTIFIERS.contains(&id) {
            return classify_plain(data, Some(id), options).map_err(shift);
        }
        return Err(ParseError::at(0, Rule::Symbology));
    }
    classify_plain(raw, None, options)
}

fn classify_plain(data: &str, symbology: Option<&str>, options: &Options) -> Result<Scan, ParseError> {
    let gs1 = |carrier, message| Scan::Gs1 { carrier, symbology: symbology.map(str::to_string), message };
    let lower = data.get(..8).unwrap_or(data).to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        return match Message::parse_digital_link(data, options) {
            Ok(message) => Ok(gs1(Carrier::DigitalLink, message)),
            // A URL that is not Digital Link is still a plain code.
            Err(ParseError { rule: Rule::Uri(_), .. }) => Ok(plain(data, symbology)),
            Err(e) => Err(e),
        };
    }
    if matches!(symbology, Some("]E0") | Some("]E4")) || is_bare_key(data, &[8, 12, 13, 14]) {
        let mut message = Message::default();
        message.push_checked("01", &format!("{data:0>14}"), 0, options)?;
        return Ok(gs1(Carrier::Gtin, message));
    }
    if is_bare_key(data, &[18]) {
        let mut message = Message::default();
        message.push_checked("00", data, 0, options)?;
        return Ok(gs1(Carrier::Sscc, message));
    }
    if data.starts_with('(') && symbology.is_none() {
        return Message::parse_bracketed(data, options).map(|m| gs1(Carrier::Bracketed, m));
    }
    if symbology.is_none() && (data.starts_with('^') || data.as_bytes().contains(&GS)) {
        return Message::parse_element_string(data, options).map(|m| gs1(Carrier::ElementString, m));
    }
    Ok(plain(data, symbology))
}

fn plain(data: &str, symbology: Option<&str>) -> Scan {
    Scan::Plain { symbology: symbology.map(str::to_string), data: data.to_string() }
}

fn is_bare_key(data: &str, lengths: &[usize]) -> bool {
    lengths.contains(&data.len()) && data.bytes().all(|b| b.is_ascii_digit())
}
