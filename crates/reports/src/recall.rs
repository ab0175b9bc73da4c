//! The recall report: every customer who received the lot or anything made
//! from it, through any number of production steps, with quantities, dates
//! and documents; and what is still on hand, per location.

use serde::Serialize;
use tracelot_core::{
    Command, LocationKind, LotCode, LotStatus, RecallDecision, Request, Sku, Transaction, TxId, UserName,
};
use tracelot_store::{Direction, LotRow, PartnerMove, StockQuery, StockRow, Store, SubmitError, Unit};

use crate::ReportError;
use crate::trace::{Exposure, Trace, trace};

/// What a recall of one lot reaches.
#[derive(Debug, Clone, Serialize)]
pub struct RecallReport {
    /// The recalled lot, with its status history (the recall and its closure).
    pub lot: LotRow,
    /// The forward trace from it.
    pub trace: Trace,
    /// Net quantities per customer and unit.
    pub customers: Vec<Exposure>,
    /// Every shipment and return of affected units, oldest first.
    pub shipments: Vec<PartnerMove>,
    /// Affected stock still on hand, per unit and location.
    pub on_hand: Vec<StockRow>,
}

/// Every lot a recall of `sku` lot `lot` reaches (the lot itself, and every
/// lot made from it through any number of production steps), with its
/// current status. A recall gives each of them the recalled status, so that
/// affected products are blocked too; its closure gives them their final one.
pub fn affected_lots(
    store: &dyn Store,
    sku: &Sku,
    lot: &LotCode,
) -> Result<Vec<(Sku, LotCode, LotStatus)>, ReportError> {
    let start = Unit { sku: sku.clone(), lot: Some(lot.clone()), serial: None };
    let t = trace(store, start, Direction::Forward)?;
    let mut lots: Vec<(Sku, LotCode)> =
        t.units.iter().filter_map(|u| Some((u.unit.sku.clone(), u.unit.lot.clone()?))).collect();
    lots.sort();
    lots.dedup();
    let mut out = Vec::with_capacity(lots.len());
    for (s, l) in lots {
        if let Some(row) = store.lot(&s, &l)? {
            out.push((s, l, row.status));
        }
    }
    Ok(out)
}

/// What a recall run does to each lot it reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecallStep {
    /// Start: every reached lot not yet recalled becomes `recalled`.
    Start,
    /// Close with a decision: every reached lot still recalled takes the
    /// decision's status (the named lot must be under recall).
    Close(RecallDecision),
}

impl RecallStep {
    /// The command for one reached lot, or `None` when it needs none.
    fn command(self, sku: &Sku, lot: &LotCode, status: LotStatus, named: bool) -> Option<Command> {
        let (sku, lot) = (sku.clone(), lot.clone());
        match self {
            // A reached lot that is already held or rejected stays so: a
            // recall must not become a way to release it at its closure.
            RecallStep::Start => (status != LotStatus::Recalled && (named || !status.is_blocked()))
                .then_some(Command::SetLotStatus { sku, lot, status: LotStatus::Recalled }),
            // The named lot always gets the closure, so that closing a lot
            // that is not under recall is refused, not silently ignored.
            RecallStep::Close(decision) => {
                (status == LotStatus::Recalled || named).then_some(Command::CloseRecall { sku, lot, decision })
            }
        }
    }
}

/// Starts or closes the recall of `sku` lot `lot` and of every lot made
/// from it. Each change is its own ledger transaction with the reason, all
/// in one group commit; the trace is repeated until it reaches no lot left
/// to change, so a production run that committed in between is caught too.
/// `first_id` makes the change of the named lot itself retry-safe.
pub fn run_recall(
    store: &dyn Store,
    sku: &Sku,
    lot: &LotCode,
    step: RecallStep,
    reason: Option<String>,
    first_id: Option<TxId>,
    user: &UserName,
) -> Result<usize, ReportError> {
    let mut changed = 0;
    let mut first_id = first_id;
    let mut named_done = false;
    loop {
        let todo: Vec<(bool, Command)> = affected_lots(store, sku, lot)?
            .into_iter()
            .filter_map(|(s, l, status)| {
                let named = &s == sku && &l == lot && !named_done;
                step.command(&s, &l, status, named).map(|c| (named, c))
            })
            .collect();
        if todo.is_empty() {
            return Ok(changed);
        }
        let txs: Vec<Transaction> = todo
            .into_iter()
            .map(|(named, command)| {
                let id = if named { first_id.take() } else { None };
                named_done |= named;
                Transaction {
                    request: Request {
                        id: id.unwrap_or_else(TxId::generate),
                        command,
                        occurred_at: None,
                        reference: None,
                        reason: reason.clone(),
                    },
                    user: user.clone(),
                }
            })
            .collect();
        for r in store.submit_batch(txs) {
            r.map_err(|e| match e {
                SubmitError::Refused(d) => ReportError::Refused(d),
                SubmitError::Storage(s) => ReportError::Store(tracelot_store::StoreError::Storage(s)),
            })?;
            changed += 1;
        }
    }
}

