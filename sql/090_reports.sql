-- Rendered reports (hub/reports, README "Reports"): one row per report and period (2026-W48, 2026-11),
-- the Markdown as rendered and the folder under HUB_HOME/reports holding report.md, report.html and
-- the PNG charts. Written only by the reports assets (hub.reports.store.render_reports); a rerun
-- of a period replaces its row.
CREATE TABLE IF NOT EXISTS {{analytics}}reports (
    name TEXT NOT NULL,
    period TEXT NOT NULL,
    grain TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    rendered_at {{ts}} NOT NULL,
    path TEXT NOT NULL,
    markdown TEXT NOT NULL,
    PRIMARY KEY (name, period)
);
