-- Raw layer: one table per source object, keyed by the source's own id. The payload is kept
-- whole as JSON (new fields land there untouched); typed columns hold what staging reads most.
-- _hash detects real changes; _deleted marks records the source no longer has (never erased).
-- Placeholders: {{raw}} is "raw." on PostgreSQL and "raw_" on SQLite; {{json}}, {{ts}}, {{date}}
-- are the backend's JSON, timestamp and date types.

CREATE TABLE IF NOT EXISTS {{raw}}airtable_beta_applications (
    source_id TEXT PRIMARY KEY,
    application_id TEXT,
    company TEXT,
    email TEXT,
    website TEXT,
    status TEXT,
    applied_on TEXT,
    payload {{json}} NOT NULL,
    source_created_at {{ts}},
    source_updated_at {{ts}},
    _hash TEXT NOT NULL,
    _synced_at {{ts}} NOT NULL,
    _deleted BOOLEAN NOT NULL DEFAULT FALSE,
    _deleted_at {{ts}}
);

CREATE TABLE IF NOT EXISTS {{raw}}airtable_customer_interactions (
    source_id TEXT PRIMARY KEY,
    interaction_id TEXT,
    application_record_id TEXT,
    type TEXT,
    date TEXT,
    sentiment TEXT,
    payload {{json}} NOT NULL,
    source_created_at {{ts}},
    source_updated_at {{ts}},
    _hash TEXT NOT NULL,
    _synced_at {{ts}} NOT NULL,
    _deleted BOOLEAN NOT NULL DEFAULT FALSE,
    _deleted_at {{ts}}
);

CREATE TABLE IF NOT EXISTS {{raw}}airtable_usage_analytics (
    source_id TEXT PRIMARY KEY,
    customer_record_id TEXT,
    date TEXT,
    api_calls DOUBLE PRECISION,
    payload {{json}} NOT NULL,
    source_created_at {{ts}},
    source_updated_at {{ts}},
    _hash TEXT NOT NULL,
    _synced_at {{ts}} NOT NULL,
    _deleted BOOLEAN NOT NULL DEFAULT FALSE,
    _deleted_at {{ts}}
);

CREATE TABLE IF NOT EXISTS {{raw}}airtable_feedback_surveys (
    source_id TEXT PRIMARY KEY,
    survey_id TEXT,
    customer_record_id TEXT,
    survey_type TEXT,
    date_responded TEXT,
    payload {{json}} NOT NULL,
    source_created_at {{ts}},
    source_updated_at {{ts}},
    _hash TEXT NOT NULL,
    _synced_at {{ts}} NOT NULL,
    _deleted BOOLEAN NOT NULL DEFAULT FALSE,
    _deleted_at {{ts}}
);

CREATE TABLE IF NOT EXISTS {{raw}}hubspot_companies (
    source_id TEXT PRIMARY KEY,
    name TEXT,
    domain TEXT,
    payload {{json}} NOT NULL,
    source_created_at {{ts}},
    source_updated_at {{ts}},
    _hash TEXT NOT NULL,
    _synced_at {{ts}} NOT NULL,
    _deleted BOOLEAN NOT NULL DEFAULT FALSE,
    _deleted_at {{ts}}
);

CREATE TABLE IF NOT EXISTS {{raw}}hubspot_contacts (
    source_id TEXT PRIMARY KEY,
    email TEXT,
    company_id TEXT,
    payload {{json}} NOT NULL,
    source_created_at {{ts}},
    source_updated_at {{ts}},
    _hash TEXT NOT NULL,
    _synced_at {{ts}} NOT NULL,
    _deleted BOOLEAN NOT NULL DEFAULT FALSE,
    _deleted_at {{ts}}
);

CREATE TABLE IF NOT EXISTS {{raw}}hubspot_deals (
    source_id TEXT PRIMARY KEY,
    dealname TEXT,
    dealstage TEXT,
    amount DOUBLE PRECISION,
    company_id TEXT,
    payload {{json}} NOT NULL,
    source_created_at {{ts}},
    source_updated_at {{ts}},
    _hash TEXT NOT NULL,
    _synced_at {{ts}} NOT NULL,
    _deleted BOOLEAN NOT NULL DEFAULT FALSE,
    _deleted_at {{ts}}
);

CREATE TABLE IF NOT EXISTS {{raw}}hubspot_tickets (
    source_id TEXT PRIMARY KEY,
    subject TEXT,
    stage TEXT,
    company_id TEXT,
    payload {{json}} NOT NULL,
    source_created_at {{ts}},
    source_updated_at {{ts}},
    _hash TEXT NOT NULL,
    _synced_at {{ts}} NOT NULL,
    _deleted BOOLEAN NOT NULL DEFAULT FALSE,
    _deleted_at {{ts}}
);

