"""The KPI catalogue, one test per KPI: a small hand-made world written to each warehouse, the
``kpi_period`` step run on 2026-11-30 (a Monday), and every figure compared with the value worked
out by hand below from the formula in docs/kpis.md.

Periods: day = 2026-11-29; week = 2026-W48 (Mon 23 – Sun 29 November); month = 2026-10.
"""

from __future__ import annotations

import pandas as pd
import pytest

from hub.config import load_config, merge
from hub.pipeline.kpis import build_kpi_period
from hub.warehouse import Warehouse

AS_OF = pd.Timestamp("2026-11-30", tz="UTC")
NOW = "2026-11-30T00:00:00+00:00"

APPLICATIONS = pd.DataFrame([  # application_id, customer_id, status, priority_score, applied_on, source, industry
    ("A1", "c1", "Active", 40.0, "2026-11-29", "web", "Retail"),
    ("A2", "c2", "Accepted", 20.0, "2026-11-25", "referral", "Retail"),
    ("A3", None, "New", 30.0, "2026-11-24", "web", "Finance"),
    ("A4", "c3", "Churned", 50.0, "2026-10-10", "web", "Finance"),
    ("A5", None, "Rejected", None, "2026-10-15", "event", None),
    ("A6", "c4", "Onboarding", 10.0, "2026-09-01", "web", "Retail"),
    ("A7", "c5", "Accepted", None, "2026-09-10", "web", "Retail"),
], columns=["application_id", "customer_id", "status", "priority_score", "applied_on", "source", "industry"])
CUSTOMERS = pd.DataFrame([  # c2's and c5's MRR are unknown, c3's is known to be 0
    ("c1", "customer", 100.0), ("c2", "customer", None), ("c3", "churned", 0.0), ("c4", "churn_risk", 50.0),
    ("c5", "prospect", None)], columns=["customer_id", "lifecycle_stage", "mrr"])
USAGE = pd.DataFrame([
    ("c1", "2026-11-29", 100.0, 2.0), ("c1", "2026-11-24", 50.0, 1.0), ("c2", "2026-11-20", 30.0, 3.0),
    ("c4", "2026-11-26", 0.0, 0.0), ("c1", "2026-10-05", 700.0, 4.0), ("c2", "2026-10-20", 140.0, 2.0),
], columns=["customer_id", "date", "api_calls", "active_users"])
SURVEYS = pd.DataFrame([  # PMF Score is an Airtable Percent: a fraction on the wire
    ("S1", "PMF", "2026-10-02", "2026-10-05", 0.5, 9.0, True, True),
    ("S2", "PMF", "2026-10-10", "2026-10-12", 0.3, 7.0, False, False),
    ("S3", "PMF", "2026-10-20", None, None, None, False, False),
    ("S4", "Weekly", "2026-10-03", "2026-10-04", None, 8.0, True, False),
    ("S5", "PMF", "2026-11-25", None, None, None, False, False),
], columns=["record_id", "survey_type", "date_sent", "date_responded", "pmf_score", "satisfaction_score",
            "has_testimonial", "case_study_willingness"])
DEALS = pd.DataFrame([  # deal, customer, stage, amount, probability, close, closed, won, created
    ("1", "c1", "Closed Won", 1200.0, 1.0, "2026-10-10", True, True, "2026-09-10T00:00:00Z"),
    ("2", "c3", "Closed Won", 600.0, 1.0, "2026-10-20", True, True, "2026-10-10T00:00:00Z"),
    ("3", "c2", "Closed Lost", 500.0, 0.0, "2026-10-25", True, False, "2026-10-01T00:00:00Z"),
    ("4", "c4", "Technical Review", 1000.0, 0.4, "2026-12-15", False, False, "2026-11-01T00:00:00Z"),
    ("5", "c1", "Negotiation", 2000.0, 0.5, "2027-01-20", False, False, "2026-11-02T00:00:00Z"),
    ("6", "c5", "Qualified", None, 0.2, "2026-12-01", False, False, "2026-11-03T00:00:00Z"),
], columns=["source_id", "customer_id", "stage", "amount", "probability", "close_date", "is_closed", "is_won",
            "created_at"])
