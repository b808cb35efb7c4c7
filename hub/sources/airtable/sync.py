"""Airtable: a full listing each run with deletions found by id diff, or, when the table has a
"Last modified time" field, an incremental listing on it plus an id sweep for deletions.

Airtable has no change feed and no deleted-records endpoint, and its offsets expire: an expired
offset (422) restarts the listing (from the committed cursor when incremental); records already
landed in this sync are recognised and not counted twice.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any, Protocol

from hub.pacing import CallStats
from hub.raw import RawSync, Record, SourceError
from hub.sync import (
    SyncReport,
    Watermark,
    dump_state,
    instant,
    iso,
    load_state,
    prefetched,
    report,
    sweep_due,
)
from hub.warehouse import utcnow


class OffsetExpired(Exception):
    """Airtable dropped a listing's offset (422 LIST_RECORDS_ITERATOR_NOT_AVAILABLE)."""


class AirtableClient(Protocol):
    stats: CallStats

    def pages(self, table_name: str, *, formula: str | None = None, sort_field: str | None = None,
              fields: list[str] | None = None) -> Iterator[list[Record]]: ...

    def last_modified_field(self, table_name: str) -> str | None: ...


def formula_field(name: str) -> str:
    """A field reference for filterByFormula; braces and backslashes in the name escaped."""
    return "{" + name.replace("\\", "\\\\").replace("}", "\\}") + "}"


def formula_string(value: str) -> str:
    """A string literal for filterByFormula."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def sync_airtable(client: AirtableClient, sync: RawSync, logical_table: str,
                  config: dict[str, Any]) -> SyncReport:
    """Sync one Airtable table (``logical_table`` as named in ``airtable.tables``)."""
    started = time.monotonic()
    settings = config["airtable"]
    table_name = settings["tables"][logical_table]
    field = (settings.get("last_modified_fields") or {}).get(logical_table)
    if field is None and settings.get("detect_last_modified", True):
        field = client.last_modified_field(table_name)
    if field is None:
        _full(client, sync, table_name, settings)
        return report(sync, client.stats, "full", started)
    mode = _incremental(client, sync, table_name, field, settings)
    return report(sync, client.stats, mode, started)


def _listing(client: AirtableClient, table_name: str, settings: dict[str, Any], **options: Any
             ) -> Iterator[tuple[int, list[Record]]]:
    """(attempt, page) over a listing, restarted from the top when its offset expires."""
    for attempt in range(settings["max_listing_restarts"] + 1):
        try:
            for page in prefetched(client.pages(table_name, **options)):
                yield attempt, page
            return
        except OffsetExpired:
            continue
    raise SourceError(f"Airtable kept expiring the listing offset of {table_name!r} "
                      f"({settings['max_listing_restarts']} restarts): the listing is slower than "
                      "Airtable keeps offsets; raise airtable.requests_per_second or re-run")


def _full(client: AirtableClient, sync: RawSync, table_name: str, settings: dict[str, Any]) -> None:
    for _attempt, page in _listing(client, table_name, settings):
        sync.add_page(page)
    sync.finish(full_listing=True)


def _incremental(client: AirtableClient, sync: RawSync, table_name: str, field: str,
                 settings: dict[str, Any]) -> str:
    state = load_state(sync.cursor())
    now = utcnow()
    since = instant(state.get("since")) if state.get("field") == field else None
    watermark = Watermark(since, cap=now)
    lookback = dt.timedelta(seconds=settings["lookback_seconds"])
    for attempt in range(settings["max_listing_restarts"] + 1):
        # After an expired offset, start again from what is committed, not from the top.
        start = watermark.value
        formula = None if start is None else (
            f"NOT(IS_BEFORE({formula_field(field)}, {formula_string(iso(start - lookback))}))")
        try:
            for page in prefetched(client.pages(table_name, formula=formula, sort_field=field)):
                for record in page:
                    watermark.see(instant((record.get("fields") or {}).get(field)))
                cursor = {"field": field, "since": iso(watermark.value) if watermark.value else None}
                sync.add_page(page, cursor=dump_state(cursor))
            break
        except OffsetExpired:
            if attempt == settings["max_listing_restarts"]:
                raise SourceError(f"Airtable kept expiring the listing offset of {table_name!r}: raise "
                                  "airtable.requests_per_second or re-run") from None
    mode = "full" if since is None else "incremental"
    if since is None:
        sync.finish(full_listing=True)  # a listing from the top is complete: it doubles as a sweep
    elif sweep_due(sync.state().last_full_listing_at, settings["id_sweep_hours"], now):
        # Deletions leave no trace in a filtered listing: diff against every id (cells limited to
        # the stamp field to keep pages small).
        listed: set[str] = set()
        for _attempt, page in _listing(client, table_name, settings, fields=[field]):
            listed.update(str(r["id"]) for r in page if r.get("id"))
        sync.mark_unlisted(listed)
        sync.finish(full_listing=False)
        mode = "incremental+sweep"
    else:
        sync.finish(full_listing=False)
    return mode
