-- Fair on-sale queues. An event with a queue admits its buyers in the queue's order at
-- its pace; `queues` holds where each queue stands (when admission begins, how many
-- were admitted in all, whether the sell-out closed it). The instance that advances a queue holds its row (`FOR UPDATE SKIP
-- LOCKED`), so one order and one pace hold across instances, and the count it commits
-- is where the next one — after a crash, on any instance — carries on.
ALTER TABLE events ADD COLUMN on_sale_at TIMESTAMPTZ,
    ADD COLUMN queue_admit_per_minute INTEGER CHECK (queue_admit_per_minute BETWEEN 1 AND 100000),
    ADD COLUMN queue_admission_ttl_seconds INTEGER CHECK (queue_admission_ttl_seconds BETWEEN 60 AND 3600),
    ADD CONSTRAINT events_queue_whole CHECK ((queue_admit_per_minute IS NULL) = (queue_admission_ttl_seconds IS NULL));

CREATE TABLE queues (
    event_id  BIGINT      PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
    starts_at TIMESTAMPTZ NOT NULL,
    admitted  BIGINT      NOT NULL DEFAULT 0 CHECK (admitted >= 0),
    closed    BOOLEAN     NOT NULL DEFAULT false
);

CREATE TABLE queue_tickets (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id    BIGINT      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    user_id     BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status      TEXT        NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'admitted', 'expired', 'closed')),
    -- The secret draw key of a ticket taken before the on-sale instant (63 random bits):
    -- from then on early tickets queue in key order, later ones by arrival behind them.
    rank        BIGINT CHECK (rank >= 0),
    joined_at   TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    admitted_at TIMESTAMPTZ,
    expires_at  TIMESTAMPTZ,
    UNIQUE (event_id, user_id),
    CONSTRAINT queue_tickets_admission CHECK ((status IN ('admitted', 'expired')) = (admitted_at IS NOT NULL AND expires_at IS NOT NULL))
);
CREATE INDEX queue_tickets_order_idx ON queue_tickets (event_id, (rank IS NULL), rank, joined_at, id) WHERE status = 'waiting';
CREATE INDEX queue_tickets_admitted_idx ON queue_tickets (event_id, user_id) WHERE status = 'admitted';

ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check,
    ADD CONSTRAINT notifications_kind_check CHECK (kind IN ('waitlist_promoted', 'booking_cancelled',
        'event_cancelled', 'event_changed', 'hold_expired', 'waitlist_offer', 'queue_closed'));
