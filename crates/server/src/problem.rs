//! Errors as RFC 9457 problem documents (`application/problem+json`) with a
//! stable `code` and the offending `field`, so clients branch on the code
//! and show the detail.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tracelot_core::{DomainError, Rule, ValueError};
use tracelot_reports::ReportError;
use tracelot_store::{AccountError, StoreError, SubmitError};

/// One problem response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code (`insufficient_stock`, `unknown_field` ...).
    pub code: String,
    /// The offending field, as a path into the request (`lines[0].lot`).
    pub field: Option<String>,
    /// One human sentence.
    pub detail: String,
    /// Seconds to wait before retrying (429, 503).
    pub retry_after: Option<u64>,
}

#[derive(Serialize)]
struct Body<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    detail: &'a str,
}

impl Problem {
    /// A problem with no field.
    pub fn new(status: StatusCode, code: impl Into<String>, detail: impl Into<String>) -> Self {
        Problem { status, code: code.into(), field: None, detail: detail.into(), retry_after: None }
    }

    /// Names the offending field.
    pub fn at(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// 400 for a request that cannot be understood.
    pub fn bad_request(code: &str, detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::BAD_REQUEST, code, detail)
    }

    /// 404 for a path that names nothing.
    pub fn not_found(field: &str, detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::NOT_FOUND, Rule::NotFound.code(), detail).at(field)
    }

    /// A value in `field` broke `e`'s rule.
    pub fn invalid(field: &str, e: ValueError) -> Self {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, Rule::InvalidValue.code(), format!("{field}: {}", e.message))
            .at(field)
    }

    /// 503 for a storage failure: the request wrote nothing and may be retried.
    pub fn unavailable(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "storage failure");
        let mut p =
            Problem::new(StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable", format!("storage failure: {detail}"));
        p.retry_after = Some(1);
        p
    }
}

/// The status a refused command gets: 409 when the ledger's current state
/// refuses it (retrying later may work), 422 when the request itself is
/// wrong, 500 when tracelot failed on it (the writer goes on serving others).
pub fn status_of(rule: Rule) -> StatusCode {
    match rule {
        Rule::InternalError => StatusCode::INTERNAL_SERVER_ERROR,
        Rule::AlreadyExists
        | Rule::SerialExists
        | Rule::SerialNotThere
        | Rule::InsufficientStock
        | Rule::LotNotReleased
        | Rule::LotExpired
        | Rule::LotConflict
        | Rule::IdempotencyConflict
        | Rule::NotReversible
        | Rule::ReturnExceedsShipped
        | Rule::LotRecalled
        | Rule::LotBlocked
        | Rule::NotRecalled
        | Rule::LotOtherSupplier
        | Rule::SerialBlocked
        | Rule::ReleaseRequired
        | Rule::TransitRequired
        | Rule::AlreadyArrived
        | Rule::ShelfLifeTooShort
        | Rule::QuantityOutOfRange => StatusCode::CONFLICT,
        // Named one by one, so that a new rule needs a decision here.
        Rule::InvalidValue
        | Rule::NotFound
        | Rule::SerialRequired
        | Rule::SerialNotTracked
        | Rule::LotRequired
        | Rule::LotNotTracked
        | Rule::WrongLocationKind
        | Rule::ReasonRequired
        | Rule::ClockPolicy
        | Rule::InvalidScan
        | Rule::UnknownGtin
        | Rule::DuplicateScan => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

impl From<DomainError> for Problem {
    fn from(d: DomainError) -> Self {
        let mut p = Problem::new(status_of(d.rule), d.rule.code(), d.to_string());
        p.field = d.field.clone();
        p
    }
}

impl From<SubmitError> for Problem {
    fn from(e: SubmitError) -> Self {
        match e {
            SubmitError::Refused(d) => d.into(),
            SubmitError::Storage(s) => Problem::unavailable(s),
        }
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Self {
        Problem::unavailable(e)
    }
}

impl From<AccountError> for Problem {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Refused(d) => d.into(),
            AccountError::Storage(s) => Problem::unavailable(s),
        }
    }
}

impl From<ReportError> for Problem {
    fn from(e: ReportError) -> Self {
        match e {
            ReportError::Refused(d) if d.rule == Rule::NotFound => {
                Problem { status: StatusCode::NOT_FOUND, ..Problem::from(d) }
            }
            ReportError::Refused(d) => d.into(),
            ReportError::Store(s) => s.into(),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = Body {
            kind: format!("urn:tracelot:problem:{}", self.code),
            title: self.status.canonical_reason().unwrap_or("Error"),
            status: self.status.as_u16(),
            code: &self.code,
            field: self.field.as_deref(),
            detail: &self.detail,
        };
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        let mut resp = (self.status, bytes).into_response();
        let headers = resp.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(s) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"tracelot\""));
        }
        resp
    }
}
