-- The KPI catalogue (hub/kpi_catalogue.py, kpis.catalogue in HUB_CONFIG, docs/kpis.md): one row per
-- KPI, grain (day / week / month) and period (2026-11-29, 2026-W48, 2026-11). numerator and
-- denominator let BI re-aggregate (sum both, then divide; never average the rates). A KPI whose
-- input the sources do not hold has status 'unknown', value NULL and the reason with the fix.
CREATE TABLE IF NOT EXISTS {{analytics}}kpi_period (
    grain TEXT NOT NULL,
    period TEXT NOT NULL,
    kpi TEXT NOT NULL,
    area TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    value DOUBLE PRECISION,
    numerator DOUBLE PRECISION,
    denominator DOUBLE PRECISION,
    target DOUBLE PRECISION,
    status TEXT NOT NULL,
    unit TEXT,
    reason TEXT,
    detail TEXT,
    computed_at {{ts}} NOT NULL,
    PRIMARY KEY (grain, period, kpi)
);
