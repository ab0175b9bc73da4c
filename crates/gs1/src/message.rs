//! A validated set of GS1 element strings, parsed from FNC1 data or
//! bracketed text, and written back in either form.

use crate::ai::{self, AiEntry, ValueError};
use crate::error::{ParseError, Rule};
use crate::lint::{GcpLookup, NoGcpRegistry};

/// FNC1 in GS1's data-string notation, and the ASCII GS a scanner sends.
pub const FNC1: u8 = b'^';
/// Group separator, which scanners transmit for FNC1 between elements.
pub const GS: u8 = 0x1D;

/// How lenient parsing is. The defaults are strict, as GS1 specifies.
#[derive(Clone, Copy)]
pub struct Options<'a> {
    /// Accept AIs missing from the dictionary (only where their length is
    /// explicit: bracketed text and Digital Link URIs).
    pub permit_unknown_ais: bool,
    /// Accept deprecated Digital Link path names such as `/gtin/` for `/01/`.
    pub permit_convenience_alphas: bool,
    /// Accept GTIN-8, -12 and -13 in a Digital Link path, padded to 14 digits.
    pub permit_zero_suppressed_gtin: bool,
    /// Where GS1 Company Prefixes are checked.
    pub gcp: &'a dyn GcpLookup,
}

impl Default for Options<'static> {
    fn default() -> Self {
        Options {
            permit_unknown_ais: false,
            permit_convenience_alphas: false,
            permit_zero_suppressed_gtin: false,
            gcp: &NoGcpRegistry,
        }
    }
}

impl Options<'static> {
    /// What a scanning station wants: everything a real label may carry.
    pub fn lenient() -> Self {
        Options { permit_convenience_alphas: true, permit_zero_suppressed_gtin: true, ..Options::default() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    entry: Option<&'static AiEntry>,
    start: u32,
    ai_len: u8,
    end: u32,
}

/// One AI and its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Element<'m> {
    /// The AI's digits.
    pub ai: &'m str,
    /// The value, exactly as encoded.
    pub value: &'m str,
    /// The dictionary entry (absent for a permitted unknown AI).
    pub entry: Option<&'static AiEntry>,
}

/// Validated GS1 element strings in the order they were given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    text: String,
    slots: Vec<Slot>,
}

impl Message {
    /// Parses FNC1 data in GS1's notation: a leading `^`, with `^` (or GS)
    /// between elements where the previous AI is not predefined-length.
    pub fn parse_fnc1_data(data: &str) -> Result<Message, ParseError> {
        Self::parse_fnc1_data_with(data, &Options::default())
    }

    /// As [`Message::parse_fnc1_data`], with options.
    pub fn parse_fnc1_data_with(data: &str, options: &Options) -> Result<Message, ParseError> {
        match data.as_bytes().first() {
            None => Err(ParseError::at(0, Rule::Empty)),
            Some(&FNC1) | Some(&GS) => parse_elements(data, 1, options),
            Some(_) => Err(ParseError::at(0, Rule::MissingFnc1)),
        }
    }

    /// Parses element strings as a scanner sends them after a GS1
    /// symbology identifier: no leading FNC1, GS between elements.
    pub fn parse_element_string(data: &str, options: &Options) -> Result<Message, ParseError> {
        let skip = usize::from(matches!(data.as_bytes().first(), Some(&FNC1) | Some(&GS)));
        parse_elements(data, skip, options)
    }

