"""Usage logs: landing-directory files -> usage events -> ``usage_daily``.

Files are JSON Lines (optionally gzip) or CSV, one event a line (DESIGN.md "Usage log format"),
plus one optional field of ours: ``count``, the number of identical operations a line stands for
(a per-minute roll-up; default 1).
Every line is accounted for: lines in = lines loaded + lines quarantined, per file. A file is
known by its content digest, so a re-dropped or renamed copy is never counted twice.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from hub.timeparse import timestamps
from hub.warehouse import Warehouse, utcnow

USAGE_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".csv", ".csv.gz")
REQUIRED = ("timestamp", "customer_id", "event")
NUMERIC = ("bytes", "latency_ms", "cost")
API_EVENTS = {"api_call": "api_calls", "sign": "sign_operations", "verify": "verify_operations"}
ERROR_STATUSES = {"error", "failed", "failure", "fail"}


def is_usage_file(path: Path) -> bool:
    return path.is_file() and path.name.endswith(USAGE_SUFFIXES) and not path.name.startswith(".")


def list_usage_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.rglob("*") if is_usage_file(p))


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any] | None, str, str | None]]:
    """(line number, parsed row or None, raw text, reason it could not be parsed)."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", errors="replace", newline="") as fh:
        if ".csv" in path.name:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                return
            header = [h.strip() for h in header]
            for number, values in enumerate(reader, start=2):
                text = ",".join(values)
                if not any(v.strip() for v in values):
                    continue
                if len(values) != len(header):
                    yield number, None, text, f"expected {len(header)} CSV columns, found {len(values)}"
                    continue
                yield number, {k: (v if v != "" else None) for k, v in zip(header, values, strict=True)}, text, None
        else:
            for number, text in enumerate(fh, start=1):
                text = text.rstrip("\r\n")
                if not text.strip():
                    continue
                try:
                    row = json.loads(text)
                except json.JSONDecodeError as exc:
                    yield number, None, text, f"not valid JSON ({exc.msg} at column {exc.colno})"
                    continue
                if not isinstance(row, dict):
                    yield number, None, text, "a JSON object was expected on each line"
                    continue
                yield number, row, text, None


def _validate(row: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    for name in REQUIRED:
        if row.get(name) in (None, ""):
            return None, f"missing required field '{name}'"
    when = pd.to_datetime(str(row["timestamp"]), utc=True, errors="coerce", format="ISO8601")
    if pd.isna(when):
        return None, f"timestamp {str(row['timestamp'])[:40]!r} is not RFC 3339"
    clean = {"event_at": when.isoformat(), "customer_ref": str(row["customer_id"]).strip(),
             "event": str(row["event"]).strip(), "status": _text(row.get("status")),
             "user_id": _text(row.get("user_id"))}
    count = row.get("count")
    if count in (None, ""):
        clean["event_count"] = 1.0
    else:
        try:
            clean["event_count"] = float(count)
        except (TypeError, ValueError):
            return None, f"field 'count' is not a number: {str(count)[:40]!r}"
        if not clean["event_count"] >= 1 or clean["event_count"] != int(clean["event_count"]):
            return None, f"field 'count' must be a whole number of at least 1, got {count!r}"
    for name in NUMERIC:
        value = row.get(name)
        if value in (None, ""):
            clean[name] = None
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None, f"field '{name}' is not a number: {str(value)[:40]!r}"
        if math.isnan(number) or math.isinf(number) or number < 0:
            return None, f"field '{name}' must be a non-negative number, got {value!r}"
        clean[name] = number
    return clean, None


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


@dataclass
class FileLoad:
    name: str
    digest: str
    lines_in: int = 0
    lines_loaded: int = 0
    quarantined: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)


def read_usage_file(path: Path, *, digest: str | None = None) -> FileLoad:
    """Parse one file; every line ends up either in ``events`` or in ``quarantined``."""
    digest = digest or file_digest(path)
    load = FileLoad(name=path.name, digest=digest)
    now = utcnow().isoformat()
    for number, row, text, reason in _lines(path):
        load.lines_in += 1
        clean = None
        if row is not None:
            clean, reason = _validate(row)
        if clean is None:
            load.quarantined.append({
                "quarantine_id": f"usage:{digest[:16]}:{number}", "source": "usage",
                "source_object": "usage_log", "record_key": f"{path.name}:{number}",
                "reason": f"{path.name} line {number}: {reason}", "payload": text[:2000],
                "quarantined_at": now,
            })
            continue
        clean.update(event_key=f"{digest[:16]}:{number}", file_name=path.name, line_no=number, _loaded_at=now)
        load.events.append(clean)
        load.lines_loaded += 1
    return load


@dataclass
class IngestStats:
    files_read: int = 0
    files_skipped: int = 0
    lines_in: int = 0
    lines_loaded: int = 0
    lines_quarantined: int = 0

    def as_metadata(self) -> dict[str, int]:
        return dict(self.__dict__)


