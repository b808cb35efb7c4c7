"""Salesforce REST emulator over TLS: logins (OAuth token endpoint and SOAP), SOQL query /
queryAll with cursors, describe, deleted / updated, limits, Bulk API 2.0 queries, the daily
API limit and Salesforce's error bodies (see saas-apis.md).

simple-salesforce runs against it unmodified; it hard-codes https://, so the emulator serves
TLS with a throwaway CA (`ca_bundle`) for 127.0.0.1 and localhost.
"""

from __future__ import annotations

import copy
import re
import secrets
import shutil
import ssl
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Self

import trustme

from hub.emulators import _salesforce_login as login
from hub.emulators import _salesforce_schema as schema
from hub.emulators import _soql as soql
from hub.emulators._salesforce_bulk import BulkQueryJobs
from hub.emulators._salesforce_writes import EXTERNAL_IDS, READ_ONLY, SalesforceWritesMixin
from hub.emulators._server import EmulatorServer, Request, Response, bearer_token, json_response

_VERSION = re.compile(r"^v(\d{2}\.\d)$")
_VERSIONS = [f"{n}.0" for n in range(20, 63)]
_CURSOR_TTL_SECONDS = 15 * 60
_REPLICATION_WINDOW = timedelta(days=30)


def sf_datetime(moment: datetime) -> str:
    """Salesforce's wire format: `2024-05-07T22:07:19.000+0000`."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def _errors(status: int, code: str, message: str) -> Response:
    return json_response(status, [{"message": message, "errorCode": code}])


def _not_found() -> Response:
    return _errors(404, "NOT_FOUND", "The requested resource does not exist")


class SalesforceEmulator(SalesforceWritesMixin, EmulatorServer):
    """Serves `sobjects` (sObject name -> records with `attributes`, `Id`, fields,
    `SystemModstamp`, `IsDeleted`)."""

    scheme = "https"

    def __init__(
        self,
        sobjects: dict[str, list[dict]],
        *,
        access_token: str = "00Ddemo!token",
        username: str = "demo@credlink.example",
        password: str = "demo-password",
        security_token: str = "demotoken",
        client_id: str = "demo-client",
        client_secret: str = "demo-secret",
        daily_api_limit: int | None = 15_000,
        batch_size: int = 2000,
        hub_fields: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(host=host, port=port)
        self.access_token = access_token
        self.credentials = login.Credentials(username, password, security_token, client_id, client_secret)
        self.daily_api_limit = daily_api_limit
        self.batch_size = max(200, min(2000, batch_size))
        self._lock = threading.RLock()
        self._records: dict[str, dict[str, dict]] = {name: {} for name in schema.KEY_PREFIXES if name != "User"}
        for name, records in sobjects.items():
            self._records[name] = {r["Id"]: copy.deepcopy(r) for r in records}
        self._types: dict[str, dict[str, str]] = {}
        self._init_writes(hub_fields)  # hub_fields=False: an org where the hub's custom fields were never made
        self._deleted_at: dict[tuple[str, str], datetime] = {}
        self._tokens = {access_token}
        # query locator -> (projected records, page size, API version, created at)
        self._cursors: dict[str, tuple[list[dict], int, str, float]] = {}
        self._bulk = BulkQueryJobs()
        self._usage = 0
        self._usage_since = time.monotonic()
        self._frozen: datetime | None = None  # see freeze_clock
        self._ca = trustme.CA()
        self._cert = self._ca.issue_cert("127.0.0.1", "localhost")
        self._tmpdir: str | None = None
        self.ca_bundle = self._write_ca()

    # -- TLS and lifecycle -------------------------------------------------------------------
    def _write_ca(self) -> str:
        if self._tmpdir is None or not Path(self._tmpdir).exists():
            self._tmpdir = tempfile.mkdtemp(prefix="sf-emulator-")
        path = Path(self._tmpdir) / "ca.pem"
        self._ca.cert_pem.write_to_path(str(path))
        return str(path)

    def _ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._cert.configure_cert(context)
        return context

    def start(self) -> Self:
        self.ca_bundle = self._write_ca()
        return super().start()

    def stop(self) -> None:
        super().stop()
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)

    @property
    def login_domain(self) -> str:
        """The `domain=` that points simple-salesforce's login at this emulator: it builds
        `https://{domain}.salesforce.com/services/…`, and the '#' turns that suffix into a URL
        fragment, so the login lands on '/', which answers both SOAP and OAuth logins."""
        return self.url.removeprefix("https://") + "#"

    # -- tokens, usage, mutation API ---------------------------------------------------------
    def expire_tokens(self) -> None:
        """Invalidate every issued token (the configured access_token too): the next call
        answers 401 INVALID_SESSION_ID, as after a session timeout."""
        with self._lock:
            self._tokens.clear()

    def _issue_token(self) -> str:
        token = f"{login.ORG_ID[:15]}!{secrets.token_urlsafe(32)}"
        with self._lock:
            self._tokens.add(token)
        return token

    @property
    def api_usage(self) -> int:
        return self._usage

    def freeze_clock(self, moment: datetime | None) -> None:
        """Stamp every later change with `moment` (None: the real clock again): many records
        sharing one SystemModstamp, as a bulk update or a trigger leaves them."""
        self._frozen = moment

    def _now(self) -> datetime:
        return self._frozen or datetime.now(UTC)

    def fault_response(self, status: int) -> Response:
        code = {500: "UNKNOWN_EXCEPTION", 503: "SERVER_UNAVAILABLE", 403: "REQUEST_LIMIT_EXCEEDED"}.get(
            status, "UNKNOWN_EXCEPTION")
        return _errors(status, code, f"Injected failure ({status})")

    def upsert(self, sobject: str, record: dict) -> dict:
        """Insert or update a record (fields merge over the stored ones); LastModifiedDate and
        SystemModstamp move to now and IsDeleted is cleared."""
        now = sf_datetime(self._now())
        with self._lock:
            store = self._records.setdefault(sobject, {})
            record_id = record.get("Id") or self._new_id(sobject)
            merged = copy.deepcopy(store.get(record_id) or {"CreatedDate": now})
            merged.update(copy.deepcopy(record))
            merged.update(Id=record_id, LastModifiedDate=now, SystemModstamp=now, IsDeleted=False)
            merged["attributes"] = {"type": sobject, "url": f"/services/data/v59.0/sobjects/{sobject}/{record_id}"}
            store[record_id] = merged
            self._deleted_at.pop((sobject, record_id), None)
            self._types.pop(sobject, None)
            return copy.deepcopy(merged)

    def delete(self, sobject: str, record_id: str) -> None:
        """Soft-delete: IsDeleted=True, visible to queryAll and the deleted endpoint."""
        now = self._now()
        with self._lock:
            record = self._records.get(sobject, {}).get(record_id)
            if record is None:
                raise KeyError(f"Salesforce has no {sobject} record {record_id!r}")
            record.update(IsDeleted=True, LastModifiedDate=sf_datetime(now), SystemModstamp=sf_datetime(now))
            self._deleted_at[(sobject, record_id)] = now

    def snapshot(self, sobject: str) -> dict[str, dict]:
        """The live (not deleted) records of an sObject by Id, as stored (for comparisons)."""
        with self._lock:
            return {i: copy.deepcopy(r) for i, r in self._records.get(sobject, {}).items() if not r.get("IsDeleted")}

    def purge(self, sobject: str, record_id: str) -> None:
        """Hard delete (emptied recycle bin): gone from queryAll and the deleted endpoint too."""
        with self._lock:
            del self._records[sobject][record_id]
            self._deleted_at.pop((sobject, record_id), None)

    def _new_id(self, sobject: str) -> str:
        prefix = schema.KEY_PREFIXES.get(sobject, "a00")
        return prefix + "8E" + secrets.token_hex(5).upper() + "AAA"

    # -- HTTP --------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        seg = request.segments
        if request.method == "POST" and (not seg or seg[:2] in (["services", "oauth2"], ["services", "Soap"])):
            return self._login(request, seg)
        if seg == ["services", "data"] and request.method == "GET":
            return json_response(200, [{"label": f"v{v}", "url": f"/services/data/v{v}", "version": v}
                                       for v in _VERSIONS])
        match = _VERSION.match(seg[2]) if seg[:2] == ["services", "data"] and len(seg) > 2 else None
        if match is None:
            return _not_found()
        header = request.headers.get("Authorization") or ""
        token = bearer_token(request) or (header[6:].strip() if header.startswith("OAuth ") else None)
        with self._lock:
            if token not in self._tokens:
                return _errors(401, "INVALID_SESSION_ID", "Session expired or invalid")
            if time.monotonic() - self._usage_since > 86_400:  # a rolling day, roughly
                self._usage, self._usage_since = 0, time.monotonic()
            self._usage += 1
            usage = self._usage
        if self.daily_api_limit is not None and usage > self.daily_api_limit:
            return _errors(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
        response = self._route(request, match.group(1), seg[3:])
        if response.status < 300:
            limit = self.daily_api_limit if self.daily_api_limit is not None else 5_000_000
            response.headers["Sforce-Limit-Info"] = f"api-usage={usage}/{limit}"
        return response

    def _login(self, request: Request, seg: list[str]) -> Response:
        content_type = (request.headers.get("Content-Type") or "").lower()
        is_soap = seg[:2] == ["services", "Soap"] or (
            not seg and ("xml" in content_type or request.body.lstrip().startswith(b"<")))
        if is_soap:
            version = seg[3] if len(seg) > 3 else "59.0"
            return login.soap_login(request, self.credentials, self.url, version, self._issue_token)
        if seg and seg != ["services", "oauth2", "token"]:
            return _not_found()
        return login.oauth_token(request, self.credentials, self.url, self._issue_token)

    def _route(self, request: Request, version: str, rest: list[str]) -> Response:
        method = request.method
        if not rest:
            base = f"/services/data/v{version}"
            return json_response(200, {k: f"{base}/{k}" for k in
                                       ("sobjects", "query", "queryAll", "limits", "jobs")})
        if rest == ["limits"]:
            return json_response(200, self._limits())
        if rest[0] in ("query", "queryAll") and method == "GET":
            if len(rest) == 2:
                return self._query_more(rest[1])
            return self._query(request, version, include_deleted=rest[0] == "queryAll")
        if rest[:2] == ["jobs", "query"]:
            try:
                body = request.json() if request.body else None
            except ValueError:
                return _errors(400, "JSON_PARSER_ERROR", "The request body is not valid JSON")
            params = {k: v[0] for k, v in request.query.items()}
            return self._bulk.handle(method, rest[2:], body, params, version, self._run_soql)
        if rest[0] == "sobjects" and method == "GET":
            return self._sobjects(request, version, rest[1:])
        written = self._write_route(request, version, rest)
        return written if written is not None else _not_found()

    def _limits(self) -> dict[str, Any]:
        limit = self.daily_api_limit if self.daily_api_limit is not None else 5_000_000
        return {
            "DailyApiRequests": {"Max": limit, "Remaining": max(0, limit - self._usage)},
            "DailyBulkV2QueryJobs": {"Max": 10_000, "Remaining": 10_000},
            "DailyBulkV2QueryFileStorageMB": {"Max": 976_562, "Remaining": 976_562},
        }

    # -- SOQL --------------------------------------------------------------------------------
    def _field_types(self, sobject: str) -> dict[str, str]:
        if sobject not in self._types:
            inferred = schema.infer_field_types(list(self._records[sobject].values()))
            self._types[sobject] = {**self._declared.get(sobject, {}), **inferred}
        return self._types[sobject]

    def _sobject(self, name: str) -> str | None:
        return next((s for s in self._records if s.lower() == name.lower()), None)

    def _run_soql(self, text: str, include_deleted: bool) -> tuple[str, list[str], list[dict]]:
        """Parse, resolve and execute: (sObject, selected fields, matching records)."""
        parsed = soql.parse(text)
        with self._lock:
            sobject = self._sobject(parsed.sobject)
            if sobject is None:
                raise soql.SoqlError("INVALID_TYPE", (
                    f"\n{text}\nsObject type '{parsed.sobject}' is not supported. If you are attempting "
                    "to use a custom object, be sure to append the '__c' after the entity name. Please "
                    "reference your WSDL or the describe call for the appropriate names."))
            types = self._field_types(sobject)
            query = soql.resolve(text, parsed, sobject, types)
            keep = soql.predicate(query.where, types)
            rows = [r for r in self._records[sobject].values()
                    if (include_deleted or not r.get("IsDeleted")) and keep(r)]
        rows = soql.sort_records(rows, query.order_by, types)[query.offset:]
        if query.limit is not None:
            rows = rows[: query.limit]
        return sobject, query.fields, rows

    def _query(self, request: Request, version: str, include_deleted: bool) -> Response:
        text = request.param("q")
        if text is None:
            return _errors(400, "MALFORMED_QUERY", "A query string (q=) is required")
        try:
            sobject, fields, rows = self._run_soql(text, include_deleted)
        except soql.SoqlError as exc:
            return _errors(400, exc.error_code, exc.message)
        if not fields:  # SELECT COUNT()
            return json_response(200, {"totalSize": len(rows), "done": True, "records": []})
        records = [{"attributes": {"type": sobject, "url": f"/services/data/v{version}/sobjects/{sobject}/{r['Id']}"},
                    **{f: r.get(f) for f in fields}} for r in rows]
        options = request.headers.get("Sforce-Query-Options") or ""
        found = re.search(r"batchSize\s*=\s*(\d+)", options)
        batch = max(200, min(2000, int(found.group(1)))) if found else self.batch_size
        if len(records) <= batch:
            return json_response(200, {"totalSize": len(records), "done": True, "records": records})
        locator = "01g" + secrets.token_hex(8)[:15].upper()
        with self._lock:
            now = time.monotonic()
            for key in [k for k, c in self._cursors.items() if now - c[3] > _CURSOR_TTL_SECONDS]:
                del self._cursors[key]
            self._cursors[locator] = (records, batch, version, now)
        return json_response(200, self._page(records, locator, 0, batch, version))

    @staticmethod
    def _page(records: list[dict], locator: str, start: int, batch: int, version: str) -> dict:
        end = start + batch
        page: dict[str, Any] = {"totalSize": len(records), "done": end >= len(records),
                                "records": records[start:end]}
        if end < len(records):
            page["nextRecordsUrl"] = f"/services/data/v{version}/query/{locator}-{end}"
        return page

    def _query_more(self, identifier: str) -> Response:
        locator, _, position = identifier.rpartition("-")
        with self._lock:
            cursor = self._cursors.get(locator)
        if cursor is None or not position.isdigit():
            return _errors(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        records, batch, version, _ = cursor
        return json_response(200, self._page(records, locator, int(position), batch, version))

    # -- sObjects ----------------------------------------------------------------------------
    def _sobjects(self, request: Request, version: str, rest: list[str]) -> Response:
        if not rest:
            with self._lock:
                entries = [schema.global_entry(s, version) for s in self._records]
            return json_response(200, {"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": entries})
        sobject = self._sobject(rest[0])
        if sobject is None:
            return _not_found()
        with self._lock:
            types = dict(self._field_types(sobject))
        if len(rest) == 1:
            return json_response(200, {"objectDescribe": schema.global_entry(sobject, version), "recentItems": []})
        if rest[1:] == ["describe"]:
            return json_response(200, schema.describe(sobject, types, version, read_only=READ_ONLY,
                                                      external_ids=frozenset(EXTERNAL_IDS.get(sobject, ()))))
        if rest[1:] in (["deleted"], ["updated"]):
            return self._replication(sobject, rest[1], request)
        if len(rest) == 2:
            with self._lock:
                record = copy.deepcopy(self._records[sobject].get(rest[1]))
            if record is None:
                return _not_found()
            if record.get("IsDeleted"):
                return _errors(404, "ENTITY_IS_DELETED", "entity is deleted")
            wanted = [f for f in (request.param("fields") or "").split(",") if f.strip()]
            record["attributes"] = {"type": sobject, "url": f"/services/data/v{version}/sobjects/{sobject}/{rest[1]}"}
            if wanted:
                record = {"attributes": record["attributes"], **{f.strip(): record.get(f.strip()) for f in wanted}}
            return json_response(200, record)
        return _not_found()

    def _replication(self, sobject: str, kind: str, request: Request) -> Response:
        raw_start, raw_end = request.param("start"), request.param("end")
        if not raw_start or not raw_end:
            return _errors(400, "MISSING_ARGUMENT", "Missing required parameter: start and end")
        start, end = soql.parse_datetime(raw_start), soql.parse_datetime(raw_end)
        if start is None or end is None:
            return _errors(400, "INVALID_REPLICATION_DATE", f"Invalid date: {raw_start} / {raw_end}")
        now = datetime.now(UTC)
        if end <= start:
            return _errors(400, "INVALID_REPLICATION_DATE", "startDate must chronologically precede endDate")
        if start < now - _REPLICATION_WINDOW:
            return _errors(400, "INVALID_REPLICATION_DATE", "startDate cannot be more than 30 days ago")
        covered = sf_datetime(min(end, now).replace(second=0, microsecond=0))
        with self._lock:
            records = list(self._records[sobject].values())
            deleted_at = dict(self._deleted_at)
        if kind == "updated":
            ids = [r["Id"] for r in records if not r.get("IsDeleted")
                   and (stamp := soql.parse_datetime(r.get("SystemModstamp"))) and start <= stamp <= end]
            return json_response(200, {"ids": ids, "latestDateCovered": covered})
        deleted = []
        for record in records:
            if record.get("IsDeleted"):
                when = deleted_at.get((sobject, record["Id"])) or soql.parse_datetime(record.get("SystemModstamp"))
                if when and start <= when <= end:
                    deleted.append({"id": record["Id"], "deletedDate": sf_datetime(when)})
        return json_response(200, {"deletedRecords": deleted, "latestDateCovered": covered,
                                   "earliestDateAvailable": sf_datetime(now - timedelta(days=15))})
