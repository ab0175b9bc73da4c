//! Logins, accounts and tokens.

use std::net::SocketAddr;

use axum::Json;
use axum::body::Body;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use tracelot_core::{AccountName, Permission, Role};
use tracelot_store::{NewToken, TokenKey, TokenKind, TokenRow, Window};

use crate::auth::Caller;
use crate::body;
use crate::paging;
use crate::problem::Problem;
use crate::routes::Params;
use crate::{App, blocking};

async fn parse<T: serde::de::DeserializeOwned>(app: &App, headers: &HeaderMap, b: Body) -> Result<T, Problem> {
    let bytes = body::bytes(headers, b, app.config.body_limit_bytes).await?;
    body::parse(&bytes)
}

fn account_name(field: &str, s: &str) -> Result<AccountName, Problem> {
    AccountName::parse(s).map_err(|e| Problem::invalid(field, e))
}

/// Hashes a password off the async workers (Argon2id is deliberately slow).
async fn hash(password: String) -> Result<String, Problem> {
    tokio::task::spawn_blocking(move || tracelot_auth::hash_password(&password))
        .await
        .map_err(|e| Problem::unavailable(format!("hashing stopped: {e}")))?
        .map_err(|e| match e {
            tracelot_auth::AuthError::WeakPassword(m) => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "weak_password", m).at("password")
            }
            other => Problem::unavailable(other),
        })
}

/// Issues and stores a token, returning its row and the secret to show once.
fn issue(
    app: &App,
    account: &AccountName,
    label: &str,
    kind: TokenKind,
    ttl: Option<SignedDuration>,
) -> Result<Response, Problem> {
    let issued = tracelot_auth::issue_token().map_err(Problem::unavailable)?;
    let now = Timestamp::now();
    let expires_at = ttl.and_then(|d| now.checked_add(d).ok());
    let row = app.accounts.add_token(&NewToken {
        id: issued.id,
        account: account.clone(),
        label: label.to_owned(),
        kind,
        hash: issued.hash,
        created_at: now,
        expires_at,
    })?;
    let mut v = serde_json::to_value(&row).unwrap_or_default();
    if let serde_json::Value::Object(m) = &mut v {
        m.insert("token".into(), serde_json::Value::String(issued.secret));
    }
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    account: String,
    password: String,
}

/// `POST /api/v1/auth/login`: a password for a session token.
pub async fn login(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    b: Body,
) -> Result<Response, Problem> {
    let login: Login = parse(&app, &headers, b).await?;
    let client = app.config.login.client(peer.ip(), &headers);
    app.logins.check(&login.account, client)?;
    let name = AccountName::parse(&login.account).ok();
    let found = match &name {
        Some(n) => app.accounts.account(n)?,
        None => None,
    };
    // Unknown accounts cost a hash check too, so timing does not tell them apart.
    let stored = found.as_ref().and_then(|(_, h)| h.clone());
    let decoy = app.decoy_hash.clone();
    let password = login.password.clone();
    let ok = tokio::task::spawn_blocking(move || match stored {
        Some(h) => tracelot_auth::verify_password(&password, &h),
        None => {
            let _ = tracelot_auth::verify_password(&password, &decoy);
            false
        }
    })
    .await
    .unwrap_or(false);
    let account = match (ok, found) {
        (true, Some((a, _))) if !a.disabled => a,
        _ => {
            app.logins.failed(&login.account, client);
            tracing::warn!(account = login.account, client = %client, peer = %peer.ip(), "failed login");
            return Err(Problem::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "wrong account or password"));
        }
    };
    app.logins.succeeded(&login.account);
    let ttl = SignedDuration::from_hours(i64::from(app.config.session_hours));
    issue(&app, &account.name, "login", TokenKind::Session, Some(ttl))
}

