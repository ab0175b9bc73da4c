//! Feeds arbitrary bytes to every entry point of the GS1 parser. Whatever
//! parses must also format and parse back to the same elements.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tracelot_gs1::{Message, Options, Scan, parse_scan};

fn elements(m: &Message) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = m.elements().map(|e| (e.ai.to_string(), e.value.to_string())).collect();
    v.sort();
    v
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let options = Options { permit_unknown_ais: true, ..Options::lenient() };
    let _ = Message::parse_fnc1_data(text);
    let _ = Message::parse_bracketed(text, &Options::default());
    let _ = Message::parse_digital_link(text, &options);
    if let Ok(Scan::Gs1 { message, .. }) = parse_scan(text, &Options::default()) {
        let again = Message::parse_element_string(&message.element_string(), &Options::default())
            .expect("a parsed message formats to a parseable element string");
        assert_eq!(elements(&again), elements(&message));
        let bracketed = Message::parse_bracketed(&message.bracketed(), &Options::default())
            .expect("a parsed message formats to parseable bracketed text");
        assert_eq!(elements(&bracketed), elements(&message));
        let _ = message.digital_link(None);
        let _ = message.association_issues();
    }
});
