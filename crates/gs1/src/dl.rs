//! GS1 Digital Link URIs: `https://any.domain/stem/01/09506000134352/10/ABC?17=261231`.

use crate::ai::{self, AiEntry};
use crate::error::{ParseError, Rule};
use crate::message::{Message, Options};

/// GS1's resolver, used when no other stem is given.
pub const CANONICAL_STEM: &str = "https://id.gs1.org";

/// The deprecated path names of GS1 Digital Link 1.0 (`/gtin/` for `/01/`),
/// read only when `Options::permit_convenience_alphas` is set.
const CONVENIENCE_ALPHAS: &[(&str, &str)] = &[
    ("cpid", "8010"),
    ("cpsn", "8011"),
    ("cpv", "22"),
    ("gcn", "255"),
    ("gdti", "253"),
    ("giai", "8004"),
    ("ginc", "401"),
    ("gln", "414"),
    ("glnx", "254"),
    ("gmn", "8013"),
    ("grai", "8003"),
    ("gsin", "402"),
    ("gsrn", "8018"),
    ("gsrnp", "8017"),
    ("gtin", "01"),
    ("itip", "8006"),
    ("lot", "10"),
    ("party", "417"),
    ("refno", "8020"),
    ("ser", "21"),
    ("srin", "8019"),
    ("sscc", "00"),
];

/// Characters a URI may hold at all (RFC 3986 unreserved, reserved and `%`).
fn is_uri_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&b)
}

/// Unreserved characters, written as they are; everything else is escaped.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~".contains(&b)
}

