"""The reports' schedules in HUB_TIMEZONE: weekly on Monday at 08:00 for the ISO week that just
ended, monthly on the 1st at 08:00 for the month that just ended."""

from __future__ import annotations

import dagster as dg
import pandas as pd

from assets.jobs import monthly_reports, weekly_reports
from hub.config import settings
from hub.reports.period import last_complete_period, partition_key

WEEKLY_CRON = "0 8 * * 1"
MONTHLY_CRON = "0 8 1 * *"


def _last_complete(context: dg.ScheduleEvaluationContext, grain: str) -> dg.RunRequest:
    when = pd.Timestamp(context.scheduled_execution_time or pd.Timestamp.now(tz="UTC"))
    # The period that ended before this tick, counted in the timezone's calendar date.
    period = last_complete_period(grain, pd.Timestamp(when.date(), tz="UTC"))
    return dg.RunRequest(run_key=f"{grain}:{period.label}", partition_key=partition_key(period))


def weekly_reports_schedule_in(timezone: str) -> dg.ScheduleDefinition:
    @dg.schedule(name="weekly_reports_schedule", job=weekly_reports, cron_schedule=WEEKLY_CRON,
                 execution_timezone=timezone, default_status=dg.DefaultScheduleStatus.RUNNING,
                 description="The weekly reports for the ISO week that just ended, Mondays at 08:00.")
    def weekly_reports_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        return _last_complete(context, "week")

    return weekly_reports_schedule


def monthly_reports_schedule_in(timezone: str) -> dg.ScheduleDefinition:
    @dg.schedule(name="monthly_reports_schedule", job=monthly_reports, cron_schedule=MONTHLY_CRON,
                 execution_timezone=timezone, default_status=dg.DefaultScheduleStatus.RUNNING,
                 description="The monthly reports for the month that just ended, on the 1st at 08:00.")
    def monthly_reports_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        return _last_complete(context, "month")

    return monthly_reports_schedule


weekly_reports_schedule = weekly_reports_schedule_in(settings().timezone)
monthly_reports_schedule = monthly_reports_schedule_in(settings().timezone)