TICKETS = pd.DataFrame([
    ("T1", "ticket", "2026-11-29T10:00:00Z", True, "2026-11-29T12:00:00Z"),
    ("T2", "case", "2026-11-24T00:00:00Z", True, "2026-11-25T00:00:00Z"),
    ("T3", "ticket", "2026-11-26T08:00:00Z", False, None),
    ("T4", "ticket", "2026-10-05T00:00:00Z", True, "2026-10-05T06:00:00Z"),
    ("I1", "interaction", "2026-11-29T09:00:00Z", False, None),
], columns=["record_id", "kind", "occurred_at", "is_closed", "closed_at"])

# (kpi, grain) -> the value worked by hand, or "unknown". Unlisted grains of a KPI are not checked.
EXPECTED: dict[str, dict[str, float | str]] = {
    "applications": {"day": 1, "week": 3, "month": 2},  # A1 | A1 A2 A3 | A4 A5
    "applications_total": {"week": 7},
    "acceptance_rate": {"week": 100 * 4 / 6},  # A1 A2 A6 A7 of decided A1 A2 A4 A5 A6 A7
    "average_priority_score": {"week": 30.0},  # (40 + 20 + 30) / 3
    "cost_per_application": {"month": "unknown"},
    "cac": {"month": "unknown"},
    # No product events in this world (tests/test_kpi_funnel.py works the funnel by hand).
    "form_start_rate": {"week": "unknown", "month": "unknown"},
    "application_completion_rate": {"week": "unknown", "month": "unknown"},
    "demo_request_rate": {"week": "unknown", "month": "unknown"},
    "docs_to_application_rate": {"week": "unknown", "month": "unknown"},
    "active_beta_customers": {"week": 1},  # beta c1 c2 c4; only c1 called in W48 (c4's day has 0 calls)
    "daily_active_users": {"day": 2.0, "week": 3 / 7},  # 2 on the 29th | (2 + 1 + 0) / 7 days
    "weekly_active_usage": {"week": 100 / 3},
    "api_calls_per_active_customer_week": {"week": 150.0, "month": 840 / (2 * 31 / 7)},
    "beta_retention": {"month": 100 * 4 / 5},  # A1 A2 A6 A7 of those plus A4 (Churned)
    "activation_rate_30d": {"month": 50.0},  # A6 (c4: 44 days) and A7 (c5: 10 days) are 30+ days old
    "time_to_first_value_p50": {"month": 5.0},  # 3, 5, 10 days
    "time_to_first_value_p75": {"month": 7.5},
    "pmf_score": {"month": 40.0},  # (50 % + 30 %) / 2
    "pmf_response_rate": {"week": 0.0, "month": 100 * 2 / 3},  # S5 unanswered | S1 S2 of S1 S2 S3
    "csat": {"month": 100 * 2 / 3},  # 9 and 8 of 9, 7, 8
    "nps": {"month": "unknown"},
    "testimonials": {"month": 2},
    "case_study_willing": {"month": 1},
    "mrr": {"month": 150.0},  # 100 + 0 + 50; unknown MRR is not 0
    "arr": {"month": 1800.0},
    "paid_conversion": {"month": 100 * 2 / 5},  # c1 c3 won, of beta c1 c2 c3 c4 c5
    "acv": {"month": 900.0},  # 1800 / (c1, c4)
    "mrr_movements": {"month": "unknown"},  # no churn snapshots here: tests/test_kpi_mrr_movements.py
    "nrr": {"month": "unknown"},
    "logo_churn": {"month": "unknown"},
    "ltv_to_cac": {"month": "unknown"},
    "pipeline_value": {"week": 3000.0},  # deals 4 and 5 (6 has no amount)
    "weighted_pipeline": {"week": 1400.0},  # 1000 x 0.4 + 2000 x 0.5
    "win_rate": {"month": 100 * 2 / 3},  # 1, 2 won of 1, 2, 3 closed in October
    "average_deal_size": {"month": 900.0},
    "sales_cycle_days": {"month": 20.0},  # 30 and 10 days
    "forecast_next_month": {"month": 400.0},  # deal 4 closes in December
    "tickets_opened": {"day": 1, "week": 3, "month": 1},
    "resolution_hours_median": {"week": 13.0, "month": 6.0},  # 2 h and 24 h | 6 h
    "resolution_hours_p90": {"week": 21.8, "month": 6.0},
    "first_response_hours_median": {"week": "unknown"},
}


