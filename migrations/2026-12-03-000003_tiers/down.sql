ALTER TABLE idempotency_keys DROP COLUMN tier_id;
ALTER TABLE waitlist_entries DROP COLUMN tier_id;
ALTER TABLE bookings DROP COLUMN tier_id, DROP COLUMN unit_price_cents, DROP COLUMN currency;
DROP TABLE tiers;
ALTER TABLE events DROP COLUMN currency;
