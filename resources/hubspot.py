"""HubSpot CRM v3/v4 through hubspot-api-client: paced listing, search, batch reads and
association reads, with the one retry / rate-limit policy for HubSpot. The sync strategy (first
listing, incremental search windows, archived and GDPR id sweeps) is ``hub.sources.hubspot.sync``.

The client builds, authenticates and checks every request; its answers are read as the JSON on
the wire (``_preload_content=False``): the client's model layer parses every timestamp with
dateutil, about 70 ms per page of 100, which alone would hold a sync under the rate limit, and
the wire JSON is the payload the raw layer keeps anyway."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import dagster as dg
import requests
import urllib3
from hubspot import HubSpot

from hub.config import HUBSPOT_API_URL
from hub.pacing import ApiPolicy, CallStats, RateLimiter
from hub.raw import Record, SourceError, SourceStopped

SCOPES = {"companies": "crm.objects.companies.read", "contacts": "crm.objects.contacts.read",
          "deals": "crm.objects.deals.read", "tickets": "tickets", "owners": "crm.objects.owners.read"}
SINGULAR = {"companies": "company", "contacts": "contact", "deals": "deal", "tickets": "ticket"}
_BATCH_READ_MAX = 100


class HubSpotResource(dg.ConfigurableResource):
    """A HubSpot account. ``token`` (a private-app token) comes from HUBSPOT_TOKEN through EnvVar;
    the rate tier, timeouts and lookback from the ``hubspot:`` section of HUB_CONFIG."""

    api_url: str = HUBSPOT_API_URL
    token: str | None = None

    def connector(self, config: dict[str, Any]) -> HubSpotConnector:
        if not self.token:
            raise SourceError("HubSpot: HUBSPOT_TOKEN is not set: set it to a private-app token with "
                              + ", ".join(SCOPES.values()))
        return HubSpotConnector(self.api_url, self.token, config["hubspot"])


class HubSpotConnector:
    """One sync's conversation with a HubSpot account."""

    def __init__(self, api_url: str, token: str, settings: dict[str, Any]) -> None:
        self.api_url = api_url.rstrip("/")
        self.settings = settings
        self.stats = CallStats()
        # retry=False: urllib3's own silent retries would bypass the policy below and its counts.
        self._client = HubSpot(access_token=token, host=api_url, retry=False)
        self._token = token
        # HubSpot limits per account (token): every sync of it in the process shares the budget.
        account = ("hubspot", self.api_url, hashlib.sha256(token.encode()).hexdigest())
        tier = settings["requests_per_10s"]
        margin = settings["pace_margin"]
        self._limiter = RateLimiter.shared(account, tier, 10.0, margin=margin) if tier else None
        self._search_limiter = RateLimiter.shared_per_second((*account, "search"), settings["search_per_second"],
                                                             margin=margin)
        self._policy = ApiPolicy(self._classify, max_attempts=settings["max_attempts"],
                                 base_delay=settings["retry_base_seconds"],
                                 max_delay=settings["retry_max_seconds"], stats=self.stats)

    def _classify(self, exc: BaseException) -> float | None:
        status = getattr(exc, "status", None)
        if _is_api_exception(exc) and isinstance(status, int):
            if status == 429 and _daily_limit(exc):
                return None  # the day's allocation is spent: waiting seconds will not help
            if status == 429:  # HubSpot sends no Retry-After; the windows are 1 s and 10 s
                return float(self.settings["rate_limit_wait_seconds"])
            return 0.0 if status >= 500 or status == 0 else None
        if isinstance(exc, urllib3.exceptions.HTTPError):  # reset, refused, read timeout
            return 0.0
        return None

    @property
    def _raw(self) -> dict[str, Any]:
        """Per-call options: the timeout, and the undecoded answer (see the module docstring)."""
        return {"_request_timeout": float(self.settings["timeout_seconds"]), "_preload_content": False}

    def _call(self, what: str, fn: Callable[[], Any], *, search: bool = False) -> dict[str, Any]:
        """One request under the policy; its JSON answer."""
        def attempt() -> dict[str, Any]:
            return json.loads(fn().data or b"{}")  # read inside the attempt: a cut-off body is retried
        try:
            return self._policy.call(attempt, limiter=self._search_limiter if search else self._limiter)
        except urllib3.exceptions.HTTPError as exc:
            raise SourceError(f"HubSpot did not answer {what} after {self._policy.max_attempts} attempts "
                              f"({type(exc).__name__}): check HUBSPOT_API_URL and the network, then re-run") from exc
        except Exception as exc:
            if _is_api_exception(exc):
                raise _explain(exc, what) from exc
            raise

    # -- listing -----------------------------------------------------------------------------
    def list_page(self, object_type: str, properties: list[str], *, after: str | None = None,
                  associations: list[str] | None = None, archived: bool = False
                  ) -> tuple[list[Record], str | None]:
        """One page of the id-ordered listing and the ``after`` of the next (None at the end).
        Properties that would push the URL past ``max_url_chars`` (HubSpot answers 414) are
        read for the page's ids with one batch read (a POST: no URL to outgrow)."""
        first, rest = self._url_chunk(object_type, properties, after, associations)
        api = self._client.crm.objects.basic_api
        page = self._call(f"listing {object_type}", lambda: api.get_page(
            object_type, limit=self.settings["page_size"], after=after, properties=first,
            associations=associations, archived=archived, **self._raw))
        records = [_canonical(o) for o in page.get("results") or []]
        if rest and records:
            extra = {r["id"]: r.get("properties") or {} for r in self.read_batch(object_type, [r["id"] for r in records], rest)}
            for record in records:
                record["properties"] = {**(record.get("properties") or {}), **extra.get(record["id"], {})}
        nxt = ((page.get("paging") or {}).get("next") or {}).get("after")
        return records, (str(nxt) if nxt is not None else None)

    def ids(self, object_type: str, *, archived: bool = False) -> Iterator[list[str]]:
        """Every live (or archived) id, a page at a time, with no properties to speak of."""
        after: str | None = None
        while True:
            records, after = self.list_page(object_type, ["hs_object_id"], after=after, archived=archived)
            yield [str(r["id"]) for r in records]
            if after is None:
                return

    def _url_chunk(self, object_type: str, properties: list[str], after: str | None,
                   associations: list[str] | None) -> tuple[list[str], list[str]]:
        length = len(f"{self.api_url}/crm/v3/objects/{object_type}?limit=100&archived=false&after={after or ''}")
        length += sum(len("&associations=") + len(quote(a)) for a in associations or [])
        first: list[str] = []
        for index, name in enumerate(properties):
            length += len("&properties=") + len(quote(name, safe=""))
            if length > self.settings["max_url_chars"] and first:
                return first, properties[index:]
            first.append(name)
        return first, []

    def read_batch(self, object_type: str, ids: list[str], properties: list[str]) -> list[Record]:
        """Objects by id, every property in the request body."""
        out: list[Record] = []
        api = self._client.crm.objects.batch_api
        for start in range(0, len(ids), _BATCH_READ_MAX):
            body = {"inputs": [{"id": i} for i in ids[start:start + _BATCH_READ_MAX]],
                    "properties": properties, "propertiesWithHistory": []}
            result = self._call(f"reading {object_type} by id", lambda b=body: api.read(
                object_type, batch_read_input_simple_public_object_id=b, archived=False, **self._raw))
            out.extend(_canonical(o) for o in result.get("results") or [])
        return out

    # -- search ------------------------------------------------------------------------------
    def search(self, object_type: str, filters: list[dict[str, Any]], sort: str, properties: list[str],
               *, limit: int | None = None) -> tuple[list[Record], int]:
        """One search request from the top of its window (never paged with ``after``, so the
        10,000-result cap is never reached): the records and the window's total."""
        body = {"filterGroups": [{"filters": filters}] if filters else [],
                "sorts": [{"propertyName": sort, "direction": "ASCENDING"}],
                "properties": properties, "limit": limit or self.settings["search_page_size"]}
        api = self._client.crm.objects.search_api
        result = self._call(f"searching {object_type}", lambda: api.do_search(
            object_type, public_object_search_request=body, **self._raw), search=True)
        return [_canonical(o) for o in result.get("results") or []], int(result.get("total") or 0)

    def total(self, object_type: str) -> int:
        """How many live objects HubSpot reports (one search request, limit 1)."""
        return self.search(object_type, [], "hs_object_id", ["hs_object_id"], limit=1)[1]

    def add_associations(self, object_type: str, records: list[Record], to_types: list[str]) -> None:
        """Attach associations in the shape the listing's ``associations=`` gives (v4 batch reads;
        search results carry none)."""
        api = self._client.crm.associations.v4.batch_api
        for to_type in to_types:
            ids = [str(r["id"]) for r in records]
            linked: dict[str, list[str]] = {}
            for start in range(0, len(ids), 1000):
                body = {"inputs": [{"id": i} for i in ids[start:start + 1000]]}
                result = self._call(f"reading {object_type} associations", lambda b=body, to=to_type: api.get_page(
                    object_type, to, batch_input_public_fetch_associations_batch_request=b, **self._raw))
                for item in result.get("results") or []:
                    linked[str(item["from"]["id"])] = [str(t["toObjectId"]) for t in item.get("to") or []]
            kind = f"{SINGULAR.get(object_type, object_type)}_to_{SINGULAR.get(to_type, to_type)}"
            for record in records:
                if linked.get(str(record["id"])):
                    record.setdefault("associations", {})[to_type] = {
                        "results": [{"id": i, "type": kind} for i in dict.fromkeys(linked[str(record["id"])])]}

    def owners_page(self, *, after: str | None = None, archived: bool = False) -> tuple[list[Record], str | None]:
        """One page of the owners (``GET /crm/v3/owners``) and the ``after`` of the next."""
        api = self._client.crm.owners.owners_api
        what = "listing archived owners" if archived else "listing owners"
        page = self._call(what, lambda: api.get_page(after=after, limit=self.settings["page_size"],
                                                     archived=archived, **self._raw))
        nxt = ((page.get("paging") or {}).get("next") or {}).get("after")
        return list(page.get("results") or []), (str(nxt) if nxt is not None else None)

    # -- writes (playbooks: hub.playbooks.crm) ---------------------------------------------------
    def association_type(self, from_type: str, to_type: str) -> int:
        """The HUBSPOT_DEFINED association type id from ``from_type`` to ``to_type`` (v4 labels;
        read, not hard-coded)."""
        api = self._client.crm.associations.v4.schema.definitions_api
        labels = self._call(f"reading {from_type}→{to_type} association labels",
                            lambda: api.get_all(from_type, to_type, **self._raw))
        for label in labels.get("results") or []:
            if label.get("category") == "HUBSPOT_DEFINED":
                return int(label["typeId"])
        raise SourceError(f"HubSpot defines no {from_type}→{to_type} association: check the account's objects")

    def token_scopes(self) -> list[str] | None:
        """The scopes the private app granted this token (``POST
        /oauth/v2/private-apps/get/access-token-info``; the client has no method for it), or
        ``None`` when HubSpot does not know it as a private app's token (an OAuth access token)."""
        url = f"{self.api_url}/oauth/v2/private-apps/get/access-token-info"
        self.stats.requests += 1
        try:
            response = requests.post(url, json={"tokenKey": self._token},
                                     headers={"Authorization": f"Bearer {self._token}"},
                                     timeout=float(self.settings["timeout_seconds"]))
        except requests.RequestException as exc:
            raise SourceError(f"HubSpot did not answer reading the token's scopes ({type(exc).__name__}): "
                              "check HUBSPOT_API_URL and the network, then re-run") from exc
        if response.status_code in (400, 404):
            return None
        if response.status_code != 200:
            raise SourceError(f"HubSpot answered {response.status_code} reading the token's scopes: "
                              "check HUBSPOT_TOKEN, then re-run")
        return sorted(str(s) for s in response.json().get("scopes") or [])

    def has_property(self, object_type: str, name: str) -> bool:
        api = self._client.crm.properties.core_api
        try:
            self._call(f"reading the {object_type} property {name}",
                       lambda: api.get_by_name(object_type, name, **self._raw))
        except SourceError as exc:
            if getattr(exc.__cause__, "status", None) == 404:
                return False
            raise
        return True

    def create_property(self, object_type: str, definition: dict[str, Any]) -> None:
        """A custom property (needs the crm.schemas.<type>.write scope)."""
        api = self._client.crm.properties.core_api
        self._call(f"creating the {object_type} property {definition['name']}",
                   lambda: api.create(object_type, definition, **self._raw))

    def find_task(self, marker: str) -> str | None:
        """The task whose body carries ``marker`` (the hub's action id), if one was created."""
        records, _ = self.search("tasks", [{"propertyName": "hs_task_body", "operator": "CONTAINS_TOKEN",
                                            "value": marker}], "hs_object_id", ["hs_object_id"], limit=1)
        return str(records[0]["id"]) if records else None

    def create_task(self, properties: dict[str, Any], company_id: str, marker: str, *, check_first: bool) -> str:
        """Create a task on a company; returns its id. HubSpot has no idempotency key: the body
        carries ``marker`` and, when an earlier attempt may have landed (``check_first``, or a
        retry after a timeout or a 5xx), the task is looked up by it before creating another."""
        api = self._client.crm.objects.tasks.basic_api
        type_id = self.association_type("tasks", "companies")
        body = {"properties": properties, "associations": [{"to": {"id": company_id}, "types": [
            {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}]}]}
        if check_first and (found := self.find_task(marker)):
            return found
        attempts = 0

        def create() -> Any:
            nonlocal attempts
            attempts += 1
            if attempts > 1:
                found = self.find_task(marker)
                if found:
                    return _Found(found)
            return api.create(body, **self._raw)
        return str(self._call(f"creating a task on company {company_id}", create)["id"])

    def gdpr_delete_contact(self, contact_id: str) -> bool:
        """Permanently delete a contact (HubSpot's GDPR delete); False when HubSpot has no such contact."""
        api = self._client.crm.contacts.basic_api
        try:
            self._call(f"GDPR-deleting contact {contact_id}",
                       lambda: api.purge({"objectId": contact_id}, **self._raw))
        except SourceError as exc:
            if getattr(exc.__cause__, "status", None) == 404:
                return False
            raise
        return True

    def update_objects(self, object_type: str, inputs: list[dict[str, Any]]) -> None:
        """Update properties of many objects (batch update, 100 a request)."""
        api = self._client.crm.objects.batch_api
        for start in range(0, len(inputs), _BATCH_READ_MAX):
            body = {"inputs": inputs[start:start + _BATCH_READ_MAX]}
            self._call(f"updating {object_type}", lambda b=body: api.update(
                object_type, batch_input_simple_public_object_batch_input=b, **self._raw))

    def deal_stages(self) -> list[Record]:
        """Every stage of every deal pipeline, each carrying its ``pipelineId``."""
        api = self._client.crm.pipelines.pipelines_api
        pipelines = self._call("listing deal pipelines", lambda: api.get_all(object_type="deals", **self._raw))
        return [{**stage, "pipelineId": pipeline["id"]}
                for pipeline in pipelines.get("results") or [] for stage in pipeline.get("stages") or []]


