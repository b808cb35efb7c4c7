"""Salesforce: incremental on ``SystemModstamp >= cursor − lookback ORDER BY SystemModstamp, Id``
through ``queryAll``, so one query brings changed rows and deleted ones (``IsDeleted``); rows
sharing the cursor's stamp are read again and recognised, never lost. A first load at or above
``bulk_threshold`` records goes through Bulk API 2.0 (resumable by job and locator); smaller ones
page through the REST query. The count Salesforce reports is compared with the live rows each
run; a mismatch, a gap longer than the recycle bin keeps deletions, or the schedule sweeps ids.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
from collections.abc import Iterator
from typing import Any, Protocol

from hub.pacing import CallStats
from hub.raw import RawSync, Record
from hub.sync import (
    SyncReport,
    Watermark,
    dump_state,
    instant,
    iso,
    load_state,
    prefetched,
    remember_unlandable,
    report,
    sweep_due,
)
from hub.warehouse import utcnow

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_NUMBER_TYPES = {"int", "double", "currency", "percent", "long"}
# Compound fields repeat their components (BillingStreet, …) and Bulk queries refuse them;
# base64 bodies come only one record at a time. Neither is selected.
_UNSELECTABLE = {"address", "location", "base64"}


class BulkJobGone(Exception):
    """A Bulk API 2.0 job failed, was aborted or no longer exists."""


class SalesforceClient(Protocol):
    stats: CallStats
    api_version: str

    def describe(self, sobject: str) -> dict[str, str]: ...

    def count(self, sobject: str) -> int: ...

    def query_pages(self, what: str, soql: str, *, include_deleted: bool = False) -> Iterator[list[Record]]: ...

    def bulk_start(self, sobject: str, soql: str) -> str: ...

    def bulk_wait(self, sobject: str, job_id: str) -> None: ...

    def bulk_page(self, sobject: str, job_id: str, locator: str) -> tuple[str, str]: ...


def soql_name(name: str) -> str:
    """An object or field name for SOQL: names come from describe, but never trust text into SOQL."""
    if not _NAME.match(name):
        raise ValueError(f"not a Salesforce API name: {name!r}")
    return name


def soql_literal(value: dt.datetime | str) -> str:
    """A SOQL literal: datetimes unquoted in UTC (quoted ones are refused), text quoted and escaped."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def sync_salesforce(client: SalesforceClient, sync: RawSync, sobject: str, config: dict[str, Any]) -> SyncReport:
    """Sync one sObject (Account, Contact, Opportunity, Case)."""
    started = time.monotonic()
    job = _Job(client, sync, soql_name(sobject), config["salesforce"])
    if job.state.get("since") is None:
        total = client.count(sobject)
        resumed = bool(job.state.get("bulk"))
        if resumed or total >= int(job.settings["bulk_threshold"]):
            job.bulk_load()
            mode = "bulk"
        else:
            job.rest_load()
            mode = "full"
        # A load from the top is a complete listing (a resumed one is checked by the next run).
        sync.finish(full_listing=not resumed)
    else:
        job.incremental()
        total = client.count(sobject)
        mode = "incremental" + job.reconcile_deletions(total)
        sync.finish(full_listing=False)
    return report(sync, client.stats, mode, started, source_total=total)


