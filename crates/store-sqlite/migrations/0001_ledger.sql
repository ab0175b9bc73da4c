-- tracelot ledger, schema 1.
-- Invariants live here, not in application code:
--   * ledger tables (transactions, movements, lot_status_changes) refuse UPDATE and DELETE;
--   * an internal balance never goes below zero (CHECK internal_not_negative);
--   * a serial is held (qty > 0) in at most one location (UNIQUE INDEX serial_in_one_place)
--     and never more than one unit anywhere (CHECK serial_at_most_one);
--   * a serial number exists once per item (UNIQUE serials(item_id, serial));
--   * a transaction id is posted once (UNIQUE transactions.id) and reversed at most once.

CREATE TABLE transactions (
    seq            INTEGER PRIMARY KEY,
    id             BLOB    NOT NULL UNIQUE CHECK (length(id) = 16),
    kind           TEXT    NOT NULL,
    request        TEXT    NOT NULL,
    occurred_at    INTEGER NOT NULL,
    recorded_at    INTEGER NOT NULL,
    user_name      TEXT    NOT NULL,
    reference      TEXT,
    reason         TEXT,
    reverses       INTEGER REFERENCES transactions(seq),
    overrides      TEXT    NOT NULL DEFAULT '[]',
    movement_count INTEGER NOT NULL CHECK (movement_count >= 0),
    -- SHA-256 over the previous transaction's hash and this one's content.
    hash           BLOB    NOT NULL CHECK (length(hash) = 32)
);
-- A transaction is reversed at most once; only reversals are indexed.
CREATE UNIQUE INDEX transactions_reverses ON transactions(reverses) WHERE reverses IS NOT NULL;

CREATE TABLE items (
    id              INTEGER PRIMARY KEY,
    sku             TEXT    NOT NULL UNIQUE,
    name            TEXT    NOT NULL,
    tracking        TEXT    NOT NULL CHECK (tracking IN ('none', 'lot', 'serial', 'lot_serial')),
    gtin            TEXT    UNIQUE CHECK (gtin IS NULL OR length(gtin) = 14),
    uom             TEXT    NOT NULL,
    scale           INTEGER NOT NULL CHECK (scale BETWEEN 0 AND 9),
    shelf_life_days INTEGER CHECK (shelf_life_days >= 0),
    warranty_months INTEGER CHECK (warranty_months >= 0),
    serial_kind     TEXT    NOT NULL CHECK (serial_kind IN ('free', 'vin')),
    serial_pattern  TEXT,
    created_seq     INTEGER NOT NULL REFERENCES transactions(seq)
);

CREATE TABLE locations (
    id          INTEGER PRIMARY KEY,
    path        TEXT    NOT NULL UNIQUE,
    kind        TEXT    NOT NULL CHECK (kind IN ('internal', 'supplier', 'customer', 'production', 'adjustment', 'scrap', 'transit')),
    parent_id   INTEGER REFERENCES locations(id),
    created_seq INTEGER NOT NULL REFERENCES transactions(seq)
);

CREATE TABLE partners (
    id          INTEGER PRIMARY KEY,
    code        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('supplier', 'customer')),
    location_id INTEGER NOT NULL UNIQUE REFERENCES locations(id),
    created_seq INTEGER NOT NULL REFERENCES transactions(seq)
);

CREATE TABLE lots (
    id           INTEGER PRIMARY KEY,
    item_id      INTEGER NOT NULL REFERENCES items(id),
    code         TEXT    NOT NULL,
    produced_on  TEXT,
    expires_on   TEXT,
    best_before  TEXT,
    supplier_lot TEXT,
    attributes   TEXT    NOT NULL DEFAULT '{}',
    status       TEXT    NOT NULL CHECK (status IN ('released', 'quarantine', 'on_hold', 'recalled', 'rejected')),
    created_seq  INTEGER NOT NULL REFERENCES transactions(seq),
    UNIQUE (item_id, code)
);
CREATE INDEX lots_by_ship_by ON lots(coalesce(expires_on, best_before));

CREATE TABLE lot_status_changes (
    lot_id INTEGER NOT NULL REFERENCES lots(id),
    tx_seq INTEGER NOT NULL REFERENCES transactions(seq),
    status TEXT    NOT NULL,
    PRIMARY KEY (lot_id, tx_seq)
) WITHOUT ROWID;

CREATE TABLE serials (
    id          INTEGER PRIMARY KEY,
    item_id     INTEGER NOT NULL REFERENCES items(id),
    serial      TEXT    NOT NULL,
    lot_id      INTEGER REFERENCES lots(id),
    created_seq INTEGER NOT NULL REFERENCES transactions(seq),
    UNIQUE (item_id, serial)
);

CREATE TABLE serial_counters (
    item_id INTEGER PRIMARY KEY REFERENCES items(id),
    next    INTEGER NOT NULL CHECK (next >= 0)
);

