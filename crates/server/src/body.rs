//! Reading request bodies and query strings into typed values, with every
//! failure a problem that names the field: a body too large, not JSON,
//! malformed, with an unknown field, a wrong type or an invalid value.

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;

use crate::problem::Problem;

/// Reads at most `limit` bytes of a JSON body.
pub async fn bytes(headers: &HeaderMap, body: Body, limit: usize) -> Result<axum::body::Bytes, Problem> {
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        let ct = ct.to_str().unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        if ct != "application/json" && !ct.ends_with("+json") {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!("the body must be application/json, not {ct:?}"),
            ));
        }
    }
    raw(body, limit).await
}

/// Reads a body of any type (a document's bytes) up to `limit` bytes.
pub async fn raw(body: Body, limit: usize) -> Result<axum::body::Bytes, Problem> {
    let mut body = body;
    let mut buf = Vec::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|e| Problem::bad_request("malformed_body", format!("the body could not be read: {e}")))?;
        let Ok(data) = frame.into_data() else { continue };
        total = total.saturating_add(data.len());
        if total <= limit {
            buf.extend_from_slice(&data);
        } else if total > limit.saturating_mul(DRAIN_FACTOR) {
            break;
        }
    }
    if total > limit {
        return Err(Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the body is larger than the limit of {limit} bytes"),
        ));
    }
    Ok(buf.into())
}

/// An over-long body is read (and dropped) up to this many times the limit
/// before the 413 is sent, so the client, still sending, sees the answer
/// instead of a reset connection.
const DRAIN_FACTOR: usize = 64;

/// Parses JSON into `T`, naming the field at fault on failure.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Problem::bad_request("malformed_json", "the body is empty; a JSON object is required"));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value =
        serde_path_to_error::deserialize(&mut de).map_err(|e| json_problem(&e.path().to_string(), e.inner()))?;
    de.end().map_err(|e| json_problem(".", &e))?;
    Ok(value)
}

/// Parses an already-parsed JSON value (one field of a larger body) into `T`.
pub fn from_value<T: DeserializeOwned>(prefix: &str, v: serde_json::Value) -> Result<T, Problem> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        let full = match (prefix, path.as_str()) {
            (p, ".") => p.to_owned(),
            ("", q) => q.to_owned(),
            (p, q) if q.starts_with('[') => format!("{p}{q}"),
            (p, q) => format!("{p}.{q}"),
        };
        json_problem(&full, e.inner())
    })
}

/// Classifies a serde error: syntax is 400 `malformed_json`; the rest are
/// 422 with a code saying which rule of the schema was broken.
fn json_problem(path: &str, e: &serde_json::Error) -> Problem {
    use serde_json::error::Category;
    let msg = e.to_string();
    let text = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            Problem::bad_request("malformed_json", format!("the body is not valid JSON: {msg}"))
        }
        Category::Data => {
            let quoted =
                |prefix: &str| text.strip_prefix(prefix).and_then(|rest| rest.split('`').next()).map(str::to_owned);
            let field = |name: Option<String>| match (path, name) {
                ("." | "", Some(n)) => n,
                (p, Some(n)) if p == n || p.ends_with(&format!(".{n}")) => p.to_owned(),
                (p, Some(n)) => format!("{p}.{n}"),
                (p, None) => p.to_owned(),
            };
            let (code, f) = if let Some(name) = quoted("unknown field `") {
                ("unknown_field", field(Some(name)))
            } else if let Some(name) = quoted("missing field `") {
                ("missing_field", field(Some(name)))
            } else if text.starts_with("invalid type") || text.starts_with("invalid length") {
                ("invalid_type", field(None))
            } else {
                ("invalid_value", field(None))
            };
            let f = if f == "." { String::new() } else { f };
            let detail = if f.is_empty() { text } else { format!("{f}: {text}") };
            let p = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail);
            if f.is_empty() { p } else { p.at(f) }
        }
    }
}

/// Parses a query string into `T` (which should deny unknown fields; its
/// values are text, parsed into domain types by the handler with their names).
pub fn query<T: DeserializeOwned>(raw: Option<&str>) -> Result<T, Problem> {
    serde_urlencoded::from_str(raw.unwrap_or("")).map_err(|e| {
        let text = e.to_string();
        match text.strip_prefix("unknown field `").and_then(|r| r.split('`').next()) {
            Some(name) => {
                Problem::bad_request("unknown_parameter", format!("unknown query parameter {name:?}")).at(name)
            }
            None => Problem::bad_request("invalid_parameter", format!("query string: {text}")),
        }
    })
}

/// Parses an optional query or path parameter; a bad one is a 400 that names it.
pub fn param<T>(
    name: &str,
    v: Option<&str>,
    parse: impl Fn(&str) -> Result<T, tracelot_core::ValueError>,
) -> Result<Option<T>, Problem> {
    v.map(|s| {
        parse(s).map_err(|e| Problem::bad_request("invalid_parameter", format!("{name}: {}", e.message)).at(name))
    })
    .transpose()
}

/// A parameter that must be there.
pub fn required<T>(name: &str, v: Option<T>) -> Result<T, Problem> {
    v.ok_or_else(|| Problem::bad_request("missing_parameter", format!("{name} is required")).at(name))
}