    /// Parses bracketed text such as `(01)09506000134352(10)ABC`. A literal
    /// `(` inside a value is written `\(`.
    pub fn parse_bracketed(text: &str, options: &Options) -> Result<Message, ParseError> {
        let bytes = text.as_bytes();
        if bytes.is_empty() {
            return Err(ParseError::at(0, Rule::Empty));
        }
        let mut message = Message::default();
        let mut pos = 0;
        while pos < bytes.len() {
            if bytes[pos] != b'(' {
                return Err(ParseError::at(pos, Rule::Bracket));
            }
            let close = bytes[pos..]
                .iter()
                .position(|&b| b == b')')
                .map(|i| pos + i)
                .ok_or(ParseError::at(pos, Rule::Bracket))?;
            let ai = &text[pos + 1..close];
            if !(2..=4).contains(&ai.len()) || !ai.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ParseError::at(pos + 1, Rule::Bracket));
            }
            let mut value = String::new();
            let mut i = close + 1;
            while i < bytes.len() && bytes[i] != b'(' {
                if bytes[i] == b'\\' && bytes.get(i + 1) == Some(&b'(') {
                    i += 1;
                }
                let ch = text[i..].chars().next().unwrap_or('\u{0}');
                value.push(ch);
                i += ch.len_utf8();
            }
            message.push_checked(ai, &value, close + 1, options)?;
            pos = i;
        }
        Ok(message)
    }

    /// Adds one element after checking it against the dictionary.
    pub(crate) fn push_checked(
        &mut self,
        ai: &str,
        value: &str,
        position: usize,
        options: &Options,
    ) -> Result<(), ParseError> {
        let entry = match ai::lookup(ai) {
            Some(e) => Some(e),
            None if options.permit_unknown_ais => None,
            None => return Err(ParseError::ai(ai, position.saturating_sub(ai.len()), Rule::UnknownAi)),
        };
        let checked = match entry {
            Some(e) => e.check_value(value, options.gcp),
            None => check_unknown(value),
        };
        checked.map_err(|e| ParseError::ai(ai, position + e.offset, Rule::Value(e.rule)))?;
        self.push(entry, ai, value).map_err(|rule| ParseError::ai(ai, position, rule))
    }

    /// Adds one element already known to be valid. Refuses a second copy of
    /// an AI with a different value; an identical copy is dropped.
    fn push(&mut self, entry: Option<&'static AiEntry>, ai: &str, value: &str) -> Result<(), Rule> {
        if let Some(existing) = self.get(ai) {
            return match existing == value {
                true => Ok(()),
                false => Err(Rule::ConflictingDuplicate),
            };
        }
        let start = self.text.len() as u32;
        self.text.push_str(ai);
        self.text.push_str(value);
        self.slots.push(Slot { entry, start, ai_len: ai.len() as u8, end: self.text.len() as u32 });
        Ok(())
    }

    /// The elements in the order given.
    pub fn elements(&self) -> impl ExactSizeIterator<Item = Element<'_>> + '_ {
        self.slots.iter().map(|s| {
            let (start, mid, end) = (s.start as usize, s.start as usize + usize::from(s.ai_len), s.end as usize);
            Element { ai: &self.text[start..mid], value: &self.text[mid..end], entry: s.entry }
        })
    }

    /// The value of `ai`, if present.
    pub fn get(&self, ai: &str) -> Option<&str> {
        self.elements().find(|e| e.ai == ai).map(|e| e.value)
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// GS1's data-string notation, in the order given: `^0109506000134352^10ABC`
    /// has `^` first and after every element that is not predefined-length
    /// (except the last).
    pub fn fnc1_data(&self) -> String {
        let mut out = String::with_capacity(self.text.len() + 4);
        out.push('^');
        write_elements(&mut out, self.elements(), '^');
        out
    }

    /// The element string to encode in a barcode: predefined-length AIs
    /// first (they need no separator), GS only where needed, none trailing,
    /// and no leading FNC1 (the symbol carries that).
    pub fn element_string(&self) -> String {
        let mut out = String::with_capacity(self.text.len() + 4);
        let fixed = self.elements().filter(|e| e.entry.is_some_and(|x| x.fixed_length));
        let variable = self.elements().filter(|e| !e.entry.is_some_and(|x| x.fixed_length));
        let ordered: Vec<Element<'_>> = fixed.chain(variable).collect();
        write_elements(&mut out, ordered.into_iter(), GS as char);
        out
    }

    /// Bracketed text that [`Message::parse_bracketed`] reads back: `(` in a
    /// value is escaped as `\(`.
    pub fn bracketed(&self) -> String {
        let mut out = String::new();
        for e in self.elements() {
            out.push('(');
            out.push_str(e.ai);
            out.push(')');
            out.push_str(&e.value.replace('(', "\\("));
        }
        out
    }

    /// The human-readable interpretation printed under a symbol:
    /// `(01) 09506000134352 (10) ABC`, values unescaped.
    pub fn hri(&self) -> String {
        let parts: Vec<String> = self.elements().map(|e| format!("({}) {}", e.ai, e.value)).collect();
        parts.join(" ")
    }

    /// Checks the dictionary's `req=` and `ex=` rules over these elements.
    /// GS1 evaluates them over everything on one item, possibly spread over
    /// several symbols, so this is separate from parsing.
    pub fn association_issues(&self) -> Vec<AssociationIssue> {
        let ais: Vec<&str> = self.elements().map(|e| e.ai).collect();
        let mut issues = Vec::new();
        for e in self.elements() {
            let Some(entry) = e.entry else { continue };
            for rule in entry.req {
                let satisfied =
                    rule.iter().any(|alt| alt.iter().all(|p| ais.iter().any(|a| ai::matches_pattern(a, p))));
                if !satisfied {
                    let options: Vec<String> = rule.iter().map(|alt| alt.join("+")).collect();
                    issues.push(AssociationIssue::Requires { ai: e.ai.to_string(), one_of: options });
                }
            }
            for pattern in entry.ex {
                if let Some(other) = ais.iter().find(|a| **a != e.ai && ai::matches_pattern(a, pattern)) {
                    issues.push(AssociationIssue::Excludes { ai: e.ai.to_string(), other: other.to_string() });
                }
            }
        }
        issues
    }
}

