//! Labels through the real binary and a real server: print runs from the
//! ledger, read back with pypdf, PyMuPDF and zxing-cpp.

mod support;

use std::process::Command;

use serde_json::{Value, json};
use support::{Db, Server, tracelot};

fn pdf_check(path: &std::path::Path) -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../labels/tests/pdf_check.py");
    let out = Command::new("python3").arg(script).arg(path).output().expect("python3");
    assert!(
        out.status.success(),
        "{}; `python3 -m pip install zxing-cpp pillow pypdf pymupdf`",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

#[test]
fn a_receipts_serials_print_one_label_each() {
    let db = Db::new();
    db.ok(&["location", "add", "MAIN/DOCK"]);
    db.ok(&["item", "add", "PHONE", "--name", "Phone X", "--tracking", "lot_serial", "--gtin", "9506000134352"]);
    let posted = db.ok(&[
        "receive",
        "PHONE",
        "--to",
        "MAIN/DOCK",
        "--lot",
        "L9",
        "--expires-on",
        "2027-06-30",
        "--serial",
        "SN1",
        "--serial",
        "SN2",
        "--serial",
        "SN3",
    ]);
    let pdf = db.path("receipt.pdf");
    let tx = posted["id"].as_str().unwrap();
    let done = db.ok(&["label", "receipt", tx, "--format", "pdf", "--out", pdf.to_str().unwrap()]);
    assert_eq!(done["labels"], 3);
    let doc = pdf_check(&pdf);
    let pages = doc["pages"].as_array().unwrap();
    assert_eq!(pages.len(), 3);
    for (page, serial) in pages.iter().zip(["SN1", "SN2", "SN3"]) {
        assert!(page["text"].as_str().unwrap().contains(&format!("S/N {serial}")), "{page}");
        let barcodes = page["barcodes"].to_string();
        let pack = format!("010950600013435210L9\\u001d21{serial}");
        assert!(barcodes.contains(&pack), "{barcodes}");
        assert!(
            barcodes.contains(&format!("https://id.gs1.org/01/09506000134352/10/L9/21/{serial}?17=270630")),
            "{barcodes}"
        );
    }
    // Copies of the lot label as ZPL, and a site's locations on an A4 sheet.
    let zpl = db.path("lot.zpl");
    db.ok(&["label", "lot", "PHONE", "L9", "--copies", "4", "--format", "zpl", "--out", zpl.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(&zpl).unwrap().matches("^XA").count(), 4);
    let sheet = db.path("bins.pdf");
    db.ok(&[
        "label",
        "locations",
        "MAIN",
        "--format",
        "pdf",
        "--sheet",
        "a4",
        "--columns",
        "2",
        "--rows",
        "9",
        "--out",
        sheet.to_str().unwrap(),
    ]);
    let bins = pdf_check(&sheet);
    assert_eq!(bins["pages"][0]["barcodes"], json!([["]C0", "TL:LOC:MAIN"], ["]C0", "TL:LOC:MAIN/DOCK"]]));
    // A transaction without serials, and an unknown one, are refused.
    db.refused(
        &["label", "receipt", "01a20cf7-bd5f-71d5-90ff-41e5e643d125", "--format", "pdf", "--out", "x.pdf"],
        "not_found",
    );
}

#[test]
fn render_needs_no_database_and_names_missing_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("absent.db");
    let out = dir.path().join("l.zpl");
    let render = |args: &[&str]| tracelot(&db, &[&["label", "render", "location"][..], args].concat());
    let data = "location.path=MAIN/A/01";
    let run = render(&["--format", "zpl", "--out", out.to_str().unwrap(), "--data", data, "--copies", "2"]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stdout));
    let zpl = std::fs::read_to_string(&out).unwrap();
    assert_eq!(zpl.matches("^XA").count(), 2);
    assert!(zpl.contains("^BCN") && zpl.contains("TL:LOC:MAIN/A/01"), "{zpl}");
    assert!(!db.exists(), "render opens no database");
    // PNG at a given resolution: 80 x 30 mm at 600 dpi is 1890 x 709 pixels.
    let png = dir.path().join("l.png");
    let run = render(&["--format", "png", "--dpi", "600", "--out", png.to_str().unwrap(), "--data", data]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stdout));
    let bytes = std::fs::read(&png).unwrap();
    let (w, h) =
        (u32::from_be_bytes(bytes[16..20].try_into().unwrap()), u32::from_be_bytes(bytes[20..24].try_into().unwrap()));
    assert_eq!((w, h), (1890, 709));
    let run = tracelot(&db, &["label", "render", "lot", "--format", "svg", "--out", out.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(1));
    let problem: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert!(problem["detail"].as_str().unwrap().contains("no data for placeholder {item.name}"), "{problem}");
}

#[test]
fn labels_over_http() {
    let s = Server::start();
    s.standard();
    let c = Server::client();
    let (status, _) = s.post(
        &c,
        "/api/v1/items",
        "manager",
        &json!({"sku": "CASE", "name": "Case", "tracking": "lot", "uom": "ea", "scale": 0, "gtin": "09506000134352"}),
    );
    assert_eq!(status, 201);
    let receipt = json!({"to": "WH/A", "lines": [{"sku": "CASE", "lot": "C1", "details": {"expires_on": "2027-01-31"}, "units": {"quantity": "10"}}]});
    assert_eq!(s.post(&c, "/api/v1/receipts", "operator", &receipt).0, 201);
    let r = s
        .req(&c, "POST", "/api/v1/labels", Some("viewer"))
        .json(&json!({"lot": {"sku": "CASE", "lot": "C1", "copies": 5}, "format": "zpl"}))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "application/vnd.zebra-zpl");
    let body = r.text().unwrap();
    assert_eq!(body.matches("^XA").count(), 5);
    assert!(body.contains("^BCN,236,N,N,N,D^FH^FD0109506000134352172701311"), "{body}");
    let (status, problem) =
        s.post(&c, "/api/v1/labels", "viewer", &json!({"lot": {"sku": "CASE", "lot": "C1"}, "format": "gif"}));
    assert_eq!((status, problem["field"].as_str()), (422, Some("format")));
    let (status, problem) = s.post(&c, "/api/v1/labels", "viewer", &json!({"format": "pdf"}));
    assert_eq!((status, problem["code"].as_str()), (422, Some("invalid_value")));
    let pdf = s
        .req(&c, "POST", "/api/v1/labels", Some("viewer"))
        .json(&json!({"locations": "WH", "format": "pdf", "sheet": {"paper": "letter", "columns": 2, "rows": 8}}))
        .send()
        .unwrap();
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().unwrap().starts_with(b"%PDF-1.4"));
}
