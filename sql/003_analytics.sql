-- Analytics layer: the tables BI reads (DESIGN.md "Tables BI reads"). {{analytics}} is
-- "analytics." on PostgreSQL and empty on SQLite.

CREATE TABLE IF NOT EXISTS {{analytics}}customers (
    customer_id TEXT PRIMARY KEY,
    name TEXT,
    domain TEXT,
    industry TEXT,
    city TEXT,
    country TEXT,
    lifecycle_stage TEXT,
    owner TEXT,
    mrr DOUBLE PRECISION,
    arr DOUBLE PRECISION,
    health_score DOUBLE PRECISION,
    health_band TEXT,
    source_count INTEGER NOT NULL DEFAULT 0,
    sources TEXT,
    name_source TEXT,
    domain_source TEXT,
    industry_source TEXT,
    owner_source TEXT,
    first_seen_at {{ts}} NOT NULL,
    updated_at {{ts}} NOT NULL
);

CREATE TABLE IF NOT EXISTS {{analytics}}customer_sources (
    source TEXT NOT NULL,
    source_object TEXT NOT NULL,
    source_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    match_rule TEXT NOT NULL,
    match_score DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (source, source_object, source_id)
);
CREATE INDEX IF NOT EXISTS customer_sources_customer ON {{analytics}}customer_sources (customer_id);

CREATE TABLE IF NOT EXISTS {{analytics}}contacts (
    contact_id TEXT PRIMARY KEY,
    customer_id TEXT,
    email TEXT,
    name TEXT,
    title TEXT,
    phone TEXT,
    sources TEXT
);

CREATE TABLE IF NOT EXISTS {{analytics}}deals (
    deal_id TEXT PRIMARY KEY,
    customer_id TEXT,
    source TEXT NOT NULL,
    source_id TEXT NOT NULL,
    name TEXT,
    stage TEXT,
    amount DOUBLE PRECISION,
    probability DOUBLE PRECISION,
    close_date TEXT,
    is_closed BOOLEAN,
    is_won BOOLEAN,
    owner TEXT
);

CREATE TABLE IF NOT EXISTS {{analytics}}applications (
    application_id TEXT PRIMARY KEY,
    customer_id TEXT,
    company TEXT,
    contact_name TEXT,
    email TEXT,
    industry TEXT,
    status TEXT,
    priority_score DOUBLE PRECISION,
    lead_score INTEGER,
    lead_score_detail TEXT,
    auto_assign BOOLEAN,
    assigned_to TEXT,
    applied_on TEXT,
    source TEXT
);

CREATE TABLE IF NOT EXISTS {{analytics}}usage_daily (
    customer_id TEXT NOT NULL,
    date TEXT NOT NULL,
    api_calls DOUBLE PRECISION NOT NULL,
    sign_operations DOUBLE PRECISION NOT NULL,
    verify_operations DOUBLE PRECISION NOT NULL,
    errors DOUBLE PRECISION NOT NULL,
    error_rate DOUBLE PRECISION NOT NULL,
    active_users DOUBLE PRECISION NOT NULL,
    storage_bytes DOUBLE PRECISION NOT NULL,
    cost DOUBLE PRECISION NOT NULL,
    events INTEGER NOT NULL,
    origin TEXT NOT NULL,
    PRIMARY KEY (customer_id, date)
);

CREATE TABLE IF NOT EXISTS {{analytics}}customer_health (
    customer_id TEXT PRIMARY KEY,
    as_of TEXT NOT NULL,
    usage_score DOUBLE PRECISION,
    support_score DOUBLE PRECISION,
    relationship_score DOUBLE PRECISION,
    outcome_score DOUBLE PRECISION,
    health_score DOUBLE PRECISION NOT NULL,
    health_band TEXT NOT NULL,
    coverage DOUBLE PRECISION NOT NULL,
    delta_7d DOUBLE PRECISION,
    delta_30d DOUBLE PRECISION,
    drivers TEXT
);

CREATE TABLE IF NOT EXISTS {{analytics}}customer_health_history (
    customer_id TEXT NOT NULL,
    as_of TEXT NOT NULL,
    usage_score DOUBLE PRECISION,
    support_score DOUBLE PRECISION,
    relationship_score DOUBLE PRECISION,
    outcome_score DOUBLE PRECISION,
    health_score DOUBLE PRECISION NOT NULL,
    health_band TEXT NOT NULL,
    coverage DOUBLE PRECISION NOT NULL,
    delta_7d DOUBLE PRECISION,
    delta_30d DOUBLE PRECISION,
    drivers TEXT,
    PRIMARY KEY (customer_id, as_of)
);

CREATE TABLE IF NOT EXISTS {{analytics}}kpi_daily (
    date TEXT NOT NULL,
    kpi TEXT NOT NULL,
    value DOUBLE PRECISION,
    target DOUBLE PRECISION,
    status TEXT NOT NULL,
    detail TEXT,
    PRIMARY KEY (date, kpi)
);

CREATE TABLE IF NOT EXISTS {{analytics}}alerts (
    alert_id TEXT PRIMARY KEY,
    rule TEXT NOT NULL,
    severity TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    customer_id TEXT,
    owner TEXT,
    message TEXT NOT NULL,
    status TEXT NOT NULL,
    first_fired_at {{ts}} NOT NULL,
    last_fired_at {{ts}} NOT NULL,
    resolved_at {{ts}},
    delivery_status TEXT NOT NULL,
    delivery_attempts INTEGER NOT NULL DEFAULT 0,
    delivered_at {{ts}},
    last_delivery_error TEXT
);
CREATE INDEX IF NOT EXISTS alerts_status ON {{analytics}}alerts (status, delivery_status);
