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
