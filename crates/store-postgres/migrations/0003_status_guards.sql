-- A lot's status is compared with its latest recorded change as the row
-- stands at commit, not as each update left it: a batch that changes one
-- lot twice (hold, then release) commits without being redone.
CREATE OR REPLACE FUNCTION tracelot_status_as_recorded() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT l.status FROM lots l WHERE l.id = NEW.id) IS DISTINCT FROM
       (SELECT c.status FROM lot_status_changes c WHERE c.lot_id = NEW.id ORDER BY c.tx_seq DESC LIMIT 1) THEN
        RAISE EXCEPTION 'a lot''s status changes only with a recorded status change'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;

-- A status change belongs to a transaction written by the same database
-- transaction (or savepoint), never to an old one: both rows then carry
-- the same inserting transaction id.
CREATE FUNCTION tracelot_status_change_of_its_transaction() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM lot_status_changes c JOIN transactions t ON t.seq = c.tx_seq
                   WHERE c.lot_id = NEW.lot_id AND c.tx_seq = NEW.tx_seq AND c.xmin = t.xmin) THEN
        RAISE EXCEPTION 'a lot status change belongs to the transaction being written'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER lot_status_changes_of_their_transaction AFTER INSERT ON lot_status_changes
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION tracelot_status_change_of_its_transaction();
