//! Credentials for tracelot's API.
//!
//! Passwords are hashed with Argon2id (memory-hard, salted, PHC string
//! format). Bearer tokens are 256 random bits shown once; only their
//! SHA-256 is stored, which suffices because a random 256-bit secret cannot
//! be guessed, and keeps each request's check to one hash and one lookup.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use sha2::{Digest, Sha256};

/// The prefix of every secret, so that leaked tokens are easy to scan for.
pub const TOKEN_PREFIX: &str = "tlt_";

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// The longest a script's token lives unless the server's
/// `max_token_days` says otherwise: a year. No token lives for ever.
pub const DEFAULT_MAX_TOKEN_DAYS: u32 = 365;

/// A credential failure.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The operating system's random source failed.
    #[error("no randomness available: {0}")]
    Random(String),
    /// The password breaks a rule (the message says which).
    #[error("{0}")]
    WeakPassword(String),
    /// Hashing failed.
    #[error("password hashing failed: {0}")]
    Hash(String),
}

fn random<const N: usize>() -> Result<[u8; N], AuthError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| AuthError::Random(e.to_string()))?;
    Ok(b)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The hasher, with OWASP's recommended Argon2id parameters
/// (19 MiB, 2 passes, 1 lane).
fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

/// Hashes a password into a PHC string (`$argon2id$...`), after checking
/// that it is long enough.
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(AuthError::WeakPassword(format!(
            "a password needs at least {MIN_PASSWORD_CHARS} characters; this one has {n}"
        )));
    }
    let salt = SaltString::encode_b64(&random::<16>()?).map_err(|e| AuthError::Hash(e.to_string()))?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// Whether `password` matches a stored PHC hash. A malformed hash never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| argon2().verify_password(password.as_bytes(), &h).is_ok())
}

/// A freshly made token: its public id, the secret to show once, and the
/// hash to store.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// Public id (`tk_` + 12 hex digits), recorded in the ledger.
    pub id: String,
    /// The bearer secret (`tlt_` + 64 hex digits). Never stored.
    pub secret: String,
    /// SHA-256 of the secret.
    pub hash: [u8; 32],
}

/// Makes a new random token.
pub fn issue_token() -> Result<IssuedToken, AuthError> {
    let id = format!("tk_{}", hex(&random::<6>()?));
    let secret = format!("{TOKEN_PREFIX}{}", hex(&random::<32>()?));
    let hash = token_hash(&secret);
    Ok(IssuedToken { id, secret, hash })
}

/// The stored form of a bearer secret.
pub fn token_hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_only_against_its_own_hash() {
        let h = hash_password("correct horse battery").expect("hash");
        assert!(h.starts_with("$argon2id$v=19$"), "{h}");
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterz", &h));
        assert!(!verify_password("correct horse battery", "not a hash"));
        let again = hash_password("correct horse battery").expect("hash");
        assert_ne!(h, again, "each hash has its own salt");
    }

    #[test]
    fn short_passwords_are_refused() {
        let e = hash_password("short").expect_err("too short");
        assert!(e.to_string().contains("at least 12"), "{e}");
    }

    #[test]
    fn tokens_are_random_and_hash_to_what_is_stored() {
        let a = issue_token().expect("token");
        let b = issue_token().expect("token");
        assert_ne!(a.secret, b.secret);
        assert_ne!(a.id, b.id);
        assert_eq!(a.secret.len(), TOKEN_PREFIX.len() + 64);
        assert_eq!(token_hash(&a.secret), a.hash);
        assert_ne!(token_hash(&b.secret), a.hash);
    }
}
