-- BI views over the analytics tables. Dropped and re-created so a changed definition applies.

DROP VIEW IF EXISTS {{analytics}}customer_overview;
CREATE VIEW {{analytics}}customer_overview AS
SELECT
    c.customer_id,
    c.name,
    c.domain,
    c.industry,
    c.lifecycle_stage,
    c.owner,
    c.mrr,
    c.arr,
    h.health_score,
    h.health_band,
    h.coverage AS health_coverage,
    h.delta_7d AS health_delta_7d,
    h.drivers AS health_drivers,
    (SELECT COUNT(*) FROM {{analytics}}alerts a
      WHERE a.customer_id = c.customer_id AND a.status = 'open') AS open_alerts,
    (SELECT COUNT(*) FROM {{analytics}}deals d
      WHERE d.customer_id = c.customer_id AND NOT d.is_closed) AS open_deals,
    c.source_count,
    c.first_seen_at,
    c.updated_at
FROM {{analytics}}customers c
LEFT JOIN {{analytics}}customer_health h ON h.customer_id = c.customer_id;

DROP VIEW IF EXISTS {{analytics}}open_alerts;
CREATE VIEW {{analytics}}open_alerts AS
SELECT a.alert_id, a.rule, a.severity, a.customer_id, c.name AS customer_name, a.owner,
       a.message, a.first_fired_at, a.last_fired_at, a.delivery_status
FROM {{analytics}}alerts a
LEFT JOIN {{analytics}}customers c ON c.customer_id = a.customer_id
WHERE a.status = 'open';

DROP VIEW IF EXISTS {{analytics}}pipeline_by_stage;
CREATE VIEW {{analytics}}pipeline_by_stage AS
SELECT stage, COUNT(*) AS deals, SUM(amount) AS amount,
       SUM(amount * COALESCE(probability, 0)) AS weighted_amount
FROM {{analytics}}deals
WHERE NOT is_closed
GROUP BY stage;
