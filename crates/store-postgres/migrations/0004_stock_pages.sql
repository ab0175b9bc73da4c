-- A location's balances in (item, lot, serial) order: a page of stock
-- seeks here and reads its own rows instead of sorting the location's.
DROP INDEX balances_by_location;
CREATE INDEX balances_by_location ON balances(location_id, item_id, lot_id, serial_id);
