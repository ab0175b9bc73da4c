//! Scanning over HTTP: read one scan, or receive and ship by a sequence of
//! scans. The sequences become the same receipt and shipment commands as
//! every other way in and are posted through the same path (with the same
//! idempotency).

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;
use tracelot_core::time::today;
use tracelot_core::{Permission, PlaceRef};
use tracelot_reports::scan::{self, Ends, Flow};

use crate::auth::Caller;
use crate::body;
use crate::commands::split_meta;
use crate::ledger::{object, post_one};
use crate::problem::Problem;
use crate::{App, blocking};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScanBody {
    raw: String,
}

/// `POST /api/v1/scan`: what a scan says and what it names in the ledger.
pub async fn read(State(app): State<App>, caller: Caller, headers: HeaderMap, b: Body) -> Result<Response, Problem> {
    caller.require(Permission::Read)?;
    let bytes = body::bytes(&headers, b, app.config.body_limit_bytes).await?;
    let s: ScanBody = body::parse(&bytes)?;
    let store = app.store.clone();
    let reading = blocking(move || scan::read(store.as_ref(), &s.raw, "raw", today())).await?;
    Ok(Json(reading).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FlowBody {
    scans: Vec<String>,
    #[serde(default)]
    from: Option<PlaceRef>,
    #[serde(default)]
    to: Option<PlaceRef>,
    #[serde(default)]
    allow_expired: bool,
    #[serde(default)]
    allow_short_shelf_life: bool,
}

async fn post_flow(app: App, caller: Caller, headers: HeaderMap, b: Body, flow: Flow) -> Result<Response, Problem> {
    caller.require(Permission::Move)?;
    let fields = object(&app, &headers, b).await?;
    let (meta, rest) = split_meta("", fields)?;
    let f: FlowBody = body::from_value("", Value::Object(rest))?;
    let store = app.store.clone();
    let ends = Ends {
        from: f.from,
        to: f.to,
        allow_expired: f.allow_expired,
        allow_short_shelf_life: f.allow_short_shelf_life,
    };
    let cmd = blocking(move || scan::command_from_scans(store.as_ref(), flow, &f.scans, ends, today())).await?;
    post_one(&app, &caller, &headers, meta, cmd).await
}

/// `POST /api/v1/scan/receipts`: one receipt from a sequence of scans.
pub async fn receive(State(app): State<App>, caller: Caller, headers: HeaderMap, b: Body) -> Result<Response, Problem> {
    post_flow(app, caller, headers, b, Flow::Receive).await
}

/// `POST /api/v1/scan/shipments`: one shipment from a sequence of scans.
pub async fn ship(State(app): State<App>, caller: Caller, headers: HeaderMap, b: Body) -> Result<Response, Problem> {
    post_flow(app, caller, headers, b, Flow::Ship).await
}
