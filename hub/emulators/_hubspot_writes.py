"""The HubSpot emulator's write endpoints, as a private app with write scopes sees them (CRM v3
objects, v3 properties, v4 association labels): what playbooks need to create tasks, write the
health score back onto companies and assign owners.

- ``POST /crm/v3/objects/{type}`` creates (``properties`` and v4-style ``associations``);
  tasks need ``hs_timestamp``. ``PATCH /crm/v3/objects/{type}/{id}`` and
  ``POST .../batch/update`` (up to 100 inputs) update.
- A property must exist to be written: unknown names answer 400 ``PROPERTY_DOESNT_EXIST``, as
  HubSpot does; ``POST /crm/v3/properties/{type}`` defines a custom property, ``GET
  /crm/v3/properties/{type}/{name}`` reads one (404 when undefined).
- ``hubspot_owner_id`` must name an owner of the account (400 ``INVALID_OWNER_ID`` otherwise).
- ``GET /crm/v4/associations/{from}/{to}/labels`` lists the association types.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from hub.emulators._hubspot_associations import SINGULAR, association_type_ids
from hub.emulators._server import Request, Response, json_response

_BATCH_MAX = 100
_REQUIRED = {"tasks": ("hs_timestamp",)}
_TASK_STATUS = {"NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED", "DEFERRED"}
_TASK_PRIORITY = {"LOW", "MEDIUM", "HIGH", "NONE"}
_TYPES = {"string", "number", "date", "datetime", "enumeration", "bool"}


def _invalid(errors: list[dict[str, Any]]) -> tuple[int, dict[str, Any]]:
    return 400, {"status": "error", "category": "VALIDATION_ERROR",
                 "message": "Property values were not valid: " + json.dumps(errors), "errors": [
                     {"message": e["message"], "code": e["error"], "context": {"propertyName": [e["name"]]}}
                     for e in errors]}


class WritesMixin:
    """Mixed into ``HubSpotEmulator`` (after ``MutationsMixin``, whose ``upsert`` stores)."""

    _lock: threading.RLock
    _objects: dict[str, dict[str, dict]]
    owners: list[dict]

    def _init_writes(self) -> None:
        self._defined: dict[str, dict[str, dict[str, Any]]] = {}  # type -> custom property -> definition
        self.writes = 0  # write requests served (tests count them: a retried run must add none)

    # -- validation --------------------------------------------------------------------------
    def _writable(self, object_type: str) -> set[str]:
        return set(self._known_properties(object_type))  # type: ignore[attr-defined]

    def _check(self, object_type: str, properties: Any, *, creating: bool) -> tuple[int, dict] | None:
        if not isinstance(properties, dict):
            return 400, {"status": "error", "category": "VALIDATION_ERROR",
                         "message": "Invalid input JSON: properties must be an object"}
        known = self._writable(object_type)
        errors = [{"isValid": False, "message": f'Property "{name}" does not exist', "error": "PROPERTY_DOESNT_EXIST",
                   "name": name} for name in properties if name not in known]
        if creating:
            errors += [{"isValid": False, "message": f"{name} is required", "error": "REQUIRED_FIELD", "name": name}
                       for name in _REQUIRED.get(object_type, ()) if not properties.get(name)]
        if object_type == "tasks":
            for name, allowed in (("hs_task_status", _TASK_STATUS), ("hs_task_priority", _TASK_PRIORITY)):
                value = properties.get(name)
                if value not in (None, "") and value not in allowed:
                    errors.append({"isValid": False, "message": f"{value} was not one of the allowed options",
                                   "error": "INVALID_OPTION", "name": name})
        owner = properties.get("hubspot_owner_id")
        if owner not in (None, "") and str(owner) not in {str(o.get("id")) for o in self.owners}:
            errors.append({"isValid": False, "message": f"{owner} is not a valid owner id", "error": "INVALID_OWNER_ID",
                           "name": "hubspot_owner_id"})
        return _invalid(errors) if errors else None

    # -- routes ------------------------------------------------------------------------------
    def _write_route(self, request: Request, seg: list[str]) -> Response | None:
        """The answer to a write request, or None when the path is not a write endpoint."""
        method, n = request.method, len(seg)
        if seg[:3] == ["crm", "v3", "properties"] and n in (4, 5):
            return self._properties_route(request, seg[3], seg[4] if n == 5 else None)
        if seg[:3] == ["crm", "v4", "associations"] and n == 6 and seg[5] == "labels" and method == "GET":
            return self._labels(seg[3], seg[4])
        if seg[:3] != ["crm", "v3", "objects"] or n < 4:
            return None
        object_type = self._object_type(seg[3])  # type: ignore[attr-defined]
        if object_type is None:
            return None
        try:
            body = request.json() if request.body else {}
        except ValueError:
            return self._fail(400, "Invalid input JSON", "VALIDATION_ERROR")
        if method == "POST" and seg[4:] == ["gdpr-delete"] and object_type == "contacts":
            return self._gdpr_delete(body or {})
        if method == "POST" and n == 4:
            return self._create(object_type, body or {})
        if method == "PATCH" and n == 5:
            return self._update(object_type, seg[4], body or {})
        if method == "POST" and seg[4:] == ["batch", "update"]:
            return self._batch_update(object_type, body or {})
        return None

    def _fail(self, status: int, message: str, category: str, **extra: Any) -> Response:
        from hub.emulators.hubspot import _error
        return _error(status, message, category, **extra)

    def _create(self, object_type: str, body: dict[str, Any]) -> Response:
        properties = body.get("properties") or {}
        problem = self._check(object_type, properties, creating=True)
        if problem:
            return json_response(*problem)
        links = []
        for item in body.get("associations") or []:
            try:
                to_id = str(item["to"]["id"])
                type_ids = {int(t["associationTypeId"]) for t in item["types"]}
            except (KeyError, TypeError, ValueError):
                return self._fail(400, "Invalid input JSON: associations need to.id and types", "VALIDATION_ERROR")
            to_type = next((t for t, ids in association_type_ids(object_type).items() if type_ids & ids), None)
            if to_type is None:
                return self._fail(400, f"association type ids {sorted(type_ids)} are not defined from "
                                  f"{object_type}", "VALIDATION_ERROR")
            if not self._live(to_type, to_id):  # type: ignore[attr-defined]
                return self._fail(400, f"{SINGULAR.get(to_type, to_type)} {to_id} does not exist",
                                  "VALIDATION_ERROR")
            links.append((to_type, to_id))
        with self._lock:
            self.writes += 1
            created = self.upsert(object_type, {"properties": properties})  # type: ignore[attr-defined]
            for to_type, to_id in links:
                self.associate(object_type, created["id"], to_type, to_id)  # type: ignore[attr-defined]
            return json_response(201, self._present(object_type, created, list(properties)))  # type: ignore[attr-defined]

    def _gdpr_delete(self, body: dict[str, Any]) -> Response:
        """``POST /crm/v3/objects/contacts/gdpr-delete``: the contact is purged (gone from listings,
        archived ones and associations alike); ``idProperty: email`` finds it by address."""
        wanted = str(body.get("objectId") or "")
        if not wanted:
            return self._fail(400, "Invalid input JSON: objectId is required", "VALIDATION_ERROR")
        with self._lock:
            store = self._objects["contacts"]
            if body.get("idProperty") == "email":
                found = next((i for i, o in store.items()
                              if str((o.get("properties") or {}).get("email") or "").lower() == wanted.lower()), None)
            else:
                found = wanted if wanted in store else None
            if found is None:
                return self._fail(404, "Object not found.  objectId are usually numeric.", "OBJECT_NOT_FOUND",
                                  context={"id": [wanted]})
            self.writes += 1
            self.purge("contacts", found)  # type: ignore[attr-defined]
        return Response(204, b"", {})

    def _update(self, object_type: str, object_id: str, body: dict[str, Any]) -> Response:
        properties = body.get("properties") or {}
        problem = self._check(object_type, properties, creating=False)
        if problem:
            return json_response(*problem)
        with self._lock:
            if not self._live(object_type, object_id):  # type: ignore[attr-defined]
                return self._fail(404, "Object not found.  objectId are usually numeric.", "OBJECT_NOT_FOUND",
                                  context={"id": [object_id]})
            self.writes += 1
            updated = self.upsert(object_type, {"id": object_id, "properties": properties})  # type: ignore[attr-defined]
            return json_response(200, self._present(object_type, updated, list(properties)))  # type: ignore[attr-defined]

    def _batch_update(self, object_type: str, body: dict[str, Any]) -> Response:
        inputs = body.get("inputs")
        if not isinstance(inputs, list) or any(not isinstance(i, dict) or not i.get("id") for i in inputs):
            return self._fail(400, "Invalid input JSON: inputs must be [{\"id\": …, \"properties\": {…}}]",
                              "VALIDATION_ERROR")
        if len(inputs) > _BATCH_MAX:
            return self._fail(400, f"Batch input too large: {len(inputs)} inputs (maximum {_BATCH_MAX})",
                              "VALIDATION_ERROR")
        for item in inputs:
            problem = self._check(object_type, item.get("properties") or {}, creating=False)
            if problem:
                return json_response(*problem)
        with self._lock:
            missing = [str(i["id"]) for i in inputs if not self._live(object_type, str(i["id"]))]  # type: ignore[attr-defined]
            if missing:  # HubSpot fails the whole batch on an unknown id
                return self._fail(400, f"Could not update some {object_type}: {len(missing)} ids do not exist",
                                  "VALIDATION_ERROR", context={"ids": missing})
            self.writes += 1
            results = [self._present(object_type, self.upsert(  # type: ignore[attr-defined]
                object_type, {"id": str(i["id"]), "properties": i.get("properties") or {}}),
                list(i.get("properties") or {})) for i in inputs]  # type: ignore[attr-defined]
        return json_response(200, {"status": "COMPLETE", "results": results})

    def _properties_route(self, request: Request, type_name: str, name: str | None) -> Response:
        object_type = self._object_type(type_name)  # type: ignore[attr-defined]
        if object_type is None:
            return self._fail(404, f"Unable to infer object type from: {type_name}", "OBJECT_NOT_FOUND")
        with self._lock:
            defined = self._defined.setdefault(object_type, {})
            if request.method == "GET" and name:
                if name in defined:
                    return json_response(200, defined[name])
                if name in self._known_properties(object_type):  # type: ignore[attr-defined]
                    return json_response(200, {"name": name, "type": "string", "fieldType": "text",
                                               "hubspotDefined": True})
                return self._fail(404, f"Unable to find property {name}", "OBJECT_NOT_FOUND")
            if request.method == "POST" and name is None:
                try:
                    body = request.json() or {}
                except ValueError:
                    return self._fail(400, "Invalid input JSON", "VALIDATION_ERROR")
                new = str(body.get("name") or "")
                if not new or body.get("type") not in _TYPES or not body.get("label") or not body.get("groupName"):
                    return self._fail(400, "a property needs name, label, type (one of "
                                      f"{sorted(_TYPES)}), fieldType and groupName", "VALIDATION_ERROR")
                if new in defined or new in self._known_properties(object_type):  # type: ignore[attr-defined]
                    return self._fail(409, f"A property named '{new}' already exists.", "OBJECT_ALREADY_EXISTS")
                self.writes += 1
                defined[new] = {**body, "hubspotDefined": False}
                self._known.pop(object_type, None)  # type: ignore[attr-defined]
                return json_response(201, defined[new])
        return self._fail(405, "Method not allowed", "VALIDATION_ERROR")

    def _labels(self, from_name: str, to_name: str) -> Response:
        from_type, to_type = self._object_type(from_name), self._object_type(to_name)  # type: ignore[attr-defined]
        if from_type is None or to_type is None:
            return self._fail(404, f"Unable to infer object type from: {from_name}/{to_name}", "OBJECT_NOT_FOUND")
        ids = association_type_ids(from_type).get(to_type, set())
        return json_response(200, {"results": [{"category": "HUBSPOT_DEFINED", "typeId": i, "label": None}
                                               for i in sorted(ids)]})
