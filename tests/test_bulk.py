"""Bulk writes for large frames (hub/bulk.py) give the same rows as the ordinary path, on both
backends: NULLs, whole numbers held as floats, text with commas, quotes and newlines."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hub.bulk import bulk_update, bulk_write
from hub.warehouse import Warehouse

ROWS = pd.DataFrame({
    "customer_id": ["c1", "c2", "c3"], "as_of": "2026-11-21", "health_score": [80.0, 41.0, 7.0],
    "health_band": ["excellent", "at_risk", "critical"], "coverage": [1.0, 0.55, 0.3],
    "usage_score": [99.5, np.nan, 0.0], "active_days_7d": [7.0, np.nan, 0.0],
    "drivers": ['usage 0/100: "none", really', "line one\nline two", None],
})


def test_bulk_write_inserts_and_upserts_plain_values(warehouse: Warehouse) -> None:
    bulk_write(warehouse, "analytics", "customer_health", ROWS)
    bulk_write(warehouse, "analytics", "customer_health", ROWS.assign(health_score=[81.0, 42.0, 8.0]).iloc[:2],
               key=["customer_id"])
    stored = warehouse.read("analytics", "customer_health").set_index("customer_id")
    assert stored["health_score"].to_dict() == {"c1": 81.0, "c2": 42.0, "c3": 7.0}
    assert stored.loc["c1", "drivers"] == 'usage 0/100: "none", really'
    assert stored.loc["c2", "drivers"] == "line one\nline two" and pd.isna(stored.loc["c3", "drivers"])
    assert pd.isna(stored.loc["c2", "usage_score"]) and stored.loc["c1", "active_days_7d"] == 7
    assert pd.isna(stored.loc["c2", "active_days_7d"])


def test_bulk_update_sets_columns_by_key(warehouse: Warehouse) -> None:
    now = "2026-11-21T00:00:00+00:00"
    warehouse.replace("analytics", "customers", pd.DataFrame({
        "customer_id": ["c1", "c2"], "name": ["A", "B"], "source_count": 1, "first_seen_at": now, "updated_at": now}))
    bulk_update(warehouse, "analytics", "customers", pd.DataFrame({
        "customer_id": ["c2"], "health_score": [41.0], "health_band": ["at_risk"], "lifecycle_stage": ["churn_risk"]}),
        "customer_id")
    stored = warehouse.read("analytics", "customers").set_index("customer_id")
    assert stored.loc["c2", ["health_band", "lifecycle_stage", "name"]].tolist() == ["at_risk", "churn_risk", "B"]
    assert pd.isna(stored.loc["c1", "health_band"])
