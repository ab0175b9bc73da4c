//! Accounts and API tokens: who may use the API, with which role.
//!
//! They live in the same database as the ledger, so a backup holds both,
//! but outside the hash chain: they are configuration, not stock history.
//! The ledger records the account and token that posted each transaction.

use jiff::Timestamp;
use serde::Serialize;
use tracelot_core::{AccountName, DomainError, Role};

use crate::{StoreError, Window};

/// Why an account change was not made. Nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    /// A rule refused it: the name is taken, or the account or token is unknown.
    #[error(transparent)]
    Refused(#[from] DomainError),
    /// The database failed.
    #[error("storage failure: {0}")]
    Storage(String),
}

impl From<StoreError> for AccountError {
    fn from(e: StoreError) -> Self {
        AccountError::Storage(e.to_string())
    }
}

/// An account as listed (never with its password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountRow {
    /// Login name.
    pub name: AccountName,
    /// What it may do.
    pub role: Role,
    /// When it was created.
    pub created_at: Timestamp,
    /// A disabled account cannot log in and its tokens stop working.
    pub disabled: bool,
    /// Whether it can log in with a password (else only with tokens).
    pub has_password: bool,
}

/// What a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// Made by `tracelot token create` or the API, for scripts.
    Api,
    /// Made by a password login; short-lived.
    Session,
}

impl TokenKind {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Api => "api",
            TokenKind::Session => "session",
        }
    }
}

/// A token to store. Only the SHA-256 of its secret is kept: the secret is
/// shown once, to whoever created it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewToken {
    /// Public id (`tk_` + hex), safe to log and to record in the ledger.
    pub id: String,
    /// The account it acts for.
    pub account: AccountName,
    /// A label to tell tokens apart (`ci`, `scanner-3`).
    pub label: String,
    /// API or session.
    pub kind: TokenKind,
    /// SHA-256 of the secret.
    pub hash: [u8; 32],
    /// When it was made.
    pub created_at: Timestamp,
    /// When it stops working, if ever.
    pub expires_at: Option<Timestamp>,
}

/// A token as listed (never with its hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenRow {
    /// Public id.
    pub id: String,
    /// The account it acts for.
    pub account: AccountName,
    /// Label.
    pub label: String,
    /// API or session.
    pub kind: TokenKind,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it stops working, if ever.
    pub expires_at: Option<Timestamp>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<Timestamp>,
}

/// Where a token sorts: newest first (creation in microseconds since the
/// epoch, descending), then by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct TokenKey(pub i64, pub String);

impl TokenRow {
    /// The row's place in the order [`Accounts::tokens`] returns rows in.
    pub fn key(&self) -> TokenKey {
        TokenKey(self.created_at.as_microsecond(), self.id.clone())
    }

    /// Whether the token may be used at `now`.
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| now < e)
    }
}

/// The accounts and tokens of one installation.
pub trait Accounts: Send + Sync {
    /// Creates an account; refused with `already_exists` if the name is taken.
    fn add_account(
        &self,
        name: &AccountName,
        role: Role,
        password_hash: Option<&str>,
        at: Timestamp,
    ) -> Result<AccountRow, AccountError>;
    /// Accounts by name, within the window (keyed by name).
    fn accounts(&self, w: &Window<String>) -> Result<Vec<AccountRow>, StoreError>;
    /// One account with its password hash, for a login.
    fn account(&self, name: &AccountName) -> Result<Option<(AccountRow, Option<String>)>, StoreError>;
    /// Sets or clears an account's password hash.
    fn set_password(&self, name: &AccountName, password_hash: Option<&str>) -> Result<AccountRow, AccountError>;
    /// Changes an account's role or disables it.
    fn update_account(
        &self,
        name: &AccountName,
        role: Option<Role>,
        disabled: Option<bool>,
    ) -> Result<AccountRow, AccountError>;
    /// Stores a token; refused with `not_found` for an unknown account.
    fn add_token(&self, token: &NewToken) -> Result<TokenRow, AccountError>;
    /// The token with this secret hash and its account, live or not.
    fn token_by_hash(&self, hash: &[u8; 32]) -> Result<Option<(TokenRow, AccountRow)>, StoreError>;
    /// Tokens, of one account or all, newest first, within the window.
    fn tokens(&self, account: Option<&AccountName>, w: &Window<TokenKey>) -> Result<Vec<TokenRow>, StoreError>;
    /// Every token with its secret hash, for copying an installation.
    fn tokens_with_hashes(&self) -> Result<Vec<(TokenRow, [u8; 32])>, StoreError>;
    /// Revokes a token; revoking it again keeps the first revocation time.
    fn revoke_token(&self, id: &str, at: Timestamp) -> Result<TokenRow, AccountError>;
}
