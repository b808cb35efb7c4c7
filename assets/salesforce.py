"""Raw Salesforce objects: Account, Contact, Opportunity, Case, User.
Their objects, sync and staging mapping: hub/sources/salesforce/."""

from __future__ import annotations

from assets.raw import raw_asset

OBJECTS = {
    "Account": "companies",
    "Contact": "people at accounts",
    "Opportunity": "deals",
    "Case": "support cases",
    "User": "the people OwnerId names: Name, Email, IsActive",
}

salesforce_assets = [
    raw_asset("salesforce", sobject, kinds={"salesforce", "python"},
              description=f"Salesforce {sobject} ({text}), every described field, keyed by Id. Incremental "
                          "on SystemModstamp; deletions through queryAll; large first loads via Bulk API 2.0.")
    for sobject, text in OBJECTS.items()
]
