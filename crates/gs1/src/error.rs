//! What went wrong in a scan, and where.

use crate::ai::ValueRule;

/// A rule a scan broke. Each has a stable snake_case `code()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// Nothing to parse.
    Empty,
    /// GS1 element data must start with FNC1 (`^`) or a GS1 symbology identifier.
    MissingFnc1,
    /// No AI in the dictionary starts here.
    UnknownAi,
    /// The value does not fit its AI.
    Value(ValueRule),
    /// An AI appears twice with different values.
    ConflictingDuplicate,
    /// Bracketed text is malformed: a missing `(`, `)` or AI.
    Bracket,
    /// The URI is not a GS1 Digital Link URI.
    Uri(&'static str),
    /// Key and qualifiers in the Digital Link path are not a valid sequence.
    DlPathOrder,
    /// A query attribute is not allowed in a Digital Link URI.
    DlAttribute(&'static str),
    /// The AI data cannot become a Digital Link URI.
    NoDlKey,
    /// A symbology identifier that tracelot does not read.
    Symbology,
    /// Data that is neither GS1 nor a plain code.
    Unrecognised,
}

impl Rule {
    /// A stable name for scripts and problem responses.
    pub fn code(&self) -> &'static str {
        match self {
            Rule::Empty => "empty",
            Rule::MissingFnc1 => "missing_fnc1",
            Rule::UnknownAi => "unknown_ai",
            Rule::Value(ValueRule::TooShort(_)) => "value_too_short",
            Rule::Value(ValueRule::TooLong(_)) => "value_too_long",
            Rule::Value(ValueRule::Lint(e)) => e.code(),
            Rule::ConflictingDuplicate => "conflicting_duplicate_ai",
            Rule::Bracket => "bracket_syntax",
            Rule::Uri(_) => "not_digital_link",
            Rule::DlPathOrder => "dl_path_order",
            Rule::DlAttribute(_) => "dl_attribute",
            Rule::NoDlKey => "no_dl_key",
            Rule::Symbology => "unknown_symbology",
            Rule::Unrecognised => "unrecognised",
        }
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rule::Empty => f.write_str("there is no data"),
            Rule::MissingFnc1 => f.write_str("GS1 element data starts with FNC1"),
            Rule::UnknownAi => f.write_str("no GS1 Application Identifier starts here"),
            Rule::Value(v) => v.fmt(f),
            Rule::ConflictingDuplicate => f.write_str("the AI appears twice with different values"),
            Rule::Bracket => f.write_str("bracketed AI text reads (AI)value(AI)value"),
            Rule::Uri(why) => write!(f, "not a GS1 Digital Link URI: {why}"),
            Rule::DlPathOrder => f.write_str("the Digital Link path's key and qualifiers are not in a valid order"),
            Rule::DlAttribute(why) => write!(f, "not allowed as a Digital Link query attribute: {why}"),
            Rule::NoDlKey => f.write_str("no Digital Link primary key (such as 01, 00, 414) in the data"),
            Rule::Symbology => f.write_str("unknown symbology identifier"),
            Rule::Unrecognised => f.write_str("neither GS1 data nor a code tracelot knows"),
        }
    }
}

/// A scan that could not be read: the AI (when known), the position in the
/// input (0-based, in bytes) and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}position {position}: {rule}", ai.as_ref().map(|a| format!("AI ({a}) at ")).unwrap_or_default())]
pub struct ParseError {
    /// The AI whose data is wrong, if the error is about one.
    pub ai: Option<String>,
    /// Byte offset in the input.
    pub position: usize,
    /// The broken rule.
    pub rule: Rule,
}

impl ParseError {
    pub(crate) fn at(position: usize, rule: Rule) -> Self {
        ParseError { ai: None, position, rule }
    }

    pub(crate) fn ai(ai: &str, position: usize, rule: Rule) -> Self {
        ParseError { ai: Some(ai.to_string()), position, rule }
    }
}
