-- Staging layer: every source's companies, people, deals, activities and surveys in one
-- canonical shape (hub/staging.py). record_id is "source:object:source_id".

CREATE TABLE IF NOT EXISTS {{staging}}companies (
    record_id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    source_object TEXT NOT NULL,
    source_id TEXT NOT NULL,
    company TEXT,
    website TEXT,
    domain TEXT,
    email TEXT,
    email_domain TEXT,
    city TEXT,
    country TEXT,
    industry TEXT,
    owner TEXT,
    phone TEXT,
    annual_revenue DOUBLE PRECISION,
    status TEXT,
    salesforce_account_id TEXT,
    hubspot_company_id TEXT,
    application_id TEXT,
    created_at {{ts}},
    updated_at {{ts}}
);

CREATE TABLE IF NOT EXISTS {{staging}}people (
    record_id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    source_id TEXT NOT NULL,
    company_record_id TEXT,
    email TEXT,
    name TEXT,
    title TEXT,
    phone TEXT,
    updated_at {{ts}}
);

CREATE TABLE IF NOT EXISTS {{staging}}deals (
    record_id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    source_id TEXT NOT NULL,
    company_record_id TEXT,
    name TEXT,
    stage TEXT,
    amount DOUBLE PRECISION,
    probability DOUBLE PRECISION,
    close_date TEXT,
    is_closed BOOLEAN,
    is_won BOOLEAN,
    owner TEXT,
    created_at {{ts}},
    updated_at {{ts}}
);

-- Interactions (Airtable), tickets (HubSpot) and cases (Salesforce).
CREATE TABLE IF NOT EXISTS {{staging}}activities (
    record_id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    company_record_id TEXT,
    occurred_at {{ts}},
    type TEXT,
    subject TEXT,
    sentiment TEXT,
    priority TEXT,
    is_closed BOOLEAN,
    closed_at {{ts}},
    owner TEXT
);

CREATE TABLE IF NOT EXISTS {{staging}}surveys (
    record_id TEXT PRIMARY KEY,
    company_record_id TEXT,
    survey_type TEXT,
    date_sent TEXT,
    date_responded TEXT,
    pmf_score DOUBLE PRECISION,
    satisfaction_score DOUBLE PRECISION,
    likelihood_to_pay TEXT,
    has_testimonial BOOLEAN,
    case_study_willingness BOOLEAN
);

-- Airtable "Usage Analytics" rows: daily figures reported per customer.
CREATE TABLE IF NOT EXISTS {{staging}}usage_reports (
    record_id TEXT PRIMARY KEY,
    company_record_id TEXT,
    date TEXT NOT NULL,
    api_calls DOUBLE PRECISION,
    sign_operations DOUBLE PRECISION,
    verify_operations DOUBLE PRECISION,
    error_rate DOUBLE PRECISION,
    active_users DOUBLE PRECISION,
    storage_bytes DOUBLE PRECISION,
    cost DOUBLE PRECISION
);
