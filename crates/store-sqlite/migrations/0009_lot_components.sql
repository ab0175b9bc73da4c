-- tracelot ledger, schema 9: lot-tracked parts (bolts, fluids, adhesive)
-- fitted into a serialized parent, by quantity. Append-only events like
-- assembly_events; a parent holds the installed minus the removed
-- quantity of each component lot, and its genealogy holds the lots.

CREATE TABLE assembly_lot_events (
    seq            INTEGER NOT NULL REFERENCES transactions(seq),
    line           INTEGER NOT NULL,
    parent_item    INTEGER NOT NULL REFERENCES items(id),
    parent_serial  INTEGER NOT NULL REFERENCES serials(id),
    component_item INTEGER NOT NULL REFERENCES items(id),
    component_lot  INTEGER NOT NULL REFERENCES lots(id),
    qty            INTEGER NOT NULL CHECK (qty > 0),
    installed      INTEGER NOT NULL CHECK (installed IN (0, 1)),
    PRIMARY KEY (seq, line)
) WITHOUT ROWID;
CREATE INDEX assembly_lots_by_parent ON assembly_lot_events(parent_item, parent_serial, seq);
CREATE INDEX assembly_lots_by_component ON assembly_lot_events(component_item, component_lot, seq);
CREATE TRIGGER assembly_lot_events_append_only BEFORE UPDATE ON assembly_lot_events
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: assembly events cannot change'); END;
CREATE TRIGGER assembly_lot_events_no_delete BEFORE DELETE ON assembly_lot_events
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: assembly events cannot be deleted'); END;
CREATE TRIGGER assembly_lot_events_only_new BEFORE INSERT ON assembly_lot_events
WHEN NEW.seq IS NOT (SELECT max(seq) FROM transactions)
BEGIN SELECT RAISE(ABORT, 'an assembly event belongs to the transaction being written'); END;
