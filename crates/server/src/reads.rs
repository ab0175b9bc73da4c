//! Queries: everything a viewer may read, paged where it can grow.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use jiff::civil::Date;
use serde::Deserialize;
use tracelot_core::{LocationPath, LotCode, Permission, Serial, Sku, ValueError};
use tracelot_store::{ExpiringKey, ExpiringQuery, ExpiringRow, HistoryKey, HistoryQuery, StockKey, StockQuery, Window};

use crate::auth::Caller;
use crate::body;
use crate::paging::{self, Page};
use crate::problem::Problem;
use crate::routes::Params;
use crate::{App, blocking, read};

fn opt<T>(name: &str, v: Option<&String>, parse: impl Fn(&str) -> Result<T, ValueError>) -> Result<Option<T>, Problem> {
    body::param(name, v.map(String::as_str), parse)
}

/// `GET /api/v1/items`.
pub async fn items(State(app): State<App>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, Problem> {
    caller.require(Permission::Read)?;
    let (window, limit) = paging::window(q.as_deref())?;
    let rows = read(&app, move |s| s.items(&window)).await?;
    Ok(Json(paging::first(rows, limit, |r| r.spec.sku.to_string())).into_response())
}

/// `GET /api/v1/items/{sku}`.
pub async fn item(State(app): State<App>, caller: Caller, params: Params) -> Result<Response, Problem> {
    caller.require(Permission::Read)?;
    let sku = params.value("sku", Sku::parse)?;
    let found = read(&app, {
        let sku = sku.clone();
        move |s| s.item(&sku)
    })
    .await?;
    let row = found.ok_or_else(|| Problem::not_found("sku", format!("no item has SKU {sku}")))?;
    Ok(Json(row).into_response())
}

/// `GET /api/v1/documents/{sha256}`: a stored document's bytes.
pub async fn document(State(app): State<App>, caller: Caller, params: Params) -> Result<Response, Problem> {
    caller.require(Permission::Read)?;
    let sha256 = params.value("sha256", tracelot_core::document::DocumentHash::parse)?;
    let found = read(&app, {
        let sha256 = sha256.clone();
        move |s| s.document(&sha256)
    })
    .await?;
    let bytes = found.ok_or_else(|| Problem::not_found("sha256", format!("no document {sha256} is stored")))?;
    Ok(([(axum::http::header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
}

/// `GET /api/v1/items/{sku}/packagings`.
pub async fn packagings(State(app): State<App>, caller: Caller, params: Params) -> Result<Response, Problem> {
    caller.require(Permission::Read)?;
    let sku = params.value("sku", Sku::parse)?;
    let (known, rows) = read(&app, {
        let sku = sku.clone();
        move |s| Ok::<_, tracelot_store::StoreError>((s.item(&sku)?.is_some(), s.packagings(&sku)?))
    })
    .await?;
    if !known {
        return Err(Problem::not_found("sku", format!("no item has SKU {sku}")));
    }
    Ok(Json(rows).into_response())
}

/// `GET /api/v1/locations`.
pub async fn locations(State(app): State<App>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, Problem> {
    caller.require(Permission::Read)?;
    let (window, limit) = paging::window(q.as_deref())?;
    let rows = read(&app, move |s| s.locations(&window)).await?;
    Ok(Json(paging::first(rows, limit, |r| r.path.to_string())).into_response())
}

/// `GET /api/v1/partners`.
pub async fn partners(State(app): State<App>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, Problem> {
    caller.require(Permission::Read)?;
    let (window, limit) = paging::window(q.as_deref())?;
    let rows = read(&app, move |s| s.partners(&window)).await?;
    Ok(Json(paging::first(rows, limit, |r| r.code.clone())).into_response())
}

/// `GET /api/v1/lots/{sku}/{lot}`.
pub async fn lot(State(app): State<App>, caller: Caller, params: Params) -> Result<Response, Problem> {
    caller.require(Permission::Read)?;
    let sku = params.value("sku", Sku::parse)?;
    let code = params.value("lot", LotCode::parse)?;
    let found = read(&app, {
        let (sku, code) = (sku.clone(), code.clone());
        move |s| s.lot(&sku, &code)
    })
    .await?;
    let row = found.ok_or_else(|| Problem::not_found("lot", format!("{sku} has no lot {code}")))?;
    Ok(Json(row).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StockParams {
    sku: Option<String>,
    lot: Option<String>,
    supplier_lot: Option<String>,
    serial: Option<String>,
    location: Option<String>,
    as_of: Option<String>,
    include_virtual: Option<bool>,
    cursor: Option<String>,
    limit: Option<String>,
}

/// `GET /api/v1/stock`.
pub async fn stock(State(app): State<App>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, Problem> {
    caller.require(Permission::Read)?;
    let p: StockParams = body::query(q.as_deref())?;
    let limit = paging::limit(p.limit.as_deref())?;
    let mut query = StockQuery {
        sku: opt("sku", p.sku.as_ref(), Sku::parse)?,
        lot: opt("lot", p.lot.as_ref(), LotCode::parse)?,
        serial: opt("serial", p.serial.as_ref(), Serial::parse)?,
        location: opt("location", p.location.as_ref(), LocationPath::parse)?,
        as_of: None,
        include_virtual: p.include_virtual.unwrap_or(false),
        after: p.cursor.as_deref().map(paging::decode::<StockKey>).transpose()?,
        // One more than the page, to know whether another follows.
        limit: paging::one_more(limit),
    };
    if let Some(code) = p.supplier_lot {
        if query.lot.is_some() {
            return Err(
                Problem::bad_request("invalid_parameter", "give lot or supplier_lot, not both").at("supplier_lot")
            );
        }
        let sku = query.sku.clone();
        let mut found = read(&app, move |s| s.lots_by_supplier_lot(sku.as_ref(), &code)).await?;
        if found.len() > 1 {
            let lots: Vec<String> = found.iter().map(|(s, l)| format!("{s} {l}")).collect();
            let msg = format!("that supplier lot was received as {}; name the lot", lots.join(", "));
            return Err(
                Problem::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", msg).at("supplier_lot")
            );
        }
        let Some((sku, lot)) = found.pop() else {
            return Ok(Json(paging::first(Vec::new(), limit, tracelot_store::StockRow::key)).into_response());
        };
        (query.sku, query.lot) = (Some(sku), Some(lot));
    }
    if let Some(text) = p.as_of {
        if text.parse::<jiff::Timestamp>().is_err() && text.parse::<Date>().is_err() {
            let msg = format!("as_of must be an RFC 3339 instant or a date (YYYY-MM-DD), not {text:?}");
            return Err(Problem::bad_request("invalid_parameter", msg).at("as_of"));
        }
        let store = app.store.clone();
        let location = query.location.clone();
        let at = blocking(move || tracelot_reports::days::instant(store.as_ref(), &text, "as_of", location.as_ref()));
        query.as_of = Some(at.await?);
    }
    let rows = read(&app, move |s| s.stock(&query)).await?;
    Ok(Json(paging::first(rows, limit, tracelot_store::StockRow::key)).into_response())
}

/// `GET /api/v1/serials/{sku}/{serial}`.
pub async fn where_is(State(app): State<App>, caller: Caller, params: Params) -> Result<Response, Problem> {
    caller.require(Permission::Read)?;
    let sku = params.value("sku", Sku::parse)?;
    let serial = params.value("serial", Serial::parse)?;
    let found = read(&app, {
        let (sku, serial) = (sku.clone(), serial.clone());
        move |s| s.where_is(&sku, &serial)
    })
    .await?;
    let row = found.ok_or_else(|| Problem::not_found("serial", format!("{sku} has no serial {serial}")))?;
    Ok(Json(row).into_response())
}

/// `GET /api/v1/serials/{sku}/{serial}/warranty`.
pub async fn warranty(State(app): State<App>, caller: Caller, params: Params) -> Result<Response, Problem> {
    caller.require(Permission::Read)?;
    let sku = params.value("sku", Sku::parse)?;
    let serial = params.value("serial", Serial::parse)?;
    let store = app.store.clone();
    let report = blocking(move || tracelot_reports::warranty_of(store.as_ref(), &sku, &serial)).await?;
    Ok(Json(report).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HistoryParams {
    sku: Option<String>,
    lot: Option<String>,
    serial: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

/// `GET /api/v1/history`: paged in the store, so a long history is never
/// read whole.
pub async fn history(State(app): State<App>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, Problem> {
    caller.require(Permission::Read)?;
    let p: HistoryParams = body::query(q.as_deref())?;
    let limit = paging::limit(p.limit.as_deref())?;
    let sku = opt("sku", p.sku.as_ref(), Sku::parse)?
        .ok_or_else(|| Problem::bad_request("missing_parameter", "sku is required").at("sku"))?;
    let after: Option<HistoryKey> = p.cursor.as_deref().map(paging::decode).transpose()?;
    let query = HistoryQuery {
        sku,
        lot: opt("lot", p.lot.as_ref(), LotCode::parse)?,
        serial: opt("serial", p.serial.as_ref(), Serial::parse)?,
        after,
        limit: paging::one_more(limit),
    };
    let mut items = read(&app, move |s| s.history(&query)).await?;
    let more = items.len() > limit;
    items.truncate(limit);
    let next = more
        .then(|| {
            items.last().map(|r| paging::encode(&HistoryKey { occurred_at: r.occurred_at, seq: r.seq, line: r.line }))
        })
        .flatten();
    Ok(Json(Page { items, next }).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpiringParams {
    until: Option<String>,
    within_days: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

/// `GET /api/v1/expiring`: lots on hand whose ship-by date is on or before
/// `until` (or within `within_days`, default 30).
pub async fn expiring(State(app): State<App>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, Problem> {
    caller.require(Permission::Read)?;
    let p: ExpiringParams = body::query(q.as_deref())?;
    let limit = paging::limit(p.limit.as_deref())?;
    let store = app.store.clone();
    let today = blocking(move || tracelot_reports::days::today(store.as_ref(), None)).await?;
    let until = match (p.until.as_deref(), p.within_days.as_deref()) {
        (Some(_), Some(_)) => {
            return Err(Problem::bad_request("invalid_parameter", "give until or within_days, not both").at("until"));
        }
        (Some(u), None) => u.parse::<Date>().map_err(|e| {
            Problem::bad_request("invalid_parameter", format!("until must be a date (YYYY-MM-DD): {e}")).at("until")
        })?,
        (None, days) => {
            let n: i32 = days.unwrap_or("30").parse().ok().filter(|n| (0..=3650).contains(n)).ok_or_else(|| {
                Problem::bad_request("invalid_parameter", "within_days must be 0 to 3650").at("within_days")
            })?;
            tracelot_core::time::add_days(today, i64::from(n)).unwrap_or(today)
        }
    };
    let after = p.cursor.as_deref().map(paging::decode::<ExpiringKey>).transpose()?;
    // One more than the page, to know whether another follows.
    let query = ExpiringQuery { until, window: Window { after, limit: paging::one_more(limit) } };
    let rows = read(&app, move |s| s.expiring(&query)).await?;
    Ok(Json(paging::first(rows, limit, ExpiringRow::key)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyParams {
    replay: Option<bool>,
}

/// `GET /api/v1/verify`: recomputes the chain and balances and, unless
/// `replay=false`, replays the chain to check every row kept beside it
/// (manager).
pub async fn verify(State(app): State<App>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, Problem> {
    caller.require(Permission::Manage)?;
    let p: VerifyParams = body::query(q.as_deref())?;
    let replay = app.replay.get().cloned().filter(|_| p.replay.unwrap_or(true));
    let report = read(&app, move |s| {
        let mut report = s.verify()?;
        if let Some(replay) = replay {
            report.problems.extend(replay(s)?);
        }
        Ok(report)
    })
    .await?;
    Ok(Json(report).into_response())
}
