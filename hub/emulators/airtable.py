"""Airtable Web API emulator: list / get records and the base schema, with Airtable's paging
tokens, rate limit and lockout, and error bodies (see /work/shared/reference/saas-apis.md).

pyairtable runs against it unmodified: `Api(token, endpoint_url=emulator.url)`.
"""

from __future__ import annotations

import copy
import hashlib
import math
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hub.emulators._airtable_formula import FormulaError, compile_formula, to_datetime
from hub.emulators._airtable_schema import infer_table_schema
from hub.emulators._server import (
    EmulatorServer,
    Request,
    Response,
    SlidingWindowLimiter,
    bearer_token,
    json_response,
)

_OFFSET_FORMAT = re.compile(r"^itr[A-Za-z0-9]{14}/rec\w+$")
_SORT_KEY = re.compile(r"^sort\[(\d+)\]\[(field|direction)\]$")


def _error(status: int, kind: str, message: str) -> Response:
    return json_response(status, {"error": {"type": kind, "message": message}})


def _rate_limited() -> Response:
    return json_response(429, {"errors": [{
        "error": "RATE_LIMIT_REACHED", "message": "Rate limit exceeded. Please try again later"}]})


def stable_id(prefix: str, *parts: str) -> str:
    """A deterministic Airtable-style id (`tbl…`, `fld…`) so schema ids survive restarts."""
    digest = hashlib.sha256("/".join(parts).encode("utf-8")).hexdigest()
    return prefix + "".join(c for c in digest if c.isalnum())[:14]


@dataclass
class _ListParams:
    page_size: int = 100
    offset: str | None = None
    fields: list[str] | None = None
    formula: str = ""
    max_records: int | None = None
    sort: list[tuple[str, str]] = field(default_factory=list)
    view: str | None = None
    by_field_id: bool = False
    comment_count: bool = False


