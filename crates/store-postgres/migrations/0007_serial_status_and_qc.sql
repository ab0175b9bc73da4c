-- tracelot ledger, schema 7: single units can be held, recalled or
-- rejected (a VIN range, one phone), a `qc` role makes quality
-- decisions, and a supplier's lot code finds our lots. A serial's status
-- is its latest recorded change; a serial without changes is released.

CREATE TABLE serial_status_changes (
    serial_id bigint NOT NULL REFERENCES serials(id) DEFERRABLE INITIALLY DEFERRED,
    tx_seq    bigint NOT NULL REFERENCES transactions(seq) DEFERRABLE INITIALLY DEFERRED,
    status    text   NOT NULL CHECK (status IN ('released', 'on_hold', 'recalled', 'rejected')),
    PRIMARY KEY (serial_id, tx_seq)
);
CREATE TRIGGER serial_status_changes_append_only BEFORE UPDATE OR DELETE ON serial_status_changes
FOR EACH ROW EXECUTE FUNCTION tracelot_refuse('ledger is append-only: serial status changes cannot change');

-- A status change belongs to a transaction written by the same database
-- transaction (or savepoint), never to an old one: both rows then carry
-- the same inserting transaction id.
CREATE FUNCTION tracelot_serial_status_of_its_transaction() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM serial_status_changes c JOIN transactions t ON t.seq = c.tx_seq
                   WHERE c.serial_id = NEW.serial_id AND c.tx_seq = NEW.tx_seq AND c.xmin = t.xmin) THEN
        RAISE EXCEPTION 'a serial status change belongs to the transaction being written'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER serial_status_changes_of_their_transaction AFTER INSERT ON serial_status_changes
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION tracelot_serial_status_of_its_transaction();
CREATE TRIGGER serial_status_changes_no_truncate BEFORE TRUNCATE ON serial_status_changes
FOR EACH STATEMENT EXECUTE FUNCTION tracelot_refuse('ledger is append-only: serial status changes cannot be truncated');

ALTER TABLE accounts DROP CONSTRAINT accounts_role_check;
ALTER TABLE accounts ADD CONSTRAINT accounts_role_check
    CHECK (role IN ('viewer', 'operator', 'qc', 'manager', 'admin'));

CREATE INDEX lots_by_supplier_lot ON lots(supplier_lot) WHERE supplier_lot IS NOT NULL;
