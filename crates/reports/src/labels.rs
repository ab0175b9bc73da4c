//! The data of print runs, read from the ledger: one map of placeholder
//! values per label (`item.sku`, `item.name`, `item.gtin`, `lot.code`,
//! `lot.expires_on`, `lot.best_before`, `lot.produced_on`,
//! `lot.supplier_lot`, `serial`,
//! `location.path`, and `gs1.bracketed`, `gs1.element_string`, `gs1.hri`,
//! `gs1.digital_link` when the item has a GTIN). A value that does not
//! exist is left out, so a template that needs it names the missing key.

use std::collections::BTreeMap;

use tracelot_core::{DomainError, LocationKind, LocationPath, LotCode, Rule, Serial, Sku, TxId};
use tracelot_gs1::{Message, Options};
use tracelot_store::{ItemRow, Store, Window};

use crate::ReportError;

/// One label's placeholder values.
pub type LabelData = BTreeMap<String, String>;

fn not_found(field: &str, what: String) -> ReportError {
    ReportError::Refused(DomainError::at(Rule::NotFound, field, what))
}

fn item(store: &dyn Store, sku: &Sku) -> Result<ItemRow, ReportError> {
    store.item(sku)?.ok_or_else(|| not_found("sku", format!("unknown item {sku}")))
}

fn put(d: &mut LabelData, key: &str, value: impl ToString) {
    d.insert(key.to_string(), value.to_string());
}

/// Fills item, lot and serial keys, and the GS1 forms of (01) (17) (10) (21).
fn unit(
    store: &dyn Store,
    row: &ItemRow,
    lot: Option<&LotCode>,
    serial: Option<&Serial>,
) -> Result<LabelData, ReportError> {
    let mut d = LabelData::new();
    put(&mut d, "item.sku", &row.spec.sku);
    put(&mut d, "item.name", &row.spec.name);
    put(&mut d, "item.uom", &row.spec.uom);
    let mut bracketed = String::new();
    if let Some(g) = &row.spec.gtin {
        put(&mut d, "item.gtin", g.as_str());
        bracketed.push_str(&format!("(01){}", g.as_str()));
    }
    if let Some(code) = lot {
        let stored = store
            .lot(&row.spec.sku, code)?
            .ok_or_else(|| not_found("lot", format!("unknown lot {code} of {}", row.spec.sku)))?;
        put(&mut d, "lot.code", code);
        put(&mut d, "lot.status", stored.status.as_str());
        if let Some(s) = &stored.details.supplier_lot {
            put(&mut d, "lot.supplier_lot", s);
        }
        for (key, date, ai) in [
            ("lot.expires_on", stored.details.expires_on, "17"),
            ("lot.best_before", stored.details.best_before, "15"),
            ("lot.produced_on", stored.details.produced_on, "11"),
        ] {
            if let Some(date) = date {
                put(&mut d, key, date);
                if ai == "17" {
                    bracketed.push_str(&format!("(17){}", date.strftime("%y%m%d")));
                }
            }
        }
        bracketed.push_str(&format!("(10){}", code.as_str().replace('(', "\\(")));
    }
    if let Some(s) = serial {
        put(&mut d, "serial", s);
        bracketed.push_str(&format!("(21){}", s.as_str().replace('(', "\\(")));
    }
    if row.spec.gtin.is_some()
        && let Ok(m) = Message::parse_bracketed(&bracketed, &Options::default())
    {
        put(&mut d, "gs1.bracketed", m.bracketed());
        put(&mut d, "gs1.element_string", m.element_string());
        put(&mut d, "gs1.hri", m.hri());
        if let Ok(link) = m.digital_link(None) {
            put(&mut d, "gs1.digital_link", link);
        }
    }
    Ok(d)
}

/// One label per serial a transaction (such as a receipt) moved.
pub fn receipt(store: &dyn Store, tx: &TxId) -> Result<Vec<LabelData>, ReportError> {
    let rows = store.transaction_movements(tx)?;
    if rows.is_empty() {
        return Err(not_found("tx", format!("no transaction {tx}, or it moved nothing")));
    }
    let mut out = Vec::new();
    let mut items: BTreeMap<Sku, ItemRow> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.serial.is_some()) {
        if !items.contains_key(&r.sku) {
            items.insert(r.sku.clone(), item(store, &r.sku)?);
        }
        out.push(unit(store, &items[&r.sku], r.lot.as_ref(), r.serial.as_ref())?);
    }
    if out.is_empty() {
        return Err(ReportError::Refused(DomainError::at(
            Rule::InvalidValue,
            "tx",
            format!("transaction {tx} moved no serials; print lot labels with `label lot`"),
        )));
    }
    Ok(out)
}

/// `copies` identical labels of one lot.
pub fn lot(store: &dyn Store, sku: &Sku, code: &LotCode, copies: u32) -> Result<Vec<LabelData>, ReportError> {
    if copies == 0 || copies > 10_000 {
        return Err(ReportError::Refused(DomainError::at(Rule::InvalidValue, "copies", "copies are 1 to 10,000")));
    }
    let row = item(store, sku)?;
    let d = unit(store, &row, Some(code), None)?;
    Ok(vec![d; copies as usize])
}

/// One label per stock location at or below `site` (internal and
/// quarantine locations), in path order.
pub fn locations(store: &dyn Store, site: &LocationPath) -> Result<Vec<LabelData>, ReportError> {
    let prefix = format!("{site}/");
    let out: Vec<LabelData> = store
        .locations(&Window::all())?
        .into_iter()
        .filter(|l| matches!(l.kind, LocationKind::Internal | LocationKind::Quarantine))
        .filter(|l| l.path == *site || l.path.as_str().starts_with(&prefix))
        .map(|l| {
            let mut d = LabelData::new();
            put(&mut d, "location.path", &l.path);
            put(&mut d, "location.kind", l.kind.as_str());
            d
        })
        .collect();
    if out.is_empty() {
        return Err(not_found("site", format!("no stock location at or below {site}")));
    }
    Ok(out)
}
