//! `trace` and `recall`: the forward and backward walks, the recall that
//! blocks a lot and reports everything it reached.

use std::process::ExitCode;
use tracelot_reports::supplier_lots::one_lot;

use anyhow::{Context, bail};
use tracelot_core::{LotCode, RecallDecision, Serial, TxId};
use tracelot_reports::recall::RecallStep;
use tracelot_store::{Direction, Unit};

use crate::args::{RecallArgs, TraceArgs};
use crate::output::Out;
use crate::requests as rq;
use crate::{Cli, open, refused_or, user};

/// `trace forward|backward SKU --lot L | --serial S`.
pub fn run(cli: &Cli, a: &TraceArgs, out: Out) -> anyhow::Result<()> {
    let direction = match a.direction.as_str() {
        "forward" => Direction::Forward,
        "backward" => Direction::Backward,
        other => bail!("the direction is forward or backward, not {other:?}"),
    };
    let sku = rq::sku(&a.sku)?;
    let store = open(cli)?;
    let lot = match (&a.lot, &a.supplier_lot) {
        (Some(l), _) => Some(rq::field("--lot", l, LotCode::parse)?),
        (None, Some(s)) => Some(refused_or(one_lot(&*store, &sku, s, "--supplier-lot"))?),
        (None, None) => None,
    };
    let serial = a.serial.as_deref().map(|s| rq::field("--serial", s, Serial::parse)).transpose()?;
    if lot.is_none() && serial.is_none() {
        bail!("give --lot, --supplier-lot or --serial");
    }
    let start = Unit { sku, lot, serial };
    let t = refused_or(tracelot_reports::trace(&*store, start, direction))?;
    // `--json` turns the default table into JSON; an explicit format wins.
    let format = if out.json && a.format == "table" { "json" } else { a.format.as_str() };
    let text = match format {
        "json" => format!("{}\n", serde_json::to_string_pretty(&t)?),
        "table" => t.table(),
        "dot" => t.dot(),
        "svg" => t.svg(),
        other => bail!("--format is table, json, dot or svg, not {other:?}"),
    };
    match &a.out {
        Some(path) => {
            std::fs::write(path, &text).with_context(|| format!("writing {}", path.display()))?;
            let doc = serde_json::json!({ "file": path.display().to_string(), "format": format, "bytes": text.len() });
            out.emit(&doc, || format!("wrote {} ({format}, {} bytes)", path.display(), text.len()))
        }
        None => crate::output::write_stdout(&text),
    }
}

/// `recall SKU LOT --reason R` (start), `--close` (end) or `--report-only`.
pub fn recall(cli: &Cli, a: &RecallArgs, out: Out) -> anyhow::Result<ExitCode> {
    let sku = rq::sku(&a.sku)?;
    let store = open(cli)?;
    let lot = match (&a.lot, &a.supplier_lot) {
        (Some(l), _) => rq::field("lot", l, LotCode::parse)?,
        (None, Some(s)) => refused_or(one_lot(&*store, &sku, s, "--supplier-lot"))?,
        (None, None) => bail!("give the lot or --supplier-lot"),
    };
    if !a.report_only {
        let step = match &a.decision {
            Some(d) => RecallStep::Close(rq::field("--decision", d, str::parse::<RecallDecision>)?),
            None => RecallStep::Start,
        };
        if a.reason.is_none() {
            bail!("a recall and its closure need --reason");
        }
        let first_id = a.id.as_deref().map(|id| rq::field("--id", id, TxId::parse)).transpose()?;
        let changed = tracelot_reports::recall::run_recall(
            store.as_ref(),
            &sku,
            &lot,
            step,
            a.reason.clone(),
            first_id,
            &user(cli)?,
        );
        refused_or(changed)?;
    }
    let report = refused_or(tracelot_reports::recall_report(store.as_ref(), &sku, &lot))?;
    if let Some(path) = &a.csv {
        std::fs::write(path, report.csv()).with_context(|| format!("writing {}", path.display()))?;
    }
    out.emit(&report, || report.table())?;
    Ok(ExitCode::SUCCESS)
}
