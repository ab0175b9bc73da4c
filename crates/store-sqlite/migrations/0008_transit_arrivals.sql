-- tracelot ledger, schema 8: a transfer between sites goes out to transit
-- and arrives from it. Each dispatch arrives once; the arrival is the
-- transaction that took its stock out of transit.

CREATE TABLE arrivals (
    dispatch_seq INTEGER PRIMARY KEY REFERENCES transactions(seq),
    arrival_seq  INTEGER NOT NULL UNIQUE REFERENCES transactions(seq),
    CHECK (arrival_seq > dispatch_seq)
);
CREATE TRIGGER arrivals_append_only_update BEFORE UPDATE ON arrivals
BEGIN SELECT RAISE(ABORT, 'ledger is append-only: arrivals cannot be updated'); END;
CREATE TRIGGER arrivals_append_only_delete BEFORE DELETE ON arrivals
BEGIN SELECT RAISE(ABORT, 'ledger is append-only: arrivals cannot be deleted'); END;
CREATE TRIGGER arrivals_of_the_newest BEFORE INSERT ON arrivals
WHEN NEW.arrival_seq IS NOT (SELECT max(seq) FROM transactions)
BEGIN SELECT RAISE(ABORT, 'an arrival belongs to the transaction being written'); END;
