"""Jobs: the nightly full sync, and the smaller jobs sensors launch."""

from __future__ import annotations

import dagster as dg

from assets.alerts import ALERTS, OWNER_DIGESTS
from assets.customers import CUSTOMERS
from assets.governance import RETENTION_RUNS
from assets.health import CUSTOMER_HEALTH, KPI_DAILY
from assets.playbooks import ACTIONS
from assets.reports import MONTHLY_REPORTS, REPORT_KEYS, WEEKLY_REPORTS
from assets.usage import CUSTOMER_USAGE, USAGE_DAILY, USAGE_DAYS, USAGE_EVENTS

# Partitioned assets (by day, week, month) cannot share a job with the unpartitioned ones.
PARTITIONED = (USAGE_DAYS, *REPORT_KEYS)

nightly_sync = dg.define_asset_job(
    "nightly_sync",
    # The usage days it lands are rolled up by its usage_daily step, recorded as their partitions.
    selection=dg.AssetSelection.all() - dg.AssetSelection.assets(RETENTION_RUNS, OWNER_DIGESTS, *PARTITIONED),
    description="Everything, from the sources to the alerts: CRM and Airtable sync, usage logs, "
                "reconciliation, health, KPIs, alerts.",
    tags={"hub/job": "nightly_sync"},
)

usage_ingest = dg.define_asset_job(
    "usage_ingest",
    selection=dg.AssetSelection.assets(USAGE_EVENTS),
    description="Land new usage-log files (usage_days_sensor then requests the days they touched).",
)

usage_days = dg.define_asset_job(
    "usage_days",
    selection=dg.AssetSelection.assets(USAGE_DAYS, USAGE_DAILY, CUSTOMER_USAGE),
    description="Roll up the usage events of the given UTC days again, then usage_daily and customer_usage: "
                "what usage_days_sensor requests for the days new files touched, and a backfill from the UI.",
)

health_recalculation = dg.define_asset_job(
    "health_recalculation",
    selection=dg.AssetSelection.assets(CUSTOMER_HEALTH, CUSTOMERS, KPI_DAILY),
    description="Recompute customer health, the customers' score, band and stage, and the daily KPIs from the "
                "current reconciled, unified and usage tables.",
)

alert_evaluation = dg.define_asset_job(
    "alert_evaluation",
    selection=dg.AssetSelection.assets(ALERTS, ACTIONS),
    description="Evaluate the alert rules, deliver pending alerts and run the playbooks they trigger.",
)

retention = dg.define_asset_job(
    "retention",
    selection=dg.AssetSelection.assets(RETENTION_RUNS),
    description="Delete what each layer keeps no longer (HUB_CONFIG `retention:`) and record what was removed.",
)

owner_digest = dg.define_asset_job(
    "owner_digest", selection=dg.AssetSelection.assets(OWNER_DIGESTS),
    description="Send each owner their morning digest of the open alerts on their customers.")

# Partitioned by week and by month: their own jobs and schedules (schedules/reports.py), not nightly's.
weekly_reports = dg.define_asset_job(
    "weekly_reports", selection=dg.AssetSelection.assets(*WEEKLY_REPORTS),
    description="Render the weekly reports (acquisition, beta engagement, revenue pipeline, customer success, "
                "engagement) for one ISO week.")

monthly_reports = dg.define_asset_job(
    "monthly_reports", selection=dg.AssetSelection.assets(*MONTHLY_REPORTS),
    description="Render the monthly reports (product-market fit, customer satisfaction, business review, "
                "onboarding) for one month.")

JOBS = [nightly_sync, usage_ingest, usage_days, health_recalculation, alert_evaluation, retention, owner_digest,
        weekly_reports, monthly_reports]
