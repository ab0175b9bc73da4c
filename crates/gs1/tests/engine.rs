//! The engine against the forms real scans arrive in, its errors, and a
//! property test that formatting then parsing gives the input back.

use proptest::prelude::*;
use tracelot_gs1::{AssociationIssue, Carrier, Message, Options, Rule, Scan, parse_scan};

const GS: char = '\u{1d}';

fn gs1(raw: &str) -> (Carrier, Option<String>, Message) {
    match parse_scan(raw, &Options::lenient()) {
        Ok(Scan::Gs1 { carrier, symbology, message }) => (carrier, symbology, message),
        other => panic!("{raw:?} is not GS1: {other:?}"),
    }
}

fn ais(message: &Message) -> Vec<(String, String)> {
    message.elements().map(|e| (e.ai.to_string(), e.value.to_string())).collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(a, v)| (a.to_string(), v.to_string())).collect()
}

#[test]
fn a_drug_pack_reads_the_same_from_every_carrier() {
    let expected = pairs(&[("01", "09506000134352"), ("17", "270600"), ("10", "LOT-77"), ("21", "SN123456")]);
    let forms = [
        format!("]d2010950600013435217270600{}10LOT-77{GS}21SN123456", ""),
        format!("]d2010950600013435217270600{GS}10LOT-77{GS}21SN123456"),
        format!("]C1{GS}010950600013435217270600{GS}10LOT-77{GS}21SN123456"),
        format!("]Q3010950600013435217270600{}10LOT-77{GS}21SN123456", ""),
        format!("]e0010950600013435217270600{}10LOT-77{GS}21SN123456", ""),
        format!("]J1010950600013435217270600{}10LOT-77{GS}21SN123456", ""),
        format!("{GS}010950600013435217270600{}10LOT-77{GS}21SN123456", ""),
        "^010950600013435217270600^10LOT-77^21SN123456".to_string(),
        "(01)09506000134352(17)270600(10)LOT-77(21)SN123456".to_string(),
        "https://id.gs1.org/01/09506000134352/10/LOT-77/21/SN123456?17=270600".to_string(),
    ];
    for raw in &forms {
        let (_, _, message) = gs1(raw);
        let mut got = ais(&message);
        got.sort();
        let mut want = expected.clone();
        want.sort();
        assert_eq!(got, want, "{raw:?}");
        assert_eq!(message.gtin().unwrap().as_str(), "09506000134352");
        // DD = 00: the last day of June.
        assert_eq!(message.expiry(2026).unwrap().to_string(), "2027-06-30");
        assert_eq!(message.lot(), Some("LOT-77"));
        assert_eq!(message.serial(), Some("SN123456"));
    }
    // The symbology identifier is kept; a scan with none has none.
    assert_eq!(gs1(&forms[0]).1.as_deref(), Some("]d2"));
    assert_eq!(gs1(&forms[8]).0, Carrier::Bracketed);
    assert_eq!(gs1(&forms[9]).0, Carrier::DigitalLink);
}

#[test]
fn plain_symbologies_and_bare_keys() {
    // EAN-13 / UPC-A and EAN-8 carry a GTIN without AIs.
    let (carrier, symbology, m) = gs1("]E09506000134352");
    assert_eq!((carrier, symbology.as_deref()), (Carrier::Gtin, Some("]E0")));
    assert_eq!(m.gtin().unwrap().as_str(), "09506000134352");
    assert_eq!(gs1("]E496385074").2.get("01"), Some("00000096385074"));
    for bare in ["96385074", "036000291452", "9506000134352", "09506000134352"] {
        assert_eq!(gs1(bare).0, Carrier::Gtin, "{bare}");
    }
    assert_eq!(gs1("106141411234567897").2.sscc().unwrap().as_str(), "106141411234567897");
    // A plain Code 128 / DataMatrix / QR is data for the application.
    for raw in ["]C0KETCHUP-500", "]d1TL:LOC:MAIN/A1", "]Q1hello", "SKU-42", "https://example.com/not/a/key"] {
        assert!(matches!(parse_scan(raw, &Options::lenient()), Ok(Scan::Plain { .. })), "{raw}");
    }
    // A QR code with a Digital Link URI behind a plain identifier is GS1.
    assert_eq!(gs1("]Q1https://example.com/01/09506000134352").0, Carrier::DigitalLink);
    // A GS1 identifier with a bad check digit is refused, not read as plain.
    assert!(parse_scan("]E09506000134353", &Options::lenient()).is_err());
    assert_eq!(parse_scan("]X0abc", &Options::lenient()).unwrap_err().rule, Rule::Symbology);
}

