"""Raw Airtable tables of the "CredLink Customer Validation" base (names mapped in HUB_CONFIG).
Their objects, sync and staging mapping: hub/sources/airtable/."""

from __future__ import annotations

from assets.raw import raw_asset

TABLES = {
    "applications": "Beta Applications: one row per company applying to the beta.",
    "interactions": "Customer Interactions: emails, calls, meetings, demos, support, follow-ups.",
    "usage": "Usage Analytics: daily usage figures reported per beta customer.",
    "surveys": "Feedback & Surveys: onboarding, weekly, PMF and exit surveys.",
}

airtable_assets = [
    raw_asset("airtable", table, kinds={"airtable", "python"},
              source_counts=False,  # Airtable reports no record counts
              description=f"Airtable {text} Keyed by record id; payload kept whole; linked records as "
                          "ids. Incremental on a \"Last modified time\" field when the table has one.")
    for table, text in TABLES.items()
]
