//! Labels as PDF: one label per page, or sheets of labels (such as 3 x 10
//! on A4 or Letter), with DejaVu Sans embedded so every viewer and printer
//! shows the same text. Barcodes are vector rectangles.

use std::fmt::Write;

use tracelot_barcode::Symbol;

use crate::fonts::{BOLD, REGULAR, font};
use crate::layout::runs;
use crate::limits::Deadline;
use crate::{Label, LabelError, Shape};

/// Paper for sheets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paper {
    /// 210 x 297 mm.
    A4,
    /// 8.5 x 11 in.
    Letter,
}

impl Paper {
    fn size_mm(self) -> (f64, f64) {
        match self {
            Paper::A4 => (210.0, 297.0),
            Paper::Letter => (215.9, 279.4),
        }
    }
}

/// How labels go onto pages.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sheet {
    /// Each label on a page of its own size.
    PerPage,
    /// A grid of labels on paper, centred.
    Grid {
        /// The paper.
        paper: Paper,
        /// Labels across.
        columns: u32,
        /// Labels down.
        rows: u32,
    },
}

const PT_PER_MM: f64 = 72.0 / 25.4;

/// Object ids: 1 catalog, 2 pages, 3-5 regular font, 6-8 bold font, then a
/// page and its content per page.
const REGULAR_IDS: [usize; 3] = [3, 4, 5];
const BOLD_IDS: [usize; 3] = [6, 7, 8];

/// The ids of each page and its content stream, in page order.
fn page_ids() -> impl Iterator<Item = (usize, usize)> {
    (9..).step_by(2).zip((10..).step_by(2))
}

/// The resource name of a face.
fn font_name(bold: bool) -> &'static str {
    if bold { "/F2" } else { "/F1" }
}

/// PDF string literal: WinAnsi text, with `(`, `)` and `\` escaped and
/// characters outside Latin-1 shown as `?`.
fn literal(text: &str) -> String {
    let mut out = String::from("(");
    for c in text.chars() {
        match c {
            '(' | ')' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if (' '..='~').contains(&c) => out.push(c),
            c if u32::from(c) < 256 && u32::from(c) >= 0xA0 => {
                let _ = write!(out, "\\{:03o}", u32::from(c));
            }
            _ => out.push('?'),
        }
    }
    out.push(')');
    out
}

/// Writes `v` with two decimals, without the float formatter: a print run
/// writes millions of these.
fn number(out: &mut String, v: f64) {
    let hundredths = (v * 100.0).round() as i64;
    if hundredths < 0 {
        out.push('-');
    }
    let a = hundredths.unsigned_abs();
    let _ = write!(out, "{}.{:02}", a / 100, a % 100);
}

/// Content-stream operators for one label whose top-left corner is at
/// (`ox`, `oy`) mm on a page `page_h` mm high.
fn draw(out: &mut String, label: &Label, ox: f64, oy: f64, page_h: f64) {
    let px = |x: f64| (ox + x) * PT_PER_MM;
    let py = |y: f64| (page_h - oy - y) * PT_PER_MM;
    let rect = |out: &mut String, x: f64, y: f64, w: f64, h: f64| {
        for v in [px(x), py(y + h), w * PT_PER_MM, h * PT_PER_MM] {
            number(out, v);
            out.push(' ');
        }
        out.push_str("re\n");
    };
    for shape in &label.shapes {
        match shape {
            Shape::Rect { x, y, w, h } => rect(out, *x, *y, *w, *h),
            Shape::Barcode { x, y, module, height, symbol, .. } => match symbol {
                Symbol::Linear { modules, .. } => {
                    for (start, len) in runs(modules) {
                        rect(out, x + start as f64 * module, *y, len as f64 * module, *height);
                    }
                }
                Symbol::Matrix { width, modules, .. } => {
                    for (r, row) in modules.chunks(*width).enumerate() {
                        for (start, len) in runs(row) {
                            rect(out, x + start as f64 * module, y + r as f64 * module, len as f64 * module, *module);
                        }
                    }
                }
            },
            Shape::Text { .. } => {}
        }
    }
    out.push_str("f\n");
    for shape in &label.shapes {
        if let Shape::Text { x, y, size_pt, bold, centered, text } = shape {
            let size = *size_pt as f32;
            let ascent = font(*bold).horizontal_line_metrics(size).map(|m| m.ascent).unwrap_or(size * 0.8);
            let width = crate::fonts::text_width(text, size, *bold);
            let left = if *centered { px(*x) - f64::from(width) / 2.0 } else { px(*x) };
            let baseline = py(*y) - f64::from(ascent);
            let _ = writeln!(
                out,
                "BT {} {size:.1} Tf {left:.2} {baseline:.2} Td {} Tj ET",
                font_name(*bold),
                literal(text)
            );
        }
    }
}

fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 1)
}

/// Assembles a PDF from numbered objects.
struct Writer {
    out: Vec<u8>,
    offsets: Vec<usize>,
}

impl Writer {
    fn object(&mut self, id: usize, body: &[u8]) {
        let offset = self.out.len();
        match self.offsets.get_mut(id) {
            Some(slot) => *slot = offset,
            None => {
                self.offsets.resize(id, 0);
                self.offsets.push(offset);
            }
        }
        self.out.extend_from_slice(format!("{id} 0 obj\n").as_bytes());
        self.out.extend_from_slice(body);
        self.out.extend_from_slice(b"\nendobj\n");
    }

    fn stream(&mut self, id: usize, dict: &str, data: &[u8]) {
        let mut body = format!("<< {dict} /Length {} /Filter /FlateDecode >>\nstream\n", data.len()).into_bytes();
        body.extend_from_slice(data);
        body.extend_from_slice(b"\nendstream");
        self.object(id, &body);
    }
}

