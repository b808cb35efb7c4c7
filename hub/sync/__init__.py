"""Syncing source objects into the raw layer: complete, incremental where the API allows it,
resumable after a crash.

One module per source (``airtable``, ``hubspot``, ``salesforce``) holds its strategy as a pure
function over a connector (resources/<source>.py: the client library, pacing, retries) and a
``hub.raw.RawSync``. Shared here: the JSON cursor, change-stamp parsing, the watermark rule and
the report an asset turns into metadata.
"""

from __future__ import annotations

import datetime as dt
import json
import queue
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from hub.pacing import CallStats
from hub.raw import RawSync, SyncStats

_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")
T = TypeVar("T")
_DONE = object()


def instant(value: Any) -> dt.datetime | None:
    """A change stamp as UTC: epoch milliseconds (HubSpot), ISO 8601 with ``Z``, ``+00:00`` or
    Salesforce's ``+0000``; None when absent or unreadable."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    if text.isdigit():
        return dt.datetime.fromtimestamp(int(text) / 1000, dt.UTC)
    try:
        parsed = dt.datetime.fromisoformat(_OFFSET.sub(r"\1:\2", text.replace("Z", "+00:00")))
    except ValueError:
        return None
    return parsed.astimezone(dt.UTC) if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def iso(moment: dt.datetime) -> str:
    """UTC ISO 8601 with milliseconds and ``Z``: how cursors are stored."""
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def load_state(text: str | None) -> dict[str, Any]:
    """The JSON cursor of an object; an empty dict when there is none (or it predates JSON)."""
    if not text:
        return {}
    try:
        state = json.loads(text)
    except ValueError:
        return {}
    return state if isinstance(state, dict) else {}


def dump_state(state: dict[str, Any]) -> str:
    return json.dumps(state, sort_keys=True, separators=(",", ":"))


def sweep_due(last: dt.datetime | None, hours: float, now: dt.datetime) -> bool:
    """Whether a complete id listing is due (never done, or ``hours`` passed; 0 = every run)."""
    return last is None or hours <= 0 or now - last >= dt.timedelta(hours=hours)


class Watermark:
    """The change stamp a cursor may claim: the highest seen among records stamped before the
    sync started. A record changed while the sync runs can show up ahead of older unread ones;
    letting it move the cursor would skip them, so it is simply read again next time."""

    def __init__(self, start: dt.datetime | None, cap: dt.datetime) -> None:
        self.value = start
        self.cap = cap

    def see(self, stamp: dt.datetime | None) -> None:
        if stamp is not None and stamp <= self.cap and (self.value is None or stamp > self.value):
            self.value = stamp


@dataclass
class SyncReport:
    """What one sync of one object did, for the asset's metadata and checks."""

    key: str
    mode: str
    stats: SyncStats
    calls: CallStats
    elapsed_seconds: float
    live_rows: int
    source_total: int | None = None
    unlandable: int = 0  # records the source lists that could not land (quarantined)
    new_fields: list[str] = field(default_factory=list)
    cursor: str | None = None

    @property
    def counts_agree(self) -> bool:
        return self.source_total is not None and self.source_total == self.live_rows + self.unlandable

    def metadata(self) -> dict[str, Any]:
        meta: dict[str, Any] = {"mode": self.mode, **self.stats.as_metadata(), **self.calls.as_metadata(),
                                "elapsed_seconds": round(self.elapsed_seconds, 2), "live_rows": self.live_rows,
                                "new_fields": ", ".join(self.new_fields) or "none"}
        if self.source_total is not None:
            meta["source_total"] = self.source_total
            meta["unlandable_at_source"] = self.unlandable
        if self.stats.quarantine_reasons:
            meta["quarantine_reasons"] = dict(self.stats.quarantine_reasons)
        if self.cursor:
            meta["cursor"] = self.cursor
        return meta


def report(sync: RawSync, calls: CallStats, mode: str, started: float, *,
           source_total: int | None = None) -> SyncReport:
    """The report of a finished sync (``started``: ``time.monotonic()`` at its start)."""
    cursor = sync.cursor()
    return SyncReport(key=sync.obj.key, mode=mode, stats=sync.stats, calls=calls,
                      elapsed_seconds=time.monotonic() - started, live_rows=sync.live_count(),
                      source_total=source_total, unlandable=int(load_state(cursor).get("unlandable") or 0),
                      new_fields=sync.reported_new_fields, cursor=cursor)


def remember_unlandable(sync: RawSync) -> None:
    """After an id sweep, keep in the cursor how many listed records could not land, so later
    runs compare the source's count with live rows plus these (and do not sweep for them)."""
    state = load_state(sync.cursor())
    state["unlandable"] = sync.unlandable or 0
    sync.add_page([], cursor=dump_state(state))


def prefetched(pages: Iterator[T], depth: int = 2) -> Iterator[T]:
    """The same pages, fetched by a background thread up to ``depth`` ahead, so the next
    request is under way while this page lands. Landing (and so the cursor) stays in order in
    the caller's thread; a fetch error is raised after the pages before it were handed over."""
    handoff: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False  # the caller stopped reading

    def produce() -> None:
        try:
            for page in pages:
                if not put(page):
                    return
            put(_DONE)
        except BaseException as exc:  # handed over: the caller raises it in its own thread
            put(exc)

    worker = threading.Thread(target=produce, name="page-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = handoff.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join(timeout=5)
