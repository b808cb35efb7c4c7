"""Raw Salesforce objects: Account, Contact, Opportunity, Case."""

from __future__ import annotations

from typing import Any

from assets.raw import raw_asset
from hub.raw import RawSync
from hub.sync import SyncReport
from hub.sync.salesforce import sync_salesforce

OBJECTS = {
    "Account": "companies",
    "Contact": "people at accounts",
    "Opportunity": "deals",
    "Case": "support cases",
}


def _sync(sobject: str):  # noqa: ANN202
    def sync(connector: Any, raw: RawSync, config: dict[str, Any]) -> SyncReport:
        return sync_salesforce(connector, raw, sobject, config)
    return sync


salesforce_assets = [
    raw_asset("salesforce", sobject, resource_key="salesforce", kinds={"salesforce", "python"},
              sync=_sync(sobject),
              description=f"Salesforce {sobject} ({text}), every described field, keyed by Id. Incremental "
                          "on SystemModstamp; deletions through queryAll; large first loads via Bulk API 2.0.")
    for sobject, text in OBJECTS.items()
]
