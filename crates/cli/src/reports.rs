//! Text forms of query results, and the warranty report built from a
//! serial's history.

use jiff::civil::Date;
use tracelot_store::{
    ExpiringRow, HistoryRow, ItemRow, LocationRow, LotRow, PartnerRow, Posted, StockRow, VerifyReport, WhereRow,
};

use crate::output::{cell, table};

pub fn posted(p: &Posted) -> String {
    let mut s = format!(
        "{} {} #{} id {} ({} movement{})",
        if p.replayed { "already posted:" } else { "posted" },
        p.kind,
        p.seq,
        p.id,
        p.movements,
        if p.movements == 1 { "" } else { "s" }
    );
    if !p.generated_serials.is_empty() {
        let first = &p.generated_serials[0];
        let last = &p.generated_serials[p.generated_serials.len() - 1];
        s.push_str(&format!("\ngenerated {} serials: {first} .. {last}", p.generated_serials.len()));
    }
    for o in &p.overrides {
        s.push_str(&format!("\noverride {}: {} (reason: {})", o.rule, o.subject, o.reason));
    }
    s
}

pub fn items(items: &[ItemRow]) -> String {
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|i| {
            let s = &i.spec;
            vec![
                s.sku.to_string(),
                s.name.clone(),
                s.tracking.as_str().into(),
                cell(&s.gtin),
                format!("{} (scale {})", s.uom, s.scale.places()),
                cell(&s.shelf_life_days),
                s.date_rule.as_str().into(),
                cell(&s.min_remaining_days),
                s.output_expiry.as_str().into(),
                cell(&s.warranty_months),
                s.serial_kind.as_str().into(),
                cell(&s.serial_pattern),
            ]
        })
        .collect();
    table(
        &[
            "sku",
            "name",
            "tracking",
            "gtin",
            "unit",
            "shelf_life_days",
            "date_rule",
            "min_remaining_days",
            "output_expiry",
            "warranty_months",
            "serial_kind",
            "serial_pattern",
        ],
        &rows,
    )
}

pub fn packagings(rows: &[tracelot_store::PackagingRow]) -> String {
    let rows: Vec<Vec<String>> =
        rows.iter().map(|p| vec![p.name.clone(), p.gtin.clone(), p.quantity.clone()]).collect();
    table(&["name", "gtin", "quantity"], &rows)
}

pub fn locations(locs: &[LocationRow]) -> String {
    let rows: Vec<Vec<String>> = locs
        .iter()
        .map(|l| vec![l.path.to_string(), l.kind.as_str().into(), cell(&l.partner), l.time_zone.to_string()])
        .collect();
    table(&["path", "kind", "partner", "time_zone"], &rows)
}

pub fn partners(ps: &[PartnerRow]) -> String {
    let rows: Vec<Vec<String>> = ps
        .iter()
        .map(|p| vec![p.code.clone(), p.name.clone(), p.kind.as_str().into(), p.location.to_string()])
        .collect();
    table(&["code", "name", "kind", "location"], &rows)
}

pub fn lot(l: &LotRow) -> String {
    let d = &l.details;
    let attrs: Vec<String> = d.attributes.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut s = format!(
        "lot {} of {}: {}\nproduced_on {}  expires_on {}  best_before {}  supplier_lot {}  attributes {}\n",
        l.code,
        l.sku,
        l.status.as_str(),
        cell(&d.produced_on),
        cell(&d.expires_on),
        cell(&d.best_before),
        cell(&d.supplier_lot),
        if attrs.is_empty() { "-".into() } else { attrs.join(",") }
    );
    let rows: Vec<Vec<String>> = l
        .status_history
        .iter()
        .map(|c| {
            vec![
                c.occurred_at.to_string(),
                c.status.as_str().into(),
                c.user.clone(),
                cell(&c.reason),
                c.tx_id.to_string(),
            ]
        })
        .collect();
    s.push_str(&table(&["when", "status", "user", "reason", "transaction"], &rows));
    if !l.documents.is_empty() {
        let rows: Vec<Vec<String>> = l
            .documents
            .iter()
            .map(|d| {
                let doc = &d.document;
                vec![
                    d.occurred_at.to_string(),
                    doc.kind.clone(),
                    doc.name.clone(),
                    cell(&doc.result),
                    doc.sha256.to_string(),
                    d.user.clone(),
                ]
            })
            .collect();
        s.push_str("\ndocuments:\n");
        s.push_str(&table(&["when", "kind", "name", "result", "sha256", "user"], &rows));
    }
    s
}

pub fn stock(rows: &[StockRow]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.location.to_string(),
                r.sku.to_string(),
                cell(&r.lot),
                cell(&r.serial),
                format!("{} {}", r.quantity, r.uom),
            ]
        })
        .collect();
    table(&["location", "sku", "lot", "serial", "quantity"], &rows)
}

pub fn where_is(w: &WhereRow) -> String {
    let status = match w.status {
        tracelot_core::LotStatus::Released => String::new(),
        s => format!(", {}", s.as_str()),
    };
    match &w.location {
        Some(l) => format!(
            "{} serial {}{} is at {} ({}) since {}{status}",
            w.sku,
            w.serial,
            w.lot.as_ref().map(|l| format!(" (lot {l})")).unwrap_or_default(),
            l,
            w.location_kind.map_or("?", |k| k.as_str()),
            cell(&w.since)
        ),
        None => format!("{} serial {} is not held anywhere (its receipt was reversed){status}", w.sku, w.serial),
    }
}

