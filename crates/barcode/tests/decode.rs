//! Every symbology, with random lots, serials, dates and texts, drawn to
//! PNG and read back by an independent decoder (zxing-cpp, from PyPI):
//! the decoded data must be exactly what was encoded, with the right
//! symbology identifier. `.ci/run` installs zxing-cpp; elsewhere install it
//! with `python3 -m pip install zxing-cpp pillow`.

// A test: a failed expectation is the failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::process::Command;

use proptest::prelude::Rng as _;
use proptest::test_runner::{TestRng, TestRunner};
use serde_json::Value;
use tracelot_barcode::{Symbol, code128, datamatrix, ean13, gs1_128, gs1_datamatrix, gs1_qr, png, qr, upca};
use tracelot_gs1::{GS, Gtin, Message, Options};

/// Proptest's deterministic generator, so a failure names a reproducible case.
struct Rng(TestRng);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }

    fn pick(&mut self, chars: &[u8], min: usize, max: usize) -> String {
        let n = min + (self.next() as usize) % (max - min + 1);
        (0..n).map(|_| char::from(chars[(self.next() as usize) % chars.len()])).collect()
    }

    fn digits(&mut self, n: usize) -> String {
        self.pick(b"0123456789", n, n)
    }
}

const CSET82: &[u8] = b"!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";

fn gtin(rng: &mut Rng) -> String {
    Gtin::from_body(&rng.digits(13)).expect("gtin").as_str().to_string()
}

/// A pack's or a case's GS1 data: GTIN, expiry, lot, serial or count.
fn gs1_message(rng: &mut Rng) -> Message {
    let date = format!("{:02}{:02}{:02}", 20 + rng.next() % 20, 1 + rng.next() % 12, rng.next() % 29);
    let mut text = format!("(01){}(17){date}(10){}", gtin(rng), rng.pick(CSET82, 1, 20).replace('(', "\\("));
    if rng.next().is_multiple_of(2) {
        text.push_str(&format!("(21){}", rng.pick(CSET82, 1, 12).replace('(', "\\(")));
    } else {
        text.push_str(&format!("(30){}", 1 + rng.next() % 999));
    }
    Message::parse_bracketed(&text, &Options::default()).expect("valid GS1 data")
}

/// What a scanner transmits for the symbol: for GS1 data the element
/// string with GS separators (no leading FNC1).
struct Case {
    symbol: Symbol,
    expect: String,
    id: &'static str,
}

fn cases() -> Vec<Case> {
    let mut rng = Rng(TestRunner::deterministic().rng().clone());
    let mut out = Vec::new();
    // Under FNC1 a QR alphanumeric segment reads '%' as GS: a '%' among
    // capitals and digits must still read back as '%'.
    let percent = Message::parse_bracketed("(01)09506000134352(10)ABC%DEF12%%34", &Options::default()).expect("GS1");
    let expect = percent.element_string();
    out.push(Case { symbol: gs1_qr(&percent).expect("GS1 QR"), expect, id: "]Q3" });
    for _ in 0..16 {
        let m = gs1_message(&mut rng);
        let expect = m.element_string();
        match gs1_128(&m) {
            Ok(symbol) => out.push(Case { symbol, expect: expect.clone(), id: "]C1" }),
            // GS1 caps a GS1-128 symbol at 48 data characters: refused, never truncated.
            Err(e) => assert!(expect.len() > 48, "{expect:?}: {e}"),
        }
        out.push(Case { symbol: gs1_datamatrix(&m).expect("GS1 DataMatrix"), expect: expect.clone(), id: "]d2" });
        out.push(Case { symbol: gs1_qr(&m).expect("GS1 QR"), expect, id: "]Q3" });
        let text = rng.pick(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-./:", 1, 30);
        out.push(Case { symbol: code128(&text).expect("Code 128"), expect: text.clone(), id: "]C0" });
        out.push(Case { symbol: datamatrix(&text).expect("Data Matrix"), expect: text, id: "]d1" });
        let link =
            Message::parse_bracketed(&format!("(01){}(21){}", gtin(&mut rng), rng.digits(8)), &Options::default())
                .and_then(|m| m.digital_link(Some("https://id.example.com")))
                .expect("digital link");
        out.push(Case { symbol: qr(&link).expect("QR"), expect: link, id: "]Q1" });
        let thirteen = Gtin::from_body(&rng.digits(12)).expect("gtin-13").as_str()[1..].to_string();
        out.push(Case { symbol: ean13(&thirteen).expect("EAN-13"), expect: thirteen, id: "]E0" });
        let twelve = Gtin::from_body(&rng.digits(11)).expect("gtin-12").as_str()[2..].to_string();
        out.push(Case { symbol: upca(&twelve).expect("UPC-A"), expect: format!("0{twelve}"), id: "]E0" });
    }
    out
}

#[test]
fn every_symbol_decodes_to_exactly_its_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = cases();
    let mut files = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let path = dir.path().join(format!("{i}.png"));
        std::fs::write(&path, png(&c.symbol.bitmap(4, 120)).expect("png")).expect("write");
        files.push(path);
    }
    let python = std::env::var("TRACELOT_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = Command::new(&python)
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/zxing_decode.py"))
        .args(&files)
        .output()
        .unwrap_or_else(|e| panic!("running {python}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the zxing-cpp decoder did not run ({stdout}{}); install it with `python3 -m pip install zxing-cpp pillow`",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect();
    assert_eq!(lines.len(), cases.len());
    for (c, line) in cases.iter().zip(&lines) {
        let found = line["found"].as_array().expect("found");
        assert_eq!(found.len(), 1, "{:?} {:?}: {line}", c.symbol.symbology(), c.expect);
        assert_eq!(found[0]["id"], c.id, "{:?}: {line}", c.expect);
        let text = found[0]["text"].as_str().unwrap_or_default();
        assert_eq!(text, c.expect, "{:?} {}", c.symbol.symbology(), line);
    }
    assert!(cases.iter().filter(|c| c.id == "]C1").count() >= 4, "too few GS1-128 cases fit 48 characters");
    // GS1 symbols carried GS separators: the element strings had variable-length AIs.
    assert!(cases.iter().any(|c| c.expect.contains(char::from(GS))));
}
