-- Ticket tiers: an event's price categories, each with an optional quota. Every event
-- has at least one; events created before tiers get one free tier holding their seats.
ALTER TABLE events ADD COLUMN currency TEXT NOT NULL DEFAULT 'EUR' CHECK (currency ~ '^[A-Z]{3}$');

CREATE TABLE tiers (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     BIGINT  NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    price_cents  BIGINT  NOT NULL CHECK (price_cents BETWEEN 0 AND 10000000000),
    capacity     INTEGER CHECK (capacity BETWEEN 1 AND 1000000),
    -- Rule 1 per tier: kept in the row, changed only under the event's lock.
    booked_seats INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT tiers_booked_within_quota CHECK (booked_seats >= 0 AND (capacity IS NULL OR booked_seats <= capacity))
);
CREATE UNIQUE INDEX tiers_event_name_key ON tiers (event_id, name);
CREATE INDEX tiers_event_idx ON tiers (event_id, id);

INSERT INTO tiers (event_id, name, price_cents, capacity, booked_seats)
SELECT id, 'General admission', 0, NULL, CASE WHEN status = 'cancelled' THEN 0 ELSE booked_seats END FROM events ORDER BY id;

ALTER TABLE bookings
    ADD COLUMN tier_id BIGINT REFERENCES tiers (id) ON DELETE CASCADE,
    ADD COLUMN unit_price_cents BIGINT NOT NULL DEFAULT 0 CHECK (unit_price_cents >= 0),
    ADD COLUMN currency TEXT NOT NULL DEFAULT 'EUR' CHECK (currency ~ '^[A-Z]{3}$');
UPDATE bookings b SET tier_id = t.id FROM tiers t WHERE t.event_id = b.event_id;
ALTER TABLE bookings ALTER COLUMN tier_id SET NOT NULL,
    ALTER COLUMN unit_price_cents DROP DEFAULT, ALTER COLUMN currency DROP DEFAULT;
CREATE INDEX bookings_tier_idx ON bookings (tier_id) WHERE status = 'confirmed';

ALTER TABLE waitlist_entries ADD COLUMN tier_id BIGINT REFERENCES tiers (id) ON DELETE CASCADE;
UPDATE waitlist_entries w SET tier_id = t.id FROM tiers t WHERE t.event_id = w.event_id;
ALTER TABLE waitlist_entries ALTER COLUMN tier_id SET NOT NULL;

-- A key's request now names its tier as well (`NULL`: the event's first tier).
ALTER TABLE idempotency_keys ADD COLUMN tier_id BIGINT;
