"""Lead score (seed 000) and the health bands (seed 004)."""

from __future__ import annotations

import pandas as pd

from hub.config import load_config
from hub.health import band, bands_of, round_half_up
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
    # Seed 000: "Score >40: Auto-assign to sales rep"; the >45 alert is the rule application_score_above_45.
    assert scores["auto_assign"].tolist() == [True, False]
    assert CONFIG["alerts"]["rules"]["application_score_above_45"]["value"] == CONFIG["lead_score"]["alert_above"]


def test_bands_and_rounding_follow_the_seed() -> None:
    bands = CONFIG["health"]["bands"]
    assert round_half_up(79.5) == 80 and round_half_up(59.49) == 59
    scores = [80, 79, 60, 59, 40, 39, 0]
    expected = ["excellent", "good", "good", "at_risk", "at_risk", "critical", "critical"]
    assert [band(s, bands) for s in scores] == expected
    assert bands_of(pd.Series(scores, dtype=float), bands).tolist() == expected
