//! Operations endpoints: health, readiness, metrics, the API document and
//! its browsable page.

use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tracelot_core::Permission;

use crate::App;
use crate::auth::Caller;
use crate::problem::Problem;

/// `GET /healthz`.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// `GET /readyz`: 503 while stopping, when the database does not answer, or
/// when the writer has stopped taking transactions.
pub async fn readyz(State(app): State<App>) -> Result<&'static str, Problem> {
    if app.stopping.load(Ordering::Relaxed) {
        return Err(Problem::new(StatusCode::SERVICE_UNAVAILABLE, "stopping", "the server is shutting down"));
    }
    if !app.store.writer_stats().writer_running {
        return Err(Problem::unavailable("the writer thread has stopped; restart the server"));
    }
    app.store.ping()?;
    Ok("ready\n")
}

/// `GET /metrics`.
pub async fn metrics(State(app): State<App>, caller: Caller) -> Result<Response, Problem> {
    caller.require(Permission::Read)?;
    let ledger = app.store.ledger_size().ok();
    let body = app.http.render(&app.store.writer_stats(), ledger);
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body).into_response())
}

/// `GET /api/v1/openapi.json`.
pub async fn openapi(caller: Caller) -> Result<Response, Problem> {
    caller.require(Permission::Read)?;
    Ok(Json(crate::openapi::document()).into_response())
}

/// `GET /api/v1/docs`: a self-contained page (no external assets) that asks
/// for a token, fetches the document with it and lets you try operations.
pub async fn docs() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'",
            ),
        ],
        include_str!("../assets/docs.html"),
    )
        .into_response()
}
