-- The transaction Evently runs for one booking with group commit off
-- (crates/evently-infra/src/postgres/{inventory,direct}.rs), round trip for round trip:
-- BEGIN; then the row lock, the expiry of the event's lapsed holds, its tiers with their
-- held seats and what the user holds, pipelined (each its own statement so that it sees
-- what the lock's previous holder committed); then the seat counts and the booking in
-- one statement; then COMMIT.
SELECT nextval('bench_users') AS user_id \gset
BEGIN;
\startpipeline
SELECT name, capacity, booked_seats, max_seats_per_booking, status, hold_ttl_seconds, waitlist_promotion
  FROM events WHERE id = 1 FOR NO KEY UPDATE;
UPDATE holds SET status = 'expired' WHERE event_id = 1 AND status = 'active' AND expires_at <= now()
  RETURNING id, user_id;
SELECT t.id, t.capacity, t.booked_seats, COALESCE((SELECT sum(h.seats) FROM holds h
  WHERE h.tier_id = t.id AND h.status = 'active' AND h.expires_at > now()), 0)::int AS held_seats
  FROM tiers t WHERE t.event_id = 1 ORDER BY t.id;
SELECT user_id, 0 AS waiting FROM bookings WHERE event_id = 1 AND status = 'confirmed' AND user_id = :user_id
UNION ALL SELECT user_id, 1 FROM waitlist_entries WHERE event_id = 1 AND status = 'waiting' AND user_id = :user_id
UNION ALL SELECT id, 2 FROM users WHERE id = :user_id
UNION ALL SELECT user_id, 3 FROM holds WHERE event_id = 1 AND status = 'active' AND user_id = :user_id;
\endpipeline
WITH e AS (UPDATE events SET booked_seats = booked_seats + 1 WHERE id = 1),
     t AS (UPDATE tiers SET booked_seats = booked_seats + 1 WHERE id = 1)
INSERT INTO bookings (event_id, user_id, seats, source, tier_id, unit_price_cents, currency)
VALUES (1, :user_id, 1, 'direct', 1, 0, 'EUR')
RETURNING id, event_id, user_id, seats, status, source, created_at, cancelled_at;
COMMIT;
