"""Usage events rolled up per UTC day: the day partitions behind ``usage_daily``.

One Parquet file per day, ``<store>_daily/YYYY-MM-DD.parquet``, one row per customer id *as the
log names it* (``customer_ref``): API calls, sign / verify operations, errors, bytes, cost, events,
the 64-bit hashes of the day's user ids (so active users stay exact when two ids of one customer
meet in a day, and no person's id is kept in clear) and the first time of each product milestone.
``usage_daily`` is these roll-ups joined with the crosswalk, which changes with every CRM sync and
so is never baked into them, plus Airtable's reported days (``hub.usage.daily_from_store``).

Each roll-up records what it was built from: the day's live event files (name, size, mtime; the
ledger ``raw.usage_files`` decides which are live) and the milestones. A day is **stale** when that
changes: a new read landed events on it (a late file, a grown file), an erasure rewrote one of its
files, retention pruned it. Only stale days are rolled up again; a day with no live file loses its
roll-up. In Dagster each day is a partition of ``raw/usage/days``: a run of ``usage_ingest`` rolls
up the days its files touched and records them as materializations of those partitions; the
``usage_days`` job (a backfill from the UI) rolls up the days it is given, stale or not.

An event key is one line's content and number, so its copies share a day: the first read of a
key wins within its day exactly as it would over the whole store.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from hub import usage_parse
from hub.usage_store import UsageEventStore

if TYPE_CHECKING:
    import duckdb

API_EVENTS = {"api_call": "api_calls", "sign": "sign_operations", "verify": "verify_operations"}
ERROR_STATUSES = {"error", "failed", "failure", "fail"}
# Bumped when what a roll-up holds changes: every day is then rolled up again.
VERSION = 1
SIGNATURE = b"hub.rollup"


def error_statuses(statuses: pd.Series) -> pa.Table:
    """Each status seen, and whether it is an error word or an HTTP status of 400 and above."""
    status = statuses.fillna("").astype(str).str.lower()
    numeric = pd.to_numeric(status, errors="coerce")
    flags = status.isin(ERROR_STATUSES) | (numeric >= 400)
    return pa.table({"status": pa.array(statuses.astype(object).where(statuses.notna(), None), pa.string()),
                     "is_error": pa.array(flags.to_numpy(), pa.bool_())})


# Each event key once, the first read of it winning (the rule wherever stored events are read).
FIRST_READ = "row_number() OVER (PARTITION BY event_key ORDER BY _loaded_at, file_name) = 1"


def unique_events(duck: duckdb.DuckDBPyConnection, files: list[Path], view: str = "ev", *,
                  distinct: bool = False, day: bool = False) -> int | None:
    """``view``: the events of ``files``, each event key once (the first read wins); their number
    (``None`` when ``distinct``: not counted). Keys seen twice (a file rewritten and read again, a
    copy read while it grew) are rare: only then is the first of each picked, at the cost of a
    copy. ``distinct``: the caller knows no key repeats (each day's events come from one read: a
    key is a line's content and number, unique within a read, and its copies share a day).
    ``day``: with the UTC day each event is filed under (its folder's ``day=``, a DATE)."""
    paths = [str(f) for f in files]
    source = ("read_parquet($paths, union_by_name = true"
              + (", hive_partitioning = true, hive_types = {'day': DATE})" if day else ")"))
    if distinct:
        duck.sql(f"SELECT * FROM {source}", params={"paths": paths}).create_view(view)
        return None
    # Distinct hashes prove distinct keys; equal hashes (a repeat, or a collision) take the exact way.
    events, hashes = duck.execute(f"SELECT count(*), count(DISTINCT hash(event_key)) FROM {source}",
                                  {"paths": paths}).fetchall()[0]
    if events == hashes:
        duck.sql(f"SELECT * FROM {source}", params={"paths": paths}).create_view(view)
        return events
    duck.execute(f"CREATE TEMP TABLE {view} AS SELECT * FROM {source} QUALIFY {FIRST_READ}", {"paths": paths})
    return duck.execute(f"SELECT count(*) FROM {view}").fetchall()[0][0]


def rollup_root(events_root: Path) -> Path:
    """Where the roll-ups of the event store at ``events_root`` live: beside it."""
    return events_root.with_name(f"{events_root.name}_daily")


@dataclass
class Refreshed:
    """What a refresh did: days rolled up again (with their events) and days whose roll-up went."""

    rebuilt: dict[str, int] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)


class DayRollups:
    """The roll-ups of ``store``'s live event files (``live``: the ledger's file digests)."""

    def __init__(self, store: UsageEventStore, live: set[str], milestones: Iterable[str]) -> None:
        self.store = store
        self.root = rollup_root(store.root)
        self.live = live
        self.milestones = list(milestones)

    def sources(self) -> dict[str, list[Path]]:
        """Day (ISO) -> its live event files."""
        out: dict[str, list[Path]] = {}
        for path in self.store.files(self.live):
            day = path.parent.name.removeprefix("day=")
            try:
                dt.date.fromisoformat(day)
            except ValueError:
                continue  # not a folder the store writes
            out.setdefault(day, []).append(path)
        return out

    def path(self, day: str) -> Path:
        return self.root / f"{day}.parquet"

    def files(self) -> list[Path]:
        return sorted(self.root.glob("*.parquet")) if self.root.is_dir() else []

    def signature(self, files: list[Path]) -> str:
        """What a roll-up of these files is built from: compared with the one it recorded."""
        built_from = []
        for f in sorted(files):
            stat = f.stat()
            built_from.append([f.name, stat.st_size, stat.st_mtime_ns])
        return json.dumps({"version": VERSION, "milestones": self.milestones, "files": built_from})

    def _recorded(self, day: str) -> str | None:
        try:
            metadata = pq.read_schema(self.path(day)).metadata or {}
        except (OSError, pa.ArrowInvalid):
            return None  # missing, or a torn file from before: rolled up again
        value = metadata.get(SIGNATURE)
        return value.decode() if value else None

    def stale(self, sources: dict[str, list[Path]] | None = None) -> list[str]:
        """Days whose roll-up is missing or not what their live files would give, and roll-ups of
        days with no live file left."""
        sources = self.sources() if sources is None else sources
        days = [d for d, files in sources.items() if self._recorded(d) != self.signature(files)]
        gone = [p.stem for p in self.files() if p.stem not in sources]
        return sorted(days + gone)

    def refresh(self, days: Iterable[str] | None = None, force: bool = False) -> Refreshed:
        """Roll up the stale days (of ``days``, or all); with ``force``, each of ``days`` whatever
        its state. A day with no live file loses its roll-up."""
        sources = self.sources()
        wanted = self.stale(sources) if not force else sorted(set(days or sources))
        if days is not None:
            chosen = set(days)
            wanted = [d for d in wanted if d in chosen]
        done = Refreshed()
        for day in wanted:
            if day not in sources and self.path(day).exists():
                self.path(day).unlink()
                done.removed.append(day)
        build = {day: sources[day] for day in wanted if day in sources}
        if build:
            done.rebuilt = self._build(build)
        return done

    def _build(self, days: dict[str, list[Path]]) -> dict[str, int]:
        """Roll up ``days`` (day -> its live files) in one pass over their files; each day's
        roll-up is written whole or not at all. Returns each day's events."""
        # Before reading: a file changing meanwhile leaves its day stale, rolled up next time.
        signatures = {day: self.signature(files) for day, files in days.items()}
        duck = usage_parse.connect()
        try:
            table = self._aggregate(duck, [f for files in days.values() for f in files],
                                    distinct=all(len(files) == 1 for files in days.values()))
        finally:
            duck.close()
        self.root.mkdir(parents=True, exist_ok=True)
        by_day = table.column("day").cast(pa.string())
        events = {}
        for day, signature in signatures.items():
            rows = table.filter(pc.equal(by_day, day)).replace_schema_metadata({SIGNATURE: signature.encode()})
            part = self.path(day).with_suffix(f".parquet.{os.getpid()}.{threading.get_ident()}.tmp")
            pq.write_table(rows, part, compression="zstd")
            os.replace(part, self.path(day))
            events[day] = int(pc.sum(rows.column("events")).as_py() or 0)
        return events

    def _aggregate(self, duck: duckdb.DuckDBPyConnection, files: list[Path], distinct: bool) -> pa.Table:
        """Per UTC day and log customer id, over ``files`` (each event key once; ``distinct``:
        known already, as ``unique_events`` takes it)."""
        # The store files events by the UTC day of event_at: their folder's day, read for free
        # (hive partitioning), unless a folder above the store also looks like a partition.
        by_folder = not any("=" in part for part in self.store.root.parts)
        unique_events(duck, files, distinct=distinct, day=by_folder)
        duck.register("flags", error_statuses(duck.execute("SELECT DISTINCT status FROM ev").df()["status"]))
        weight = "coalesce(e.event_count, 1.0)"
        api = "e.event IN ('" + "', '".join(API_EVENTS) + "')"
        milestones = "".join(f", min(e.event_at) FILTER (WHERE e.event = $m{n}) AS milestone_{n}"
                             for n in range(len(self.milestones)))
        return duck.sql(f"""
            SELECT e.customer_ref, {"e.day" if by_folder else "CAST(e.event_at AS DATE) AS day"},
                   fsum(CASE WHEN {api} THEN {weight} ELSE 0 END) AS api_calls,
                   {", ".join(f"fsum(CASE WHEN e.event = '{event}' THEN {weight} ELSE 0 END) AS {column}"
                              for event, column in API_EVENTS.items() if column != "api_calls")},
                   fsum(CASE WHEN {api} AND f.is_error THEN {weight} ELSE 0 END) AS errors,
                   coalesce(list(DISTINCT hash(e.user_id)) FILTER (WHERE e.user_id IS NOT NULL), []) AS users,
                   fsum(e.bytes) AS storage_bytes, fsum(e.cost) AS cost, count(*) AS events{milestones}
            FROM ev e JOIN flags f ON f.status IS NOT DISTINCT FROM e.status
            GROUP BY ALL ORDER BY day, e.customer_ref NULLS FIRST""",
            params={f"m{n}": m for n, m in enumerate(self.milestones)} or None).to_arrow_table()
