"""Customer health (seed 004): components from the data we hold, re-normalisation and coverage,
deltas, drivers in words, lifecycle stage, and the warehouse step's daily history."""

from __future__ import annotations

import pandas as pd
import pytest

from hub.config import load_config
from hub.health import HealthInputs, customer_health
from hub.health_components import usage_window
from hub.lifecycle import lifecycle_stage
from hub.pipeline.health import build_health, usage_window_query
from hub.pipeline.unified import build_customers
from hub.usage_summary import usage_summary
from hub.warehouse import Warehouse

CONFIG = load_config()
AS_OF = pd.Timestamp("2026-11-21", tz="UTC")
ACTIVITY_COLUMNS = ["customer_id", "kind", "occurred_at", "type", "sentiment", "priority", "is_closed", "closed_at"]
SURVEY_COLUMNS = ["customer_id", "survey_type", "date_responded", "satisfaction_score", "pmf_score",
                  "likelihood_to_pay"]


def _daily(calls_per_day: list[int], customer: str = "c1", **extra: float) -> pd.DataFrame:
    days = pd.date_range(end=AS_OF.tz_localize(None), periods=len(calls_per_day), freq="D").strftime("%Y-%m-%d")
    return pd.DataFrame({"customer_id": customer, "date": days, "api_calls": [float(c) for c in calls_per_day],
                         "errors": 0.0, "active_users": 2.0, "sign_operations": 1.0, "verify_operations": 1.0,
                         **extra})


def _inputs(stage: str = "customer", daily: pd.DataFrame | None = None, *, activities: list[dict] = (),
            contacts: int = 0, surveys: list[dict] = (), history: list[dict] = (),
            summary: pd.DataFrame | None = None) -> HealthInputs:
    daily = daily if daily is not None else _daily([])
    return HealthInputs(
        customers=pd.DataFrame({"customer_id": ["c1"], "lifecycle_stage": [stage]}),
        usage_window=usage_window(daily, AS_OF),
        usage_summary=summary if summary is not None else usage_summary(daily, pd.DataFrame(
            columns=["customer_id", "event", "event_at"])),
        activities=pd.DataFrame(list(activities), columns=ACTIVITY_COLUMNS),
        contacts=pd.DataFrame({"customer_id": ["c1"] * contacts}),
        surveys=pd.DataFrame(list(surveys), columns=SURVEY_COLUMNS),
        history=pd.DataFrame(list(history), columns=["customer_id", "as_of", "health_score"]),
    )


def _row(inputs: HealthInputs) -> pd.Series:
    frame = customer_health(inputs, AS_OF, CONFIG)
    assert len(frame) == 1
    return frame.iloc[0]


def _ago(days: int) -> pd.Timestamp:
    return AS_OF - pd.Timedelta(days=days)


def test_usage_only_customer_is_renormalised_with_partial_coverage() -> None:
    row = _row(_inputs("prospect", _daily([200] * 14)))
    # Usage (30%) plus outcomes (25%: the activation checklist, as usage shows milestones).
    assert row["coverage"] == pytest.approx(0.55)
    assert row["usage_score"] == 100.0 and row["api_calls_7d"] == 1400 and row["active_days_7d"] == 7
    expected = (0.30 * row["usage_score"] + 0.25 * row["outcome_score"]) / 0.55
    assert row["health_score"] == float(int(expected + 0.5))


def test_collapsing_usage_scores_lower_and_says_why() -> None:
    steady = _row(_inputs(daily=_daily([200] * 14)))
    collapsing = _row(_inputs(daily=_daily([200] * 7 + [5] * 7)))
    assert collapsing["usage_score"] < 40 < steady["usage_score"]
    assert collapsing["usage_growth_pct"] == pytest.approx(-97.5)
    assert "usage" in collapsing["drivers"] and "-98% vs the week before" in collapsing["drivers"]


def test_a_customer_without_usage_scores_zero_on_usage_a_prospect_is_left_out() -> None:
    row = _row(_inputs("customer"))
    assert row["usage_score"] == 0.0 and row["health_band"] == "critical"
    assert "no API calls in 14 days" in row["drivers"]
    assert customer_health(_inputs("prospect"), AS_OF, CONFIG).empty