-- lot_id and serial_id are 0 for "none" so that they can be part of keys.
CREATE TABLE movements (
    tx_seq      INTEGER NOT NULL REFERENCES transactions(seq),
    line        INTEGER NOT NULL,
    item_id     INTEGER NOT NULL REFERENCES items(id),
    lot_id      INTEGER NOT NULL,
    serial_id   INTEGER NOT NULL,
    from_id     INTEGER NOT NULL REFERENCES locations(id),
    to_id       INTEGER NOT NULL REFERENCES locations(id),
    qty         INTEGER NOT NULL CHECK (qty > 0),
    occurred_at INTEGER NOT NULL,
    PRIMARY KEY (tx_seq, line),
    CHECK (from_id <> to_id)
) WITHOUT ROWID;
CREATE INDEX movements_by_item_lot ON movements(item_id, lot_id, tx_seq);
CREATE INDEX movements_by_serial ON movements(serial_id, tx_seq) WHERE serial_id <> 0;

CREATE TABLE balances (
    item_id     INTEGER NOT NULL,
    lot_id      INTEGER NOT NULL,
    serial_id   INTEGER NOT NULL,
    location_id INTEGER NOT NULL,
    internal    INTEGER NOT NULL CHECK (internal IN (0, 1)),
    qty         INTEGER NOT NULL,
    PRIMARY KEY (item_id, lot_id, serial_id, location_id),
    CONSTRAINT internal_not_negative CHECK (internal = 0 OR qty >= 0),
    CONSTRAINT serial_at_most_one CHECK (serial_id = 0 OR qty BETWEEN -1 AND 1)
) WITHOUT ROWID;
CREATE UNIQUE INDEX serial_in_one_place ON balances(item_id, serial_id) WHERE serial_id <> 0 AND qty > 0;
CREATE INDEX balances_by_location ON balances(location_id);

CREATE TRIGGER transactions_append_only_update BEFORE UPDATE ON transactions
BEGIN SELECT RAISE(ABORT, 'ledger is append-only: transactions cannot be updated'); END;
CREATE TRIGGER transactions_append_only_delete BEFORE DELETE ON transactions
BEGIN SELECT RAISE(ABORT, 'ledger is append-only: transactions cannot be deleted'); END;
CREATE TRIGGER movements_append_only_update BEFORE UPDATE ON movements
BEGIN SELECT RAISE(ABORT, 'ledger is append-only: movements cannot be updated'); END;
CREATE TRIGGER movements_append_only_delete BEFORE DELETE ON movements
BEGIN SELECT RAISE(ABORT, 'ledger is append-only: movements cannot be deleted'); END;
CREATE TRIGGER lot_status_changes_append_only_update BEFORE UPDATE ON lot_status_changes
BEGIN SELECT RAISE(ABORT, 'ledger is append-only: lot status changes cannot be updated'); END;
CREATE TRIGGER lot_status_changes_append_only_delete BEFORE DELETE ON lot_status_changes
BEGIN SELECT RAISE(ABORT, 'ledger is append-only: lot status changes cannot be deleted'); END;
-- Identities that the chain and the balances depend on never change.
CREATE TRIGGER serials_immutable BEFORE UPDATE ON serials
BEGIN SELECT RAISE(ABORT, 'serials cannot be updated'); END;
CREATE TRIGGER serials_no_delete BEFORE DELETE ON serials
BEGIN SELECT RAISE(ABORT, 'serials cannot be deleted'); END;
-- Nothing the ledger refers to can be deleted.
CREATE TRIGGER items_no_delete BEFORE DELETE ON items
BEGIN SELECT RAISE(ABORT, 'items cannot be deleted'); END;
CREATE TRIGGER locations_no_delete BEFORE DELETE ON locations
BEGIN SELECT RAISE(ABORT, 'locations cannot be deleted'); END;
CREATE TRIGGER lots_no_delete BEFORE DELETE ON lots
BEGIN SELECT RAISE(ABORT, 'lots cannot be deleted'); END;
CREATE TRIGGER partners_no_delete BEFORE DELETE ON partners
BEGIN SELECT RAISE(ABORT, 'partners cannot be deleted'); END;
CREATE TRIGGER items_key_immutable BEFORE UPDATE OF sku, tracking, scale ON items
BEGIN SELECT RAISE(ABORT, 'an item''s sku, tracking and scale cannot change'); END;
CREATE TRIGGER locations_immutable BEFORE UPDATE OF path, kind ON locations
BEGIN SELECT RAISE(ABORT, 'a location''s path and kind cannot change'); END;
CREATE TRIGGER lots_code_immutable BEFORE UPDATE OF item_id, code ON lots
BEGIN SELECT RAISE(ABORT, 'a lot''s item and code cannot change'); END;
