//! Who may do what. Roles are ordered: each one can do everything the one
//! below it can. Every way in (API, web) asks [`Role::allows`] with the
//! [`Permission`] an action needs, and a command names its own permission,
//! so the rule lives in one place.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::command::Command;
use crate::error::ValueError;
use crate::ids::{AccountName, UserName};

/// An account's role, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads everything, changes nothing.
    Viewer,
    /// Posts movements: receipts, transfers, shipments, returns, counts...
    Operator,
    /// Also quality decisions: holds and releases of lots and serials, and
    /// releases of stock from quarantine into saleable stock.
    Qc,
    /// Also master data, lot status, recalls and reversals.
    Manager,
    /// Also accounts and tokens.
    Admin,
}

/// What an action needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Reading stock, history, master data.
    Read,
    /// Posting movements of stock.
    Move,
    /// Quality decisions: lot and serial status, release from quarantine.
    Release,
    /// Defining master data, changing lot status, reversing transactions.
    Manage,
    /// Managing accounts and tokens.
    Administer,
}

impl Permission {
    /// The lowest role that has this permission.
    pub fn min_role(self) -> Role {
        match self {
            Permission::Read => Role::Viewer,
            Permission::Move => Role::Operator,
            Permission::Release => Role::Qc,
            Permission::Manage => Role::Manager,
            Permission::Administer => Role::Admin,
        }
    }
}

impl Role {
    /// All roles, lowest first.
    pub const ALL: [Role; 5] = [Role::Viewer, Role::Operator, Role::Qc, Role::Manager, Role::Admin];

    /// Whether this role may do what needs `p`.
    pub fn allows(self, p: Permission) -> bool {
        self >= p.min_role()
    }

    /// The role's name as written in configuration and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Qc => "qc",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| {
            ValueError::new("role", format!("{s:?} is not a role; use viewer, operator, qc, manager or admin"))
        })
    }
}

impl Command {
    /// The permission posting this command needs.
    pub fn permission(&self) -> Permission {
        match self {
            Command::Receive { .. }
            | Command::Transfer { .. }
            | Command::Ship { .. }
            | Command::Return { .. }
            | Command::Adjust { .. }
            | Command::Count { .. }
            | Command::Scrap { .. }
            | Command::Produce { .. }
            | Command::Assemble { .. }
            | Command::Relabel { .. }
            | Command::Arrive { .. } => Permission::Move,
            Command::SetLotStatus { .. }
            | Command::SetSerialStatus { .. }
            | Command::Release { .. }
            | Command::AttachDocument { .. } => Permission::Release,
            Command::DefineItem(_)
            | Command::DefineLocation { .. }
            | Command::DefinePackaging { .. }
            | Command::DefinePartner { .. }
            | Command::DefineLot { .. }
            | Command::CloseRecall { .. }
            | Command::CloseSerialRecall { .. }
            | Command::Reverse { .. } => Permission::Manage,
        }
    }
}

/// The name the ledger records for a transaction posted with an account's
/// token: `ACCOUNT/TOKEN_ID`, so an auditor sees both who and which credential.
pub fn poster(account: &AccountName, token_id: &str) -> Result<UserName, ValueError> {
    UserName::parse(&format!("{account}/{token_id}"))
}

#[cfg(test)]
// Tests: an overflow or a panic is a failed test.
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn roles_include_the_ones_below() {
        assert!(Role::Admin.allows(Permission::Read));
        assert!(Role::Manager.allows(Permission::Move));
        assert!(!Role::Operator.allows(Permission::Manage));
        assert!(!Role::Viewer.allows(Permission::Move));
        assert!(!Role::Manager.allows(Permission::Administer));
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().ok(), Some(r));
        }
        assert_eq!("root".parse::<Role>().map_err(|e| e.rule), Err("role"));
    }

    #[test]
    fn the_poster_names_account_and_token() {
        let a = AccountName::parse("alice").expect("name");
        assert_eq!(poster(&a, "tk_0123456789").expect("user").as_str(), "alice/tk_0123456789");
        assert!(AccountName::parse("Alice").is_err());
        assert!(AccountName::parse("a/b").is_err());
    }
}
