"""Raw Airtable tables of the "CredLink Customer Validation" base (names mapped in HUB_CONFIG)."""

from __future__ import annotations

from typing import Any

from assets.raw import raw_asset
from hub.raw import RawSync
from hub.sync import SyncReport
from hub.sync.airtable import sync_airtable

TABLES = {
    "applications": "Beta Applications: one row per company applying to the beta.",
    "interactions": "Customer Interactions: emails, calls, meetings, demos, support, follow-ups.",
    "usage": "Usage Analytics: daily usage figures reported per beta customer.",
    "surveys": "Feedback & Surveys: onboarding, weekly, PMF and exit surveys.",
}


def _sync(table: str):  # noqa: ANN202
    def sync(connector: Any, raw: RawSync, config: dict[str, Any]) -> SyncReport:
        return sync_airtable(connector, raw, table, config)
    return sync


airtable_assets = [
    raw_asset("airtable", table, resource_key="airtable", kinds={"airtable", "python"}, sync=_sync(table),
              source_counts=False,  # Airtable reports no record counts
              description=f"Airtable {text} Keyed by record id; payload kept whole; linked records as "
                          "ids. Incremental on a \"Last modified time\" field when the table has one.")
    for table, text in TABLES.items()
]
