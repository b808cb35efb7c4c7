"""Seed 000's lead score for beta applications: six criteria, 50 points at most.

Industry fit +10, priority level +15, volume estimate +10, technical capability +5, use case
detail +5, response time +5; the points per answer live in ``HUB_CONFIG`` (``lead_score``).
Above ``auto_assign_above`` an application is auto-assigned to a sales rep; above
``alert_above`` it raises an alert.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from hub.timeparse import timestamps
from hub.values import text


def _tiered(value: float | None, tiers: list[dict[str, Any]], bound: str, *, at_least: bool) -> int:
    if value is None or pd.isna(value):
        return 0
    for tier in tiers:
        if (value >= tier[bound]) if at_least else (value <= tier[bound]):
            return int(tier["points"])
    return 0


def score_application(application: dict[str, Any], first_response_days: float | None,
                      rules: dict[str, Any]) -> dict[str, int]:
    """Points per criterion for one application (the six seed criteria)."""
    # Airtable omits empty fields: a missing answer (None, NaN) scores 0 for its criterion.
    answer = {name: text(application.get(name)) for name in
              ("industry", "priority_level", "volume_estimate", "technical_capability", "use_case")}
    return {
        "industry_fit": int(rules["industry_fit"].get(answer["industry"], 0)),
        "priority_level": int(rules["priority_level"].get(answer["priority_level"], 0)),
        "volume_estimate": int(rules["volume_estimate"].get(answer["volume_estimate"], 0)),
        "technical_capability": int(rules["technical_capability"].get(answer["technical_capability"], 0)),
        "use_case_detail": _tiered(len(answer["use_case"] or ""), rules["use_case_detail"], "min_chars",
                                   at_least=True),
        "response_time": _tiered(first_response_days, rules["response_time"], "max_days", at_least=False),
    }


def lead_scores(applications: pd.DataFrame, interactions: pd.DataFrame, rules: dict[str, Any]) -> pd.DataFrame:
    """``lead_score``, ``lead_score_detail`` (JSON points per criterion) and ``auto_assign`` per
    application. ``applications`` needs ``record_id, applied_on`` and the scored fields;
    ``interactions`` needs ``company_record_id, occurred_at`` (the first one after applying is
    the response)."""
    applied = timestamps(applications["applied_on"])
    first = pd.Series(dtype="datetime64[ns, UTC]")
    if not interactions.empty:
        first = interactions.dropna(subset=["company_record_id"]).groupby("company_record_id")["occurred_at"].min()
    first_at = applications["record_id"].map(first.to_dict())  # a dict: an empty Series keeps its dtype
    response_days = (timestamps(first_at) - applied).dt.total_seconds() / 86400.0
    response_days = response_days.where(response_days >= 0)
    details = [score_application(app, None if pd.isna(days) else days, rules)
               for app, days in zip(applications.to_dict("records"), response_days, strict=True)]
    out = pd.DataFrame(index=applications.index)
    out["lead_score"] = [sum(d.values()) for d in details]
    out["lead_score_detail"] = [json.dumps(d) for d in details]
    out["auto_assign"] = out["lead_score"] > rules["auto_assign_above"]
    return out