class _Job:
    def __init__(self, client: SalesforceClient, sync: RawSync, sobject: str, settings: dict[str, Any]) -> None:
        self.client, self.sync, self.sobject, self.settings = client, sync, sobject, settings
        self.state = load_state(sync.cursor())
        self.now = utcnow()
        self.types = self._field_types()
        selected = [soql_name(f) for f, kind in self.types.items() if kind not in _UNSELECTABLE]
        self.select = f"SELECT {', '.join(selected)} FROM {sobject}"

    def _field_types(self) -> dict[str, str]:
        """The object's fields: described again every ``describe_hours`` (new fields then land),
        remembered in the cursor in between so an incremental run costs no describe."""
        described = instant(self.state.get("described"))
        hours = float(self.settings["describe_hours"])
        if self.state.get("fields") and described and self.now - described < dt.timedelta(hours=hours):
            return dict(self.state["fields"])
        self.state = {**self.state, "fields": self.client.describe(self.sobject), "described": iso(self.now)}
        return dict(self.state["fields"])

    def _cursor(self, **values: Any) -> str:
        # "ran": when this run started; the next run measures its gap from it (recycle bin).
        base = {"fields": self.state["fields"], "described": self.state["described"], "ran": iso(self.now),
                "unlandable": self.state.get("unlandable", 0)}
        return dump_state({**base, **values})

    def rest_load(self) -> None:
        """A first load through the REST query in SystemModstamp order, so a crash resumes as an
        incremental run from the last committed page."""
        watermark = Watermark(None, cap=self.now)
        for page in prefetched(self.client.query_pages(f"reading {self.sobject}",
                                                       f"{self.select} ORDER BY SystemModstamp, Id")):
            for record in page:
                watermark.see(instant(record.get("SystemModstamp")))
            self.sync.add_page(page, cursor=self._cursor(since=iso(watermark.value) if watermark.value else None))
        # Nothing at all to list still counts as loaded: later runs go incremental from now.
        if watermark.value is None:
            self.sync.add_page([], cursor=self._cursor(since=iso(self.now)))

    def bulk_load(self) -> None:
        """A first load through one Bulk API 2.0 query job; the cursor keeps job and locator so a
        crash resumes the download, and increments then start from the job's creation."""
        bulk = self.state.get("bulk") or {}
        job_id, locator, begun = bulk.get("job"), bulk.get("locator") or "", bulk.get("begun") or iso(self.now)
        for _attempt in range(2):  # a job that vanished (expired, failed) is started once more
            try:
                if job_id is None:
                    job_id, locator, begun = self.client.bulk_start(self.sobject, self.select), "", iso(utcnow())
                    self.sync.add_page([], cursor=self._cursor(bulk={"job": job_id, "locator": "", "begun": begun}))
                self.client.bulk_wait(self.sobject, job_id)
                for text, nxt in prefetched(self._bulk_pages(job_id, locator)):
                    cursor = ({"bulk": {"job": job_id, "locator": nxt, "begun": begun}} if nxt else {"since": begun})
                    self.sync.add_page(self._parse_csv(text), cursor=self._cursor(**cursor))
                return
            except BulkJobGone:
                job_id = None
        raise BulkJobGone(f"Bulk API 2.0 jobs for {self.sobject} keep failing")

    def _bulk_pages(self, job_id: str, locator: str) -> Iterator[tuple[str, str]]:
        while True:
            text, nxt = self.client.bulk_page(self.sobject, job_id, locator)
            yield text, nxt
            if not nxt:
                return
            locator = nxt

    def incremental(self) -> None:
        since = instant(self.state["since"])
        watermark = Watermark(since, cap=self.now)
        start = since - dt.timedelta(seconds=float(self.settings["lookback_seconds"]))
        soql = (f"{self.select} WHERE SystemModstamp >= {soql_literal(start)} "
                "ORDER BY SystemModstamp, Id")
        for page in prefetched(self.client.query_pages(f"reading changes to {self.sobject}", soql,
                                                       include_deleted=True)):
            for record in page:
                watermark.see(instant(record.get("SystemModstamp")))
            live = [r for r in page if not r.get("IsDeleted")]
            gone = [str(r["Id"]) for r in page if r.get("IsDeleted") and r.get("Id")]
            self.sync.add_page(live, deleted=gone, cursor=self._cursor(since=iso(watermark.value)))

    def reconcile_deletions(self, total: int) -> str:
        """Sweep ids when the live rows disagree with Salesforce's count, when the previous run
        is longer ago than the recycle bin keeps deleted rows (queryAll may have missed some), or
        on the ``id_sweep_hours`` schedule."""
        previous_run = instant(self.state.get("ran"))
        retention = dt.timedelta(days=float(self.settings["deleted_retention_days"]))
        last = self.sync.state().last_full_listing_at
        stale = previous_run is None or self.now - previous_run > retention
        unlandable = int(self.state.get("unlandable") or 0)
        if not (self.sync.live_count() + unlandable != total or stale
                or sweep_due(last, float(self.settings["id_sweep_hours"]), self.now)):
            return ""
        listed: set[str] = set()
        for page in self.client.query_pages(f"listing {self.sobject} ids", f"SELECT Id FROM {self.sobject}"):
            listed.update(str(r["Id"]) for r in page)
        missing = sorted(listed - set(self.sync.live_ids()))
        for chunk in range(0, len(missing), 200):
            ids = ", ".join(soql_literal(i) for i in missing[chunk:chunk + 200])
            for page in self.client.query_pages(f"reading {self.sobject}", f"{self.select} WHERE Id IN ({ids})"):
                self.sync.add_page(page)
        self.sync.mark_unlisted(listed)
        remember_unlandable(self.sync)
        return "+sweep"

    def _parse_csv(self, text: str) -> list[Record]:
        """Bulk CSV rows in the REST query's JSON shape (types, nulls, attributes), so a record
        hashes the same whichever API brought it."""
        rows = csv.reader(io.StringIO(text))
        header = next(rows, None)
        if not header:
            return []
        records = []
        for row in rows:
            values = {name: _typed(cell, self.types.get(name, "string")) for name, cell in zip(header, row, strict=False)}
            url = f"/services/data/v{self.client.api_version}/sobjects/{self.sobject}/{values.get('Id')}"
            records.append({"attributes": {"type": self.sobject, "url": url}, **values})
        return records


def _typed(cell: str, kind: str) -> Any:
    if cell == "":
        return None  # Salesforce stores no empty strings: CSV's empty cell is JSON's null
    if kind == "boolean":
        return cell.lower() == "true"
    if kind in _NUMBER_TYPES:
        try:
            return int(cell) if re.fullmatch(r"-?\d+", cell) else float(cell)
        except ValueError:
            return cell
    if kind == "datetime" and cell.endswith("Z"):
        return cell[:-1] + "+0000"  # Bulk writes …Z where REST writes …+0000
    return cell
