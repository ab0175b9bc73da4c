//! Traceability over HTTP: trace, mass balance, recalls, FEFO and
//! assembly history. Heavy reads run on the blocking pool.

use axum::Json;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tracelot_core::command::Amount;
use tracelot_core::{LocationPath, LotCode, PartnerCode, Permission, RecallDecision, Serial, Sku, TxId};
use tracelot_reports::recall::RecallStep;
use tracelot_reports::supplier_lots::one_lot;
use tracelot_store::{Direction, Unit};

use crate::auth::Caller;
use crate::body;
use crate::problem::Problem;
use crate::routes::Params;
use crate::{App, blocking};

use crate::body::{param, required};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TraceParams {
    direction: Option<String>,
    sku: Option<String>,
    lot: Option<String>,
    supplier_lot: Option<String>,
    serial: Option<String>,
    format: Option<String>,
}

/// `GET /api/v1/trace`.
pub async fn trace(State(app): State<App>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, Problem> {
    caller.require(Permission::Read)?;
    let p: TraceParams = body::query(q.as_deref())?;
    let direction = match p.direction.as_deref() {
        Some("forward") | None => Direction::Forward,
        Some("backward") => Direction::Backward,
        Some(other) => {
            return Err(Problem::bad_request(
                "invalid_parameter",
                format!("direction is forward or backward, not {other:?}"),
            )
            .at("direction"));
        }
    };
    let sku = required("sku", param("sku", p.sku.as_deref(), Sku::parse)?)?;
    let lot = param("lot", p.lot.as_deref(), LotCode::parse)?;
    let serial = param("serial", p.serial.as_deref(), Serial::parse)?;
    if lot.is_none() && serial.is_none() && p.supplier_lot.is_none() {
        return Err(Problem::bad_request("missing_parameter", "give lot, supplier_lot or serial").at("lot"));
    }
    let format = p.format.unwrap_or_else(|| "json".into());
    if !matches!(format.as_str(), "json" | "dot" | "svg") {
        return Err(Problem::bad_request("invalid_parameter", "format is json, dot or svg").at("format"));
    }
    let store = app.store.clone();
    let t = blocking(move || {
        let lot = match (lot, p.supplier_lot) {
            (None, Some(s)) => Some(one_lot(store.as_ref(), &sku, &s, "supplier_lot")?),
            (lot, _) => lot,
        };
        tracelot_reports::trace(store.as_ref(), Unit { sku, lot, serial }, direction)
    })
    .await?;
    Ok(match format.as_str() {
        "dot" => ([(header::CONTENT_TYPE, "text/vnd.graphviz; charset=utf-8")], t.dot()).into_response(),
        "svg" => ([(header::CONTENT_TYPE, "image/svg+xml")], t.svg()).into_response(),
        _ => Json(t).into_response(),
    })
}

/// `GET /api/v1/lots/{sku}/{lot}/mass-balance`.
pub async fn mass_balance(State(app): State<App>, caller: Caller, params: Params) -> Result<Response, Problem> {
    caller.require(Permission::Read)?;
    let sku = params.value("sku", Sku::parse)?;
    let lot = params.value("lot", LotCode::parse)?;
    let store = app.store.clone();
    Ok(Json(blocking(move || tracelot_reports::mass_balance(store.as_ref(), &sku, &lot)).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecallBody {
    sku: Sku,
    #[serde(default)]
    lot: Option<LotCode>,
    #[serde(default)]
    supplier_lot: Option<String>,
    reason: String,
    #[serde(default)]
    id: Option<TxId>,
}

/// `POST /api/v1/recalls`: recalls a lot and every lot made from it, then
/// answers with the recall report.
pub async fn start_recall(
    State(app): State<App>,
    caller: Caller,
    headers: HeaderMap,
    b: Body,
) -> Result<Response, Problem> {
    caller.require(Permission::Manage)?;
    let bytes = body::bytes(&headers, b, app.config.body_limit_bytes).await?;
    let r: RecallBody = body::parse(&bytes)?;
    let user = caller.poster()?;
    let store = app.store.clone();
    let report = blocking(move || {
        let lot = match (r.lot, &r.supplier_lot) {
            (Some(lot), _) => lot,
            (None, Some(s)) => one_lot(store.as_ref(), &r.sku, s, "supplier_lot")?,
            (None, None) => {
                return Err(tracelot_reports::ReportError::Refused(tracelot_core::DomainError::at(
                    tracelot_core::Rule::InvalidValue,
                    "lot",
                    "give lot or supplier_lot",
                )));
            }
        };
        tracelot_reports::recall::run_recall(
            store.as_ref(),
            &r.sku,
            &lot,
            RecallStep::Start,
            Some(r.reason),
            r.id,
            &user,
        )?;
        tracelot_reports::recall_report(store.as_ref(), &r.sku, &lot)
    })
    .await?;
    tracing::warn!(by = %caller.account, sku = %report.lot.sku, lot = %report.lot.code, "recall started");
    Ok((StatusCode::CREATED, Json(report)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClosureBody {
    reason: String,
    decision: RecallDecision,
    #[serde(default)]
    id: Option<TxId>,
}

/// `POST /api/v1/recalls/{sku}/{lot}/closure`: a manager's decision
/// (destroyed, returned to supplier, or released) becomes the status of
/// every lot the recall still holds.
pub async fn close_recall(
    State(app): State<App>,
    caller: Caller,
    params: Params,
    headers: HeaderMap,
    b: Body,
) -> Result<Response, Problem> {
    caller.require(Permission::Manage)?;
    let sku = params.value("sku", Sku::parse)?;
    let lot = params.value("lot", LotCode::parse)?;
    let bytes = body::bytes(&headers, b, app.config.body_limit_bytes).await?;
    let c: ClosureBody = body::parse(&bytes)?;
    let user = caller.poster()?;
    let store = app.store.clone();
    let report = blocking(move || {
        let step = RecallStep::Close(c.decision);
        tracelot_reports::recall::run_recall(store.as_ref(), &sku, &lot, step, Some(c.reason), c.id, &user)?;
        tracelot_reports::recall_report(store.as_ref(), &sku, &lot)
    })
    .await?;
    Ok(Json(report).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportParams {
    format: Option<String>,
}

/// `GET /api/v1/recalls/{sku}/{lot}`: the report, as JSON or `?format=csv`.
pub async fn recall_report(
    State(app): State<App>,
    caller: Caller,
    params: Params,
    RawQuery(q): RawQuery,
) -> Result<Response, Problem> {
    caller.require(Permission::Read)?;
    let p: ReportParams = body::query(q.as_deref())?;
    let sku = params.value("sku", Sku::parse)?;
    let lot = params.value("lot", LotCode::parse)?;
    let csv = match p.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(Problem::bad_request("invalid_parameter", "format is json or csv").at("format")),
    };
    let store = app.store.clone();
    let report = blocking(move || tracelot_reports::recall_report(store.as_ref(), &sku, &lot)).await?;
    Ok(if csv {
        let name = format!("attachment; filename=\"recall-{}-{}.csv\"", report.lot.sku, report.lot.code);
        let disposition =
            axum::http::HeaderValue::from_str(&name).unwrap_or(axum::http::HeaderValue::from_static("attachment"));
        (
            [
                (header::CONTENT_TYPE, axum::http::HeaderValue::from_static("text/csv; charset=utf-8")),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            report.csv(),
        )
            .into_response()
    } else {
        Json(report).into_response()
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FefoParams {
    sku: Option<String>,
    from: Option<String>,
    qty: Option<String>,
    customer: Option<String>,
}

/// `GET /api/v1/fefo`.
pub async fn fefo(State(app): State<App>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, Problem> {
    caller.require(Permission::Read)?;
    let p: FefoParams = body::query(q.as_deref())?;
    let sku = required("sku", param("sku", p.sku.as_deref(), Sku::parse)?)?;
    let from = required("from", param("from", p.from.as_deref(), LocationPath::parse)?)?;
    let qty = required("qty", param("qty", p.qty.as_deref(), Amount::parse)?)?;
    let customer = param("customer", p.customer.as_deref(), PartnerCode::parse)?;
    let store = app.store.clone();
    let s = blocking(move || {
        let today = tracelot_reports::days::today(store.as_ref(), Some(&from))?;
        tracelot_reports::fefo(store.as_ref(), &sku, &from, &qty, customer.as_ref(), today)
    })
    .await?;
    Ok(Json(s).into_response())
}

/// `GET /api/v1/assemblies/{sku}/{serial}`.
pub async fn assembly(State(app): State<App>, caller: Caller, params: Params) -> Result<Response, Problem> {
    caller.require(Permission::Read)?;
    let sku = params.value("sku", Sku::parse)?;
    let serial = params.value("serial", Serial::parse)?;
    if app.store.where_is(&sku, &serial)?.is_none() {
        return Err(Problem::not_found("serial", format!("{sku} has no serial {serial}")));
    }
    Ok(Json(app.store.assembly_events(&sku, &serial)?).into_response())
}
