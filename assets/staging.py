"""Staging: every source's records in one canonical shape (hub/staging.py)."""

from __future__ import annotations

import dagster as dg

from assets.graph import deps
from assets.raw import markdown_preview
from hub.pipeline.unified import STAGING_TABLES, build_staging
from resources.config import HubConfigResource
from resources.warehouse import WarehouseResource

DESCRIPTIONS = {
    "companies": "Company-level records of every source (Airtable applications, HubSpot companies, "
                 "Salesforce accounts) with registrable domains and cross-reference ids.",
    "people": "Applicants and CRM contacts with the company record they belong to.",
    "deals": "HubSpot deals (stages resolved through the pipeline) and Salesforce opportunities.",
    "activities": "Airtable interactions, HubSpot tickets and Salesforce cases.",
    "surveys": "Airtable Feedback & Surveys.",
    "usage_reports": "Airtable Usage Analytics rows.",
    "owners": "The people the sources name as owners: HubSpot owners (archived ones inactive), Salesforce users "
              "(IsActive), Airtable \"Assigned To\" names; owner_id is what the source's records carry.",
}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["staging", name], group_name="staging", description=DESCRIPTIONS[name],
                     deps=deps(build_staging),
                     kinds={"pandas", "sql"}, owners=["team:data"])
        for name in STAGING_TABLES
    ],
)
def staging_tables(warehouse: WarehouseResource, hub_config: HubConfigResource):
    results = build_staging(warehouse.get(), hub_config.get())
    for name, result in results.items():
        yield dg.MaterializeResult(asset_key=["staging", name], metadata={
            "dagster/row_count": result.rows, **result.metadata, "preview": markdown_preview(result.preview)})