/// Builds the report for `sku` lot `lot`.
pub fn recall_report(store: &dyn Store, sku: &Sku, lot: &LotCode) -> Result<RecallReport, ReportError> {
    let start = Unit { sku: sku.clone(), lot: Some(lot.clone()), serial: None };
    let t = trace(store, start, Direction::Forward)?;
    let row = store.lot(sku, lot)?.ok_or_else(|| {
        ReportError::Refused(tracelot_core::DomainError::at(
            tracelot_core::Rule::NotFound,
            "lot",
            format!("unknown lot {lot} of {sku}"),
        ))
    })?;
    let mut on_hand = Vec::new();
    for u in &t.units {
        let q = StockQuery {
            sku: Some(u.unit.sku.clone()),
            lot: u.unit.lot.clone(),
            serial: u.unit.serial.clone(),
            ..Default::default()
        };
        on_hand.extend(store.stock(&q)?);
    }
    let shipments = t.partner_moves.iter().filter(|m| m.partner_kind == LocationKind::Customer).cloned().collect();
    Ok(RecallReport { lot: row, customers: t.exposures(), trace: t, shipments, on_hand })
}

/// One CSV cell that opens safely in a spreadsheet. A cell that a
/// spreadsheet would run as a formula (it begins with `=`, `+`, `-`, `@`, a
/// tab or a carriage return, and is not a plain number such as `-5`) gets
/// a leading apostrophe, so a document number `=HYPERLINK(...)` stays text.
/// Then it is quoted as RFC 4180 says when it holds a comma, quote or line
/// break.
fn csv_field(s: &str) -> String {
    let formula = s.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_plain_number(s);
    let s = if formula { format!("'{s}") } else { s.to_owned() };
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
}

/// `-12` or `-12.5`: a quantity, which a spreadsheet reads as a number.
fn is_plain_number(s: &str) -> bool {
    let unsigned = s.strip_prefix('-').unwrap_or(s);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && digits(fraction)
}

impl RecallReport {
    /// One CSV row per shipment or return of an affected unit, then one per
    /// on-hand balance, for the recall team's spreadsheet.
    pub fn csv(&self) -> String {
        let mut s =
            String::from("record,customer_or_location,sku,lot,serial,quantity,units,date,document,transaction,kind\n");
        for m in &self.shipments {
            let row = [
                "shipment".to_owned(),
                m.partner.to_string(),
                m.unit.sku.to_string(),
                m.unit.lot.as_ref().map(|l| l.to_string()).unwrap_or_default(),
                m.unit.serial.as_ref().map(|l| l.to_string()).unwrap_or_default(),
                format!("{}{}", if m.units < 0 { "-" } else { "" }, m.quantity),
                m.units.to_string(),
                tracelot_core::time::day(m.occurred_at).to_string(),
                m.reference.as_deref().unwrap_or_default().to_string(),
                m.tx_id.to_string(),
                m.kind.to_string(),
            ];
            s.push_str(&row.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
            s.push('\n');
        }
        for r in &self.on_hand {
            let row = [
                "on_hand".to_owned(),
                r.location.to_string(),
                r.sku.to_string(),
                r.lot.as_ref().map(|l| l.to_string()).unwrap_or_default(),
                r.serial.as_ref().map(|l| l.to_string()).unwrap_or_default(),
                r.quantity.clone(),
                r.units.to_string(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ];
            s.push_str(&row.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
            s.push('\n');
        }
        s
    }

    /// A readable summary.
    pub fn table(&self) -> String {
        let mut s = format!(
            "recall of {} lot {} (status {}): {} affected units, {} customers\n",
            self.lot.sku,
            self.lot.code,
            self.lot.status.as_str(),
            self.trace.units.len(),
            self.customers.iter().map(|c| &c.customer).collect::<std::collections::BTreeSet<_>>().len()
        );
        for c in &self.customers {
            s.push_str(&format!(
                "  {} got {} ({} units) from {} to {} [{}]\n",
                c.customer,
                c.unit,
                c.units,
                c.first,
                c.last,
                c.documents.join(", ")
            ));
        }
        for r in &self.on_hand {
            s.push_str(&format!(
                "  on hand at {}: {} {} {} {}\n",
                r.location,
                r.sku,
                r.lot.as_ref().map(|l| l.to_string()).unwrap_or_default(),
                r.quantity,
                r.uom
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn cells_a_spreadsheet_would_run_stay_text() {
        for (cell, written) in [
            ("=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""),
            ("+1+2", "'+1+2"),
            ("-1+2", "'-1+2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "\"'\r=1\""),
            ("-", "'-"),
            ("-5", "-5"),
            ("-12.250", "-12.250"),
            ("PO-7", "PO-7"),
            ("a,b", "\"a,b\""),
        ] {
            assert_eq!(csv_field(cell), written, "{cell:?}");
        }
    }
}
