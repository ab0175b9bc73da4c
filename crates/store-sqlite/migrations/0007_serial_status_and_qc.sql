-- tracelot ledger, schema 7: single units can be held, recalled or
-- rejected (a VIN range, one phone), a `qc` role makes quality
-- decisions, and a supplier's lot code finds our lots. A serial's status
-- is its latest recorded change; a serial without changes is released.

CREATE TABLE serial_status_changes (
    serial_id INTEGER NOT NULL REFERENCES serials(id),
    tx_seq    INTEGER NOT NULL REFERENCES transactions(seq),
    status    TEXT    NOT NULL CHECK (status IN ('released', 'on_hold', 'recalled', 'rejected')),
    PRIMARY KEY (serial_id, tx_seq)
) WITHOUT ROWID;
CREATE TRIGGER serial_status_changes_append_only_update BEFORE UPDATE ON serial_status_changes
BEGIN SELECT RAISE(ABORT, 'ledger is append-only: serial status changes cannot be updated'); END;
CREATE TRIGGER serial_status_changes_append_only_delete BEFORE DELETE ON serial_status_changes
BEGIN SELECT RAISE(ABORT, 'ledger is append-only: serial status changes cannot be deleted'); END;
CREATE TRIGGER serial_status_changes_of_the_newest BEFORE INSERT ON serial_status_changes
WHEN NEW.tx_seq IS NOT (SELECT max(seq) FROM transactions)
BEGIN SELECT RAISE(ABORT, 'a serial status change belongs to the transaction being written'); END;

-- SQLite cannot change a CHECK constraint in place: accounts is rebuilt
-- with the same rows (foreign keys are off while migrations run).
CREATE TABLE accounts_v7 (
    name          TEXT    PRIMARY KEY,
    role          TEXT    NOT NULL CHECK (role IN ('viewer', 'operator', 'qc', 'manager', 'admin')),
    password_hash TEXT    CHECK (password_hash IS NULL OR password_hash LIKE '$argon2id$%'),
    created_at    INTEGER NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1))
) WITHOUT ROWID;
INSERT INTO accounts_v7 (name, role, password_hash, created_at, disabled)
    SELECT name, role, password_hash, created_at, disabled FROM accounts;
DROP TABLE accounts;
ALTER TABLE accounts_v7 RENAME TO accounts;
CREATE TRIGGER accounts_no_delete BEFORE DELETE ON accounts
BEGIN SELECT RAISE(ABORT, 'accounts are disabled, not deleted'); END;

CREATE INDEX lots_by_supplier_lot ON lots(supplier_lot) WHERE supplier_lot IS NOT NULL;
