"""HubSpot CRM v3 through hubspot-api-client: paged listing with company associations."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import dagster as dg
from hubspot import HubSpot
from hubspot.crm.objects.exceptions import ApiException

from hub.config import HUBSPOT_API_URL
from hub.raw import SourceError

SCOPES = {"companies": "crm.objects.companies.read", "contacts": "crm.objects.contacts.read",
          "deals": "crm.objects.deals.read", "tickets": "tickets"}


class HubSpotResource(dg.ConfigurableResource):
    """A HubSpot account. ``token`` (a private-app token) comes from HUBSPOT_TOKEN through EnvVar."""

    api_url: str = HUBSPOT_API_URL
    token: str | None = None
    requests_per_10s: int = 100
    timeout_seconds: float = 30.0

    def _client(self) -> HubSpot:
        if not self.token:
            raise SourceError("HubSpot: HUBSPOT_TOKEN is not set: set it to a private-app token with "
                              + ", ".join(SCOPES.values()))
        return HubSpot(access_token=self.token, host=self.api_url)

    def pages(self, object_type: str, properties: list[str], *,
              associations: list[str] | None = None) -> Iterator[list[dict[str, Any]]]:
        """Every live object of a type, 100 a page, in HubSpot's wire shape."""
        api = getattr(self._client().crm, object_type).basic_api
        interval = 10.0 / self.requests_per_10s if self.requests_per_10s else 0.0
        after: str | None = None
        last = 0.0
        while True:
            wait = last + interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            last = time.monotonic()
            try:
                page = api.get_page(limit=100, after=after, properties=properties, associations=associations,
                                    archived=False, _request_timeout=self.timeout_seconds)
            except ApiException as exc:
                raise _explain(exc, object_type) from exc
            yield [wire_object(o.to_dict()) for o in page.results]
            if page.paging is None or page.paging.next is None:
                return
            after = page.paging.next.after

    def deal_stages(self) -> list[dict[str, Any]]:
        """Every stage of every deal pipeline, each carrying its ``pipelineId``."""
        try:
            pipelines = self._client().crm.pipelines.pipelines_api.get_all(
                object_type="deals", _request_timeout=self.timeout_seconds)
        except Exception as exc:  # the pipelines module has its own ApiException class
            status = getattr(exc, "status", None)
            if status is None:
                raise
            raise SourceError(f"HubSpot answered {status} listing deal pipelines: check HUBSPOT_TOKEN "
                              "has crm.objects.deals.read") from exc
        stages = []
        for pipeline in pipelines.results:
            for stage in pipeline.stages:
                wire = wire_object(stage.to_dict())
                wire["pipelineId"] = pipeline.id
                stages.append(wire)
        return stages


def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return value


_CAMEL = {"created_at": "createdAt", "updated_at": "updatedAt", "archived_at": "archivedAt",
          "display_order": "displayOrder", "properties_with_history": "propertiesWithHistory",
          "to_object_id": "toObjectId", "written_at": "writtenAt"}


def wire_object(obj: dict[str, Any]) -> dict[str, Any]:
    """The client's snake_case model dict back to HubSpot's JSON shape, nulls dropped."""
    out = {}
    for key, value in obj.items():
        if value is None:
            continue
        name = _CAMEL.get(key, key)
        if isinstance(value, dict) and key not in ("properties", "metadata"):
            value = {k: _assoc(v) for k, v in value.items()} if key == "associations" else wire_object(value)
        out[name] = _iso(value)
    return out


def _assoc(value: Any) -> Any:
    if isinstance(value, dict):
        return {"results": [{k: v for k, v in r.items() if v is not None} for r in value.get("results") or []]}
    return value


def _explain(exc: ApiException, object_type: str) -> SourceError:
    if exc.status == 401:
        return SourceError(f"HubSpot rejected the token (401) listing {object_type}: set HUBSPOT_TOKEN to a "
                           f"private-app token with {SCOPES.get(object_type, 'read access')}")
    if exc.status == 403:
        return SourceError(f"HubSpot refused {object_type} (403): give the private app the "
                           f"{SCOPES.get(object_type, 'read')} scope")
    if exc.status == 429:
        return SourceError(f"HubSpot rate limit hit listing {object_type} (429): lower requests_per_10s "
                           "to your account's tier")
    return SourceError(f"HubSpot answered {exc.status} listing {object_type}: {str(exc.body)[:300]}")
