-- The booking rules of API.md checked in SQL: one row per rule with the number of rows
-- that break it. Every count is 0 when the rules hold. Used by bench/soak.sh and by the
-- tests (tests/api/helpers.rs).
WITH taken_seats AS (
    SELECT b.event_id, unnest(b.seat_numbers) AS seat FROM bookings b WHERE b.status = 'confirmed'
    UNION ALL
    SELECT h.event_id, unnest(h.seat_numbers) FROM holds h WHERE h.status = 'active')
SELECT 'booked_seats = confirmed seats; booked + held seats <= capacity' AS rule, count(*) AS violations
  FROM events e
 WHERE e.booked_seats + COALESCE((SELECT sum(h.seats) FROM holds h
                                   WHERE h.event_id = e.id AND h.status = 'active'), 0) > e.capacity
    OR e.booked_seats <> COALESCE((SELECT sum(b.seats) FROM bookings b
                                    WHERE b.event_id = e.id AND b.status = 'confirmed'), 0)
UNION ALL
SELECT 'one confirmed booking per user and event', count(*)
  FROM (SELECT 1 FROM bookings WHERE status = 'confirmed' GROUP BY event_id, user_id HAVING count(*) > 1) d
UNION ALL
SELECT 'one waiting entry per user and event', count(*)
  FROM (SELECT 1 FROM waitlist_entries WHERE status = 'waiting' GROUP BY event_id, user_id HAVING count(*) > 1) d
UNION ALL
SELECT 'at most one of a confirmed booking, an active hold, a waiting entry', count(*)
  FROM (SELECT 1 FROM (SELECT event_id, user_id FROM bookings WHERE status = 'confirmed'
                       UNION ALL SELECT event_id, user_id FROM holds WHERE status = 'active'
                       UNION ALL SELECT event_id, user_id FROM waitlist_entries WHERE status = 'waiting') p
         GROUP BY event_id, user_id HAVING count(*) > 1) d
UNION ALL
SELECT 'a tier''s booked_seats = its confirmed seats; booked + held <= its quota', count(*)
  FROM tiers t
 WHERE (t.capacity IS NOT NULL AND t.booked_seats + COALESCE((SELECT sum(h.seats) FROM holds h
                                   WHERE h.tier_id = t.id AND h.status = 'active'), 0) > t.capacity)
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
   AND w.seats <= LEAST(
         e.capacity - e.booked_seats - COALESCE((SELECT sum(h.seats) FROM holds h
                                                  WHERE h.event_id = e.id AND h.status = 'active'), 0),
         COALESCE(t.capacity - t.booked_seats - COALESCE((SELECT sum(h.seats) FROM holds h
                                                  WHERE h.tier_id = t.id AND h.status = 'active'), 0), e.capacity))
UNION ALL
SELECT 'seats between 1 and the largest limit an event may set (100)', count(*)
  FROM (SELECT seats FROM bookings UNION ALL SELECT seats FROM holds) b
 WHERE b.seats < 1 OR b.seats > 100
UNION ALL
SELECT 'a confirmed hold has exactly one booking of the same seats, tier and price', count(*)
  FROM holds h LEFT JOIN bookings b ON b.id = h.booking_id
 WHERE h.status = 'confirmed'
   AND (b.id IS NULL OR b.source <> 'hold' OR (b.seats, b.tier_id, b.unit_price_cents, b.user_id, b.event_id)
        <> (h.seats, h.tier_id, h.unit_price_cents, h.user_id, h.event_id))
UNION ALL
SELECT 'a ticket per seat of every booking, of its user, event and tier; valid or checked in while confirmed, revoked or checked in once cancelled', count(*)
  FROM bookings b
 WHERE (SELECT count(*) FROM tickets t WHERE t.booking_id = b.id) <> b.seats
    OR EXISTS (SELECT 1 FROM tickets t WHERE t.booking_id = b.id
                AND ((t.user_id, t.event_id, t.tier_id) <> (b.user_id, b.event_id, b.tier_id)
                     OR t.status = CASE b.status WHEN 'confirmed' THEN 'revoked' ELSE 'valid' END))
UNION ALL
SELECT 'a seated event''s confirmed bookings and active holds name their seats, no seat twice, the seat claims are exactly theirs, tickets carry them', (
  SELECT count(*) FROM (
      SELECT b.id FROM bookings b JOIN events e ON e.id = b.event_id
       WHERE e.seated <> (b.seat_numbers IS NOT NULL)
      UNION ALL
      SELECT h.id FROM holds h JOIN events e ON e.id = h.event_id
       WHERE e.seated <> (h.seat_numbers IS NOT NULL)) unplaced)
  + (SELECT count(*) FROM (
      SELECT event_id, seat FROM taken_seats GROUP BY event_id, seat HAVING count(*) > 1) twice)
  + (SELECT count(*) FROM (
      (SELECT event_id, seat FROM seat_claims EXCEPT ALL SELECT event_id, seat FROM taken_seats)
      UNION ALL
      (SELECT event_id, seat FROM taken_seats EXCEPT ALL SELECT event_id, seat FROM seat_claims)) differ)
  + (SELECT count(*) FROM bookings b WHERE b.seat_labels IS NOT NULL
       AND ARRAY(SELECT t.seat_label FROM tickets t WHERE t.booking_id = b.id ORDER BY t.id) <> b.seat_labels);
