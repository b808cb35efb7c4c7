"""Lead score (seed 000) and health score (seed 004)."""

from __future__ import annotations

import pandas as pd

from hub.config import load_config
from hub.health import band, customer_health, round_half_up
from hub.lead_score import lead_scores

CONFIG = load_config()


def test_lead_score_reaches_fifty_for_the_ideal_application() -> None:
    apps = pd.DataFrame([
        {"record_id": "r1", "industry": "News", "priority_level": "Critical", "volume_estimate": "100k+",
         "technical_capability": "API", "use_case": "x" * 250, "applied_on": "2026-11-01"},
        {"record_id": "r2", "industry": "Other", "priority_level": "Exploring", "volume_estimate": "1-1000",
         "technical_capability": "Limited", "use_case": "", "applied_on": "2026-11-01"},
    ])
    interactions = pd.DataFrame({"company_record_id": ["r1"],
                                 "occurred_at": pd.to_datetime(["2026-11-01T15:00:00Z"], utc=True)})
    scores = lead_scores(apps, interactions, CONFIG["lead_score"])
    assert scores["lead_score"].tolist() == [50, 2]
    assert scores["auto_assign"].tolist() == [True, False]


def test_bands_and_rounding_follow_the_seed() -> None:
    bands = CONFIG["health"]["bands"]
    assert round_half_up(79.5) == 80 and round_half_up(59.49) == 59
    assert [band(s, bands) for s in (80, 79, 60, 59, 40, 39, 0)] == \
        ["excellent", "good", "good", "at_risk", "at_risk", "critical", "critical"]


def _health(daily: pd.DataFrame, stage: str = "customer") -> pd.DataFrame:
    customers = pd.DataFrame({"customer_id": ["c1"], "lifecycle_stage": [stage]})
    empty_acts = pd.DataFrame(columns=["kind", "customer_id", "is_closed", "priority", "occurred_at", "sentiment"])
    empty_contacts = pd.DataFrame(columns=["customer_id", "contact_id"])
    empty_surveys = pd.DataFrame(columns=["customer_id", "date_responded", "satisfaction_score", "pmf_score"])
    return customer_health(customers, daily, empty_acts, empty_contacts, empty_surveys,
                           pd.DataFrame(columns=["customer_id", "event"]),
                           pd.DataFrame(columns=["customer_id", "as_of", "health_score"]),
                           pd.Timestamp("2026-11-21", tz="UTC"), CONFIG)


def _daily(calls_per_day: list[int]) -> pd.DataFrame:
    days = pd.date_range(end="2026-11-21", periods=len(calls_per_day), freq="D").strftime("%Y-%m-%d")
    return pd.DataFrame({"customer_id": "c1", "date": days, "api_calls": calls_per_day, "errors": 0})


def test_usage_only_customer_is_renormalised_with_partial_coverage() -> None:
    steady = _health(_daily([200] * 14))
    row = steady.iloc[0]
    assert row["coverage"] == CONFIG["health"]["weights"]["usage"]
    assert row["health_score"] == 100.0 and row["health_band"] == "excellent"


def test_collapsing_usage_scores_lower_than_steady_usage() -> None:
    collapsing = _health(_daily([200] * 7 + [5] * 7)).iloc[0]
    assert collapsing["health_score"] < 60
    assert "usage" in collapsing["drivers"] and "vs the week before" in collapsing["drivers"]


def test_customer_without_any_usage_scores_zero_on_usage_not_missing() -> None:
    frame = _health(pd.DataFrame(columns=["customer_id", "date", "api_calls", "errors"]))
    assert frame.iloc[0]["usage_score"] == 0.0 and frame.iloc[0]["health_band"] == "critical"
    assert _health(pd.DataFrame(columns=["customer_id", "date", "api_calls", "errors"]), "prospect").empty
