"""Reconciliation and the customer tables BI reads: customers, their source crosswalk, owners,
contacts, deals, applications."""

from __future__ import annotations

import dagster as dg

from assets.graph import deps, key
from assets.raw import markdown_preview
from hub.pipeline.steps import StepResult
from hub.pipeline.unified import (
    build_applications,
    build_contacts,
    build_customers,
    build_deals,
    build_owners,
    reconcile_customers,
)
from hub.raw import stale_objects
from hub.reconcile.checks import customer_checks
from resources.config import HubConfigResource
from resources.warehouse import WarehouseResource

RECONCILED = key("staging/customers")
CUSTOMER_SOURCES = key("analytics/customer_sources")
CUSTOMERS = key("analytics/customers")
KINDS = {"pandas", "sql"}


def _result(result: StepResult, asset: dg.AssetKey | None = None) -> dg.MaterializeResult:
    return dg.MaterializeResult(asset_key=asset, metadata={
        "dagster/row_count": result.rows, **result.metadata, "preview": markdown_preview(result.preview)})


@dg.multi_asset(
    specs=[
        dg.AssetSpec(RECONCILED, group_name="staging", deps=deps(reconcile_customers), kinds=KINDS,
                     owners=["team:data"],
                     description="Reconciliation: one row per real company, with a customer_id stable across "
                                 "runs, each field from the highest-priority source holding it, MRR/ARR. Health "
                                 "scores these; analytics/customers adds the score, band and stage."),
        dg.AssetSpec(CUSTOMER_SOURCES, group_name="analytics", deps=deps(reconcile_customers), kinds=KINDS,
                     owners=["team:data"],
                     description="Crosswalk: every source record -> its customer, with the rule that matched it."),
    ],
)
def reconciliation(warehouse: WarehouseResource, hub_config: HubConfigResource):
    wh = warehouse.get()
    customers_result, sources_result = reconcile_customers(wh, hub_config.get())
    # A source whose last sync failed is in here with its last good data: say so on the table.
    customers_result.metadata["stale_sources"] = stale_objects(wh) or "none"
    yield _result(customers_result, RECONCILED)
    yield _result(sources_result, CUSTOMER_SOURCES)


@dg.asset(key=CUSTOMERS, group_name="analytics", deps=deps(build_customers), kinds=KINDS, owners=["team:data"],
          description="One row per real company, as BI reads it: the reconciled fields, MRR/ARR (NULL when "
                      "unknown), the owner's name and email, today's health score and band, and the lifecycle "
                      "stage they decide.")
def customers(warehouse: WarehouseResource, hub_config: HubConfigResource) -> dg.MaterializeResult:
    wh = warehouse.get()
    result = build_customers(wh, hub_config.get())
    result.metadata["stale_sources"] = stale_objects(wh) or "none"
    return _result(result)


@dg.asset(key=key("analytics/owners"), group_name="analytics", deps=deps(build_owners), kinds=KINDS,
          owners=["team:data"],
          description="Owners resolved to people: per source and owner id (HubSpot owner, Salesforce user, "
                      "Airtable \"Assigned To\"), the name, email, whether still active, and the person_id "
                      "one person's owners share across sources. Alert routing reads it.")
def owners(warehouse: WarehouseResource, hub_config: HubConfigResource) -> dg.MaterializeResult:
    return _result(build_owners(warehouse.get(), hub_config.get()))


@dg.asset(key=key("analytics/contacts"), group_name="analytics", deps=deps(build_contacts), kinds=KINDS,
          owners=["team:data"], description="People de-duplicated by normalised email, attached to their customer.")
def contacts(warehouse: WarehouseResource, hub_config: HubConfigResource) -> dg.MaterializeResult:
    return _result(build_contacts(warehouse.get(), hub_config.get()))


@dg.asset(key=key("analytics/deals"), group_name="analytics", deps=deps(build_deals), kinds=KINDS,
          owners=["team:data"],
          description="HubSpot deals and Salesforce opportunities on the seed's nine stages, per customer.")
def deals(warehouse: WarehouseResource, hub_config: HubConfigResource) -> dg.MaterializeResult:
    return _result(build_deals(warehouse.get(), hub_config.get()))


@dg.asset(key=key("analytics/applications"), group_name="analytics", deps=deps(build_applications), kinds=KINDS,
          owners=["team:data"],
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
