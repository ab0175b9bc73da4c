//! `tracelot label`: render a template, or print runs from the ledger.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::Context;
use tracelot_core::{DomainError, LocationPath, LotCode, Rule, TxId};
use tracelot_labels::{Deadline, Format, LabelError, Paper, Sheet, Template};

use crate::args::{Cli, LabelOutput, LabelVerb};
use crate::output::Out;
use crate::requests as rq;

/// A label problem as a refusal naming what is wrong (exit 1).
fn refused(e: LabelError) -> anyhow::Error {
    DomainError::at(Rule::InvalidValue, "label", e.to_string()).into()
}

/// A built-in template by name, or a template file.
fn template(name: &str) -> anyhow::Result<Template> {
    if name.ends_with(".toml") || std::path::Path::new(name).is_file() {
        let text = std::fs::read_to_string(name).with_context(|| format!("reading {name}"))?;
        return Template::parse(&text).map_err(refused);
    }
    tracelot_labels::builtin(name).map_err(refused)
}

fn sheet(o: &LabelOutput) -> anyhow::Result<Sheet> {
    Ok(match o.sheet.as_deref() {
        None => Sheet::PerPage,
        Some("a4") => Sheet::Grid { paper: Paper::A4, columns: o.columns, rows: o.rows },
        Some("letter") => Sheet::Grid { paper: Paper::Letter, columns: o.columns, rows: o.rows },
        Some(other) => {
            return Err(DomainError::at(
                Rule::InvalidValue,
                "--sheet",
                format!("a sheet is a4 or letter, not {other:?}"),
            )
            .into());
        }
    })
}

fn write(out: Out, path: &std::path::Path, bytes: &[u8], labels: usize) -> anyhow::Result<ExitCode> {
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))?;
    let doc = serde_json::json!({ "file": path.display().to_string(), "labels": labels, "bytes": bytes.len() });
    out.emit(&doc, || format!("wrote {labels} label(s) to {} ({} bytes)", path.display(), bytes.len()))?;
    Ok(ExitCode::SUCCESS)
}

/// A template at the resolution asked for, if any, within the renderer's
/// bounds (72 to 1200 dpi, and the label's dot count).
fn at_dpi(t: Template, dpi: Option<u32>) -> anyhow::Result<Template> {
    match dpi {
        Some(d) => t.with_dpi(d).map_err(|e| DomainError::at(Rule::InvalidValue, "--dpi", e.to_string()).into()),
        None => Ok(t),
    }
}

fn run(out: Out, o: &LabelOutput, default: &str, data: Vec<BTreeMap<String, String>>) -> anyhow::Result<ExitCode> {
    let t = at_dpi(template(o.template.as_deref().unwrap_or(default))?, o.dpi)?;
    let format = Format::parse(&o.format).map_err(refused)?;
    let bytes = tracelot_labels::render(&t, &data, format, sheet(o)?, Deadline::none()).map_err(refused)?;
    write(out, &o.out, &bytes, data.len())
}

/// Runs a `label` verb.
pub fn label(cli: &Cli, verb: &LabelVerb, out: Out) -> anyhow::Result<ExitCode> {
    match verb {
        LabelVerb::List => {
            let names: Vec<&str> = tracelot_labels::builtin_names().collect();
            out.emit(&names, || names.join("\n"))?;
            Ok(ExitCode::SUCCESS)
        }
        LabelVerb::Render { template: name, format, out: path, data, copies, dpi } => {
            let mut values = BTreeMap::new();
            for pair in data {
                let (k, v) = pair.split_once('=').ok_or_else(|| {
                    anyhow::Error::from(DomainError::at(
                        Rule::InvalidValue,
                        "--data",
                        format!("{pair:?} is not KEY=VALUE"),
                    ))
                })?;
                values.insert(k.to_string(), v.to_string());
            }
            let t = at_dpi(template(name)?, *dpi)?;
            let format = Format::parse(format).map_err(refused)?;
            let labels = vec![values; (*copies).max(1) as usize];
            let bytes =
                tracelot_labels::render(&t, &labels, format, Sheet::PerPage, Deadline::none()).map_err(refused)?;
            write(out, path, &bytes, labels.len())
        }
        LabelVerb::Receipt { tx, output } => {
            let tx = rq::field("tx", tx, TxId::parse)?;
            let data = crate::refused_or(tracelot_reports::labels::receipt(&*crate::open(cli)?, &tx))?;
            run(out, output, "serial", data)
        }
        LabelVerb::Lot { sku, lot, copies, output } => {
            let (sku, lot) = (rq::sku(sku)?, rq::field("lot", lot, LotCode::parse)?);
            let data = crate::refused_or(tracelot_reports::labels::lot(&*crate::open(cli)?, &sku, &lot, *copies))?;
            run(out, output, "lot", data)
        }
        LabelVerb::Locations { site, output } => {
            let site = rq::field("site", site, LocationPath::parse)?;
            let data = crate::refused_or(tracelot_reports::labels::locations(&*crate::open(cli)?, &site))?;
            run(out, output, "location", data)
        }
    }
}
