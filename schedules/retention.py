"""Retention daily at 03:30 in HUB_TIMEZONE, after the nightly sync."""

from __future__ import annotations

import dagster as dg

from assets.jobs import retention
from hub.config import settings

retention_schedule = dg.ScheduleDefinition(
    name="retention_schedule",
    job=retention,
    cron_schedule="30 3 * * *",
    execution_timezone=settings().timezone,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Prunes every layer past its retention (HUB_CONFIG `retention:`), daily at 03:30.",
)
