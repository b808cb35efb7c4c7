"""HubSpot associations: an index over the (from id, to id) pairs of `SourceData`, served in
the v3 inline form (`?associations=companies`) and the v4 form (`toObjectId`, `associationTypes`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SINGULAR = {"contacts": "contact", "companies": "company", "deals": "deal", "tickets": "ticket", "tasks": "task"}

# HUBSPOT_DEFINED association type ids: (primary, unlabeled). Only the *_to_company directions
# (and their reverses) have a "Primary" label; the others are unlabeled only.
_TYPE_IDS: dict[tuple[str, str], tuple[int | None, int]] = {
    ("contacts", "companies"): (1, 279), ("companies", "contacts"): (2, 280),
    ("deals", "companies"): (5, 341), ("companies", "deals"): (6, 342),
    ("tickets", "companies"): (26, 339), ("companies", "tickets"): (25, 340),
    ("contacts", "deals"): (None, 4), ("deals", "contacts"): (None, 3),
    ("contacts", "tickets"): (None, 15), ("tickets", "contacts"): (None, 16),
    ("deals", "tickets"): (None, 27), ("tickets", "deals"): (None, 28),
    ("tasks", "companies"): (None, 192), ("companies", "tasks"): (None, 191),
    ("tasks", "contacts"): (None, 204), ("contacts", "tasks"): (None, 203),
}


def association_type_ids(from_type: str) -> dict[str, set[int]]:
    """To-type -> the HUBSPOT_DEFINED association type ids from ``from_type`` (v4 labels)."""
    out: dict[str, set[int]] = {}
    for (source, target), (primary, unlabeled) in _TYPE_IDS.items():
        if source == from_type:
            out[target] = {unlabeled} | ({primary} if primary is not None else set())
    return out


def id_key(object_id: str) -> tuple[int, int, str]:
    """HubSpot orders objects by numeric id."""
    return (0, int(object_id), "") if object_id.isdigit() else (1, 0, object_id)


def _wire_id(object_id: str) -> int | str:
    return int(object_id) if object_id.isdigit() else object_id  # v4 sends numbers


class AssociationIndex:
    """Both directions of every association; the first company listed for a contact, deal or
    ticket is its primary company (HubSpot's "Primary" label)."""

    def __init__(self, pairs: dict[tuple[str, str], list[tuple[str, str]]]) -> None:
        self._links: dict[tuple[str, str], dict[str, list[str]]] = {}
        self._primary: set[tuple[str, str, str]] = set()
        for (from_type, to_type), links in pairs.items():
            for from_id, to_id in links:
                self.add(from_type, str(from_id), to_type, str(to_id))

    def add(self, from_type: str, from_id: str, to_type: str, to_id: str) -> None:
        forward = self._links.setdefault((from_type, to_type), {}).setdefault(from_id, [])
        if to_id in forward:
            return
        if to_type == "companies" and not forward:
            self._primary.add((from_type, from_id, to_id))
        forward.append(to_id)
        self._links.setdefault((to_type, from_type), {}).setdefault(to_id, []).append(from_id)

    def targets(self, from_type: str, from_id: str, to_type: str) -> list[str]:
        return list(self._links.get((from_type, to_type), {}).get(from_id, []))

    def linked(self, from_type: str, from_id: str, to_type: str,
               live: Callable[[str, str], bool],
               target: Callable[[str, str], bool] | None = None) -> list[str]:
        """Targets in id order, leaving out archived objects on either side (HubSpot hides
        associations of archived objects); ``target`` (default ``live``) judges the far side."""
        if not live(from_type, from_id):
            return []
        shown = target or live
        return sorted((i for i in self.targets(from_type, from_id, to_type) if shown(to_type, i)), key=id_key)

    def v4_batch(self, from_type: str, to_type: str, linked: dict[str, list[str]],
                 now: str) -> tuple[int, dict]:
        """Status and body of `POST /crm/v4/associations/{from}/{to}/batch/read`: 207 with a
        NO_ASSOCIATIONS_FOUND error per input that has none."""
        results, errors = [], []
        for from_id, to_ids in linked.items():
            if to_ids:
                results.append({"from": {"id": from_id}, "to": [
                    self.v4_entry(from_type, from_id, to_type, i) for i in to_ids]})
            else:
                errors.append({
                    "status": "error", "category": "OBJECT_NOT_FOUND",
                    "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                    "message": f"No {SINGULAR.get(to_type, to_type)} is associated with "
                               f"{SINGULAR.get(from_type, from_type)} {from_id}.",
                    "context": {"fromObjectId": [from_id]}})
        payload: dict[str, Any] = {"status": "COMPLETE", "results": results,
                                   "startedAt": now, "completedAt": now}
        if errors:
            payload.update(numErrors=len(errors), errors=errors)
        return (207 if errors else 200), payload

    def _is_primary(self, from_type: str, from_id: str, to_type: str, to_id: str) -> bool:
        if to_type == "companies":
            return (from_type, from_id, to_id) in self._primary
        return from_type == "companies" and (to_type, to_id, from_id) in self._primary

    def v3_inline(self, from_type: str, from_id: str, to_type: str, to_ids: list[str]) -> dict:
        kind = f"{SINGULAR.get(from_type, from_type)}_to_{SINGULAR.get(to_type, to_type)}"
        return {"results": [{"id": to_id, "type": kind} for to_id in to_ids]}

    def v4_entry(self, from_type: str, from_id: str, to_type: str, to_id: str) -> dict[str, Any]:
        primary, unlabeled = _TYPE_IDS.get((from_type, to_type), (None, 0))
        types = []
        if primary is not None and self._is_primary(from_type, from_id, to_type, to_id):
            types.append({"category": "HUBSPOT_DEFINED", "typeId": primary, "label": "Primary"})
        types.append({"category": "HUBSPOT_DEFINED", "typeId": unlabeled, "label": None})
        return {"toObjectId": _wire_id(to_id), "associationTypes": types}


def v4_list(index: AssociationIndex, from_type: str, from_id: str, to_type: str, request: Any,
            live: Callable[[str, str], bool],
            target: Callable[[str, str], bool] | None = None) -> tuple[int, dict]:
    """Status and body of `GET /crm/v4/objects/{from}/{id}/associations/{to}` (paged by offset)."""
    try:
        limit = min(500, int(request.param("limit") or 500))
        after = int(request.param("after") or 0)
    except ValueError:
        return 400, {"status": "error", "message": "limit and after must be numbers", "category": "VALIDATION_ERROR"}
    ids = index.linked(from_type, from_id, to_type, live, target)
    payload: dict[str, Any] = {"results": [index.v4_entry(from_type, from_id, to_type, i)
                                           for i in ids[after: after + limit]]}
    if after + limit < len(ids):
        payload["paging"] = {"next": {"after": str(after + limit)}}
    return 200, payload