/// `POST /api/v1/auth/logout`: revokes the token used.
pub async fn logout(State(app): State<App>, caller: Caller) -> Result<Response, Problem> {
    app.accounts.revoke_token(&caller.token_id, Timestamp::now())?;
    app.tokens.clear();
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/v1/auth/me`.
pub async fn me(caller: Caller) -> Response {
    Json(serde_json::json!({ "account": caller.account, "role": caller.role, "token_id": caller.token_id }))
        .into_response()
}

/// `GET /api/v1/accounts`.
pub async fn accounts(State(app): State<App>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, Problem> {
    caller.require(Permission::Administer)?;
    let (window, limit) = paging::window(q.as_deref())?;
    let accounts = app.accounts.clone();
    let rows = blocking(move || accounts.accounts(&window)).await?;
    Ok(Json(paging::first(rows, limit, |r| r.name.to_string())).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAccount {
    name: String,
    role: Role,
    #[serde(default)]
    password: Option<String>,
}

/// `POST /api/v1/accounts`.
pub async fn add_account(
    State(app): State<App>,
    caller: Caller,
    headers: HeaderMap,
    b: Body,
) -> Result<Response, Problem> {
    caller.require(Permission::Administer)?;
    let new: NewAccount = parse(&app, &headers, b).await?;
    let name = account_name("name", &new.name)?;
    let hashed = match new.password {
        Some(p) => Some(hash(p).await?),
        None => None,
    };
    let row = app.accounts.add_account(&name, new.role, hashed.as_deref(), Timestamp::now())?;
    tracing::info!(by = %caller.account, account = %name, role = %new.role, "account created");
    Ok((StatusCode::CREATED, Json(row)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountChange {
    #[serde(default)]
    role: Option<Role>,
    #[serde(default)]
    disabled: Option<bool>,
    #[serde(default)]
    password: Option<String>,
}

/// `PATCH /api/v1/accounts/{name}`.
pub async fn update_account(
    State(app): State<App>,
    caller: Caller,
    params: Params,
    headers: HeaderMap,
    b: Body,
) -> Result<Response, Problem> {
    caller.require(Permission::Administer)?;
    let name = params.value("name", AccountName::parse)?;
    let change: AccountChange = parse(&app, &headers, b).await?;
    if app.accounts.account(&name)?.is_none() {
        return Err(Problem::not_found("name", format!("no account is named {name}")));
    }
    if let Some(p) = change.password {
        let h = hash(p).await?;
        app.accounts.set_password(&name, Some(&h))?;
    }
    let row = app.accounts.update_account(&name, change.role, change.disabled)?;
    app.tokens.clear();
    tracing::info!(by = %caller.account, account = %name, "account changed");
    Ok(Json(row).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenParams {
    account: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

/// `GET /api/v1/tokens`.
pub async fn tokens(State(app): State<App>, caller: Caller, RawQuery(q): RawQuery) -> Result<Response, Problem> {
    caller.require(Permission::Administer)?;
    let p: TokenParams = body::query(q.as_deref())?;
    let account = p.account.as_deref().map(|a| account_name("account", a)).transpose()?;
    let limit = paging::limit(p.limit.as_deref())?;
    let after = p.cursor.as_deref().map(paging::decode::<TokenKey>).transpose()?;
    // One more than the page, to know whether another follows.
    let window = Window { after, limit: paging::one_more(limit) };
    let accounts = app.accounts.clone();
    let rows = blocking(move || accounts.tokens(account.as_ref(), &window)).await?;
    Ok(Json(paging::first(rows, limit, TokenRow::key)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenRequest {
    account: String,
    label: String,
    #[serde(default)]
    expires_in_days: Option<u32>,
}

/// `POST /api/v1/tokens`: a token for a script; the secret is in the answer only.
pub async fn add_token(
    State(app): State<App>,
    caller: Caller,
    headers: HeaderMap,
    b: Body,
) -> Result<Response, Problem> {
    caller.require(Permission::Administer)?;
    let req: TokenRequest = parse(&app, &headers, b).await?;
    let account = account_name("account", &req.account)?;
    if req.label.trim().is_empty() || req.label.len() > 64 {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_value",
            "label must be 1 to 64 characters",
        )
        .at("label"));
    }
    let max = app.config.max_token_days;
    let days = req.expires_in_days.unwrap_or(max);
    if days > max {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_value",
            format!("expires_in_days is at most {max} (the server's max_token_days)"),
        )
        .at("expires_in_days"));
    }
    let ttl = Some(SignedDuration::from_hours(i64::from(days).saturating_mul(24)));
    tracing::info!(by = %caller.account, account = %account, label = req.label, "token created");
    issue(&app, &account, &req.label, TokenKind::Api, ttl)
}

/// `DELETE /api/v1/tokens/{id}`: revokes a token (an admin's, or the caller's own).
pub async fn revoke_token(State(app): State<App>, caller: Caller, params: Params) -> Result<Response, Problem> {
    let id = params.get("id")?;
    if id != caller.token_id {
        caller.require(Permission::Administer)?;
    }
    let row = app.accounts.revoke_token(id, Timestamp::now())?;
    app.tokens.clear();
    tracing::info!(by = %caller.account, token = id, "token revoked");
    Ok(Json(row).into_response())
}
