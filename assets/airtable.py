"""Raw Airtable tables of the "CredLink Customer Validation" base (names mapped in HUB_CONFIG)."""

from __future__ import annotations

from assets.landing import raw_asset

TABLES = {
    "applications": "Beta Applications: one row per company applying to the beta.",
    "interactions": "Customer Interactions: emails, calls, meetings, demos, support, follow-ups.",
    "usage": "Usage Analytics: daily usage figures reported per beta customer.",
    "surveys": "Feedback & Surveys: onboarding, weekly, PMF and exit surveys.",
}


def _fetch(table: str):  # noqa: ANN202
    return lambda client, config: client.pages(config["airtable"]["tables"][table])


airtable_assets = [
    raw_asset("airtable", table, resource_key="airtable", kinds={"airtable", "python"}, fetch=_fetch(table),
              description=f"Airtable {text} Keyed by record id; payload kept whole.")
    for table, text in TABLES.items()
]
