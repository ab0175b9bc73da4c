//! Accounts and tokens in PostgreSQL. Changes are rare, single statements
//! in autocommit on a pooled connection, outside the ledger writer's queue.

use jiff::Timestamp;
use postgres::Row;
use tracelot_core::time::to_micros;
use tracelot_core::{AccountName, DomainError, Role, Rule};
use tracelot_store::{AccountError, AccountRow, Accounts, NewToken, StoreError, TokenKey, TokenKind, TokenRow, Window};

use crate::PgStore;
use crate::db::{Conn, Error, Result};
use crate::rows::{instant, instant_opt, parsed};

const ACCOUNT_COLS: &str = "name, role, created_at, disabled, password_hash IS NOT NULL, password_hash";
const TOKEN_COLS: &str = "id, account, label, kind, created_at, expires_at, revoked_at";

#[expect(clippy::arithmetic_side_effects, reason = "column offsets: a few columns past a small `at`")]
fn account_row(r: &Row, at: usize) -> Result<AccountRow> {
    Ok(AccountRow {
        name: parsed(r, at)?,
        role: parsed(r, at + 1)?,
        created_at: instant(r, at + 2)?,
        disabled: r.try_get(at + 3)?,
        has_password: r.try_get(at + 4)?,
    })
}

#[expect(clippy::arithmetic_side_effects, reason = "column offsets: a few columns past a small `at`")]
fn token_row(r: &Row, at: usize) -> Result<TokenRow> {
    let kind: &str = r.try_get(at + 3)?;
    Ok(TokenRow {
        id: r.try_get(at)?,
        account: parsed(r, at + 1)?,
        label: r.try_get(at + 2)?,
        kind: if kind == "session" { TokenKind::Session } else { TokenKind::Api },
        created_at: instant(r, at + 4)?,
        expires_at: instant_opt(r, at + 5)?,
        revoked_at: instant_opt(r, at + 6)?,
    })
}

fn unknown_account(name: &AccountName) -> AccountError {
    DomainError::at(Rule::NotFound, "account", format!("no account is named {name:?}")).into()
}

fn get_account(c: &mut Conn, name: &AccountName) -> Result<Option<(AccountRow, Option<String>)>> {
    c.query_opt(&format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE name = $1"), &[&name.as_str()])?
        .map(|r| Ok((account_row(&r, 0)?, r.try_get(5)?)))
        .transpose()
}

fn failed(e: Error) -> AccountError {
    AccountError::Storage(e.to_string())
}

/// The account as it is after a change, or `not_found`.
fn account_after(c: &mut Conn, name: &AccountName) -> std::result::Result<AccountRow, AccountError> {
    get_account(c, name).map_err(failed)?.map(|(a, _)| a).ok_or_else(|| unknown_account(name))
}

impl PgStore {
    /// Runs an account change on a pooled connection.
    fn change<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Conn) -> std::result::Result<T, AccountError> + Send + 'static,
    ) -> std::result::Result<T, AccountError> {
        self.pool.run(f).map_err(|e| AccountError::Storage(e.to_string()))?
    }
}

impl Accounts for PgStore {
    fn add_account(
        &self,
        name: &AccountName,
        role: Role,
        password_hash: Option<&str>,
        at: Timestamp,
    ) -> std::result::Result<AccountRow, AccountError> {
        let (name, hash) = (name.clone(), password_hash.map(str::to_owned));
        self.change(move |c| {
            let inserted = c
                .execute(
                    "INSERT INTO accounts (name, role, password_hash, created_at) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (name) DO NOTHING",
                    &[&name.as_str(), &role.as_str(), &hash, &to_micros(at)],
                )
                .map_err(failed)?;
            if inserted == 0 {
                return Err(DomainError::at(Rule::AlreadyExists, "name", format!("account {name:?} exists")).into());
            }
            account_after(c, &name)
        })
    }

    fn accounts(&self, w: &Window<String>) -> std::result::Result<Vec<AccountRow>, StoreError> {
        let (after, limit) = (w.after.clone().unwrap_or_default(), w.sql_limit());
        self.read(move |c| {
            let sql = format!(
                "SELECT {ACCOUNT_COLS} FROM accounts WHERE name COLLATE \"C\" > $1 ORDER BY name COLLATE \"C\" LIMIT $2"
            );
            c.query(&sql, &[&after, &limit])?.iter().map(|r| account_row(r, 0)).collect()
        })
    }

    fn account(&self, name: &AccountName) -> std::result::Result<Option<(AccountRow, Option<String>)>, StoreError> {
        let name = name.clone();
        self.read(move |c| get_account(c, &name))
    }

