//! ZPL is proven the way a printer would prove it: every label is printed to
//! PNG by an interpreter tracelot did not write (Zebrash, through the npm
//! package `zpl-renderer-js` in `tools/zpl-print`), and every symbol on the
//! image is read back by zxing-cpp. The data and the symbology identifier
//! must be exactly what the template asked for. Install the two with
//! `scripts/install-test-deps`.

// A test: a failed expectation is the failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use proptest::prelude::Rng as _;
use proptest::test_runner::{TestRng, TestRunner};
use serde_json::{Value, json};
use tracelot_barcode::{Symbol, Symbology};
use tracelot_gs1::{GS, Gtin, Message, Options};
use tracelot_labels::{Label, LabelError, Shape, Template, builtin, builtin_names, zpl};

/// One label to print and the symbols it must carry, as (identifier, data).
struct Job {
    name: String,
    zpl: String,
    label: Label,
    expect: Vec<(String, String)>,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// What a scanner transmits for each barcode of a laid-out label (a UPC-A
/// as the 13 digits of the EAN-13 it is).
fn symbols_of(label: &Label) -> Vec<(String, String)> {
    let mut out: Vec<_> = label
        .shapes
        .iter()
        .filter_map(|s| match s {
            Shape::Barcode { symbol, data, .. } => {
                let text = match symbol.symbology() {
                    Symbology::UpcA => format!("0{data}"),
                    _ => data.clone(),
                };
                Some((symbol.symbology().identifier().to_string(), text))
            }
            _ => None,
        })
        .collect();
    out.sort();
    out
}

fn job(name: &str, label: Label) -> Job {
    let zpl = zpl(&label).unwrap_or_else(|e| panic!("{name}: {e}"));
    Job { name: name.into(), expect: symbols_of(&label), zpl, label }
}

/// Prints every job with the interpreter and decodes every image; returns
/// the symbols found on each, as (identifier, data), sorted.
fn print_and_read(jobs: &[Job], dir: &Path) -> Vec<Vec<(String, String)>> {
    let specs: Vec<Value> = jobs
        .iter()
        .enumerate()
        .map(|(i, j)| {
            json!({
                "zpl": j.zpl,
                "width_mm": j.label.width_mm,
                "height_mm": j.label.height_mm,
                "dpmm": (f64::from(j.label.dpi) / 25.4).ceil(),
                "out": dir.join(format!("{i}.png")),
            })
        })
        .collect();
    let list = dir.join("jobs.json");
    std::fs::write(&list, serde_json::to_vec(&specs).expect("JSON")).expect("write the jobs");
    let node = std::env::var("TRACELOT_NODE").unwrap_or_else(|_| "node".into());
    let out = Command::new(&node)
        .arg(root().join("tools/zpl-print/print.cjs"))
        .arg(&list)
        .output()
        .unwrap_or_else(|e| panic!("running {node}: {e}; install Node.js, then `npm ci --prefix tools/zpl-print`"));
    assert!(
        out.status.success(),
        "the ZPL interpreter failed: {}{}(install it with `npm ci --prefix tools/zpl-print`)",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let files: Vec<PathBuf> = (0..jobs.len()).map(|i| dir.join(format!("{i}.png"))).collect();
    let python = std::env::var("TRACELOT_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = Command::new(&python)
        .arg(root().join("crates/barcode/tests/zxing_decode.py"))
        .args(&files)
        .output()
        .unwrap_or_else(|e| panic!("running {python}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "zxing-cpp did not run: {stdout}; `python3 -m pip install zxing-cpp pillow`");
    stdout
        .lines()
        .map(|line| {
            let line: Value = serde_json::from_str(line).expect("a JSON line");
            let mut found: Vec<(String, String)> = line["found"]
                .as_array()
                .expect("found")
                .iter()
                .map(|b| (b["id"].as_str().unwrap_or_default().into(), b["text"].as_str().unwrap_or_default().into()))
                .collect();
            found.sort();
            found
        })
        .collect()
}

/// Prints the jobs and requires each image to carry exactly its symbols.
fn assert_prints_right(jobs: &[Job]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let read = print_and_read(jobs, dir.path());
    assert_eq!(read.len(), jobs.len());
    let wrong: Vec<String> = jobs
        .iter()
        .zip(&read)
        .filter(|(j, found)| j.expect != **found)
        .map(|(j, found)| format!("{}: want {:?}, printed {:?}\n{}", j.name, j.expect, found, j.zpl))
        .collect();
    assert!(wrong.is_empty(), "{} of {} labels print wrong:\n{}", wrong.len(), jobs.len(), wrong.join("\n"));
}

fn data(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The built-ins' data, as in the golden files.
fn fixed() -> BTreeMap<String, String> {
    data(&[
        ("item.name", "Tomato ketchup 500 g"),
        ("item.sku", "KETCHUP-500"),
        ("item.gtin", "09506000134352"),
        ("lot.code", "K2611A"),
        ("lot.expires_on", "2027-05-31"),
        ("serial", "SN0001"),
        ("gs1.digital_link", "https://id.gs1.org/01/09506000134352/10/K2611A/21/SN0001"),
        ("location.path", "MAIN/A/01"),
        ("shipper.name", "Heinzle Foods"),
        ("sscc", "106141411234567897"),
        ("count", "48"),
    ])
}

/// The GTIN whose "99" a printer used to drop: a set C value 99 was written
/// as the invocation that switches to set C.
#[test]
fn the_lot_label_that_printed_a_different_gtin_prints_right() {
    let d = data(&[
        ("item.name", "Pickles"),
        ("item.sku", "PICKLE"),
        ("item.gtin", "01549909514540"),
        ("lot.code", "LUL44LDQBWZ"),
        ("lot.expires_on", "2033-10-27"),
    ]);
    let label = builtin("lot").expect("built-in").layout(&d).expect("layout");
    let lot = job("lot", label);
    assert_eq!(lot.expect, [("]C1".to_string(), "01015499095145401733102710LUL44LDQBWZ".to_string())]);
    assert_prints_right(&[lot]);
}

/// Every built-in template, and every checked-in golden file, reads back
/// exactly: a golden file the interpreter does not print right fails here.
#[test]
fn builtins_and_golden_files_print_right() {
    let mut jobs = Vec::new();
    for name in builtin_names() {
        let label = builtin(name).expect("built-in").layout(&fixed()).expect("layout");
        let path = root().join(format!("crates/labels/tests/golden/{name}.zpl"));
        let golden = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let fresh = job(name, label.clone());
        jobs.push(Job { name: format!("golden {name}"), zpl: golden, label, expect: fresh.expect.clone() });
        jobs.push(fresh);
    }
    assert_prints_right(&jobs);
}

/// Proptest's deterministic generator, so a failure names a reproducible case.
struct Rng(TestRng);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0.next_u64() % n
    }

    fn pick(&mut self, chars: &[u8], min: usize, max: usize) -> String {
        let n = min + self.below((max - min + 1) as u64) as usize;
        (0..n).map(|_| char::from(chars[self.below(chars.len() as u64) as usize])).collect()
    }
}

const CSET82: &[u8] = b"!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
const PUNCTUATION: &[u8] = b"!\"%&'()*+,-./:;<=>?_";

/// Text in one of the classes that trip printers: all 9s, all digits (set
/// C), letters and digits, every CSET 82 character, CSET 82's punctuation.
fn text(rng: &mut Rng, max: usize) -> String {
    match rng.below(5) {
        0 => "9".repeat(1 + rng.below(max as u64) as usize),
        1 => rng.pick(b"0123456789", 1, max),
        2 => rng.pick(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 1, max),
        3 => rng.pick(CSET82, 1, max),
        _ => rng.pick(PUNCTUATION, 1, max),
    }
}

/// A date in 1999, 2000, 2049/2050 or 2099, as YYMMDD (day 00 allowed).
fn date(rng: &mut Rng) -> String {
    let year = ["99", "00", "49", "50", "99"][rng.below(5) as usize];
    format!("{year}{:02}{:02}", 1 + rng.below(12), rng.below(29))
}

fn gtin(rng: &mut Rng) -> String {
    let body = match rng.below(3) {
        0 => "9".repeat(13),
        _ => rng.pick(b"0123456789", 13, 13),
    };
    Gtin::from_body(&body).expect("gtin").as_str().to_string()
}

/// Random GS1 data as bracketed text ('(' in values escaped), valid by
/// GS1's rules: a trade item with dates, lot, serial, count or weight.
fn gs1_bracketed(rng: &mut Rng) -> String {
    let escape = |s: String| s.replace('(', "\\(");
    let mut out = format!("(01){}", gtin(rng));
    if rng.below(2) == 0 {
        out.push_str(&format!("(17){}", date(rng)));
    }
    if rng.below(3) == 0 {
        out.push_str(&format!("(11){}", date(rng)));
    }
    out.push_str(&format!("(10){}", escape(text(rng, 20))));
    match rng.below(3) {
        0 => out.push_str(&format!("(21){}", escape(text(rng, 20)))),
        1 => out.push_str(&format!("(30){}", 1 + rng.below(99_999_999))),
        _ => out.push_str(&format!("(3103){:06}", rng.below(1_000_000))),
    }
    out
}

/// A one-barcode template of `symbology` whose data is the placeholder
/// `{d}`, on a label of `width_mm` at 203 dpi (the interpreter's time grows
/// with the label's area, so probes are no larger than their symbol needs).
fn probe(symbology: &str, width_mm: f64) -> Template {
    let height = if matches!(symbology, "gs1-128" | "code128" | "ean13" | "upca") { 30.0 } else { width_mm };
    Template::parse(&format!(
        "name = \"probe\"\nwidth_mm = {width_mm:.1}\nheight_mm = {height:.1}\ndpi = 203\n\n[[element]]\ntype = \"barcode\"\nsymbology = \"{symbology}\"\nx_mm = 6\ny_mm = 6\nmodule_mm = 0.375\nheight_mm = 12\nhri = false\ndata = \"{{d}}\"\n"
    ))
    .expect("probe template")
}

/// `d` laid out on a probe label sized to its symbol, with room for the
/// printer to choose other code sets than tracelot did.
fn layout(symbology: &str, d: &str) -> Result<Label, LabelError> {
    let data = data(&[("d", d)]);
    let wide = probe(symbology, 400.0).layout(&data)?;
    let width = wide.shapes.iter().fold(0.0, |w: f64, s| match s {
        Shape::Barcode { symbol: Symbol::Linear { modules, .. }, module, .. } => {
            w.max(modules.len() as f64 * module * 1.3)
        }
        Shape::Barcode { symbol: Symbol::Matrix { width, .. }, module, .. } => w.max(*width as f64 * module),
        _ => w,
    });
    probe(symbology, (width + 24.0).ceil()).layout(&data)
}

/// 200 random messages per symbology, through ZPL, the interpreter and the
/// decoder. GS1-128 data longer than GS1's 48 characters is refused at
/// layout, and data with a character the printer's GS1 mode drops is
/// refused by the ZPL writer; neither is ever printed.
#[test]
fn random_messages_print_right_in_every_symbology() {
    const PER_SYMBOLOGY: usize = 200;
    let mut rng = Rng(TestRunner::deterministic().rng().clone());
    let mut jobs = Vec::new();
    let (mut too_long, mut refused) = (0, 0);
    for symbology in ["gs1-128", "gs1-datamatrix", "gs1-qr"] {
        let mut printed = 0;
        while printed < PER_SYMBOLOGY {
            let bracketed = gs1_bracketed(&mut rng);
            let label = match layout(symbology, &bracketed) {
                Ok(label) => label,
                Err(e) => {
                    let elements = Message::parse_bracketed(&bracketed, &Options::default()).expect("valid");
                    assert!(symbology == "gs1-128" && elements.element_string().len() > 48, "{bracketed}: {e}");
                    too_long += 1;
                    continue;
                }
            };
            match zpl(&label) {
                Ok(_) => {
                    jobs.push(job(&format!("{symbology} {bracketed}"), label));
                    printed += 1;
                }
                Err(e) => {
                    assert!(symbology == "gs1-128" && e.to_string().contains("mode D"), "{bracketed}: {e}");
                    assert!(bracketed.contains(['(', ')', '>']), "{bracketed}: {e}");
                    refused += 1;
                }
            }
        }
    }
    for symbology in ["code128", "datamatrix", "qr", "ean13", "upca"] {
        for _ in 0..PER_SYMBOLOGY {
            let d = match symbology {
                "ean13" => Gtin::from_body(&rng.pick(b"0123456789", 12, 12)).expect("gtin").as_str()[1..].to_string(),
                "upca" => Gtin::from_body(&rng.pick(b"0123456789", 11, 11)).expect("gtin").as_str()[2..].to_string(),
                _ => {
                    let printable: Vec<u8> = (b' '..=b'~').collect();
                    rng.pick(&printable, 1, 40)
                }
            };
            let label = layout(symbology, &d).unwrap_or_else(|e| panic!("{symbology} {d:?}: {e}"));
            jobs.push(job(&format!("{symbology} {d:?}"), label));
        }
    }
    assert!(jobs.iter().any(|j| j.expect[0].1.contains(char::from(GS))), "no variable-length element mid-message");
    assert!(jobs.iter().any(|j| j.zpl.contains(">8")), "no FNC1 separator through ^BC");
    assert!(too_long > 0 && refused > 0, "the corpus must try the limits: {too_long} too long, {refused} refused");
    assert_prints_right(&jobs);
    eprintln!(
        "{} labels printed by the interpreter and read back exactly; GS1-128 data refused: {too_long} over 48 characters, {refused} holding ( ) or > for ZPL",
        jobs.len()
    );
}
