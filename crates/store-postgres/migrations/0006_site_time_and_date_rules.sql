-- tracelot ledger, schema 6: each site's time zone (every location keeps
-- its site's, so a rule reads one row), what an item's lot date means
-- (a best-before may ship late with a reason, a hard expiry never), the
-- shelf life an item must have left to ship, how a produced lot's expiry
-- is set, and lot dates that become known when stock arrives.

ALTER TABLE items ADD COLUMN date_rule text NOT NULL DEFAULT 'best_before'
    CHECK (date_rule IN ('best_before', 'hard_expiry'));
ALTER TABLE items ADD COLUMN min_remaining_days bigint CHECK (min_remaining_days >= 0);
ALTER TABLE items ADD COLUMN output_expiry text NOT NULL DEFAULT 'earliest_input'
    CHECK (output_expiry IN ('earliest_input', 'shelf_life'));
ALTER TABLE locations ADD COLUMN time_zone text;

-- A lot's known dates never change in place; an unknown one (NULL) may be
-- filled once, by the writer, when a transaction states it. `verify`
-- replays the chain, so a fill that no transaction made is named.
DROP TRIGGER lots_details_immutable ON lots;
CREATE TRIGGER lots_details_immutable
BEFORE UPDATE OF produced_on, expires_on, best_before, supplier_lot, attributes, created_seq ON lots
FOR EACH ROW WHEN (
       (OLD.produced_on IS NOT NULL AND NEW.produced_on IS DISTINCT FROM OLD.produced_on)
    OR (OLD.expires_on IS NOT NULL AND NEW.expires_on IS DISTINCT FROM OLD.expires_on)
    OR (OLD.best_before IS NOT NULL AND NEW.best_before IS DISTINCT FROM OLD.best_before)
    OR (OLD.supplier_lot IS NOT NULL AND NEW.supplier_lot IS DISTINCT FROM OLD.supplier_lot)
    OR NEW.attributes IS DISTINCT FROM OLD.attributes
    OR NEW.created_seq IS DISTINCT FROM OLD.created_seq)
EXECUTE FUNCTION tracelot_refuse('a lot''s known dates and details cannot change in place');

-- The rules above change what some commands do (a lot defined ahead gets
-- no made-up expiry; later schemas add transit and quarantine steps). A
-- ledger upgraded from schema 5 keeps planning its older transactions, on
-- replay and copy, under the rules they were accepted under: those from
-- this position on follow today's rules.
CREATE TABLE rules_from (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    from_seq BIGINT  NOT NULL CHECK (from_seq >= 1)
);
INSERT INTO rules_from (id, from_seq) SELECT 1, coalesce(max(seq), 0) + 1 FROM transactions;
