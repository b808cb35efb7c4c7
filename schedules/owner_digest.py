"""The owners' morning digest on weekdays at 08:00 in HUB_TIMEZONE."""

from __future__ import annotations

import dagster as dg

from assets.jobs import owner_digest
from hub.config import settings

owner_digest_schedule = dg.ScheduleDefinition(
    name="owner_digest_schedule",
    job=owner_digest,
    cron_schedule="0 8 * * 1-5",
    execution_timezone=settings().timezone,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Each owner's morning digest of the open alerts on their customers, weekdays at 08:00.",
)
