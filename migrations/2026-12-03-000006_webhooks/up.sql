-- Webhooks: a transactional outbox. Triggers on the statements that change bookings,
-- holds, events and tickets write one message per change of a type some enabled endpoint
-- subscribes to, and one delivery per such endpoint, in the change's own transaction.
CREATE TABLE webhook_endpoints (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url             TEXT        NOT NULL CHECK (char_length(url) BETWEEN 1 AND 2000),
    event_types     TEXT[]      NOT NULL CHECK (cardinality(event_types) >= 1),
    description     TEXT        NOT NULL DEFAULT '' CHECK (char_length(description) <= 500),
    enabled         BOOLEAN     NOT NULL DEFAULT true,
    -- `whsec_...`: the receiver holds it too; see the webhooks section of README.md.
    secret          TEXT        NOT NULL,
    -- The secret a rotation replaced: it signs too, as a second signature, until then.
    previous_secret TEXT,
    previous_until  TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE webhook_messages (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    type       TEXT        NOT NULL,
    -- What `payload` holds: a row of that table as the change left it.
    resource   TEXT        NOT NULL CHECK (resource IN ('booking', 'hold', 'event', 'ticket')),
    payload    JSONB       NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE webhook_deliveries (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id      BIGINT      NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    message_id       BIGINT      NOT NULL REFERENCES webhook_messages (id) ON DELETE CASCADE,
    status           TEXT        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed', 'dead')),
    attempts         INTEGER     NOT NULL DEFAULT 0,
    last_status_code INTEGER,
    -- When the next attempt is due; a claim pushes it past the attempt's deadline, so an
    -- instance killed mid-attempt leaves the delivery due again, never lost.
    due_at           TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT webhook_deliveries_due_iff_open CHECK ((status IN ('pending', 'failed')) = (due_at IS NOT NULL))
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, id DESC);

-- Every attempt, as made.
CREATE TABLE webhook_attempts (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id  BIGINT      NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempted_at TIMESTAMPTZ NOT NULL,
    status_code  INTEGER,
    error        TEXT,
    duration_ms  INTEGER     NOT NULL
);
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, id);

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

-- The types some enabled endpoint subscribes to, read once per statement: a change makes
-- messages only of those (none at all, and no scan of the change's rows, without one).
CREATE FUNCTION webhook_types() RETURNS TEXT[] LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(DISTINCT t), '{}') FROM webhook_endpoints, unnest(event_types) AS t WHERE enabled
$$;

CREATE FUNCTION bookings_added_webhooks() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER bookings_webhooks_added AFTER INSERT ON bookings
    REFERENCING NEW TABLE AS added_bookings FOR EACH STATEMENT EXECUTE FUNCTION bookings_added_webhooks();

CREATE FUNCTION bookings_changed_webhooks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF 'booking.cancelled' = ANY (webhook_types()) THEN
        INSERT INTO webhook_messages (type, resource, payload)
        SELECT 'booking.cancelled', 'booking', to_jsonb(n)
        FROM changed_bookings n JOIN previous_bookings o ON o.id = n.id
        WHERE o.status = 'confirmed' AND n.status = 'cancelled' ORDER BY n.id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER bookings_webhooks_changed AFTER UPDATE ON bookings
    REFERENCING OLD TABLE AS previous_bookings NEW TABLE AS changed_bookings
    FOR EACH STATEMENT EXECUTE FUNCTION bookings_changed_webhooks();

CREATE FUNCTION holds_added_webhooks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF 'waitlist.promoted' = ANY (webhook_types()) THEN
        INSERT INTO webhook_messages (type, resource, payload)
        SELECT 'waitlist.promoted', 'hold', to_jsonb(h) FROM added_holds h WHERE h.source = 'waitlist' ORDER BY h.id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER holds_webhooks_added AFTER INSERT ON holds
    REFERENCING NEW TABLE AS added_holds FOR EACH STATEMENT EXECUTE FUNCTION holds_added_webhooks();

CREATE FUNCTION holds_changed_webhooks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF 'hold.expired' = ANY (webhook_types()) THEN
        INSERT INTO webhook_messages (type, resource, payload)
        SELECT 'hold.expired', 'hold', to_jsonb(n)
        FROM changed_holds n JOIN previous_holds o ON o.id = n.id
        WHERE o.status = 'active' AND n.status = 'expired' ORDER BY n.id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER holds_webhooks_changed AFTER UPDATE ON holds
    REFERENCING OLD TABLE AS previous_holds NEW TABLE AS changed_holds
    FOR EACH STATEMENT EXECUTE FUNCTION holds_changed_webhooks();

-- An admin's edit sets `updated_at`; bookings only move the counters (every batch does,
-- so without a subscriber this returns before reading the rows).
CREATE FUNCTION events_changed_webhooks() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER events_webhooks_changed AFTER UPDATE ON events
    REFERENCING OLD TABLE AS previous_events NEW TABLE AS changed_events
    FOR EACH STATEMENT EXECUTE FUNCTION events_changed_webhooks();

CREATE FUNCTION tickets_changed_webhooks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF 'ticket.checked_in' = ANY (webhook_types()) THEN
        INSERT INTO webhook_messages (type, resource, payload)
        SELECT 'ticket.checked_in', 'ticket', to_jsonb(n)
        FROM changed_tickets n JOIN previous_tickets o ON o.id = n.id
        WHERE o.status = 'valid' AND n.status = 'checked_in' ORDER BY n.id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER tickets_webhooks_changed AFTER UPDATE ON tickets
    REFERENCING OLD TABLE AS previous_tickets NEW TABLE AS changed_tickets
    FOR EACH STATEMENT EXECUTE FUNCTION tickets_changed_webhooks();
