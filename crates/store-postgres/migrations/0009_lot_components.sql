-- tracelot ledger, schema 9: lot-tracked parts (bolts, fluids, adhesive)
-- fitted into a serialized parent, by quantity. Append-only events like
-- assembly_events; a parent holds the installed minus the removed
-- quantity of each component lot, and its genealogy holds the lots.

CREATE TABLE assembly_lot_events (
    seq            bigint  NOT NULL REFERENCES transactions(seq) DEFERRABLE INITIALLY DEFERRED,
    line           bigint  NOT NULL,
    parent_item    bigint  NOT NULL REFERENCES items(id),
    parent_serial  bigint  NOT NULL REFERENCES serials(id) DEFERRABLE INITIALLY DEFERRED,
    component_item bigint  NOT NULL REFERENCES items(id),
    component_lot  bigint  NOT NULL REFERENCES lots(id) DEFERRABLE INITIALLY DEFERRED,
    qty            bigint  NOT NULL CHECK (qty > 0),
    installed      boolean NOT NULL,
    PRIMARY KEY (seq, line)
);
CREATE INDEX assembly_lots_by_parent ON assembly_lot_events(parent_item, parent_serial, seq);
CREATE INDEX assembly_lots_by_component ON assembly_lot_events(component_item, component_lot, seq);
CREATE TRIGGER assembly_lot_events_append_only BEFORE UPDATE OR DELETE ON assembly_lot_events
FOR EACH ROW EXECUTE FUNCTION tracelot_refuse('the ledger is append-only: assembly events cannot change');
CREATE TRIGGER assembly_lot_events_no_truncate BEFORE TRUNCATE ON assembly_lot_events
FOR EACH STATEMENT EXECUTE FUNCTION tracelot_refuse('the ledger is append-only: assembly events cannot be truncated');

-- A row belongs to a transaction written by the same database transaction
-- (or savepoint), never to an old one: both rows carry the same xmin.
CREATE FUNCTION tracelot_lot_part_of_its_transaction() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM assembly_lot_events r JOIN transactions t ON t.seq = r.seq
                   WHERE r.seq = NEW.seq AND r.line = NEW.line AND r.xmin = t.xmin) THEN
        RAISE EXCEPTION 'an assembly event belongs to the transaction being written'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER assembly_lot_events_of_their_transaction AFTER INSERT ON assembly_lot_events
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION tracelot_lot_part_of_its_transaction();
