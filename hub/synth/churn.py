"""Ground truth for churn prediction: a customer base, week by week, whose churn has causes.

``churn_world`` simulates paying customers over ``weeks`` weekly snapshots and records each
snapshot as the hub would see it (health components scored with ``HUB_CONFIG``'s health rules,
usage, support and relationship figures, MRR, renewal date), plus the deal pipeline that brings
new customers. Churn follows plausible causes, each a term of a weekly hazard:

- declining usage (calls falling over four weeks: a decline episode starts, deepens, may recover),
- support tickets left unresolved for two weeks or more (a customer whose tickets close slowly),
- a single-threaded relationship (one engaged contact; a champion may leave),
- an unfinished onboarding checklist, and the weeks before the annual renewal,

plus noise the hub cannot see: a per-customer frailty and the draw itself. ``truth`` keeps each
customer's churn week and hazard terms, so a model can be judged against what it did not see.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hub import health_components as hc
from hub.config import load_config
from hub.health import bands_of
from hub.synth.wire import rng_for

# Weekly hazard: logit = base + sum(weight * cause) + frailty; about 1.2 % of customers a month.
HAZARD = {"base": -8.0, "usage_decline": 2.5, "unresolved_tickets": 0.7, "single_threaded": 1.3,
          "onboarding_unfinished": 1.0, "renewal_due": 1.5}
FRAILTY_SD = 0.6
STAGE_PROBABILITY = (0.2, 0.3, 0.4, 0.5, 0.6, 0.8)


@dataclass
class ChurnWorld:
    """Weekly snapshots as the hub records them, the deal pipeline, and the truth behind both."""

    as_of: dt.date
    snapshots: pd.DataFrame  # hub.predict.features.SNAPSHOT_COLUMNS, one row per customer and week
    deals: pd.DataFrame  # deal_id, customer_id, mrr, probability, created_on, close_date, closed_on, is_won
    truth: pd.DataFrame  # customer_id, churned_on, frailty, and the hazard terms at churn
    hazards: pd.DataFrame  # customer_id, as_of, weekly_hazard: the true churn chance of the coming week


def churn_world(n_customers: int = 1500, weeks: int = 78, seed: int = 7, *, as_of: dt.date | None = None,
                new_deals_per_week: float = 12.0, config: dict[str, Any] | None = None) -> ChurnWorld:
    """``n_customers`` live at the first snapshot, ``weeks`` weekly snapshots up to ``as_of``
    (default today, UTC), new customers from won deals; deterministic given the arguments."""
    if n_customers < 1 or weeks < 2:
        raise ValueError("churn_world needs at least one customer and two weeks")
    as_of = as_of or dt.datetime.now(dt.UTC).date()
    cfg = (config or load_config())["health"]
    rng = rng_for(seed, "churn world")
    first = pd.Timestamp(as_of) - pd.Timedelta(weeks=weeks - 1)
    deals = _deals(rng, weeks, first, new_deals_per_week)
    won = deals[deals["is_won"] & (deals["closed_on"] <= pd.Timestamp(as_of))]
    sim = _Simulation(rng, n_customers, won, first)
    frames = [sim.step(week, first + pd.Timedelta(weeks=week), cfg) for week in range(weeks)]
    snapshots = pd.concat([f for f, _ in frames], ignore_index=True)
    hazards = pd.concat([h for _, h in frames], ignore_index=True)
    deals = deals.assign(customer_id=deals["deal_id"].map(sim.deal_customer))
    for column in ("created_on", "close_date", "closed_on"):
        deals[column] = deals[column].dt.strftime("%Y-%m-%d")
    return ChurnWorld(as_of=as_of, snapshots=snapshots, deals=deals, truth=sim.truth(), hazards=hazards)


def _deals(rng: np.random.Generator, weeks: int, first: pd.Timestamp, per_week: float) -> pd.DataFrame:
    """New-business deals created over the window (and 20 weeks before it): expected close date,
    stage probability, and the truth of whether and when each closes (won at its probability,
    closing a few days either side of the date the CRM expects)."""
    created_week = np.repeat(np.arange(-20, weeks), rng.poisson(per_week, weeks + 20))
    n = len(created_week)
    created = first + pd.to_timedelta(created_week * 7 + rng.integers(0, 7, n), unit="D")
    expected = created + pd.to_timedelta(rng.integers(14, 120, n), unit="D")
    probability = rng.choice(STAGE_PROBABILITY, n)
    slip = np.round(rng.normal(7, 12, n)).astype(int)
    return pd.DataFrame({
        "deal_id": [f"D{i:06d}" for i in range(n)],
        "mrr": np.round(np.clip(rng.lognormal(np.log(900), 0.7, n), 100, 20_000), -1),
        "probability": probability, "created_on": created, "close_date": expected,
        "closed_on": expected + pd.to_timedelta(slip, unit="D"), "is_won": rng.random(n) < probability,
    })


class _Simulation:
    """The customers' hidden state, advanced a week at a time."""

    def __init__(self, rng: np.random.Generator, n: int, won: pd.DataFrame, first: pd.Timestamp) -> None:
        self.rng, self.first = rng, first
        cap = n + len(won)
        self.n = n
        self.customer_id = np.array([f"K{i:06d}" for i in range(cap)], dtype=object)
        # Customers from won deals join the week their deal closes.
        self.join_week = np.concatenate([np.full(n, -1), ((won["closed_on"] - first).dt.days // 7).to_numpy()])
        self.deal_customer = dict(zip(won["deal_id"], self.customer_id[n:], strict=True))
        start_day = np.concatenate([-rng.integers(30, 3 * 365, n), (won["closed_on"] - first).dt.days.to_numpy()])
        start = first + pd.to_timedelta(start_day, unit="D")
        self.start = start.to_numpy()
        self.mrr = np.concatenate([np.round(np.clip(rng.lognormal(np.log(900), 0.7, n), 100, 20_000), -1),
                                   won["mrr"].to_numpy(float)])
        self.level = np.log(np.clip(rng.lognormal(np.log(900), 0.6, cap), 60, 20_000))  # log calls a week
        self.declining = np.zeros(cap, bool)
        self.calls = np.full((cap, 6), np.nan)  # calls of the last six weeks, newest last
        self.error_rate = np.where(rng.random(cap) < 0.08, rng.uniform(0.05, 0.2, cap), rng.uniform(0.002, 0.03, cap))
        self.ticket_rate = rng.lognormal(np.log(0.15), 0.8, cap)
        self.resolve = np.where(rng.random(cap) < 0.2, rng.uniform(0.1, 0.3, cap), rng.uniform(0.5, 0.9, cap))
        self.open_new = np.zeros(cap, int)  # opened this week
        self.open_old = np.zeros(cap, int)  # open two weeks or more
        self.open_mid = np.zeros(cap, int)  # opened last week
        self.new_tickets = np.zeros((cap, 4), int)
        self.contacts = np.clip(1 + rng.poisson(1.0, cap), 1, 6)
        self.engagement = rng.uniform(0.2, 1.0, cap)
        self.days_since_talk = rng.integers(0, 60, cap).astype(float)
        self.satisfaction = np.full(cap, np.nan)
        self.stalls = rng.random(cap) < 0.15  # never finish onboarding
        self.activation = np.where(self.join_week < 0, np.where(self.stalls, rng.integers(1, 4, cap), 5), 0)
        self.frailty = rng.normal(0, FRAILTY_SD, cap)
        self.churned_week = np.full(cap, -1)
        self.terms = np.zeros((cap, len(HAZARD) - 1))

    def step(self, week: int, as_of: pd.Timestamp, cfg: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
        rng, cap = self.rng, len(self.customer_id)
        live = (self.join_week <= week) & (self.churned_week < 0)
        self._advance_usage(live)
        self._advance_support(live)
        self._advance_relationship(live, week)
        tenure = (as_of - pd.DatetimeIndex(self.start)).days.to_numpy()
        renewal = self._renewal(as_of)
        decline = np.clip(np.log((self.calls[:, -5] + 20) / (self.calls[:, -1] + 20)), 0, 3)
        terms = np.column_stack([
            np.nan_to_num(decline), np.minimum(self.open_old, 5), (self.contacts <= 1).astype(float),
            ((self.activation < 4) & (tenure > 60)).astype(float),
            ((renewal - as_of).days.to_numpy() <= 30).astype(float),
        ])
        logit = HAZARD["base"] + terms @ np.array(list(HAZARD.values())[1:]) + self.frailty
        hazard = np.where(tenure > 28, 1 / (1 + np.exp(-logit)), 0.0)
        churns = live & (rng.random(cap) < hazard)
        was_churned = self.churned_week >= 0
        self.churned_week[churns] = week
        self.terms[churns] = terms[churns]
        # The churn shows in the next snapshot (the hub learns of it from the CRM), then no more rows.
        shown = live | (was_churned & (self.churned_week == week - 1))
        hazards = pd.DataFrame({"customer_id": self.customer_id[live], "as_of": as_of.strftime("%Y-%m-%d"),
                                "weekly_hazard": hazard[live]})
        return self._snapshot(shown, was_churned, as_of, tenure, renewal, cfg), hazards

    def _advance_usage(self, live: np.ndarray) -> None:
        rng, cap = self.rng, len(self.customer_id)
        self.declining = np.where(self.declining, rng.random(cap) > 0.08, rng.random(cap) < 0.012)
        drift = np.where(self.declining, rng.normal(-0.22, 0.08, cap), rng.normal(0.004, 0.03, cap))
        self.level = np.where(live, self.level + drift, self.level)
        calls = np.where(live, np.round(np.exp(self.level + rng.normal(0, 0.2, cap))), np.nan)
        self.calls = np.column_stack([self.calls[:, 1:], calls])
        self.mrr = np.where(live, np.round(self.mrr * np.exp(np.clip(drift, -0.05, 0.02) / 4), 2), self.mrr)

    def _advance_support(self, live: np.ndarray) -> None:
        rng = self.rng
        rate = self.ticket_rate * np.where(self.declining, 2.0, 1.0)
        still_old = rng.binomial(self.open_old, 1 - self.resolve)
        still_mid = rng.binomial(self.open_mid, 1 - self.resolve)
        still_new = rng.binomial(self.open_new, 1 - self.resolve)
        self.open_old = np.where(live, still_old + still_mid, 0)
        self.open_mid = np.where(live, still_new, 0)
        self.open_new = np.where(live, rng.poisson(rate), 0)
        self.new_tickets = np.column_stack([self.new_tickets[:, 1:], self.open_new + (rng.random(len(rate)) < 0.3)])

    def _advance_relationship(self, live: np.ndarray, week: int) -> None:
        rng, cap = self.rng, len(self.customer_id)
        leaves = rng.random(cap) < 0.012  # a champion leaves
        joins = rng.random(cap) < 0.012 * self.engagement
        self.contacts = np.where(live, np.clip(self.contacts - leaves + joins, 1, 8), self.contacts)
        talk = rng.random(cap) < (0.15 + 0.1 * self.contacts) * self.engagement
        self.days_since_talk = np.where(talk, rng.integers(0, 7, cap), self.days_since_talk + 7)
        surveyed = live & (rng.random(cap) < 0.05)
        answer = np.clip(np.round(rng.normal(3 + 6 * self.engagement - 2 * self.declining, 1.2)), 0, 10)
        self.satisfaction = np.where(surveyed, answer, self.satisfaction)
        onboarding = live & (self.join_week >= 0) & ~self.stalls & (self.activation < 5)
        stalled = live & (self.join_week >= 0) & self.stalls & (self.activation < 3)
        step = (onboarding | stalled) & (rng.random(cap) < 0.35)
        self.activation = self.activation + step

    def _renewal(self, as_of: pd.Timestamp) -> pd.DatetimeIndex:
        """The next anniversary of the start on or after ``as_of``."""
        start = pd.DatetimeIndex(self.start)
        years = np.ceil(((as_of - start).days.to_numpy()) / 365.25).clip(min=1).astype(int)
        return start + pd.to_timedelta(np.round(years * 365.25), unit="D")

    def _snapshot(self, shown: np.ndarray, churned: np.ndarray, as_of: pd.Timestamp, tenure: np.ndarray,
                  renewal: pd.DatetimeIndex, cfg: dict[str, Any]) -> pd.DataFrame:
        idx = np.flatnonzero(shown)
        calls, prev = np.nan_to_num(self.calls[idx, -1]), np.nan_to_num(self.calls[idx, -2])
        active_days = np.clip(self.rng.binomial(7, np.clip(calls / 500, 0.05, 1.0)), 0, 7)
        window = pd.DataFrame({"customer_id": self.customer_id[idx], "api_calls_7d": calls, "api_calls_prev_7d": prev,
                               "active_days_7d": active_days, "errors_7d": np.round(calls * self.error_rate[idx]),
                               "last_api_call_on": as_of.strftime("%Y-%m-%d")})
        usage = hc.usage_component(window, cfg)
        open_tickets = self.open_new[idx] + self.open_mid[idx] + self.open_old[idx]
        tickets_30d = self.new_tickets[idx].sum(axis=1)
        slow = np.minimum(cfg["support"]["resolution_penalty_max"], 10 * (self.resolve[idx] < 0.35))
        support = hc.clip(100 - cfg["support"]["open_ticket"] * open_tickets
                          - cfg["support"]["new_ticket_30d"] * tickets_30d - slow)
        part = cfg["relationship"]
        steps = sorted(((int(k), float(v)) for k, v in part["contacts_points"].items()), reverse=True)
        contacts = self.contacts[idx]
        days = self.days_since_talk[idx]
        recency = sorted((int(k), float(v)) for k, v in part["recency_points"].items())
        mood = 2 * self.engagement[idx] - 1
        relationship = hc.clip(np.select([contacts >= k for k, _ in steps], [v for _, v in steps], 0.0)
                               + np.select([days <= k for k, _ in recency], [v for _, v in recency],
                                           float(part["recency_stale_points"]))
                               + float(part["baseline_points"]) + float(part["sentiment_points"]) * mood)
        satisfaction = self.satisfaction[idx]
        activation = 100.0 * self.activation[idx] / 5
        outcome = np.where(np.isnan(satisfaction), activation, 0.55 * satisfaction * 10 + 0.45 * activation)
        parts = np.column_stack([usage["usage"].to_numpy(float), support, relationship, outcome])
        weights = np.array([float(cfg["weights"][c]) for c in ("usage", "support", "relationship", "outcomes")])
        score = np.floor(parts @ weights / weights.sum() + 0.5)
        band = bands_of(pd.Series(score), cfg["bands"]).to_numpy(dtype=object)
        gone = churned[idx]
        band[gone], score[gone] = "churned", 0.0
        return pd.DataFrame({
            "customer_id": self.customer_id[idx], "as_of": as_of.strftime("%Y-%m-%d"),
            "lifecycle_stage": np.where(gone, "churned", "customer"), "health_band": band, "health_score": score,
            "usage_score": parts[:, 0].round(1), "support_score": parts[:, 1].round(1),
            "relationship_score": parts[:, 2].round(1), "outcome_score": parts[:, 3].round(1), "coverage": 1.0,
            "api_calls_7d": calls, "api_calls_prev_7d": prev, "active_days_7d": active_days,
            "error_rate_7d": usage["error_rate_7d"].to_numpy(float), "open_tickets": open_tickets,
            "tickets_30d": tickets_30d, "contacts": contacts, "days_since_interaction": days,
            "satisfaction": satisfaction, "activation_done": self.activation[idx],
            "first_seen_at": pd.DatetimeIndex(self.start[idx]).strftime("%Y-%m-%d"),
            "renewal_on": renewal[idx].strftime("%Y-%m-%d"), "mrr": self.mrr[idx],
        })

    def truth(self) -> pd.DataFrame:
        joined = np.ones(len(self.customer_id), bool)
        week = self.churned_week
        frame = pd.DataFrame({
            "customer_id": self.customer_id[joined],
            "churned_on": np.where(week >= 0, (pd.DatetimeIndex(self.first + pd.to_timedelta(
                np.maximum(week, 0) * 7, unit="D")).strftime("%Y-%m-%d")), None)[joined],
            "frailty": self.frailty[joined].round(3),
        })
        for i, name in enumerate(list(HAZARD)[1:]):
            frame[name] = self.terms[joined, i]
        return frame
