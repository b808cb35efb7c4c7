"""MRR movements, NRR and logo churn from the customers' MRR history (issue 11, revenue): worked by
hand on a small history, unknown with the reason before there is a month to compare, and read by
the KPI step from the churn snapshots the nightly run records."""

from __future__ import annotations

import pandas as pd
import pytest

from hub import kpi_catalogue
from hub.config import load_config
from hub.kpi_catalogue import KpiInputs, Measured, Unknown, last_complete
from hub.pipeline.kpis import build_kpi_period
from hub.warehouse import Warehouse

AS_OF = pd.Timestamp("2026-12-02", tz="UTC")  # the last complete month is 2026-11


def _inputs(history: list[tuple[str, str, str, float | None]]) -> KpiInputs:
    empty = pd.DataFrame()
    return KpiInputs(applications=empty, customers=empty, usage_daily=empty, surveys=empty, deals=empty,
                     activities=empty, customer_usage=empty, activations=empty,
                     mrr_history=pd.DataFrame(history, columns=["customer_id", "as_of", "lifecycle_stage", "mrr"]))


HISTORY = [
    # October's last snapshot: the month's start.
    ("a", "2026-10-31", "customer", 100.0),   # expands to 150
    ("b", "2026-10-31", "customer", 200.0),   # contracts to 120
    ("c", "2026-10-31", "customer", 300.0),   # churns
    ("d", "2026-10-31", "churn_risk", 50.0),  # stays
    ("x", "2026-10-31", "opportunity", None),
    # November's last snapshot: its end.
    ("a", "2026-11-29", "customer", 150.0),
    ("b", "2026-11-29", "customer", 120.0),
    ("c", "2026-11-29", "churned", 300.0),
    ("d", "2026-11-29", "customer", 50.0),
    ("e", "2026-11-29", "customer", 80.0),    # new
    ("x", "2026-11-29", "opportunity", None),
]


def test_movements_nrr_and_logo_churn_worked_by_hand() -> None:
    period = last_complete("month", AS_OF)
    inputs = _inputs(HISTORY)
    moved = kpi_catalogue.FORMULAS["mrr_movements"](inputs, period)
    assert isinstance(moved, Measured)
    d = moved.detail
    assert (d["new"], d["expansion"], d["contraction"], d["churned"]) == (80.0, 50.0, 80.0, 300.0)
    assert (d["start_mrr"], moved.value) == (650.0, 80.0 + 50.0 - 80.0 - 300.0)
    nrr = kpi_catalogue.FORMULAS["nrr"](inputs, period)
    assert nrr.value == pytest.approx(100 * (650 + 50 - 80 - 300) / 650)  # 49.2 %: new customers excluded
    churn = kpi_catalogue.FORMULAS["logo_churn"](inputs, period)
    assert (churn.numerator, churn.denominator) == (1.0, 4.0) and churn.detail["lost"] == ["c"]


def test_without_a_month_to_compare_they_say_why() -> None:
    period = last_complete("month", AS_OF)
    for kpi in ("mrr_movements", "nrr", "logo_churn"):
        assert isinstance(kpi_catalogue.FORMULAS[kpi](_inputs([]), period), Unknown)
        only_now = kpi_catalogue.FORMULAS[kpi](_inputs([r for r in HISTORY if r[1] == "2026-11-29"]), period)
        assert isinstance(only_now, Unknown) and "from before 2026-11-01" in only_now.reason


def test_the_kpi_step_reads_the_month_end_snapshots(warehouse: Warehouse) -> None:
    rows = [{"customer_id": c, "as_of": d, "lifecycle_stage": s, "mrr": m} for c, d, s, m in HISTORY]
    rows += [{"customer_id": "a", "as_of": "2026-11-15", "lifecycle_stage": "customer", "mrr": 999.0}]  # mid-month
    warehouse.write("analytics", "churn_snapshots", rows, key=["customer_id", "as_of"])
    build_kpi_period(warehouse, load_config(), AS_OF)
    kpi = warehouse.read("analytics", "kpi_period").set_index(["grain", "kpi"])
    assert kpi.loc[("month", "mrr_movements"), "value"] == pytest.approx(-250.0)
    assert kpi.loc[("month", "logo_churn"), "value"] == pytest.approx(25.0)
    assert kpi.loc[("month", "logo_churn"), "status"] == "red"  # 25 % > the yellow line (8 %)
    assert kpi.loc[("month", "nrr"), "status"] == "red"
