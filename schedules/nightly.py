"""The nightly CRM sync at 02:00 in HUB_TIMEZONE."""

from __future__ import annotations

import dagster as dg

from assets.jobs import nightly_sync
from hub.config import settings

nightly_sync_schedule = dg.ScheduleDefinition(
    name="nightly_sync_schedule",
    job=nightly_sync,
    cron_schedule="0 2 * * *",
    execution_timezone=settings().timezone,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Syncs Airtable, HubSpot and Salesforce and rebuilds everything down to the alerts, nightly at 02:00.",
)
