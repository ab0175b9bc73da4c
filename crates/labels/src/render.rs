//! One entry point for every output: a template, the data of each label,
//! a format.

use std::collections::BTreeMap;

use crate::limits::Deadline;
use crate::{LabelError, Sheet, Template, pdf, png, svg, zpl};

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One label as SVG.
    Svg,
    /// One label as PNG at the template's DPI.
    Png,
    /// Any number of labels as PDF.
    Pdf,
    /// Any number of labels as ZPL.
    Zpl,
}

impl Format {
    /// Reads `svg`, `png`, `pdf` or `zpl`.
    pub fn parse(s: &str) -> Result<Format, LabelError> {
        Ok(match s {
            "svg" => Format::Svg,
            "png" => Format::Png,
            "pdf" => Format::Pdf,
            "zpl" => Format::Zpl,
            other => return Err(LabelError::Output(format!("format is svg, png, pdf or zpl, not {other:?}"))),
        })
    }

    /// The HTTP content type.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Svg => "image/svg+xml",
            Format::Png => "image/png",
            Format::Pdf => "application/pdf",
            Format::Zpl => "application/vnd.zebra-zpl",
        }
    }
}

/// Runs `f` over `items` on every core, keeping their order: print runs
/// of thousands of labels spend most of their time encoding symbols.
pub(crate) fn parallel<T: Sync, U: Send>(
    items: &[T],
    deadline: Deadline,
    work: impl Fn(&T) -> Result<U, LabelError> + Sync,
) -> Result<Vec<U>, LabelError> {
    let f = |item: &T| {
        deadline.check()?;
        work(item)
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    if threads == 1 || items.len() < 64 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> =
            items.chunks(chunk).map(|part| s.spawn(|| part.iter().map(&f).collect::<Result<Vec<U>, _>>())).collect();
        let mut out = Vec::with_capacity(items.len());
        for h in handles {
            out.extend(h.join().map_err(|_| LabelError::Output("a label worker stopped".into()))??);
        }
        Ok(out)
    })
}

/// Lays out one label per data map and writes them all in `format`. SVG
/// and PNG hold one label; PDF and ZPL any number. Past `deadline` the
/// render stops and is refused.
pub fn render(
    template: &Template,
    data: &[BTreeMap<String, String>],
    format: Format,
    sheet: Sheet,
    deadline: Deadline,
) -> Result<Vec<u8>, LabelError> {
    let no_labels = || LabelError::Output("no labels to print".into());
    if data.is_empty() {
        return Err(no_labels());
    }
    crate::limits::check_run(template, data.len(), sheet)?;
    if matches!(format, Format::Svg | Format::Png) && data.len() > 1 {
        return Err(LabelError::Output(format!("{} labels: SVG and PNG hold one label; use pdf or zpl", data.len())));
    }
    let labels = parallel(data, deadline, |d| template.layout(d))?;
    let first = || labels.first().ok_or_else(no_labels);
    Ok(match format {
        Format::Svg => svg(first()?).into_bytes(),
        Format::Png => png(first()?, template.dpi)?,
        Format::Pdf => pdf(&labels, sheet, deadline)?,
        Format::Zpl => parallel(&labels, deadline, zpl)?.concat().into_bytes(),
    })
}
