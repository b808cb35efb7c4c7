"""Salesforce REST and Bulk API 2.0 through simple-salesforce: three ways to log in, re-login
on INVALID_SESSION_ID, the one retry policy for Salesforce, timeouts on every call and a guard
that stops before the org's daily API allocation is spent. The sync strategy (SystemModstamp
windows, queryAll deletions, Bulk first loads) is ``hub.sources.salesforce.sync``."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar
from urllib.parse import urlsplit

import dagster as dg
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceResourceNotFound,
)

from hub.pacing import ApiPolicy, CallStats
from hub.raw import Record, SourceError, SourceStopped
from hub.sources.salesforce.sync import BulkJobGone

T = TypeVar("T")
_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")


class SalesforceResource(dg.ConfigurableResource):
    """A Salesforce org. Auth, first that is set: an access token; username + password +
    security token; or a connected app's client id + secret (client-credentials flow). With an
    access token and credentials both set, an expired token is replaced by logging in."""

    instance_url: str | None = None
    access_token: str | None = None
    username: str | None = None
    password: str | None = None
    security_token: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    ca_bundle: str | None = None
    api_version: str = "59.0"

    def connector(self, config: dict[str, Any]) -> SalesforceConnector:
        return SalesforceConnector(self, config["salesforce"])


class _Session(requests.Session):
    """simple-salesforce passes no timeout to logins and Bulk 2.0 calls: give every request one,
    and read ``Sforce-Limit-Info`` off every response."""

    def __init__(self, timeout: tuple[float, float], on_response: Callable[..., Any]) -> None:
        super().__init__()
        self.default_timeout = timeout
        self.hooks["response"].append(on_response)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        return super().request(method, url, *args, **kwargs)


class SalesforceConnector:
    """One sync's conversation with an org."""

    def __init__(self, auth: SalesforceResource, settings: dict[str, Any]) -> None:
        self.auth = auth
        self.settings = settings
        self.api_version = auth.api_version
        self.stats = CallStats()
        self.usage: tuple[int, int] | None = None  # (used, allocation) from Sforce-Limit-Info
        self._sf: Salesforce | None = None
        self._token_spent = False
        self._policy = ApiPolicy(self._classify, max_attempts=settings["max_attempts"],
                                 base_delay=settings["retry_base_seconds"],
                                 max_delay=settings["retry_max_seconds"], stats=self.stats,
                                 on_retry=self._on_retry)

    # -- session, login, policy --------------------------------------------------------------
    def _session(self) -> requests.Session:
        timeout = (float(self.settings["connect_timeout_seconds"]), float(self.settings["timeout_seconds"]))
        session = _Session(timeout, self._read_usage)
        if self.auth.ca_bundle:
            session.verify = self.auth.ca_bundle
            session.trust_env = False  # REQUESTS_CA_BUNDLE would otherwise override ``verify``
        return session

    def _read_usage(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        found = _USAGE.search(response.headers.get("Sforce-Limit-Info") or "")
        if found:
            self.usage = (int(found.group(1)), int(found.group(2)))

    def _has_credentials(self) -> bool:
        a = self.auth
        return bool((a.username and a.password) or (a.client_id and a.client_secret))

    def _client(self) -> Salesforce:
        if self._sf is not None:
            return self._sf
        a = self.auth
        host = urlsplit(a.instance_url).netloc if a.instance_url else None
        try:
            if a.access_token and not self._token_spent:
                if not host:
                    raise SourceError("Salesforce: SALESFORCE_INSTANCE_URL is not set: set it to your org's "
                                      "https://<domain>.my.salesforce.com URL")
                sf = Salesforce(instance_url=f"https://{host}", session_id=a.access_token,
                                session=self._session(), version=self.api_version)
            elif a.username and a.password:
                self.stats.requests += 1  # the login is a request too
                sf = Salesforce(username=a.username, password=a.password, security_token=a.security_token or "",
                                domain=_login_domain(host), session=self._session(), version=self.api_version)
            elif a.client_id and a.client_secret:
                self.stats.requests += 1
                sf = Salesforce(consumer_key=a.client_id, consumer_secret=a.client_secret,
                                domain=_login_domain(host), session=self._session(), version=self.api_version)
            else:
                raise SourceError(
                    "Salesforce: no usable credentials: set SALESFORCE_ACCESS_TOKEN, or SALESFORCE_USERNAME + "
                    "SALESFORCE_PASSWORD + SALESFORCE_SECURITY_TOKEN, or SALESFORCE_CLIENT_ID + "
                    "SALESFORCE_CLIENT_SECRET (with credentials the hub logs in again when a session expires)")
        except SalesforceAuthenticationFailed as exc:
            raise SourceError(f"Salesforce login failed ({exc.code}): check SALESFORCE_USERNAME, "
                              "SALESFORCE_PASSWORD and SALESFORCE_SECURITY_TOKEN, or the connected app's "
                              "SALESFORCE_CLIENT_ID / SALESFORCE_CLIENT_SECRET") from exc
        # Re-login is this connector's job (counted, and done for Bulk calls too, which the
        # client's own refresh does not cover).
        sf._salesforce_login_partial = None
        self._sf = sf
        return sf

    def _classify(self, exc: BaseException) -> float | None:
        if isinstance(exc, SalesforceExpiredSession):
            return 0.0 if self._has_credentials() else None
        if isinstance(exc, SalesforceError):
            return 0.0 if (exc.status or 0) >= 500 else None
        if isinstance(exc, requests.ConnectionError | requests.Timeout):
            return 0.0
        return None

    def _on_retry(self, exc: BaseException) -> None:
        if isinstance(exc, SalesforceExpiredSession):
            self._token_spent = self._token_spent or bool(self.auth.access_token)
            self._sf = None  # the next attempt logs in again

    def _guard(self) -> None:
        share = float(self.settings["max_daily_share"])
        if self.usage and self.usage[0] >= share * self.usage[1]:
            raise SourceStopped(
                f"Salesforce API usage is at {self.usage[0]}/{self.usage[1]} requests today, the "
                f"{share:.0%} share this hub may use (salesforce.max_daily_share): stopped with every "
                "page so far committed; the next run resumes from there")

    def call(self, what: str, fn: Callable[[Salesforce], T]) -> T:
        """``fn(client)`` under the policy; failures become errors that say what to do."""
        def attempt() -> T:
            self._guard()
            return fn(self._client())
        try:
            return self._policy.call(attempt)
        except SourceError:
            raise
        except SalesforceError as exc:
            raise _explain(exc, what) from exc
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise SourceError(f"Salesforce did not answer {what} after {self._policy.max_attempts} attempts "
                              f"({type(exc).__name__}): check SALESFORCE_INSTANCE_URL and the network, "
                              "then re-run") from exc

    # -- REST --------------------------------------------------------------------------------
    def describe(self, sobject: str) -> dict[str, str]:
        """Field name -> Salesforce type, in the object's order."""
        return {f["name"]: f["type"] for f in self.describe_object(sobject)["fields"]}

    def describe_object(self, sobject: str) -> dict[str, Any]:
        """The object's describe as Salesforce sends it: what this user may create and update
        (``createable`` / ``updateable``, per object and per field) and its fields' types."""
        return dict(self.call(f"describing {sobject}", lambda sf: getattr(sf, sobject).describe()))

    def count(self, sobject: str) -> int:
        return int(self.call(f"counting {sobject}", lambda sf: sf.query(
            f"SELECT COUNT() FROM {sobject}", timeout=self.settings["timeout_seconds"]))["totalSize"])

    def query_pages(self, what: str, soql: str, *, include_deleted: bool = False) -> Iterator[list[Record]]:
        """A SOQL query's records, a page (``page_size``) at a time, following nextRecordsUrl."""
        options = {"timeout": self.settings["timeout_seconds"],
                   "headers": {"Sforce-Query-Options": f"batchSize={self.settings['page_size']}"}}
        result = self.call(what, lambda sf: sf.query(soql, include_deleted=include_deleted, **options))
        while True:
            # Records stay the client's OrderedDicts (dicts): converting 2,000 a page costs more
            # than the landing that follows, and JSON with sorted keys ignores the order anyway.
            yield result["records"]
            if result.get("done", True):
                return
            url = result["nextRecordsUrl"]
            result = self.call(what, lambda sf, u=url: sf.query_more(u, identifier_is_url=True, **options))

    # -- writes (playbooks: hub.playbooks.crm) -----------------------------------------------
    def upsert_by_external_id(self, sobject: str, field: str, value: str, fields: dict[str, Any]) -> str:
        """Create or update the record whose external-id ``field`` is ``value`` (idempotent: a
        retried call finds the record it made); returns its Id when Salesforce says it."""
        response = self.call(f"writing {sobject} {field}={value}", lambda sf: getattr(sf, sobject).upsert(
            f"{field}/{value}", fields, raw_response=True))
        if response.status_code == 201:
            return str(response.json()["id"])
        found = self.call(f"reading {sobject} {field}={value}", lambda sf: sf.query(
            f"SELECT Id FROM {sobject} WHERE {field} = '{value}' LIMIT 1"))
        records = found.get("records") or []
        return str(records[0]["Id"]) if records else f"{field}/{value}"

    def delete_record(self, sobject: str, record_id: str) -> bool:
        """Delete a record (to the org's recycle bin); False when Salesforce has no such live record."""
        try:
            self.call(f"deleting {sobject} {record_id}", lambda sf: getattr(sf, sobject).delete(record_id))
        except SourceError as exc:
            if isinstance(exc.__cause__, SalesforceResourceNotFound):
                return False
            raise
        return True

    def update_records(self, sobject: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Update many records with sObject Collections (200 a request, not all-or-none): one
        result per record, ``success`` and ``errors`` as Salesforce answers."""
        results: list[dict[str, Any]] = []
        for start in range(0, len(records), 200):
            body = {"allOrNone": False, "records": [
                {"attributes": {"type": sobject}, **r} for r in records[start:start + 200]]}
            results += self.call(f"updating {sobject}", lambda sf, b=body: sf.restful(
                "composite/sobjects", method="PATCH", json=b))
        return results

    # -- Bulk API 2.0 ------------------------------------------------------------------------
    def bulk_start(self, sobject: str, soql: str) -> str:
        job = self.call(f"starting a Bulk API 2.0 query of {sobject}",
                        lambda sf: getattr(sf.bulk2, sobject)._client.create_job("query", soql))
        return str(job["id"])

    def bulk_wait(self, sobject: str, job_id: str) -> None:
        """Poll until the job completes (``bulk_poll_seconds`` apart); BulkJobGone if it failed
        or no longer exists, so the caller starts another."""
        while True:
            try:
                info = self.call(f"polling the Bulk API 2.0 query of {sobject}",
                                 lambda sf: getattr(sf.bulk2, sobject)._client.get_job(job_id, True))
            except SourceError as exc:
                if isinstance(exc.__cause__, SalesforceResourceNotFound):
                    raise BulkJobGone(job_id) from exc
                raise
            if info["state"] == "JobComplete":
                return
            if info["state"] in ("Aborted", "Failed"):
                raise BulkJobGone(job_id)
            time.sleep(float(self.settings["bulk_poll_seconds"]))

    def bulk_page(self, sobject: str, job_id: str, locator: str) -> tuple[str, str]:
        """One CSV page of a completed job's results and the locator of the next ("" at the end)."""
        try:
            result = self.call(f"reading Bulk API 2.0 results of {sobject}",
                               lambda sf: getattr(sf.bulk2, sobject)._client.get_query_results(
                                   job_id, locator, self.settings["bulk_page_size"]))
        except SourceError as exc:
            if isinstance(exc.__cause__, SalesforceResourceNotFound):
                raise BulkJobGone(job_id) from exc
            raise
        return result["records"], result["locator"] or ""


def _login_domain(host: str | None) -> str:
    """simple-salesforce logs in at https://{domain}.salesforce.com: a Salesforce host gives its
    own prefix; any other host (an emulator, a gateway) gets a trailing "#" so the appended
    ".salesforce.com/…" becomes a URL fragment and the login goes to that host itself."""
    if not host:
        return "login"
    return host[: -len(".salesforce.com")] if host.endswith(".salesforce.com") else f"{host}#"


def _error_code(exc: SalesforceError) -> str | None:
    content = exc.content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return content[0].get("errorCode")
    return None


def _explain(exc: SalesforceError, what: str) -> SourceError:
    status, code = getattr(exc, "status", None), _error_code(exc)
    if code == "REQUEST_LIMIT_EXCEEDED":
        return SourceStopped(f"Salesforce refused {what}: the org's daily API allocation is used up "
                             "(REQUEST_LIMIT_EXCEEDED). Every page so far is committed; the next run resumes "
                             "there once the rolling 24-hour allocation frees up (Setup > Company Information)")
    if status == 401:
        return SourceError(f"Salesforce session invalid (401) {what}: refresh SALESFORCE_ACCESS_TOKEN, or set "
                           "username/password or client credentials so the hub can log in again")
    if status == 403:
        return SourceError(f"Salesforce refused {what} (403 {code}): give the integration user read access "
                           "to the object and its fields")
    if status == 400:
        return SourceError(f"Salesforce rejected the query {what} (400 {code}): {str(exc.content)[:300]}; "
                           "check the object's fields are readable by the integration user")
    return SourceError(f"Salesforce answered {status} {what}: {str(exc.content)[:300]}; re-run later")