class _Found:
    """A task found by its marker, answered in the shape of a create's raw response."""

    def __init__(self, task_id: str) -> None:
        self.data = json.dumps({"id": task_id}).encode()


def _is_api_exception(exc: BaseException) -> bool:
    """Each API module of hubspot-api-client has its own ApiException (and subclasses such as
    ServiceException): recognise them all by name."""
    return any(cls.__name__ == "ApiException" for cls in type(exc).__mro__)


def _canonical(obj: dict[str, Any]) -> dict[str, Any]:
    """An object as landed: the wire JSON, inline associations listing each associated id once
    (HubSpot may list an id once per label, primary and unlabeled; the v4 reads of incremental
    syncs give it once), so a record hashes the same whichever API brought it."""
    associations = obj.get("associations")
    if not associations:
        return obj
    canonical = {}
    for to_type, value in associations.items():
        seen: dict[str, dict[str, Any]] = {}
        for result in (value or {}).get("results") or []:
            entry = {"id": str(result.get("id")), "type": str(result.get("type", "")).removesuffix("_unlabeled")}
            seen.setdefault(entry["id"], entry)
        if seen:
            canonical[to_type] = {"results": list(seen.values())}
    return {**obj, "associations": canonical} if canonical else {k: v for k, v in obj.items() if k != "associations"}


