-- Every usage line accounted for, per file (DESIGN.md "Usage log format"): lines in = lines loaded
-- + lines quarantined. A line naming a customer no source knows is quarantined (not loaded) until a
-- source knows it; it stays in raw usage_events so it counts by itself once the customer appears.
DROP VIEW IF EXISTS {{raw}}usage_file_accounting;
CREATE VIEW {{raw}}usage_file_accounting AS
SELECT f.file_name,
       SUM(f.lines_in) AS lines_in,
       SUM(f.lines_loaded) - COALESCE(MAX(u.unknown), 0) AS lines_loaded,
       SUM(f.lines_quarantined) + COALESCE(MAX(u.unknown), 0) AS lines_quarantined,
       COALESCE(MAX(u.unknown), 0) AS lines_unknown_customer
FROM {{raw}}usage_files f
LEFT JOIN (
    SELECT e.file_name, COUNT(*) AS unknown
    FROM {{raw}}usage_events e
    JOIN {{raw}}quarantine q ON q.quarantine_id = 'usage-unknown:' || e.event_key
    GROUP BY e.file_name
) u ON u.file_name = f.file_name
GROUP BY f.file_name;
