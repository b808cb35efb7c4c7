-- The outbox view shows which digest a delivery went out in (sql/060_alert_digests.sql).
DROP VIEW IF EXISTS {{analytics}}alert_outbox;
CREATE VIEW {{analytics}}alert_outbox AS
SELECT d.delivery_id, d.alert_id, a.rule, a.severity, a.customer_id, a.owner, d.channel, d.notice,
       d.status, d.attempts, d.created_at, d.last_attempt_at, d.delivered_at, d.last_error, d.digest_id
FROM {{analytics}}alert_deliveries d
JOIN {{analytics}}alerts a ON a.alert_id = d.alert_id;
