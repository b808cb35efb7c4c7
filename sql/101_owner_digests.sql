-- The owners' morning digest (issue 12 item 1, docs/playbooks.md): one row per person and day,
-- the channels that took it. Written only by analytics/owner_digests; a re-run the same day sends
-- only what a channel did not take yet.
CREATE TABLE IF NOT EXISTS {{analytics}}owner_digests (
    digest_id TEXT PRIMARY KEY,
    day TEXT NOT NULL,
    person TEXT NOT NULL,
    alerts INTEGER NOT NULL,
    channels TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 1,
    sent_at {{ts}},
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS owner_digests_day ON {{analytics}}owner_digests (day);
