-- tracelot ledger, schema 10: packagings of an item (a case of 12, a
-- pallet of 720), each with a GTIN of its own, so that a scanned case
-- books 12. A GTIN names one item or one packaging; the rules check both
-- tables, the database each one.

CREATE TABLE packagings (
    id          INTEGER PRIMARY KEY,
    item_id     INTEGER NOT NULL REFERENCES items(id),
    name        TEXT    NOT NULL,
    gtin        TEXT    NOT NULL UNIQUE CHECK (length(gtin) = 14),
    units       INTEGER NOT NULL CHECK (units > 0),
    created_seq INTEGER NOT NULL REFERENCES transactions(seq),
    UNIQUE (item_id, name)
);
CREATE TRIGGER packagings_immutable BEFORE UPDATE ON packagings
BEGIN SELECT RAISE(ABORT, 'packagings cannot be updated in place'); END;
CREATE TRIGGER packagings_no_delete BEFORE DELETE ON packagings
BEGIN SELECT RAISE(ABORT, 'packagings cannot be deleted'); END;
