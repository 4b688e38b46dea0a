-- Evently's schema. Constraints back the booking rules of the API contract; every
-- query the API makes has an index.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          TEXT        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    email         TEXT        NOT NULL CHECK (email = lower(email) AND char_length(email) <= 254),
    password_hash TEXT        NOT NULL,
    role          TEXT        NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (email);

CREATE TABLE events (
    id                    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                  TEXT        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    venue                 TEXT        NOT NULL CHECK (char_length(venue) BETWEEN 1 AND 200),
    description           TEXT        NOT NULL DEFAULT '' CHECK (char_length(description) <= 5000),
    starts_at             TIMESTAMPTZ NOT NULL,
    capacity              INTEGER     NOT NULL CHECK (capacity BETWEEN 1 AND 1000000),
    max_seats_per_booking INTEGER     NOT NULL DEFAULT 10 CHECK (max_seats_per_booking BETWEEN 1 AND 100),
    -- Rule 1: kept in the row, changed only under the row's lock.
    booked_seats          INTEGER     NOT NULL DEFAULT 0,
    status                TEXT        NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT events_booked_within_capacity CHECK (booked_seats BETWEEN 0 AND capacity)
);
CREATE INDEX events_starts_at_idx ON events (starts_at, id);
CREATE INDEX events_status_starts_at_idx ON events (status, starts_at, id);
CREATE INDEX events_name_trgm_idx ON events USING gin (lower(name) gin_trgm_ops);
CREATE INDEX events_venue_trgm_idx ON events USING gin (lower(venue) gin_trgm_ops);

CREATE TABLE bookings (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     BIGINT      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    user_id      BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    seats        INTEGER     NOT NULL CHECK (seats BETWEEN 1 AND 100),
    status       TEXT        NOT NULL DEFAULT 'confirmed' CHECK (status IN ('confirmed', 'cancelled')),
    source       TEXT        NOT NULL CHECK (source IN ('direct', 'waitlist')),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    cancelled_at TIMESTAMPTZ,
    CONSTRAINT bookings_cancelled_at_iff_cancelled CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL))
);
-- Rule 2: one confirmed booking per user and event.
CREATE UNIQUE INDEX bookings_one_confirmed_idx ON bookings (event_id, user_id) WHERE status = 'confirmed';
CREATE INDEX bookings_user_idx ON bookings (user_id, created_at DESC, id DESC);
CREATE INDEX bookings_event_idx ON bookings (event_id, status);

CREATE TABLE waitlist_entries (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id   BIGINT      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    user_id    BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    seats      INTEGER     NOT NULL CHECK (seats BETWEEN 1 AND 100),
    status     TEXT        NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'promoted', 'left', 'cancelled')),
    booking_id BIGINT      REFERENCES bookings (id) ON DELETE CASCADE,
    -- The clock at insert time (taken under the event's lock), so queue order is join order.
    joined_at  TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT waitlist_booking_iff_promoted CHECK ((status = 'promoted') = (booking_id IS NOT NULL))
);
-- Rule 2: one waiting entry per user and event. Positions are derived from this index.
CREATE UNIQUE INDEX waitlist_one_waiting_idx ON waitlist_entries (event_id, user_id) WHERE status = 'waiting';
CREATE INDEX waitlist_queue_idx ON waitlist_entries (event_id, joined_at, id) WHERE status = 'waiting';
CREATE INDEX waitlist_user_idx ON waitlist_entries (user_id, joined_at DESC, id DESC);

CREATE TABLE notifications (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT        NOT NULL CHECK (kind IN ('waitlist_promoted', 'booking_cancelled', 'event_cancelled', 'event_changed')),
    event_id   BIGINT      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    booking_id BIGINT      REFERENCES bookings (id) ON DELETE CASCADE,
    message    TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC, id DESC);

-- Idempotency-Key of booking requests, written in the booking's own transaction.
CREATE TABLE idempotency_keys (
    user_id    BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key        TEXT        NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
    event_id   BIGINT      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    seats      INTEGER     NOT NULL,
    booking_id BIGINT      REFERENCES bookings (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);
