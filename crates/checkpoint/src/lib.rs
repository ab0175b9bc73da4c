//! Checkpoints: the ledger's chain head (position and hash) signed with an
//! ed25519 key that lives outside the database. The chain proves that no
//! transaction was altered; it cannot prove that none was cut off the end,
//! since a shorter chain is still a valid chain. A checkpoint kept
//! elsewhere (an auditor's folder, another machine) can: `verify
//! --checkpoints` fails when the ledger no longer holds a signed head at its
//! position.

use std::fmt::Write as _;

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Why a key, a head or a checkpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// Text that should be hex of a given length is not.
    #[error("{what} must be {bytes} bytes as hexadecimal")]
    Hex {
        /// What was being read.
        what: &'static str,
        /// How many bytes it holds.
        bytes: usize,
    },
    /// An `--expect-head` value is not `SEQ:HASH`.
    #[error("a head is SEQ:HASH, such as 42:9f86d0...; {0}")]
    Head(String),
    /// The operating system gave no randomness for a new key.
    #[error("no randomness for a new key: {0}")]
    Random(String),
    /// The checkpoint was signed by another key than the trusted one.
    #[error("checkpoint #{seq} was signed by key {found}, not the trusted key {trusted}")]
    OtherKey {
        /// Its position.
        seq: i64,
        /// The key it names.
        found: String,
        /// The key the auditor trusts.
        trusted: String,
    },
    /// The signature does not match the checkpoint's content.
    #[error("checkpoint #{0}: the signature does not match its content; it was altered")]
    BadSignature(i64),
    /// A checkpoint file is not a checkpoint.
    #[error("not a checkpoint: {0}")]
    Format(String),
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn unhex<const N: usize>(what: &'static str, text: &str) -> Result<[u8; N], CheckpointError> {
    let text = text.trim();
    let bad = || CheckpointError::Hex { what, bytes: N };
    if text.len() != 2 * N || !text.is_ascii() {
        return Err(bad());
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        let pair = text.get(2 * i..2 * i + 2).ok_or_else(bad)?;
        *byte = u8::from_str_radix(pair, 16).map_err(|_| bad())?;
    }
    Ok(out)
}

/// A position in the chain and the hash stored there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// The transaction's position (1 for the first).
    pub seq: i64,
    /// Its chain hash.
    pub hash: [u8; 32],
}

impl Head {
    /// Reads `SEQ:HASH` (hash as 64 hex digits).
    pub fn parse(text: &str) -> Result<Head, CheckpointError> {
        let (seq, hash) = text.split_once(':').ok_or_else(|| CheckpointError::Head(format!("{text:?} has no ':'")))?;
        let seq = seq
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|s| *s >= 1)
            .ok_or_else(|| CheckpointError::Head(format!("{seq:?} is not a position (1 or more)")))?;
        Ok(Head { seq, hash: unhex("the hash", hash)? })
    }

    /// The hash as lowercase hex.
    pub fn hash_hex(&self) -> String {
        hex(&self.hash)
    }
}

/// The signing key. Its file holds the 32-byte secret as hex; keep it
/// where the database's administrators cannot write.
pub struct Key(SigningKey);

impl Key {
    /// A new random key.
    pub fn generate() -> Result<Key, CheckpointError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| CheckpointError::Random(e.to_string()))?;
        Ok(Key(SigningKey::from_bytes(&seed)))
    }

    /// Reads a key file's text.
    pub fn parse(text: &str) -> Result<Key, CheckpointError> {
        Ok(Key(SigningKey::from_bytes(&unhex("a checkpoint key", text)?)))
    }

    /// The text of a key file.
    pub fn secret_hex(&self) -> String {
        hex(self.0.as_bytes())
    }

    /// The public half, as hex: what an auditor trusts.
    pub fn public_hex(&self) -> String {
        hex(self.0.verifying_key().as_bytes())
    }

    /// Signs `head`, made at `at`.
    pub fn sign(&self, head: Head, at: Timestamp) -> Checkpoint {
        let mut c = Checkpoint {
            seq: head.seq,
            hash: head.hash_hex(),
            made_at: at,
            public_key: self.public_hex(),
            signature: String::new(),
        };
        c.signature = hex(&self.0.sign(&c.message()).to_bytes());
        c
    }
}

