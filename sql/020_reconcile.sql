-- Reconciliation the data team can see and correct (hub/reconcile/, hub/pipeline/unified.py).
-- Records are named by record_id, "source:source_object:source_id" as in customer_sources.

-- Mid-confidence pairs left apart, both records side by side. Set status to 'accepted' (same
-- company: becomes a must-link) or 'rejected' (different companies: cannot-link); the next run
-- applies it and keeps the decision. Rows are never decided by the pipeline itself.
CREATE TABLE IF NOT EXISTS {{analytics}}match_review (
    review_id TEXT PRIMARY KEY,
    left_record_id TEXT NOT NULL,
    right_record_id TEXT NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    reason TEXT NOT NULL,
    left_source TEXT,
    left_company TEXT,
    left_website TEXT,
    left_email TEXT,
    left_city TEXT,
    left_country TEXT,
    right_source TEXT,
    right_company TEXT,
    right_website TEXT,
    right_email TEXT,
    right_city TEXT,
    right_country TEXT,
    status TEXT NOT NULL DEFAULT 'pending',
    decided_by TEXT,
    decided_at {{ts}},
    first_seen_at {{ts}} NOT NULL,
    last_seen_at {{ts}} NOT NULL
);
CREATE INDEX IF NOT EXISTS match_review_status ON {{analytics}}match_review (status, score);

-- Pairs the data team links or keeps apart by hand, applied before clustering on every run
-- (a file named by reconcile.overrides_file in HUB_CONFIG holds the same columns).
CREATE TABLE IF NOT EXISTS {{analytics}}match_overrides (
    left_record_id TEXT NOT NULL,
    right_record_id TEXT NOT NULL,
    decision TEXT NOT NULL,
    note TEXT,
    created_by TEXT,
    created_at {{ts}},
    PRIMARY KEY (left_record_id, right_record_id)
);

-- Merge log: an id that stopped existing because its records joined an older customer.
-- customer_id is always today's id (chains are resolved when written).
CREATE TABLE IF NOT EXISTS {{analytics}}customer_merges (
    old_customer_id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    merged_at {{ts}} NOT NULL
);
CREATE INDEX IF NOT EXISTS customer_merges_customer ON {{analytics}}customer_merges (customer_id);

-- One row per reconciliation run: the figures the asset checks compare between runs.
CREATE TABLE IF NOT EXISTS {{analytics}}reconcile_runs (
    ran_at {{ts}} PRIMARY KEY,
    customers INTEGER NOT NULL,
    source_records INTEGER NOT NULL,
    largest_cluster INTEGER NOT NULL,
    max_cluster_size INTEGER NOT NULL,
    merged_ids INTEGER NOT NULL,
    review_pending INTEGER NOT NULL,
    skipped_keys INTEGER NOT NULL
);

-- Any customer id a report may hold, today's or merged away -> today's id.
DROP VIEW IF EXISTS {{analytics}}customer_id_lookup;
CREATE VIEW {{analytics}}customer_id_lookup AS
SELECT customer_id AS any_customer_id, customer_id, 'current' AS status FROM {{analytics}}customers
UNION ALL
SELECT old_customer_id AS any_customer_id, customer_id, 'merged' AS status FROM {{analytics}}customer_merges;
