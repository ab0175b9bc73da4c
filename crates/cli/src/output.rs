//! Printing results: aligned text tables for people, one JSON document for scripts.

use serde::Serialize;

/// Where results go and in which form.
#[derive(Clone, Copy)]
pub struct Out {
    /// Print JSON instead of text.
    pub json: bool,
}

impl Out {
    /// Prints `value` as JSON, or the text that `text` makes.
    pub fn emit<T: Serialize>(&self, value: &T, text: impl FnOnce() -> String) -> anyhow::Result<()> {
        let doc = if self.json { serde_json::to_string_pretty(value)? } else { text().trim_end().to_owned() };
        if doc.is_empty() {
            return Ok(());
        }
        write_stdout(&format!("{doc}\n"))
    }
}

/// Writes to standard output; a reader that stops early (`| head`) is not
/// an error and does not make tracelot panic.
pub fn write_stdout(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// Formats rows under headers with columns padded to their widest cell.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    if rows.is_empty() {
        return "(none)".into();
    }
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        padded.join("  ").trim_end().to_owned()
    };
    let mut out = vec![line(headers.to_vec())];
    out.push(line(widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().iter().map(String::as_str).collect()));
    for r in rows {
        out.push(line(r.iter().map(String::as_str).collect()));
    }
    out.join("\n")
}

/// An optional value for a table cell.
pub fn cell<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map_or_else(|| "-".into(), ToString::to_string)
}
