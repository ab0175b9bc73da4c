-- tracelot accounts, schema 2: who may use the API.
-- Not part of the hash chain: accounts are configuration. The ledger's
-- user_name column records ACCOUNT/TOKEN_ID for everything posted through
-- the API, so the audit trail names the credential without joining here.

CREATE TABLE accounts (
    name          TEXT    PRIMARY KEY,
    role          TEXT    NOT NULL CHECK (role IN ('viewer', 'operator', 'manager', 'admin')),
    -- Argon2id PHC string; NULL means the account logs in with tokens only.
    password_hash TEXT    CHECK (password_hash IS NULL OR password_hash LIKE '$argon2id$%'),
    created_at    INTEGER NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1))
) WITHOUT ROWID;

CREATE TABLE tokens (
    id         TEXT    PRIMARY KEY,
    account    TEXT    NOT NULL REFERENCES accounts(name),
    label      TEXT    NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('api', 'session')),
    -- SHA-256 of the secret; the secret itself is never stored.
    hash       BLOB    NOT NULL UNIQUE CHECK (length(hash) = 32),
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    revoked_at INTEGER
);
CREATE INDEX tokens_by_account ON tokens(account);

-- Accounts are disabled, never deleted, so tokens and the ledger keep naming them.
CREATE TRIGGER accounts_no_delete BEFORE DELETE ON accounts
BEGIN SELECT RAISE(ABORT, 'accounts are disabled, not deleted'); END;
