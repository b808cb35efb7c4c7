"""What the two CRMs share: deal histories, support tickets and edit times, before formatting."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hub.synth.world import (
    CLOSED_LOST,
    CLOSED_WON,
    COLLAPSING,
    DAY,
    ONBOARDING,
    STAGES,
    World,
)

HUBSPOT, SALESFORCE = 0, 1


@dataclass
class Deals:
    """Deals of one CRM: the company's beta deal, sometimes an expansion or an earlier pilot."""

    company: np.ndarray
    stage: np.ndarray
    amount: np.ndarray  # annual value, NaN when nobody filled it in
    created: np.ndarray
    close: np.ndarray  # when it closed, or the expected close (in the future) while open
    kind: list[str]  # "Beta", "Expansion", "Pilot"


@dataclass
class Tickets:
    """Support tickets, each filed in the helpdesk of one CRM."""

    company: np.ndarray
    created: np.ndarray
    closed: np.ndarray  # -1 while open
    priority: np.ndarray  # 0 low, 1 medium, 2 high
    helpdesk: np.ndarray  # HUBSPOT or SALESFORCE


def edited_at(rng: np.random.Generator, created: np.ndarray, now: int) -> np.ndarray:
    """Last edit time: anywhere after creation, and for ~30% of records in the last two weeks."""
    span = np.maximum(now - 1 - created, 0)
    later = created + (span * rng.random(len(created)) ** 2).astype(np.int64)
    recent = np.maximum(created, now - rng.integers(60, 14 * DAY, len(created)))
    return np.where(rng.random(len(created)) < 0.3, recent, later)


def tie_some(
    rng: np.random.Generator,
    times: np.ndarray,
    earliest: np.ndarray,
    batches: np.ndarray,
    share: float,
) -> np.ndarray:
    """Move ``share`` of edits onto shared batch times (bulk updates), so cursors meet ties.

    A record only joins a batch that runs after ``earliest`` (its creation, or its closing).
    """
    chosen = rng.random(len(times)) < share
    batch = batches[rng.integers(0, len(batches), len(times))]
    return np.where(chosen & (batch >= earliest), batch, times)


def annual_value(rng: np.random.Generator, employees: np.ndarray) -> np.ndarray:
    """A plausible yearly contract value from company size, rounded to 100."""
    base = 1200 * np.clip(employees / 10, 1, 50) * rng.lognormal(0, 0.5, len(employees))
    return np.round(base / 100) * 100


def plan_deals(
    world: World, rng: np.random.Generator, companies: np.ndarray, opened: np.ndarray
) -> Deals:
    """Deals of ``companies`` whose CRM record was created at ``opened``."""
    now, m = world.now, len(companies)
    count = rng.choice(3, size=m, p=(0.1, 0.82, 0.08))
    company = np.repeat(companies, count)
    floor = np.repeat(opened, count)
    second = np.zeros(len(company), dtype=bool)
    second[np.cumsum(count)[count == 2] - 1] = True
    truth = world.stage[company]
    lag = (rng.random(len(company)) < 0.15) & (truth >= 1) & (truth <= CLOSED_WON)
    stage = np.where(lag, truth - 1, truth)
    expansion = second & (truth >= CLOSED_WON - 1) & (truth <= CLOSED_WON)
    stage = np.where(
        second, np.where(expansion, rng.choice([6, 7, 8], len(company)), CLOSED_LOST), stage
    )
    start = np.maximum(floor, world.applied[company])
    created = np.minimum(
        start + rng.integers(0, 5 * DAY, len(company)), now - rng.integers(60, 3600, len(company))
    )
    created = np.where(second & ~expansion, floor, created)
    is_closed = np.array([STAGES[s][3] for s in range(len(STAGES))])[stage]
    ended = world.closed[company]
    close_past = np.where(
        (ended > created) & ~second,
        ended,
        created + ((now - 1 - created) * rng.uniform(0.2, 0.9, len(company))).astype(np.int64),
    )
    close_future = now + rng.integers(7, 120, len(company)) * DAY
    amount = annual_value(rng, world.employees[company])
    amount[rng.random(len(company)) < np.where(stage == 0, 0.6, 0.25)] = np.nan
    kind = np.where(second, np.where(expansion, "Expansion", "Pilot"), "Beta").tolist()
    return Deals(
        company, stage, amount, created, np.where(is_closed, close_past, close_future), kind
    )


def plan_tickets(world: World, rng: np.random.Generator) -> Tickets:
    """Support tickets of companies in a CRM: live customers file most, struggling ones more."""
    n, now = world.n, world.now
    rate = np.where(world.active, 2.5, np.where(world.stage == ONBOARDING - 1, 0.5, 0.2))
    rate = np.where(world.churned, 2.0, rate) * np.where(world.trajectory == COLLAPSING, 1.5, 1.0)
    count = rng.poisson(rate)
    # A customer's ticket spike in the last days: some collapsing customers and a few others.
    spike = (
        ((world.trajectory == COLLAPSING) & (rng.random(n) < 0.35)) | (rng.random(n) < 0.005)
    ) & world.active
    spike_count = np.where(spike, rng.integers(2, 6, n), 0)
    company = np.concatenate([np.repeat(np.arange(n), count), np.repeat(np.arange(n), spike_count)])
    in_spike = np.concatenate([np.zeros(count.sum(), bool), np.ones(spike_count.sum(), bool)])
    start = np.where(world.activated[company] > 0, world.activated[company], world.applied[company])
    start = np.where(in_spike, np.maximum(start, now - 5 * DAY), start)
    created = start + ((now - 1 - start) * rng.random(len(company))).astype(np.int64)
    priority = np.where(
        in_spike,
        rng.choice(3, len(company), p=(0.1, 0.4, 0.5)),
        rng.choice(3, len(company), p=(0.4, 0.4, 0.2)),
    )
    resolve = (rng.exponential(3 * DAY, len(company)) / (1 + priority)).astype(np.int64) + 600
    closed = np.where(created + resolve < now, created + resolve, -1)
    hs, sf = world.in_hubspot[company], world.in_salesforce[company]
    helpdesk = np.where(
        hs & sf, rng.integers(0, 2, len(company)), np.where(hs, HUBSPOT, SALESFORCE)
    )
    keep = hs | sf
    order = np.argsort(created[keep], kind="stable")
    return Tickets(*(a[keep][order] for a in (company, created, closed, priority, helpdesk)))
