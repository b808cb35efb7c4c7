"""The HubSpot emulator's mutation API, for tests and the demo: state that changes between
syncs (create, update, archive, GDPR purge, associate) and a clock that can be frozen."""

from __future__ import annotations

import copy
import threading
from datetime import UTC, datetime
from typing import Any

from hub.emulators._hubspot_associations import SINGULAR, AssociationIndex

_ALIASES = {"0-1": "contacts", "0-2": "companies", "0-3": "deals", "0-5": "tickets", "0-27": "tasks",
            **{singular: plural for plural, singular in SINGULAR.items()}}


def modified_property(object_type: str) -> str:
    """Contacts keep `lastmodifieddate`; companies, deals and tickets `hs_lastmodifieddate`."""
    return "lastmodifieddate" if object_type == "contacts" else "hs_lastmodifieddate"


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class MutationsMixin:
    """Mixed into `HubSpotEmulator`, whose state it changes."""

    _lock: threading.RLock
    _objects: dict[str, dict[str, dict]]
    _order: dict[str, Any]
    _known: dict[str, Any]
    _assoc: AssociationIndex
    _frozen: datetime | None
    _purged: set[tuple[str, str]]

    # -- mutation API ------------------------------------------------------------------------
    def upsert(self, object_type: str, record: dict) -> dict:
        """Create or update an object; properties merge over the stored ones and the modified
        stamps (updatedAt and the type's last-modified property) move to now."""
        object_type = _ALIASES.get(object_type, object_type)
        now = self._frozen or datetime.now(UTC)
        with self._lock:
            store = self._objects.setdefault(object_type, {})
            object_id = str(record.get("id") or self._next_id(store))
            existing = store.get(object_id)
            merged = copy.deepcopy(existing) if existing else {"createdAt": _iso(now), "properties": {}}
            merged.update({k: copy.deepcopy(v) for k, v in record.items() if k != "properties"})
            merged["properties"].update(copy.deepcopy(record.get("properties") or {}))
            stamp_prop = modified_property(object_type)
            merged["properties"][stamp_prop] = self._stamp_like(object_type, existing, now)
            merged.update(id=object_id, updatedAt=_iso(now), archived=False)
            merged.pop("archivedAt", None)
            store[object_id] = merged
            self._order.pop(object_type, None)
            self._known.pop(object_type, None)
            return copy.deepcopy(merged)

    def delete(self, object_type: str, object_id: str) -> None:
        """Archive an object: gone from listings and search, listed with `archived=true`."""
        object_type = _ALIASES.get(object_type, object_type)
        with self._lock:
            obj = self._objects.get(object_type, {}).get(str(object_id))
            if obj is None:
                raise KeyError(f"HubSpot has no {object_type} object {object_id!r}")
            now = _iso(datetime.now(UTC))
            obj.update(archived=True, archivedAt=now, updatedAt=now)

    def snapshot(self, object_type: str) -> dict[str, dict]:
        """The live (not archived) objects of a type by id, as stored (for comparisons)."""
        with self._lock:
            return {i: copy.deepcopy(o) for i, o in self._objects.get(_ALIASES.get(object_type, object_type),
                                                                       {}).items() if not o.get("archived")}

    def purge(self, object_type: str, object_id: str) -> None:
        """GDPR deletion: the object vanishes entirely, archived listings and associations included."""
        object_type = _ALIASES.get(object_type, object_type)
        with self._lock:
            del self._objects[object_type][str(object_id)]
            self._purged.add((object_type, str(object_id)))
            self._order.pop(object_type, None)

    def _next_id(self, store: dict[str, dict]) -> str:
        return str(max((int(i) for i in store if i.isdigit()), default=0) + 1)

    def _stamp_like(self, object_type: str, existing: dict | None, now: datetime) -> str:
        # Keep the format the data already uses (epoch ms or ISO); epoch ms by default.
        prop = modified_property(object_type)
        sample = (existing or {}).get("properties", {}).get(prop) or next(
            (o["properties"].get(prop) for o in self._objects[object_type].values()
             if o.get("properties", {}).get(prop)), None)
        if sample and not str(sample).isdigit():
            return _iso(now)
        return str(int(now.timestamp() * 1000))

    def freeze_clock(self, moment: datetime | None) -> None:
        """Stamp every later change with `moment` (None: the real clock again): many objects
        sharing one modified time, as an import or a workflow leaves them."""
        self._frozen = moment

    def associate(self, from_type: str, from_id: str, to_type: str, to_id: str) -> None:
        """Link two objects (both directions), as the CRM's association API does."""
        with self._lock:
            self._assoc.add(_ALIASES.get(from_type, from_type), str(from_id), _ALIASES.get(to_type, to_type),
                            str(to_id))
