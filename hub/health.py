"""Customer health (seed 004): four weighted components, 0–100, banded, with history and drivers.

- usage (30%), support (20%), relationship (25%), outcomes (25%): ``hub.health_components``;
  weights in ``HUB_CONFIG`` ``health.weights``.
- A component with no data is left out and the weights re-normalise over the rest; ``coverage``
  is the share of weight present (1.0 = every component). A customer in a stage that should use
  the product (``health.usage.expected_stages``) and shows no usage scores 0 on usage, not "missing".
- The score is rounded half up to an integer, then banded: excellent ≥ 80, good ≥ 60,
  at_risk ≥ 40, critical below (``health.bands``).
- Honest scores: a score resting on less than ``health.min_coverage`` of the weight keeps its
  number but is banded ``insufficient_data`` (one signal is not a verdict); a churned customer
  (lifecycle stage ``churned``, or a source status that maps to it) scores 0, band ``churned``:
  health measures a live relationship, and there is none to call healthy.
- ``delta_7d`` / ``delta_30d``: today's score minus the score of the history row 7 / 30 days
  back (the latest one up to ``history_grace_days`` older when that day is missing).
- ``drivers``: the components costing the most points, in words with their figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hub import health_components as hc
from hub.lifecycle import lifecycle_stage
from hub.timeparse import timestamps

__all__ = ["COMPONENTS", "SCORE_COLUMNS", "SPECIAL_BANDS", "HealthInputs", "band", "bands_of", "customer_health",
           "lifecycle_stage", "round_half_up"]

COMPONENTS = ("usage", "support", "relationship", "outcomes")
INSUFFICIENT, CHURNED = "insufficient_data", "churned"
SPECIAL_BANDS = (INSUFFICIENT, CHURNED)  # bands that do not follow from the score
SCORE_COLUMNS = {"usage": "usage_score", "support": "support_score",
                 "relationship": "relationship_score", "outcomes": "outcome_score"}
FIGURE_COLUMNS = ["api_calls_7d", "api_calls_prev_7d", "api_calls_14d", "usage_growth_pct", "active_days_7d",
                  "error_rate_7d", "last_api_call_on", "open_tickets", "tickets_30d", "contacts",
                  "days_since_interaction", "satisfaction", "pmf", "activation_done", "activation_missing",
                  "time_to_first_value_days"]
HEALTH_COLUMNS = ["customer_id", "as_of", *SCORE_COLUMNS.values(), "health_score", "health_band", "coverage",
                  "delta_7d", "delta_30d", "drivers", *FIGURE_COLUMNS]


def round_half_up(value: float) -> int:
    return int(math.floor(value + 0.5))


def band(score: float, bands: dict[str, float]) -> str:
    for name, floor in sorted(bands.items(), key=lambda kv: -kv[1]):
        if score >= floor:
            return name
    return "critical"


def bands_of(scores: pd.Series, bands: dict[str, float]) -> pd.Series:
    """``band`` for a whole column at once."""
    ordered = sorted(bands.items(), key=lambda kv: -kv[1])
    return pd.Series(np.select([scores >= floor for _, floor in ordered], [name for name, _ in ordered],
                               default="critical"), index=scores.index)


@dataclass
class HealthInputs:
    """What health is computed from, one frame per source of evidence.

    customers: customer_id, lifecycle_stage (optional ``churned``: a source status says so) · usage_window: ``health_components.usage_window``
    · usage_summary: the ``customer_usage`` table · activities: customer_id, kind, occurred_at,
    type, sentiment, priority, is_closed, closed_at · contacts: customer_id · surveys:
    customer_id, survey_type, date_responded, satisfaction_score, pmf_score, likelihood_to_pay
    · history: customer_id, as_of, health_score (only the rows the deltas need are required).
    """

    customers: pd.DataFrame
    usage_window: pd.DataFrame
    usage_summary: pd.DataFrame
    activities: pd.DataFrame
    contacts: pd.DataFrame
    surveys: pd.DataFrame
    history: pd.DataFrame


def customer_health(inputs: HealthInputs, as_of: pd.Timestamp, config: dict[str, Any]) -> pd.DataFrame:
    """One ``customer_health`` row per customer with at least one component."""
    cfg = config["health"]
    ids = pd.Index(inputs.customers["customer_id"])
    positions = pd.RangeIndex(len(ids))
    # The components group and align on customer ids many times; integer positions instead of id
    # strings turn each of those from tens of milliseconds into one at 100k customers.
    coded = {name: _coded(getattr(inputs, name), ids) for name in
             ("usage_window", "usage_summary", "activities", "contacts", "surveys", "history")}
    # Parsed once here, not in each component: parsing text timestamps is the slow part.
    activities = coded["activities"].assign(occurred_at=timestamps(coded["activities"]["occurred_at"]),
                                            closed_at=timestamps(coded["activities"]["closed_at"]))
    expected = inputs.customers["lifecycle_stage"].isin(cfg["usage"]["expected_stages"]).to_numpy()
    onboarding = positions[expected].union(pd.Index(coded["usage_summary"]["customer_id"]))
    activated = hc.activation(coded["usage_summary"], activities, onboarding, cfg)
    frames = {
        "usage": hc.usage_component(coded["usage_window"], cfg),
        "support": hc.support_component(activities, as_of, cfg),
        "relationship": hc.relationship_component(coded["contacts"], activities, as_of, cfg),
        "outcomes": hc.outcomes_component(coded["surveys"], activated, cfg),
        "activation": activated,
    }
    frames = {name: frame.reindex(positions) for name, frame in frames.items()}
    parts = pd.DataFrame({c: frames[c][c].to_numpy(dtype=float) for c in COMPONENTS}, index=positions)
    parts.loc[expected & parts["usage"].isna().to_numpy(), "usage"] = 0.0
    weights = pd.Series({c: float(cfg["weights"][c]) for c in COMPONENTS})
    weight_present = parts.notna().mul(weights).sum(axis=1)
    scored = (weight_present > 0).to_numpy()
    raw_score = parts.fillna(0.0).mul(weights).sum(axis=1) / weight_present.where(weight_present > 0)

    out = pd.DataFrame({"customer_id": positions, "as_of": as_of.strftime("%Y-%m-%d")})
    for component, column in SCORE_COLUMNS.items():
        out[column] = parts[component].round(1).to_numpy()
    out["health_score"] = np.floor(raw_score.to_numpy() + 0.5)  # round half up, as round_half_up
    out["health_band"] = bands_of(out["health_score"], cfg["bands"])
    out["coverage"] = (weight_present / weights.sum()).round(4).to_numpy()
    out.loc[(out["coverage"] < float(cfg.get("min_coverage") or 0)).to_numpy(), "health_band"] = INSUFFICIENT
    churned = _churned(inputs.customers)
    out.loc[churned, "health_score"] = 0.0
    out.loc[churned, "health_band"] = CHURNED
    for column in FIGURE_COLUMNS:
        source = next(f for f in frames.values() if column in f.columns)
        out[column] = source[column].to_numpy()
    out = out[scored].reset_index(drop=True)
    grace = int(cfg["history_grace_days"])
    out["delta_7d"] = _delta(out, coded["history"], as_of, 7, grace)
    out["delta_30d"] = _delta(out, coded["history"], as_of, 30, grace)
    out["drivers"] = drivers(out, weights, cfg)
    out["customer_id"] = ids.to_numpy()[out["customer_id"].to_numpy()]
    return out[HEALTH_COLUMNS]


def _churned(customers: pd.DataFrame) -> np.ndarray:
    """Customers who left: lifecycle stage ``churned``, or a ``churned`` flag from a source status."""
    churned = (customers["lifecycle_stage"] == CHURNED).to_numpy(dtype=bool, copy=True)
    if "churned" in customers.columns:
        churned |= customers["churned"].fillna(False).astype(bool).to_numpy()
    return churned


def _coded(frame: pd.DataFrame, ids: pd.Index) -> pd.DataFrame:
    """``frame`` with ``customer_id`` replaced by the customer's position in ``ids``; rows of
    unknown customers dropped."""
    code = ids.get_indexer(frame["customer_id"]) if len(frame) else np.array([], dtype=int)
    known = code >= 0
    return frame[known].assign(customer_id=code[known])


def history_window(as_of: pd.Timestamp, days: int, grace_days: int) -> tuple[str, str]:
    """The first and last ``as_of`` day of history a ``days``-day delta reads."""
    return ((as_of - pd.Timedelta(days=days + grace_days)).strftime("%Y-%m-%d"),
            (as_of - pd.Timedelta(days=days)).strftime("%Y-%m-%d"))


def _delta(current: pd.DataFrame, history: pd.DataFrame, as_of: pd.Timestamp, days: int, grace: int) -> pd.Series:
    """Change against the latest history row between ``days`` and ``days + grace`` days old."""
    if history.empty:
        return pd.Series(np.nan, index=current.index)
    first, last = history_window(as_of, days, grace)
    day = history["as_of"].astype(str).str[:10]
    window = history[(day >= first) & (day <= last)].assign(day=day)
    past = window.sort_values("day").groupby("customer_id")["health_score"].last()
    return (current["health_score"] - current["customer_id"].map(past)).astype(float)


def drivers(health: pd.DataFrame, weights: pd.Series, cfg: dict[str, Any]) -> list[str]:
    """Up to ``drivers`` components costing the most weighted points, each with its figures, e.g.
    "usage 18/100: 42 API calls in 7 days (-85% vs the week before), 2 of 7 days active".

    Built column-wise (one text per component for every customer, then picked per row): a
    row-by-row formatter costs seconds at 100k customers."""
    top = int(cfg["drivers"])
    scores = health[list(SCORE_COLUMNS.values())].to_numpy(dtype=float)
    lost = np.where(np.isnan(scores), -1.0, (100.0 - scores) * weights.to_numpy())
    order = np.argsort(-lost, axis=1, kind="stable")[:, :top]
    rows = np.arange(len(health))
    texts = np.full((len(COMPONENTS), len(health)), "", dtype=object)
    for i, component in enumerate(COMPONENTS):  # only the rows that will name this component
        named = ((order == i) & (lost[rows[:, None], order] > 0)).any(axis=1)
        if named.any():
            texts[i, named] = _describe(component, health[named])
    out = np.full(len(health), "", dtype=object)
    for rank in range(order.shape[1]):
        pick = order[:, rank]
        chosen = np.where(lost[rows, pick] > 0, texts[pick, rows], "")
        out = _joined(out, chosen, "; ")
    delta = health["delta_7d"].to_numpy(dtype=float)
    change = np.array([f"health {d:+.0f} in 7 days" if d == d and d != 0 else "" for d in delta], dtype=object)
    out = _joined(out, change, "; ")
    # The band that is not the score's says why first.
    band_text = {INSUFFICIENT: "insufficient data: coverage {:.0%}", CHURNED: "churned: not scored as a live customer"}
    why = np.array([band_text.get(b, "").format(c) for b, c in zip(health["health_band"], health["coverage"],
                                                                    strict=True)], dtype=object)
    return _joined(why, out, "; ").tolist()


def _joined(left: np.ndarray, right: np.ndarray, separator: str) -> np.ndarray:
    """Element-wise ``left + separator + right``, leaving out empty sides."""
    both = (left != "") & (right != "")
    return np.where(both, left + separator + right, np.where(left != "", left, right))


def _text(values: pd.Series, fmt: str) -> np.ndarray:
    """Each value formatted, '' where it is missing."""
    return np.array(["" if v is None or v != v else fmt.format(v) for v in values.tolist()], dtype=object)


def _plural(values: pd.Series, noun: str) -> np.ndarray:
    counts = values.fillna(0).astype(int).tolist()
    return np.array([f"{n} {noun}" + ("" if n == 1 else "s") for n in counts], dtype=object)


def _describe(component: str, h: pd.DataFrame) -> np.ndarray:
    """One component's text for every row: "<component> <score>/100: <figures>"."""
    head = np.array([f"{component} {s:.0f}/100" if s == s else "" for s in h[SCORE_COLUMNS[component]].tolist()],
                    dtype=object)
    if component == "usage":
        calls, prev = h["api_calls_7d"].astype(float), h["api_calls_prev_7d"].astype(float)
        change = (100.0 * (calls / prev.where(prev > 0) - 1.0))
        facts = _joined(_joined(
            np.where(calls.fillna(0) + prev.fillna(0) == 0, "no API calls in 14 days",
                     _text(calls, "{:.0f} API calls in 7 days")),
            _text(change, "({:+.0f}% vs the week before)"), " "),
            _text(h["active_days_7d"].astype(float), "{:.0f} of 7 days active"), ", ")
        facts = _joined(facts, _text((100 * h["error_rate_7d"].astype(float)).where(h["error_rate_7d"] >= 0.01),
                                     "{:.1f}% errors"), ", ")
    elif component == "support":
        facts = _joined(_plural(h["open_tickets"], "open ticket"),
                        _text(h["tickets_30d"].fillna(0).astype(float), "{:.0f} new in 30 days"), ", ")
    elif component == "relationship":
        days = h["days_since_interaction"].astype(float)
        facts = _joined(_plural(h["contacts"], "contact"),
                        np.where(days.isna(), "no interaction logged", _text(days, "last interaction {:.0f} days ago")),
                        ", ")
    else:
        missing = h["activation_missing"].fillna("").astype(str)
        activation = _joined(_text(h["activation_done"].astype(float), "activation {:.0f}/" + str(len(hc.ACTIVATION_CHECKLIST))),
                             np.where(missing != "", "(missing: " + missing + ")", ""), " ")
        facts = _joined(_joined(_text(h["satisfaction"].astype(float), "satisfaction {:.1f}/10"),
                                _text(h["pmf"].astype(float), "PMF {:.0f}%"), ", "), activation, ", ")
    return _joined(head, facts, ": ")
