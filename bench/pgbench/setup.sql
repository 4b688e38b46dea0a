-- The pgbench database: Evently's schema (applied by `evently migrate`), one hot event,
-- 10,000 more for the spread runs, and enough users that every booking has its own.
TRUNCATE tickets, hold_keys, holds, idempotency_keys, notifications, waitlist_entries, bookings, tiers, events, users
    RESTART IDENTITY CASCADE;
INSERT INTO users (name, email, password_hash)
    SELECT 'Bench', 'bench' || n || '@example.org', 'x' FROM generate_series(1, 1000000) AS n;
INSERT INTO events (name, venue, starts_at, capacity)
    SELECT 'Bench ' || n, 'Arena', now() + interval '30 days', 1000000 FROM generate_series(1, 10001) AS n;
-- One free tier per event, with the event's id.
INSERT INTO tiers (event_id, name, price_cents) SELECT id, 'General admission', 0 FROM events ORDER BY id;
DROP SEQUENCE IF EXISTS bench_users;
CREATE SEQUENCE bench_users;
VACUUM ANALYZE;
