-- Webhook deliveries received, by the sender's delivery id
-- (X-GitHub-Delivery, Linear-Delivery), so that a delivery sent twice is
-- acted on once. Old rows are pruned: senders redeliver within days.
CREATE TABLE webhook_deliveries (
    source       TEXT NOT NULL,   -- github or linear
    delivery_id  TEXT NOT NULL,
    event        TEXT NOT NULL,   -- the event type (pull_request, Issue, …)
    scope        TEXT NOT NULL,   -- the repository or team it is about; '' if none
    received_at  BIGINT NOT NULL,
    PRIMARY KEY (source, delivery_id)
);
CREATE INDEX webhook_deliveries_received ON webhook_deliveries (received_at);
