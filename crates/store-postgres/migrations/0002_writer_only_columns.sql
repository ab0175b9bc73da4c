-- Every column that only the writer may change is guarded, so that an edit
-- in place (a lot's expiry moved, a recalled lot marked released) needs the
-- triggers disabled first; `verify` then names the row by replaying the chain.
CREATE TRIGGER lots_details_immutable
BEFORE UPDATE OF produced_on, expires_on, best_before, supplier_lot, attributes, created_seq ON lots
FOR EACH ROW EXECUTE FUNCTION tracelot_refuse('a lot''s dates and details cannot change in place');
CREATE TRIGGER items_immutable BEFORE UPDATE ON items
FOR EACH ROW EXECUTE FUNCTION tracelot_refuse('items cannot be updated in place');
CREATE TRIGGER partners_immutable BEFORE UPDATE ON partners
FOR EACH ROW EXECUTE FUNCTION tracelot_refuse('partners cannot be updated in place');
CREATE TRIGGER locations_all_immutable BEFORE UPDATE ON locations
FOR EACH ROW EXECUTE FUNCTION tracelot_refuse('locations cannot be updated in place');

-- A lot's status is always its latest recorded status change. The writer
-- writes a batch's status changes after its lot updates, so this is
-- checked when the database transaction commits.
CREATE FUNCTION tracelot_status_as_recorded() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM
       (SELECT c.status FROM lot_status_changes c WHERE c.lot_id = NEW.id ORDER BY c.tx_seq DESC LIMIT 1) THEN
        RAISE EXCEPTION 'a lot''s status changes only with a recorded status change'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER lots_status_as_recorded AFTER UPDATE OF status ON lots
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION tracelot_status_as_recorded();
