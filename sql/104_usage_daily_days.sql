-- What build_usage_daily last wrote into analytics.usage_daily, per date: how many rows and a
-- digest of them (hub/usage_write.py). A date whose rows come out the same again is left as it is:
-- a late file rewrites its own days, not the whole table.
CREATE TABLE IF NOT EXISTS {{raw}}usage_daily_days (
    date TEXT PRIMARY KEY,
    row_count INTEGER NOT NULL,
    digest TEXT NOT NULL,
    written_at {{ts}} NOT NULL
);
