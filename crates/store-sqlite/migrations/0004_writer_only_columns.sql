-- Every column that only the writer may change is guarded, so that an edit
-- in place (a lot's expiry moved, a recalled lot marked released) needs the
-- triggers dropped first; `verify` then names the row by replaying the chain.
CREATE TRIGGER lots_details_immutable
BEFORE UPDATE OF produced_on, expires_on, best_before, supplier_lot, attributes, created_seq ON lots
BEGIN SELECT RAISE(ABORT, 'a lot''s dates and details cannot change in place'); END;
-- A lot's status is always its latest recorded status change.
CREATE TRIGGER lots_status_as_recorded BEFORE UPDATE OF status ON lots
WHEN NEW.status IS NOT (SELECT status FROM lot_status_changes WHERE lot_id = NEW.id ORDER BY tx_seq DESC LIMIT 1)
BEGIN SELECT RAISE(ABORT, 'a lot''s status changes only with a recorded status change'); END;
-- A status change belongs to the transaction being written, never to an old one.
CREATE TRIGGER lot_status_changes_of_the_newest BEFORE INSERT ON lot_status_changes
WHEN NEW.tx_seq IS NOT (SELECT max(seq) FROM transactions)
BEGIN SELECT RAISE(ABORT, 'a lot status change belongs to the transaction being written'); END;
CREATE TRIGGER items_immutable BEFORE UPDATE ON items
BEGIN SELECT RAISE(ABORT, 'items cannot be updated in place'); END;
CREATE TRIGGER partners_immutable BEFORE UPDATE ON partners
BEGIN SELECT RAISE(ABORT, 'partners cannot be updated in place'); END;
CREATE TRIGGER locations_all_immutable BEFORE UPDATE ON locations
BEGIN SELECT RAISE(ABORT, 'locations cannot be updated in place'); END;
CREATE TRIGGER assembly_events_only_new BEFORE INSERT ON assembly_events
WHEN NEW.seq IS NOT (SELECT max(seq) FROM transactions)
BEGIN SELECT RAISE(ABORT, 'an assembly event belongs to the transaction being written'); END;
