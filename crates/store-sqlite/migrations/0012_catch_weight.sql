-- tracelot ledger, schema 12: catch-weight items (cheese wheels, meat
-- cuts: counted in units, sold by weight). An item names its weight unit;
-- each movement line of it may carry its actual weight, in thousandths of
-- that unit, next to its count.

ALTER TABLE items ADD COLUMN catch_weight_uom TEXT;

CREATE TABLE movement_weights (
    tx_seq INTEGER NOT NULL REFERENCES transactions(seq),
    line   INTEGER NOT NULL,
    weight INTEGER NOT NULL CHECK (weight > 0),
    PRIMARY KEY (tx_seq, line)
) WITHOUT ROWID;
CREATE TRIGGER movement_weights_append_only_update BEFORE UPDATE ON movement_weights
BEGIN SELECT RAISE(ABORT, 'ledger is append-only: movement weights cannot be updated'); END;
CREATE TRIGGER movement_weights_append_only_delete BEFORE DELETE ON movement_weights
BEGIN SELECT RAISE(ABORT, 'ledger is append-only: movement weights cannot be deleted'); END;
CREATE TRIGGER movement_weights_of_the_newest BEFORE INSERT ON movement_weights
WHEN NEW.tx_seq IS NOT (SELECT max(seq) FROM transactions)
BEGIN SELECT RAISE(ABORT, 'a movement weight belongs to the transaction being written'); END;