def _write(warehouse: Warehouse) -> None:
    w = warehouse.write
    w("analytics", "applications", APPLICATIONS, mode="replace")
    w("analytics", "customers", CUSTOMERS.assign(arr=CUSTOMERS["mrr"] * 12, first_seen_at=NOW, updated_at=NOW),
      mode="replace")
    w("analytics", "usage_daily", USAGE.assign(sign_operations=0.0, verify_operations=0.0, errors=0.0, error_rate=0.0,
                                               storage_bytes=0.0, cost=0.0, events=1, origin="usage_log"), mode="replace")
    w("staging", "surveys", SURVEYS, mode="replace")
    w("analytics", "deals", DEALS.drop(columns=["created_at"]).assign(deal_id="hubspot-" + DEALS["source_id"],
                                                                      source="hubspot"), mode="replace")
    w("staging", "deals", DEALS[["source_id", "created_at"]].assign(record_id="hubspot:deals:" + DEALS["source_id"],
                                                                    source="hubspot"), mode="replace")
    w("staging", "activities", TICKETS.assign(source="hubspot"), mode="replace")
    w("analytics", "customer_usage", pd.DataFrame({"customer_id": ["c4", "c5"],
                                                   "first_api_call_on": ["2026-10-15", "2026-09-20"]}), mode="replace")
    w("analytics", "beta_activations", pd.DataFrame({
        "customer_id": ["c1", "c4", "c5"], "activated_at": NOW, "time_to_first_value_days": [3.0, 10.0, 5.0],
        "event_seq": [1, 2, 3]}), mode="replace")


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def measured(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    from conftest import fresh_postgres, fresh_sqlite

    warehouse = fresh_sqlite(tmp_path_factory.mktemp("kpis")) if request.param == "sqlite" else fresh_postgres()
    _write(warehouse)
    build_kpi_period(warehouse, load_config(), AS_OF)
    return warehouse.read("analytics", "kpi_period").set_index(["kpi", "grain"])


def test_every_catalogue_kpi_is_worked_by_hand_here() -> None:
    assert set(EXPECTED) == set(load_config()["kpis"]["catalogue"])


@pytest.mark.parametrize("kpi", sorted(EXPECTED))
def test_kpi(measured: pd.DataFrame, kpi: str) -> None:
    for grain, expected in EXPECTED[kpi].items():
        row = measured.loc[(kpi, grain)]
        if expected == "unknown":
            assert row["status"] == "unknown" and pd.isna(row["value"]), (kpi, grain, row.to_dict())
            assert row["reason"] and ("needs" in row["reason"]), row["reason"]
        else:
            assert row["value"] == pytest.approx(expected, abs=1e-3), (kpi, grain, row.to_dict())
            assert row["status"] in ("green", "yellow", "red", "info")


def test_periods_and_re_aggregation(measured: pd.DataFrame) -> None:
    assert measured.loc[("applications", "week"), "period"] == "2026-W48"
    assert measured.loc[("applications", "month"), "period"] == "2026-10"
    assert measured.loc[("applications", "day"), "period"] == "2026-11-29"
    # A rate carries what it divides: BI sums numerators and denominators, then divides.
    rate = measured.loc[("csat", "month")]
    assert (rate["numerator"], rate["denominator"]) == (2.0, 3.0)
    assert measured.loc[("applications", "week"), "status"] == "red"  # 3 of a weekly target of 21 (yellow at 7)


def test_spend_input_turns_unknown_into_a_figure(sqlite_warehouse: Warehouse) -> None:
    _write(sqlite_warehouse)
    config = merge(load_config(), {"kpis": {"inputs": {"monthly_acquisition_spend": 3043.75}}})  # 100 a day
    build_kpi_period(sqlite_warehouse, config, AS_OF)
    frame = sqlite_warehouse.read("analytics", "kpi_period").set_index(["kpi", "grain"])
    assert frame.loc[("cost_per_application", "month"), "value"] == pytest.approx(3100 / 2)  # 31 days, A4 A5
    assert frame.loc[("cac", "month"), "value"] == pytest.approx(3100 / 2)  # c1 and c3 won in October
    assert frame.loc[("cost_per_application", "month"), "status"] == "red"  # above 100 (lower is better)


def test_docs_state_every_kpi() -> None:
    from pathlib import Path

    docs = (Path(__file__).resolve().parent.parent / "docs" / "kpis.md").read_text(encoding="utf-8")
    missing = [kpi for kpi in load_config()["kpis"]["catalogue"] if f"`{kpi}`" not in docs]
    assert not missing, f"docs/kpis.md does not state {missing}"
