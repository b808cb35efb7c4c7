"""HubSpot: the first run lists every object by id (resumable: ``after`` is the cursor); later
runs search on the modified-time property.

Each search request starts its window at the last modified time seen (``GTE``, duplicates
dropped), so paging never nears the 10,000-result cap and an object modified mid-sync cannot
shift unread ones out of view. More objects sharing one stamp than a page holds are read by id
within that stamp. Deletions: HubSpot's total is compared with the live rows after each run; a
shortfall is looked up among archived objects, and what is still unexplained (GDPR deletions
vanish outright), or a periodic schedule, triggers an id sweep.
"""

from __future__ import annotations

import datetime as dt
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
    load_state,
    prefetched,
    remember_unlandable,
    report,
    sweep_due,
)
from hub.warehouse import utcnow


class HubSpotClient(Protocol):
    stats: CallStats

    def list_page(self, object_type: str, properties: list[str], *, after: str | None = None,
                  associations: list[str] | None = None, archived: bool = False
                  ) -> tuple[list[Record], str | None]: ...

    def ids(self, object_type: str, *, archived: bool = False) -> Iterator[list[str]]: ...

    def read_batch(self, object_type: str, ids: list[str], properties: list[str]) -> list[Record]: ...

    def search(self, object_type: str, filters: list[dict[str, Any]], sort: str, properties: list[str],
               *, limit: int | None = None) -> tuple[list[Record], int]: ...

    def total(self, object_type: str) -> int: ...

    def add_associations(self, object_type: str, records: list[Record], to_types: list[str]) -> None: ...


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def sync_hubspot(client: HubSpotClient, sync: RawSync, object_type: str, config: dict[str, Any], *,
                 associations: list[str] | None = None) -> SyncReport:
    """Sync one CRM object type (companies, contacts, deals, tickets)."""
    started = time.monotonic()
    settings = config["hubspot"]
    stamp_property = settings["modified_properties"][object_type]
    properties = list(dict.fromkeys([stamp_property, *settings["properties"][object_type]]))
    state = load_state(sync.cursor())
    job = _Job(client, sync, object_type, properties, stamp_property, associations or [], settings)
    job.unlandable = int(state.get("unlandable") or 0)
    if state.get("phase") != "search":
        job.first_listing(state)
        mode = "full"
    else:
        job.incremental(int(state["since"]))
        mode = "incremental"
    total = client.total(object_type)
    mode += job.reconcile_deletions(total)
    sync.finish(full_listing=False)
    return report(sync, client.stats, mode, started, source_total=total)


