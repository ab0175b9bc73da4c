//! Documents attached to lots (a certificate of analysis, a lab report):
//! stored once by the SHA-256 of their bytes, and named in the ledger by
//! that hash, so the chain covers their content without carrying it.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::ValueError;

/// The largest document accepted: 20 MiB, a scanned certificate with room.
pub const MAX_DOCUMENT_BYTES: usize = 20 << 20;

/// A document's SHA-256, as 64 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DocumentHash(String);

impl DocumentHash {
    /// The hash of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        let digest = Sha256::digest(bytes);
        DocumentHash(digest.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// Checks the form: 64 hex digits (upper case is folded).
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ValueError::new("sha256", format!("{s:?} is not a SHA-256 of 64 hex digits")));
        }
        Ok(DocumentHash(s.to_ascii_lowercase()))
    }

    /// The hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DocumentHash {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        DocumentHash::parse(&s)
    }
}

impl From<DocumentHash> for String {
    fn from(h: DocumentHash) -> String {
        h.0
    }
}

impl std::fmt::Display for DocumentHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for DocumentHash {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DocumentHash::parse(s)
    }
}

/// A document attached to a lot, as the ledger records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// What it is: `coa` (certificate of analysis), `lab_result`, ...
    pub kind: String,
    /// The file name it came with.
    pub name: String,
    /// Its media type, such as `application/pdf`.
    pub media_type: String,
    /// The SHA-256 of its bytes.
    pub sha256: DocumentHash,
    /// Its size in bytes.
    pub size: u32,
    /// The QC result it states, if any (`pass`, `fail`, `moisture 11.2 %`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
}

impl Attachment {
    /// Bounded, printable texts; a kind of letters, digits and `_`.
    pub fn check(&self) -> Result<(), ValueError> {
        let printable =
            |s: &str, max: usize| !s.trim().is_empty() && s.chars().count() <= max && !s.chars().any(char::is_control);
        if !printable(&self.kind, 32) || !self.kind.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(ValueError::new("kind", "a document kind is 1 to 32 letters, digits or _ (coa, lab_result)"));
        }
        if !printable(&self.name, 200) {
            return Err(ValueError::new("name", "a document name is 1 to 200 printable characters"));
        }
        if !printable(&self.media_type, 100) || !self.media_type.contains('/') {
            return Err(ValueError::new("media_type", "a media type looks like application/pdf"));
        }
        if self.result.as_deref().is_some_and(|r| !printable(r, 500)) {
            return Err(ValueError::new("result", "a result is 1 to 500 printable characters"));
        }
        if self.size == 0 || usize::try_from(self.size).map_or(true, |n| n > MAX_DOCUMENT_BYTES) {
            return Err(ValueError::new("size", format!("a document is 1 byte to {MAX_DOCUMENT_BYTES} bytes")));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_the_sha256_of_the_bytes() {
        assert_eq!(
            DocumentHash::of(b"abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(DocumentHash::parse("xyz").is_err());
        assert_eq!(DocumentHash::parse(&"AB".repeat(32)).map(|h| h.to_string()), Ok("ab".repeat(32)));
    }
}