pub fn history(rows: &[HistoryRow]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.occurred_at.to_string(),
                r.recorded_at.to_string(),
                r.kind.clone(),
                cell(&r.lot),
                cell(&r.serial),
                r.from.to_string(),
                r.to.to_string(),
                r.quantity.clone(),
                r.user.clone(),
                cell(&r.reference),
                cell(&r.reason),
                r.tx_id.to_string(),
            ]
        })
        .collect();
    table(
        &[
            "occurred_at",
            "recorded_at",
            "kind",
            "lot",
            "serial",
            "from",
            "to",
            "qty",
            "user",
            "ref",
            "reason",
            "transaction",
        ],
        &rows,
    )
}

pub fn expiring(rows: &[ExpiringRow], today: Date) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let left = (r.ship_by - today).get_days();
            vec![
                r.sku.to_string(),
                r.lot.to_string(),
                r.ship_by.to_string(),
                if left < 0 { format!("expired {} days ago", -left) } else { format!("{left} days") },
                r.status.as_str().into(),
                format!("{} {}", r.quantity, r.uom),
            ]
        })
        .collect();
    table(&["sku", "lot", "ship_by", "left", "status", "on_hand"], &rows)
}

pub fn verify(r: &VerifyReport) -> String {
    match r.problems.first() {
        None => format!(
            "OK: {} transactions, {} movements, {} balances; chain head {}",
            r.transactions, r.movements, r.balances, r.head
        ),
        Some(first) => {
            let mut s = format!("MISMATCH: {first}");
            for p in &r.problems[1..] {
                s.push_str(&format!("\nalso: {p}"));
            }
            s
        }
    }
}

pub fn warranty(w: &tracelot_reports::Warranty) -> String {
    let mut s = format!(
        "{} serial {}{}\nshipped to {} on {}; warranty {} months, ends {}: {}\nnow at {}",
        w.sku,
        w.serial,
        w.lot.as_ref().map(|l| format!(" (lot {l})")).unwrap_or_default(),
        cell(&w.customer),
        cell(&w.shipped_on),
        cell(&w.warranty_months),
        cell(&w.warranty_end),
        serde_json::to_value(w.status).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
        cell(&w.location)
    );
    for r in &w.returns {
        s.push_str(&format!("\nreturned {} from {} to {} ({})", r.on, r.from, r.to, cell(&r.reason)));
    }
    if let Some(parent) = &w.shipped_in {
        s.push_str(&format!("\nits warranty started when {parent} shipped with it"));
    }
    for (what, events) in [("fitted", &w.fitted), ("repair", &w.repairs)] {
        for e in events {
            s.push_str(&format!(
                "\n{what} {}: {} {} ({})",
                e.occurred_at,
                if e.installed { "installed" } else { "removed" },
                e.component,
                e.reason.as_deref().unwrap_or("-")
            ));
        }
    }
    s
}

pub fn assembly(events: &[tracelot_store::AssemblyEvent]) -> String {
    if events.is_empty() {
        return "(no assembly events)".into();
    }
    events
        .iter()
        .map(|e| {
            format!(
                "#{} {} {} {} {} {}{}",
                e.seq,
                e.occurred_at,
                e.component,
                if e.installed { "installed in" } else { "removed from" },
                e.parent,
                e.reference.as_deref().unwrap_or(""),
                e.reason.as_ref().map(|r| format!(" ({r})")).unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn reading(r: &tracelot_reports::scan::Reading) -> String {
    let mut lines = vec![format!(
        "{} scan{}{}",
        r.kind,
        r.symbology.as_ref().map(|s| format!(" {s}")).unwrap_or_default(),
        r.carrier.map(|c| format!(" ({c})")).unwrap_or_default()
    )];
    for a in &r.ais {
        lines.push(format!("  ({}) {}{}", a.ai, a.value, a.title.map(|t| format!("  {t}")).unwrap_or_default()));
    }
    let mut field = |name: &str, value: Option<String>| {
        if let Some(v) = value {
            lines.push(format!("{name}: {v}"));
        }
    };
    field("item", r.item.as_ref().map(|i| format!("{} {}", i.sku, i.name)));
    field("lot", r.lot.clone());
    field("serial", r.serial.clone());
    field("expires", r.expires_on.map(|d| d.to_string()));
    field("best before", r.best_before.map(|d| d.to_string()));
    field("produced", r.produced_on.map(|d| d.to_string()));
    field("count", r.count.map(|c| c.to_string()));
    field("quantity", r.quantity.clone());
    field("location", r.location.as_ref().map(ToString::to_string));
    field("lot status", r.stored_lot.as_ref().map(|l| l.status.clone()));
    field("serial at", r.serial_at.as_ref().map(ToString::to_string));
    if r.gtin.is_some() && r.item.is_none() {
        lines.push("item: no item carries this GTIN".into());
    }
    for m in &r.measures {
        lines.push(format!("{}: {} {}", m.what.to_lowercase(), m.value, m.unit));
    }
    for c in &r.conflicts {
        lines.push(format!("CONFLICT {}: ledger says {}, scan says {}", c.field, c.stored, c.scanned));
    }
    for w in &r.warnings {
        lines.push(format!("warning: {w}"));
    }
    lines.join("\n")
}
