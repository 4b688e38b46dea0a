DROP TABLE hold_keys;
ALTER TABLE notifications DROP COLUMN hold_id, DROP CONSTRAINT notifications_kind_check,
    ADD CONSTRAINT notifications_kind_check CHECK (kind IN ('waitlist_promoted', 'booking_cancelled', 'event_cancelled', 'event_changed'));
ALTER TABLE waitlist_entries DROP CONSTRAINT waitlist_promoted_to_booking_or_offer, DROP COLUMN hold_id,
    ADD CONSTRAINT waitlist_booking_iff_promoted CHECK ((status = 'promoted') = (booking_id IS NOT NULL));
DROP TABLE holds;
ALTER TABLE bookings DROP COLUMN payment_reference, DROP CONSTRAINT bookings_source_check,
    ADD CONSTRAINT bookings_source_check CHECK (source IN ('direct', 'waitlist'));
ALTER TABLE events DROP COLUMN hold_ttl_seconds, DROP COLUMN waitlist_promotion;
