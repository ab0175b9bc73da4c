//! Tracing a lot or serial forward (to what was made of it and who got
//! it) or backward (to what it was made of and who supplied it), to any
//! depth, and drawing the result as a table, DOT or SVG.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use serde::Serialize;
use tracelot_core::time::day;
use tracelot_core::{DomainError, LocationKind, Rule};
use tracelot_store::{Direction, Link, PartnerMove, Store, Traced, Unit};

use crate::ReportError;

/// The graph a trace found.
#[derive(Debug, Clone, Serialize)]
pub struct Trace {
    /// Where it started.
    pub start: Unit,
    /// Which way it walked.
    pub direction: Direction,
    /// Every unit reached, the start first, then by depth.
    pub units: Vec<Traced>,
    /// The production runs and installations between them.
    pub links: Vec<Link>,
    /// Their receipts, shipments and returns.
    pub partner_moves: Vec<PartnerMove>,
    /// The supplier's own lot code of each reached lot that has one, by
    /// `SKU LOT`: what a supplier's recall notice and a customer name.
    pub supplier_lots: BTreeMap<String, String>,
}

/// Checks that the start names something stored.
fn exists(store: &dyn Store, u: &Unit) -> Result<(), ReportError> {
    let unknown = |field: &str, what: String| ReportError::Refused(DomainError::at(Rule::NotFound, field, what));
    if store.item(&u.sku)?.is_none() {
        return Err(unknown("sku", format!("unknown item {}", u.sku)));
    }
    if let Some(l) = &u.lot
        && store.lot(&u.sku, l)?.is_none()
    {
        return Err(unknown("lot", format!("unknown lot {l} of {}", u.sku)));
    }
    if let Some(s) = &u.serial
        && store.where_is(&u.sku, s)?.is_none()
    {
        return Err(unknown("serial", format!("unknown serial {s} of {}", u.sku)));
    }
    Ok(())
}

/// Walks production runs and installations from `start` to any depth
/// (through the store's fastest way), with the partner moves of every unit
/// reached.
pub fn trace(store: &dyn Store, start: Unit, direction: Direction) -> Result<Trace, ReportError> {
    exists(store, &start)?;
    let g = store.trace(&start, direction)?;
    let mut supplier_lots = BTreeMap::new();
    for u in &g.units {
        let Some(code) = &u.unit.lot else { continue };
        let key = format!("{} {code}", u.unit.sku);
        if supplier_lots.contains_key(&key) {
            continue;
        }
        if let Some(s) = store.lot(&u.unit.sku, code)?.and_then(|l| l.details.supplier_lot) {
            supplier_lots.insert(key, s);
        }
    }
    Ok(Trace { start, direction, units: g.units, links: g.links, partner_moves: g.partner_moves, supplier_lots })
}

/// Units shipped to one customer, summed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exposure {
    /// The customer's location.
    pub customer: String,
    /// The unit.
    pub unit: Unit,
    /// Net smallest units (shipped minus returned).
    pub units: i64,
    /// Shipments and returns counted.
    pub movements: usize,
    /// First and last date.
    pub first: jiff::civil::Date,
    /// Last date.
    pub last: jiff::civil::Date,
    /// The documents.
    pub documents: Vec<String>,
}

impl Trace {
    /// Net quantities per customer and unit, from the trace's partner moves.
    pub fn exposures(&self) -> Vec<Exposure> {
        let mut by: BTreeMap<(String, Unit), Exposure> = BTreeMap::new();
        for m in self.partner_moves.iter().filter(|m| m.partner_kind == LocationKind::Customer) {
            let d = day(m.occurred_at);
            let e = by.entry((m.partner.to_string(), m.unit.clone())).or_insert_with(|| Exposure {
                customer: m.partner.to_string(),
                unit: m.unit.clone(),
                units: 0,
                movements: 0,
                first: d,
                last: d,
                documents: Vec::new(),
            });
            e.units += m.units;
            e.movements += 1;
            e.first = e.first.min(d);
            e.last = e.last.max(d);
            if let Some(r) = &m.reference
                && !e.documents.iter().any(|d| d.as_str() == &**r)
            {
                e.documents.push(r.to_string());
            }
        }
        by.into_values().collect()
    }

    /// The customers reached, by location path.
    pub fn customers(&self) -> BTreeSet<String> {
        self.exposures().into_iter().filter(|e| e.units > 0).map(|e| e.customer).collect()
    }

