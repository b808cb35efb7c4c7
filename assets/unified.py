"""The unified tables BI reads: customers, their source crosswalk, contacts, deals, applications."""

from __future__ import annotations

import dagster as dg

from assets.landing import markdown_preview
from hub.config import current_config
from hub.pipeline.steps import StepResult
from hub.pipeline.unified import build_applications, build_contacts, build_customers, build_deals
from resources.warehouse import WarehouseResource

STAGING = lambda *names: [dg.AssetKey(["staging", n]) for n in names]  # noqa: E731
CUSTOMERS = dg.AssetKey(["unified", "customers"])
CUSTOMER_SOURCES = dg.AssetKey(["unified", "customer_sources"])


def _result(result: StepResult, key: dg.AssetKey | None = None) -> dg.MaterializeResult:
    return dg.MaterializeResult(asset_key=key, metadata={
        "dagster/row_count": result.rows, **result.metadata, "preview": markdown_preview(result.preview)})


@dg.multi_asset(
    specs=[
        dg.AssetSpec(CUSTOMERS, group_name="unified", deps=STAGING("companies", "deals"),
                     kinds={"pandas", "sql"}, owners=["team:data"],
                     description="One row per real company, with a customer_id stable across runs; "
                                 "each field from the highest-priority source holding it."),
        dg.AssetSpec(CUSTOMER_SOURCES, group_name="unified", deps=STAGING("companies"),
                     kinds={"pandas", "sql"}, owners=["team:data"],
                     description="Crosswalk: every source record -> its customer, with the rule that matched it."),
    ],
)
def customers(warehouse: WarehouseResource):
    customers_result, sources_result = build_customers(warehouse.get(), current_config())
    yield _result(customers_result, CUSTOMERS)
    yield _result(sources_result, CUSTOMER_SOURCES)


@dg.asset(key=["unified", "contacts"], group_name="unified", deps=[CUSTOMER_SOURCES, *STAGING("people")],
          kinds={"pandas", "sql"}, owners=["team:data"],
          description="People de-duplicated by normalised email, attached to their customer.")
def contacts(warehouse: WarehouseResource) -> dg.MaterializeResult:
    return _result(build_contacts(warehouse.get(), current_config()))


@dg.asset(key=["unified", "deals"], group_name="unified", deps=[CUSTOMER_SOURCES, *STAGING("deals")],
          kinds={"pandas", "sql"}, owners=["team:data"],
          description="HubSpot deals and Salesforce opportunities on the seed's nine stages, per customer.")
def deals(warehouse: WarehouseResource) -> dg.MaterializeResult:
    return _result(build_deals(warehouse.get(), current_config()))


@dg.asset(key=["unified", "applications"], group_name="unified",
          deps=[CUSTOMER_SOURCES, dg.AssetKey(["raw", "airtable", "applications"]), *STAGING("activities")],
          kinds={"pandas", "sql"}, owners=["team:data"],
          description="Beta applications with the seed's lead score (50 points) and auto-assign flag.")
def applications(warehouse: WarehouseResource) -> dg.MaterializeResult:
    return _result(build_applications(warehouse.get(), current_config()))


@dg.asset_check(asset=CUSTOMERS, blocking=True, description="customer_id is unique and every source "
                "record belongs to exactly one customer.")
def customers_are_unique(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    wh = warehouse.get()
    frame = wh.read("analytics", "customers", ["customer_id"])
    sources = wh.read("analytics", "customer_sources", ["customer_id"])
    duplicates = int(frame["customer_id"].duplicated().sum())
    orphans = int((~sources["customer_id"].isin(frame["customer_id"])).sum())
    return dg.AssetCheckResult(passed=duplicates == 0 and orphans == 0,
                               metadata={"duplicate_ids": duplicates, "records_without_customer": orphans})