class _BadRequest(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def _int_param(name: str, raw: Any, low: int, high: int | None) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = low - 1
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high else f"at least {low}"
        raise _BadRequest(_error(422, "INVALID_REQUEST_UNKNOWN", f"{name} must be an integer {bound}"))
    return value


def _params_from_query(request: Request) -> _ListParams:
    params = _ListParams()
    if (raw := request.param("pageSize")) is not None:
        params.page_size = _int_param("pageSize", raw, 1, 100)
    if (raw := request.param("maxRecords")) is not None:
        params.max_records = _int_param("maxRecords", raw, 1, None)
    params.offset = request.param("offset") or None
    names = request.params("fields[]") + request.params("fields")
    params.fields = names or None
    params.formula = request.param("filterByFormula") or ""
    params.view = request.param("view") or None
    params.by_field_id = (request.param("returnFieldsByFieldId") or "").lower() in ("1", "true")
    params.comment_count = "commentCount" in request.params("recordMetadata[]")
    sorts: dict[int, dict[str, str]] = {}
    for key, values in request.query.items():
        if match := _SORT_KEY.match(key):
            sorts.setdefault(int(match.group(1)), {})[match.group(2)] = values[0]
    params.sort = [(s.get("field", ""), s.get("direction", "asc")) for _, s in sorted(sorts.items())]
    return params


def _params_from_body(body: Any) -> _ListParams:
    if not isinstance(body, dict):
        raise _BadRequest(_error(422, "INVALID_REQUEST_UNKNOWN", "Request body must be a JSON object"))
    params = _ListParams()
    if body.get("pageSize") is not None:
        params.page_size = _int_param("pageSize", body["pageSize"], 1, 100)
    if body.get("maxRecords") is not None:
        params.max_records = _int_param("maxRecords", body["maxRecords"], 1, None)
    params.offset = body.get("offset") or None
    params.fields = list(body["fields"]) if body.get("fields") else None
    params.formula = body.get("filterByFormula") or ""
    params.view = body.get("view") or None
    params.by_field_id = bool(body.get("returnFieldsByFieldId"))
    params.comment_count = "commentCount" in (body.get("recordMetadata") or [])
    params.sort = [(s.get("field", ""), s.get("direction", "asc")) for s in body.get("sort") or []]
    return params


def _sort_value(value: Any) -> tuple[int, Any]:
    # Empty cells first, then numbers, then everything else as text: one total order.
    if value is None:
        return (0, 0)
    if isinstance(value, bool | int | float):
        return (1, float(value))
    return (2, str(value).casefold())


class AirtableEmulator(EmulatorServer):
    """Serves `tables` (table name -> Airtable records) as base `base_id`."""

    def __init__(
        self,
        tables: dict[str, list[dict]],
        *,
        base_id: str = "appCredLinkDemo1",
        token: str = "pat-demo-token",
        requests_per_second: float | None = 5.0,
        lockout_seconds: float = 30.0,
        offset_ttl_seconds: float = 300.0,
        last_modified_field: str | None = None,
        write_scopes: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(host=host, port=port)
        self.base_id = base_id
        self.token = token
        self.offset_ttl_seconds = offset_ttl_seconds
        # A "Last modified time" field every table carries (computed, as in Airtable), or None.
        self.last_modified_field = last_modified_field
        self.lockout_seconds = lockout_seconds
        self.write_scopes = write_scopes  # False: a token with data.records:read only (PATCH answers 403)
        self.writes = 0  # write requests served
        self._locked_until = 0.0
        self._lock = threading.RLock()
        self._tables: dict[str, dict[str, dict]] = {}
        self._modified: dict[tuple[str, str], datetime] = {}
        self._schemas: dict[str, dict] = {}
        # offset token -> (snapshot of record ids, next position, issued at)
        self._offsets: dict[str, tuple[list[str], int, float]] = {}
        for name, records in tables.items():
            self._tables[name] = {}
            for record in records:
                self._store(name, record, modified=to_datetime(record.get("createdTime")))
        self._limiter = None
        if requests_per_second:
            limit = max(1, math.ceil(requests_per_second))
            self._limiter = SlidingWindowLimiter(limit, limit / requests_per_second, lockout_seconds)

    # -- mutation API ------------------------------------------------------------------------
    def upsert(self, table: str, record: dict) -> dict:
        """Insert a record or update its cells, like Airtable's PATCH: given fields merge over the
        stored ones and an empty value (None, "", [], False) clears the cell. Airtable keeps no
        modified stamp on the record itself; LAST_MODIFIED_TIME() in formulas sees this call."""
        with self._lock:
            rows = self._tables.setdefault(table, {})
            record_id = record.get("id") or "rec" + secrets.token_hex(7)
            stored = copy.deepcopy(rows.get(record_id) or {"createdTime": _now_iso(), "fields": {}})
            stored.update({k: copy.deepcopy(v) for k, v in record.items() if k != "fields"})
            cells = {**stored.get("fields", {}), **copy.deepcopy(record.get("fields") or {})}
            stored.update(id=record_id, fields={k: v for k, v in cells.items() if v not in (None, "", [], False)})
            self._store(table, stored, modified=datetime.now(UTC))
            return copy.deepcopy(stored)

    def delete(self, table: str, record_id: str) -> None:
        with self._lock:
            if self._tables.get(table, {}).pop(record_id, None) is None:
                raise KeyError(f"Airtable table {table!r} has no record {record_id!r}")
            self._modified.pop((table, record_id), None)
            self._schemas.pop(table, None)

    def snapshot(self, table: str) -> list[dict]:
        """Every record of a table as a listing serves it, in id order (for comparisons)."""
        with self._lock:
            return [copy.deepcopy(self._view(table, r)) for _, r in sorted(self._tables.get(table, {}).items())]

    def lock_out(self, seconds: float | None = None) -> None:
        """Refuse the base with 429 for `seconds` (default: the lockout), as after an overrun."""
        with self._lock:
            self._locked_until = time.monotonic() + (self.lockout_seconds if seconds is None else seconds)

    def expire_offsets(self) -> None:
        """Forget every listing offset: the next page request answers 422
        LIST_RECORDS_ITERATOR_NOT_AVAILABLE, as when Airtable drops an iterator."""
        with self._lock:
            self._offsets.clear()

    def fault_response(self, status: int) -> Response:
        if status == 429:
            self.lock_out()
            return _rate_limited()
        return _error(status, "SERVER_ERROR", "Injected failure")

    def _view(self, table: str, record: dict) -> dict:
        """The record as served: with the computed "Last modified time" cell when the base has one."""
        if not self.last_modified_field:
            return record
        stamp = self._modified[(table, record["id"])]
        return {**record, "fields": {**record.get("fields", {}), self.last_modified_field: _iso_ms(stamp)}}

    def _store(self, table: str, record: dict, modified: datetime | None) -> None:
        self._tables[table][record["id"]] = copy.deepcopy(record)
        self._modified[(table, record["id"])] = modified or datetime.now(UTC)
        self._schemas.pop(table, None)

    # -- HTTP --------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if bearer_token(request) != self.token:
            return _error(401, "AUTHENTICATION_REQUIRED", "Authentication required")
        seg = request.segments
        if not seg or seg[0] != "v0":
            return json_response(404, {"error": "NOT_FOUND"})
        base = seg[3] if seg[1:3] == ["meta", "bases"] and len(seg) > 3 else seg[1] if len(seg) > 1 else ""
        if time.monotonic() < self._locked_until:
            return _rate_limited()
        if self._limiter is not None and not self._limiter.acquire(base).allowed:
            return _rate_limited()
        try:
            return self._route(request, seg)
        except _BadRequest as bad:
            return bad.response

    def _route(self, request: Request, seg: list[str]) -> Response:
        if seg[1:] == ["meta", "whoami"] and request.method == "GET":
            # An OAuth token's answer (Airtable lists scopes for those): the user and its scopes.
            scopes = ["data.records:read", "schema.bases:read"] + (["data.records:write"] if self.write_scopes else [])
            return json_response(200, {"id": stable_id("usr", self.base_id, "hub"), "scopes": scopes})
        if seg[1:] == ["meta", "bases"] and request.method == "GET":
            return json_response(200, {"bases": [
                {"id": self.base_id, "name": "Customer Hub", "permissionLevel": "read"}]})
        if len(seg) == 5 and seg[1:3] == ["meta", "bases"] and seg[4] == "tables":
            if seg[3] != self.base_id:
                return json_response(404, {"error": "NOT_FOUND"})
            with self._lock:
                return json_response(200, {"tables": [self._schema(t) for t in self._tables]})
        if len(seg) < 3 or seg[1] != self.base_id:
            return json_response(404, {"error": "NOT_FOUND"})
        table = self._table_name(seg[2])
        if table is None:
            return _error(404, "TABLE_NOT_FOUND", f"Could not find table {seg[2]} in application {seg[1]}")
        if request.method == "PATCH" and self.write_scopes and len(seg) in (3, 4):
            return self._patch(table, seg[3] if len(seg) == 4 else None, request)
        if request.method not in ("GET", "POST"):
            return _error(403, "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND",
                          "Invalid permissions: this token may not write to the base (data.records:write)")
        if len(seg) == 3 and request.method == "GET":
            return self._list(table, _params_from_query(request))
        if len(seg) == 4 and seg[3] == "listRecords" and request.method == "POST":
            try:
                body = request.json()
            except ValueError:
                return _error(422, "INVALID_REQUEST_UNKNOWN", "Request body is not valid JSON")
            return self._list(table, _params_from_body(body))
        if len(seg) == 4 and request.method == "GET":
            with self._lock:
                record = self._tables[table].get(seg[3])
                if record is None:
                    return json_response(404, {"error": "NOT_FOUND"})
                by_id = (request.param("returnFieldsByFieldId") or "").lower() in ("1", "true")
                return json_response(200, self._present(table, record, None, by_id, False))
        return json_response(404, {"error": "NOT_FOUND"})

    def _patch(self, table: str, record_id: str | None, request: Request) -> Response:
        """Update cells, as ``PATCH /v0/{base}/{table}/{record}`` (``{"fields": …}``) or
        ``PATCH /v0/{base}/{table}`` (``{"records": [{"id", "fields"}]}``, at most 10). A field
        the table does not have answers 422 UNKNOWN_FIELD_NAME; the whole request is refused."""
        try:
            body = request.json() or {}
        except ValueError:
            return _error(422, "INVALID_REQUEST_UNKNOWN", "Request body is not valid JSON")
        items = [{"id": record_id, "fields": body.get("fields")}] if record_id else body.get("records")
        if not isinstance(items, list) or not items or any(
                not isinstance(i, dict) or not isinstance(i.get("fields"), dict) for i in items):
            return _error(422, "INVALID_REQUEST_MISSING_FIELDS", "Could not find field \"fields\" in the request body")
        if len(items) > 10:
            return _error(422, "INVALID_RECORDS", "You can update at most 10 records per request")
        with self._lock:
            known = {f["name"] for f in self._schema(table)["fields"]}
            for item in items:
                unknown = sorted(set(item["fields"]) - known)
                if unknown:
                    return _error(422, "UNKNOWN_FIELD_NAME", f'Unknown field name: "{unknown[0]}"')
                if item.get("id") not in self._tables[table]:
                    return json_response(404, {"error": "NOT_FOUND"})
            self.writes += 1
            updated = [self.upsert(table, {"id": i["id"], "fields": i["fields"]}) for i in items]
            shown = [self._present(table, self._tables[table][u["id"]], None, False, False) for u in updated]
        return json_response(200, shown[0] if record_id else {"records": shown})

    def _table_name(self, name_or_id: str) -> str | None:
        with self._lock:
            if name_or_id in self._tables:
                return name_or_id
            return next((t for t in self._tables if self._schema(t)["id"] == name_or_id), None)

    def _schema(self, table: str) -> dict:
        if table not in self._schemas:
            schema = infer_table_schema(
                table, stable_id("tbl", self.base_id, table),
                list(self._tables[table].values()),
                lambda name: stable_id("fld", self.base_id, table, name),
                stable_id("viw", self.base_id, table, "Grid view"),
            )
            if self.last_modified_field:
                schema["fields"].append({
                    "id": stable_id("fld", self.base_id, table, self.last_modified_field),
                    "name": self.last_modified_field, "type": "lastModifiedTime",
                    "options": {"isValid": True, "referencedFieldIds": [], "result": {"type": "dateTime"}}})
            self._schemas[table] = schema
        return self._schemas[table]

    def _list(self, table: str, params: _ListParams) -> Response:
        with self._lock:
            # The schema is inferred from the data and Airtable omits empty cells, so a field no
            # record fills is indistinguishable from an unknown one: `fields[]`, `sort` and `view`
            # accept any name (an unfilled column simply yields no cells).
            known = {f["name"] for f in self._schema(table)["fields"]}
            if any(d not in ("asc", "desc") for _, d in params.sort):
                return _error(422, "INVALID_SORT_PARAMETER", "Sort direction must be asc or desc")
            if params.offset:
                entry = self._offsets.get(params.offset)
                if entry is None and not _OFFSET_FORMAT.match(params.offset):
                    return _error(422, "INVALID_OFFSET_VALUE",
                                  f'The value of offset "{params.offset}" is invalid')
                if entry is None or time.monotonic() - entry[2] > self.offset_ttl_seconds:
                    return _error(422, "LIST_RECORDS_ITERATOR_NOT_AVAILABLE",
                                  "The list records iterator is no longer available; "
                                  "restart the listing without an offset")
                ids, position = entry[0], entry[1]
            else:
                try:
                    ids = self._matching_ids(table, params, known)
                except FormulaError as exc:
                    return _error(422, "INVALID_FILTER_BY_FORMULA",
                                  f"The formula for filtering records is invalid: {exc}")
                position = 0
            rows, records = self._tables[table], []
            while position < len(ids) and len(records) < params.page_size:
                record = rows.get(ids[position])  # deleted since the listing began: skipped
                position += 1
                if record is not None:
                    records.append(self._present(table, record, params.fields, params.by_field_id,
                                                 params.comment_count))
            payload: dict[str, Any] = {"records": records}
            if position < len(ids):
                payload["offset"] = self._issue_offset(ids, position)
            return json_response(200, payload)

    def _matching_ids(self, table: str, params: _ListParams, known: set[str]) -> list[str]:
        predicate = compile_formula(params.formula, known)
        rows = [self._view(table, r) for r in self._tables[table].values()]
        if predicate is not None:
            rows = [r for r in rows if predicate(r, self._modified[(table, r["id"])])]
        for name, direction in reversed(params.sort):  # stable sorts, last key first
            rows.sort(key=lambda r, n=name: _sort_value(r.get("fields", {}).get(n)),
                      reverse=direction == "desc")
        ids = [r["id"] for r in rows]
        return ids[: params.max_records] if params.max_records else ids

    def _issue_offset(self, ids: list[str], position: int) -> str:
        now = time.monotonic()
        for token in list(self._offsets):  # insertion order = issue order: drop the stale head
            if now - self._offsets[token][2] <= self.offset_ttl_seconds:
                break
            del self._offsets[token]
        token = f"itr{secrets.token_hex(7)}/{ids[position]}"
        if not _OFFSET_FORMAT.match(token):
            token = f"itr{secrets.token_hex(7)}/rec{secrets.token_hex(7)}"
        self._offsets[token] = (ids, position, now)
        return token

    def _present(self, table: str, record: dict, fields: list[str] | None, by_field_id: bool,
                 comment_count: bool) -> dict:
        out = copy.deepcopy(self._view(table, record))
        cells = out.get("fields", {})
        if fields is not None:
            cells = {k: v for k, v in cells.items() if k in fields}
        if by_field_id:
            ids = {f["name"]: f["id"] for f in self._schema(table)["fields"]}
            cells = {ids.get(k, k): v for k, v in cells.items()}
        out["fields"] = cells
        if comment_count:
            out["commentCount"] = 0
        return out


def _iso_ms(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _now_iso() -> str:
    return _iso_ms(datetime.now(UTC))
