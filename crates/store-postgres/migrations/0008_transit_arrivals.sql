-- tracelot ledger, schema 8: a transfer between sites goes out to transit
-- and arrives from it. Each dispatch arrives once; the arrival is the
-- transaction that took its stock out of transit.

CREATE TABLE arrivals (
    dispatch_seq bigint PRIMARY KEY REFERENCES transactions(seq) DEFERRABLE INITIALLY DEFERRED,
    arrival_seq  bigint NOT NULL UNIQUE REFERENCES transactions(seq) DEFERRABLE INITIALLY DEFERRED,
    CHECK (arrival_seq > dispatch_seq)
);
CREATE TRIGGER arrivals_append_only BEFORE UPDATE OR DELETE ON arrivals
FOR EACH ROW EXECUTE FUNCTION tracelot_refuse('ledger is append-only: arrivals cannot change');
CREATE TRIGGER arrivals_no_truncate BEFORE TRUNCATE ON arrivals
FOR EACH STATEMENT EXECUTE FUNCTION tracelot_refuse('ledger is append-only: arrivals cannot be truncated');

-- A row belongs to a transaction written by the same database transaction
-- (or savepoint), never to an old one: both rows carry the same xmin.
CREATE FUNCTION tracelot_arrival_of_its_transaction() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM arrivals r JOIN transactions t ON t.seq = r.arrival_seq
                   WHERE r.dispatch_seq = NEW.dispatch_seq AND r.xmin = t.xmin) THEN
        RAISE EXCEPTION 'an arrival belongs to the transaction being written'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER arrivals_of_their_transaction AFTER INSERT ON arrivals
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION tracelot_arrival_of_its_transaction();
