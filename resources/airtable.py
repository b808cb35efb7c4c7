"""Airtable through pyairtable: paced listings that wait out the 30-second lockout and resume
from the same offset. The sync strategy (full listing, or incremental on a "Last modified time"
field, with id sweeps for deletions) is ``hub.sources.airtable.sync``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dagster as dg
import requests
from pyairtable import Api

from hub.config import AIRTABLE_API_URL
from hub.pacing import ApiPolicy, CallStats, RateLimiter
from hub.raw import Record, SourceError
from hub.sources.airtable.sync import OffsetExpired

_LAST_MODIFIED_TYPE = "lastModifiedTime"


class AirtableResource(dg.ConfigurableResource):
    """An Airtable base. ``token`` comes from AIRTABLE_TOKEN through EnvVar; pacing, lockout and
    timeouts from the ``airtable:`` section of HUB_CONFIG."""

    api_url: str = AIRTABLE_API_URL
    token: str | None = None
    base_id: str | None = None

    def connector(self, config: dict[str, Any]) -> AirtableConnector:
        if not self.token:
            raise SourceError("Airtable: AIRTABLE_TOKEN is not set: set it to a personal access token "
                              "with data.records:read and schema.bases:read on the base")
        if not self.base_id:
            raise SourceError("Airtable: AIRTABLE_BASE_ID is not set: set it to the base id (app…)")
        return AirtableConnector(self.api_url, self.token, self.base_id, config["airtable"])


class AirtableConnector:
    """One sync's conversation with a base: the one retry / rate-limit policy for Airtable."""

    def __init__(self, api_url: str, token: str, base_id: str, settings: dict[str, Any]) -> None:
        self.base_id = base_id
        self.settings = settings
        self.stats = CallStats()
        # retry_strategy=None: pyairtable's own retry gives up after ~3 s, far inside the 30 s
        # lockout; every retry is ours, below.
        self._api = Api(token, endpoint_url=api_url, retry_strategy=None,
                        timeout=(settings["connect_timeout_seconds"], settings["timeout_seconds"]))
        # Airtable limits per base: every sync of this base in the process shares the budget.
        self._limiter = RateLimiter.shared_per_second(("airtable", api_url, base_id), settings["requests_per_second"],
                                                      margin=settings["pace_margin"])
        self._policy = ApiPolicy(self._classify, max_attempts=settings["max_attempts"],
                                 base_delay=settings["retry_base_seconds"],
                                 max_delay=settings["retry_max_seconds"], stats=self.stats)
        self._schema: dict[str, Any] | None = None

    def _classify(self, exc: BaseException) -> float | None:
        if isinstance(exc, requests.HTTPError):
            status = exc.response.status_code if exc.response is not None else 0
            if status == 429:  # the base stays locked for 30 s: retrying sooner only extends it
                if self._limiter is not None:
                    self._limiter.hold(self.settings["lockout_seconds"])
                return float(self.settings["lockout_seconds"])
            return 0.0 if status >= 500 else None
        if isinstance(exc, requests.ConnectionError | requests.Timeout):
            return 0.0
        return None

    def _request(self, table_name: str, method: str, url: Any, **kwargs: Any) -> Any:
        try:
            return self._policy.call(lambda: self._api.request(method, url, **kwargs), limiter=self._limiter)
        except requests.HTTPError as exc:
            if _error_type(exc) == "LIST_RECORDS_ITERATOR_NOT_AVAILABLE":
                raise OffsetExpired(table_name) from exc
            raise _explain(exc, self.base_id, table_name) from exc
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise SourceError(f"Airtable did not answer reading {table_name!r} after "
                              f"{self._policy.max_attempts} attempts ({type(exc).__name__}): check "
                              "AIRTABLE_API_URL and the network, then re-run") from exc

    def pages(self, table_name: str, *, formula: str | None = None, sort_field: str | None = None,
              fields: list[str] | None = None) -> Iterator[list[Record]]:
        """A table's records, a page at a time; a 429 lockout is waited out and the listing goes
        on from the same offset. Raises ``OffsetExpired`` when Airtable dropped the offset."""
        table = self._api.table(self.base_id, table_name)
        options: dict[str, Any] = {"page_size": self.settings["page_size"]}
        if formula:
            options["formula"] = formula
        if sort_field:
            options["sort"] = [sort_field]
        if fields is not None:
            options["fields"] = fields
        offset: str | None = None
        while True:
            page_options = {**options, "offset": offset} if offset else options
            data = self._request(table_name, "get", table.urls.records,
                                 fallback=("post", table.urls.records_post), options=page_options)
            yield list(data.get("records") or [])
            offset = data.get("offset")
            if not offset:
                return

    def update_records(self, table_name: str, records: list[dict[str, Any]]) -> None:
        """Update cells of many records (``{"id", "fields"}``), 10 a request as Airtable allows."""
        table = self._api.table(self.base_id, table_name)
        for start in range(0, len(records), 10):
            self._request(table_name, "patch", table.urls.records, json={"records": records[start:start + 10]})

    def last_modified_field(self, table_name: str) -> str | None:
        """The table's first "Last modified time" field, read from the base schema; None when it
        has none or the token may not read the schema (then syncs list in full)."""
        table = self.table_schema(table_name)
        if table is None:
            return None
        return next((f["name"] for f in table.get("fields") or [] if f.get("type") == _LAST_MODIFIED_TYPE), None)

    def table_schema(self, table_name: str) -> dict[str, Any] | None:
        """The table's schema (``GET /v0/meta/bases/{base}/tables``, read once): its fields with
        their types; None when the base has no such table or the token may not read the schema
        (``schema.bases:read``)."""
        if self._schema is None:
            try:
                self._schema = self._request(table_name, "get", self._api.base(self.base_id).urls.tables)
            except SourceError:
                self._schema = {"tables": []}
        return next((t for t in self._schema.get("tables") or [] if table_name in (t.get("name"), t.get("id"))), None)

    def token_scopes(self) -> list[str] | None:
        """The scopes of the token (``GET /v0/meta/whoami``, pyairtable's ``whoami``), or None when
        Airtable does not list them (it lists them for OAuth tokens)."""
        try:
            data = self._policy.call(lambda: self._api.request("get", self._api.urls.whoami), limiter=self._limiter)
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else None
            raise SourceError(f"Airtable answered {status} reading who the token is: check AIRTABLE_TOKEN, "
                              "then re-run") from exc
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise SourceError(f"Airtable did not answer reading who the token is ({type(exc).__name__}): check "
                              "AIRTABLE_API_URL and the network, then re-run") from exc
        scopes = data.get("scopes") if isinstance(data, dict) else None
        return sorted(str(s) for s in scopes) if isinstance(scopes, list) else None


