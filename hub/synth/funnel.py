"""The acquisition funnel as product events: anonymous visitors of the landing page, some of whom
start and complete a beta application (then known by its Application ID), request a demo or read
the documentation (seed 000 "Mixpanel/Amplitude Events"; rates near its goals: form start > 40 %,
completion > 15 %, demo requests > 10 %, documentation -> application > 5 %).

Every completed application is an Airtable application of the window: the visitor is identified
after it (``customer_id`` = the Application ID on that and later events). The rest stay anonymous.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from hub.sourcedata import SourceData
from hub.synth import wire
from hub.synth.world import DAY, World

FUNNEL_COLUMNS = ("timestamp", "anonymous_id", "customer_id", "event", "source")
LANDED, STARTED, COMPLETED, DEMO, DOCS = (
    "Visited Landing Page", "Started Application", "Completed Application", "Requested Demo",
    "Viewed Documentation")
# utm sources, as the Airtable "Source" field names them; share of visitors, start and completion rates.
SOURCES = ("Product Hunt", "Email", "Twitter", "LinkedIn", "Website", "Referral")
_SHARE = np.array([0.30, 0.10, 0.18, 0.17, 0.15, 0.10])
_START = np.array([0.38, 0.55, 0.30, 0.45, 0.42, 0.60])
_COMPLETE = np.array([0.30, 0.45, 0.22, 0.35, 0.33, 0.50])


def build_funnel(world: World, rng: np.random.Generator, days: int, application_id: list) -> pd.DataFrame:
    """Funnel events (``FUNNEL_COLUMNS``) of the ``days`` days before as_of, oldest first.

    ``application_id`` holds each company's Application ID (None when not in Airtable)."""
    now, first_day = world.now, world.now - days * DAY
    applied = [(int(world.applied[c]), application_id[c]) for c in range(world.n)
               if application_id[c] is not None and first_day + 3 * DAY <= world.applied[c] < now]
    if not days or not applied:
        return pd.DataFrame(columns=list(FUNNEL_COLUMNS))
    # Applicants first: their source, then as many non-applicants per source as its rates imply.
    app_source = rng.choice(len(SOURCES), len(applied), p=_SHARE)
    per_source = np.bincount(app_source, minlength=len(SOURCES))
    expected = np.maximum(per_source, 0.5) / (_START * _COMPLETE)
    visitors = np.maximum(rng.poisson(expected), per_source + 1)
    rows: list[tuple[int, int, str | None, str, int]] = []  # time, visitor, customer, event, source

    def visit(visitor: int, source: int, land: int, start: int | None, complete: int | None, who: str | None) -> None:
        rows.append((land, visitor, None, LANDED, source))
        if rng.random() < (0.2 if complete is not None else 0.3):  # the docs, before applying or instead
            docs = land + int(rng.integers(60, 2 * 3600))
            rows.append((docs, visitor, None, DOCS, source))
        if start is not None:
            rows.append((start, visitor, None, STARTED, source))
        if complete is not None:
            rows.append((complete, visitor, who, COMPLETED, source))
            if rng.random() < 0.45:
                rows.append((complete + int(rng.integers(600, 3 * DAY)), visitor, who, DEMO, source))
        elif rng.random() < 0.07:
            rows.append((land + int(rng.integers(120, 3600)), visitor, None, DEMO, source))

    visitor = 0
    for (when, app), source in zip(applied, app_source.tolist(), strict=True):
        start = when - int(rng.integers(180, 2400))
        visit(visitor, source, start - int(rng.integers(30, 2 * DAY)), start, when, app)
        visitor += 1
    for source in range(len(SOURCES)):
        others = int(visitors[source] - per_source[source])
        starts = rng.random(others) < (_START[source] * visitors[source] - per_source[source]) / max(others, 1)
        for started in starts.tolist():
            land = first_day + int(rng.integers(0, days * DAY - 3600))
            visit(visitor, source, land, land + int(rng.integers(60, 1800)) if started else None, None, None)
            visitor += 1
    frame = pd.DataFrame.from_records(rows, columns=["at", "visitor", "customer_id", "event", "source"])
    frame = frame[frame["at"] < now].sort_values(["at", "visitor"], kind="stable")
    ids = rng.choice(16**10, size=visitor, replace=False)
    return pd.DataFrame({
        "timestamp": wire.rfc3339(frame["at"].to_numpy()),
        "anonymous_id": [f"anon_{ids[v]:010x}" for v in frame["visitor"].tolist()],
        "customer_id": frame["customer_id"].tolist(),
        "event": frame["event"].tolist(),
        "source": np.array(SOURCES, dtype=object)[frame["source"].to_numpy()],
    }).reset_index(drop=True)


def write_funnel_logs(data: SourceData, directory: Path) -> list[Path]:
    """The funnel events as JSON Lines in the usage landing directory, one file per UTC day
    (``product-events-2026-11-20.jsonl``), fields as ``FUNNEL_COLUMNS`` (``customer_id`` left
    out while the visitor is anonymous); returns their paths in date order."""
    events = data.funnel_events
    directory = Path(directory)
    paths = []
    for day, rows in events.groupby(events["timestamp"].str[:10], sort=True) if len(events) else []:
        directory.mkdir(parents=True, exist_ok=True)
        lines = [json.dumps({k: v for k, v in zip(FUNNEL_COLUMNS, row, strict=True) if isinstance(v, str)},
                            separators=(",", ":"))
                 for row in rows[list(FUNNEL_COLUMNS)].itertuples(index=False, name=None)]
        path = directory / f"product-events-{day}.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths
