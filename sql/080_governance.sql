-- Governance (issue 15, docs/governance.md): erased identities that must not come back, the
-- append-only audit log, and what each retention run removed.

-- An erased identity, never in clear: HMAC-SHA256 keyed by HUB_ERASURE_SALT over 'email:<address>'
-- or 'record:<source>:<object>:<id>'. Raw landing skips records that match one. The row of kind
-- 'salt_check' holds the HMAC of a fixed text, so a changed salt is noticed instead of silently
-- letting every erased person back.
CREATE TABLE IF NOT EXISTS {{raw}}erasure_suppressions (
    identity_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    erasure_id TEXT NOT NULL,
    erased_at {{ts}} NOT NULL
);

-- Append-only: runs (who launched them), erasures (hashes and counts, never the person), config
-- hashes as they change, retention runs. Nothing in the hub updates or deletes a row.
CREATE TABLE IF NOT EXISTS {{analytics}}audit_log (
    audit_id TEXT PRIMARY KEY,
    recorded_at {{ts}} NOT NULL,
    action TEXT NOT NULL,
    actor TEXT,
    target TEXT,
    details {{json}}
);
CREATE INDEX IF NOT EXISTS audit_log_action_at ON {{analytics}}audit_log (action, recorded_at);

-- One row per table (or folder) a retention run pruned: what it removed and the cut-off it used.
CREATE TABLE IF NOT EXISTS {{analytics}}retention_runs (
    ran_at {{ts}} NOT NULL,
    target TEXT NOT NULL,
    policy TEXT NOT NULL,
    keep_days INTEGER NOT NULL,
    cutoff {{ts}} NOT NULL,
    removed INTEGER NOT NULL,
    PRIMARY KEY (ran_at, target)
);
