//! Posting: every endpoint that changes stock or master data builds
//! [`Transaction`]s and hands them to the store's one write path, where the
//! single writer group-commits them with everyone else's.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;
use tracelot_core::{Command, LotCode, Request, Sku, Transaction, TxId};
use tracelot_store::{Posted, SubmitError};

use crate::App;
use crate::auth::Caller;
use crate::body;
use crate::commands::{self, Meta, split_meta};
use crate::problem::Problem;
use crate::routes::Params;

/// The header that makes a retry safe when the body carries no `id`.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Set on a response that replays an earlier identical request.
pub const REPLAYED: &str = "idempotent-replayed";

/// The most transactions in one `/batches` request.
pub const MAX_BATCH: usize = 1000;

/// The transaction id: the body's `id`, else one derived from the
/// `Idempotency-Key` header (scoped to the account, so two accounts' keys
/// never collide), else a fresh one.
fn tx_id(meta_id: Option<TxId>, headers: &HeaderMap, caller: &Caller) -> Result<TxId, Problem> {
    let key = match headers.get(IDEMPOTENCY_KEY) {
        None => None,
        Some(v) => {
            let s = v.to_str().ok().map(str::trim).filter(|s| !s.is_empty() && s.len() <= 255).ok_or_else(|| {
                Problem::bad_request("invalid_header", "Idempotency-Key must be 1 to 255 visible ASCII characters")
                    .at(IDEMPOTENCY_KEY)
            })?;
            Some(TxId::parse(s).unwrap_or_else(|_| derived_id(caller, s)))
        }
    };
    match (meta_id, key) {
        (Some(a), Some(b)) if a != b => Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_mismatch",
            "the body's id and the Idempotency-Key header name different transactions",
        )
        .at("id")),
        (Some(a), _) => Ok(a),
        (None, Some(b)) => Ok(b),
        (None, None) => Ok(TxId::generate()),
    }
}

/// A UUIDv8 from the account and a free-form idempotency key.
fn derived_id(caller: &Caller, key: &str) -> TxId {
    let mut h = Sha256::new();
    h.update(b"tracelot idempotency key\0");
    h.update(caller.account.as_str().as_bytes());
    h.update([0]);
    h.update(key.as_bytes());
    let digest = h.finalize();
    let bytes = digest.first_chunk::<16>().copied().unwrap_or_default();
    TxId::from_bytes(*uuid::Uuid::new_v8(bytes).as_bytes())
}

/// Checks the caller may post `command` and wraps it as a transaction.
fn transaction(caller: &Caller, id: TxId, meta: Meta, command: Command) -> Result<Transaction, Problem> {
    caller.require(command.permission())?;
    let request =
        Request { id, command, occurred_at: meta.occurred_at, reference: meta.reference, reason: meta.reason };
    Ok(Transaction { request, user: caller.poster()? })
}

/// Queues transactions on the writer and waits, without holding a thread,
/// until they are durable or refused.
async fn submit(app: &App, txs: Vec<Transaction>) -> Result<Vec<Result<Posted, SubmitError>>, Problem> {
    let n = txs.len();
    let (send, recv) = oneshot::channel();
    app.store.submit_batch_then(
        txs,
        Box::new(move |results| {
            let _ = send.send(results);
        }),
    );
    let results = recv.await.map_err(|_| Problem::unavailable("the writer stopped before answering"))?;
    if results.len() != n {
        return Err(Problem::unavailable("the writer returned the wrong number of results"));
    }
    Ok(results)
}

/// The body of a posted transaction: the same for the first answer and
/// every replay, which a header marks instead.
#[derive(serde::Serialize)]
struct PostedBody<'a> {
    id: &'a TxId,
    seq: i64,
    kind: &'a str,
    occurred_at: &'a jiff::Timestamp,
    recorded_at: &'a jiff::Timestamp,
    movements: u64,
    hash: &'a str,
    generated_serials: &'a [tracelot_core::Serial],
    overrides: &'a [tracelot_core::rules::Override],
}

fn posted_body(p: &Posted) -> PostedBody<'_> {
    PostedBody {
        id: &p.id,
        seq: p.seq,
        kind: &p.kind,
        occurred_at: &p.occurred_at,
        recorded_at: &p.recorded_at,
        movements: p.movements,
        hash: &p.hash,
        generated_serials: &p.generated_serials,
        overrides: &p.overrides,
    }
}

fn created(p: &Posted) -> Response {
    let mut resp = (StatusCode::CREATED, axum::Json(posted_body(p))).into_response();
    if p.replayed {
        resp.headers_mut().insert(HeaderName::from_static(REPLAYED), HeaderValue::from_static("true"));
    }
    resp
}

pub(crate) async fn post_one(
    app: &App,
    caller: &Caller,
    headers: &HeaderMap,
    meta: Meta,
    cmd: Command,
) -> Result<Response, Problem> {
    let id = tx_id(meta.id, headers, caller)?;
    let tx = transaction(caller, id, meta, cmd)?;
    let result = submit(app, vec![tx]).await?.pop().ok_or_else(|| Problem::unavailable("no result"))?;
    let posted = result?;
    Ok(created(&posted))
}

