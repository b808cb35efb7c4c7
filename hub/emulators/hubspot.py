"""HubSpot CRM v3/v4 emulator: object listing and search, batch read, associations, deal
pipelines, HubSpot's rate-limit headers and error bodies (see saas-apis.md), and a private-app
token's scopes (``POST /oauth/v2/private-apps/get/access-token-info``).

hubspot-api-client runs against it unmodified: `HubSpot(access_token=token, host=emulator.url)`.
"""

from __future__ import annotations

import bisect
import copy
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from hub.emulators import _hubspot_search as search
from hub.emulators._hubspot_associations import SINGULAR, AssociationIndex, id_key, v4_list
from hub.emulators._hubspot_mutations import _ALIASES, MutationsMixin, _iso, modified_property
from hub.emulators._hubspot_owners import owner_by_id, owners_page
from hub.emulators._hubspot_pipelines import pipelines_payload
from hub.emulators._hubspot_writes import WritesMixin
from hub.emulators._server import (
    EmulatorServer,
    Request,
    Response,
    SlidingWindowLimiter,
    bearer_token,
    json_response,
)

_DEFAULT_PROPERTIES = {
    "companies": ["name", "domain"],
    "contacts": ["firstname", "lastname", "email"],
    "deals": ["dealname", "amount", "dealstage", "pipeline", "closedate"],
    "tickets": ["subject", "content", "hs_pipeline", "hs_pipeline_stage", "hs_ticket_priority"],
    "tasks": ["hs_task_subject", "hs_task_status", "hs_timestamp"],
}
# Properties every portal defines out of the box: requested, they come back (null when unset)
# whether or not any object has a value yet. Others become known once an object carries them.
_STANDARD_PROPERTIES = {
    "companies": ["name", "domain", "website", "industry", "city", "country", "phone", "lifecyclestage",
                  "hubspot_owner_id", "annualrevenue", "description", "numberofemployees"],
    "contacts": ["email", "firstname", "lastname", "jobtitle", "phone", "company", "lifecyclestage",
                 "hubspot_owner_id", "website", "city", "country"],
    "deals": ["dealname", "amount", "dealstage", "pipeline", "closedate", "hubspot_owner_id", "dealtype"],
    "tickets": ["subject", "content", "hs_pipeline", "hs_pipeline_stage", "hs_ticket_priority", "closed_date",
                "hubspot_owner_id", "source_type"],
    "tasks": ["hs_timestamp", "hs_task_subject", "hs_task_body", "hs_task_status", "hs_task_priority",
              "hs_task_type", "hubspot_owner_id"],
}
_DAILY_LIMIT = 250_000
_AUTH_MESSAGE = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you "
    "can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)


def _error(status: int, message: str, category: str, **extra: Any) -> Response:
    return json_response(status, {"status": "error", "message": message,
                                  "correlationId": str(uuid.uuid4()), "category": category, **extra})


def _rate_limited(window: str, policy: str) -> Response:
    return json_response(429, {"status": "error", "message": f"You have reached your {window} limit.",
                               "errorType": "RATE_LIMIT", "correlationId": str(uuid.uuid4()),
                               "policyName": policy})


def _names(values: list[str]) -> list[str]:
    """Array query params arrive repeated (`properties=a&properties=b`) or comma-separated."""
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


# What the emulated private app was granted (HubSpot's scope names; the tasks API asks for the
# contacts scopes, the properties API for crm.schemas.<object>.write).
READ_SCOPES = ["crm.objects.companies.read", "crm.objects.contacts.read", "crm.objects.deals.read",
               "crm.objects.owners.read", "crm.schemas.companies.read", "tickets"]
WRITE_SCOPES = ["crm.objects.companies.write", "crm.objects.contacts.write", "crm.objects.deals.write",
                "crm.schemas.companies.write"]