def ingest_usage_files(warehouse: Warehouse, paths: list[Path]) -> IngestStats:
    """Load new files (one transaction each: events, quarantined lines and the ledger row)."""
    stats = IngestStats()
    ledger = warehouse.table("raw", "usage_files")
    with warehouse.engine.connect() as conn:
        known = set(conn.execute(sa.select(ledger.c.file_digest)).scalars())
    for path in paths:
        digest = file_digest(path)
        if digest in known:
            stats.files_skipped += 1
            continue
        load = read_usage_file(path, digest=digest)
        with warehouse.transaction() as conn:
            warehouse.upsert("raw", "usage_events", load.events, key=["event_key"], conn=conn)
            warehouse.upsert("raw", "quarantine", load.quarantined, key=["quarantine_id"], conn=conn)
            warehouse.upsert("raw", "usage_files", [{
                "file_digest": digest, "file_name": load.name, "size_bytes": path.stat().st_size,
                "lines_in": load.lines_in, "lines_loaded": load.lines_loaded,
                "lines_quarantined": len(load.quarantined), "loaded_at": utcnow().isoformat(),
            }], key=["file_digest"], conn=conn)
        known.add(digest)
        stats.files_read += 1
        stats.lines_in += load.lines_in
        stats.lines_loaded += load.lines_loaded
        stats.lines_quarantined += len(load.quarantined)
    return stats


DAILY_COLUMNS = ["customer_id", "date", "api_calls", "sign_operations", "verify_operations", "errors",
                 "error_rate", "active_users", "storage_bytes", "cost", "events", "origin"]


def usage_daily(events: pd.DataFrame, reports: pd.DataFrame, lookup: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Daily usage per customer, and the events whose customer id nobody knows.

    ``events``: raw usage events; ``reports``: Airtable "Usage Analytics" rows with a resolved
    ``customer_id``; ``lookup``: every id a source knows a customer by -> ``customer_id``.
    Log events win for a (customer, day) they cover; a reported row fills days without logs.
    API calls count every API event (api_call, sign, verify); errors are events whose status is
    an error word or an HTTP status of 400 and above.
    """
    frame = events.copy()
    frame["customer_id"] = frame["customer_ref"].map(lookup)
    unknown = frame[frame["customer_id"].isna()]
    frame = frame[frame["customer_id"].notna()]
    daily = pd.DataFrame(columns=DAILY_COLUMNS)
    if not frame.empty:
        frame["date"] = timestamps(frame["event_at"]).dt.strftime("%Y-%m-%d")
        status = frame["status"].fillna("").astype(str).str.lower()
        numeric_status = pd.to_numeric(status, errors="coerce")
        is_api = frame["event"].isin(list(API_EVENTS))
        weight = frame["event_count"].fillna(1.0) if "event_count" in frame else 1.0
        frame["is_error"] = (is_api & (status.isin(ERROR_STATUSES) | (numeric_status >= 400))) * weight
        for event, column in API_EVENTS.items():
            frame[column] = (frame["event"] == event) * weight
        frame["api_calls"] = is_api * weight
        grouped = frame.groupby(["customer_id", "date"])
        daily = grouped.agg(
            api_calls=("api_calls", "sum"), sign_operations=("sign_operations", "sum"),
            verify_operations=("verify_operations", "sum"), errors=("is_error", "sum"),
            active_users=("user_id", "nunique"), storage_bytes=("bytes", "sum"), cost=("cost", "sum"),
            events=("event", "size"),
        ).reset_index()
        daily["error_rate"] = (daily["errors"] / daily["api_calls"].where(daily["api_calls"] > 0)).fillna(0.0)
        daily["origin"] = "usage_log"
    rep = pd.DataFrame()
    if reports is not None and not reports.empty:
        rep = reports.dropna(subset=["customer_id", "date"]).copy()
    if reports is not None and not rep.empty:
        rep = rep.groupby(["customer_id", "date"], as_index=False).agg(
            api_calls=("api_calls", "sum"), sign_operations=("sign_operations", "sum"),
            verify_operations=("verify_operations", "sum"), error_rate=("error_rate", "mean"),
            active_users=("active_users", "max"), storage_bytes=("storage_bytes", "max"), cost=("cost", "sum"))
        rep["errors"] = (rep["api_calls"].fillna(0) * rep["error_rate"].fillna(0)).round()
        rep["events"] = 0
        rep["origin"] = "airtable"
        covered = set(zip(daily["customer_id"], daily["date"], strict=True))
        rep = rep[[(c, d) not in covered for c, d in zip(rep["customer_id"], rep["date"], strict=True)]]
        daily = pd.concat([daily, rep[DAILY_COLUMNS]], ignore_index=True) if len(daily) else rep[DAILY_COLUMNS]
    daily = daily[DAILY_COLUMNS].fillna({c: 0 for c in DAILY_COLUMNS[2:11]})
    return daily.sort_values(["customer_id", "date"]).reset_index(drop=True), unknown


def unknown_customer_quarantine(unknown: pd.DataFrame) -> pd.DataFrame:
    """Quarantine rows for events naming a customer id no source knows."""
    now = utcnow().isoformat()
    return pd.DataFrame({
        "quarantine_id": "usage-unknown:" + unknown["event_key"].astype(str),
        "source": "usage", "source_object": "usage_event",
        "record_key": unknown["file_name"].astype(str) + ":" + unknown["line_no"].astype(str),
        "reason": "customer_id " + unknown["customer_ref"].astype(str)
                  + " is not known to any source (Airtable Application ID, HubSpot company id or "
                    "Salesforce account id expected)",
        "payload": unknown["event"].astype(str),
        "quarantined_at": now,
    })

