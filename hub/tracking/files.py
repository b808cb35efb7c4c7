"""The tracking team's CSV files, loaded from a landing folder like the usage logs: every row is
loaded or quarantined with its reason (one bad row never stops a file, one bad file never stops the
others), each file accounted for (rows in = loaded + quarantined), and a file whose content was
already loaded (a copy, a rename) is skipped by its digest.

A file is one transaction: its rows, its quarantine records and its accounting row commit together,
so a load that dies loads nothing of that file and the next load reads it whole. Customers files
load first: an onboarding or engagement row must name a customer the hub tracks.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from hub.tracking.records import CHECKS, Refused, kind_of
from hub.warehouse import Warehouse, utcnow

ORDER = {"customers": 0, "onboarding": 1, "engagement": 2}
KEYS = {"customers": ["customer_id"], "onboarding": ["customer_id", "step"], "engagement": ["customer_id", "day"]}
MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class FileReport:
    file_name: str
    kind: str            # customers, onboarding, engagement; unreadable; skipped (already loaded)
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    reason: str | None = None


def csv_files(folder: Path) -> list[Path]:
    """CSV files ready to read: not hidden, not still being written (.part / .tmp)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".csv"
                  and not p.name.startswith("."))


def load_folder(warehouse: Warehouse, folder: Path, now: dt.datetime | None = None) -> list[FileReport]:
    """Load every new CSV of ``folder``; one report per file."""
    moment = now or utcnow()
    loaded = _loaded_digests(warehouse)
    pending = []
    for path in csv_files(folder):
        data = path.read_bytes()[:MAX_FILE_BYTES + 1]
        digest = hashlib.sha256(data).hexdigest()
        if digest in loaded:
            pending.append((9, path, data, digest, "skipped"))
            continue
        loaded.add(digest)  # a second copy in the same folder is skipped too
        kind, text, reason = _sniff(data)
        pending.append((ORDER.get(kind, -1), path, text if reason is None else data, digest, kind or reason))
    reports = []
    for _order, path, content, digest, kind in sorted(pending, key=lambda p: (p[0], p[1].name)):
        if kind == "skipped":
            reports.append(FileReport(path.name, "skipped", reason="content already loaded"))
        elif kind in ORDER:
            reports.append(_load(warehouse, path.name, kind, content, digest, moment))
        else:
            reports.append(_refuse_file(warehouse, path.name, digest, kind, moment))
    return reports


def _sniff(data: bytes) -> tuple[str | None, str | None, str | None]:
    """(kind, text, None) for a readable tracking CSV, else (None, None, reason)."""
    if len(data) > MAX_FILE_BYTES:
        return None, None, f"larger than {MAX_FILE_BYTES // 2**20} MiB"
    try:
        text = data.decode("utf-8-sig")  # spreadsheets save a byte-order mark
    except UnicodeDecodeError as exc:
        return None, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})"
    header = next(csv.reader(io.StringIO(text)), [])
    kind = kind_of(header)
    if kind is None:
        return None, None, ("its header names none of the tracking tables (customers: customer_id,email; "
                            "onboarding: customer_id,step,value; engagement: customer_id,date,issues_tagged)")
    return kind, text, None


def _load(warehouse: Warehouse, name: str, kind: str, text: str, digest: str, now: dt.datetime) -> FileReport:
    reader = csv.DictReader(io.StringIO(text))
    reader.fieldnames = [f.strip().lower() for f in reader.fieldnames or []]
    known = _known_customers(warehouse)
    emails = _emails(warehouse)
    rows: dict[tuple, dict[str, Any]] = {}
    quarantined: list[dict[str, Any]] = []
    rows_in = 0
    for line, raw in enumerate(reader, start=2):
        rows_in += 1
        try:
            if None in raw:  # more cells than the header names
                raise Refused(f"{len(raw[None])} cells more than the header's {len(reader.fieldnames)} columns")
            record = CHECKS[kind](raw, now)
            _check_links(kind, record, known, emails)
        except Refused as exc:
            quarantined.append(_quarantine(kind, name, digest, line, str(exc), raw, now))
            continue
        if kind == "customers":
            known.add(record["customer_id"])
            emails[record["email"]] = record["customer_id"]
        # A later line for the same key wins: the file is the tracking tool's table as it stands.
        rows[tuple(record[k] for k in KEYS[kind])] = {**record, "source_file": name}
    with warehouse.transaction() as conn:
        if rows:
            warehouse.upsert("raw", f"tracking_{kind}", list(rows.values()), key=KEYS[kind], conn=conn)
        if quarantined:
            warehouse.upsert("raw", "quarantine", quarantined, key=["quarantine_id"], conn=conn)
        _account(warehouse, conn, digest, name, kind, rows_in, rows_in - len(quarantined), len(quarantined), now)
    return FileReport(name, kind, rows_in, rows_in - len(quarantined), len(quarantined))


def _check_links(kind: str, record: dict[str, Any], known: set[str], emails: dict[str, str]) -> None:
    if kind == "customers":
        owner = emails.get(record["email"])
        if owner is not None and owner != record["customer_id"]:
            raise Refused(f"email {record['email']} is already tracked as customer {owner}")
    elif record["customer_id"] not in known:
        raise Refused(f"customer {record['customer_id']} is not tracked (add it to a customers file or "
                      "with `hub track add-customer` first)")


def _refuse_file(warehouse: Warehouse, name: str, digest: str, reason: str, now: dt.datetime) -> FileReport:
    with warehouse.transaction() as conn:
        warehouse.upsert("raw", "quarantine", [_quarantine("file", name, digest, 0, reason, None, now)],
                         key=["quarantine_id"], conn=conn)
        _account(warehouse, conn, digest, name, "unreadable", 0, 0, 0, now)
    return FileReport(name, "unreadable", reason=reason)


def _quarantine(kind: str, name: str, digest: str, line: int, reason: str, raw: dict[str, Any] | None,
                now: dt.datetime) -> dict[str, Any]:
    payload = None if raw is None else json.dumps({str(k): v for k, v in raw.items()}, default=str)[:4000]
    return {"quarantine_id": f"tracking:{digest[:16]}:{line}", "source": "tracking", "source_object": kind,
            "record_key": f"{name}:{line}" if line else name, "reason": reason, "payload": payload,
            "quarantined_at": now.isoformat()}


def _account(warehouse: Warehouse, conn: sa.Connection, digest: str, name: str, kind: str, rows_in: int,
             loaded: int, quarantined: int, now: dt.datetime) -> None:
    warehouse.upsert("raw", "tracking_files", [{
        "content_digest": digest, "file_name": name, "kind": kind, "rows_in": rows_in, "rows_loaded": loaded,
        "rows_quarantined": quarantined, "loaded_at": now.isoformat()}], key=["content_digest"], conn=conn)


def _loaded_digests(warehouse: Warehouse) -> set[str]:
    table = warehouse.table("raw", "tracking_files")
    with warehouse.engine.connect() as conn:
        return set(conn.execute(sa.select(table.c.content_digest)).scalars())


def _known_customers(warehouse: Warehouse) -> set[str]:
    table = warehouse.table("raw", "tracking_customers")
    with warehouse.engine.connect() as conn:
        return set(conn.execute(sa.select(table.c.customer_id)).scalars())


def _emails(warehouse: Warehouse) -> dict[str, str]:
    table = warehouse.table("raw", "tracking_customers")
    with warehouse.engine.connect() as conn:
        return dict(conn.execute(sa.select(table.c.email, table.c.customer_id)).all())
