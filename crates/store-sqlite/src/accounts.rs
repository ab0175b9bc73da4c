//! Accounts and tokens in SQLite. Changes are rare and go through their own
//! connection, outside the ledger writer's queue; reads use the reader pool.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};
use tracelot_core::time::to_micros;
use tracelot_core::{AccountName, DomainError, Role, Rule};
use tracelot_store::{AccountError, AccountRow, Accounts, NewToken, StoreError, TokenKey, TokenKind, TokenRow, Window};

use crate::SqliteStore;
use crate::db;
use crate::rows::{instant, parsed};

const ACCOUNT_COLS: &str = "name, role, created_at, disabled, password_hash IS NOT NULL, password_hash";
const TOKEN_COLS: &str = "id, account, label, kind, created_at, expires_at, revoked_at";

#[expect(clippy::arithmetic_side_effects, reason = "column offsets: a few columns past a small `at`")]
fn account_row(r: &Row, at: usize) -> rusqlite::Result<AccountRow> {
    Ok(AccountRow {
        name: parsed(r, at)?,
        role: parsed(r, at + 1)?,
        created_at: instant(r, at + 2)?,
        disabled: r.get(at + 3)?,
        has_password: r.get(at + 4)?,
    })
}

#[expect(clippy::arithmetic_side_effects, reason = "column offsets: a few columns past a small `at`")]
fn token_row(r: &Row, at: usize) -> rusqlite::Result<TokenRow> {
    let kind: String = r.get(at + 3)?;
    let opt_instant = |i: usize| -> rusqlite::Result<Option<Timestamp>> {
        Ok(r.get::<_, Option<i64>>(i)?.map(tracelot_core::time::from_micros))
    };
    Ok(TokenRow {
        id: r.get(at)?,
        account: parsed(r, at + 1)?,
        label: r.get(at + 2)?,
        kind: if kind == "session" { TokenKind::Session } else { TokenKind::Api },
        created_at: instant(r, at + 4)?,
        expires_at: opt_instant(at + 5)?,
        revoked_at: opt_instant(at + 6)?,
    })
}

fn unknown_account(name: &AccountName) -> AccountError {
    DomainError::at(Rule::NotFound, "account", format!("no account is named {name:?}")).into()
}

