CREATE OR REPLACE FUNCTION webhook_types() RETURNS TEXT[] LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(DISTINCT t), '{}') FROM webhook_endpoints, unnest(event_types) AS t WHERE enabled
$$;
