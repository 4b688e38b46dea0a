-- Indexes for the admin analytics aggregates.
CREATE INDEX bookings_created_at_idx ON bookings (created_at);
CREATE INDEX bookings_cancelled_at_idx ON bookings (cancelled_at) WHERE cancelled_at IS NOT NULL;
CREATE INDEX events_top_idx ON events (booked_seats DESC, id) WHERE status = 'scheduled';
CREATE INDEX waitlist_status_idx ON waitlist_entries (status);
