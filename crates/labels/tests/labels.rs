//! The built-in templates with random lots, serials and dates: every
//! barcode on them is read back by zxing-cpp, ZPL matches golden files, and
//! data a symbol cannot hold is refused naming the element.

// A test: a failed expectation is the failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::collections::BTreeMap;
use std::process::Command;

use proptest::prelude::Rng as _;
use proptest::test_runner::TestRunner;
use serde_json::Value;
use tracelot_gs1::{Gtin, Message, Options};
use tracelot_labels::{Deadline, LabelError, Shape, builtin, builtin_names, svg, zpl};

fn data(pairs: &[(&str, String)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

/// The data every built-in template names, from one random draw.
fn sample(rng: &mut impl FnMut() -> u64) -> BTreeMap<String, String> {
    let digits = |rng: &mut dyn FnMut() -> u64, n: usize| -> String {
        (0..n).map(|_| char::from(b'0' + (rng() % 10) as u8)).collect()
    };
    let text = |rng: &mut dyn FnMut() -> u64, max: usize| -> String {
        const CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-";
        let n = 1 + (rng() as usize) % max;
        (0..n).map(|_| char::from(CHARS[(rng() as usize) % CHARS.len()])).collect()
    };
    let gtin = Gtin::from_body(&digits(rng, 13)).expect("gtin").as_str().to_string();
    let sscc = tracelot_gs1::Sscc::from_body(&digits(rng, 17)).expect("sscc").as_str().to_string();
    let expires = format!("20{:02}-{:02}-{:02}", 26 + rng() % 10, 1 + rng() % 12, 1 + rng() % 28);
    let (lot, serial) = (text(rng, 10), text(rng, 12));
    let link = Message::parse_bracketed(&format!("(01){gtin}(10){lot}(21){serial}"), &Options::default())
        .and_then(|m| m.digital_link(None))
        .expect("digital link");
    data(&[
        ("item.name", "Tomato ketchup 500 g".into()),
        ("item.sku", "KETCHUP-500".into()),
        ("item.gtin", gtin),
        ("lot.code", lot),
        ("lot.expires_on", expires),
        ("serial", serial),
        ("gs1.digital_link", link),
        ("location.path", format!("MAIN/A/{}", text(rng, 4))),
        ("shipper.name", "Heinzle Foods".into()),
        ("sscc", sscc),
        ("count", format!("{}", 1 + rng() % 200)),
    ])
}

#[test]
fn every_barcode_on_every_builtin_template_decodes() {
    let mut rng = TestRunner::deterministic().rng().clone();
    let mut next = move || rng.next_u64();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut expected = Vec::new();
    let mut files = Vec::new();
    for round in 0..6 {
        let d = sample(&mut next);
        for name in builtin_names() {
            let label = builtin(name).expect("built-in").layout(&d).unwrap_or_else(|e| panic!("{name}: {e}"));
            let doc = svg(&label);
            assert!(doc.starts_with("<svg") && doc.contains("</svg>"), "{name}");
            for shape in &label.shapes {
                if let Shape::Barcode { symbol, data, .. } = shape {
                    let path = dir.path().join(format!("{round}-{name}-{}.png", files.len()));
                    std::fs::write(&path, tracelot_barcode::png(&symbol.bitmap(4, 120)).expect("png")).expect("write");
                    files.push(path);
                    expected.push((symbol.symbology().identifier(), data.clone(), name));
                }
            }
        }
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../barcode/tests/zxing_decode.py");
    let python = std::env::var("TRACELOT_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = Command::new(&python).arg(script).args(&files).output().expect("run the decoder");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "zxing-cpp did not run: {stdout}; `python3 -m pip install zxing-cpp pillow`");
    let lines: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).expect("JSON")).collect();
    assert_eq!(lines.len(), expected.len());
    for ((id, data, name), line) in expected.iter().zip(&lines) {
        let found = &line["found"][0];
        assert_eq!(found["id"], *id, "{name}: {line}");
        assert_eq!(found["text"], data.as_str(), "{name}: {line}");
    }
    // Six rounds over four templates: lot 1, serial 2, location 1, sscc 2 symbols each.
    assert_eq!(expected.len(), 6 * 6);
}

fn fixed() -> BTreeMap<String, String> {
    data(&[
        ("item.name", "Tomato ketchup 500 g".into()),
        ("item.sku", "KETCHUP-500".into()),
        ("item.gtin", "09506000134352".into()),
        ("lot.code", "K2611A".into()),
        ("lot.expires_on", "2027-05-31".into()),
        ("serial", "SN0001".into()),
        ("gs1.digital_link", "https://id.gs1.org/01/09506000134352/10/K2611A/21/SN0001".into()),
        ("location.path", "MAIN/A/01".into()),
        ("shipper.name", "Heinzle Foods".into()),
        ("sscc", "106141411234567897".into()),
        ("count", "48".into()),
    ])
}

/// ZPL is compared with checked-in files (`TRACELOT_BLESS=1` rewrites them).
#[test]
fn zpl_matches_the_golden_files() {
    for name in builtin_names() {
        let label = builtin(name).expect("built-in").layout(&fixed()).expect("layout");
        let got = zpl(&label).expect("zpl");
        let path = format!("{}/tests/golden/{name}.zpl", env!("CARGO_MANIFEST_DIR"));
        if std::env::var_os("TRACELOT_BLESS").is_some() {
            std::fs::write(&path, &got).expect("bless");
        }
        let want = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{path} (bless with TRACELOT_BLESS=1)"));
        assert_eq!(got, want, "{name}");
    }
    let lot = zpl(&builtin("lot").unwrap().layout(&fixed()).unwrap()).unwrap();
    // GS1-128 in the printer's GS1 mode: the element string, `>8` between
    // elements; the printer adds the leading FNC1.
    assert!(lot.contains("^BCN,236,N,N,N,D^FH^FD010950600013435217270531"), "{lot}");
    let serial = zpl(&builtin("serial").unwrap().layout(&fixed()).unwrap()).unwrap();
    assert!(serial.contains("^BXN,6,200,0,0,6,_^FD_101095060001343521") && serial.contains("_121SN0001"), "{serial}");
}

#[test]
fn data_a_symbol_cannot_hold_is_refused_naming_the_element() {
    let mut d = fixed();
    d.insert("item.gtin".into(), "09506000134353".into());
    let err = builtin("lot").unwrap().layout(&d).unwrap_err();
    assert!(matches!(err, LabelError::Gs1 { element: 4, .. }), "{err}");
    assert!(err.to_string().contains("GS1_LINTER_INCORRECT_CHECK_DIGIT"), "{err}");

    let mut d = fixed();
    d.insert("location.path".into(), "MAIN/".to_string() + &"A".repeat(60));
    let err = builtin("location").unwrap().layout(&d).unwrap_err();
    assert!(matches!(err, LabelError::Barcode { element: 1, .. }), "{err}");
    assert!(err.to_string().contains("at most 48"), "{err}");

    let mut d = fixed();
    d.remove("lot.code");
    assert_eq!(
        builtin("lot").unwrap().layout(&d).unwrap_err(),
        LabelError::MissingData { element: 1, key: "lot.code".into() }
    );
    assert!(matches!(builtin("nope"), Err(LabelError::UnknownTemplate(_))));
    // A lot code long enough to push the GS1-128 past the label's edge.
    let mut d = fixed();
    d.insert("lot.code".into(), "ABCDEFGHJKLMNPQRSTUV".into());
    assert!(matches!(builtin("lot").unwrap().layout(&d), Err(LabelError::DoesNotFit { element: 4, .. })));
    assert!(matches!(
        tracelot_labels::Template::parse("name = 'x'\nwidth_mm = 0\nheight_mm = 10"),
        Err(LabelError::Template(_))
    ));
}

fn python(args: &[&std::ffi::OsStr]) -> Value {
    let python = std::env::var("TRACELOT_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = Command::new(&python).args(args).output().expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "python failed: {stdout}{}; `python3 -m pip install zxing-cpp pillow pypdf pymupdf`",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or_default()).expect("JSON")
}

/// The (identifier, data) pairs a label's barcodes should scan as.
fn wanted(label: &tracelot_labels::Label) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = label
        .shapes
        .iter()
        .filter_map(|s| match s {
            Shape::Barcode { symbol, data, .. } => Some((symbol.symbology().identifier().to_string(), data.clone())),
            _ => None,
        })
        .collect();
    v.sort();
    v
}

#[test]
fn whole_labels_as_png_scan_back_every_symbol() {
    let mut rng = TestRunner::deterministic().rng().clone();
    let mut next = move || rng.next_u64();
    let dir = tempfile::tempdir().expect("tempdir");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../barcode/tests/zxing_decode.py");
    let mut files = Vec::new();
    let mut want = Vec::new();
    for round in 0..4 {
        let d = sample(&mut next);
        for name in builtin_names() {
            let label = builtin(name).unwrap().layout(&d).unwrap();
            let path = dir.path().join(format!("{round}-{name}.png"));
            std::fs::write(&path, tracelot_labels::png(&label, label.dpi).expect("png")).expect("write");
            files.push(path);
            want.push((name, wanted(&label)));
        }
    }
    let python = std::env::var("TRACELOT_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = Command::new(&python).arg(script).args(&files).output().expect("decoder");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    for ((name, want), line) in want.iter().zip(String::from_utf8_lossy(&out.stdout).lines()) {
        let line: Value = serde_json::from_str(line).expect("JSON");
        let mut got: Vec<(String, String)> = line["found"]
            .as_array()
            .expect("found")
            .iter()
            .map(|b| (b["id"].as_str().unwrap().to_string(), b["text"].as_str().unwrap().to_string()))
            .collect();
        got.sort();
        assert_eq!(&got, want, "{name}");
    }
}

#[test]
fn pdf_pages_sizes_text_and_barcodes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pdf_check.py");
    let label = builtin("lot").unwrap().layout(&fixed()).unwrap();

    // One label per page: three pages of 100 x 60 mm.
    let path = dir.path().join("pages.pdf");
    std::fs::write(
        &path,
        tracelot_labels::pdf(&vec![label.clone(); 3], tracelot_labels::Sheet::PerPage, Deadline::none()).unwrap(),
    )
    .unwrap();
    let doc = python(&[script.as_ref(), path.as_os_str()]);
    let pages = doc["pages"].as_array().expect("pages");
    assert_eq!(pages.len(), 3);
    for p in pages {
        assert!((p["width_pt"].as_f64().unwrap() - 100.0 * 72.0 / 25.4).abs() < 0.01, "{p}");
        assert!((p["height_pt"].as_f64().unwrap() - 60.0 * 72.0 / 25.4).abs() < 0.01, "{p}");
        assert!(
            p["text"].as_str().unwrap().contains("Tomato ketchup 500 g"),
            "the embedded font's text reads back: {p}"
        );
        assert_eq!(p["barcodes"], serde_json::json!([["]C1", "0109506000134352172705311".to_string() + "0K2611A"]]));
    }

    // Sheets: 3 x 10 location labels (70 x 29.7 mm) on A4; 31 labels make two pages.
    let small = tracelot_labels::Template::parse(
        "name = 'bin'\nwidth_mm = 70\nheight_mm = 29.7\n[[element]]\ntype = 'barcode'\nsymbology = 'code128'\nx_mm = 4\ny_mm = 4\nmodule_mm = 0.2\nheight_mm = 14\ndata = 'TL:LOC:{location.path}'\n",
    )
    .unwrap();
    let labels: Vec<_> =
        (0..31).map(|i| small.layout(&data(&[("location.path", format!("MAIN/A/{i:02}"))])).unwrap()).collect();
    let sheet = tracelot_labels::Sheet::Grid { paper: tracelot_labels::Paper::A4, columns: 3, rows: 10 };
    let path = dir.path().join("sheet.pdf");
    std::fs::write(&path, tracelot_labels::pdf(&labels, sheet, Deadline::none()).unwrap()).unwrap();
    let doc = python(&[script.as_ref(), path.as_os_str()]);
    let pages = doc["pages"].as_array().expect("pages");
    assert_eq!(pages.len(), 2);
    assert!((pages[0]["width_pt"].as_f64().unwrap() - 595.28).abs() < 0.1);
    assert!((pages[0]["height_pt"].as_f64().unwrap() - 841.89).abs() < 0.1);
    assert_eq!(pages[0]["barcodes"].as_array().unwrap().len(), 30, "every label of a full sheet scans");
    assert_eq!(pages[1]["barcodes"], serde_json::json!([["]C0", "TL:LOC:MAIN/A/30"]]));
    // Labels that do not fit the paper are refused.
    let wide = tracelot_labels::Sheet::Grid { paper: tracelot_labels::Paper::A4, columns: 4, rows: 10 };
    assert!(tracelot_labels::pdf(&labels, wide, Deadline::none()).is_err());
}

/// SVG draws one rectangle per dark run of bars, besides the background,
/// and the label's text.
#[test]
fn svg_draws_every_bar_and_the_text() {
    let label = builtin("location").unwrap().layout(&fixed()).unwrap();
    let runs = label
        .shapes
        .iter()
        .map(|s| match s {
            Shape::Barcode { symbol: tracelot_barcode::Symbol::Linear { modules, .. }, .. } => {
                modules.windows(2).filter(|w| w[1] && !w[0]).count() + usize::from(modules[0])
            }
            _ => 0,
        })
        .sum::<usize>();
    let doc = svg(&label);
    assert_eq!(doc.matches("<rect").count(), 1 + runs, "{doc}");
    assert!(doc.contains(">MAIN/A/01</text>") && doc.contains(">TL:LOC:MAIN/A/01</text>"), "{doc}");
}
