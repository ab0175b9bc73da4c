//! The tamper-evident hash chain. Each committed transaction stores
//! SHA-256 over the previous transaction's hash and its own canonical
//! content, spelled with natural keys (SKU, lot code, serial, location
//! path) so that an installation copied to another backend keeps its chain.

use sha2::{Digest, Sha256};

/// The hash before the first transaction.
pub const GENESIS: [u8; 32] = [0; 32];

/// One movement as the chain sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainMove<'a> {
    /// Position within the transaction.
    pub line: i64,
    /// Item.
    pub sku: &'a str,
    /// Lot code, if any.
    pub lot: Option<&'a str>,
    /// Serial, if any.
    pub serial: Option<&'a str>,
    /// Source location path.
    pub from: &'a str,
    /// Destination location path.
    pub to: &'a str,
    /// Smallest units.
    pub qty: i64,
}

/// One transaction as the chain sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainTx<'a> {
    /// Position in the chain.
    pub seq: i64,
    /// Client-chosen id (16 bytes).
    pub id: [u8; 16],
    /// Command kind.
    pub kind: &'a str,
    /// The canonical request JSON.
    pub request: &'a str,
    /// When it happened (µs since epoch).
    pub occurred_at: i64,
    /// When it was recorded (µs since epoch).
    pub recorded_at: i64,
    /// Who posted it.
    pub user: &'a str,
    /// The transaction this one reverses, by chain position.
    pub reverses: Option<i64>,
    /// Overrides as JSON (`[]` when none).
    pub overrides: &'a str,
}

/// Length-prefixed fields, so that no two different contents share bytes.
struct Encoder(Sha256);

impl Encoder {
    fn bytes(&mut self, b: &[u8]) {
        self.0.update((b.len() as u64).to_le_bytes());
        self.0.update(b);
    }

    fn opt(&mut self, s: Option<&str>) {
        match s {
            Some(s) => {
                self.0.update([1]);
                self.bytes(s.as_bytes());
            }
            None => self.0.update([0]),
        }
    }

    fn int(&mut self, v: i64) {
        self.0.update(v.to_le_bytes());
    }
}

/// Computes a transaction's hash from its predecessor's and its content.
pub fn hash<'a>(prev: &[u8; 32], tx: &ChainTx<'_>, moves: impl IntoIterator<Item = ChainMove<'a>>) -> [u8; 32] {
    let mut e = Encoder(Sha256::new());
    e.bytes(b"tracelot-chain-v1");
    e.bytes(prev);
    e.int(tx.seq);
    e.bytes(&tx.id);
    e.bytes(tx.kind.as_bytes());
    e.bytes(tx.request.as_bytes());
    e.int(tx.occurred_at);
    e.int(tx.recorded_at);
    e.bytes(tx.user.as_bytes());
    match tx.reverses {
        Some(r) => {
            e.0.update([1]);
            e.int(r);
        }
        None => e.0.update([0]),
    }
    e.bytes(tx.overrides.as_bytes());
    for m in moves {
        e.0.update(b"m");
        e.int(m.line);
        e.bytes(m.sku.as_bytes());
        e.opt(m.lot);
        e.opt(m.serial);
        e.bytes(m.from.as_bytes());
        e.bytes(m.to.as_bytes());
        e.int(m.qty);
    }
    e.0.finalize().into()
}

/// A hash as lowercase hex. Written by hand: every posted transaction
/// returns its hash, and a table lookup is ten times cheaper than formatting.
pub fn to_hex(hash: &[u8; 32]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let digit = |nibble: u8| char::from(DIGITS.get(usize::from(nibble)).copied().unwrap_or(b'0'));
    let mut out = String::with_capacity(64);
    for b in hash {
        out.push(digit(b >> 4));
        out.push(digit(b & 15));
    }
    out
}

#[cfg(test)]
// Tests: an overflow or a panic is a failed test.
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    fn tx(request: &str) -> ChainTx<'_> {
        ChainTx {
            seq: 1,
            id: [7; 16],
            kind: "receive",
            request,
            occurred_at: 1,
            recorded_at: 2,
            user: "u",
            reverses: None,
            overrides: "[]",
        }
    }

    fn mv(qty: i64) -> ChainMove<'static> {
        ChainMove { line: 0, sku: "A", lot: Some("L"), serial: None, from: "S", to: "B", qty }
    }

    #[test]
    fn hex_is_lowercase_and_complete() {
        let mut h = [0u8; 32];
        h[0] = 0xab;
        h[31] = 0x0f;
        let x = to_hex(&h);
        assert_eq!(x.len(), 64);
        assert!(x.starts_with("ab00") && x.ends_with("000f"), "{x}");
    }

    #[test]
    fn any_change_changes_the_hash() {
        let base = hash(&GENESIS, &tx("{}"), [mv(5)]);
        assert_eq!(base, hash(&GENESIS, &tx("{}"), [mv(5)]));
        assert_ne!(base, hash(&GENESIS, &tx("{}"), [mv(6)]));
        assert_ne!(base, hash(&GENESIS, &tx("{ }"), [mv(5)]));
        assert_ne!(base, hash(&[1; 32], &tx("{}"), [mv(5)]));
        assert_ne!(base, hash(&GENESIS, &tx("{}"), []));
        // A lot moved into the serial position must not collide.
        let swapped = ChainMove { lot: None, serial: Some("L"), ..mv(5) };
        assert_ne!(base, hash(&GENESIS, &tx("{}"), [swapped]));
    }
}
