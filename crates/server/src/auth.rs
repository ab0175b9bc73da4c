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
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoginPolicy {
    /// Failures allowed per account and per client address within the window.
    pub max_failures: u32,
    /// The window, in seconds.
    pub window_seconds: u64,
    /// The first lockout, in seconds; each further failure doubles it, up to the window.
    pub lockout_seconds: u64,
    /// Also lock out a client address after repeated failures. Turn it off
    /// when many users share one address (a NAT, a proxy that does not
    /// forward theirs): one guesser would lock them all out.
    pub per_address: bool,
    /// Reverse proxies whose `X-Forwarded-For` names the real client. A
    /// request from any other address is judged by that address alone, so
    /// a client cannot pick its own address by sending the header.
    pub trusted_proxies: Vec<IpAddr>,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        LoginPolicy {
            max_failures: 5,
            window_seconds: 900,
            lockout_seconds: 60,
            per_address: true,
            trusted_proxies: Vec::new(),
        }
    }
}

impl LoginPolicy {
    /// The client's address: the peer, or, when the peer is a trusted
    /// proxy, the nearest address in `X-Forwarded-For` that is not one.
    pub fn client(&self, peer: IpAddr, headers: &axum::http::HeaderMap) -> IpAddr {
        if !self.trusted_proxies.contains(&peer) {
            return peer;
        }
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        forwarded
            .iter()
            .rev()
            .filter_map(|a| a.parse::<IpAddr>().ok())
            .find(|a| !self.trusted_proxies.contains(a))
            .unwrap_or(peer)
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

    fn keys(&self, account: &str, ip: IpAddr) -> Vec<String> {
        let mut keys = vec![format!("account:{account}")];
        if self.policy.per_address {
            keys.push(format!("ip:{ip}"));
        }
        keys
    }

    /// Refuses with 429 while the account or the address is locked out.
    pub fn check(&self, account: &str, ip: IpAddr) -> Result<(), Problem> {
        let now = Instant::now();
        let map = self.failures.lock().map_err(|_| Problem::unavailable("login limiter lock poisoned"))?;
        let wait = self
            .keys(account, ip)
            .iter()
            .filter_map(|k| map.get(k)?.locked_until)
            .filter(|until| *until > now)
            .map(|until| until.saturating_duration_since(now))
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
        for key in self.keys(account, ip) {
            let f = map.entry(key).or_insert(Failures { count: 0, first: now, locked_until: None });
            if now.duration_since(f.first) >= window && f.locked_until.is_none_or(|u| u <= now) {
                *f = Failures { count: 0, first: now, locked_until: None };
            }
            f.count = f.count.saturating_add(1);
            if f.count >= self.policy.max_failures {
                let doublings = f.count.saturating_sub(self.policy.max_failures).min(16);
                let factor = 1_u64.checked_shl(doublings).unwrap_or(u64::MAX);
                let lock = Duration::from_secs(self.policy.lockout_seconds.saturating_mul(factor)).min(window);
                f.locked_until = now.checked_add(lock);
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

#[cfg(test)]
// Tests: an overflow or a panic is a failed test.
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    fn forwarded(list: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", list.parse().expect("header"));
        h
    }

    #[test]
    fn only_a_trusted_proxy_names_the_client() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let policy = LoginPolicy { trusted_proxies: vec![proxy, "10.0.0.3".parse().unwrap()], ..Default::default() };
        let client: IpAddr = "203.0.113.9".parse().unwrap();
        // Through two trusted proxies, the address before them is the client's;
        // what the client itself put first does not count.
        assert_eq!(policy.client(proxy, &forwarded("198.51.100.1, 203.0.113.9, 10.0.0.3")), client);
        assert_eq!(policy.client(proxy, &HeaderMap::new()), proxy);
        assert_eq!(policy.client(proxy, &forwarded("not an address")), proxy);
        let stranger: IpAddr = "198.51.100.7".parse().unwrap();
        assert_eq!(policy.client(stranger, &forwarded("203.0.113.9")), stranger, "an untrusted peer is itself");
    }

    #[test]
    fn without_per_address_locks_only_the_account_is_locked() {
        let shared: IpAddr = "192.0.2.1".parse().unwrap();
        let policy = LoginPolicy { max_failures: 2, per_address: false, ..Default::default() };
        let limiter = LoginLimiter::new(policy);
        limiter.failed("mallory", shared);
        limiter.failed("mallory", shared);
        assert!(limiter.check("mallory", shared).is_err());
        assert!(limiter.check("alice", shared).is_ok(), "alice behind the same NAT still logs in");
        let limiter = LoginLimiter::new(LoginPolicy { max_failures: 2, ..Default::default() });
        limiter.failed("mallory", shared);
        limiter.failed("mallory", shared);
        assert!(limiter.check("alice", shared).is_err(), "per address by default");
    }
}
