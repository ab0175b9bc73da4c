-- tracelot ledger, schema 11: documents attached to lots (certificates of
-- analysis, lab reports). Their bytes are stored once, by SHA-256, beside
-- the ledger; the attachment is a ledger transaction naming the hash, so
-- the chain covers the content. Neither changes once written.

CREATE TABLE documents (
    sha256 text   PRIMARY KEY CHECK (length(sha256) = 64),
    size   bigint NOT NULL CHECK (size > 0),
    bytes  bytea  NOT NULL CHECK (length(bytes) = size)
);
CREATE TRIGGER documents_immutable BEFORE UPDATE OR DELETE ON documents
FOR EACH ROW EXECUTE FUNCTION tracelot_refuse('documents cannot be changed');

CREATE TABLE lot_documents (
    lot_id     bigint NOT NULL REFERENCES lots(id) DEFERRABLE INITIALLY DEFERRED,
    tx_seq     bigint NOT NULL REFERENCES transactions(seq) DEFERRABLE INITIALLY DEFERRED,
    kind       text   NOT NULL,
    name       text   NOT NULL,
    media_type text   NOT NULL,
    sha256     text   NOT NULL REFERENCES documents(sha256),
    size       bigint NOT NULL,
    result     text,
    PRIMARY KEY (lot_id, tx_seq)
);
CREATE TRIGGER lot_documents_append_only BEFORE UPDATE OR DELETE ON lot_documents
FOR EACH ROW EXECUTE FUNCTION tracelot_refuse('ledger is append-only: lot documents cannot change');
