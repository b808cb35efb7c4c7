"""MRR/ARR are NULL when unknown and 0 only for a known zero (issue 11, item 3): a BI average
over customers must not count a customer without a known price as paying nothing."""

from __future__ import annotations

import math

import pandas as pd

from hub.config import load_config
from hub.pipeline.unified import reconcile_customers
from hub.reconcile import mrr_by_customer
from hub.warehouse import Warehouse


def _deal(customer: str, source: str, amount: float | None, won: bool = True) -> dict:
    return {"customer_id": customer, "source": source, "amount": amount, "is_won": won}


def test_mrr_is_known_only_from_won_deals_with_an_amount() -> None:
    deals = pd.DataFrame([
        _deal("open_only", "hubspot", 12_000, won=False),
        _deal("amount_unknown", "hubspot", None),
        _deal("known_zero", "hubspot", 0.0),
        _deal("both_crms", "hubspot", 1_200), _deal("both_crms", "salesforce", 2_400),
        _deal("first_has_none", "salesforce", None), _deal("first_has_none", "hubspot", 1_200),
    ])
    mrr = mrr_by_customer(deals, ["salesforce", "hubspot", "airtable"])
    assert mrr.to_dict() == {"both_crms": 200.0, "first_has_none": 100.0, "known_zero": 0.0}


def test_a_deals_own_mrr_wins_and_the_contract_term_is_configured() -> None:
    deals = pd.DataFrame([
        {**_deal("stated", "hubspot", 12_000), "mrr": 1_500.0},  # HubSpot's hs_mrr: taken as is
        {**_deal("two_year", "hubspot", 4_800), "mrr": None},
        {**_deal("no_amount", "hubspot", None), "mrr": 250.0},   # known from hs_mrr alone
    ])
    assert mrr_by_customer(deals, ["hubspot"]).to_dict() == {"stated": 1500.0, "two_year": 400.0, "no_amount": 250.0}
    assert mrr_by_customer(deals, ["hubspot"], term_months=24)["two_year"] == 200.0


def test_customers_without_a_known_mrr_hold_null_not_zero(warehouse: Warehouse) -> None:
    config = load_config()
    companies = pd.DataFrame([
        {"record_id": f"hubspot:companies:{i}", "source": "hubspot", "source_object": "companies",
         "source_id": str(i), "company": name, "website": f"{name.lower()}.example", "domain": f"{name.lower()}.example",
         "hubspot_company_id": str(i), "created_at": "2026-01-01T00:00:00+00:00",
         "updated_at": "2026-01-01T00:00:00+00:00"}
        for i, name in enumerate(["Paying", "Free", "Prospect", "Unpriced"], start=1)])
    deals = pd.DataFrame([
        {"record_id": f"hubspot:deals:{n}", "source": "hubspot", "source_id": str(n),
         "company_record_id": f"hubspot:companies:{company}", "name": f"deal {n}", "stage": stage,
         "amount": amount, "is_closed": stage != "Demo", "is_won": stage == "Closed Won"}
        for n, company, stage, amount in [(1, 1, "Closed Won", 24_000.0), (2, 2, "Closed Won", 0.0),
                                          (3, 3, "Demo", 6_000.0), (4, 4, "Closed Won", None)]])
    warehouse.write("staging", "companies", companies, mode="replace")
    warehouse.write("staging", "deals", deals, mode="replace")
    reconcile_customers(warehouse, config)
    customers = warehouse.read("staging", "customers").set_index("name")
    assert customers.loc["Paying", ["mrr", "arr"]].tolist() == [2_000.0, 24_000.0]
    assert customers.loc["Free", ["mrr", "arr"]].tolist() == [0.0, 0.0]
    for unknown in ("Prospect", "Unpriced"):
        assert all(v is None or math.isnan(v) for v in customers.loc[unknown, ["mrr", "arr"]]), unknown
