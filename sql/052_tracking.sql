-- Seed 001's early-access tracking (hub/tracking/; README "Tracking spreadsheets"): customers,
-- their onboarding steps and daily engagement, from the team's CSV files (a landing folder, loaded
-- like the usage logs) or typed in with `hub track`. `source_file` is the CSV a row came from, or
-- `hub track` for the command line.
CREATE TABLE IF NOT EXISTS {{raw}}tracking_customers (
    customer_id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    organization TEXT,
    github_username TEXT,
    cohort TEXT,
    industry TEXT,
    team_size INTEGER,
    created_at {{ts}} NOT NULL,
    source_file TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS tracking_customers_email ON {{raw}}tracking_customers (email);

CREATE TABLE IF NOT EXISTS {{raw}}tracking_onboarding (
    customer_id TEXT NOT NULL,
    step TEXT NOT NULL,
    value TEXT NOT NULL,
    done BOOLEAN NOT NULL,
    updated_at {{ts}} NOT NULL,
    source_file TEXT NOT NULL,
    PRIMARY KEY (customer_id, step)
);

CREATE TABLE IF NOT EXISTS {{raw}}tracking_engagement (
    customer_id TEXT NOT NULL,
    day {{date}} NOT NULL,
    issues_tagged INTEGER NOT NULL DEFAULT 0,
    prs_generated INTEGER NOT NULL DEFAULT 0,
    prs_merged INTEGER NOT NULL DEFAULT 0,
    prs_rejected INTEGER NOT NULL DEFAULT 0,
    support_requests INTEGER NOT NULL DEFAULT 0,
    source_file TEXT NOT NULL,
    PRIMARY KEY (customer_id, day)
);

-- One row per CSV content loaded: a copy or a renamed file (same digest) is not loaded again.
-- rows_in = rows_loaded + rows_quarantined (each quarantined row is in raw quarantine with its reason).
CREATE TABLE IF NOT EXISTS {{raw}}tracking_files (
    content_digest TEXT PRIMARY KEY,
    file_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    rows_in INTEGER NOT NULL,
    rows_loaded INTEGER NOT NULL,
    rows_quarantined INTEGER NOT NULL,
    loaded_at {{ts}} NOT NULL
);
