-- Back to JSON payloads (an event message keeps only the event's id, all its readers use).
ALTER TABLE webhook_messages ADD COLUMN payload JSONB;
UPDATE webhook_messages SET payload = CASE resource
    WHEN 'booking' THEN to_jsonb(booking) WHEN 'hold' THEN to_jsonb(hold)
    WHEN 'ticket' THEN to_jsonb(ticket) ELSE jsonb_build_object('id', event_id) END;
ALTER TABLE webhook_messages
    ALTER COLUMN payload SET NOT NULL,
    DROP CONSTRAINT webhook_messages_snapshot_of_resource,
    DROP COLUMN booking, DROP COLUMN hold, DROP COLUMN ticket, DROP COLUMN event_id;

CREATE OR REPLACE FUNCTION bookings_added_webhooks() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE wanted TEXT[] := webhook_types();
BEGIN
    IF cardinality(wanted) > 0 THEN
        INSERT INTO webhook_messages (type, resource, payload)
        SELECT t, 'booking', to_jsonb(b)
        FROM (SELECT b, CASE b.source WHEN 'waitlist' THEN 'waitlist.promoted' ELSE 'booking.confirmed' END AS t
              FROM added_bookings b WHERE b.status = 'confirmed' ORDER BY b.id) x(b, t)
        WHERE t = ANY (wanted);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION bookings_changed_webhooks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF 'booking.cancelled' = ANY (webhook_types()) THEN
        INSERT INTO webhook_messages (type, resource, payload)
        SELECT 'booking.cancelled', 'booking', to_jsonb(n)
        FROM changed_bookings n JOIN previous_bookings o ON o.id = n.id
        WHERE o.status = 'confirmed' AND n.status = 'cancelled' ORDER BY n.id;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION holds_added_webhooks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF 'waitlist.promoted' = ANY (webhook_types()) THEN
        INSERT INTO webhook_messages (type, resource, payload)
        SELECT 'waitlist.promoted', 'hold', to_jsonb(h) FROM added_holds h WHERE h.source = 'waitlist' ORDER BY h.id;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION holds_changed_webhooks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF 'hold.expired' = ANY (webhook_types()) THEN
        INSERT INTO webhook_messages (type, resource, payload)
        SELECT 'hold.expired', 'hold', to_jsonb(n)
        FROM changed_holds n JOIN previous_holds o ON o.id = n.id
        WHERE o.status = 'active' AND n.status = 'expired' ORDER BY n.id;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION events_changed_webhooks() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE wanted TEXT[] := webhook_types();
BEGIN
    IF wanted && ARRAY['event.updated', 'event.cancelled'] THEN
        INSERT INTO webhook_messages (type, resource, payload)
        SELECT t, 'event', to_jsonb(n)
        FROM (SELECT n, CASE WHEN o.status = 'scheduled' AND n.status = 'cancelled' THEN 'event.cancelled'
                             WHEN n.status = 'scheduled' AND o.updated_at IS DISTINCT FROM n.updated_at THEN 'event.updated'
                        END AS t
              FROM changed_events n JOIN previous_events o ON o.id = n.id ORDER BY n.id) x(n, t)
        WHERE t = ANY (wanted);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION tickets_changed_webhooks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF 'ticket.checked_in' = ANY (webhook_types()) THEN
        INSERT INTO webhook_messages (type, resource, payload)
        SELECT 'ticket.checked_in', 'ticket', to_jsonb(n)
        FROM changed_tickets n JOIN previous_tickets o ON o.id = n.id
        WHERE o.status = 'valid' AND n.status = 'checked_in' ORDER BY n.id;
    END IF;
    RETURN NULL;
END $$;

-- One delivery per enabled endpoint subscribed to each new message.
CREATE FUNCTION fan_out_webhooks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO webhook_deliveries (endpoint_id, message_id, due_at)
    SELECT e.id, m.id, now()
    FROM added_messages m JOIN webhook_endpoints e ON e.enabled AND m.type = ANY (e.event_types)
    ORDER BY m.id, e.id;
    RETURN NULL;
END $$;
CREATE TRIGGER webhook_messages_fan_out AFTER INSERT ON webhook_messages
    REFERENCING NEW TABLE AS added_messages FOR EACH STATEMENT EXECUTE FUNCTION fan_out_webhooks();
