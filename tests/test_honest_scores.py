"""Honest scores: a score on too little coverage is banded insufficient_data and raises no score
alert; a churned customer (stage, or a source status) is not scored as healthy."""

from __future__ import annotations

import pandas as pd
from test_health import AS_OF, CONFIG, _daily, _inputs, _row

from hub.pipeline.alerting import evaluate_alerts
from hub.pipeline.health import build_health
from hub.pipeline.unified import build_customers
from hub.warehouse import Warehouse


def test_a_score_on_one_signal_is_insufficient_data_and_says_so() -> None:
    # A prospect with a support ticket only: support (20% of the weight) is all there is.
    ticket = {"customer_id": "c1", "kind": "ticket", "occurred_at": AS_OF.isoformat(), "type": None,
              "sentiment": None, "priority": "high", "is_closed": False, "closed_at": None}
    thin = _row(_inputs("prospect", activities=[ticket]))
    assert thin["coverage"] == 0.2 and thin["health_band"] == "insufficient_data"
    assert 0 <= thin["health_score"] <= 100  # the number is kept, for what it is worth
    assert thin["drivers"].startswith("insufficient data: coverage 20%")
    broad = _row(_inputs("customer", _daily([200] * 14), contacts=2))
    assert broad["coverage"] >= CONFIG["health"]["min_coverage"] and broad["health_band"] != "insufficient_data"


def test_a_churned_customer_is_not_scored_as_healthy() -> None:
    healthy = _row(_inputs("customer", _daily([1500] * 14), contacts=3))
    assert healthy["health_band"] in ("good", "excellent")
    gone = _row(_inputs("churned", _daily([1500] * 14), contacts=3))
    assert gone["health_score"] == 0 and gone["health_band"] == "churned"
    assert gone["drivers"].startswith("churned") and gone["usage_score"] == healthy["usage_score"]


def _seed(warehouse: Warehouse) -> None:
    now = AS_OF.isoformat()
    ids = ("c_thin", "c_full", "c_left")
    warehouse.write("staging", "customers", pd.DataFrame([
        {"customer_id": cid, "name": cid, "source_count": 1, "first_seen_at": now} for cid in ids]), mode="replace")
    # c_left's deal was won, then its application says Churned: its stage stays customer.
    warehouse.replace("analytics", "deals", pd.DataFrame([
        {"deal_id": f"d-{cid}", "customer_id": cid, "source": "hubspot", "source_id": cid, "stage": "Closed Won",
         "is_closed": True, "is_won": True} for cid in ids]))
    warehouse.replace("analytics", "applications", pd.DataFrame([
        {"application_id": "BETA-1", "customer_id": "c_left", "company": "c_left", "status": "Churned",
         "applied_on": "2025-01-02"}]))
    daily = pd.concat([_daily([5] * 14, "c_full"), _daily([1500] * 14, "c_left")], ignore_index=True)
    warehouse.replace("analytics", "usage_daily", daily.assign(error_rate=0.0, storage_bytes=0.0, cost=0.0,
                                                               events=1, origin="usage_log"))


def test_the_pipeline_respects_coverage_and_churn_and_alerts_only_on_real_scores(warehouse: Warehouse) -> None:
    _seed(warehouse)
    build_health(warehouse, CONFIG, AS_OF)
    build_customers(warehouse, CONFIG)
    # c_thin has no usage at all but is a customer: usage 0 and the activation checklist. Thin it
    # out by hand to one component with a critical score, as the warehouse would hold it.
    health = warehouse.read("analytics", "customer_health").set_index("customer_id")
    assert health.loc["c_left", ["health_score", "health_band"]].tolist() == [0.0, "churned"]
    assert health.loc["c_full", "health_band"] == "critical" and health.loc["c_full", "coverage"] >= 0.45
    table = warehouse.table("analytics", "customer_health")
    with warehouse.transaction() as conn:
        conn.execute(table.update().where(table.c.customer_id == "c_thin")
                     .values(health_score=12.0, health_band="insufficient_data", coverage=0.3))
    evaluate_alerts(warehouse, CONFIG, [], now=AS_OF.to_pydatetime())
    alerts = warehouse.read("analytics", "alerts")
    score_rules = {"health_below_60", "churn_risk_band", "health_drop"}
    alerted = set(alerts.loc[alerts["rule"].isin(score_rules), "customer_id"])
    assert alerted == {"c_full"}  # the real critical score alerts; thin and churned ones do not
    stages = warehouse.read("analytics", "customers").set_index("customer_id")["lifecycle_stage"]
    assert stages["c_left"] == "customer" and stages["c_full"] == "churn_risk"
