//! Who is calling: bearer tokens checked on every request, password logins
//! that mint short-lived session tokens, and the limiter that slows down
//! password guessing.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::Deserialize;
use tracelot_core::{AccountName, Permission, Role, UserName};

use crate::App;
use crate::problem::Problem;

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The account the token acts for.
    pub account: AccountName,
    /// Its role.
    pub role: Role,
    /// The token used.
    pub token_id: String,
}

impl Caller {
    /// Refuses with 403 unless the caller's role has `p`.
    pub fn require(&self, p: Permission) -> Result<(), Problem> {
        if self.role.allows(p) {
            return Ok(());
        }
        Err(Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("this needs the {} role; {} has {}", p.min_role(), self.account, self.role),
        ))
    }

    /// The name recorded on the ledger transactions this caller posts.
    pub fn poster(&self) -> Result<UserName, Problem> {
        tracelot_core::access::poster(&self.account, &self.token_id).map_err(|e| Problem::invalid("token", e))
    }
}

fn unauthenticated(detail: &str) -> Problem {
    Problem::new(StatusCode::UNAUTHORIZED, "unauthenticated", detail)
}

impl FromRequestParts<App> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Problem> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| unauthenticated("this needs an Authorization: Bearer token"))?;
        let value = value.to_str().map_err(|_| unauthenticated("the Authorization header is not ASCII"))?;
        let (scheme, secret) = value.split_once(' ').unwrap_or((value, ""));
        if !scheme.eq_ignore_ascii_case("bearer") || secret.trim().is_empty() {
            return Err(unauthenticated("the Authorization header must be `Bearer TOKEN`"));
        }
        let hash = tracelot_auth::token_hash(secret.trim());
        if let Some(caller) = app.tokens.get(&hash) {
            return Ok(caller);
        }
        let found = app.accounts.token_by_hash(&hash)?;
        let Some((token, account)) = found else {
            return Err(unauthenticated("the token is not valid"));
        };
        if !token.is_live(jiff::Timestamp::now()) {
            return Err(unauthenticated("the token has expired or was revoked"));
        }
        if account.disabled {
            return Err(unauthenticated("the token's account is disabled"));
        }
        let caller = Caller { account: account.name, role: account.role, token_id: token.id };
        app.tokens.put(hash, caller.clone(), token.expires_at);
        Ok(caller)
    }
}

/// How long a checked token is trusted without asking the database again.
/// Changes made through this server clear the cache at once; a token
/// revoked by another process (the CLI, another server) stops working
/// within this time.
pub const TOKEN_CACHE_TTL: Duration = Duration::from_secs(2);

/// Most tokens remembered; past it the cache starts over.
const TOKEN_CACHE_MAX: usize = 10_000;

#[derive(Debug, Clone)]
struct Cached {
    caller: Caller,
    expires_at: Option<jiff::Timestamp>,
    checked: Instant,
}

/// Recently checked tokens, so a request costs a hash and a map lookup
/// instead of a database query.
#[derive(Debug, Default)]
pub struct TokenCache {
    map: std::sync::RwLock<HashMap<[u8; 32], Cached>>,
}

impl TokenCache {
    fn get(&self, hash: &[u8; 32]) -> Option<Caller> {
        let map = self.map.read().ok()?;
        let c = map.get(hash)?;
        let fresh = c.checked.elapsed() < TOKEN_CACHE_TTL;
        let live = c.expires_at.is_none_or(|e| jiff::Timestamp::now() < e);
        (fresh && live).then(|| c.caller.clone())
    }

    fn put(&self, hash: [u8; 32], caller: Caller, expires_at: Option<jiff::Timestamp>) {
        if let Ok(mut map) = self.map.write() {
            if map.len() >= TOKEN_CACHE_MAX {
                map.clear();
            }
            map.insert(hash, Cached { caller, expires_at, checked: Instant::now() });
        }
    }

    /// Forgets everything: an account or token changed.
    pub fn clear(&self) {
        if let Ok(mut map) = self.map.write() {
            map.clear();
        }
    }
}

/// Limits on failed password logins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoginPolicy {
    /// Failures allowed per account and per client address within the window.
    pub max_failures: u32,
    /// The window, in seconds.
    pub window_seconds: u64,
    /// The first lockout, in seconds; each further failure doubles it, up to the window.
    pub lockout_seconds: u64,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        LoginPolicy { max_failures: 5, window_seconds: 900, lockout_seconds: 60 }
    }
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    first: Instant,
    locked_until: Option<Instant>,
}

/// Counts failed logins per account name and per client address. A key
/// over the limit is locked out; attempts while locked are refused without
/// looking at the password, so guessing gains nothing.
#[derive(Debug)]
pub struct LoginLimiter {
    policy: LoginPolicy,
    failures: Mutex<HashMap<String, Failures>>,
}

/// Entries kept before stale ones are swept.
const MAX_TRACKED: usize = 10_000;

impl LoginLimiter {
    /// A limiter with `policy`.
    pub fn new(policy: LoginPolicy) -> Self {
        LoginLimiter { policy, failures: Mutex::new(HashMap::new()) }
    }

    fn keys(account: &str, ip: IpAddr) -> [String; 2] {
        [format!("account:{account}"), format!("ip:{ip}")]
    }

    /// Refuses with 429 while the account or the address is locked out.
    pub fn check(&self, account: &str, ip: IpAddr) -> Result<(), Problem> {
        let now = Instant::now();
        let map = self.failures.lock().map_err(|_| Problem::unavailable("login limiter lock poisoned"))?;
        let wait = Self::keys(account, ip)
            .iter()
            .filter_map(|k| map.get(k)?.locked_until)
            .filter(|until| *until > now)
            .map(|until| until - now)
            .max();
        match wait {
            Some(w) => {
                let mut p = Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_attempts",
                    format!("too many failed logins; try again in {} s", w.as_secs().max(1)),
                );
                p.retry_after = Some(w.as_secs().max(1));
                Err(p)
            }
            None => Ok(()),
        }
    }

    /// Records a failed login.
    pub fn failed(&self, account: &str, ip: IpAddr) {
        let now = Instant::now();
        let window = Duration::from_secs(self.policy.window_seconds);
        let Ok(mut map) = self.failures.lock() else { return };
        if map.len() > MAX_TRACKED {
            map.retain(|_, f| now.duration_since(f.first) < window || f.locked_until.is_some_and(|u| u > now));
        }
        for key in Self::keys(account, ip) {
            let f = map.entry(key).or_insert(Failures { count: 0, first: now, locked_until: None });
            if now.duration_since(f.first) >= window && f.locked_until.is_none_or(|u| u <= now) {
                *f = Failures { count: 0, first: now, locked_until: None };
            }
            f.count += 1;
            if f.count >= self.policy.max_failures {
                let doublings = (f.count - self.policy.max_failures).min(16);
                let lock = Duration::from_secs(self.policy.lockout_seconds.saturating_mul(1 << doublings)).min(window);
                f.locked_until = Some(now + lock);
            }
        }
    }

    /// Forgets an account's failures after a successful login.
    pub fn succeeded(&self, account: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&format!("account:{account}"));
        }
    }
}
