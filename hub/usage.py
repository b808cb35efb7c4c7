"""Usage logs: landing-directory files -> usage events -> ``usage_daily``.

Files are JSON Lines (optionally gzip) or CSV, one event a line (DESIGN.md "Usage log format"),
plus one optional field of ours: ``count``, the number of identical operations a line stands for
(a per-minute roll-up; default 1). Reading them safely — hostile, half-written or growing files —
is ``hub.usage_files``' job (JSON Lines parsed column-wise by ``hub.usage_parse``); this module
lands what it reads and rolls events up per day. Events land as Parquet by day
(``hub.usage_store``); the warehouse keeps the per-read ledger, the file states, the quarantine
and ``usage_daily``. Every line is accounted for: lines in = lines loaded + lines quarantined
(+ lines suppressed: of people or customers erased since, ``hub.usage_suppression``), per file and read. An event is keyed by its line's content and number, so a copy of a file under
another name or compression, or a file read again after a rewrite, never counts a line twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from hub import usage_parse
from hub.timeparse import timestamps
from hub.usage_files import (
    USAGE_SUFFIXES,
    FileState,
    Segment,
    UsageRules,
    is_usage_file,
    list_usage_files,
    read_segment,
)
from hub.usage_rollup import (
    API_EVENTS,
    ERROR_STATUSES,
    FIRST_READ,
    DayRollups,
    Refreshed,
    unique_events,
)
from hub.usage_store import UsageEventStore
from hub.usage_suppression import UsageSuppression
from hub.warehouse import Warehouse, utcnow

if TYPE_CHECKING:
    import duckdb

__all__ = ["USAGE_SUFFIXES", "IngestStats", "UsageEventStore", "UsageRules", "daily_from_store",
           "ingest_usage_files", "read_usage_events", "is_usage_file", "list_usage_files", "unknown_customer_quarantine", "usage_daily"]

STATE_FIELDS = ["path", "size_bytes", "mtime", "bytes_read", "lines_read", "prefix_digest", "content_digest",
                "status", "reason"]


@dataclass
class IngestStats:
    files_read: int = 0
    files_skipped: int = 0
    files_waiting: int = 0
    files_unreadable: int = 0
    files_duplicate: int = 0
    lines_in: int = 0
    lines_loaded: int = 0
    lines_quarantined: int = 0
    lines_suppressed: int = 0
    problems: list[str] = field(default_factory=list)

    def as_metadata(self) -> dict[str, Any]:
        return {**{k: v for k, v in self.__dict__.items() if isinstance(v, int)},
                "file_problems": self.problems[:10]}


def _path_key(path: Path) -> str:
    return hashlib.sha256(str(path).encode()).hexdigest()[:16]


def _states(warehouse: Warehouse) -> dict[str, FileState]:
    table = warehouse.table("raw", "usage_file_state")
    with warehouse.engine.connect() as conn:
        rows = conn.execute(sa.select(*[table.c[f] for f in STATE_FIELDS])).all()
    return {r[0]: FileState(*r) for r in rows}


def ingest_usage_files(warehouse: Warehouse, paths: list[Path], rules: UsageRules | None = None,
                       now: dt.datetime | None = None, store: UsageEventStore | None = None) -> IngestStats:
    """Land what is new in each file: its events as Parquet (``store``), then one transaction for
    its quarantined lines, its state and its ledger row. Unchanged files cost one ``stat``."""
    # Two at once (the usage sensor's run and the nightly sync) take turns: the second finds the
    # first's files landed, instead of landing them again beside it.
    with warehouse.one_at_a_time("usage ingest"):
        return _ingest_usage_files(warehouse, paths, rules or UsageRules(), now or utcnow(),
                                   store or UsageEventStore.of(warehouse))


def _ingest_usage_files(warehouse: Warehouse, paths: list[Path], rules: UsageRules, moment: dt.datetime,
                        store: UsageEventStore) -> IngestStats:
    # DuckDB reads the lines only where the compiled scanner was not built.
    duck = usage_parse.connect() if usage_parse.scanner() == "duckdb" else None
    stats = IngestStats()
    _move_table_events(warehouse, store)
    states = _states(warehouse)
    contents = {s.content_digest: p for p, s in states.items() if s.content_digest and s.status != "duplicate"}
    changed = []
    for path in paths:
        previous = states.get(str(path))
        try:
            stat = path.stat()
        except OSError:
            continue  # removed since it was listed
        if previous is not None and (previous.size_bytes, previous.mtime) == (stat.st_size, stat.st_mtime):
            stats.files_skipped += 1
            continue
        changed.append((path, previous))
    # Before any read: a list it cannot check (no HUB_ERASURE_SALT) stops the ingest, as it stops a sync.
    erased = UsageSuppression.load(warehouse) if changed else None
    for path, previous, segment, loaded in _read_ahead(changed, rules, moment, duck, erased, store):
        if segment.waiting:
            stats.files_waiting += 1
            stats.problems.append(segment.waiting)
            continue
        assert segment.state is not None
        twin = contents.get(segment.state.content_digest or "")
        if previous is None and segment.start_line == 0 and twin and twin != str(path):
            segment.state.status, segment.state.reason = "duplicate", f"same content as {twin}: not loaded again"
            segment.rows, segment.tables, segment.quarantined, segment.lines_in = [], [], [], 0
            segment.suppressed = loaded = 0
            store.discard(_file_digest(segment))  # written while it was read; never ledgered, never live
            stats.files_duplicate += 1
            stats.problems.append(f"{path.name}: {segment.state.reason}")
        _write_segment(warehouse, segment, moment, loaded)
        if segment.file_reason:
            stats.files_unreadable += 1
            stats.problems.append(segment.file_reason)
        elif segment.state.content_digest and segment.state.status != "duplicate":
            contents.setdefault(segment.state.content_digest, str(path))
        stats.files_read += 1
        stats.lines_in += segment.lines_in
        stats.lines_loaded += loaded
        stats.lines_quarantined += len(segment.quarantined)
        stats.lines_suppressed += segment.suppressed
    return stats


def _read_ahead(files: list[tuple[Path, FileState | None]], rules: UsageRules, moment: dt.datetime,
                duck: duckdb.DuckDBPyConnection | None, erased: UsageSuppression | None,
                store: UsageEventStore) -> Iterator[tuple[Path, FileState | None, Segment, int]]:
    """Each file's new lines in order, its erased people's lines held back and its events written
    to ``store`` (not live until the ledger row commits): the next two files are read and written
    meanwhile, while this thread commits the one before (decompressing, parsing, hashing and
    Parquet release the GIL). What is committed, and in which order, is as if read one by one."""
    local = threading.local()  # one DuckDB cursor per reading thread, made once (not one per file)
    holding = threading.Lock()  # the suppression list caches the answers it was asked

    def read(path: Path, previous: FileState | None) -> tuple[Segment, int]:
        if not hasattr(local, "duck"):
            local.duck = usage_parse.connect(duck) if duck is not None else None
        segment = read_segment(path, previous, rules, moment, local.duck)
        if segment.waiting or segment.state is None:
            return segment, 0
        if erased is not None:
            with holding:
                erased.hold_back(segment)
        return segment, store.write(_file_digest(segment), segment.events(), path.name, moment)

    with ThreadPoolExecutor(max_workers=2) as pool:
        pending: deque = deque()
        for path, previous in files:
            pending.append((path, previous, pool.submit(read, path, previous)))
            if len(pending) > 2:
                path_, previous_, job = pending.popleft()
                yield path_, previous_, *job.result()
        while pending:
            path_, previous_, job = pending.popleft()
            yield path_, previous_, *job.result()


def _file_digest(segment: Segment) -> str:
    """The name of one read of a file: its row in the ledger and its events' Parquet files."""
    assert segment.state is not None
    return hashlib.sha256(f"{segment.path}|{segment.start_line}|{segment.state.prefix_digest}".encode()).hexdigest()


