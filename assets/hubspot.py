"""Raw HubSpot CRM objects, with their company associations, and the deal pipeline stages."""

from __future__ import annotations

from assets.landing import raw_asset

OBJECTS = {
    "companies": None,
    "contacts": ["companies"],
    "deals": ["companies"],
    "tickets": ["companies"],
}


def _fetch(object_type: str, associations: list[str] | None):  # noqa: ANN202
    return lambda client, config: client.pages(object_type, config["hubspot"]["properties"][object_type],
                                               associations=associations)


hubspot_assets = [
    raw_asset("hubspot", object_type, resource_key="hubspot", kinds={"hubspot", "python"},
              fetch=_fetch(object_type, associations),
              description=f"HubSpot {object_type} (CRM v3), keyed by object id"
                          + (", with their associated companies." if associations else "."))
    for object_type, associations in OBJECTS.items()
] + [
    raw_asset("hubspot", "deal_stages", resource_key="hubspot", kinds={"hubspot", "python"},
              fetch=lambda client, config: iter([client.deal_stages()]),
              description="HubSpot deal pipeline stages: labels, order, probability and whether closed."),
]
