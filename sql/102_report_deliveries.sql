-- Report delivery (README "Reports", hub/reports/deliver.py): one row per report, period and
-- channel (email, slack, webhook). Written only by the report assets after they render: a
-- re-render or backfill of a period sends only what a channel has not taken yet; `hub report
-- --send` sends again. last_error is scrubbed of secrets (hub/scrub.py).
CREATE TABLE IF NOT EXISTS {{analytics}}report_deliveries (
    name TEXT NOT NULL,
    period TEXT NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 1,
    attempted_at {{ts}} NOT NULL,
    sent_at {{ts}},
    last_error TEXT,
    PRIMARY KEY (name, period, channel)
);