def _move_table_events(warehouse: Warehouse, store: UsageEventStore) -> None:
    """Events an earlier version kept in ``raw.usage_events`` move to the store once, a ledger row
    of no lines per file making them live (their lines are counted by the reads already ledgered)."""
    table = warehouse.table("raw", "usage_events")
    with warehouse.engine.connect() as conn:
        if conn.execute(sa.select(table.c.event_key).limit(1)).first() is None:
            return
    frame = warehouse.read("raw", "usage_events")
    frame["event_at"] = timestamps(frame["event_at"])
    ledger = []
    for name, events in frame.groupby("file_name"):
        digest = hashlib.sha256(f"raw.usage_events|{name}".encode()).hexdigest()
        moment = timestamps(events["_loaded_at"]).min().to_pydatetime()
        store.write(digest, pa.Table.from_pandas(events.reindex(columns=usage_parse.EVENT_SCHEMA.names),
                                                 schema=usage_parse.EVENT_SCHEMA, preserve_index=False),
                    str(name), moment)
        ledger.append({"file_digest": digest, "file_name": name, "size_bytes": 0, "lines_in": 0,
                       "lines_loaded": 0, "lines_quarantined": 0, "loaded_at": moment.isoformat()})
    with warehouse.transaction() as conn:
        warehouse.write("raw", "usage_files", ledger, key=["file_digest"], conn=conn)
        conn.execute(table.delete())