#[test]
fn digital_link_percent_encoding_and_plus() {
    let m = Message::parse_digital_link(
        "https://example.com/01/09506000134352/10/A+B%2FC?99=x%2By%26z",
        &Options::default(),
    )
    .unwrap();
    // '+' is itself in the path; escaped characters are decoded everywhere.
    assert_eq!(m.lot(), Some("A+B/C"));
    assert_eq!(m.get("99"), Some("x+y&z"));
    // In the query '+' is a space, which no GS1 value may hold.
    let err =
        Message::parse_digital_link("https://example.com/01/09506000134352?99=x+y", &Options::default()).unwrap_err();
    assert_eq!((err.ai.as_deref(), err.rule.code()), (Some("99"), "GS1_LINTER_INVALID_CSET82_CHARACTER"));
    // And back: '+', '/' and '&' escaped so that they survive.
    let uri = m.digital_link(Some("https://example.com")).unwrap();
    assert_eq!(uri, "https://example.com/01/09506000134352/10/A%2BB%2FC?99=x%2By%26z");
    assert_eq!(ais(&Message::parse_digital_link(&uri, &Options::default()).unwrap()), ais(&m));
}

#[test]
fn errors_name_the_ai_the_position_and_the_rule() {
    let err = parse_scan("]d201095060001343521726133110ABC", &Options::default()).unwrap_err();
    assert_eq!(err.ai.as_deref(), Some("17"));
    assert_eq!(err.position, 21, "the month of (17) starts at byte 21 of the scan");
    assert_eq!(err.rule.code(), "GS1_LINTER_ILLEGAL_MONTH");
    assert_eq!(err.to_string(), "AI (17) at position 21: the month is not 01 to 12 (GS1_LINTER_ILLEGAL_MONTH)");

    let err = Message::parse_fnc1_data("^0109506000134353").unwrap_err();
    assert_eq!((err.ai.as_deref(), err.position, err.rule.code()), (Some("01"), 3, "GS1_LINTER_INCORRECT_CHECK_DIGIT"));

    let err = Message::parse_fnc1_data("^0109506000134352^8912").unwrap_err();
    assert_eq!((err.position, err.rule.clone()), (18, Rule::UnknownAi));

    let err = Message::parse_fnc1_data("^10ABC^10ABD").unwrap_err();
    assert_eq!(err.rule, Rule::ConflictingDuplicate);

    let err = Message::parse_bracketed("(10)this-lot-code-is-far-too-long", &Options::default()).unwrap_err();
    assert_eq!((err.ai.as_deref(), err.rule.code()), (Some("10"), "value_too_long"));
}

#[test]
fn association_rules_are_reported() {
    let lone_serial = Message::parse_bracketed("(21)ABC", &Options::default()).unwrap();
    assert_eq!(
        lone_serial.association_issues(),
        [AssociationIssue::Requires { ai: "21".into(), one_of: vec!["01".into(), "03".into(), "8006".into()] }]
    );
    let both = Message::parse_bracketed("(01)09506000134352(02)09506000134352(37)5", &Options::default()).unwrap();
    // (01) excludes (37), (02) excludes (01), and (37) needs an SSCC (00).
    assert_eq!(
        both.association_issues(),
        [
            AssociationIssue::Excludes { ai: "01".into(), other: "37".into() },
            AssociationIssue::Excludes { ai: "02".into(), other: "01".into() },
            AssociationIssue::Requires { ai: "37".into(), one_of: vec!["00".into()] },
        ]
    );
    let pack = Message::parse_bracketed("(01)09506000134352(17)270600(10)L(21)S", &Options::default()).unwrap();
    assert!(pack.association_issues().is_empty());
}