pub(crate) async fn object(app: &App, headers: &HeaderMap, body: Body) -> Result<Map<String, Value>, Problem> {
    let bytes = body::bytes(headers, body, app.config.body_limit_bytes).await?;
    body::parse(&bytes)
}

/// A per-kind endpoint: the body is the command's fields plus the meta fields.
async fn post_kind(app: App, caller: Caller, headers: HeaderMap, body: Body, kind: &str) -> Result<Response, Problem> {
    let fields = object(&app, &headers, body).await?;
    let (meta, fields) = split_meta("", fields)?;
    let cmd = commands::command(kind, "", fields)?;
    post_one(&app, &caller, &headers, meta, cmd).await
}

macro_rules! kind_handlers {
    ($($name:ident => $kind:literal),* $(,)?) => {
        $(
            #[doc = concat!("`POST` a `", $kind, "` command.")]
            pub async fn $name(State(app): State<App>, caller: Caller, headers: HeaderMap, body: Body) -> Result<Response, Problem> {
                post_kind(app, caller, headers, body, $kind).await
            }
        )*
    };
}

kind_handlers!(
    define_item => "define_item",
    define_location => "define_location",
    define_partner => "define_partner",
    define_lot => "define_lot",
    receive => "receive",
    transfer => "transfer",
    ship => "ship",
    return_goods => "return",
    adjust => "adjust",
    count => "count",
    scrap => "scrap",
    release => "release",
    relabel => "relabel",
    arrive => "arrive",
    produce => "produce",
    assemble => "assemble",
);

/// Takes `command` (with its `type`) out of a generic transaction body.
fn envelope(prefix: &str, fields: Map<String, Value>) -> Result<(Meta, Command), Problem> {
    let (meta, mut rest) = split_meta(prefix, fields)?;
    let name = |f: &str| if prefix.is_empty() { f.to_owned() } else { format!("{prefix}.{f}") };
    let cmd_field = name("command");
    let inner = match rest.remove("command") {
        Some(Value::Object(m)) => m,
        Some(_) => {
            return Err(Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_type", "command must be an object")
                .at(cmd_field));
        }
        None => {
            return Err(
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "missing_field", "command is required").at(cmd_field)
            );
        }
    };
    if let Some(extra) = rest.keys().next() {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_field",
            format!("unknown field {extra:?}; a transaction has id, command, occurred_at, reference and reason"),
        )
        .at(name(extra)));
    }
    let mut inner = inner;
    let kind = match inner.remove("type") {
        Some(Value::String(s)) => s,
        _ => {
            return Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "missing_field",
                format!("{cmd_field}.type is required and names the command kind"),
            )
            .at(format!("{cmd_field}.type")));
        }
    };
    Ok((meta, commands::command(&kind, &cmd_field, inner)?))
}

/// `POST /api/v1/transactions`: any command, as `{"command": {"type": ...}}`.
pub async fn post_transaction(
    State(app): State<App>,
    caller: Caller,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let fields = object(&app, &headers, body).await?;
    let (meta, cmd) = envelope("", fields)?;
    post_one(&app, &caller, &headers, meta, cmd).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchBody {
    transactions: Vec<Value>,
}

/// `POST /api/v1/batches`: up to [`MAX_BATCH`] transactions in one group
/// commit, one result each. A refused entry writes nothing and does not
/// affect the others.
pub async fn post_batch(
    State(app): State<App>,
    caller: Caller,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let bytes = body::bytes(&headers, body, app.config.body_limit_bytes).await?;
    let batch: BatchBody = body::parse(&bytes)?;
    if batch.transactions.len() > MAX_BATCH {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "batch_too_large",
            format!("a batch holds at most {MAX_BATCH} transactions, not {}", batch.transactions.len()),
        )
        .at("transactions"));
    }
    let parsed: Vec<Result<Transaction, Problem>> = batch
        .transactions
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let prefix = format!("transactions[{i}]");
            let Value::Object(fields) = v else {
                return Err(Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_type", "each entry is an object")
                    .at(prefix));
            };
            let (meta, cmd) = envelope(&prefix, fields)?;
            let id = meta.id.unwrap_or_else(TxId::generate);
            transaction(&caller, id, meta, cmd)
        })
        .collect();
    let valid: Vec<Transaction> = parsed.iter().filter_map(|r| r.as_ref().ok().cloned()).collect();
    let mut results = submit(&app, valid).await?.into_iter();
    let entries: Vec<Value> = parsed
        .into_iter()
        .map(|p| {
            let outcome =
                p.and_then(|_| results.next().ok_or_else(|| Problem::unavailable("no result"))?.map_err(Problem::from));
            match outcome {
                Ok(posted) => serde_json::json!({
                    "status": 201, "replayed": posted.replayed, "posted": posted_body(&posted)
                }),
                Err(p) => serde_json::json!({
                    "status": p.status.as_u16(),
                    "problem": { "code": p.code, "field": p.field, "detail": p.detail },
                }),
            }
        })
        .collect();
    Ok((StatusCode::OK, axum::Json(serde_json::json!({ "results": entries }))).into_response())
}

