-- Health figures behind the scores (hub/health.py), the lifetime usage summary the activation
-- checklist reads, and the indexes that keep a recalculation over 100k customers fast.

ALTER TABLE {{analytics}}customer_health ADD COLUMN api_calls_7d DOUBLE PRECISION;
ALTER TABLE {{analytics}}customer_health ADD COLUMN api_calls_prev_7d DOUBLE PRECISION;
ALTER TABLE {{analytics}}customer_health ADD COLUMN api_calls_14d DOUBLE PRECISION;
ALTER TABLE {{analytics}}customer_health ADD COLUMN usage_growth_pct DOUBLE PRECISION;
ALTER TABLE {{analytics}}customer_health ADD COLUMN active_days_7d INTEGER;
ALTER TABLE {{analytics}}customer_health ADD COLUMN error_rate_7d DOUBLE PRECISION;
ALTER TABLE {{analytics}}customer_health ADD COLUMN last_api_call_on TEXT;
ALTER TABLE {{analytics}}customer_health ADD COLUMN open_tickets INTEGER;
ALTER TABLE {{analytics}}customer_health ADD COLUMN tickets_30d INTEGER;
ALTER TABLE {{analytics}}customer_health ADD COLUMN contacts INTEGER;
ALTER TABLE {{analytics}}customer_health ADD COLUMN days_since_interaction INTEGER;
ALTER TABLE {{analytics}}customer_health ADD COLUMN satisfaction DOUBLE PRECISION;
ALTER TABLE {{analytics}}customer_health ADD COLUMN pmf DOUBLE PRECISION;
ALTER TABLE {{analytics}}customer_health ADD COLUMN activation_done INTEGER;
ALTER TABLE {{analytics}}customer_health ADD COLUMN activation_missing TEXT;
ALTER TABLE {{analytics}}customer_health ADD COLUMN time_to_first_value_days DOUBLE PRECISION;

-- Per customer, over all of usage_daily and the product events: when each first happened.
CREATE TABLE IF NOT EXISTS {{analytics}}customer_usage (
    customer_id TEXT PRIMARY KEY,
    first_usage_on TEXT,
    first_api_call_on TEXT,
    last_api_call_on TEXT,
    first_sign_on TEXT,
    first_verify_on TEXT,
    peak_active_users DOUBLE PRECISION,
    api_calls_total DOUBLE PRECISION,
    active_days_total INTEGER,
    api_key_created_at {{ts}},
    first_api_call_event_at {{ts}}
);

-- Health reads the last 14 days of usage: an index it can answer from without touching rows.
CREATE INDEX IF NOT EXISTS usage_daily_recent
    ON {{analytics}}usage_daily (date, customer_id, api_calls, errors, active_users);
-- 7- and 30-day deltas read one day of history each.
CREATE INDEX IF NOT EXISTS customer_health_history_as_of
    ON {{analytics}}customer_health_history (as_of, customer_id, health_score);
