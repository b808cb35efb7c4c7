"""Bulk API 2.0 query jobs for the Salesforce emulator: create, poll, page through CSV results
with `Sforce-Locator` / `Sforce-NumberOfRecords`, delete, abort.

Jobs run to completion when created; the creation answer still says `UploadComplete`, so a
client's poll loop runs at least once, as against the real API.
"""

from __future__ import annotations

import base64
import csv
import io
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hub.emulators._server import Response, json_response, text_response
from hub.emulators._soql import SoqlError

DELIMITERS = {"COMMA": ",", "TAB": "\t", "PIPE": "|", "SEMICOLON": ";", "CARET": "^", "BACKQUOTE": "`"}
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
DEFAULT_MAX_RECORDS = 50_000

# (soql, include_deleted) -> (sObject, selected fields, matching records)
QueryRunner = Callable[[str, bool], tuple[str, list[str], list[dict]]]


def _sf_now() -> str:
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}+0000"


def _errors(status: int, code: str, message: str) -> Response:
    return json_response(status, [{"errorCode": code, "message": message}])


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass
class _Job:
    info: dict
    fields: list[str]
    rows: list[dict]


class BulkQueryJobs:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, _Job] = {}

    def handle(self, method: str, rest: list[str], body: Any, params: dict[str, str],
               version: str, run: QueryRunner) -> Response:
        """`rest` is the path after `jobs/query`."""
        if not rest and method == "POST":
            return self._create(body, version, run)
        if not rest and method == "GET":
            with self._lock:
                records = [self._status(job) for job in self._jobs.values()]
            return json_response(200, {"done": True, "records": records, "nextRecordsUrl": None})
        with self._lock:
            job = self._jobs.get(rest[0]) if rest else None
        if job is None:
            return _errors(404, "NOT_FOUND", "The requested resource does not exist")
        if len(rest) == 1 and method == "GET":
            return json_response(200, self._status(job))
        if len(rest) == 1 and method == "DELETE":
            with self._lock:
                self._jobs.pop(rest[0], None)
            return Response(204)
        if len(rest) == 1 and method == "PATCH":
            if isinstance(body, dict) and body.get("state") == "Aborted":
                job.info["state"] = "Aborted"
                return json_response(200, self._status(job))
            return _errors(400, "INVALIDJOBSTATE", "Only state 'Aborted' can be set on a query job")
        if rest[1:] == ["results"] and method == "GET":
            return self._results(job, params)
        return _errors(404, "NOT_FOUND", "The requested resource does not exist")

    def _create(self, body: Any, version: str, run: QueryRunner) -> Response:
        if not isinstance(body, dict) or not body.get("query"):
            return _errors(400, "INVALIDJOB", "A query job needs a 'query'")
        operation = body.get("operation", "query")
        if operation not in ("query", "queryAll"):
            return _errors(400, "INVALIDJOB", f"Invalid operation for a query job: {operation}")
        delimiter = body.get("columnDelimiter", "COMMA")
        line_ending = body.get("lineEnding", "LF")
        if delimiter not in DELIMITERS or line_ending not in LINE_ENDINGS:
            return _errors(400, "INVALIDJOB", "Unsupported columnDelimiter or lineEnding")
        try:
            sobject, fields, rows = run(body["query"], operation == "queryAll")
        except SoqlError as exc:
            return _errors(400, exc.error_code, exc.message)
        if not fields:
            return _errors(400, "INVALIDJOB", "Aggregate queries (COUNT()) are not supported by Bulk API 2.0")
        job_id = "750" + secrets.token_hex(8)[:15].upper()
        now = _sf_now()
        info = {
            "id": job_id, "operation": operation, "object": sobject,
            "createdById": "005000000000001AAA", "createdDate": now, "systemModstamp": now,
            "state": "UploadComplete", "concurrencyMode": "Parallel", "contentType": "CSV",
            "apiVersion": float(version), "lineEnding": line_ending, "columnDelimiter": delimiter,
        }
        job = _Job(info=info, fields=fields, rows=rows)
        with self._lock:
            self._jobs[job_id] = job
        response = dict(info)
        info["state"] = "JobComplete"  # every later poll sees the finished job
        return json_response(200, response)

    @staticmethod
    def _status(job: _Job) -> dict:
        return {**job.info, "jobType": "V2Query", "numberRecordsProcessed": len(job.rows),
                "retries": 0, "totalProcessingTime": 1}

    def _results(self, job: _Job, params: dict[str, str]) -> Response:
        if job.info["state"] != "JobComplete":
            return _errors(400, "API_ERROR", f"Job is in state {job.info['state']}, not JobComplete")
        try:
            start = int(base64.b64decode(params["locator"]).decode()) if params.get("locator") else 0
            max_records = int(params.get("maxRecords") or DEFAULT_MAX_RECORDS)
        except (ValueError, UnicodeDecodeError):
            return _errors(400, "INVALID_LOCATOR", f"Invalid locator: {params.get('locator')}")
        if max_records <= 0:
            return _errors(400, "INVALID_MAX_RECORDS", "maxRecords must be a positive integer")
        page = job.rows[start: start + max_records]
        out = io.StringIO()
        writer = csv.writer(out, delimiter=DELIMITERS[job.info["columnDelimiter"]],
                            lineterminator=LINE_ENDINGS[job.info["lineEnding"]], quoting=csv.QUOTE_ALL)
        writer.writerow(job.fields)
        for row in page:
            writer.writerow([_cell(row.get(f)) for f in job.fields])
        end = start + len(page)
        locator = base64.b64encode(str(end).encode()).decode() if end < len(job.rows) else "null"
        return text_response(200, out.getvalue(), "text/csv", {
            "Sforce-NumberOfRecords": str(len(page)), "Sforce-Locator": locator})
