"""The seeds' weekly and monthly reports (hub/reports): one asset per report, partitioned by ISO
week (Monday) or by month; each materialization shows the report's Markdown and its charts."""

import dagster as dg

from assets.graph import deps, key
from hub.config import settings
from hub.reports.deliver import deliver_reports
from hub.reports.period import from_partition_key
from hub.reports.store import REPORTS, Rendered, render_report, render_reports
from resources.alerting import AlertChannelsResource
from resources.config import HubConfigResource
from resources.warehouse import WarehouseResource

START = "2026-01-01"


def weekly_partitions(timezone: str) -> dg.WeeklyPartitionsDefinition:
    return dg.WeeklyPartitionsDefinition(start_date="2025-12-29", day_offset=1, timezone=timezone)


def monthly_partitions(timezone: str) -> dg.MonthlyPartitionsDefinition:
    return dg.MonthlyPartitionsDefinition(start_date=START, timezone=timezone)


WEEKLY = weekly_partitions(settings().timezone)
MONTHLY = monthly_partitions(settings().timezone)


def metadata(rendered: Rendered) -> dict[str, dg.MetadataValue]:
    out = {"report": dg.MetadataValue.md(rendered.markdown), "html": dg.MetadataValue.path(str(rendered.html)),
           "folder": dg.MetadataValue.path(str(rendered.folder)), "period": dg.MetadataValue.text(rendered.period.label),
           "charts": dg.MetadataValue.int(len(rendered.charts))}
    for chart in rendered.charts:
        out[f"chart_{chart.stem}"] = dg.MetadataValue.path(str(chart))
    return out


def delivery_metadata(result: dict) -> dict[str, dg.MetadataValue]:
    out = {f"delivery_{k}": dg.MetadataValue.int(int(v)) for k, v in result.items()
           if k in ("sent", "failed", "already_sent")}
    out["delivery_channels"] = dg.MetadataValue.text(result["channels"])
    if result["errors"]:
        out["delivery_errors"] = dg.MetadataValue.text(result["errors"])
    return out


def _report_asset(name: str, grain: str) -> dg.AssetsDefinition:
    @dg.asset(key=key(f"analytics/reports/{name}"), group_name="analytics", deps=deps(render_reports),
              partitions_def=WEEKLY if grain == "week" else MONTHLY, kinds={"matplotlib", "markdown"},
              owners=["team:data"],
              description=f"The {grain}ly {name.split('_', 1)[1].replace('_', ' ')} report (README \"Reports\"): "
                          f"Markdown, HTML and PNG charts under HUB_HOME/reports/{name}/<period>/ and a row "
                          "of analytics.reports, then sent by the alert channels reports.deliver switches on, "
                          "once per period and channel (analytics.report_deliveries).")
    def report(context: dg.AssetExecutionContext, warehouse: WarehouseResource, hub_config: HubConfigResource,
               alert_channels: AlertChannelsResource) -> dg.MaterializeResult:
        period = from_partition_key(context.partition_key, grain)
        config = hub_config.get()
        rendered = render_report(warehouse.get(), config, name, period, settings().home)
        # A channel that is down does not fail the report: its error is recorded and retried next render.
        sent = deliver_reports(warehouse.get(), config, alert_channels.channels(), [rendered])
        return dg.MaterializeResult(metadata={**metadata(rendered), **delivery_metadata(sent.metadata)})

    return report


# Module attributes, one per report, so load_assets_from_modules finds them.
weekly_acquisition = _report_asset("weekly_acquisition", "week")
weekly_beta_engagement = _report_asset("weekly_beta_engagement", "week")
weekly_revenue_pipeline = _report_asset("weekly_revenue_pipeline", "week")
weekly_customer_success = _report_asset("weekly_customer_success", "week")
monthly_pmf = _report_asset("monthly_pmf", "month")
monthly_satisfaction = _report_asset("monthly_satisfaction", "month")
monthly_business_review = _report_asset("monthly_business_review", "month")
weekly_engagement = _report_asset("weekly_engagement", "week")
monthly_onboarding = _report_asset("monthly_onboarding", "month")

WEEKLY_REPORTS = [key(f"analytics/reports/{name}") for name, (grain, _) in REPORTS.items() if grain == "week"]
MONTHLY_REPORTS = [key(f"analytics/reports/{name}") for name, (grain, _) in REPORTS.items() if grain == "month"]
REPORT_KEYS = WEEKLY_REPORTS + MONTHLY_REPORTS
