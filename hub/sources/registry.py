"""The sources and their sync entry points: one call syncs any raw object, whatever its source
(the raw assets and the sync tests both come through here)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hub.raw import RAW_OBJECTS, RawSync
from hub.sources.airtable.sync import sync_airtable
from hub.sources.hubspot.sync import sync_object as sync_hubspot_object
from hub.sources.salesforce.sync import sync_salesforce
from hub.sync import SyncReport

SourceSync = Callable[[Any, RawSync, str, dict[str, Any]], SyncReport]
SYNCS: dict[str, SourceSync] = {
    "airtable": sync_airtable,
    "hubspot": sync_hubspot_object,
    "salesforce": sync_salesforce,
}
SOURCES = tuple(SYNCS)


def sync_object(connector: Any, raw: RawSync, config: dict[str, Any]) -> SyncReport:
    """Sync ``raw``'s object from its source through ``connector`` (the source's client)."""
    obj = raw.obj
    if obj.key not in RAW_OBJECTS:
        raise KeyError(f"no raw object {obj.key!r}")
    return SYNCS[obj.source](connector, raw, obj.source_object, config)
