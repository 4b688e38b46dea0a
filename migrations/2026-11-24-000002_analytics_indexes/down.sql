DROP INDEX waitlist_status_idx;
DROP INDEX events_top_idx;
DROP INDEX bookings_cancelled_at_idx;
DROP INDEX bookings_created_at_idx;
