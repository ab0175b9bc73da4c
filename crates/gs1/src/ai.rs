//! Application Identifiers: the generated table and the checks of a value.

use crate::lint::{self, GcpLookup, LintError, Linter};
use crate::table::ENTRIES;

/// The character set of a component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cset {
    /// Digits only ("N").
    Numeric,
    /// GS1's 82-character set ("X").
    Cset82,
    /// GS1's 39-character set ("Y").
    Cset39,
    /// base64url with optional padding ("Z").
    Cset64,
}

/// One component of an AI's value, e.g. `N3,iso3166` or `[X..17]`.
#[derive(Debug, Clone, Copy)]
pub struct Component {
    /// Characters allowed.
    pub cset: Cset,
    /// Shortest length.
    pub min: u8,
    /// Longest length; equal to `min` for a fixed-length component.
    pub max: u8,
    /// Whether the component may be absent (only at the end of a value).
    pub optional: bool,
    /// Content checks applied after the character set.
    pub linters: &'static [Linter],
}

/// One Application Identifier from GS1's syntax dictionary.
#[derive(Debug)]
pub struct AiEntry {
    /// The AI's digits.
    pub ai: &'static str,
    /// A predefined-length AI: no FNC1 separator is needed after it.
    pub fixed_length: bool,
    /// Allowed as a GS1 Digital Link query attribute.
    pub dl_attribute: bool,
    /// The value's components, in order.
    pub components: &'static [Component],
    /// Each inner list is one `req=` rule: one of its alternatives (a set of
    /// AI patterns joined by `+`) must be present.
    pub req: &'static [&'static [&'static [&'static str]]],
    /// AI patterns that must not appear with this AI.
    pub ex: &'static [&'static str],
    /// When a Digital Link primary key: its alternative qualifier sequences.
    pub dl_key: Option<&'static [&'static [&'static str]]>,
    /// GS1's short title ("BATCH/LOT").
    pub title: &'static str,
}

/// AIs are unique in the table, so the AI identifies the entry.
impl PartialEq for AiEntry {
    fn eq(&self, other: &Self) -> bool {
        self.ai == other.ai
    }
}

impl Eq for AiEntry {}

impl AiEntry {
    /// The shortest value this AI accepts.
    pub fn min_length(&self) -> usize {
        self.components.iter().filter(|c| !c.optional).map(|c| usize::from(c.min)).sum()
    }

    /// The longest value this AI accepts.
    pub fn max_length(&self) -> usize {
        self.components.iter().map(|c| usize::from(c.max)).sum()
    }

    /// Checks a value against this AI's format and linters. On failure it
    /// returns the offset in the value where the broken component starts.
    pub fn check_value(&self, value: &str, gcp: &dyn GcpLookup) -> Result<(), ValueError> {
        let len = value.len();
        if len < self.min_length() {
            return Err(ValueError { offset: len, rule: ValueRule::TooShort(self.min_length()) });
        }
        if len > self.max_length() {
            return Err(ValueError { offset: self.max_length(), rule: ValueRule::TooLong(self.max_length()) });
        }
        let mut at = 0;
        for component in self.components {
            if at == len && component.optional {
                break;
            }
            let take = if usize::from(component.min) == usize::from(component.max) {
                usize::from(component.max)
            } else {
                (len - at).min(usize::from(component.max))
            };
            let Some(part) = value.get(at..at + take) else {
                return Err(ValueError { offset: at, rule: ValueRule::TooShort(self.min_length()) });
            };
            if part.len() < usize::from(component.min) {
                return Err(ValueError { offset: at, rule: ValueRule::TooShort(self.min_length()) });
            }
            let charset = match component.cset {
                Cset::Numeric => lint::digits(part),
                Cset::Cset82 => lint::cset82(part),
                Cset::Cset39 => lint::cset39(part),
                Cset::Cset64 => lint::cset64(part),
            };
            charset
                .map_err(|e| ValueError { offset: at + first_bad(part, component.cset), rule: ValueRule::Lint(e) })?;
            for linter in component.linters {
                linter.check(part, gcp).map_err(|e| ValueError { offset: at, rule: ValueRule::Lint(e) })?;
            }
            at += take;
        }
        if at != len {
            return Err(ValueError { offset: at, rule: ValueRule::TooLong(at) });
        }
        Ok(())
    }
}

/// Where in `part` the first character outside `cset` sits.
fn first_bad(part: &str, cset: Cset) -> usize {
    part.bytes()
        .position(|b| match cset {
            Cset::Numeric => !b.is_ascii_digit(),
            Cset::Cset82 => !lint::is_cset82(b),
            Cset::Cset39 => !lint::is_cset39(b),
            Cset::Cset64 => !(b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'='),
        })
        .unwrap_or(0)
}

/// Why a value does not fit its AI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueRule {
    /// Shorter than the AI's minimum length.
    TooShort(usize),
    /// Longer than the AI's maximum length.
    TooLong(usize),
    /// A character-set or content linter failed.
    Lint(LintError),
}

impl std::fmt::Display for ValueRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ValueRule::TooShort(n) => write!(f, "the value is too short (at least {n} characters)"),
            ValueRule::TooLong(n) => write!(f, "the value is too long (at most {n} characters)"),
            ValueRule::Lint(e) => e.fmt(f),
        }
    }
}

/// A value's failure and where it starts within the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValueError {
    /// Offset within the value.
    pub offset: usize,
    /// The broken rule.
    pub rule: ValueRule,
}

/// Direct-indexed tables of 2-, 3- and 4-digit AIs (0 = none, else the
/// entry's index + 1), built once: a scan costs one array read per length
/// tried instead of string comparisons.
fn index() -> &'static [Vec<u16>; 3] {
    static INDEX: std::sync::OnceLock<[Vec<u16>; 3]> = std::sync::OnceLock::new();
    INDEX.get_or_init(|| {
        let mut tables = [vec![0u16; 100], vec![0u16; 1000], vec![0u16; 10000]];
        for (i, e) in ENTRIES.iter().enumerate() {
            if let Some(n) = number(e.ai.as_bytes()) {
                tables[e.ai.len() - 2][n] = i as u16 + 1;
            }
        }
        tables
    })
}

fn number(digits: &[u8]) -> Option<usize> {
    digits.iter().try_fold(0usize, |n, b| b.is_ascii_digit().then(|| n * 10 + usize::from(b - b'0')))
}

/// Looks an AI up by its exact digits.
pub fn lookup(ai: &str) -> Option<&'static AiEntry> {
    if !(2..=4).contains(&ai.len()) {
        return None;
    }
    let n = number(ai.as_bytes())?;
    match index()[ai.len() - 2][n] {
        0 => None,
        i => Some(&ENTRIES[usize::from(i) - 1]),
    }
}

/// Finds the AI that starts `data`. AIs are prefix-free, so at most one of
/// the 2-, 3- and 4-digit prefixes is an AI.
pub fn lookup_prefix(data: &[u8]) -> Option<&'static AiEntry> {
    let tables = index();
    let mut n = 0usize;
    for (len, b) in data.iter().take(4).enumerate() {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + usize::from(b - b'0');
        if let Some(&i @ 1..) = len.checked_sub(1).map(|l| &tables[l][n]) {
            return Some(&ENTRIES[usize::from(i) - 1]);
        }
    }
    None
}

/// Whether `ai` matches a dictionary pattern such as `31nn` or `394n`.
pub fn matches_pattern(ai: &str, pattern: &str) -> bool {
    ai.len() == pattern.len() && ai.bytes().zip(pattern.bytes()).all(|(a, p)| p == b'n' || a == p)
}
