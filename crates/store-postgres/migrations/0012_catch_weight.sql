-- tracelot ledger, schema 12: catch-weight items (cheese wheels, meat
-- cuts: counted in units, sold by weight). An item names its weight unit;
-- each movement line of it may carry its actual weight, in thousandths of
-- that unit, next to its count.

ALTER TABLE items ADD COLUMN catch_weight_uom text;

CREATE TABLE movement_weights (
    tx_seq bigint NOT NULL REFERENCES transactions(seq) DEFERRABLE INITIALLY DEFERRED,
    line   bigint NOT NULL,
    weight bigint NOT NULL CHECK (weight > 0),
    PRIMARY KEY (tx_seq, line)
);
CREATE TRIGGER movement_weights_append_only BEFORE UPDATE OR DELETE ON movement_weights
FOR EACH ROW EXECUTE FUNCTION tracelot_refuse('ledger is append-only: movement weights cannot change');

-- A row belongs to a transaction written by the same database transaction
-- (or savepoint), never to an old one: both rows carry the same xmin.
CREATE FUNCTION tracelot_weight_of_its_transaction() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM movement_weights r JOIN transactions t ON t.seq = r.tx_seq
                   WHERE r.tx_seq = NEW.tx_seq AND r.line = NEW.line AND r.xmin = t.xmin) THEN
        RAISE EXCEPTION 'a movement weight belongs to the transaction being written'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER movement_weights_of_their_transaction AFTER INSERT ON movement_weights
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION tracelot_weight_of_its_transaction();
CREATE TRIGGER movement_weights_no_truncate BEFORE TRUNCATE ON movement_weights
FOR EACH STATEMENT EXECUTE FUNCTION tracelot_refuse('ledger is append-only: movement weights cannot be truncated');
