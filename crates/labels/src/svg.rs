//! Labels as SVG, in millimetres.

use std::fmt::Write;

use tracelot_barcode::Symbol;

use crate::layout::{MM_PER_PT, runs};
use crate::{Label, Shape};

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn rect(out: &mut String, x: f64, y: f64, w: f64, h: f64) {
    let _ = writeln!(out, r#"<rect x="{x:.3}" y="{y:.3}" width="{w:.3}" height="{h:.3}"/>"#);
}

/// The label as an SVG document (one path per dark run of modules).
pub fn svg(label: &Label) -> String {
    let (w, h) = (label.width_mm, label.height_mm);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}mm\" height=\"{h}mm\" viewBox=\"0 0 {w} {h}\">\n\
         <rect width=\"{w}\" height=\"{h}\" fill=\"#fff\"/>\n<g fill=\"#000\">\n"
    );
    for shape in &label.shapes {
        match shape {
            Shape::Rect { x, y, w, h } => rect(&mut out, *x, *y, *w, *h),
            Shape::Text { x, y, size_pt, bold, centered, text } => {
                let size = size_pt * MM_PER_PT;
                let _ = writeln!(
                    out,
                    r#"<text x="{x:.3}" y="{:.3}" font-family="DejaVu Sans, Arial, Helvetica, sans-serif" font-size="{size:.3}"{}{}>{}</text>"#,
                    y + size * 0.8,
                    if *bold { r#" font-weight="bold""# } else { "" },
                    if *centered { r#" text-anchor="middle""# } else { "" },
                    escape(text)
                );
            }
            Shape::Barcode { x, y, module, height, symbol, .. } => match symbol {
                Symbol::Linear { modules, .. } => {
                    for (start, len) in runs(modules) {
                        rect(&mut out, x + start as f64 * module, *y, len as f64 * module, *height);
                    }
                }
                Symbol::Matrix { width, modules, .. } => {
                    for (r, row) in modules.chunks(*width).enumerate() {
                        for (start, len) in runs(row) {
                            rect(
                                &mut out,
                                x + start as f64 * module,
                                y + r as f64 * module,
                                len as f64 * module,
                                *module,
                            );
                        }
                    }
                }
            },
        }
    }
    out.push_str("</g>\n</svg>\n");
    out
}
