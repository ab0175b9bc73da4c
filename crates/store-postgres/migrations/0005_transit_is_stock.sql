-- Stock in transit is our stock: its balances stay at or above zero like
-- a bin's. A transit balance already below zero keeps the old flag, so
-- that `verify` names it for correction.
UPDATE balances SET internal = true
WHERE qty >= 0 AND location_id IN (SELECT id FROM locations WHERE kind = 'transit');
