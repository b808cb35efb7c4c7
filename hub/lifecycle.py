"""Lifecycle stage per customer: seed 004's stages from seed 000's deal stages and application
statuses, with the health band separating healthy customers from those at risk of churning.

Stages: ``prospect`` (researching, applied), ``opportunity`` (qualified, in technical review),
``customer`` (accepted into the beta up to closed won), ``churn_risk`` (a customer whose health
band is at risk or critical), ``churned`` (application marked Churned). The mappings live in
``HUB_CONFIG`` ``lifecycle``; the most advanced stage any record shows wins, in the order
customer > churned > opportunity > prospect.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

STAGES = ("prospect", "opportunity", "customer", "churn_risk", "churned")
PRECEDENCE = ("prospect", "opportunity", "churned", "customer")  # least to most advanced


def lifecycle_stage(customers: pd.DataFrame, deals: pd.DataFrame, applications: pd.DataFrame,
                    health_band: pd.Series, config: dict[str, Any]) -> pd.Series:
    """The lifecycle stage of each row of ``customers`` (same index)."""
    rules = config.get("lifecycle") or _default_rules(config)
    ids = pd.Index(customers["customer_id"])
    rank = {stage: n for n, stage in enumerate(PRECEDENCE)}
    best = np.zeros(len(ids), dtype=int)  # prospect unless a record shows more
    for frame, column, mapping in ((deals, "stage", rules["deal_stages"]),
                                   (applications, "status", rules["application_statuses"])):
        if frame.empty:
            continue
        position = ids.get_indexer(frame["customer_id"])
        level = frame[column].map(mapping).map(rank).to_numpy(dtype=float)
        known = (position >= 0) & ~np.isnan(level)
        np.maximum.at(best, position[known], level[known].astype(int))  # vectorised per-customer max
    stage = np.array(PRECEDENCE, dtype=object)[best]
    at_risk = health_band.reindex(ids).isin(rules["churn_risk_bands"]).to_numpy()
    stage = np.where((stage == "customer") & at_risk, "churn_risk", stage)
    return pd.Series(stage, index=customers.index)


def _default_rules(config: dict[str, Any]) -> dict[str, Any]:
    """Seed 000's nine stages when HUB_CONFIG has no ``lifecycle`` section (older config files)."""
    stages = config["deal_stages"]
    return {
        "deal_stages": {**{s: "prospect" for s in stages[:1]}, **{s: "opportunity" for s in stages[1:3]},
                        **{s: "customer" for s in stages[3:8]}},
        "application_statuses": {"New": "prospect", "Reviewing": "opportunity", "Accepted": "customer",
                                 "Onboarding": "customer", "Active": "customer", "Churned": "churned",
                                 "Rejected": "prospect"},
        "churn_risk_bands": ["at_risk", "critical"],
    }
