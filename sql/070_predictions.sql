-- Churn prediction and revenue forecast (hub/predict/, assets/predictions.py; docs/predictions.md).
-- One writing asset per table: predictions/churn_risk writes churn_snapshots, churn_risk and
-- churn_model_evaluations; predictions/revenue_forecast writes pipeline_snapshots and revenue_forecast.

-- One row per customer and day as the hub saw it: the history the churn model learns from.
CREATE TABLE IF NOT EXISTS {{analytics}}churn_snapshots (
    customer_id TEXT NOT NULL,
    as_of TEXT NOT NULL,                    -- day of the snapshot (YYYY-MM-DD)
    lifecycle_stage TEXT,                   -- 'churned' here is how the model learns a churn happened
    health_band TEXT,
    health_score DOUBLE PRECISION,
    usage_score DOUBLE PRECISION,
    support_score DOUBLE PRECISION,
    relationship_score DOUBLE PRECISION,
    outcome_score DOUBLE PRECISION,
    coverage DOUBLE PRECISION,
    api_calls_7d DOUBLE PRECISION,
    api_calls_prev_7d DOUBLE PRECISION,
    active_days_7d INTEGER,
    error_rate_7d DOUBLE PRECISION,
    open_tickets INTEGER,
    tickets_30d INTEGER,
    contacts INTEGER,
    days_since_interaction DOUBLE PRECISION,
    satisfaction DOUBLE PRECISION,          -- 0-10, NULL without a survey answer
    activation_done INTEGER,                -- onboarding checklist steps done, of 5
    first_seen_at TEXT,
    renewal_on TEXT,                        -- next anniversary of the first won deal, NULL when unknown
    mrr DOUBLE PRECISION,
    PRIMARY KEY (customer_id, as_of)
);
CREATE INDEX IF NOT EXISTS churn_snapshots_as_of ON {{analytics}}churn_snapshots (as_of);

-- Per live customer of the latest snapshot: churn probability, or NULL with the reason when the
-- history is too short to learn from (method 'health_band': the health band stands).
CREATE TABLE IF NOT EXISTS {{analytics}}churn_risk (
    customer_id TEXT PRIMARY KEY,
    as_of TEXT NOT NULL,
    churn_probability_30d DOUBLE PRECISION,
    churn_probability_90d DOUBLE PRECISION,
    churn_probability DOUBLE PRECISION,     -- the 90-day figure: the metric alerts and playbooks read
    risk_band TEXT,                         -- high / elevated / low, or the health band without a model
    top_factors TEXT,                       -- the three features raising the risk most, in words
    health_band TEXT,
    method TEXT NOT NULL,                   -- 'model' or 'health_band'
    reason TEXT,                            -- why there is no model yet
    trained_at {{ts}}
);

-- Every training's held-out evaluation, per horizon, against the health band.
CREATE TABLE IF NOT EXISTS {{analytics}}churn_model_evaluations (
    trained_at {{ts}} NOT NULL,
    horizon_days INTEGER NOT NULL,
    evaluated BOOLEAN NOT NULL,
    reason TEXT,
    train_from TEXT,
    train_until TEXT,
    test_from TEXT,
    test_until TEXT,
    n_train INTEGER,
    n_test INTEGER,
    train_churns INTEGER,
    test_churns INTEGER,
    roc_auc DOUBLE PRECISION,
    pr_auc DOUBLE PRECISION,
    brier DOUBLE PRECISION,
    top_decile_churn_rate DOUBLE PRECISION,
    lift_top_decile DOUBLE PRECISION,
    baseline_roc_auc DOUBLE PRECISION,      -- baseline: each health band's churn rate on the training window
    baseline_pr_auc DOUBLE PRECISION,
    baseline_brier DOUBLE PRECISION,
    baseline_top_decile_churn_rate DOUBLE PRECISION,
    baseline_lift_top_decile DOUBLE PRECISION,
    health_score_roc_auc DOUBLE PRECISION,  -- 100 - health score as a ranking
    health_score_pr_auc DOUBLE PRECISION,
    beats_baseline BOOLEAN,
    calibration TEXT,                       -- JSON: predicted against observed per bin, model and band
    calibration_plot TEXT,                  -- path of the PNG under HUB_HOME/reports
    PRIMARY KEY (trained_at, horizon_days)
);

-- The open deals as the CRM showed them each day: what a forecast backtest knew at its origin.
CREATE TABLE IF NOT EXISTS {{analytics}}pipeline_snapshots (
    as_of TEXT NOT NULL,
    deal_id TEXT NOT NULL,
    customer_id TEXT,
    mrr DOUBLE PRECISION,                   -- the deal's amount / 12 (deals.amount is annual)
    probability DOUBLE PRECISION,
    close_date TEXT,
    PRIMARY KEY (as_of, deal_id)
);

-- MRR one to three months ahead with an 80 % interval; NULL figures and the reason without a model.
CREATE TABLE IF NOT EXISTS {{analytics}}revenue_forecast (
    as_of TEXT NOT NULL,
    months_ahead INTEGER NOT NULL,
    month_end TEXT,
    current_mrr DOUBLE PRECISION,
    expected_churn_mrr DOUBLE PRECISION,
    pipeline_mrr DOUBLE PRECISION,
    forecast_mrr DOUBLE PRECISION,
    low_mrr DOUBLE PRECISION,
    high_mrr DOUBLE PRECISION,
    backtest_mape DOUBLE PRECISION,         -- mean absolute percentage error at this many months ahead
    backtest_origins INTEGER,
    reason TEXT,
    PRIMARY KEY (as_of, months_ahead)
);
