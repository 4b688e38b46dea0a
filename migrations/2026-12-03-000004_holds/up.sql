-- Holds: seats reserved while a buyer pays, with a timer that cannot be extended. Held
-- seats are counted from the active, unexpired holds themselves, under the event's lock.
ALTER TABLE events
    ADD COLUMN hold_ttl_seconds INTEGER NOT NULL DEFAULT 600 CHECK (hold_ttl_seconds BETWEEN 5 AND 3600),
    ADD COLUMN waitlist_promotion TEXT NOT NULL DEFAULT 'book' CHECK (waitlist_promotion IN ('book', 'offer'));

ALTER TABLE bookings DROP CONSTRAINT bookings_source_check,
    ADD CONSTRAINT bookings_source_check CHECK (source IN ('direct', 'waitlist', 'hold')),
    ADD COLUMN payment_reference TEXT CHECK (char_length(payment_reference) BETWEEN 1 AND 200);

CREATE TABLE holds (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id         BIGINT      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    user_id          BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tier_id          BIGINT      NOT NULL REFERENCES tiers (id) ON DELETE CASCADE,
    seats            INTEGER     NOT NULL CHECK (seats BETWEEN 1 AND 100),
    status           TEXT        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'confirmed', 'released', 'expired')),
    source           TEXT        NOT NULL CHECK (source IN ('direct', 'waitlist')),
    expires_at       TIMESTAMPTZ NOT NULL,
    booking_id       BIGINT      REFERENCES bookings (id) ON DELETE CASCADE,
    unit_price_cents BIGINT      NOT NULL CHECK (unit_price_cents >= 0),
    currency         TEXT        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT holds_booking_iff_confirmed CHECK ((status = 'confirmed') = (booking_id IS NOT NULL))
);
-- Rule 2: at most one active hold per user and event.
CREATE UNIQUE INDEX holds_one_active_idx ON holds (event_id, user_id) WHERE status = 'active';
CREATE INDEX holds_active_idx ON holds (event_id, tier_id) INCLUDE (seats, expires_at) WHERE status = 'active';
CREATE INDEX holds_expiry_idx ON holds (expires_at) WHERE status = 'active';
CREATE INDEX holds_user_idx ON holds (user_id, created_at DESC, id DESC);

ALTER TABLE waitlist_entries ADD COLUMN hold_id BIGINT REFERENCES holds (id) ON DELETE CASCADE,
    DROP CONSTRAINT waitlist_booking_iff_promoted,
    ADD CONSTRAINT waitlist_promoted_to_booking_or_offer
        CHECK ((status = 'promoted') = (booking_id IS NOT NULL OR hold_id IS NOT NULL));

ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check,
    ADD CONSTRAINT notifications_kind_check CHECK (kind IN ('waitlist_promoted', 'booking_cancelled',
        'event_cancelled', 'event_changed', 'hold_expired', 'waitlist_offer')),
    ADD COLUMN hold_id BIGINT REFERENCES holds (id) ON DELETE CASCADE;

-- Idempotency keys of hold requests: a key space apart from bookings'.
CREATE TABLE hold_keys (
    user_id    BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key        TEXT        NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
    event_id   BIGINT      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    seats      INTEGER     NOT NULL,
    tier_id    BIGINT,
    hold_id    BIGINT      REFERENCES holds (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
CREATE INDEX hold_keys_created_at_idx ON hold_keys (created_at);