def _write_segment(warehouse: Warehouse, segment: Segment, moment: dt.datetime, loaded: int) -> None:
    """One read's quarantined lines, file state and ledger row, in one transaction. Its ``loaded``
    events are in the store already: until the ledger row commits, the store does not count them."""
    path, state, stamp = segment.path, segment.state, moment.isoformat()
    key = _path_key(path)
    file_digest = _file_digest(segment)
    quarantined = [{"quarantine_id": f"usage:{key}:{number}", "source": "usage", "source_object": "usage_log",
                    "record_key": f"{path.name}:{number}", "reason": f"{path.name} line {number}: {reason}",
                    "payload": line[:2000], "quarantined_at": stamp} for number, reason, line in segment.quarantined]
    if segment.file_reason:
        quarantined.append({"quarantine_id": f"usage-file:{key}:{state.size_bytes}:{state.mtime}",
                            "source": "usage", "source_object": "usage_file", "record_key": path.name,
                            "reason": segment.file_reason, "payload": str(path), "quarantined_at": stamp})
    totals = {"lines_in": segment.lines_in, "lines_loaded": loaded, "lines_quarantined": len(segment.quarantined),
              "lines_suppressed": segment.suppressed}
    with warehouse.transaction() as conn:
        warehouse.write("raw", "quarantine", quarantined, key=["quarantine_id"], conn=conn)
        state_row = {**{f: getattr(state, f) for f in STATE_FIELDS}, "updated_at": stamp, **totals}
        if segment.start_line:
            t = warehouse.table("raw", "usage_file_state")
            current = conn.execute(sa.select(t.c.lines_in, t.c.lines_loaded, t.c.lines_quarantined,
                                             t.c.lines_suppressed).where(t.c.path == str(path))).first()
            if current is not None:
                state_row.update(lines_in=current[0] + segment.lines_in, lines_loaded=current[1] + loaded,
                                 lines_quarantined=current[2] + len(segment.quarantined),
                                 lines_suppressed=current[3] + segment.suppressed)
        warehouse.write("raw", "usage_file_state", [state_row], key=["path"], conn=conn)
        # The ledger: one row per read of a file (lines in = loaded + quarantined + suppressed, per read).
        warehouse.write("raw", "usage_files", [{
            "file_digest": file_digest, "file_name": path.name, "size_bytes": state.size_bytes,
            **totals, "loaded_at": stamp,
        }], key=["file_digest"], conn=conn)


DAILY_COLUMNS = ["customer_id", "date", "api_calls", "sign_operations", "verify_operations", "errors",
                 "error_rate", "active_users", "storage_bytes", "cost", "events", "origin"]