/// `POST /api/v1/lots/{sku}/{lot}/status`.
pub async fn set_lot_status(
    State(app): State<App>,
    caller: Caller,
    params: Params,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let sku = params.value("sku", Sku::parse)?;
    let lot = params.value("lot", LotCode::parse)?;
    let mut fields = object(&app, &headers, body).await?;
    fields.insert("sku".into(), Value::String(sku.to_string()));
    fields.insert("lot".into(), Value::String(lot.to_string()));
    let (meta, fields) = split_meta("", fields)?;
    let cmd = commands::command("set_lot_status", "", fields)?;
    post_one(&app, &caller, &headers, meta, cmd).await
}

/// `POST /api/v1/serials/{sku}/status`, `.../recall-closure` and
/// `/api/v1/items/{sku}/packagings`: the item from the path, the rest of
/// the command in the body.
async fn post_with_sku(
    app: App,
    caller: Caller,
    params: Params,
    headers: HeaderMap,
    body: Body,
    kind: &str,
) -> Result<Response, Problem> {
    let sku = params.value("sku", Sku::parse)?;
    let mut fields = object(&app, &headers, body).await?;
    fields.insert("sku".into(), Value::String(sku.to_string()));
    let (meta, fields) = split_meta("", fields)?;
    let cmd = commands::command(kind, "", fields)?;
    post_one(&app, &caller, &headers, meta, cmd).await
}

/// Endpoints whose path names the item; the rest of the command is the body.
macro_rules! sku_handlers {
    ($($name:ident => $kind:literal, $route:literal),* $(,)?) => {
        $(
            #[doc = concat!("`POST ", $route, "`.")]
            pub async fn $name(
                State(app): State<App>,
                caller: Caller,
                params: Params,
                headers: HeaderMap,
                body: Body,
            ) -> Result<Response, Problem> {
                post_with_sku(app, caller, params, headers, body, $kind).await
            }
        )*
    };
}

sku_handlers!(
    set_serial_status => "set_serial_status", "/api/v1/serials/{sku}/status",
    close_serial_recall => "close_serial_recall", "/api/v1/serials/{sku}/recall-closure",
    define_packaging => "define_packaging", "/api/v1/items/{sku}/packagings",
);

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AttachParams {
    kind: Option<String>,
    name: Option<String>,
    result: Option<String>,
    id: Option<String>,
    reason: Option<String>,
}

/// `POST /api/v1/lots/{sku}/{lot}/documents?kind=coa&name=F&result=R`:
/// the body is the document's bytes and its content type the document's.
/// The bytes are stored by hash, then one transaction attaches them.
pub async fn attach_document(
    State(app): State<App>,
    caller: Caller,
    params: Params,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    caller.require(tracelot_core::Permission::Release)?;
    let sku = params.value("sku", Sku::parse)?;
    let lot = params.value("lot", LotCode::parse)?;
    let p: AttachParams = crate::body::query(q.as_deref())?;
    let media_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_owned();
    let bytes = crate::body::raw(body, tracelot_core::document::MAX_DOCUMENT_BYTES).await?;
    let size = u32::try_from(bytes.len()).map_err(|_| Problem::bad_request("body_too_large", "at most 20 MiB"))?;
    if size == 0 {
        return Err(Problem::bad_request("empty_body", "the body is the document; it is empty"));
    }
    // Checked before the bytes are stored: a refused attachment leaves
    // nothing behind.
    let store = app.store.clone();
    let (s, l) = (sku.clone(), lot.clone());
    if crate::blocking(move || store.lot(&s, &l)).await?.is_none() {
        return Err(Problem::not_found("lot", format!("unknown lot {lot} of {sku}")));
    }
    let store = app.store.clone();
    let sha256 = crate::blocking(move || store.put_document(&bytes)).await?;
    let document = tracelot_core::document::Attachment {
        kind: p.kind.unwrap_or_else(|| "coa".into()),
        name: p.name.unwrap_or_else(|| format!("{sha256}.bin")),
        media_type,
        sha256,
        size,
        result: p.result,
    };
    let meta = Meta {
        id: p
            .id
            .as_deref()
            .map(|i| TxId::parse(i).map_err(|e| Problem::bad_request("invalid_parameter", e.to_string()).at("id")))
            .transpose()?,
        reason: p.reason,
        ..Meta::default()
    };
    post_one(&app, &caller, &headers, meta, Command::AttachDocument { sku, lot, document }).await
}

/// `POST /api/v1/transactions/{id}/reversal`.
pub async fn reverse(
    State(app): State<App>,
    caller: Caller,
    params: Params,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let tx = params.value("id", TxId::parse)?;
    let fields = object(&app, &headers, body).await?;
    let (meta, rest) = split_meta("", fields)?;
    if let Some(extra) = rest.keys().next() {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_field",
            format!("unknown field {extra:?}"),
        )
        .at(extra.as_str()));
    }
    post_one(&app, &caller, &headers, meta, Command::Reverse { tx }).await
}
