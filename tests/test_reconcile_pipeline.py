"""build_customers on a warehouse: the review queue, decisions applied on the next run, the
merge log and its lookup view, table overrides, run figures and the checks (both backends)."""

from __future__ import annotations

import dagster as dg
import pandas as pd
import sqlalchemy as sa

from assets.customers import customers_are_unique
from hub.config import load_config
from hub.pipeline.unified import build_customers, reconcile_customers
from hub.reconcile.checks import customer_checks
from hub.staging import COMPANY_COLUMNS
from hub.warehouse import Warehouse
from resources.config import HubConfigResource
from resources.warehouse import WarehouseResource


def _company(record_id: str, **fields: object) -> dict:
    source, source_object, source_id = record_id.split(":")
    row = dict.fromkeys(COMPANY_COLUMNS)
    row.update(record_id=record_id, source=source, source_object=source_object, source_id=source_id,
               created_at="2026-01-01T00:00:00+00:00", updated_at="2026-01-02T00:00:00+00:00")
    row.update(fields)
    return row


COMPANIES = pd.DataFrame([
    _company("hubspot:companies:1", company="Acme", website="acme.com", city="New York", country="US",
             hubspot_company_id="1", created_at="2024-01-01T00:00:00+00:00"),
    _company("salesforce:Account:001A", company="Acme Inc", website="https://www.acme.com", country="USA",
             salesforce_account_id="001A"),
    _company("airtable:applications:rec1", company="ACME", email="jo@gmail.com", application_id="BETA-1"),
    _company("hubspot:companies:2", company="Globex", website="globex.io", hubspot_company_id="2"),
])


def _customer_of(warehouse: Warehouse) -> dict[str, str]:
    frame = warehouse.read("analytics", "customer_sources")
    keys = frame["source"] + ":" + frame["source_object"] + ":" + frame["source_id"]
    return dict(zip(keys, frame["customer_id"], strict=True))


def _run(warehouse: Warehouse) -> dict:
    result, _ = reconcile_customers(warehouse, load_config())
    build_customers(warehouse, load_config())
    return result.metadata


def test_review_decisions_and_overrides_apply_on_the_next_run(warehouse: Warehouse) -> None:
    warehouse.replace("staging", "companies", COMPANIES)
    first = _run(warehouse)
    ids = _customer_of(warehouse)
    assert first["customers"] == 3 and first["review_pending"] == 1
    assert ids["hubspot:companies:1"] == ids["salesforce:Account:001A"] != ids["airtable:applications:rec1"]
    review = warehouse.read("analytics", "match_review")
    assert review["status"].tolist() == ["pending"] and review.loc[0, "left_company"] in ("ACME", "Acme")

    # unchanged input: identical customers (ids, content, updated_at)
    before = warehouse.read("analytics", "customers").sort_values("customer_id").reset_index(drop=True)
    _run(warehouse)
    after = warehouse.read("analytics", "customers").sort_values("customer_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(before, after)

    # the data team accepts the pair: the application joins Acme, whose id (the oldest) survives
    table = warehouse.table("analytics", "match_review")
    with warehouse.transaction() as conn:
        conn.execute(table.update().values(status="accepted", decided_by="dana"))
    second = _run(warehouse)
    merged = _customer_of(warehouse)
    assert second["customers"] == 2 and second["merged_ids"] == 1
    assert merged["airtable:applications:rec1"] == merged["hubspot:companies:1"] == ids["hubspot:companies:1"]
    log = warehouse.read("analytics", "customer_merges")
    assert log[["old_customer_id", "customer_id"]].values.tolist() == [
        [ids["airtable:applications:rec1"], ids["hubspot:companies:1"]]]
    lookup = warehouse.read("analytics", "customer_id_lookup")
    old = lookup.set_index("any_customer_id").loc[ids["airtable:applications:rec1"]]
    assert old["customer_id"] == ids["hubspot:companies:1"] and old["status"] == "merged"
    assert warehouse.read("analytics", "match_review")["status"].tolist() == ["accepted"]

    # a cannot-link in match_overrides splits HubSpot from Salesforce; the id stays with one of them
    warehouse.upsert("analytics", "match_overrides", [{
        "left_record_id": "hubspot:companies:1", "right_record_id": "salesforce:Account:001A",
        "decision": "cannot_link", "note": "two subsidiaries"}], key=["left_record_id", "right_record_id"])
    third = _run(warehouse)
    split = _customer_of(warehouse)
    assert third["customers"] == 3 and third["cannot_link"] == 1
    assert split["hubspot:companies:1"] != split["salesforce:Account:001A"]
    assert ids["hubspot:companies:1"] in (split["hubspot:companies:1"], split["salesforce:Account:001A"])

    runs = warehouse.read("analytics", "reconcile_runs")
    assert runs["customers"].tolist() == [3, 3, 2, 3]
    outcomes = customer_checks(
        warehouse.read("analytics", "customers"), warehouse.read("analytics", "customer_sources"),
        warehouse.read("staging", "companies"), runs, 50, 0.2)
    by_name = {o.name: o for o in outcomes}
    assert all(by_name[n].passed for n in ("customer_id_unique", "every_record_in_one_customer",
                                           "no_customer_over_guard"))
    assert not by_name["customer_count_stable"].passed  # 2 -> 3 is a 50% move: a warning
    with warehouse.engine.connect() as conn:
        count = conn.execute(sa.text(f"SELECT COUNT(*) FROM {warehouse.qualified('analytics', 'customers')}"))
        assert count.scalar_one() == 3

    # the Dagster checks report the same, the count move as a warning
    results = {r.check_name: r for r in customers_are_unique(warehouse=WarehouseResource(url=warehouse.url),
                                                                    hub_config=HubConfigResource())}
    assert set(results) == {"customer_id_unique", "every_record_in_one_customer", "no_customer_over_guard",
                            "customer_count_stable"}
    assert results["customer_id_unique"].passed and results["no_customer_over_guard"].passed
    warning = results["customer_count_stable"]
    assert not warning.passed and warning.severity == dg.AssetCheckSeverity.WARN
