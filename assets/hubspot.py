"""Raw HubSpot CRM objects, with their company associations, the deal pipeline stages and the owners.
Their objects, sync and staging mapping: hub/sources/hubspot/."""

from __future__ import annotations

from assets.raw import raw_asset
from hub.sources.hubspot.sync import ASSOCIATIONS

hubspot_assets = [
    raw_asset("hubspot", object_type, kinds={"hubspot", "python"},
              description=f"HubSpot {object_type} (CRM v3), keyed by object id"
                          + (", with their associated companies" if associations else "")
                          + ". Listed in full once, then searched by modified time; deletions and GDPR "
                            "removals marked, not erased.")
    for object_type, associations in ASSOCIATIONS.items()
] + [
    raw_asset("hubspot", "deal_stages", kinds={"hubspot", "python"}, source_counts=False,
              description="HubSpot deal pipeline stages: labels, order, probability and whether closed."),
    raw_asset("hubspot", "owners", kinds={"hubspot", "python"}, source_counts=False,
              description="HubSpot owners (GET /crm/v3/owners, archived ones too): id (what hubspot_owner_id "
                          "names), email, first and last name. Listed in full each run."),
]
