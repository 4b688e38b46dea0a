-- Reserved seating. A seated event's plan is kept row by row, in plan order; a row's seats
-- are numbered 1..seats, and a seat is known by its position in plan order (`first` of
-- its row + number - 1). Bookings and holds list their seats; a taken seat has exactly
-- one claim, kept by triggers on the statements that confirm, hold, cancel, release,
-- expire and confirm holds, so no path can forget one. The claims' primary key is what
-- makes it impossible for a seat to be in two confirmed bookings or active holds, whatever
-- a lock or a bug allowed.
ALTER TABLE events ADD COLUMN seated BOOLEAN NOT NULL DEFAULT false;

CREATE TABLE seat_rows (
    event_id BIGINT  NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    position INTEGER NOT NULL CHECK (position >= 0),
    section  TEXT    NOT NULL CHECK (char_length(section) BETWEEN 1 AND 100 AND strpos(section, ':') = 0),
    tier_id  BIGINT  NOT NULL REFERENCES tiers (id) ON DELETE CASCADE,
    label    TEXT    NOT NULL CHECK (char_length(label) BETWEEN 1 AND 20 AND strpos(label, ':') = 0),
    first    INTEGER NOT NULL CHECK (first BETWEEN 0 AND 100000),
    seats    INTEGER NOT NULL CHECK (seats BETWEEN 1 AND 200),
    PRIMARY KEY (event_id, position),
    UNIQUE (event_id, section, label)
);

ALTER TABLE bookings ADD COLUMN seat_numbers INTEGER[], ADD COLUMN seat_labels TEXT[],
    ADD CONSTRAINT bookings_seats_placed CHECK ((seat_numbers IS NULL AND seat_labels IS NULL)
        OR (cardinality(seat_numbers) = seats AND cardinality(seat_labels) = seats));
ALTER TABLE holds ADD COLUMN seat_numbers INTEGER[], ADD COLUMN seat_labels TEXT[],
    ADD CONSTRAINT holds_seats_placed CHECK ((seat_numbers IS NULL AND seat_labels IS NULL)
        OR (cardinality(seat_numbers) = seats AND cardinality(seat_labels) = seats));
ALTER TABLE idempotency_keys ADD COLUMN pick TEXT;
ALTER TABLE hold_keys ADD COLUMN pick TEXT;

CREATE TABLE seat_claims (
    event_id   BIGINT  NOT NULL,
    seat       INTEGER NOT NULL,
    user_id    BIGINT  NOT NULL,
    booking_id BIGINT  REFERENCES bookings (id) ON DELETE CASCADE,
    hold_id    BIGINT  REFERENCES holds (id) ON DELETE CASCADE,
    PRIMARY KEY (event_id, seat),
    CONSTRAINT seat_claims_one_holder CHECK ((booking_id IS NULL) <> (hold_id IS NULL))
);
CREATE INDEX seat_claims_booking_idx ON seat_claims (booking_id) WHERE booking_id IS NOT NULL;
CREATE INDEX seat_claims_hold_idx ON seat_claims (hold_id) WHERE hold_id IS NOT NULL;

-- Confirmed bookings claim their seats. A confirmed hold's seats pass to its booking: the
-- holder's claims on those seats end first.
CREATE FUNCTION claim_booked_seats() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM seat_claims c USING added_bookings b
    WHERE b.status = 'confirmed' AND b.seat_numbers IS NOT NULL AND c.event_id = b.event_id
      AND c.seat = ANY (b.seat_numbers) AND c.hold_id IS NOT NULL AND c.user_id = b.user_id;
    INSERT INTO seat_claims (event_id, seat, user_id, booking_id)
    SELECT b.event_id, s.seat, b.user_id, b.id
    FROM added_bookings b CROSS JOIN unnest(b.seat_numbers) AS s(seat)
    WHERE b.status = 'confirmed';
    RETURN NULL;
END $$;

CREATE FUNCTION release_booked_seats() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM seat_claims c USING changed_bookings n JOIN previous_bookings o ON o.id = n.id
    WHERE o.status = 'confirmed' AND n.status <> 'confirmed' AND n.seat_numbers IS NOT NULL AND c.booking_id = n.id;
    RETURN NULL;
END $$;

CREATE FUNCTION claim_held_seats() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO seat_claims (event_id, seat, user_id, hold_id)
    SELECT h.event_id, s.seat, h.user_id, h.id
    FROM added_holds h CROSS JOIN unnest(h.seat_numbers) AS s(seat)
    WHERE h.status = 'active';
    RETURN NULL;
END $$;

CREATE FUNCTION release_held_seats() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM seat_claims c USING changed_holds n JOIN previous_holds o ON o.id = n.id
    WHERE o.status = 'active' AND n.status <> 'active' AND n.seat_numbers IS NOT NULL AND c.hold_id = n.id;
    RETURN NULL;
END $$;

CREATE TRIGGER bookings_claim_seats AFTER INSERT ON bookings
    REFERENCING NEW TABLE AS added_bookings FOR EACH STATEMENT EXECUTE FUNCTION claim_booked_seats();
CREATE TRIGGER bookings_release_seats AFTER UPDATE ON bookings
    REFERENCING OLD TABLE AS previous_bookings NEW TABLE AS changed_bookings
    FOR EACH STATEMENT EXECUTE FUNCTION release_booked_seats();
CREATE TRIGGER holds_claim_seats AFTER INSERT ON holds
    REFERENCING NEW TABLE AS added_holds FOR EACH STATEMENT EXECUTE FUNCTION claim_held_seats();
CREATE TRIGGER holds_release_seats AFTER UPDATE ON holds
    REFERENCING OLD TABLE AS previous_holds NEW TABLE AS changed_holds
    FOR EACH STATEMENT EXECUTE FUNCTION release_held_seats();

-- Tickets of seated bookings carry their seat.
CREATE OR REPLACE FUNCTION issue_tickets() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tickets (booking_id, user_id, event_id, tier_id, seat_label, issued_at, valid_until)
    SELECT b.id, b.user_id, b.event_id, b.tier_id, b.seat_labels[g.n], date_trunc('second', now()),
           date_trunc('second', e.starts_at + interval '1 day')
    FROM added_bookings b JOIN events e ON e.id = b.event_id CROSS JOIN generate_series(1, b.seats) AS g(n)
    WHERE b.status = 'confirmed'
    ORDER BY b.id, g.n;
    RETURN NULL;
END $$;
