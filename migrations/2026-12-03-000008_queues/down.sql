DELETE FROM notifications WHERE kind = 'queue_closed';
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check,
    ADD CONSTRAINT notifications_kind_check CHECK (kind IN ('waitlist_promoted', 'booking_cancelled',
        'event_cancelled', 'event_changed', 'hold_expired', 'waitlist_offer'));
DROP TABLE queue_tickets;
DROP TABLE queues;
ALTER TABLE events DROP CONSTRAINT events_queue_whole, DROP COLUMN queue_admission_ttl_seconds,
    DROP COLUMN queue_admit_per_minute, DROP COLUMN on_sale_at;
