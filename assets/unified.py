"""The unified tables BI reads: customers, their source crosswalk, contacts, deals, applications."""

from __future__ import annotations

import dagster as dg

from assets.landing import markdown_preview
from hub.pipeline.steps import StepResult
from hub.pipeline.unified import build_applications, build_contacts, build_customers, build_deals
from hub.raw import stale_objects
from hub.reconcile.checks import customer_checks
from resources.config import HubConfigResource
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
def customers(warehouse: WarehouseResource, hub_config: HubConfigResource):
    wh = warehouse.get()
    customers_result, sources_result = build_customers(wh, hub_config.get())
    # A source whose last sync failed is in here with its last good data: say so on the table.
    customers_result.metadata["stale_sources"] = stale_objects(wh) or "none"
    yield _result(customers_result, CUSTOMERS)
    yield _result(sources_result, CUSTOMER_SOURCES)


@dg.asset(key=["unified", "contacts"], group_name="unified", deps=[CUSTOMER_SOURCES, *STAGING("people")],
          kinds={"pandas", "sql"}, owners=["team:data"],
          description="People de-duplicated by normalised email, attached to their customer.")
def contacts(warehouse: WarehouseResource, hub_config: HubConfigResource) -> dg.MaterializeResult:
    return _result(build_contacts(warehouse.get(), hub_config.get()))


@dg.asset(key=["unified", "deals"], group_name="unified", deps=[CUSTOMER_SOURCES, *STAGING("deals")],
          kinds={"pandas", "sql"}, owners=["team:data"],
          description="HubSpot deals and Salesforce opportunities on the seed's nine stages, per customer.")
def deals(warehouse: WarehouseResource, hub_config: HubConfigResource) -> dg.MaterializeResult:
    return _result(build_deals(warehouse.get(), hub_config.get()))


@dg.asset(key=["unified", "applications"], group_name="unified",
          deps=[CUSTOMER_SOURCES, dg.AssetKey(["raw", "airtable", "applications"]), *STAGING("activities")],
          kinds={"pandas", "sql"}, owners=["team:data"],
          description="Beta applications with the seed's lead score (50 points) and auto-assign flag.")
def applications(warehouse: WarehouseResource, hub_config: HubConfigResource) -> dg.MaterializeResult:
    return _result(build_applications(warehouse.get(), hub_config.get()))


CHECK_DESCRIPTIONS = {
    "customer_id_unique": "customer_id is unique; every customer has records and every record's customer exists.",
    "every_record_in_one_customer": "Every staging company record belongs to exactly one customer.",
    "no_customer_over_guard": "No customer holds more source records than reconcile.max_cluster_size.",
    "customer_count_stable": "The customer count moved no more than reconcile.max_customer_count_change "
                             "since the last run (a warning: a big move is worth a look, not a stop).",
}


@dg.multi_asset_check(specs=[
    dg.AssetCheckSpec(name, asset=CUSTOMERS, description=text, blocking=name != "customer_count_stable")
    for name, text in CHECK_DESCRIPTIONS.items()
])
def customers_are_unique(warehouse: WarehouseResource, hub_config: HubConfigResource):
    """The customers checks (registered in hub/definitions.py under this name)."""
    wh = warehouse.get()
    settings = hub_config.get()["reconcile"]
    outcomes = customer_checks(
        wh.read("analytics", "customers", ["customer_id"]),
        wh.read("analytics", "customer_sources", ["source", "source_object", "source_id", "customer_id"]),
        wh.read("staging", "companies", ["source", "source_object", "source_id"]),
        wh.read("analytics", "reconcile_runs", ["ran_at", "customers"]),
        int(settings["max_cluster_size"]), float(settings["max_customer_count_change"]))
    for outcome in outcomes:
        yield dg.AssetCheckResult(
            asset_key=CUSTOMERS, check_name=outcome.name, passed=outcome.passed, metadata=outcome.metadata,
            severity=dg.AssetCheckSeverity.WARN if outcome.warn_only else dg.AssetCheckSeverity.ERROR)
