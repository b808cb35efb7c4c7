"""Airtable through pyairtable: paced listing of the base's tables."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import dagster as dg
import requests
from pyairtable import Api

from hub.config import AIRTABLE_API_URL
from hub.raw import SourceError


class AirtableResource(dg.ConfigurableResource):
    """An Airtable base. ``token`` comes from AIRTABLE_TOKEN through EnvVar."""

    api_url: str = AIRTABLE_API_URL
    token: str | None = None
    base_id: str | None = None
    requests_per_second: float = 5.0
    timeout_seconds: float = 30.0

    def _api(self) -> Api:
        if not self.token:
            raise SourceError("Airtable: AIRTABLE_TOKEN is not set: set it to a personal access token "
                              "with data.records:read and schema.bases:read on the base")
        if not self.base_id:
            raise SourceError("Airtable: AIRTABLE_BASE_ID is not set: set it to the base id (app…)")
        return Api(self.token, timeout=(10, self.timeout_seconds), endpoint_url=self.api_url)

    def pages(self, table_name: str) -> Iterator[list[dict[str, Any]]]:
        """Every record of a table, a page (≤ 100) at a time, at most ``requests_per_second``."""
        table = self._api().table(self.base_id, table_name)
        interval = 1.0 / self.requests_per_second if self.requests_per_second else 0.0
        last = 0.0
        iterator = table.iterate(page_size=100)
        while True:
            wait = last + interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            last = time.monotonic()
            try:
                page = next(iterator)
            except StopIteration:
                return
            except requests.HTTPError as exc:
                raise _explain(exc, self.base_id, table_name) from exc
            yield page


def _explain(exc: requests.HTTPError, base_id: str | None, table_name: str) -> SourceError:
    status = exc.response.status_code if exc.response is not None else None
    if status == 401:
        return SourceError(f"Airtable rejected the token (401) reading {table_name!r}: set AIRTABLE_TOKEN to "
                           "a personal access token with data.records:read")
    if status in (403, 404):
        return SourceError(f"Airtable has no table {table_name!r} in base {base_id} that this token can read "
                           f"({status}): check AIRTABLE_BASE_ID and airtable.tables in HUB_CONFIG")
    if status == 429:
        return SourceError(f"Airtable rate limit hit reading {table_name!r} (429): lower "
                           "requests_per_second or wait 30 s before retrying")
    return SourceError(f"Airtable answered {status} reading {table_name!r}: {exc}")
