//! Every vector of GS1's conformance file (vendored in `crates/gs1/data`) as a test.
//!
//! The vectors come from GS1's own engine, whose tests switch options on
//! and off; a few URIs are valid only with an option (convenience alphas,
//! zero-suppressed GTINs, unknown AIs). Those are listed here by name and
//! must also fail under the strict defaults, so no vector passes by luck.

use serde_json::Value;
use tracelot_gs1::lint::{GcpLookup, GcpVerdict, check_by_name};
use tracelot_gs1::{Message, Options};

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/conformance-vectors.json");
    let text = std::fs::read_to_string(path).expect("GS1's conformance vectors are vendored in crates/gs1/data");
    serde_json::from_str(&text).expect("the vectors are JSON")
}

fn section<'a>(all: &'a Value, prefix: &str) -> &'a Value {
    let key = all.as_object().unwrap().keys().find(|k| k.starts_with(prefix)).expect("section exists");
    &all[key]
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

#[test]
fn element_strings_in_fnc1_notation() {
    let all = vectors();
    let cases = section(&all, "processAIdata").as_array().unwrap();
    assert!(cases.len() > 70);
    for case in cases {
        let data = s(&case["data"]);
        let result = Message::parse_fnc1_data(data);
        assert_eq!(result.is_ok(), case["valid"].as_bool().unwrap(), "{data:?}: {result:?}");
    }
}

#[test]
fn bracketed_text() {
    let all = vectors();
    for case in section(&all, "parseAIdata").as_array().unwrap() {
        let input = s(&case["input"]);
        let result = Message::parse_bracketed(input, &Options::default());
        match case["valid"].as_bool().unwrap() {
            true => assert_eq!(result.expect(input).fnc1_data(), s(&case["expect"]), "{input}"),
            false => assert!(result.is_err(), "{input} should fail: {result:?}"),
        }
    }
}

/// URIs that GS1's tests accept only with an option switched on.
const NEEDS_OPTION: &[&str] = &[
    "https://a/gtin/12312312312333",
    "https://a/gtin/12312312312333/ser/ABC123",
    "https://a/sscc/006141411234567890",
    "https://brand.example.com/01/9520123456788",
    "https://brand.example.com/some-extra/pathinfo/01/9520123456788",
    "https://example.com/01/9520123456788?3103=000195&3922=0299&17=201225",
    "https://id.gs1.org/01/9520123456788?3103=000195&3922=0299&17=201225",
    "https://id.gs1.org/01/9520123456788?17=201225&3103=000195&3922=0299",
    "https://example.com/01/09520123456788?99=XYZ&89=ABC123",
];

fn everything_permitted() -> Options<'static> {
    Options { permit_unknown_ais: true, ..Options::lenient() }
}

#[test]
fn digital_link_uris() {
    let all = vectors();
    let mut with_option = std::collections::BTreeSet::new();
    for case in section(&all, "parseDLuri").as_array().unwrap() {
        let uri = s(&case["uri"]);
        let strict = Message::parse_digital_link(uri, &Options::default());
        if !case["valid"].as_bool().unwrap() {
            assert!(strict.is_err(), "{uri} should fail: {strict:?}");
            continue;
        }
        let message = match strict {
            Ok(m) => m,
            Err(e) => {
                assert!(
                    NEEDS_OPTION.contains(&uri),
                    "{uri} fails strictly ({e}) but is not listed as needing an option"
                );
                with_option.insert(uri);
                Message::parse_digital_link(uri, &everything_permitted()).expect(uri)
            }
        };
        assert_eq!(message.fnc1_data(), s(&case["expect"]), "{uri}");
    }
    assert_eq!(with_option.len(), NEEDS_OPTION.len(), "every listed URI is a valid vector that needs its option");
}

#[test]
fn digital_link_generation() {
    let all = vectors();
    for case in section(&all, "generateDLuri").as_array().unwrap() {
        let ai = s(&case["ai"]);
        let stem = case["stem"].as_str();
        let strict = Message::parse_bracketed(ai, &Options::default()).and_then(|m| m.digital_link(stem));
        match (case["valid"].as_bool().unwrap(), strict) {
            (true, Ok(uri)) => assert_eq!(uri, s(&case["expect"]), "{ai}"),
            (true, Err(e)) => {
                // Only the unknown AI (89) needs an option here.
                assert!(ai.contains("(89)"), "{ai}: {e}");
                let uri = Message::parse_bracketed(ai, &everything_permitted()).and_then(|m| m.digital_link(stem));
                assert_eq!(uri.expect(ai), s(&case["expect"]));
            }
            (false, result) => assert!(result.is_err(), "{ai} should fail: {result:?}"),
        }
    }
}

/// A GS1 Company Prefix registry that answers one fixed verdict.
struct Registry(GcpVerdict);

impl GcpLookup for Registry {
    fn check(&self, _data: &str) -> GcpVerdict {
        self.0
    }
}

#[test]
fn every_linter() {
    let all = vectors();
    let linters = section(&all, "linters").as_object().unwrap();
    assert!(linters.len() >= 38);
    let mut checked = 0;
    for (name, cases) in linters {
        let accept_all = Registry(GcpVerdict::Valid);
        for data in cases["pass"].as_array().unwrap() {
            let result = check_by_name(name, s(data), &accept_all).unwrap_or_else(|| panic!("no linter {name}"));
            assert_eq!(result, Ok(()), "{name}({:?})", s(data));
            checked += 1;
        }
        for case in cases["fail"].as_array().unwrap() {
            let (data, expected) = (s(&case["data"]), s(&case["err"]));
            let registry = match expected {
                "GS1_LINTER_INVALID_GCP_PREFIX" => Registry(GcpVerdict::Invalid),
                "GS1_LINTER_GCP_DATASOURCE_OFFLINE" => Registry(GcpVerdict::Offline),
                _ => Registry(GcpVerdict::Valid),
            };
            let result = check_by_name(name, data, &registry).unwrap();
            assert_eq!(result.map_err(|e| e.code()), Err(expected), "{name}({data:?})");
            checked += 1;
        }
    }
    assert!(checked > 5000, "{checked} linter vectors");
}
