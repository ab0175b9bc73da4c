-- tracelot ledger, schema 11: documents attached to lots (certificates of
-- analysis, lab reports). Their bytes are stored once, by SHA-256, beside
-- the ledger; the attachment is a ledger transaction naming the hash, so
-- the chain covers the content. Neither changes once written.

CREATE TABLE documents (
    sha256 TEXT    PRIMARY KEY CHECK (length(sha256) = 64),
    size   INTEGER NOT NULL CHECK (size > 0),
    bytes  BLOB    NOT NULL CHECK (length(bytes) = size)
) WITHOUT ROWID;
CREATE TRIGGER documents_immutable BEFORE UPDATE ON documents
BEGIN SELECT RAISE(ABORT, 'documents cannot be changed'); END;
CREATE TRIGGER documents_no_delete BEFORE DELETE ON documents
BEGIN SELECT RAISE(ABORT, 'documents cannot be deleted'); END;

CREATE TABLE lot_documents (
    lot_id     INTEGER NOT NULL REFERENCES lots(id),
    tx_seq     INTEGER NOT NULL REFERENCES transactions(seq),
    kind       TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    media_type TEXT    NOT NULL,
    sha256     TEXT    NOT NULL REFERENCES documents(sha256),
    size       INTEGER NOT NULL,
    result     TEXT,
    PRIMARY KEY (lot_id, tx_seq)
) WITHOUT ROWID;
CREATE TRIGGER lot_documents_append_only_update BEFORE UPDATE ON lot_documents
BEGIN SELECT RAISE(ABORT, 'ledger is append-only: lot documents cannot be updated'); END;
CREATE TRIGGER lot_documents_append_only_delete BEFORE DELETE ON lot_documents
BEGIN SELECT RAISE(ABORT, 'ledger is append-only: lot documents cannot be deleted'); END;
CREATE TRIGGER lot_documents_of_the_newest BEFORE INSERT ON lot_documents
WHEN NEW.tx_seq IS NOT (SELECT max(seq) FROM transactions)
BEGIN SELECT RAISE(ABORT, 'a lot document belongs to the transaction being written'); END;
