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

-- A row belongs to a transaction written by the same database transaction
-- (or savepoint), never to an old one: both rows carry the same xmin.
CREATE FUNCTION tracelot_lot_document_of_its_transaction() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM lot_documents r JOIN transactions t ON t.seq = r.tx_seq
                   WHERE r.lot_id = NEW.lot_id AND r.tx_seq = NEW.tx_seq AND r.xmin = t.xmin) THEN
        RAISE EXCEPTION 'a lot document belongs to the transaction being written'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER lot_documents_of_their_transaction AFTER INSERT ON lot_documents
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION tracelot_lot_document_of_its_transaction();
CREATE TRIGGER lot_documents_no_truncate BEFORE TRUNCATE ON lot_documents
FOR EACH STATEMENT EXECUTE FUNCTION tracelot_refuse('ledger is append-only: lot documents cannot be truncated');
CREATE TRIGGER documents_no_truncate BEFORE TRUNCATE ON documents
FOR EACH STATEMENT EXECUTE FUNCTION tracelot_refuse('documents cannot be truncated');
