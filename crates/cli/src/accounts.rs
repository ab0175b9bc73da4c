//! `user` and `token`: API accounts and tokens, managed from the machine
//! that holds the database. This is how the first admin is made: there is
//! no default account and no default password.

use std::io::BufRead;

use anyhow::{Context, bail};
use jiff::{SignedDuration, Timestamp};
use tracelot_core::{AccountName, DomainError, Role, Rule};
use tracelot_store::Backend;
use tracelot_store::{AccountError, NewToken, TokenKind, Window};

use crate::args::{TokenVerb, UserVerb};
use crate::output::{Out, cell, table};
use crate::requests as rq;

fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok(password)
}

fn refused(e: AccountError) -> anyhow::Error {
    match e {
        AccountError::Refused(d) => d.into(),
        AccountError::Storage(s) => anyhow::anyhow!("storage failure: {s}"),
    }
}

fn role(s: &str) -> anyhow::Result<Role> {
    Ok(rq::field("--role", s, str::parse::<Role>)?)
}

fn name(s: &str) -> anyhow::Result<AccountName> {
    Ok(rq::field("NAME", s, AccountName::parse)?)
}

fn hashed(password_stdin: bool) -> anyhow::Result<Option<String>> {
    if !password_stdin {
        return Ok(None);
    }
    Ok(Some(tracelot_auth::hash_password(&read_password()?)?))
}

/// Runs a `user` verb.
pub fn user(store: &dyn Backend, verb: &UserVerb, out: Out) -> anyhow::Result<()> {
    match verb {
        UserVerb::Add { name: n, role: r, password_stdin } => {
            let (n, r) = (name(n)?, role(r)?);
            let hash = hashed(*password_stdin)?;
            let row = store.add_account(&n, r, hash.as_deref(), Timestamp::now()).map_err(refused)?;
            out.emit(&row, || {
                format!("added {} ({}){}", row.name, row.role, if row.has_password { "" } else { ", tokens only" })
            })
        }
        UserVerb::List => {
            let rows = store.accounts(&Window::all())?;
            out.emit(&rows, || {
                let body = rows
                    .iter()
                    .map(|a| {
                        vec![a.name.to_string(), a.role.to_string(), a.has_password.to_string(), a.disabled.to_string()]
                    })
                    .collect::<Vec<_>>();
                table(&["ACCOUNT", "ROLE", "PASSWORD", "DISABLED"], &body)
            })
        }
        UserVerb::Set { name: n, role: r, password_stdin, disable, enable } => {
            let n = name(n)?;
            let r = r.as_deref().map(role).transpose()?;
            if let Some(h) = hashed(*password_stdin)? {
                store.set_password(&n, Some(&h)).map_err(refused)?;
            }
            let disabled = if *disable {
                Some(true)
            } else if *enable {
                Some(false)
            } else {
                None
            };
            let row = store.update_account(&n, r, disabled).map_err(refused)?;
            out.emit(&row, || format!("{} is {}{}", row.name, row.role, if row.disabled { ", disabled" } else { "" }))
        }
    }
}

/// Runs a `token` verb.
pub fn token(store: &dyn Backend, verb: &TokenVerb, out: Out) -> anyhow::Result<()> {
    match verb {
        TokenVerb::Create { account, label, expires_days, max_days } => {
            let account = name(account)?;
            let days = expires_days.unwrap_or(*max_days);
            if days > *max_days {
                return Err(DomainError::at(
                    Rule::InvalidValue,
                    "expires_days",
                    format!("--expires-days is at most {max_days} (TRACELOT_MAX_TOKEN_DAYS)"),
                )
                .into());
            }
            let issued = tracelot_auth::issue_token()?;
            let now = Timestamp::now();
            let expires_at = now.checked_add(SignedDuration::from_hours(24 * i64::from(days))).ok();
            let row = store
                .add_token(&NewToken {
                    id: issued.id,
                    account,
                    label: label.clone(),
                    kind: TokenKind::Api,
                    hash: issued.hash,
                    created_at: now,
                    expires_at,
                })
                .map_err(refused)?;
            let mut doc = serde_json::to_value(&row)?;
            doc["token"] = serde_json::Value::String(issued.secret.clone());
            out.emit(&doc, || issued.secret.clone())
        }
        TokenVerb::List { account } => {
            let account = account.as_deref().map(name).transpose()?;
            let rows = store.tokens(account.as_ref(), &Window::all())?;
            out.emit(&rows, || {
                let now = Timestamp::now();
                let body = rows
                    .iter()
                    .map(|t| {
                        vec![
                            t.id.clone(),
                            t.account.to_string(),
                            t.label.clone(),
                            cell(&t.expires_at),
                            if t.is_live(now) { "live".into() } else { "dead".into() },
                        ]
                    })
                    .collect::<Vec<_>>();
                table(&["ID", "ACCOUNT", "LABEL", "EXPIRES", "STATE"], &body)
            })
        }
        TokenVerb::Revoke { id } => {
            let row = store.revoke_token(id, Timestamp::now()).map_err(refused)?;
            out.emit(&row, || format!("revoked {}", row.id))
        }
    }
}