class HubSpotEmulator(WritesMixin, MutationsMixin, EmulatorServer):
    """Serves `objects` (type -> objects), `associations` ((from, to) -> [(from id, to id)]),
    the deal `pipelines` and the `owners` (``GET /crm/v3/owners`` results, archived ones too);
    with ``write_scopes`` (the default) it takes the writes of ``_hubspot_writes`` too, else it
    answers them 403 MISSING_SCOPES as a read-only private app."""

    def __init__(
        self,
        objects: dict[str, list[dict]],
        associations: dict[tuple[str, str], list[tuple[str, str]]] | None = None,
        pipelines: list[dict] | None = None,
        owners: list[dict] | None = None,
        *,
        token: str = "pat-na1-demo-token",
        requests_per_10s: int | None = 100,
        search_per_second: float | None = 5.0,
        search_cap: int = 10_000,
        daily_limit: int = _DAILY_LIMIT,
        max_url_length: int | None = 8192,
        write_scopes: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(host=host, port=port)
        self.token = token
        self.search_cap = search_cap  # tests lower it to meet the 10,000-result cap cheaply
        self.max_url_length = max_url_length  # longer request lines answer 414, as HubSpot's edge does
        self._lock = threading.RLock()
        self._objects: dict[str, dict[str, dict]] = {t: {} for t in _DEFAULT_PROPERTIES}
        for object_type, items in objects.items():
            self._objects[object_type] = {str(o["id"]): copy.deepcopy(o) for o in items}
        self._order: dict[str, list[tuple]] = {}
        self._known: dict[str, set[str]] = {}
        self._assoc = AssociationIndex(associations or {})
        self._pipelines = copy.deepcopy(pipelines or [])
        self.owners = copy.deepcopy(owners or [])  # tests change them between syncs
        self._limiter = SlidingWindowLimiter(requests_per_10s, 10.0) if requests_per_10s else None
        self._search_limiter = None
        if search_per_second:
            per_window = max(1, round(search_per_second))
            self._search_limiter = SlidingWindowLimiter(per_window, per_window / search_per_second)
        self._daily_used = 0
        self.daily_limit = daily_limit  # past it every non-search request answers 429 DAILY
        self._frozen: datetime | None = None  # see freeze_clock
        self._purged: set[tuple[str, str]] = set()  # GDPR-deleted: their associations vanish too
        self.write_scopes = write_scopes
        self._init_writes()

    # -- HTTP --------------------------------------------------------------------------------
    def fault_response(self, status: int) -> Response:
        if status == 429:
            return _rate_limited("ten_secondly_rolling", "TEN_SECONDLY_ROLLING")
        if status == 414:
            return _error(414, "URI Too Long", "URI_TOO_LONG")
        return _error(status, "internal error (injected)", "INTERNAL_ERROR")

    def handle(self, request: Request) -> Response:
        if bearer_token(request) != self.token:
            return _error(401, _AUTH_MESSAGE, "INVALID_AUTHENTICATION")
        seg = request.segments
        is_search = request.method == "POST" and seg[:3] == ["crm", "v3", "objects"] and seg[-1:] == ["search"]
        if is_search:
            if self._search_limiter and not self._search_limiter.acquire(self.token).allowed:
                return _rate_limited("secondly", "SECONDLY")
            return self._route(request, seg)
        allowed, headers = self._rate_check()
        if self._daily_used > self.daily_limit:
            response = _rate_limited("daily", "DAILY")
        elif allowed:
            response = self._route(request, seg)
        else:
            response = _rate_limited("ten_secondly_rolling", "TEN_SECONDLY_ROLLING")
        response.headers.update(headers)
        return response

    def _rate_check(self) -> tuple[bool, dict[str, str]]:
        """Whether the ten-second window admits this request, and the headers to send."""
        with self._lock:
            self._daily_used += 1
            daily_remaining = max(0, self.daily_limit - self._daily_used)
        headers = {"X-HubSpot-RateLimit-Daily": str(self.daily_limit),
                   "X-HubSpot-RateLimit-Daily-Remaining": str(daily_remaining)}
        if self._limiter is None:
            return True, headers
        decision = self._limiter.acquire(self.token)
        headers.update({
            "X-HubSpot-RateLimit-Max": str(self._limiter.limit),
            "X-HubSpot-RateLimit-Remaining": str(decision.remaining),
            "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
        })
        return decision.allowed, headers

    def scopes(self) -> list[str]:
        """The private app's scopes: read scopes, and write scopes unless ``write_scopes`` is off."""
        granted = READ_SCOPES + (WRITE_SCOPES if self.write_scopes else [])
        return sorted(granted)

    def _token_info(self, request: Request) -> Response:
        """``POST /oauth/v2/private-apps/get/access-token-info``: the scopes of a private-app token."""
        try:
            key = (request.json() or {}).get("tokenKey")
        except (ValueError, AttributeError):
            key = None
        if key != self.token:
            return _error(400, "The token in tokenKey is not a private app access token of this account.",
                          "VALIDATION_ERROR")
        return json_response(200, {"userId": 1001, "hubId": 9_000_001, "appId": 2002, "scopes": self.scopes()})

    def _route(self, request: Request, seg: list[str]) -> Response:
        method, n = request.method, len(seg)
        if seg == ["oauth", "v2", "private-apps", "get", "access-token-info"] and method == "POST":
            return self._token_info(request)
        if self.write_scopes and method in ("POST", "PATCH") and seg[-1:] != ["search"] and seg[-2:] != ["batch", "read"] \
                or seg[:3] == ["crm", "v3", "properties"] or seg[-1:] == ["labels"]:
            written = self._write_route(request, seg)
            if written is not None:
                return written
        if seg[:3] == ["crm", "v3", "objects"] and n >= 4:
            object_type = self._object_type(seg[3])
            if object_type is None:
                return _error(404, f"Unable to infer object type from: {seg[3]}", "OBJECT_NOT_FOUND")
            if method == "GET" and n == 4:
                return self._list(object_type, request)
            if method == "GET" and n == 5:
                return self._get(object_type, seg[4], request)
            if method == "POST" and seg[4:] == ["search"]:
                return self._search(object_type, request)
            if method == "POST" and seg[4:] == ["batch", "read"]:
                return self._batch_read(object_type, request)
            if method in ("POST", "PATCH", "PUT", "DELETE"):
                return _error(403, "This app hasn't been granted all required scopes to make this "
                              "call (the emulator serves a read-only private app).", "MISSING_SCOPES")
        if seg[:3] == ["crm", "v4", "objects"] and n == 7 and seg[5] == "associations" and method == "GET":
            return self._v4_list(seg[3], seg[4], seg[6], request)
        if seg[:3] == ["crm", "v4", "associations"] and seg[5:] == ["batch", "read"] and method == "POST":
            return self._v4_batch(seg[3], seg[4], request)
        if seg[:3] == ["crm", "v3", "pipelines"] and n >= 4 and method == "GET":
            return self._pipelines_route(seg[3:])
        if seg[:3] == ["crm", "v3", "owners"] and n in (3, 4) and method == "GET":
            params = {k: request.param(k) for k in ("limit", "after", "archived", "email", "idProperty")}
            with self._lock:
                status, body = (owners_page(self.owners, params, self.url) if n == 3
                                else owner_by_id(self.owners, seg[3], params))
            if status != 200:
                return _error(status, body["message"], body["category"])
            return json_response(200, body)
        return _error(404, f"Resource not found: {request.path}", "OBJECT_NOT_FOUND")

    def _object_type(self, name: str) -> str | None:
        name = _ALIASES.get(name, name)
        return name if name in self._objects else None

    # -- objects -----------------------------------------------------------------------------
    def _properties(self, object_type: str, obj: dict) -> dict[str, Any]:
        """Stored properties plus the ones HubSpot always has (id, created, modified)."""
        props = dict(obj.get("properties") or {})
        props.setdefault("hs_object_id", obj["id"])
        props.setdefault("createdate", obj.get("createdAt"))
        props.setdefault(modified_property(object_type), obj.get("updatedAt"))
        return props

    def _known_properties(self, object_type: str) -> set[str]:
        if object_type not in self._known:
            names = set(_STANDARD_PROPERTIES.get(object_type, []))
            names |= {"hs_object_id", "createdate", modified_property(object_type)}
            for obj in self._objects[object_type].values():
                names.update(obj.get("properties") or {})
            names.update(self._defined.get(object_type, {}))  # custom properties made through the API
            self._known[object_type] = names
        return self._known[object_type]

    def _present(self, object_type: str, obj: dict, requested: list[str],
                 associations: list[str] | None = None) -> dict:
        props = self._properties(object_type, obj)
        known = self._known_properties(object_type)
        names = requested or _DEFAULT_PROPERTIES.get(object_type, [])
        names = [*names, "hs_object_id", "createdate", modified_property(object_type)]
        out: dict[str, Any] = {
            "id": obj["id"],
            "properties": {n: props.get(n) for n in sorted(set(names)) if n in props or n in known},
            "createdAt": obj.get("createdAt"),
            "updatedAt": obj.get("updatedAt"),
            "archived": bool(obj.get("archived", False)),
        }
        if obj.get("archived"):
            out["archivedAt"] = obj.get("archivedAt") or obj.get("updatedAt")
        linked = {}
        for to_type in associations or []:
            to_type = _ALIASES.get(to_type, to_type)
            ids = self._assoc.linked(object_type, obj["id"], to_type, self._live, self._linkable)
            if ids:
                linked[to_type] = self._assoc.v3_inline(object_type, obj["id"], to_type, ids)
        if linked:
            out["associations"] = linked
        return out

    def _live(self, object_type: str, object_id: str) -> bool:
        obj = self._objects.get(object_type, {}).get(object_id)
        return obj is not None and not obj.get("archived")

    def _linkable(self, object_type: str, object_id: str) -> bool:
        """Whether an association to this object is served: a live one, or one the emulator was
        never given (the data's parent was deleted after its child was read: a dangling id, as
        the hub meets it when objects are synced one after another). Archived and purged
        objects hide their associations, as HubSpot does."""
        if object_id in self._objects.get(object_type, {}):
            return self._live(object_type, object_id)
        return (object_type, object_id) not in self._purged

    def _list(self, object_type: str, request: Request) -> Response:
        try:
            limit = int(request.param("limit") or 10)
        except ValueError:
            limit = 0
        if not 0 < limit <= 100:
            return _error(400, f"limit must be between 1 and 100, got {request.param('limit')}",
                          "VALIDATION_ERROR")
        archived = (request.param("archived") or "false").lower() == "true"
        after = request.param("after")
        with self._lock:
            if object_type not in self._order:
                self._order[object_type] = sorted((id_key(i), i) for i in self._objects[object_type])
            order = self._order[object_type]
            start = bisect.bisect_left(order, (id_key(after), "")) if after else 0
            store, page, position = self._objects[object_type], [], start
            while position < len(order) and len(page) <= limit:
                obj = store[order[position][1]]
                position += 1
                if bool(obj.get("archived")) == archived:
                    page.append(obj)
            props = _names(request.params("properties"))
            assoc = _names(request.params("associations"))
            results = [self._present(object_type, o, props, assoc) for o in page[:limit]]
        payload: dict[str, Any] = {"results": results}
        if len(page) > limit:  # one extra object read ahead tells whether a next page exists
            next_after = page[limit]["id"]
            payload["paging"] = {"next": {"after": next_after, "link": (
                f"{self.url}/crm/v3/objects/{object_type}?limit={limit}&after={next_after}")}}
        return json_response(200, payload)

    def _get(self, object_type: str, object_id: str, request: Request) -> Response:
        archived = (request.param("archived") or "false").lower() == "true"
        id_property = request.param("idProperty")
        with self._lock:
            store = self._objects[object_type]
            if id_property:
                obj = next((o for o in store.values()
                            if self._properties(object_type, o).get(id_property) == object_id), None)
            else:
                obj = store.get(object_id)
            if obj is None or bool(obj.get("archived")) != archived:
                return _error(404, "Object not found.  objectId are usually numeric.",
                              "OBJECT_NOT_FOUND", context={"id": [object_id]})
            return json_response(200, self._present(object_type, obj, _names(
                request.params("properties")), _names(request.params("associations"))))

    def _search(self, object_type: str, request: Request) -> Response:
        try:
            body = request.json() or {}
        except ValueError:
            return _error(400, "Invalid input JSON", "VALIDATION_ERROR")
        problem = search.validate(body)
        if problem:
            return _error(400, problem, "VALIDATION_ERROR")
        after, limit = int(body.get("after") or 0), int(body.get("limit") or 10)
        if after >= self.search_cap:
            return _error(400, f"There was a problem with the request: search results are limited "
                          f"to {self.search_cap} per query and after={after} pages past them. Narrow "
                          f"the filters (e.g. on {modified_property(object_type)}) and search again.",
                          "VALIDATION_ERROR")
        matches = search.matcher(body)
        with self._lock:
            candidates = [(o, self._properties(object_type, o))
                          for o in self._objects[object_type].values() if not o.get("archived")]
            hits = [(o, p) for o, p in candidates if matches(p)]
            hits.sort(key=lambda hit: id_key(hit[0]["id"]))
            for name, descending in reversed(search.sort_spec(body)):
                hits.sort(key=lambda hit, n=name: search.sort_value(hit[1].get(n)), reverse=descending)
            window = hits[after: min(after + limit, self.search_cap)]
            results = [self._present(object_type, o, _names(body.get("properties") or [])) for o, _ in window]
        payload: dict[str, Any] = {"total": len(hits), "results": results}
        if after + len(window) < len(hits):
            payload["paging"] = {"next": {"after": str(after + len(window))}}
        return json_response(200, payload)

    def _batch_read(self, object_type: str, request: Request) -> Response:
        try:
            body = request.json() or {}
            ids = [str(item["id"]) for item in body.get("inputs") or []]
        except (ValueError, KeyError, TypeError, AttributeError):
            return _error(400, "Invalid input JSON: inputs must be [{\"id\": …}]", "VALIDATION_ERROR")
        if len(ids) > 100:
            return _error(400, f"Batch input too large: {len(ids)} inputs (maximum 100)", "VALIDATION_ERROR")
        archived = (request.param("archived") or "false").lower() == "true"
        now = _iso(datetime.now(UTC))
        with self._lock:
            store = self._objects[object_type]
            found = [store[i] for i in ids if i in store and bool(store[i].get("archived")) == archived]
            missing = [i for i in ids if i not in {o["id"] for o in found}]
            props = _names(body.get("properties") or [])
            results = [self._present(object_type, o, props) for o in found]
        payload: dict[str, Any] = {"status": "COMPLETE", "results": results,
                                   "startedAt": now, "completedAt": now}
        if not missing:
            return json_response(200, payload)
        payload.update(numErrors=1, errors=[{
            "status": "error", "category": "OBJECT_NOT_FOUND",
            "message": f"Could not get some {SINGULAR.get(object_type, object_type).upper()} objects, "
                       "they may be deleted or not exist. Check that ids are valid.",
            "context": {"ids": missing}}])
        return json_response(207, payload)

    # -- associations v4 ---------------------------------------------------------------------
    def _v4_list(self, from_name: str, from_id: str, to_name: str, request: Request) -> Response:
        types = self._object_type(from_name), self._object_type(to_name)
        if None in types:
            return _error(404, f"Unable to infer object type from: {from_name}/{to_name}", "OBJECT_NOT_FOUND")
        with self._lock:
            status, payload = v4_list(self._assoc, types[0], from_id, types[1], request, self._live,
                                      self._linkable)
        return json_response(status, payload)

    def _v4_batch(self, from_name: str, to_name: str, request: Request) -> Response:
        from_type, to_type = self._object_type(from_name), self._object_type(to_name)
        if from_type is None or to_type is None:
            return _error(404, f"Unable to infer object type from: {from_name}/{to_name}", "OBJECT_NOT_FOUND")
        try:
            ids = [str(item["id"]) for item in (request.json() or {}).get("inputs") or []]
        except (ValueError, KeyError, TypeError, AttributeError):
            return _error(400, "Invalid input JSON: inputs must be [{\"id\": …}]", "VALIDATION_ERROR")
        with self._lock:
            linked = {i: self._assoc.linked(from_type, i, to_type, self._live, self._linkable) for i in ids}
        status, payload = self._assoc.v4_batch(from_type, to_type, linked, _iso(datetime.now(UTC)))
        return json_response(status, payload)

    # -- pipelines ---------------------------------------------------------------------------
    def _pipelines_route(self, rest: list[str]) -> Response:
        object_type = _ALIASES.get(rest[0], rest[0])
        if object_type not in ("deals", "tickets"):
            return _error(404, f"Unable to infer object type from: {rest[0]}", "OBJECT_NOT_FOUND")
        payload = pipelines_payload(self._pipelines if object_type == "deals" else [], rest[1:])
        if payload is None:
            return _error(404, f"Unable to find pipeline {rest[1]}", "OBJECT_NOT_FOUND")
        return json_response(200, payload)
