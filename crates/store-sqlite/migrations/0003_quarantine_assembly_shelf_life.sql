-- tracelot ledger, schema 3: quarantine locations (our stock, never shipped
-- from; where recalled lots may still go), assemblies (serialized components
-- installed in serialized parents) and customers' required shelf life.
-- SQLite cannot change a CHECK constraint in place, so locations is rebuilt
-- with the same rows and ids.

CREATE TABLE locations_v3 (
    id          INTEGER PRIMARY KEY,
    path        TEXT    NOT NULL UNIQUE,
    kind        TEXT    NOT NULL CHECK (kind IN ('internal', 'supplier', 'customer', 'production', 'adjustment', 'scrap', 'transit', 'quarantine', 'assembly')),
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

-- Which parent holds which component: append-only events, one per install
-- or removal; the latest event of a component says where it is installed.
CREATE TABLE assembly_events (
    seq              INTEGER NOT NULL REFERENCES transactions(seq),
    line             INTEGER NOT NULL,
    parent_item      INTEGER NOT NULL REFERENCES items(id),
    parent_serial    INTEGER NOT NULL REFERENCES serials(id),
    component_item   INTEGER NOT NULL REFERENCES items(id),
    component_serial INTEGER NOT NULL REFERENCES serials(id),
    installed        INTEGER NOT NULL CHECK (installed IN (0, 1)),
    PRIMARY KEY (seq, line),
    CHECK (parent_serial <> component_serial)
) WITHOUT ROWID;
CREATE INDEX assembly_by_parent ON assembly_events(parent_item, parent_serial, seq);
CREATE INDEX assembly_by_component ON assembly_events(component_item, component_serial, seq);
CREATE TRIGGER assembly_events_append_only BEFORE UPDATE ON assembly_events
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: assembly events cannot change'); END;
CREATE TRIGGER assembly_events_no_delete BEFORE DELETE ON assembly_events
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: assembly events cannot be deleted'); END;