class _Job:
    def __init__(self, client: HubSpotClient, sync: RawSync, object_type: str, properties: list[str],
                 stamp_property: str, associations: list[str], settings: dict[str, Any]) -> None:
        self.client, self.sync, self.object_type = client, sync, object_type
        self.properties, self.stamp_property = properties, stamp_property
        self.associations, self.settings = associations, settings
        self.now = utcnow()
        self.unlandable = 0

    def stamp(self, record: Record) -> dt.datetime | None:
        return instant((record.get("properties") or {}).get(self.stamp_property)) or instant(record.get("updatedAt"))

    def first_listing(self, state: dict[str, Any]) -> None:
        """Every object by id; each page commits the next ``after``. Once complete, searches
        start from the listing's start, so objects changed meanwhile are read again."""
        start = state.get("after")
        resumed = start is not None
        begun = int(state.get("begun") or _ms(self.now))
        for records, after in prefetched(self._listing(start)):
            cursor = ({"phase": "list", "after": after, "begun": begun} if after is not None
                      else {"phase": "search", "since": begun, "unlandable": self.unlandable})
            self.sync.add_page(records, cursor=dump_state(cursor))
        if not resumed:  # a listing from the first id is complete: it doubles as an id sweep
            self.sync.finish(full_listing=True)

    def _listing(self, after: str | None) -> Iterator[tuple[list[Record], str | None]]:
        while True:
            records, after = self.client.list_page(self.object_type, self.properties, after=after,
                                                   associations=self.associations or None)
            yield records, after
            if after is None:
                return

    def incremental(self, since_ms: int) -> None:
        watermark = Watermark(dt.datetime.fromtimestamp(since_ms / 1000, dt.UTC), cap=self.now)
        position = since_ms - int(self.settings["lookback_seconds"] * 1000)
        operator = "GTE"
        limit = int(self.settings["search_page_size"])
        while True:
            page, _total = self.client.search(
                self.object_type, [{"propertyName": self.stamp_property, "operator": operator,
                                    "value": str(position)}], self.stamp_property, self.properties)
            self._land(page, watermark)
            if len(page) < limit:
                return
            stamps = [s for r in page if (s := self.stamp(r)) is not None]
            top = _ms(max(stamps)) if stamps else position
            if top > position:
                position, operator = top, "GTE"
                continue
            # A whole page shares one stamp: read that stamp's objects by id, then move past it.
            self._tie_run(position, watermark, limit)
            operator = "GT"

    def _tie_run(self, position: int, watermark: Watermark, limit: int) -> None:
        last_id = "0"
        while True:
            page, _total = self.client.search(
                self.object_type, [{"propertyName": self.stamp_property, "operator": "EQ", "value": str(position)},
                                   {"propertyName": "hs_object_id", "operator": "GT", "value": last_id}],
                "hs_object_id", self.properties)
            self._land(page, watermark)
            if len(page) < limit:
                return
            last_id = str(max(int(r["id"]) for r in page))

    def _land(self, page: list[Record], watermark: Watermark) -> None:
        if self.associations and page:
            self.client.add_associations(self.object_type, page, self.associations)
        for record in page:
            watermark.see(self.stamp(record))
        cursor = {"phase": "search", "since": _ms(watermark.value) if watermark.value else 0,
                  "unlandable": self.unlandable}
        self.sync.add_page(page, cursor=dump_state(cursor))

    def reconcile_deletions(self, total: int) -> str:
        """Make deletions visible: archived objects when HubSpot counts fewer than we hold, then
        an id sweep when the counts still disagree or one is due. Returns the mode suffix."""
        suffix = ""
        if self.sync.live_count() + self.unlandable > total:
            for ids in self.client.ids(self.object_type, archived=True):
                self.sync.mark_deleted(ids)
            suffix = "+archived"
        last = self.sync.state().last_full_listing_at
        if (self.sync.live_count() + self.unlandable != total
                or sweep_due(last, self.settings["id_sweep_hours"], self.now)):
            self.sweep()
            suffix += "+sweep"
        return suffix

    def sweep(self) -> None:
        """Every live id: ids we lack are read in full, ids HubSpot no longer has are marked."""
        listed: set[str] = set()
        for ids in self.client.ids(self.object_type):
            listed.update(ids)
        held = set(self.sync.live_ids())
        missing = sorted(listed - held, key=lambda i: (len(i), i))
        for start in range(0, len(missing), 100):
            records = self.client.read_batch(self.object_type, missing[start:start + 100], self.properties)
            if self.associations and records:
                self.client.add_associations(self.object_type, records, self.associations)
            self.sync.add_page(records)
        self.sync.mark_unlisted(listed)
        self.unlandable = self.sync.unlandable or 0
        remember_unlandable(self.sync)


def sync_deal_stages(client: Any, sync: RawSync) -> SyncReport:
    """The deal pipelines' stages: one small request, listed in full."""
    started = time.monotonic()
    sync.add_page(client.deal_stages())
    sync.finish(full_listing=True)
    return report(sync, client.stats, "full", started)


def sync_owners(client: Any, sync: RawSync) -> SyncReport:
    """The owners, listed in full each run (a team is a few pages): live ones, then archived ones
    (a rep who left still owns records; routing needs to know they left). An owner HubSpot no
    longer lists at all is marked deleted."""
    started = time.monotonic()
    for archived in (False, True):
        after: str | None = None
        while True:
            records, after = client.owners_page(after=after, archived=archived)
            sync.add_page(records)
            if after is None:
                break
    sync.finish(full_listing=True)
    return report(sync, client.stats, "full", started)


# The company association each object type is listed with (contacts, deals and tickets belong
# to a company; companies and the pipeline's stages to nothing).
ASSOCIATIONS: dict[str, list[str] | None] = {"companies": None, "contacts": ["companies"], "deals": ["companies"],
                                             "tickets": ["companies"]}


def sync_object(client: Any, sync: RawSync, name: str, config: dict[str, Any]) -> SyncReport:
    """Sync one HubSpot raw object by its name (``hubspot.sources.registry``'s entry point)."""
    if name == "deal_stages":
        return sync_deal_stages(client, sync)
    if name == "owners":
        return sync_owners(client, sync)
    return sync_hubspot(client, sync, name, config, associations=ASSOCIATIONS[name])