#[test]
fn element_strings_put_predefined_lengths_first() {
    let m = Message::parse_bracketed("(10)LOT1(21)S1(01)09506000134352(3103)000195(17)270600", &Options::default())
        .unwrap();
    assert_eq!(m.element_string(), format!("0109506000134352310300019517270600{}", format_args!("10LOT1{GS}21S1")));
    assert_eq!(m.fnc1_data(), "^10LOT1^21S1^0109506000134352310300019517270600");
    assert_eq!(m.hri(), "(10) LOT1 (21) S1 (01) 09506000134352 (3103) 000195 (17) 270600");
    let measures = m.measures();
    assert_eq!(measures.len(), 1);
    assert_eq!((measures[0].what.as_str(), measures[0].unit.as_str()), ("NET WEIGHT", "kg"));
    assert_eq!(measures[0].value.to_string(), "0.195");
    let priced = Message::parse_bracketed("(01)09506000134352(30)12(3932)9781250", &Options::default()).unwrap();
    let amounts = priced.amounts();
    assert_eq!(amounts[0].currency.as_deref(), Some("978"));
    assert_eq!(amounts[0].value.to_string(), "12.50");
    assert_eq!(priced.count(), Some(12));
    let place = Message::parse_bracketed("(414)9521321000018(254)DOCK-1", &Options::default()).unwrap();
    assert_eq!(place.gln().unwrap().as_str(), "9521321000018");
    assert_eq!(place.get("254"), Some("DOCK-1"));
}

fn gtin14() -> impl Strategy<Value = String> {
    "[0-9]{13}".prop_map(|body| {
        let check = tracelot_gs1::gs1_check_digit(&body).unwrap();
        format!("{body}{check}")
    })
}

fn yymmdd() -> impl Strategy<Value = String> {
    (0u8..100, 1u8..=12, 0u8..=28).prop_map(|(y, m, d)| format!("{y:02}{m:02}{d:02}"))
}

fn cset82(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[!\"%&'()*+,\\-./0-9:;<=>?A-Z_a-z]{{1,{max}}}")).unwrap()
}

/// Random but valid AI data around one product, in a random order.
fn message_text() -> impl Strategy<Value = Vec<(String, String)>> {
    (
        gtin14(),
        proptest::option::of(cset82(20)),
        proptest::option::of(cset82(20)),
        proptest::option::of(yymmdd()),
        proptest::option::of((0u8..6, 0u32..1_000_000)),
        proptest::option::of(1u32..99_999_999),
        proptest::option::of(cset82(30)),
    )
        .prop_map(|(gtin, lot, serial, expiry, weight, count, order)| {
            let mut v = vec![("01".to_string(), gtin)];
            v.extend(lot.map(|l| ("10".to_string(), l)));
            v.extend(serial.map(|s| ("21".to_string(), s)));
            v.extend(expiry.map(|d| ("17".to_string(), d)));
            v.extend(weight.map(|(n, w)| (format!("310{n}"), format!("{w:06}"))));
            v.extend(count.map(|c| ("30".to_string(), c.to_string())));
            v.extend(order.map(|o| ("400".to_string(), o)));
            v
        })
        .prop_shuffle()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn format_then_parse_gives_the_input_back(elements in message_text()) {
        let bracketed: String = elements.iter().map(|(a, v)| format!("({a}){}", v.replace('(', "\\("))).collect();
        let message = Message::parse_bracketed(&bracketed, &Options::default()).unwrap();
        prop_assert_eq!(ais(&message), elements.clone());

        let again = Message::parse_bracketed(&message.bracketed(), &Options::default()).unwrap();
        prop_assert_eq!(ais(&again), elements.clone());

        let fnc1 = Message::parse_fnc1_data(&message.fnc1_data()).unwrap();
        prop_assert_eq!(ais(&fnc1), elements.clone());

        let mut sorted = elements.clone();
        sorted.sort();
        let scanned = Message::parse_element_string(&message.element_string(), &Options::default()).unwrap();
        let mut got = ais(&scanned);
        got.sort();
        prop_assert_eq!(&got, &sorted);
        prop_assert!(!message.element_string().ends_with(GS));

        let uri = message.digital_link(Some("https://example.com/x")).unwrap();
        let linked = Message::parse_digital_link(&uri, &Options::default()).unwrap();
        let mut got = ais(&linked);
        got.sort();
        prop_assert_eq!(&got, &sorted);
    }

    #[test]
    fn the_parser_never_panics(raw in ".{0,80}") {
        let _ = parse_scan(&raw, &Options::lenient());
        let _ = Message::parse_fnc1_data(&raw);
        let _ = Message::parse_bracketed(&raw, &Options::default());
        let _ = Message::parse_digital_link(&raw, &Options::default());
    }
}
