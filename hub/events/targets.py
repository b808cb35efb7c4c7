"""Which raw assets an event calls for: the object type that changed, at the source it came from."""

from __future__ import annotations

import dagster as dg

HUBSPOT_TYPES = ("companies", "contacts", "deals", "tickets")
SALESFORCE_TYPES = ("Account", "Contact", "Opportunity", "Case")


def raw_keys_for(event_type: str, object_type: str | None) -> list[dg.AssetKey]:
    """The raw asset(s) to sync for an event; empty when the event needs no sync."""
    if event_type == "application.received":  # seed 000: a new Airtable application
        return [dg.AssetKey(["raw", "airtable", "applications"])]
    if event_type.startswith("hubspot.") and object_type in HUBSPOT_TYPES:
        return [dg.AssetKey(["raw", "hubspot", object_type])]
    if event_type.startswith("salesforce.") and object_type in SALESFORCE_TYPES:
        return [dg.AssetKey(["raw", "salesforce", object_type])]
    return []
