"""Product usage events of live beta customers, one row per usage-log line."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hub.synth import wire
from hub.synth.world import COLLAPSING, DAY, GROWING, INACTIVE, ONBOARDING, World

USAGE_COLUMNS = (
    "timestamp",
    "customer_id",
    "event",
    "status",
    "user_id",
    "bytes",
    "latency_ms",
    "cost", "count")
EVENTS = (
    "api_call",
    "sign",
    "verify",
    "Completed Application",
    "API Key Created",
    "First API Call",
    "Weekly Active",
    "Viewed Documentation",
)
API_CALL, SIGN, VERIFY = 0, 1, 2
_PRICE = np.array([0.0002, 0.004, 0.001])  # per successful operation
_BYTES = np.log([1_500, 350_000, 300_000])  # median payload per operation
_LATENCY = np.log([80, 420, 190])  # median latency per operation (ms)


@dataclass
class DailyUsage:
    """Per live company and day of the window: the totals the usage lines add up to."""

    companies: np.ndarray  # company index of each row
    first_day: int  # epoch seconds of column 0
    api_calls: np.ndarray  # rows × days
    sign: np.ndarray
    verify: np.ndarray
    errors: np.ndarray
    active_users: np.ndarray
    bytes: np.ndarray
    cost: np.ndarray


def _daily_counts(
    world: World, rng: np.random.Generator, live: np.ndarray, days: int, first_day: int
) -> np.ndarray:
    """Lines per company and day, shaped by each company's trajectory."""
    shape = world.trajectory[live]
    rate = np.clip(rng.lognormal(np.log(12), 0.5, len(live)), 5, 40)
    rate = np.where(world.stage[live] == ONBOARDING, np.maximum(rate * 0.6, 3), rate)
    rate = np.where(shape == GROWING, rng.uniform(24, 40, len(live)), rate)
    t = np.arange(days)
    to_end = (days - 1 - t)[None, :]
    weekday = (first_day // DAY + t + 3) % 7  # 1970-01-01 was a Thursday
    factor = np.where(weekday >= 5, 0.55, 1.0)[None, :] * rng.lognormal(0, 0.15, (len(live), days))
    collapse = rng.uniform(0.03, 0.3, len(live))[:, None]
    factor = np.where((shape == COLLAPSING)[:, None] & (to_end < 7), factor * collapse, factor)
    growth = (np.log(rng.uniform(1.7, 2.3, len(live))) / 7)[:, None]
    factor = np.where((shape == GROWING)[:, None], factor * np.exp(-growth * to_end), factor)
    factor = np.where((shape == INACTIVE)[:, None] & (to_end < 14), 0.0, factor)
    day_start = first_day + t[None, :] * DAY
    live_share = np.clip((day_start + DAY - world.activated[live][:, None]) / DAY, 0, 1)
    return rng.poisson(rate[:, None] * factor * live_share)


def _product_events(world, rng, live, counts, first_day, now):
    """(row, time, event) of product events that fall in the window."""
    rows, times, events = [], [], []

    def add(mask, when, event):
        keep = mask & (when >= first_day) & (when < now)
        rows.append(np.flatnonzero(keep))
        times.append(when[keep])
        events.append(np.full(int(keep.sum()), event))

    applied, activated = world.applied[live], world.activated[live]
    everyone = np.ones(len(live), bool)
    add(everyone, applied, 3)
    add(everyone, np.maximum(activated - rng.integers(600, 2 * DAY, len(live)), applied + 60), 4)
    add(everyone, activated, 5)
    days = counts.shape[1]
    for monday in np.flatnonzero((first_day // DAY + np.arange(days) + 3) % 7 == 0).tolist():
        busy = counts[:, max(0, monday - 7) : monday].sum(axis=1) > 0
        add(busy, np.full(len(live), first_day + monday * DAY + 6 * 3600), 6)
    docs = rng.poisson(1.0, len(live))
    row = np.repeat(np.arange(len(live)), docs)
    start = np.maximum(first_day, activated[row] - 3 * DAY)
    when = start + ((now - 1 - start) * rng.random(len(row))).astype(np.int64)
    keep = (when >= first_day) & (when < now)
    rows.append(row[keep])
    times.append(when[keep])
    events.append(np.full(int(keep.sum()), 7))
    return np.concatenate(rows), np.concatenate(times), np.concatenate(events)


def build_usage(
    world: World, rng: np.random.Generator, days: int, customer_id: list[str]
) -> tuple[pd.DataFrame, DailyUsage]:
    """Usage lines for the ``days`` days before as_of, and their daily totals.

    ``customer_id`` holds, per company, the id its usage lines carry (empty when not live).
    """
    now, first_day = world.now, world.now - days * DAY
    live = np.flatnonzero(world.active)
    counts = _daily_counts(world, rng, live, days, first_day)
    n_live = len(live)
    line = np.repeat(np.arange(n_live * days), counts.ravel())
    row, day = line // days, line % days
    m = len(line)
    day_start = first_day + day * DAY
    office = np.clip(rng.normal(14.5 * 3600, 3 * 3600, m), 0, DAY - 1)
    offset = np.where(rng.random(m) < 0.7, office, rng.uniform(0, DAY, m)).astype(np.int64)
    low = np.maximum(day_start, world.activated[live][row] + 60)
    late = low > day_start  # the go-live day starts at activation
    time = np.where(
        late,
        low + ((day_start + DAY - 1 - low) * rng.random(m)).astype(np.int64),
        day_start + offset,
    )
    time = np.minimum(time, now - 1)

    p_api = rng.uniform(0.35, 0.65, n_live)
    p_sign = (1 - p_api) * rng.uniform(0.4, 0.7, n_live)
    u = rng.random(m)
    event = np.where(u < p_api[row], API_CALL, np.where(u < (p_api + p_sign)[row], SIGN, VERIFY))
    error_rate = np.where(
        rng.random(n_live) < 0.08, rng.uniform(0.08, 0.25, n_live), rng.uniform(0.002, 0.03, n_live)
    )
    error = rng.random(m) < error_rate[row]
    users = np.clip(1 + rng.poisson(3, n_live), 1, 25)
    user = (rng.random(m) ** 1.5 * users[row]).astype(np.int64)
    payload = np.exp(rng.normal(_BYTES[event], 0.7)).astype(np.int64)
    latency = np.exp(rng.normal(_LATENCY[event], 0.4) + np.where(error, 0.4, 0)).astype(np.int64)
    # A line stands for ``count`` operations (a per-minute roll-up), so weekly volumes reach
    # seed 002's benchmarks (500-1000+ calls a week) without millions of lines.
    per_line = np.clip(rng.lognormal(np.log(9), 0.6, n_live), 1, 80)
    count = np.maximum(1, rng.poisson(per_line[row])).astype(np.int64)
    cost = np.where(error, 0.0, _PRICE[event]) * count

    p_row, p_time, p_event = _product_events(world, rng, live, counts, first_day, now)
    k = len(p_row)
    rows = np.concatenate([row, p_row])
    times = np.concatenate([time, p_time])
    order = np.lexsort((rows, times))
    rows, times = rows[order], times[order]
    is_op = order < m

    base = rng.choice(16**6, size=n_live, replace=n_live > 16**6)
    offsets = np.concatenate([[0], np.cumsum(users)[:-1]])
    user_names = np.array(
        [
            f"u_{b:06x}{j:02d}"
            for b, n in zip(base.tolist(), users.tolist(), strict=True)
            for j in range(n)
        ],
        dtype=object,
    )
    ids = np.array([customer_id[c] for c in live.tolist()], dtype=object)
    all_events = np.concatenate([event, p_event])[order]
    all_users = np.concatenate([user, np.zeros(k, np.int64)])[order]
    status = np.concatenate([np.where(error, 1, 0), np.full(k, 2)])[order]
    frame = pd.DataFrame(
        {
            "timestamp": wire.rfc3339(times),
            "customer_id": ids[rows],
            "event": np.array(EVENTS, dtype=object)[all_events],
            "status": np.array(["ok", "error", None], dtype=object)[status],
            "user_id": user_names[offsets[rows] + all_users],
            # Product events carry no payload, latency or cost.
            "bytes": pd.arrays.IntegerArray(
                np.concatenate([payload, np.zeros(k, np.int64)])[order], ~is_op
            ),
            "latency_ms": pd.arrays.IntegerArray(
                np.concatenate([latency, np.zeros(k, np.int64)])[order], ~is_op
            ),
            "cost": np.round(np.concatenate([cost, np.full(k, np.nan)])[order], 6),
            "count": pd.arrays.IntegerArray(
                np.concatenate([count, np.zeros(k, np.int64)])[order], ~is_op
            ),
        }
    )
    return frame, _totals(live, first_day, days, row, day, event, error, user, payload, cost, count)


def _totals(live, first_day, days, row, day, event, error, user, payload, cost, count) -> DailyUsage:
    cells = len(live) * days
    key = row * days + day

    def total(weights=None, mask=None):
        k = key if mask is None else key[mask]
        w = None if weights is None else (weights if mask is None else weights[mask])
        return np.bincount(k, weights=w, minlength=cells).reshape(len(live), days)

    weights = count.astype(float)
    user_days = np.unique(key * 32 + user) // 32
    return DailyUsage(
        companies=live,
        first_day=first_day,
        api_calls=total(weights, mask=event == API_CALL).astype(np.int64),
        sign=total(weights, mask=event == SIGN).astype(np.int64),
        verify=total(weights, mask=event == VERIFY).astype(np.int64),
        errors=total(weights, mask=error).astype(np.int64),
        active_users=np.bincount(user_days, minlength=cells).reshape(len(live), days),
        bytes=total(payload.astype(float), mask=event == SIGN).astype(np.int64),
        cost=total(cost),
    )