    fn set_password(
        &self,
        name: &AccountName,
        password_hash: Option<&str>,
    ) -> std::result::Result<AccountRow, AccountError> {
        let (name, hash) = (name.clone(), password_hash.map(str::to_owned));
        self.change(move |c| {
            c.execute("UPDATE accounts SET password_hash = $2 WHERE name = $1", &[&name.as_str(), &hash])
                .map_err(failed)?;
            account_after(c, &name)
        })
    }

    fn update_account(
        &self,
        name: &AccountName,
        role: Option<Role>,
        disabled: Option<bool>,
    ) -> std::result::Result<AccountRow, AccountError> {
        let name = name.clone();
        self.change(move |c| {
            c.execute(
                "UPDATE accounts SET role = coalesce($2, role), disabled = coalesce($3, disabled) WHERE name = $1",
                &[&name.as_str(), &role.map(Role::as_str), &disabled],
            )
            .map_err(failed)?;
            account_after(c, &name)
        })
    }

    fn add_token(&self, t: &NewToken) -> std::result::Result<TokenRow, AccountError> {
        let t = t.clone();
        self.change(move |c| {
            if get_account(c, &t.account).map_err(failed)?.is_none() {
                return Err(unknown_account(&t.account));
            }
            c.execute(
                "INSERT INTO tokens (id, account, label, kind, hash, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &t.id,
                    &t.account.as_str(),
                    &t.label,
                    &t.kind.as_str(),
                    &&t.hash[..],
                    &to_micros(t.created_at),
                    &t.expires_at.map(to_micros),
                ],
            )
            .map_err(failed)?;
            let r = c.query_one(&format!("SELECT {TOKEN_COLS} FROM tokens WHERE id = $1"), &[&t.id]).map_err(failed)?;
            token_row(&r, 0).map_err(failed)
        })
    }

    fn token_by_hash(&self, hash: &[u8; 32]) -> std::result::Result<Option<(TokenRow, AccountRow)>, StoreError> {
        let hash = *hash;
        self.read(move |c| {
            let sql = format!(
                "SELECT t.id, t.account, t.label, t.kind, t.created_at, t.expires_at, t.revoked_at, a.{}
                 FROM tokens t JOIN accounts a ON a.name = t.account WHERE t.hash = $1",
                ACCOUNT_COLS.replace(", ", ", a.")
            );
            c.query_opt(&sql, &[&&hash[..]])?.map(|r| Ok((token_row(&r, 0)?, account_row(&r, 7)?))).transpose()
        })
    }

    fn tokens(
        &self,
        account: Option<&AccountName>,
        w: &Window<TokenKey>,
    ) -> std::result::Result<Vec<TokenRow>, StoreError> {
        let account = account.map(|a| a.as_str().to_owned());
        let (at, id) = w.after.clone().map(|k| (k.0, k.1)).unzip();
        let limit = w.sql_limit();
        self.read(move |c| {
            c.query(
                &format!(
                    "SELECT {TOKEN_COLS} FROM tokens WHERE ($1::text IS NULL OR account = $1)
                       AND ($2::bigint IS NULL OR created_at < $2
                            OR (created_at = $2 AND id COLLATE \"C\" > $3::text COLLATE \"C\"))
                     ORDER BY created_at DESC, id COLLATE \"C\" LIMIT $4"
                ),
                &[&account, &at, &id, &limit],
            )?
            .iter()
            .map(|r| token_row(r, 0))
            .collect()
        })
    }

    fn tokens_with_hashes(&self) -> std::result::Result<Vec<(TokenRow, [u8; 32])>, StoreError> {
        self.read(|c| {
            c.query(&format!("SELECT {TOKEN_COLS}, hash FROM tokens ORDER BY created_at, id COLLATE \"C\""), &[])?
                .iter()
                .map(|r| Ok((token_row(r, 0)?, crate::rows::hash(r, 7)?)))
                .collect()
        })
    }

    fn revoke_token(&self, id: &str, at: Timestamp) -> std::result::Result<TokenRow, AccountError> {
        let id = id.to_owned();
        self.change(move |c| {
            c.execute("UPDATE tokens SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1", &[&id, &to_micros(at)])
                .map_err(failed)?;
            let row = c.query_opt(&format!("SELECT {TOKEN_COLS} FROM tokens WHERE id = $1"), &[&id]).map_err(failed)?;
            match row {
                Some(r) => token_row(&r, 0).map_err(failed),
                None => Err(DomainError::at(Rule::NotFound, "token", format!("no token has id {id:?}")).into()),
            }
        })
    }
}
