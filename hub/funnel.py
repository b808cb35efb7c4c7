"""The acquisition funnel from product events in the usage logs (seed 000 "Mixpanel/Amplitude
Events"): ``Visited Landing Page`` -> ``Started Application`` -> ``Completed Application``, and
``Requested Demo`` and ``Viewed Documentation`` beside them.

A funnel event belongs to a visitor, its ``anonymous_id``; events without one (a known customer's
usage) are not funnel events. A visitor's source is the ``source`` of their first event (first
touch). A rate is a cohort's: the visitors whose first *from* event falls in the period, and of
those the ones with a *to* event at or after it (up to the run), so a rate never exceeds 100 %.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from hub.usage_rollup import FIRST_READ
from hub.usage_store import UsageEventStore
from hub.warehouse import Warehouse

LANDED, STARTED, COMPLETED = "Visited Landing Page", "Started Application", "Completed Application"
DEMO, DOCS = "Requested Demo", "Viewed Documentation"
FUNNEL_EVENTS = (LANDED, STARTED, COMPLETED, DEMO, DOCS, "API Key Created", "First API Call")
FUNNEL_COLUMNS = ["event_at", "event", "anonymous_id", "customer_ref", "source"]
MISSING = ("needs product funnel events (Visited Landing Page, Started Application, Completed Application, "
           "Requested Demo, Viewed Documentation) with an anonymous_id and a source in the usage logs: "
           "{why}")


@dataclass(frozen=True)
class CohortRate:
    visitors: int  # the cohort: first *from* event in the period
    converted: int  # of those, with a *to* event at or after it
    by_source: dict[str, dict[str, float | int | None]]


def read_funnel_events(warehouse: Warehouse, store: UsageEventStore | None = None) -> tuple[pd.DataFrame, str | None]:
    """The live funnel events of the usage-event store (each event key once, the first read
    winning, as ``hub.usage.read_usage_events``), and why there are none when there are none."""
    import duckdb

    store = store or UsageEventStore.of(warehouse)
    ledger = warehouse.table("raw", "usage_files")
    with warehouse.engine.connect() as conn:
        live = {row[0] for row in conn.execute(sa.select(ledger.c.file_digest))}
    files = [str(p) for p in store.files(live)]
    empty = pd.DataFrame(columns=FUNNEL_COLUMNS)
    if not files:
        return empty, MISSING.format(why="no usage events loaded")
    duck = duckdb.connect()
    try:
        duck.execute("SET TimeZone = 'UTC'")
        columns = {c[0] for c in duck.execute("SELECT * FROM read_parquet(?, union_by_name = true) LIMIT 0",
                                              [files]).description}
        if "anonymous_id" not in columns:
            return empty, MISSING.format(why="the usage ingest keeps no anonymous_id (or source) yet")
        source = "source" if "source" in columns else "NULL::VARCHAR"
        frame = duck.execute(f"""
            SELECT event_at, event, anonymous_id, customer_ref, {source} AS source
            FROM read_parquet(?, union_by_name = true)
            WHERE list_contains(?, event) AND anonymous_id IS NOT NULL
            QUALIFY {FIRST_READ}""",
                             [files, list(FUNNEL_EVENTS)]).df()
    finally:
        duck.close()
    if frame.empty:
        return empty, MISSING.format(why="none loaded")
    return frame, None


def cohort_rate(events: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, source_of: str,
                target_of: str) -> CohortRate:
    """Visitors whose first ``source_of`` event is in [start, end), and those of them with a
    ``target_of`` event at or after it; the same per first-touch source."""
    frame = events.dropna(subset=["anonymous_id"])
    when = pd.to_datetime(frame["event_at"], utc=True, errors="coerce", format="ISO8601")
    frame = frame.assign(event_at=when).sort_values("event_at", kind="stable")
    touch = frame.groupby("anonymous_id")["source"].first().fillna("unknown")
    first = frame[frame["event"] == source_of].groupby("anonymous_id")["event_at"].min()
    cohort = first[(first >= start) & (first < end)]
    reached = frame[frame["event"] == target_of].merge(cohort.rename("entered"), left_on="anonymous_id",
                                                       right_index=True)
    converted = set(reached.loc[reached["event_at"] >= reached["entered"], "anonymous_id"])
    by_source: dict[str, dict[str, float | int | None]] = {}
    for name, ids in cohort.index.to_series().groupby(touch.reindex(cohort.index).to_numpy()):
        hits = int(ids.isin(converted).sum())
        by_source[str(name)] = {"numerator": hits, "denominator": len(ids),
                                "value": round(100.0 * hits / len(ids), 4)}
    return CohortRate(len(cohort), len(converted), dict(sorted(by_source.items())))
