"""Raw HubSpot CRM objects, with their company associations, and the deal pipeline stages."""

from __future__ import annotations

from typing import Any

from assets.raw import raw_asset
from hub.raw import RawSync
from hub.sync import SyncReport
from hub.sync.hubspot import sync_deal_stages, sync_hubspot

OBJECTS = {
    "companies": None,
    "contacts": ["companies"],
    "deals": ["companies"],
    "tickets": ["companies"],
}


def _sync(object_type: str, associations: list[str] | None):  # noqa: ANN202
    def sync(connector: Any, raw: RawSync, config: dict[str, Any]) -> SyncReport:
        return sync_hubspot(connector, raw, object_type, config, associations=associations)
    return sync


hubspot_assets = [
    raw_asset("hubspot", object_type, resource_key="hubspot", kinds={"hubspot", "python"},
              sync=_sync(object_type, associations),
              description=f"HubSpot {object_type} (CRM v3), keyed by object id"
                          + (", with their associated companies" if associations else "")
                          + ". Listed in full once, then searched by modified time; deletions and GDPR "
                            "removals marked, not erased.")
    for object_type, associations in OBJECTS.items()
] + [
    raw_asset("hubspot", "deal_stages", resource_key="hubspot", kinds={"hubspot", "python"},
              sync=lambda connector, raw, config: sync_deal_stages(connector, raw), source_counts=False,
              description="HubSpot deal pipeline stages: labels, order, probability and whether closed."),
]
