-- The reference for a check-in: one guarded UPDATE of a ticket by primary key, the
-- statement the server's check-in makes.
\set id random(1, 300000)
UPDATE tickets SET status = 'checked_in', checked_in_at = now(), gate = 'gate 1'
 WHERE id = :id AND event_id = 1 AND status = 'valid';
