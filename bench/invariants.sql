-- The booking rules of API.md checked in SQL: one row per rule with the number of rows
-- that break it. Every count is 0 when the rules hold. Used by bench/soak.sh and by the
-- tests (tests/api/helpers.rs).
SELECT 'booked_seats = confirmed seats <= capacity' AS rule, count(*) AS violations
  FROM events e
 WHERE e.booked_seats > e.capacity
    OR e.booked_seats <> COALESCE((SELECT sum(b.seats) FROM bookings b
                                    WHERE b.event_id = e.id AND b.status = 'confirmed'), 0)
UNION ALL
SELECT 'one confirmed booking per user and event', count(*)
  FROM (SELECT 1 FROM bookings WHERE status = 'confirmed' GROUP BY event_id, user_id HAVING count(*) > 1) d
UNION ALL
SELECT 'one waiting entry per user and event', count(*)
  FROM (SELECT 1 FROM waitlist_entries WHERE status = 'waiting' GROUP BY event_id, user_id HAVING count(*) > 1) d
UNION ALL
SELECT 'never booked and waiting at once', count(*)
  FROM bookings b JOIN waitlist_entries w ON w.event_id = b.event_id AND w.user_id = b.user_id
 WHERE b.status = 'confirmed' AND w.status = 'waiting'
UNION ALL
SELECT 'a tier''s booked_seats = its confirmed seats <= its quota', count(*)
  FROM tiers t
 WHERE (t.capacity IS NOT NULL AND t.booked_seats > t.capacity)
    OR t.booked_seats <> COALESCE((SELECT sum(b.seats) FROM bookings b
                                    WHERE b.tier_id = t.id AND b.status = 'confirmed'), 0)
UNION ALL
SELECT 'bookings and waiting entries are in a tier of their event', count(*)
  FROM (SELECT b.event_id, b.tier_id FROM bookings b UNION ALL SELECT w.event_id, w.tier_id FROM waitlist_entries w) x
  JOIN tiers t ON t.id = x.tier_id
 WHERE t.event_id <> x.event_id
UNION ALL
SELECT 'no waiting entry fits in the free seats of its tier', count(*)
  FROM waitlist_entries w JOIN events e ON e.id = w.event_id JOIN tiers t ON t.id = w.tier_id
 WHERE w.status = 'waiting'
   AND w.seats <= LEAST(e.capacity - e.booked_seats, COALESCE(t.capacity - t.booked_seats, e.capacity))
UNION ALL
SELECT 'seats between 1 and the largest limit an event may set (100)', count(*)
  FROM bookings b
 WHERE b.seats < 1 OR b.seats > 100;
