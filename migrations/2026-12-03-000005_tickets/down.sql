DROP TRIGGER bookings_revoke_tickets ON bookings;
DROP TRIGGER bookings_issue_tickets ON bookings;
DROP FUNCTION revoke_tickets();
DROP FUNCTION issue_tickets();
DROP TABLE tickets;
DROP SEQUENCE ticket_revocations;
UPDATE users SET role = 'user' WHERE role = 'staff';
ALTER TABLE users DROP CONSTRAINT users_role_check,
    ADD CONSTRAINT users_role_check CHECK (role IN ('user', 'admin'));