def _daily_limit(exc: Any) -> bool:
    return '"DAILY"' in str(getattr(exc, "body", "") or "")


def _explain(exc: Any, what: str) -> SourceError:
    status = getattr(exc, "status", None)
    object_type = next((t for t in SCOPES if t in what), "objects")
    if status == 429 and _daily_limit(exc):
        return SourceStopped(f"HubSpot's daily API allocation is used up {what} (429 DAILY): every page so far "
                             "is committed; the next run resumes there after midnight in the account's time zone")
    if status == 401:
        return SourceError(f"HubSpot rejected the token (401) {what}: set HUBSPOT_TOKEN to a private-app "
                           f"token with {SCOPES.get(object_type, 'read access')}")
    if status == 403:
        return SourceError(f"HubSpot refused {what} (403): give the private app the "
                           f"{SCOPES.get(object_type, 'read')} scope")
    if status == 414:
        return SourceError(f"HubSpot refused a URL as too long (414) {what}: lower hubspot.max_url_chars "
                           "in HUB_CONFIG")
    if status == 429:
        return SourceError(f"HubSpot kept answering 429 {what}: set hubspot.requests_per_10s in HUB_CONFIG "
                           "to your account's tier, or run one HubSpot sync at a time")
    body = str(getattr(exc, "body", "") or "")[:300]
    return SourceError(f"HubSpot answered {status} {what}: {body}; check hubspot.properties in HUB_CONFIG "
                       "name existing properties, then re-run")
