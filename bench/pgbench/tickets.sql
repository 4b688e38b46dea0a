-- Tickets for the check-in reference (after setup.sql): 300,000 valid tickets of event 1.
INSERT INTO bookings (event_id, user_id, seats, source, tier_id, unit_price_cents, currency)
    VALUES (1, 1, 1, 'direct', 1, 0, 'EUR');
INSERT INTO tickets (booking_id, user_id, event_id, tier_id, issued_at, valid_until)
    SELECT 1, 1, 1, 1, now(), now() + interval '30 days' FROM generate_series(1, 300000);
VACUUM ANALYZE tickets;
