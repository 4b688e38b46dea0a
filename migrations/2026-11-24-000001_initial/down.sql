DROP TABLE idempotency_keys;
DROP TABLE notifications;
DROP TABLE waitlist_entries;
DROP TABLE bookings;
DROP TABLE events;
DROP TABLE users;
