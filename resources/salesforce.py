"""Salesforce REST through simple-salesforce: SOQL over every field the object describes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import dagster as dg
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError

from hub.raw import SourceError


class SalesforceResource(dg.ConfigurableResource):
    """A Salesforce org. Auth, first that is set: an access token; username + password +
    security token; or a connected app's client id + secret (client-credentials flow)."""

    instance_url: str | None = None
    access_token: str | None = None
    username: str | None = None
    password: str | None = None
    security_token: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    ca_bundle: str | None = None
    api_version: str = "59.0"
    timeout_seconds: float = 60.0

    def _session(self) -> requests.Session:
        session = requests.Session()
        if self.ca_bundle:
            session.verify = self.ca_bundle
            # REQUESTS_CA_BUNDLE in the environment would otherwise override ``verify``.
            session.trust_env = False
        return session

    def client(self) -> Salesforce:
        session = self._session()
        host = urlsplit(self.instance_url).netloc if self.instance_url else None
        try:
            if self.access_token:
                if not host:
                    raise SourceError("Salesforce: SALESFORCE_INSTANCE_URL is not set: set it to your org's "
                                      "https://<domain>.my.salesforce.com URL")
                return Salesforce(instance_url=f"https://{host}", session_id=self.access_token,
                                  session=session, version=self.api_version)
            if self.username and self.password:
                return Salesforce(username=self.username, password=self.password,
                                  security_token=self.security_token or "", domain=_login_domain(host),
                                  session=session, version=self.api_version)
            if self.client_id and self.client_secret:
                return Salesforce(consumer_key=self.client_id, consumer_secret=self.client_secret,
                                  domain=_login_domain(host), session=session, version=self.api_version)
        except SalesforceError as exc:
            raise SourceError(f"Salesforce login failed: {exc}; check SALESFORCE_* credentials") from exc
        raise SourceError("Salesforce: no credentials: set SALESFORCE_ACCESS_TOKEN, or SALESFORCE_USERNAME + "
                          "SALESFORCE_PASSWORD + SALESFORCE_SECURITY_TOKEN, or SALESFORCE_CLIENT_ID + "
                          "SALESFORCE_CLIENT_SECRET")

    def pages(self, sobject: str) -> Iterator[list[dict[str, Any]]]:
        """Every live record of an object with every field it describes, a page at a time."""
        sf = self.client()
        try:
            fields = [f["name"] for f in getattr(sf, sobject).describe()["fields"]]
            result = sf.query(f"SELECT {', '.join(fields)} FROM {sobject} ORDER BY Id", timeout=self.timeout_seconds)
            while True:
                yield [_plain(r) for r in result["records"]]
                if result.get("done", True):
                    return
                result = sf.query_more(result["nextRecordsUrl"], identifier_is_url=True,
                                       timeout=self.timeout_seconds)
        except SalesforceError as exc:
            raise _explain(exc, sobject) from exc


def _login_domain(host: str | None) -> str:
    """simple-salesforce logs in at https://{domain}.salesforce.com: a Salesforce host gives its
    own prefix; any other host (an emulator, a gateway) gets a trailing "#" so the appended
    ".salesforce.com/…" becomes a URL fragment and the login goes to that host itself."""
    if not host:
        return "login"
    return host[: -len(".salesforce.com")] if host.endswith(".salesforce.com") else f"{host}#"


def _plain(record: Any) -> dict[str, Any]:
    return {k: (_plain(v) if isinstance(v, dict) else v) for k, v in dict(record).items()}


def _explain(exc: SalesforceError, sobject: str) -> SourceError:
    status = getattr(exc, "status", None)
    if status == 401:
        return SourceError(f"Salesforce session invalid (401) reading {sobject}: refresh SALESFORCE_ACCESS_TOKEN "
                           "or use username/password or client credentials so the hub can log in again")
    if status == 403:
        return SourceError(f"Salesforce refused {sobject} (403, e.g. REQUEST_LIMIT_EXCEEDED or no object "
                           f"permission): {str(exc.content)[:300]}")
    return SourceError(f"Salesforce answered {status} reading {sobject}: {str(exc.content)[:300]}")
