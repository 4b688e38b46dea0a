-- Deliveries are made by the delivery worker, not in the change's transaction: a
-- subscribed change writes its messages and one row naming them and the endpoints
-- enabled at the change, and the worker fans that row out to those of them subscribed
-- to each message's type (`fan_out` in `postgres/webhooks.rs`). One delivery row per
-- message in the writer's transaction, with its foreign keys and indexes, cost one
-- statement booking 64 seats of a hot event 2.5 ms over its 6.8; the messages and their
-- one row cost 0.3 ms (BENCHMARKS.md, "Deliveries made outside the writer's transaction").
CREATE TABLE webhook_fan_outs (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The messages one statement wrote, oldest first.
    messages   BIGINT[]    NOT NULL CHECK (cardinality(messages) >= 1),
    -- The endpoints enabled when they were written.
    endpoints  BIGINT[]    NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE OR REPLACE FUNCTION bookings_added_webhooks() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE wanted TEXT[] := webhook_types();
BEGIN
    IF cardinality(wanted) > 0 THEN
        WITH m AS (
            INSERT INTO webhook_messages (type, resource, booking)
            SELECT t, 'booking', b
            FROM (SELECT ROW(b.*)::bookings, CASE b.source WHEN 'waitlist' THEN 'waitlist.promoted' ELSE 'booking.confirmed' END
                  FROM added_bookings b WHERE b.status = 'confirmed' ORDER BY b.id) x(b, t)
            WHERE t = ANY (wanted)
            RETURNING id)
        INSERT INTO webhook_fan_outs (messages, endpoints)
        SELECT array_agg(id ORDER BY id), ARRAY(SELECT id FROM webhook_endpoints WHERE enabled ORDER BY id)
        FROM m HAVING count(*) > 0;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION bookings_changed_webhooks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF 'booking.cancelled' = ANY (webhook_types()) THEN
        WITH m AS (
            INSERT INTO webhook_messages (type, resource, booking)
            SELECT 'booking.cancelled', 'booking', ROW(n.*)::bookings
            FROM changed_bookings n JOIN previous_bookings o ON o.id = n.id
            WHERE o.status = 'confirmed' AND n.status = 'cancelled' ORDER BY n.id
            RETURNING id)
        INSERT INTO webhook_fan_outs (messages, endpoints)
        SELECT array_agg(id ORDER BY id), ARRAY(SELECT id FROM webhook_endpoints WHERE enabled ORDER BY id)
        FROM m HAVING count(*) > 0;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION holds_added_webhooks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF 'waitlist.promoted' = ANY (webhook_types()) THEN
        WITH m AS (
            INSERT INTO webhook_messages (type, resource, hold)
            SELECT 'waitlist.promoted', 'hold', ROW(h.*)::holds FROM added_holds h WHERE h.source = 'waitlist' ORDER BY h.id
            RETURNING id)
        INSERT INTO webhook_fan_outs (messages, endpoints)
        SELECT array_agg(id ORDER BY id), ARRAY(SELECT id FROM webhook_endpoints WHERE enabled ORDER BY id)
        FROM m HAVING count(*) > 0;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION holds_changed_webhooks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF 'hold.expired' = ANY (webhook_types()) THEN
        WITH m AS (
            INSERT INTO webhook_messages (type, resource, hold)
            SELECT 'hold.expired', 'hold', ROW(n.*)::holds
            FROM changed_holds n JOIN previous_holds o ON o.id = n.id
            WHERE o.status = 'active' AND n.status = 'expired' ORDER BY n.id
            RETURNING id)
        INSERT INTO webhook_fan_outs (messages, endpoints)
        SELECT array_agg(id ORDER BY id), ARRAY(SELECT id FROM webhook_endpoints WHERE enabled ORDER BY id)
        FROM m HAVING count(*) > 0;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION events_changed_webhooks() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE wanted TEXT[] := webhook_types();
BEGIN
    IF wanted && ARRAY['event.updated', 'event.cancelled'] THEN
        WITH m AS (
            INSERT INTO webhook_messages (type, resource, event_id)
            SELECT t, 'event', id
            FROM (SELECT n.id, CASE WHEN o.status = 'scheduled' AND n.status = 'cancelled' THEN 'event.cancelled'
                                    WHEN n.status = 'scheduled' AND o.updated_at IS DISTINCT FROM n.updated_at THEN 'event.updated'
                               END AS t
                  FROM changed_events n JOIN previous_events o ON o.id = n.id ORDER BY n.id) x
            WHERE t = ANY (wanted)
            RETURNING id)
        INSERT INTO webhook_fan_outs (messages, endpoints)
        SELECT array_agg(id ORDER BY id), ARRAY(SELECT id FROM webhook_endpoints WHERE enabled ORDER BY id)
        FROM m HAVING count(*) > 0;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION tickets_changed_webhooks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF 'ticket.checked_in' = ANY (webhook_types()) THEN
        WITH m AS (
            INSERT INTO webhook_messages (type, resource, ticket)
            SELECT 'ticket.checked_in', 'ticket', ROW(n.*)::tickets
            FROM changed_tickets n JOIN previous_tickets o ON o.id = n.id
            WHERE o.status = 'valid' AND n.status = 'checked_in' ORDER BY n.id
            RETURNING id)
        INSERT INTO webhook_fan_outs (messages, endpoints)
        SELECT array_agg(id ORDER BY id), ARRAY(SELECT id FROM webhook_endpoints WHERE enabled ORDER BY id)
        FROM m HAVING count(*) > 0;
    END IF;
    RETURN NULL;
END $$;