/// A broken `req=` or `ex=` rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssociationIssue {
    /// `ai` needs one of these (each a `+`-joined set of AIs).
    Requires {
        /// The AI whose rule fails.
        ai: String,
        /// The alternatives, one of which must be present.
        one_of: Vec<String>,
    },
    /// `ai` must not appear with `other`.
    Excludes {
        /// The AI whose rule fails.
        ai: String,
        /// The AI it excludes.
        other: String,
    },
}

impl std::fmt::Display for AssociationIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AssociationIssue::Requires { ai, one_of } => write!(f, "AI ({ai}) requires one of: {}", one_of.join(", ")),
            AssociationIssue::Excludes { ai, other } => write!(f, "AI ({ai}) must not appear with AI ({other})"),
        }
    }
}

fn write_elements<'m>(out: &mut String, elements: impl Iterator<Item = Element<'m>>, separator: char) {
    let mut elements = elements.peekable();
    while let Some(e) = elements.next() {
        out.push_str(e.ai);
        out.push_str(e.value);
        let fixed = e.entry.is_some_and(|x| x.fixed_length);
        if !fixed && elements.peek().is_some() {
            out.push(separator);
        }
    }
}

/// An unknown AI's value can only be checked as GS1's general case: 1 to 90
/// characters of CSET 82.
fn check_unknown(value: &str) -> Result<(), ValueError> {
    use crate::ai::ValueRule;
    if value.is_empty() {
        return Err(ValueError { offset: 0, rule: ValueRule::TooShort(1) });
    }
    if value.len() > 90 {
        return Err(ValueError { offset: 90, rule: ValueRule::TooLong(90) });
    }
    crate::lint::cset82(value).map_err(|e| ValueError { offset: 0, rule: ValueRule::Lint(e) })
}

/// The element-string parser shared by FNC1 data and scanner output.
/// `start` skips a leading FNC1.
fn parse_elements(data: &str, start: usize, options: &Options) -> Result<Message, ParseError> {
    let bytes = data.as_bytes();
    if start >= bytes.len() {
        return Err(ParseError::at(start, Rule::Empty));
    }
    let is_separator = |b: u8| b == FNC1 || b == GS;
    let mut message = Message { text: String::with_capacity(bytes.len()), slots: Vec::with_capacity(6) };
    let mut pos = start;
    while pos < bytes.len() {
        let entry = ai::lookup_prefix(&bytes[pos..]).ok_or_else(|| {
            let shown = data.get(pos..(pos + 4).min(bytes.len())).unwrap_or("").to_string();
            ParseError { ai: Some(shown), position: pos, rule: Rule::UnknownAi }
        })?;
        let value_start = pos + entry.ai.len();
        let value_end = if entry.fixed_length {
            value_start + entry.max_length()
        } else {
            bytes[value_start..].iter().position(|&b| is_separator(b)).map_or(bytes.len(), |i| value_start + i)
        };
        let end = value_end.min(bytes.len());
        let raw = &bytes[value_start..end];
        if let Some(i) = raw.iter().position(|&b| is_separator(b)) {
            let rule = Rule::Value(crate::ai::ValueRule::TooShort(entry.min_length()));
            return Err(ParseError::ai(entry.ai, value_start + i, rule));
        }
        let value = data.get(value_start..end).ok_or(ParseError::ai(entry.ai, value_start, Rule::Unrecognised))?;
        if value_end > bytes.len() {
            let rule = Rule::Value(crate::ai::ValueRule::TooShort(entry.min_length()));
            return Err(ParseError::ai(entry.ai, bytes.len(), rule));
        }
        entry
            .check_value(value, options.gcp)
            .map_err(|e| ParseError::ai(entry.ai, value_start + e.offset, Rule::Value(e.rule)))?;
        message.push(Some(entry), entry.ai, value).map_err(|rule| ParseError::ai(entry.ai, pos, rule))?;
        pos = end;
        if pos < bytes.len() && is_separator(bytes[pos]) {
            pos += 1;
        }
    }
    Ok(message)
}