def test_support_counts_open_tickets_priority_support_interactions_and_resolution_time() -> None:
    tickets = [
        {"customer_id": "c1", "kind": "ticket", "occurred_at": _ago(3), "priority": "high", "is_closed": False},
        {"customer_id": "c1", "kind": "case", "occurred_at": _ago(40), "priority": "low", "is_closed": True,
         "closed_at": _ago(20)},  # 20 days to resolve: slow
        {"customer_id": "c1", "kind": "interaction", "type": "Support", "occurred_at": _ago(5)},
    ]
    row = _row(_inputs("prospect", activities=tickets))
    # 100 - 12 open - 13 high - 3 x 2 new in 30 days - min(20, 2 x (20 - 3))
    assert row["support_score"] == 100 - 12 - 13 - 6 - 20
    assert row["open_tickets"] == 1 and row["tickets_30d"] == 2
    today = {"customer_id": "c1", "kind": "case", "occurred_at": AS_OF + pd.Timedelta(hours=10), "priority": "low",
             "is_closed": True, "closed_at": AS_OF + pd.Timedelta(hours=16)}  # opened and solved today
    again = _row(_inputs("prospect", activities=[*tickets, today]))
    # One more new today; the median resolution is now (20 + 0.25) / 2 days.
    assert again["tickets_30d"] == 3
    assert again["support_score"] == pytest.approx(100 - 12 - 13 - 9 - 2 * ((20 + 0.25) / 2 - 3), abs=0.05)
    # The support interaction is a logged interaction too: relationship is present, outcomes and usage not.
    assert row["coverage"] == pytest.approx(0.45) and pd.isna(row["usage_score"])


def test_relationship_rewards_contacts_recent_and_positive_interactions() -> None:
    def talk(days: int, sentiment: str) -> dict:
        return {"customer_id": "c1", "kind": "interaction", "type": "Call", "occurred_at": _ago(days),
                "sentiment": sentiment}

    warm = _row(_inputs("prospect", contacts=3, activities=[talk(2, "Positive"), talk(9, "Positive")]))
    cold = _row(_inputs("prospect", contacts=1, activities=[talk(80, "Negative")]))
    assert warm["relationship_score"] == 100.0  # 60 + 30 + 10 + 20, clipped
    assert cold["relationship_score"] == 30 - 10 + 10 - 20  # 1 contact, stale, negative within 90 days
    assert warm["days_since_interaction"] == 2 and "last interaction 80 days ago" in cold["drivers"]


def test_outcomes_read_surveys_and_the_activation_checklist() -> None:
    daily = _daily([50] * 14)
    events = pd.DataFrame({"customer_id": ["c1"], "event": ["API Key Created"],
                           "event_at": [(_ago(13) + pd.Timedelta(hours=3)).isoformat()]})
    surveys = [{"customer_id": "c1", "survey_type": "PMF", "date_responded": "2026-11-10", "satisfaction_score": 9,
                "pmf_score": 0.45, "likelihood_to_pay": "Very Likely"},
               {"customer_id": "c1", "survey_type": "Weekly", "date_responded": "2026-11-15", "satisfaction_score": 10,
                "likelihood_to_pay": "Likely"}]
    row = _row(_inputs("customer", daily, surveys=surveys, summary=usage_summary(daily, events),
                       activities=[{"customer_id": "c1", "kind": "interaction", "type": "Meeting",
                                    "occurred_at": _ago(4), "sentiment": "Positive"}]))
    assert row["activation_done"] == 5 and row["activation_missing"] == ""
    assert row["time_to_first_value_days"] == 0.0  # key created and first verification the same day
    assert row["satisfaction"] == 9.5 and row["pmf"] == 45.0
    # satisfaction 95, NPS 100, PMF 100, likelihood 75, activation 100, time to value 100
    assert row["outcome_score"] == pytest.approx((0.25 * 95 + 0.15 * 100 + 0.2 * 100 + 0.1 * 75 + 0.2 * 100
                                                  + 0.1 * 100), abs=0.05)
    lone = _row(_inputs("customer", _daily([0] * 14, sign_operations=0.0, verify_operations=0.0, active_users=1.0)))
    assert lone["activation_done"] == 0 and "API keys generated" in lone["activation_missing"]