def _error_type(exc: requests.HTTPError) -> str | None:
    try:
        body = exc.response.json() if exc.response is not None else {}
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return error.get("type") if isinstance(error, dict) else error


def _explain(exc: requests.HTTPError, base_id: str, table_name: str) -> SourceError:
    status = exc.response.status_code if exc.response is not None else None
    if status == 401:
        return SourceError(f"Airtable rejected the token (401) reading {table_name!r}: set AIRTABLE_TOKEN to "
                           "a personal access token with data.records:read")
    if status in (403, 404):
        return SourceError(f"Airtable has no table {table_name!r} in base {base_id} that this token can read "
                           f"({status}): check AIRTABLE_BASE_ID and airtable.tables in HUB_CONFIG")
    if status == 429:
        return SourceError(f"Airtable kept refusing {table_name!r} with 429 after waiting out its lockout: "
                           "another client is using this base's 5 requests/s; lower airtable.requests_per_second "
                           "in HUB_CONFIG or run one Airtable sync at a time")
    if status == 422:
        return SourceError(f"Airtable refused the listing of {table_name!r} (422 {_error_type(exc)}): check "
                           "airtable.last_modified_fields in HUB_CONFIG names a field of that table")
    return SourceError(f"Airtable answered {status} reading {table_name!r}: {str(exc)[:300]}; re-run later")
