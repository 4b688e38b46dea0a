-- The subscribed types, as PL/pgSQL: a SQL function called from a trigger is parsed and
-- planned again at every call, a PL/pgSQL one keeps its plan for the session. Every
-- booking statement reads it twice (the bookings' and the event's triggers).
CREATE OR REPLACE FUNCTION webhook_types() RETURNS TEXT[] LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT coalesce(array_agg(DISTINCT t), '{}') FROM webhook_endpoints, unnest(event_types) AS t WHERE enabled);
END $$;
