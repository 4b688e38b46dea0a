-- The transaction Evently runs for one booking with group commit off
-- (crates/evently-infra/src/postgres/{inventory,bookings}.rs), round trip for round trip:
-- BEGIN; then the row lock and the read of what the user holds, pipelined (the read is
-- its own statement so that it sees what the lock's previous holder committed); then
-- the seat count and the booking in one statement; then COMMIT.
SELECT nextval('bench_users') AS user_id \gset
BEGIN;
\startpipeline
SELECT name, capacity, booked_seats, max_seats_per_booking, status FROM events WHERE id = 1 FOR UPDATE;
SELECT
  EXISTS (SELECT 1 FROM bookings WHERE event_id = 1 AND user_id = :user_id AND status = 'confirmed') AS booked,
  EXISTS (SELECT 1 FROM waitlist_entries WHERE event_id = 1 AND user_id = :user_id AND status = 'waiting') AS waiting;
\endpipeline
WITH e AS (UPDATE events SET booked_seats = booked_seats + 1 WHERE id = 1)
INSERT INTO bookings (event_id, user_id, seats, source) VALUES (1, :user_id, 1, 'direct')
RETURNING id, event_id, user_id, seats, status, source, created_at, cancelled_at;
COMMIT;