/// A signed chain head, as written to a checkpoint file (JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// The head's position.
    pub seq: i64,
    /// The hash there (hex).
    pub hash: String,
    /// When the checkpoint was made.
    pub made_at: Timestamp,
    /// The signing key's public half (hex).
    pub public_key: String,
    /// ed25519 over the content (hex).
    pub signature: String,
}

impl Checkpoint {
    /// The signed bytes: a versioned line per field, so that no two
    /// different checkpoints sign the same bytes.
    fn message(&self) -> Vec<u8> {
        format!("tracelot-checkpoint-v1\n{}\n{}\n{}\n{}\n", self.seq, self.hash, self.made_at, self.public_key)
            .into_bytes()
    }

    /// Reads a checkpoint file's text.
    pub fn parse(text: &str) -> Result<Checkpoint, CheckpointError> {
        serde_json::from_str(text).map_err(|e| CheckpointError::Format(e.to_string()))
    }

    /// The head it vouches for, once its signature is checked against the
    /// key the auditor trusts (hex).
    pub fn check(&self, trusted_public: &str) -> Result<Head, CheckpointError> {
        let trusted = unhex::<32>("the trusted public key", trusted_public)?;
        let found = unhex::<32>("the checkpoint's public key", &self.public_key)?;
        if found != trusted {
            return Err(CheckpointError::OtherKey {
                seq: self.seq,
                found: self.public_key.clone(),
                trusted: hex(&trusted),
            });
        }
        let key =
            VerifyingKey::from_bytes(&trusted).map_err(|_| CheckpointError::Hex { what: "a public key", bytes: 32 })?;
        let signature = Signature::from_bytes(&unhex::<64>("the signature", &self.signature)?);
        key.verify(&self.message(), &signature).map_err(|_| CheckpointError::BadSignature(self.seq))?;
        Ok(Head { seq: self.seq, hash: unhex("the hash", &self.hash)? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head() -> Head {
        Head { seq: 42, hash: [7; 32] }
    }

    #[test]
    fn a_signed_head_checks_against_its_key_only() {
        let key = Key::generate().unwrap();
        let again = Key::parse(&key.secret_hex()).unwrap();
        assert_eq!(again.public_hex(), key.public_hex());
        let c = key.sign(head(), Timestamp::UNIX_EPOCH);
        let text = serde_json::to_string(&c).unwrap();
        assert_eq!(Checkpoint::parse(&text).unwrap().check(&key.public_hex()), Ok(head()));
        let stranger = Key::generate().unwrap();
        assert!(matches!(c.check(&stranger.public_hex()), Err(CheckpointError::OtherKey { seq: 42, .. })));
        let mut moved = c.clone();
        moved.seq = 41;
        assert_eq!(moved.check(&key.public_hex()), Err(CheckpointError::BadSignature(41)));
        let mut rehashed = c;
        rehashed.hash = "00".repeat(32);
        assert_eq!(rehashed.check(&key.public_hex()), Err(CheckpointError::BadSignature(42)));
    }

    #[test]
    fn heads_and_keys_are_read_strictly() {
        let h = Head::parse(&format!("42:{}", "07".repeat(32))).unwrap();
        assert_eq!(h, head());
        for bad in ["42", "0:00", "x:00", &format!("42:{}", "0".repeat(63)), &format!("42:{}", "zz".repeat(32))] {
            assert!(Head::parse(bad).is_err(), "{bad}");
        }
        assert!(Key::parse("abc").is_err());
    }
}
