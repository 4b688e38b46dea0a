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
SELECT 'no waiting entry fits in the free seats', count(*)
  FROM waitlist_entries w JOIN events e ON e.id = w.event_id
 WHERE w.status = 'waiting' AND w.seats <= e.capacity - e.booked_seats
UNION ALL
SELECT 'seats between 1 and the largest limit an event may set (100)', count(*)
  FROM bookings b
 WHERE b.seats < 1 OR b.seats > 100;
