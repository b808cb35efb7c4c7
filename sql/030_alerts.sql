-- Alert lifecycle and the delivery outbox (hub/alerts.py, hub/alert_lifecycle.py, hub/outbox.py).
-- Applied once (hub.warehouse.migrate records it by checksum): SQLite has no ADD COLUMN IF NOT EXISTS.

-- The dedupe window an alert belongs to: '' (no window), a day 'YYYY-MM-DD' or an ISO week 'YYYY-Www'.
ALTER TABLE {{analytics}}alerts ADD COLUMN window_key TEXT NOT NULL DEFAULT '';
-- Snoozed alerts are muted until this time; when it passes and the condition holds, a reminder goes out.
ALTER TABLE {{analytics}}alerts ADD COLUMN snoozed_until {{ts}};
ALTER TABLE {{analytics}}alerts ADD COLUMN snooze_count INTEGER NOT NULL DEFAULT 0;
-- Who the alert was routed to (JSON: owner's email / Slack id from HUB_CONFIG alerts.owners).
ALTER TABLE {{analytics}}alerts ADD COLUMN routed_to TEXT;
-- The figures behind the alert (JSON: metric, value, threshold, window).
ALTER TABLE {{analytics}}alerts ADD COLUMN details TEXT;
ALTER TABLE {{analytics}}alerts ADD COLUMN resolved_reason TEXT;

CREATE INDEX IF NOT EXISTS alerts_dedupe ON {{analytics}}alerts (rule, entity_type, entity_id, window_key);
CREATE INDEX IF NOT EXISTS alerts_resolved_at ON {{analytics}}alerts (resolved_at);

-- The outbox: one row per alert notice and channel. A row stays 'pending' until its channel
-- accepts it ('sent'); 'sending' marks a claimed row (a crashed sender's claim expires).
CREATE TABLE IF NOT EXISTS {{analytics}}alert_deliveries (
    delivery_id TEXT PRIMARY KEY,
    alert_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    notice TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at {{ts}} NOT NULL,
    claimed_at {{ts}},
    last_attempt_at {{ts}},
    delivered_at {{ts}},
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS alert_deliveries_status ON {{analytics}}alert_deliveries (status, created_at);
CREATE INDEX IF NOT EXISTS alert_deliveries_alert ON {{analytics}}alert_deliveries (alert_id);

DROP VIEW IF EXISTS {{analytics}}alert_outbox;
CREATE VIEW {{analytics}}alert_outbox AS
SELECT d.delivery_id, d.alert_id, a.rule, a.severity, a.customer_id, a.owner, d.channel, d.notice,
       d.status, d.attempts, d.created_at, d.last_attempt_at, d.delivered_at, d.last_error
FROM {{analytics}}alert_deliveries d
JOIN {{analytics}}alerts a ON a.alert_id = d.alert_id;