/// Reverses percent-encoding; in a query `+` is a space, in a path it is
/// itself. A decoded NUL or a non-UTF-8 result is refused (`None`).
fn unescape(s: &str, query: bool) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let hex = |j: usize| bytes.get(j).and_then(|c| (*c as char).to_digit(16));
        if let (b'%', Some(h), Some(l)) = (b, hex(i + 1), hex(i + 2)) {
            let decoded = (h * 16 + l) as u8;
            if decoded == 0 {
                return None;
            }
            out.push(decoded);
            i += 3;
            continue;
        }
        out.push(if query && b == b'+' { b' ' } else { b });
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn escape(s: &str, query: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if is_unreserved(b) {
            out.push(b as char);
        } else if query && b == b' ' {
            out.push('+');
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The AI named by a path segment: digits, or a convenience alpha.
fn path_ai(segment: &str, options: &Options) -> Option<&'static AiEntry> {
    if options.permit_convenience_alphas && !segment.starts_with(|c: char| c.is_ascii_digit()) {
        let ai = CONVENIENCE_ALPHAS.iter().find(|(alpha, _)| *alpha == segment).map(|(_, ai)| *ai)?;
        return ai::lookup(ai);
    }
    ai::lookup(segment)
}

/// Whether `seq` (key first) is the key followed by an in-order subset of
/// one of the key's qualifier sequences.
fn valid_path(key: &AiEntry, qualifiers: &[&str]) -> bool {
    let Some(alternatives) = key.dl_key else { return false };
    alternatives.iter().any(|alt| is_ordered_subset(qualifiers, alt))
}

fn is_ordered_subset(items: &[&str], sequence: &[&str]) -> bool {
    let mut rest = sequence.iter();
    items.iter().all(|item| rest.any(|s| s == item))
}

impl Message {
    /// Parses a GS1 Digital Link URI into its element strings: the path's
    /// key and qualifiers, then the query's AIs in the order given.
    pub fn parse_digital_link(uri: &str, options: &Options) -> Result<Message, ParseError> {
        if uri.is_empty() {
            return Err(ParseError::at(0, Rule::Empty));
        }
        if let Some(i) = uri.bytes().position(|b| !is_uri_char(b)) {
            return Err(ParseError::at(i, Rule::Uri("a character that URIs do not allow")));
        }
        let rest = ["https://", "HTTPS://", "http://", "HTTP://"]
            .iter()
            .find_map(|scheme| uri.strip_prefix(scheme))
            .ok_or(ParseError::at(0, Rule::Uri("the scheme is not http or https")))?;
        let offset = uri.len() - rest.len();
        let slash = rest.find('/').filter(|&i| i > 0).ok_or(ParseError::at(offset, Rule::Uri("no domain and path")))?;
        if let Some(i) = rest[..slash].bytes().position(|b| b"_~?#@!$&'()*+,;=%".contains(&b)) {
            return Err(ParseError::at(offset + i, Rule::Uri("a character that domain names do not allow")));
        }
        let after_domain = &rest[slash..];
        let without_fragment = after_domain.split('#').next().unwrap_or("");
        let (path, query) = without_fragment.split_once('?').unwrap_or((without_fragment, ""));
        let path_offset = offset + slash;

        // Walk back from the end over /AI/value pairs until a primary key.
        let segments: Vec<&str> = path[1..].split('/').collect();
        let mut root = None;
        let mut i = segments.len();
        while i >= 2 {
            let Some(entry) = path_ai(segments[i - 2], options) else { break };
            if entry.dl_key.is_some() {
                root = Some(i - 2);
                break;
            }
            i -= 2;
        }
        let root = root.ok_or(ParseError::at(path_offset, Rule::Uri("no GS1 key such as /01/ in the path")))?;
        if !(segments.len() - root).is_multiple_of(2) {
            return Err(ParseError::at(path_offset, Rule::Uri("the path does not end in /AI/value pairs")));
        }

        let mut message = Message::default();
        let mut path_ais: Vec<&'static str> = Vec::new();
        let mut position = path_offset + segments[..root].iter().map(|s| s.len() + 1).sum::<usize>();
        for pair in segments[root..].chunks(2) {
            let ai = path_ai(pair[0], options).ok_or(ParseError::at(position, Rule::UnknownAi))?.ai;
            let value_position = position + pair[0].len() + 2;
            if pair[1].is_empty() {
                return Err(ParseError::ai(ai, value_position, Rule::Value(crate::ai::ValueRule::TooShort(1))));
            }
            let mut value = unescape(pair[1], false).ok_or(ParseError::ai(
                ai,
                value_position,
                Rule::Uri("a percent-escape decodes to NUL"),
            ))?;
            if options.permit_zero_suppressed_gtin && ai == "01" && matches!(value.len(), 8 | 12 | 13) {
                value = format!("{value:0>14}");
            }
            message.push_checked(ai, &value, value_position, options)?;
            path_ais.push(ai);
            position = value_position + pair[1].len();
        }
        let key = ai::lookup(path_ais[0]).ok_or(ParseError::at(path_offset, Rule::NoDlKey))?;
        if !valid_path(key, &path_ais[1..]) {
            return Err(ParseError::ai(key.ai, path_offset, Rule::DlPathOrder));
        }

        // Query attributes that could have been path qualifiers of the
        // sequence in use must be in the path instead.
        let qualifiers: Vec<&str> = key
            .dl_key
            .unwrap_or(&[])
            .iter()
            .filter(|alt| is_ordered_subset(&path_ais[1..], alt))
            .flat_map(|alt| alt.iter().copied())
            .collect();
        let mut query_position = path_offset + path.len() + 1;
        for param in query.split('&') {
            let here = query_position;
            query_position += param.len() + 1;
            let Some((name, raw)) = param.split_once('=') else { continue };
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let value_position = here + name.len() + 1;
            let entry = ai::lookup(name);
            if entry.is_none() && !(options.permit_unknown_ais && (2..=4).contains(&name.len())) {
                return Err(ParseError::ai(name, here, Rule::UnknownAi));
            }
            if entry.is_some_and(|e| !e.dl_attribute) {
                return Err(ParseError::ai(name, here, Rule::DlAttribute("the dictionary does not mark it as one")));
            }
            if path_ais.contains(&name) || message.get(name).is_some() {
                return Err(ParseError::ai(name, here, Rule::DlAttribute("the AI is given twice")));
            }
            if qualifiers.contains(&name) {
                return Err(ParseError::ai(name, here, Rule::DlAttribute("a key qualifier belongs in the path")));
            }
            if raw.is_empty() {
                return Err(ParseError::ai(name, value_position, Rule::Value(crate::ai::ValueRule::TooShort(1))));
            }
            let value = unescape(raw, true).ok_or(ParseError::ai(
                name,
                value_position,
                Rule::Uri("a percent-escape decodes to NUL"),
            ))?;
            message.push_checked(name, &value, value_position, options)?;
        }
        Ok(message)
    }

    /// Writes these elements as a Digital Link URI under `stem` (default
    /// [`CANONICAL_STEM`]): the first primary key and its qualifiers in the
    /// path, every other AI as a query attribute (predefined-length ones
    /// first). Fails when there is no key, when qualifiers of different
    /// sequences are mixed, or when an AI may not be a query attribute.
    pub fn digital_link(&self, stem: Option<&str>) -> Result<String, ParseError> {
        let stem = stem.unwrap_or(CANONICAL_STEM).trim_end_matches('/');
        let elements: Vec<_> = self.elements().collect();
        let key = elements
            .iter()
            .find(|e| e.entry.is_some_and(|x| x.dl_key.is_some()))
            .ok_or(ParseError::at(0, Rule::NoDlKey))?;
        let key_entry = key.entry.ok_or(ParseError::at(0, Rule::NoDlKey))?;
        let alternatives = key_entry.dl_key.unwrap_or(&[]);
        let present: Vec<&str> = elements.iter().map(|e| e.ai).collect();
        let used: Vec<&&[&str]> = alternatives.iter().filter(|alt| alt.iter().any(|q| present.contains(q))).collect();
        if used.len() > 1 {
            return Err(ParseError::ai(key.ai, 0, Rule::DlPathOrder));
        }
        let sequence: &[&str] = used.first().map(|alt| **alt).unwrap_or(&[]);
        let mut uri = format!("{stem}/{}/{}", key.ai, escape(key.value, false));
        for qualifier in sequence {
            if let Some(e) = elements.iter().find(|e| e.ai == *qualifier) {
                uri.push_str(&format!("/{}/{}", e.ai, escape(e.value, false)));
            }
        }
        let in_path = |ai: &str| ai == key.ai || sequence.contains(&ai);
        let mut attributes: Vec<_> = elements.iter().filter(|e| !in_path(e.ai)).collect();
        for e in &attributes {
            if e.entry.is_some_and(|x| !x.dl_attribute) {
                return Err(ParseError::ai(e.ai, 0, Rule::DlAttribute("the dictionary does not mark it as one")));
            }
        }
        attributes.sort_by_key(|e| !e.entry.is_some_and(|x| x.fixed_length));
        for (i, e) in attributes.iter().enumerate() {
            uri.push(if i == 0 { '?' } else { '&' });
            uri.push_str(&format!("{}={}", e.ai, escape(e.value, true)));
        }
        Ok(uri)
    }
}
