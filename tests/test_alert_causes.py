"""One alert per cause: supersession per entity, a maximum age, and messages that say what is
missing instead of "n/a" — with the shipped rules."""

from __future__ import annotations

import pandas as pd
import pytest

from hub.alert_lifecycle import ALERT_COLUMNS, advance
from hub.alerts import RuleError, evaluate, rules_from_config
from hub.config import load_config

CONFIG = load_config()
RULES = {r.name: r for r in rules_from_config(CONFIG["alerts"])}
NOW = pd.Timestamp("2026-11-21T08:00:00Z")


def _customer(**facts: object) -> pd.DataFrame:
    return pd.DataFrame([{"entity_id": "cus_1", "customer_id": "cus_1", "name": "Acme", "owner": None,
                          "lifecycle_stage": "customer", "health_band": "at_risk", "drivers": "", **facts}])


def _facts(customer: pd.DataFrame, applications: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    empty = pd.DataFrame(columns=["entity_id", "customer_id", "name", "owner"])
    return {"customer": customer, "application": applications if applications is not None else empty, "kpi": empty}


def test_churn_risk_band_supersedes_health_below_60_for_the_same_customer() -> None:
    rules = [RULES["health_below_60"], RULES["churn_risk_band"]]
    at_risk = evaluate(rules, _facts(_customer(health_score=50.0)), NOW)
    assert at_risk.firing["rule"].tolist() == ["health_below_60"] and at_risk.withheld == {}
    critical = evaluate(rules, _facts(_customer(health_score=33.0, health_band="critical")), NOW)
    assert critical.firing["rule"].tolist() == ["churn_risk_band"]
    assert critical.withheld == {("health_below_60", "customer", "cus_1", ""): "superseded by churn_risk_band"}
    # The lifecycle: the open health_below_60 alert resolves saying why; only the new cause is announced.
    first = advance(pd.DataFrame(columns=ALERT_COLUMNS), at_risk.firing, NOW.isoformat())
    later = (NOW + pd.Timedelta(days=1)).isoformat()
    second = advance(first.alerts, critical.firing, later, critical.withheld)
    rows = second.alerts.set_index("rule")
    assert rows.loc["health_below_60", ["status", "resolved_reason"]].tolist() == [
        "resolved", "superseded by churn_risk_band"]
    assert [n for _, n in second.notices] == ["fired"] and rows.loc["churn_risk_band", "status"] == "open"


def test_an_application_older_than_max_age_is_not_no_response_news() -> None:
    apps = pd.DataFrame([
        {"entity_id": app, "customer_id": None, "name": name, "owner": None, "status": "New",
         "applied_on": (NOW - pd.Timedelta(days=days)).strftime("%Y-%m-%d"), "days_without_response": days}
        for app, name, days in [("BETA-1", "Old Co", 368), ("BETA-2", "New Co", 9), ("BETA-3", "Undated", 9)]])
    apps.loc[2, "applied_on"] = None
    result = evaluate([RULES["no_response_7_days"]], _facts(_customer(), apps), NOW)
    assert result.firing["entity_id"].tolist() == ["BETA-2"]
    assert set(result.withheld) == {("no_response_7_days", "application", "BETA-1", ""),
                                    ("no_response_7_days", "application", "BETA-3", "")}
    assert "max_age_days" in result.withheld[("no_response_7_days", "application", "BETA-1", "")]


def test_messages_say_which_fact_is_missing_never_n_a() -> None:
    never = evaluate([RULES["inactive"]], _facts(_customer(api_calls_14d=0.0, last_api_call_on=None)), NOW)
    assert never.firing["message"].tolist() == ["Acme: no API calls in 14 days (none ever recorded)."]
    known = evaluate([RULES["inactive"]], _facts(_customer(api_calls_14d=0.0, last_api_call_on="2026-09-30")), NOW)
    assert known.firing["message"].tolist() == ["Acme: no API calls in 14 days (last on 2026-09-30)."]
    custom = {"name": "x", "entity": "customer", "metric": "health_score", "op": "<", "value": 60,
              "message": "${name}: ${health_score}, band ${health_band}, seen ${last_seen}"}
    text = evaluate([custom], _facts(_customer(health_score=40.0, health_band=None, last_seen=None)),
                    NOW).firing["message"].iloc[0]
    assert "n/a" not in text and text == "Acme: 40, band health band unknown, seen last seen unknown"


@pytest.mark.parametrize(("rules", "problem"), [
    ({"a": {"entity": "customer", "metric": "m", "op": "<", "value": 1, "supersedes": ["nope"]}}, "not a rule"),
    ({"a": {"entity": "customer", "metric": "m", "op": "<", "value": 1, "supersedes": ["b"]},
      "b": {"entity": "kpi", "metric": "m", "op": "<", "value": 1}}, "per entity"),
    ({"a": {"entity": "customer", "metric": "m", "op": "<", "value": 1, "supersedes": ["b"]},
      "b": {"entity": "customer", "metric": "m", "op": "<", "value": 2, "supersedes": ["a"]}}, "supersedes itself"),
    ({"a": {"entity": "customer", "metric": "m", "op": "<", "value": 1, "max_age_days": 3}}, "needs age_from"),
])
def test_bad_supersession_and_age_settings_say_what_to_fix(rules: dict, problem: str) -> None:
    with pytest.raises(RuleError, match=problem):
        rules_from_config({"rules": rules})


def test_a_disabled_superseded_rule_is_no_error() -> None:
    rules = rules_from_config({"rules": {
        "a": {"entity": "customer", "metric": "m", "op": "<", "value": 1, "supersedes": ["b"]},
        "b": {"entity": "customer", "metric": "m", "op": "<", "value": 2, "enabled": False}}})
    assert [r.name for r in rules] == ["a"]
