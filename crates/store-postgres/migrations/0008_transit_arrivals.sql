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
