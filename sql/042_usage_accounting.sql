-- Every usage line accounted for, per file (DESIGN.md "Usage log format"): lines in = lines loaded
-- + lines quarantined. A line naming a customer no source knows is quarantined (not loaded) until a
-- source knows it; its event stays in the event store (hub/usage_store.py) so it counts by itself
-- once the customer appears. Its quarantine row's record_key is "<file name>:<line number>".
DROP VIEW IF EXISTS {{raw}}usage_file_accounting;
CREATE VIEW {{raw}}usage_file_accounting AS
SELECT f.file_name,
       SUM(f.lines_in) AS lines_in,
       SUM(f.lines_loaded) - COALESCE(MAX(u.unknown), 0) AS lines_loaded,
       SUM(f.lines_quarantined) + COALESCE(MAX(u.unknown), 0) AS lines_quarantined,
       COALESCE(MAX(u.unknown), 0) AS lines_unknown_customer
FROM {{raw}}usage_files f
LEFT JOIN (
    SELECT n.file_name, COUNT(*) AS unknown
    FROM (SELECT DISTINCT file_name FROM {{raw}}usage_files) n
    JOIN {{raw}}quarantine q
      ON q.source = 'usage' AND q.source_object = 'usage_event'
     AND substr(q.record_key, 1, length(n.file_name) + 1) = n.file_name || ':'
     AND replace(substr(q.record_key, length(n.file_name) + 2), ':', '') = substr(q.record_key, length(n.file_name) + 2)
    GROUP BY n.file_name
) u ON u.file_name = f.file_name
GROUP BY f.file_name;
