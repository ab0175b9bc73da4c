//! `POST /api/v1/labels`: print runs and rendered templates as files.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tracelot_core::{LocationPath, LotCode, Permission, Sku, TxId};
use tracelot_labels::{Deadline, Format, LabelError, Paper, Sheet, Template};

use crate::auth::Caller;
use crate::body;
use crate::problem::Problem;
use crate::{App, blocking};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LotRun {
    sku: Sku,
    lot: LotCode,
    #[serde(default = "one")]
    copies: u32,
}

fn one() -> u32 {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SheetBody {
    paper: String,
    #[serde(default = "three")]
    columns: u32,
    #[serde(default = "ten")]
    rows: u32,
}

fn three() -> u32 {
    3
}

fn ten() -> u32 {
    10
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LabelsBody {
    #[serde(default)]
    template: Option<String>,
    #[serde(default)]
    template_toml: Option<String>,
    format: String,
    #[serde(default)]
    receipt: Option<TxId>,
    #[serde(default)]
    lot: Option<LotRun>,
    #[serde(default)]
    locations: Option<LocationPath>,
    #[serde(default)]
    data: Option<Vec<BTreeMap<String, String>>>,
    #[serde(default)]
    sheet: Option<SheetBody>,
}

fn invalid(field: &str, detail: impl Into<String>) -> Problem {
    Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", detail.into()).at(field)
}

/// `POST /api/v1/labels`: one of `receipt`, `lot`, `locations` or `data`,
/// rendered with `template` (a built-in) or `template_toml` (your own) as
/// `format`; the answer is the file.
pub async fn render(State(app): State<App>, caller: Caller, headers: HeaderMap, b: Body) -> Result<Response, Problem> {
    caller.require(Permission::Read)?;
    let bytes = body::bytes(&headers, b, app.config.body_limit_bytes).await?;
    let req: LabelsBody = body::parse(&bytes)?;
    let format = Format::parse(&req.format).map_err(|e| invalid("format", e.to_string()))?;
    let sheet = match &req.sheet {
        None => Sheet::PerPage,
        Some(s) => {
            let paper = match s.paper.as_str() {
                "a4" => Paper::A4,
                "letter" => Paper::Letter,
                other => return Err(invalid("sheet.paper", format!("paper is a4 or letter, not {other:?}"))),
            };
            Sheet::Grid { paper, columns: s.columns, rows: s.rows }
        }
    };
    let runs = [req.receipt.is_some(), req.lot.is_some(), req.locations.is_some(), req.data.is_some()];
    if runs.iter().filter(|x| **x).count() != 1 {
        return Err(invalid("receipt", "give exactly one of receipt, lot, locations or data"));
    }
    let default = if req.receipt.is_some() {
        "serial"
    } else if req.lot.is_some() {
        "lot"
    } else {
        "location"
    };
    let template = match (&req.template_toml, &req.template) {
        (Some(text), _) => Template::parse(text).map_err(|e| invalid("template_toml", e.to_string()))?,
        (None, name) => tracelot_labels::builtin(name.as_deref().unwrap_or(default))
            .map_err(|e| invalid("template", e.to_string()))?,
    };
    let _turn = app
        .renders
        .acquire()
        .await
        .map_err(|_| Problem::new(StatusCode::SERVICE_UNAVAILABLE, "stopping", "the server is shutting down"))?;
    let store = app.store.clone();
    let limit = std::time::Duration::from_millis(app.config.label_render_ms);
    let file = blocking(move || -> Result<Vec<u8>, Problem> {
        let data = if let Some(tx) = &req.receipt {
            tracelot_reports::labels::receipt(store.as_ref(), tx)?
        } else if let Some(l) = &req.lot {
            tracelot_reports::labels::lot(store.as_ref(), &l.sku, &l.lot, l.copies)?
        } else if let Some(site) = &req.locations {
            tracelot_reports::labels::locations(store.as_ref(), site)?
        } else {
            req.data.unwrap_or_default()
        };
        // The time counts from here: reading the ledger is not rendering.
        let deadline = Deadline::after(limit);
        tracelot_labels::render(&template, &data, format, sheet, deadline).map_err(|e| match e {
            LabelError::TooLarge(rule) => Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", rule),
            other => invalid("label", other.to_string()),
        })
    })
    .await?;
    let name = format!("labels.{}", req.format);
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        file,
    )
        .into_response())
}