fn get_account(c: &Connection, name: &AccountName) -> rusqlite::Result<Option<(AccountRow, Option<String>)>> {
    c.prepare_cached(&format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE name = ?1"))?
        .query_row([name.as_str()], |r| Ok((account_row(r, 0)?, r.get(5)?)))
        .optional()
}

impl SqliteStore {
    /// Runs `f` on the side connection used for account changes.
    fn change<T>(&self, f: impl FnOnce(&Connection) -> Result<T, AccountError>) -> Result<T, AccountError> {
        let mut guard = self.accounts_conn.lock().map_err(|_| AccountError::Storage("poisoned lock".into()))?;
        if guard.is_none() {
            *guard = Some(db::open_side_writer(&self.path)?);
        }
        match guard.as_ref() {
            Some(c) => f(c),
            None => Err(AccountError::Storage("no accounts connection".into())),
        }
    }
}

fn failed(e: rusqlite::Error) -> AccountError {
    AccountError::Storage(e.to_string())
}

impl Accounts for SqliteStore {
    fn add_account(
        &self,
        name: &AccountName,
        role: Role,
        password_hash: Option<&str>,
        at: Timestamp,
    ) -> Result<AccountRow, AccountError> {
        self.change(|c| {
            let inserted = c.execute(
                "INSERT INTO accounts (name, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (name) DO NOTHING",
                params![name.as_str(), role.as_str(), password_hash, to_micros(at)],
            );
            if inserted.map_err(failed)? == 0 {
                return Err(DomainError::at(Rule::AlreadyExists, "name", format!("account {name:?} exists")).into());
            }
            get_account(c, name).map_err(failed)?.map(|(a, _)| a).ok_or_else(|| unknown_account(name))
        })
    }

    fn accounts(&self, w: &Window<String>) -> Result<Vec<AccountRow>, StoreError> {
        self.read(|c| {
            c.prepare_cached(&format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE name > ?1 ORDER BY name LIMIT ?2"))?
                .query_map(params![w.after.as_deref().unwrap_or(""), w.sql_limit()], |r| account_row(r, 0))?
                .collect()
        })
    }

    fn account(&self, name: &AccountName) -> Result<Option<(AccountRow, Option<String>)>, StoreError> {
        self.read(|c| get_account(c, name))
    }

    fn set_password(&self, name: &AccountName, password_hash: Option<&str>) -> Result<AccountRow, AccountError> {
        self.change(|c| {
            c.execute("UPDATE accounts SET password_hash = ?2 WHERE name = ?1", params![name.as_str(), password_hash])
                .map_err(failed)?;
            get_account(c, name).map_err(failed)?.map(|(a, _)| a).ok_or_else(|| unknown_account(name))
        })
    }

    fn update_account(
        &self,
        name: &AccountName,
        role: Option<Role>,
        disabled: Option<bool>,
    ) -> Result<AccountRow, AccountError> {
        self.change(|c| {
            c.execute(
                "UPDATE accounts SET role = coalesce(?2, role), disabled = coalesce(?3, disabled) WHERE name = ?1",
                params![name.as_str(), role.map(Role::as_str), disabled],
            )
            .map_err(failed)?;
            get_account(c, name).map_err(failed)?.map(|(a, _)| a).ok_or_else(|| unknown_account(name))
        })
    }

    fn add_token(&self, t: &NewToken) -> Result<TokenRow, AccountError> {
        self.change(|c| {
            if get_account(c, &t.account).map_err(failed)?.is_none() {
                return Err(unknown_account(&t.account));
            }
            c.execute(
                "INSERT INTO tokens (id, account, label, kind, hash, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    t.id,
                    t.account.as_str(),
                    t.label,
                    t.kind.as_str(),
                    &t.hash[..],
                    to_micros(t.created_at),
                    t.expires_at.map(to_micros)
                ],
            )
            .map_err(failed)?;
            c.query_row(&format!("SELECT {TOKEN_COLS} FROM tokens WHERE id = ?1"), [&t.id], |r| token_row(r, 0))
                .map_err(failed)
        })
    }

    fn token_by_hash(&self, hash: &[u8; 32]) -> Result<Option<(TokenRow, AccountRow)>, StoreError> {
        self.read(|c| {
            c.prepare_cached(&format!(
                "SELECT t.id, t.account, t.label, t.kind, t.created_at, t.expires_at, t.revoked_at,
                        a.{}
                 FROM tokens t JOIN accounts a ON a.name = t.account WHERE t.hash = ?1",
                ACCOUNT_COLS.replace(", ", ", a.")
            ))?
            .query_row([&hash[..]], |r| Ok((token_row(r, 0)?, account_row(r, 7)?)))
            .optional()
        })
    }

    fn tokens(&self, account: Option<&AccountName>, w: &Window<TokenKey>) -> Result<Vec<TokenRow>, StoreError> {
        let (at, id) = w.after.as_ref().map(|k| (k.0, k.1.as_str())).unzip();
        self.read(|c| {
            c.prepare_cached(&format!(
                "SELECT {TOKEN_COLS} FROM tokens WHERE (?1 IS NULL OR account = ?1)
                   AND (?2 IS NULL OR created_at < ?2 OR (created_at = ?2 AND id > ?3))
                 ORDER BY created_at DESC, id LIMIT ?4"
            ))?
            .query_map(params![account.map(|a| a.as_str()), at, id, w.sql_limit()], |r| token_row(r, 0))?
            .collect()
        })
    }

    fn tokens_with_hashes(&self) -> Result<Vec<(TokenRow, [u8; 32])>, StoreError> {
        self.read(|c| {
            c.prepare_cached(&format!("SELECT {TOKEN_COLS}, hash FROM tokens ORDER BY created_at, id"))?
                .query_map([], |r| {
                    let hash: Vec<u8> = r.get(7)?;
                    let hash = hash.try_into().map_err(|_| {
                        rusqlite::Error::InvalidColumnType(7, "hash".into(), rusqlite::types::Type::Blob)
                    })?;
                    Ok((token_row(r, 0)?, hash))
                })?
                .collect()
        })
    }

    fn revoke_token(&self, id: &str, at: Timestamp) -> Result<TokenRow, AccountError> {
        self.change(|c| {
            c.execute(
                "UPDATE tokens SET revoked_at = coalesce(revoked_at, ?2) WHERE id = ?1",
                params![id, to_micros(at)],
            )
            .map_err(failed)?;
            c.query_row(&format!("SELECT {TOKEN_COLS} FROM tokens WHERE id = ?1"), [id], |r| token_row(r, 0))
                .optional()
                .map_err(failed)?
                .ok_or_else(|| DomainError::at(Rule::NotFound, "token", format!("no token has id {id:?}")).into())
        })
    }
}

#[cfg(test)]
// Tests: an overflow or a panic is a failed test.
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::SqliteOptions;

    #[test]
    fn accounts_and_tokens_round_trip_and_refuse_duplicates() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::init(&dir.path().join("a.db"), SqliteOptions::default()).expect("init");
        let alice = AccountName::parse("alice").expect("name");
        let now = Timestamp::now();
        let hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA";
        let a = store.add_account(&alice, Role::Operator, Some(hash), now).expect("add");
        assert!(a.has_password && !a.disabled && a.role == Role::Operator);
        let again = store.add_account(&alice, Role::Admin, None, now).expect_err("duplicate");
        assert!(matches!(again, AccountError::Refused(ref d) if d.rule == Rule::AlreadyExists), "{again:?}");
        let bogus = store.set_password(&alice, Some("plaintext")).expect_err("not argon2id");
        assert!(matches!(bogus, AccountError::Storage(_)), "the CHECK refuses a non-Argon2id hash");

        let token = NewToken {
            id: "tk_1".into(),
            account: alice.clone(),
            label: "ci".into(),
            kind: TokenKind::Api,
            hash: [7; 32],
            created_at: now,
            expires_at: None,
        };
        store.add_token(&token).expect("token");
        let (t, acct) = store.token_by_hash(&[7; 32]).expect("query").expect("found");
        assert_eq!((t.id.as_str(), acct.name.as_str()), ("tk_1", "alice"));
        assert!(t.is_live(now));
        let nobody = NewToken { account: AccountName::parse("bob").expect("name"), id: "tk_2".into(), ..token };
        assert!(matches!(store.add_token(&nobody), Err(AccountError::Refused(d)) if d.rule == Rule::NotFound));

        let revoked = store.revoke_token("tk_1", now).expect("revoke");
        assert!(!revoked.is_live(now));
        let later = store.revoke_token("tk_1", Timestamp::now()).expect("revoke again");
        assert_eq!(later.revoked_at, revoked.revoked_at, "the first revocation time stays");
        let disabled = store.update_account(&alice, None, Some(true)).expect("disable");
        assert!(disabled.disabled && disabled.role == Role::Operator);
        assert_eq!(store.accounts(&Window::all()).expect("list").len(), 1);
        assert_eq!(store.tokens(Some(&alice), &Window::all()).expect("tokens").len(), 1);
    }
}
