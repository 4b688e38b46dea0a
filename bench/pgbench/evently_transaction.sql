-- The transaction Evently runs for one booking with group commit off
-- (crates/evently-infra/src/postgres/{inventory,bookings}.rs): lock the event row and read
-- what the user holds, then update the seat count and insert the booking, then commit.
SELECT nextval('bench_users') AS user_id \gset
BEGIN;
SELECT e.name, e.capacity, e.booked_seats, e.max_seats_per_booking, e.status,
       EXISTS (SELECT 1 FROM bookings b WHERE b.event_id = e.id AND b.user_id = :user_id AND b.status = 'confirmed') AS booked,
       EXISTS (SELECT 1 FROM waitlist_entries w WHERE w.event_id = e.id AND w.user_id = :user_id AND w.status = 'waiting') AS waiting
FROM events e WHERE e.id = 1 FOR UPDATE OF e;
WITH e AS (UPDATE events SET booked_seats = booked_seats + 1 WHERE id = 1)
INSERT INTO bookings (event_id, user_id, seats, source) VALUES (1, :user_id, 1, 'direct')
RETURNING id, event_id, user_id, seats, status, source, created_at, cancelled_at;
COMMIT;
