"""What every pipeline step returns, and reading helpers the steps share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from hub.warehouse import Warehouse


@dataclass
class StepResult:
    rows: int
    metadata: dict[str, Any] = field(default_factory=dict)
    preview: pd.DataFrame = field(default_factory=pd.DataFrame)


def crosswalk(warehouse: Warehouse) -> pd.DataFrame:
    """``record_id -> customer_id`` for every source record, from ``customer_sources``."""
    frame = warehouse.read("analytics", "customer_sources", ["source", "source_object", "source_id", "customer_id"])
    frame["record_id"] = frame["source"] + ":" + frame["source_object"] + ":" + frame["source_id"]
    return frame[["record_id", "customer_id"]]


def with_customer(frame: pd.DataFrame, walk: pd.DataFrame, column: str = "company_record_id") -> pd.DataFrame:
    """``frame`` with the ``customer_id`` its ``column`` record belongs to (None when unknown)."""
    return frame.merge(walk.rename(columns={"record_id": column}), on=column, how="left")


def customer_lookup(warehouse: Warehouse) -> dict[str, str]:
    """Every id a source knows a customer by (Application ID, HubSpot company id, Salesforce
    account id, the customer id itself) -> ``customer_id``."""
    companies = warehouse.read("staging", "companies",
                               ["record_id", "application_id", "hubspot_company_id", "salesforce_account_id"])
    companies = companies.merge(crosswalk(warehouse), on="record_id")
    lookup: dict[str, str] = {}
    for column in ("application_id", "hubspot_company_id", "salesforce_account_id"):
        for key, customer in zip(companies[column], companies["customer_id"], strict=True):
            if key and key not in lookup:
                lookup[str(key)] = customer
    for customer in companies["customer_id"].unique():
        lookup.setdefault(customer, customer)
    return lookup
