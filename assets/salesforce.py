"""Raw Salesforce objects: Account, Contact, Opportunity, Case."""

from __future__ import annotations

from assets.landing import raw_asset

OBJECTS = {
    "Account": "companies",
    "Contact": "people at accounts",
    "Opportunity": "deals",
    "Case": "support cases",
}

salesforce_assets = [
    raw_asset("salesforce", sobject, resource_key="salesforce", kinds={"salesforce", "python"},
              fetch=lambda client, config, s=sobject: client.pages(s),
              description=f"Salesforce {sobject} ({text}), every described field, keyed by Id.")
    for sobject, text in OBJECTS.items()
]
