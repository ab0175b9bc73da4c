//! Any text as a label template: it is refused with an error or rendered
//! in every format, within the renderer's bounds; it never panics or
//! allocates past them.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use tracelot_labels::{Deadline, Format, Paper, Sheet, Template, render};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(template) = Template::parse(text) else { return };
    let values: BTreeMap<String, String> = [
        ("item.name", "Tomato ketchup 500 g"),
        ("item.sku", "KETCHUP-500"),
        ("item.gtin", "09506000134352"),
        ("lot.code", "K2611A"),
        ("lot.expires_on", "2027-05-31"),
        ("serial", "SN0001"),
        ("sscc", "106141411234567897"),
        ("location.path", "MAIN/A/01"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for format in [Format::Svg, Format::Zpl, Format::Pdf, Format::Png] {
        let _ = render(&template, std::slice::from_ref(&values), format, Sheet::PerPage, Deadline::none());
    }
    let grid = Sheet::Grid { paper: Paper::A4, columns: 3, rows: 10 };
    let _ = render(&template, &[values.clone(), values], Format::Pdf, grid, Deadline::none());
});