CREATE TABLE IF NOT EXISTS {{raw}}hubspot_deal_stages (
    source_id TEXT PRIMARY KEY,
    pipeline_id TEXT,
    label TEXT,
    display_order INTEGER,
    probability DOUBLE PRECISION,
    is_closed BOOLEAN,
    payload {{json}} NOT NULL,
    source_created_at {{ts}},
    source_updated_at {{ts}},
    _hash TEXT NOT NULL,
    _synced_at {{ts}} NOT NULL,
    _deleted BOOLEAN NOT NULL DEFAULT FALSE,
    _deleted_at {{ts}}
);

CREATE TABLE IF NOT EXISTS {{raw}}salesforce_accounts (
    source_id TEXT PRIMARY KEY,
    name TEXT,
    website TEXT,
    payload {{json}} NOT NULL,
    source_created_at {{ts}},
    source_updated_at {{ts}},
    _hash TEXT NOT NULL,
    _synced_at {{ts}} NOT NULL,
    _deleted BOOLEAN NOT NULL DEFAULT FALSE,
    _deleted_at {{ts}}
);

CREATE TABLE IF NOT EXISTS {{raw}}salesforce_contacts (
    source_id TEXT PRIMARY KEY,
    account_id TEXT,
    email TEXT,
    payload {{json}} NOT NULL,
    source_created_at {{ts}},
    source_updated_at {{ts}},
    _hash TEXT NOT NULL,
    _synced_at {{ts}} NOT NULL,
    _deleted BOOLEAN NOT NULL DEFAULT FALSE,
    _deleted_at {{ts}}
);

CREATE TABLE IF NOT EXISTS {{raw}}salesforce_opportunities (
    source_id TEXT PRIMARY KEY,
    account_id TEXT,
    name TEXT,
    stage_name TEXT,
    amount DOUBLE PRECISION,
    payload {{json}} NOT NULL,
    source_created_at {{ts}},
    source_updated_at {{ts}},
    _hash TEXT NOT NULL,
    _synced_at {{ts}} NOT NULL,
    _deleted BOOLEAN NOT NULL DEFAULT FALSE,
    _deleted_at {{ts}}
);

CREATE TABLE IF NOT EXISTS {{raw}}salesforce_cases (
    source_id TEXT PRIMARY KEY,
    account_id TEXT,
    status TEXT,
    payload {{json}} NOT NULL,
    source_created_at {{ts}},
    source_updated_at {{ts}},
    _hash TEXT NOT NULL,
    _synced_at {{ts}} NOT NULL,
    _deleted BOOLEAN NOT NULL DEFAULT FALSE,
    _deleted_at {{ts}}
);

-- Usage logs: one row per parsed line, keyed by file digest + line number so a re-dropped
-- or re-read file never double counts.
CREATE TABLE IF NOT EXISTS {{raw}}usage_events (
    event_key TEXT PRIMARY KEY,
    file_name TEXT NOT NULL,
    line_no INTEGER NOT NULL,
    event_at {{ts}} NOT NULL,
    customer_ref TEXT NOT NULL,
    event TEXT NOT NULL,
    status TEXT,
    user_id TEXT,
    bytes DOUBLE PRECISION,
    latency_ms DOUBLE PRECISION,
    cost DOUBLE PRECISION,
    event_count DOUBLE PRECISION NOT NULL DEFAULT 1,
    _loaded_at {{ts}} NOT NULL
);

-- Ledger of usage files read: lines in = lines loaded + lines quarantined, per file.
CREATE TABLE IF NOT EXISTS {{raw}}usage_files (
    file_digest TEXT PRIMARY KEY,
    file_name TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    lines_in INTEGER NOT NULL,
    lines_loaded INTEGER NOT NULL,
    lines_quarantined INTEGER NOT NULL,
    loaded_at {{ts}} NOT NULL
);

-- Sync cursors; written in the same transaction as the page of data they cover.
CREATE TABLE IF NOT EXISTS {{raw}}sync_state (
    source TEXT NOT NULL,
    source_object TEXT NOT NULL,
    cursor_value TEXT,
    last_full_sync_at {{ts}},
    updated_at {{ts}} NOT NULL,
    PRIMARY KEY (source, source_object)
);

-- Records that could not be used, with the reason: nothing is dropped silently.
CREATE TABLE IF NOT EXISTS {{raw}}quarantine (
    quarantine_id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    source_object TEXT NOT NULL,
    record_key TEXT NOT NULL,
    reason TEXT NOT NULL,
    payload TEXT,
    quarantined_at {{ts}} NOT NULL
);