    /// A readable table: units by depth, then the links, then partner moves.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let dir = match self.direction {
            Direction::Forward => "forward",
            Direction::Backward => "backward",
        };
        let _ = writeln!(s, "trace {dir} from {}: {} units, {} links", self.start, self.units.len(), self.links.len());
        for t in &self.units {
            let theirs = self.supplier_lot(&t.unit).map(|s| format!(" (supplier lot {s})")).unwrap_or_default();
            let _ = writeln!(s, "{}{}{theirs}", "  ".repeat(t.depth as usize), t.unit);
        }
        for l in &self.links {
            let _ = writeln!(
                s,
                "#{} {} {}: {} {} -> {} {}",
                l.seq,
                l.kind,
                day(l.occurred_at),
                l.input,
                l.input_quantity,
                l.output,
                l.output_quantity
            );
        }
        for m in &self.partner_moves {
            let _ = writeln!(
                s,
                "#{} {} {}: {} {} {} {}{}",
                m.seq,
                m.kind,
                day(m.occurred_at),
                m.unit,
                if m.units >= 0 { "to" } else { "from" },
                m.partner,
                m.quantity,
                m.reference.as_ref().map(|r| format!(" ({r})")).unwrap_or_default()
            );
        }
        s
    }

    /// The supplier's lot code of a reached unit's lot, if it has one.
    fn supplier_lot(&self, u: &Unit) -> Option<&String> {
        u.lot.as_ref().and_then(|l| self.supplier_lots.get(&format!("{} {l}", u.sku)))
    }

    /// The graph in Graphviz DOT.
    pub fn dot(&self) -> String {
        let mut s = String::from("digraph trace {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n");
        let id = |u: &Unit| format!("\"{}\"", u.to_string().replace('"', "'"));
        for t in &self.units {
            let style = if t.depth == 0 { ", style=bold" } else { "" };
            let label = match self.supplier_lot(&t.unit) {
                Some(theirs) => {
                    format!("\"{}\\nsupplier lot {}\"", t.unit.to_string().replace('"', "'"), theirs.replace('"', "'"))
                }
                None => id(&t.unit),
            };
            let _ = writeln!(s, "  {} [label={label}{style}];", id(&t.unit));
        }
        for l in &self.links {
            let _ = writeln!(s, "  {} -> {} [label=\"{} #{}\"];", id(&l.input), id(&l.output), l.kind, l.seq);
        }
        for e in self.exposures() {
            let _ = writeln!(s, "  \"{}\" [shape=ellipse];", e.customer);
            let _ = writeln!(s, "  {} -> \"{}\" [label=\"{} units\"];", id(&e.unit), e.customer, e.units);
        }
        s.push_str("}\n");
        s
    }

    /// The graph as a standalone SVG picture: one column per depth, the
    /// customers (forward) in a last column.
    pub fn svg(&self) -> String {
        const W: i64 = 210;
        const H: i64 = 34;
        const GAP_X: i64 = 70;
        const GAP_Y: i64 = 14;
        let mut columns: BTreeMap<u32, Vec<String>> = BTreeMap::new();
        let mut theirs: BTreeMap<String, &String> = BTreeMap::new();
        for t in &self.units {
            columns.entry(t.depth).or_default().push(t.unit.to_string());
            if let Some(s) = self.supplier_lot(&t.unit) {
                theirs.insert(t.unit.to_string(), s);
            }
        }
        let exposures = self.exposures();
        let customers: Vec<String> =
            exposures.iter().map(|e| e.customer.clone()).collect::<BTreeSet<_>>().into_iter().collect();
        let last = columns.keys().max().copied().unwrap_or(0) + 1;
        if !customers.is_empty() {
            columns.insert(last, customers);
        }
        let mut pos: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for (col, names) in &columns {
            for (row, name) in names.iter().enumerate() {
                pos.entry(name.clone()).or_insert((i64::from(*col) * (W + GAP_X) + 10, row as i64 * (H + GAP_Y) + 10));
            }
        }
        let width = columns.len() as i64 * (W + GAP_X) + 20;
        let height = columns.values().map(Vec::len).max().unwrap_or(1) as i64 * (H + GAP_Y) + 20;
        let esc = |t: &str| t.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
        let mut s = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n\
             <defs><marker id=\"a\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\"/></marker></defs>\n"
        );
        let edge = |a: &str, b: &str, label: &str, s: &mut String| {
            if let (Some((x1, y1)), Some((x2, y2))) = (pos.get(a), pos.get(b)) {
                let (sx, sy, ex, ey) = (x1 + W, y1 + H / 2, *x2, y2 + H / 2);
                let _ = writeln!(
                    s,
                    "<line x1=\"{sx}\" y1=\"{sy}\" x2=\"{ex}\" y2=\"{ey}\" stroke=\"#567\" marker-end=\"url(#a)\"/><text x=\"{}\" y=\"{}\" font-size=\"9\" fill=\"#567\" text-anchor=\"middle\">{}</text>",
                    (sx + ex) / 2,
                    (sy + ey) / 2 - 3,
                    esc(label)
                );
            }
        };
        for l in &self.links {
            edge(&l.input.to_string(), &l.output.to_string(), &format!("{} #{}", l.kind, l.seq), &mut s);
        }
        for e in &exposures {
            edge(&e.unit.to_string(), &e.customer, &format!("{} units", e.units), &mut s);
        }
        for (name, (x, y)) in &pos {
            let start = *name == self.start.to_string();
            let second = theirs.get(name);
            let _ = writeln!(
                s,
                "<rect x=\"{x}\" y=\"{y}\" width=\"{W}\" height=\"{H}\" rx=\"5\" fill=\"{}\" stroke=\"#234\" stroke-width=\"{}\"/><text x=\"{}\" y=\"{}\">{}</text>",
                if start { "#fde9c9" } else { "#eef3f8" },
                if start { 2 } else { 1 },
                x + 8,
                if second.is_some() { y + 15 } else { y + H / 2 + 4 },
                esc(name)
            );
            if let Some(code) = second {
                let _ = writeln!(
                    s,
                    "<text x=\"{}\" y=\"{}\" font-size=\"10\" fill=\"#456\">supplier lot {}</text>",
                    x + 8,
                    y + 28,
                    esc(code)
                );
            }
        }
        s.push_str("</svg>\n");
        s
    }
}
