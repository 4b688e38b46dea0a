-- The reference spread over 10,000 events.
\set event random(2, 10001)
WITH u AS (
    UPDATE events SET booked_seats = booked_seats + 1
    WHERE id = :event AND status = 'scheduled' AND booked_seats + 1 <= capacity
    RETURNING id
)
INSERT INTO bookings (event_id, user_id, seats, source, tier_id, unit_price_cents, currency)
SELECT id, nextval('bench_users'), 1, 'direct', id, 0, 'EUR' FROM u;
