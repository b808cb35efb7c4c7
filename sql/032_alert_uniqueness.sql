-- The database enforces what the alert lifecycle promises (hub/alert_lifecycle.py, hub/outbox.py):
-- at most one active alert (open or snoozed: a snoozed alert is the same alert, muted) per rule,
-- entity and window, and each notice of an alert (fired, reminder-N) once per channel. Two alert
-- evaluations at once then converge on the same rows (hub/pipeline/alerting.py writes with ON CONFLICT).

-- Duplicates left by concurrent evaluations before this file: the first-fired active alert of each
-- (rule, entity, window) stays, the later ones are resolved as merged into it.
UPDATE {{analytics}}alerts
SET status = 'resolved', resolved_at = last_fired_at,
    resolved_reason = 'duplicate: merged into the first alert of its rule, entity and window'
WHERE status <> 'resolved' AND EXISTS (
    SELECT 1 FROM {{analytics}}alerts AS kept
    WHERE kept.rule = alerts.rule AND kept.entity_type = alerts.entity_type
      AND kept.entity_id = alerts.entity_id AND kept.window_key = alerts.window_key
      AND kept.status <> 'resolved'
      AND (kept.first_fired_at < alerts.first_fired_at
           OR (kept.first_fired_at = alerts.first_fired_at AND kept.alert_id < alerts.alert_id)));

-- Their notices not yet sent would announce the same alert twice: the kept alert has its own.
DELETE FROM {{analytics}}alert_deliveries
WHERE status = 'pending' AND alert_id IN (
    SELECT alert_id FROM {{analytics}}alerts
    WHERE resolved_reason = 'duplicate: merged into the first alert of its rule, entity and window');

CREATE UNIQUE INDEX IF NOT EXISTS alerts_one_active
    ON {{analytics}}alerts (rule, entity_type, entity_id, window_key) WHERE status <> 'resolved';
CREATE UNIQUE INDEX IF NOT EXISTS alert_deliveries_once_per_channel
    ON {{analytics}}alert_deliveries (alert_id, channel, notice);