/// Font objects: the font, its descriptor and the embedded TrueType file.
fn font_objects(w: &mut Writer, [first, descriptor, file]: [usize; 3], bytes: &[u8], bold: bool) {
    let name = if bold { "DejaVuSans-Bold" } else { "DejaVuSans" };
    let f = font(bold);
    let widths: Vec<String> =
        (32u8..=255).map(|b| format!("{:.0}", f.metrics(char::from(b), 1000.0).advance_width)).collect();
    w.object(
        first,
        format!(
            "<< /Type /Font /Subtype /TrueType /BaseFont /{name} /FirstChar 32 /LastChar 255 /Widths [{}] \
             /FontDescriptor {descriptor} 0 R /Encoding /WinAnsiEncoding >>",
            widths.join(" ")
        )
        .as_bytes(),
    );
    w.object(
        descriptor,
        format!(
            "<< /Type /FontDescriptor /FontName /{name} /Flags 32 /FontBBox [-1021 -463 1793 1232] /ItalicAngle 0 \
             /Ascent 928 /Descent -236 /CapHeight 729 /StemV {} /FontFile2 {file} 0 R >>",
            if bold { 120 } else { 80 }
        )
        .as_bytes(),
    );
    w.stream(file, &format!("/Length1 {}", bytes.len()), &deflate(bytes));
}

/// The labels as one PDF, refused once `deadline` has passed.
pub fn pdf(labels: &[Label], sheet: Sheet, deadline: Deadline) -> Result<Vec<u8>, LabelError> {
    let first = labels.first().ok_or_else(|| LabelError::Output("no labels to print".into()))?;
    let (page_w, page_h, cols, rows) = match sheet {
        Sheet::PerPage => (first.width_mm, first.height_mm, 1, 1),
        Sheet::Grid { paper, columns, rows } => {
            let (pw, ph) = paper.size_mm();
            if columns == 0 || rows == 0 {
                return Err(LabelError::Output("a sheet has at least one column and one row".into()));
            }
            if first.width_mm * f64::from(columns) > pw || first.height_mm * f64::from(rows) > ph {
                return Err(LabelError::Output(format!(
                    "{columns} x {rows} labels of {} x {} mm do not fit on {pw} x {ph} mm paper",
                    first.width_mm, first.height_mm
                )));
            }
            (pw, ph, columns, rows)
        }
    };
    let per_page = cols.checked_mul(rows).ok_or_else(|| {
        LabelError::TooLarge(format!("a sheet holds at most {} labels ({cols} x {rows} is more)", u32::MAX))
    })? as usize;
    let pages = labels.len().div_ceil(per_page);
    let mut w = Writer { out: b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec(), offsets: vec![0] };
    let kids: Vec<String> = page_ids().take(pages).map(|(page, _)| format!("{page} 0 R")).collect();
    w.object(1, b"<< /Type /Catalog /Pages 2 0 R >>");
    w.object(2, format!("<< /Type /Pages /Kids [{}] /Count {pages} >>", kids.join(" ")).as_bytes());
    // Only the faces the labels use are embedded.
    let uses = |bold: bool| {
        labels.iter().flat_map(|l| &l.shapes).any(|s| matches!(s, Shape::Text { bold: b, .. } if *b == bold))
    };
    let mut fonts = String::new();
    for (bold, bytes, ids) in [(false, REGULAR, REGULAR_IDS), (true, BOLD, BOLD_IDS)] {
        if uses(bold) {
            font_objects(&mut w, ids, bytes, bold);
            let [id, ..] = ids;
            let _ = write!(fonts, "{} {id} 0 R ", font_name(bold));
        }
    }
    let (grid_w, grid_h) = (first.width_mm * f64::from(cols), first.height_mm * f64::from(rows));
    let (margin_x, margin_y) = ((page_w - grid_w) / 2.0, (page_h - grid_h) / 2.0);
    let page_labels: Vec<&[Label]> = labels.chunks(per_page).collect();
    let contents = crate::render::parallel(&page_labels, deadline, |chunk| {
        let mut content = String::from("0 g\n");
        // Cells row by row; a page holds no more labels than cells.
        let cells = (0..rows).flat_map(|r| (0..cols).map(move |c| (c, r)));
        for (label, (c, r)) in chunk.iter().zip(cells) {
            let (ox, oy) = match sheet {
                Sheet::PerPage => (0.0, 0.0),
                Sheet::Grid { .. } => {
                    (margin_x + f64::from(c) * first.width_mm, margin_y + f64::from(r) * first.height_mm)
                }
            };
            draw(&mut content, label, ox, oy, page_h);
        }
        Ok(deflate(content.as_bytes()))
    })?;
    for ((page, content_id), content) in page_ids().zip(&contents) {
        w.object(
            page,
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {:.2} {:.2}] /Resources << /Font << {fonts}>> >> /Contents {content_id} 0 R >>",
                page_w * PT_PER_MM,
                page_h * PT_PER_MM
            )
            .as_bytes(),
        );
        w.stream(content_id, "", content);
    }
    let xref = w.out.len();
    let mut tail = format!("xref\n0 {}\n0000000000 65535 f \n", w.offsets.len());
    for off in w.offsets.iter().skip(1) {
        // Ids of fonts the labels do not use stay free entries.
        match off {
            0 => tail.push_str("0000000000 65535 f \n"),
            _ => {
                let _ = writeln!(tail, "{off:010} 00000 n ");
            }
        }
    }
    let _ = write!(tail, "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", w.offsets.len());
    w.out.extend_from_slice(tail.as_bytes());
    Ok(w.out)
}
