-- tracelot ledger, schema 3: quarantine locations (our stock, never shipped
-- from; where recalled lots may still go) and customers' required shelf life.
-- SQLite cannot change a CHECK constraint in place, so locations is rebuilt
-- with the same rows and ids.

CREATE TABLE locations_v3 (
    id          INTEGER PRIMARY KEY,
    path        TEXT    NOT NULL UNIQUE,
    kind        TEXT    NOT NULL CHECK (kind IN ('internal', 'supplier', 'customer', 'production', 'adjustment', 'scrap', 'transit', 'quarantine')),
    parent_id   INTEGER REFERENCES locations(id),
    created_seq INTEGER NOT NULL REFERENCES transactions(seq)
);
INSERT INTO locations_v3 (id, path, kind, parent_id, created_seq)
    SELECT id, path, kind, parent_id, created_seq FROM locations;
DROP TABLE locations;
ALTER TABLE locations_v3 RENAME TO locations;

CREATE TRIGGER locations_no_delete BEFORE DELETE ON locations
BEGIN SELECT RAISE(ABORT, 'locations cannot be deleted'); END;
CREATE TRIGGER locations_immutable BEFORE UPDATE OF path, kind ON locations
BEGIN SELECT RAISE(ABORT, 'a location''s path and kind cannot change'); END;

ALTER TABLE partners ADD COLUMN min_shelf_life_days INTEGER CHECK (min_shelf_life_days >= 0);
