"""``usage_daily`` written by the date: only the dates whose rows changed.

``usage_daily`` is computed whole from the day roll-ups, the crosswalk and Airtable's reports
(``hub.usage.daily_from_store``), but most of it comes out as it was: a late file changes its own
days, a CRM sync the days of the customers it matched. Each date's rows get a digest (a sum of
their row hashes) and a count; ``raw.usage_daily_days`` keeps what was last written per date. A
date is rewritten (its rows deleted and inserted, in the caller's transaction) when its digest
differs from the recorded one or the table does not hold the recorded number of rows for it (rows
deleted behind the hub's back, an erasure, a table recreated); a date no longer computed is
deleted. The table ends exactly as a full replace would leave it (``tests/test_usage_days.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.warehouse import Warehouse, utcnow

VERSION = 1  # bumped when the digest changes: every date is written once more
_CHUNK = 500


@dataclass
class DailyWrite:
    """What ``write_usage_daily`` did."""

    dates_written: int = 0
    dates_removed: int = 0
    rows_written: int = 0


def day_digests(daily: pd.DataFrame, columns: list[str]) -> dict[str, tuple[int, str]]:
    """Per date: its rows and a digest of their values (order-free: a sum of row hashes)."""
    if daily.empty:
        return {}
    frame = daily[columns].copy()
    for name in columns:  # one dtype per kind, whatever the frame was built with
        numeric = pd.api.types.is_numeric_dtype(frame[name])
        frame[name] = frame[name].astype("float64") if numeric else frame[name].astype(str)
    hashes = pd.util.hash_pandas_object(frame, index=False).to_numpy(dtype=np.uint64)
    codes, dates = pd.factorize(frame["date"])
    sums = np.zeros(len(dates), dtype=np.uint64)
    np.add.at(sums, codes, hashes)  # wraps modulo 2**64
    counts = np.bincount(codes, minlength=len(dates))
    return {str(d): (int(n), f"v{VERSION}:{int(h):016x}") for d, n, h in zip(dates, counts, sums, strict=True)}


def write_usage_daily(warehouse: Warehouse, conn: Connection, daily: pd.DataFrame, columns: list[str]) -> DailyWrite:
    """Make ``analytics.usage_daily`` hold exactly ``daily``, writing only the dates that differ."""
    table = warehouse.table("analytics", "usage_daily")
    state = warehouse.table("raw", "usage_daily_days")
    digests = day_digests(daily, columns)
    # Two builds at once (two usage_days runs) take turns: the second reads what the first
    # committed, instead of inserting rows the first just wrote (a duplicate key).
    warehouse.take_turns(conn, "usage_daily")
    recorded = {r[0]: (r[1], r[2]) for r in conn.execute(sa.select(state.c.date, state.c.row_count, state.c.digest))}
    held = dict(conn.execute(sa.select(table.c.date, sa.func.count()).group_by(table.c.date)).all())
    stale = sorted(d for d, (rows, digest) in digests.items()
                   if recorded.get(d) != (rows, digest) or held.get(d, 0) != rows)
    gone = sorted((set(held) | set(recorded)) - set(digests))
    for dates in (stale, gone):
        for start in range(0, len(dates), _CHUNK):
            chunk = dates[start:start + _CHUNK]
            conn.execute(table.delete().where(table.c.date.in_(chunk)))
            conn.execute(state.delete().where(state.c.date.in_(chunk)))
    done = DailyWrite(dates_written=len(stale), dates_removed=len([d for d in gone if d in held]))
    if stale:
        rows = daily[daily["date"].isin(stale)] if len(stale) < len(digests) else daily
        done.rows_written = warehouse.write("analytics", "usage_daily", rows, mode="append", conn=conn)
        now = utcnow().isoformat()
        warehouse.write("raw", "usage_daily_days", [
            {"date": d, "row_count": digests[d][0], "digest": digests[d][1], "written_at": now} for d in stale],
            mode="append", conn=conn)
    return done
