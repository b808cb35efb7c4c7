-- Usage lines of erased people or customers (hub/usage_suppression.py, docs/governance.md): held
-- back at ingest and counted, so every line is still accounted for, per read and per file:
-- lines in = lines loaded + lines quarantined + lines suppressed.
ALTER TABLE {{raw}}usage_files ADD COLUMN lines_suppressed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE {{raw}}usage_file_state ADD COLUMN lines_suppressed INTEGER NOT NULL DEFAULT 0;

-- As in 042, with the suppressed lines beside the loaded and quarantined ones.
DROP VIEW IF EXISTS {{raw}}usage_file_accounting;
CREATE VIEW {{raw}}usage_file_accounting AS
SELECT f.file_name,
       SUM(f.lines_in) AS lines_in,
       SUM(f.lines_loaded) - COALESCE(MAX(u.unknown), 0) AS lines_loaded,
       SUM(f.lines_quarantined) + COALESCE(MAX(u.unknown), 0) AS lines_quarantined,
       COALESCE(MAX(u.unknown), 0) AS lines_unknown_customer,
       SUM(f.lines_suppressed) AS lines_suppressed
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
