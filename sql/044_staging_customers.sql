-- Reconciliation's output, before health: one row per resolved company with its surviving
-- fields, MRR/ARR and first_seen_at (hub.pipeline.unified.reconcile_customers). Health reads it;
-- analytics.customers is written after health from it, with the health score, band and lifecycle
-- stage (one writer per table). Filled from analytics.customers once, so an existing warehouse
-- keeps its customers' first_seen_at.
CREATE TABLE IF NOT EXISTS {{staging}}customers (
    customer_id TEXT PRIMARY KEY,
    name TEXT,
    domain TEXT,
    industry TEXT,
    city TEXT,
    country TEXT,
    owner TEXT,
    mrr DOUBLE PRECISION,
    arr DOUBLE PRECISION,
    source_count INTEGER NOT NULL DEFAULT 0,
    sources TEXT,
    name_source TEXT,
    domain_source TEXT,
    industry_source TEXT,
    owner_source TEXT,
    city_source TEXT,
    country_source TEXT,
    first_seen_at {{ts}} NOT NULL
);
INSERT INTO {{staging}}customers (customer_id, name, domain, industry, city, country, owner, mrr, arr, source_count,
                                  sources, name_source, domain_source, industry_source, owner_source, city_source,
                                  country_source, first_seen_at)
SELECT customer_id, name, domain, industry, city, country, owner, mrr, arr, source_count, sources, name_source,
       domain_source, industry_source, owner_source, city_source, country_source, first_seen_at
FROM {{analytics}}customers;