def test_deltas_compare_with_history_seven_and_thirty_days_back() -> None:
    history = [{"customer_id": "c1", "as_of": "2026-11-14", "health_score": 90.0},
               {"customer_id": "c1", "as_of": "2026-10-20", "health_score": 70.0},  # 32 days: within the grace
               {"customer_id": "c1", "as_of": "2026-11-20", "health_score": 10.0}]  # too recent for either
    row = _row(_inputs("customer", _daily([200] * 7 + [5] * 7), history=history))
    assert row["delta_7d"] == row["health_score"] - 90.0
    assert row["delta_30d"] == row["health_score"] - 70.0
    assert f"health {row['delta_7d']:+.0f} in 7 days" in row["drivers"]
    assert pd.isna(_row(_inputs("customer", _daily([200] * 14)))["delta_7d"])


def test_lifecycle_stage_follows_deals_statuses_and_band() -> None:
    customers = pd.DataFrame({"customer_id": ["a", "b", "c", "d", "e", "f"]})
    deals = pd.DataFrame({"customer_id": ["a", "b", "c", "f"],
                          "stage": ["New Application", "Technical Review", "Active Beta", "Closed Won"]})
    apps = pd.DataFrame({"customer_id": ["d", "e", "f"], "status": ["Churned", "Reviewing", "Churned"]})
    band = pd.Series({"c": "critical", "f": "good"})
    stages = lifecycle_stage(customers, deals, apps, band, CONFIG)
    assert stages.tolist() == ["prospect", "opportunity", "churn_risk", "churned", "opportunity", "customer"]


def test_database_and_pandas_compute_the_same_usage_window(warehouse: Warehouse) -> None:
    daily = pd.concat([_daily([3, 0, 7, 9, 0, 4, 4, 8, 1, 0, 2, 6, 5, 0, 11, 2], "c1", errors=1.0),
                       _daily([100] * 20, "c2"), _daily([0] * 5, "c3")], ignore_index=True)
    full = daily.assign(error_rate=0.0, storage_bytes=0.0, cost=0.0, events=1, origin="usage_log")
    warehouse.replace("analytics", "usage_daily", full)
    expected = usage_window(daily, AS_OF).sort_values("customer_id").reset_index(drop=True)
    actual = usage_window_query(warehouse, AS_OF).sort_values("customer_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(actual, expected, check_dtype=False)


def _seed_customers(warehouse: Warehouse) -> None:
    now = "2026-11-01T00:00:00+00:00"
    warehouse.write("staging", "customers", pd.DataFrame([
        {"customer_id": cid, "name": cid.title(), "source_count": 1, "first_seen_at": now} for cid in ("c1", "c2")]),
        mode="replace")
    warehouse.replace("analytics", "deals", pd.DataFrame([
        {"deal_id": f"d-{cid}", "customer_id": cid, "source": "hubspot", "source_id": cid, "stage": "Active Beta",
         "is_closed": False, "is_won": False} for cid in ("c1", "c2")]))


def test_health_step_keeps_one_history_row_per_customer_and_day(warehouse: Warehouse) -> None:
    _seed_customers(warehouse)
    daily = pd.concat([_daily([200] * 14, "c1"), _daily([200] * 7 + [5] * 7, "c2")], ignore_index=True)
    warehouse.replace("analytics", "usage_daily", daily.assign(error_rate=0.0, storage_bytes=0.0, cost=0.0,
                                                               events=1, origin="usage_log"))
    first = build_health(warehouse, CONFIG, AS_OF)
    build_customers(warehouse, CONFIG)
    again = build_health(warehouse, CONFIG, AS_OF)
    assert first.rows == again.rows == 2 and build_customers(warehouse, CONFIG).metadata["changed_customers"] == 0
    assert warehouse.count("analytics", "customer_health_history") == 2  # same day: overwritten, not added
    build_health(warehouse, CONFIG, AS_OF + pd.Timedelta(days=7))
    build_customers(warehouse, CONFIG)
    history = warehouse.read("analytics", "customer_health_history")
    assert sorted(history["as_of"].unique()) == ["2026-11-21", "2026-11-28"]
    health = warehouse.read("analytics", "customer_health").set_index("customer_id")
    assert health.loc["c1", "as_of"] == "2026-11-28" and health.loc["c1", "delta_7d"] is not None
    customers = warehouse.read("analytics", "customers").set_index("customer_id")
    # A week later there is no usage left in the window: both customers are churn risks now.
    assert customers.loc["c1", "health_band"] == health.loc["c1", "health_band"]
    assert set(customers["lifecycle_stage"]) == {"churn_risk"}