def usage_daily(events: pd.DataFrame, reports: pd.DataFrame, lookup: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Daily usage per customer, and the events whose customer id nobody knows.

    ``events``: raw usage events; ``reports``: Airtable "Usage Analytics" rows with a resolved
    ``customer_id``; ``lookup``: every id a source knows a customer by -> ``customer_id``.
    Log events win for a (customer, day) they cover; a reported row fills days without logs.
    API calls count every API event (api_call, sign, verify); errors are events whose status is
    an error word or an HTTP status of 400 and above.
    """
    frame = events.copy()
    frame["customer_id"] = frame["customer_ref"].map(lookup)
    unknown = frame[frame["customer_id"].isna()]
    frame = frame[frame["customer_id"].notna()]
    daily = pd.DataFrame(columns=DAILY_COLUMNS)
    if not frame.empty:
        frame["date"] = timestamps(frame["event_at"]).dt.strftime("%Y-%m-%d")
        status = frame["status"].fillna("").astype(str).str.lower()
        numeric_status = pd.to_numeric(status, errors="coerce")
        is_api = frame["event"].isin(list(API_EVENTS))
        weight = frame["event_count"].fillna(1.0) if "event_count" in frame else 1.0
        frame["is_error"] = (is_api & (status.isin(ERROR_STATUSES) | (numeric_status >= 400))) * weight
        for event, column in API_EVENTS.items():
            frame[column] = (frame["event"] == event) * weight
        frame["api_calls"] = is_api * weight
        grouped = frame.groupby(["customer_id", "date"])
        daily = grouped.agg(
            api_calls=("api_calls", "sum"), sign_operations=("sign_operations", "sum"),
            verify_operations=("verify_operations", "sum"), errors=("is_error", "sum"),
            active_users=("user_id", "nunique"), storage_bytes=("bytes", "sum"), cost=("cost", "sum"),
            events=("event", "size"),
        ).reset_index()
        daily["error_rate"] = (daily["errors"] / daily["api_calls"].where(daily["api_calls"] > 0)).fillna(0.0)
        daily["origin"] = "usage_log"
    return _with_reports(daily, reports), unknown


def _with_reports(daily: pd.DataFrame, reports: pd.DataFrame | None) -> pd.DataFrame:
    """Log days, and Airtable's reported days where no log covers the (customer, day)."""
    rep = pd.DataFrame()
    if reports is not None and not reports.empty:
        rep = reports.dropna(subset=["customer_id", "date"]).copy()
    if reports is not None and not rep.empty:
        rep = rep.groupby(["customer_id", "date"], as_index=False).agg(
            api_calls=("api_calls", "sum"), sign_operations=("sign_operations", "sum"),
            verify_operations=("verify_operations", "sum"), error_rate=("error_rate", "mean"),
            active_users=("active_users", "max"), storage_bytes=("storage_bytes", "max"), cost=("cost", "sum"))
        rep["errors"] = (rep["api_calls"].fillna(0) * rep["error_rate"].fillna(0)).round()
        rep["events"] = 0
        rep["origin"] = "airtable"
        covered = set(zip(daily["customer_id"], daily["date"], strict=True))
        rep = rep[[(c, d) not in covered for c, d in zip(rep["customer_id"], rep["date"], strict=True)]]
        daily = pd.concat([daily, rep[DAILY_COLUMNS]], ignore_index=True) if len(daily) else rep[DAILY_COLUMNS]
    daily = daily[DAILY_COLUMNS].fillna({c: 0 for c in DAILY_COLUMNS[2:11]})
    return daily.sort_values(["customer_id", "date"]).reset_index(drop=True)


@dataclass
class StoreDaily:
    """``usage_daily`` from the event store, with what ``build_usage_daily`` reports beside it."""

    daily: pd.DataFrame
    unknown: pd.DataFrame         # events naming a customer no source knows
    product_events: pd.DataFrame  # customer_id, event, event_at of PRODUCT_MILESTONES events
    events: int
    refreshed: Refreshed = field(default_factory=Refreshed)  # the day roll-ups redone or removed


def daily_from_store(warehouse: Warehouse, reports: pd.DataFrame | None, lookup: dict[str, str],
                     milestones: list[str], store: UsageEventStore | None = None) -> StoreDaily:
    """``usage_daily`` as ``usage_daily`` computes it, over the events of the reads the ledger
    holds, each event key once (the first read wins): the stale day roll-ups are redone first
    (``hub.usage_rollup``), then joined with the crosswalk in DuckDB."""
    rollups = DayRollups(store or UsageEventStore.of(warehouse), live_digests(warehouse), milestones)
    refreshed = rollups.refresh()
    files = rollups.files()
    empty = pd.DataFrame(columns=["event_key", "file_name", "line_no", "customer_ref", "event"])
    if not files:
        return StoreDaily(_with_reports(pd.DataFrame(columns=DAILY_COLUMNS), reports), empty,
                          pd.DataFrame(columns=["customer_id", "event", "event_at"]), 0, refreshed)
    duck = usage_parse.connect()
    try:
        duck.register("lookup", pa.table({"customer_ref": pa.array(list(lookup), pa.string()),
                                          "customer_id": pa.array(list(lookup.values()), pa.string())}))
        duck.read_parquet([str(f) for f in files], union_by_name=True).create_view("r")
        sums = ", ".join(f"sum(r.{c}) AS {c}" for c in ("api_calls", *[c for c in API_EVENTS.values()
                                                                        if c != "api_calls"], "errors"))
        daily = duck.execute(f"""
            SELECT l.customer_id, r.day, {sums},
                   len(list_distinct(flatten(list(r.users)))) AS active_users,
                   sum(r.storage_bytes) AS storage_bytes, sum(r.cost) AS cost, sum(r.events) AS events
            FROM r JOIN lookup l USING (customer_ref)
            WHERE r.day >= DATE '1900-01-01' AND r.day < DATE '2200-01-01'
            GROUP BY ALL""").df()
        daily.insert(1, "date", daily.pop("day").astype(str))
        if len(daily):
            daily["error_rate"] = (daily["errors"] / daily["api_calls"].where(daily["api_calls"] > 0)).fillna(0.0)
            daily["origin"] = "usage_log"
        count = int(duck.execute("SELECT coalesce(sum(events), 0) FROM r").fetchall()[0][0])
        unknown = _unknown_events(duck, rollups)
        product = pd.concat([duck.execute(f"SELECT l.customer_id, ? AS event, r.milestone_{n} AS event_at FROM r "
                                          f"LEFT JOIN lookup l USING (customer_ref) WHERE r.milestone_{n} IS NOT NULL",
                                          [event]).df() for n, event in enumerate(milestones)]
                            or [pd.DataFrame(columns=["customer_id", "event", "event_at"])], ignore_index=True)
    finally:
        duck.close()
    return StoreDaily(_with_reports(daily.reindex(columns=DAILY_COLUMNS), reports), unknown, product, count, refreshed)


def _unknown_events(duck: duckdb.DuckDBPyConnection, rollups: DayRollups) -> pd.DataFrame:
    """The events (each key once) whose customer id no source knows: read from the event files of
    the days the roll-ups show them on, and only those."""
    days = duck.execute("SELECT DISTINCT CAST(r.day AS VARCHAR) FROM r ANTI JOIN lookup l USING (customer_ref) "
                        "WHERE r.customer_ref IS NOT NULL").fetchall()
    sources = rollups.sources()
    files = [f for (day,) in days for f in sources.get(day, [])]
    if not files:
        return pd.DataFrame(columns=["event_key", "file_name", "line_no", "customer_ref", "event"])
    # Their events first, then each key once: a key's copies are one line's content, so they
    # name the same customer, and picking among the few is picking among all.
    return duck.execute(f"""
        SELECT e.event_key, e.file_name, e.line_no, e.customer_ref, e.event
        FROM read_parquet(?, union_by_name = true) e ANTI JOIN lookup l USING (customer_ref)
        WHERE e.customer_ref IS NOT NULL
        QUALIFY {FIRST_READ}
        ORDER BY e.file_name, e.line_no""", [[str(f) for f in files]]).df()


def live_digests(warehouse: Warehouse) -> set[str]:
    """The file digests of the reads the ledger holds: which Parquet files of the store are live."""
    return set(warehouse.read("raw", "usage_files", ["file_digest"])["file_digest"])


def _live_files(warehouse: Warehouse, store: UsageEventStore | None) -> list[Path]:
    store = store or UsageEventStore.of(warehouse)
    return store.files(live_digests(warehouse))


def read_usage_events(warehouse: Warehouse, store: UsageEventStore | None = None) -> pd.DataFrame:
    """Every usage event the warehouse's ledger holds, each event key once (the first read wins)."""
    files = _live_files(warehouse, store)
    if not files:
        return pd.DataFrame(columns=[*usage_parse.EVENT_SCHEMA.names, "file_name", "_loaded_at"])
    duck = usage_parse.connect()
    try:
        unique_events(duck, files)
        return duck.execute("SELECT * FROM ev ORDER BY file_name, line_no").df()
    finally:
        duck.close()


def unknown_customer_quarantine(unknown: pd.DataFrame) -> pd.DataFrame:
    """Quarantine rows for events naming a customer id no source knows."""
    now = utcnow().isoformat()
    return pd.DataFrame({
        "quarantine_id": "usage-unknown:" + unknown["event_key"].astype(str),
        "source": "usage", "source_object": "usage_event",
        "record_key": unknown["file_name"].astype(str) + ":" + unknown["line_no"].astype(str),
        "reason": "customer_id " + unknown["customer_ref"].astype(str)
                  + " is not known to any source (Airtable Application ID, HubSpot company id or "
                    "Salesforce account id expected)",
        "payload": unknown["event"].astype(str),
        "quarantined_at": now,
    })

