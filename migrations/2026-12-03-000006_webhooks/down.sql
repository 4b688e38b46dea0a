DROP TRIGGER tickets_webhooks_changed ON tickets;
DROP TRIGGER events_webhooks_changed ON events;
DROP TRIGGER holds_webhooks_changed ON holds;
DROP TRIGGER holds_webhooks_added ON holds;
DROP TRIGGER bookings_webhooks_changed ON bookings;
DROP TRIGGER bookings_webhooks_added ON bookings;
DROP FUNCTION tickets_changed_webhooks(), events_changed_webhooks(), holds_changed_webhooks(),
    holds_added_webhooks(), bookings_changed_webhooks(), bookings_added_webhooks(), webhook_types();
DROP TABLE webhook_attempts, webhook_deliveries;
DROP TRIGGER webhook_messages_fan_out ON webhook_messages;
DROP FUNCTION fan_out_webhooks();
DROP TABLE webhook_messages, webhook_endpoints;
