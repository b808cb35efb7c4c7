"""Right to erasure: remove or irreversibly redact a person (or a company) in every layer.

Two passes over the warehouse, in one transaction:

1. **Delete what is theirs**, by key: their raw source records and the staging rows made from them
   (any ``record_id`` / ``*_record_id`` column), their contacts, a customer's rows in every staging
   and analytics table with a ``customer_id`` (and the deliveries of its alerts), their usage events
   and tracking rows, quarantined payloads that name them (a customer's quarantined usage lines too).
2. **Redact what mentions them**: every text and JSON column of every table (enumerated from the
   database, ``hub.governance.tables``) is searched for their addresses, names and phone numbers,
   and each occurrence is replaced by ``[erased]`` — alert messages and details, delivery notices,
   the review queue, history, an application that names them as its contact.

Then their identities go on the suppression list (salted hashes) so the next sync does not land
them again, one ``erase`` row goes to the audit log (hashes and counts, never the person), and
files outside the warehouse (usage events kept as Parquet, ``HUB_HOME/reports``) are rewritten
without them. ``dry_run`` does all of it in the transaction and rolls back: it lists the same places.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.governance import audit
from hub.governance.subject import REDACTED, Subject, raw_object_of
from hub.governance.suppression import (
    Suppressions,
    customer_key,
    email_key,
    identity_hash,
    record_key,
    require_salt,
    suppress,
    user_key,
)
from hub.governance.tables import WarehouseTable, is_text, searched_tables
from hub.warehouse import Warehouse

_CHUNK = 500
DELETE_WHEN_NAMED = {"raw.quarantine": "a quarantined payload is kept only to inspect it"}


@dataclass
class Change:
    place: str  # layer.table, or a folder
    deleted: int = 0
    redacted: int = 0
    columns: set[str] = field(default_factory=set)

    def line(self) -> str:
        parts = [f"{self.deleted} deleted"] if self.deleted else []
        if self.redacted:
            parts.append(f"{self.redacted} redacted ({', '.join(sorted(self.columns))})")
        return f"{self.place}: {', '.join(parts)}"


@dataclass
class Erasure:
    erasure_id: str
    subject: Subject
    dry_run: bool
    changes: dict[str, Change] = field(default_factory=dict)
    suppressed: int = 0

    def change(self, place: str) -> Change:
        return self.changes.setdefault(place, Change(place))

    @property
    def touched(self) -> list[Change]:
        order = {"raw": 0, "staging": 1, "analytics": 2}
        return sorted((c for c in self.changes.values() if c.deleted or c.redacted),
                      key=lambda c: (order.get(c.place.split(".")[0], 3), c.place))

    def summary(self) -> dict[str, dict[str, int]]:
        return {c.place: {"deleted": c.deleted, "redacted": c.redacted} for c in self.touched}


class _DryRun(Exception):
    """Raised inside the transaction to roll it back after counting."""


def erase(warehouse: Warehouse, subject: Subject, *, dry_run: bool = False, home: Path | None = None,
          actor: str = "cli") -> Erasure:
    """Erase ``subject`` everywhere (see the module's docstring); returns what changed, place by place."""
    salt = require_salt()
    Suppressions.load(warehouse, salt)  # refuses a salt that is not the list's own
    result = Erasure(uuid.uuid4().hex[:16], subject, dry_run)
    needles = subject.needles()
    usage_users = _usage_user_ids(warehouse, needles)  # read before the files are rewritten without them
    try:
        with warehouse.transaction() as conn:
            _delete_keyed(warehouse, conn, subject, result)
            for table in searched_tables(warehouse):
                _redact(warehouse, conn, table, needles, result)
            keys = {email_key(e) for e in subject.emails if "@" in e}
            keys |= {record_key(*r.split(":", 2)) for r in subject.own_records | subject.people_rows
                     if r.count(":") >= 2}
            # The usage ingest holds back a customer's events by the ids they name it by, and a
            # person's by their address or the user ids their events carried (hub.usage_suppression).
            keys |= {customer_key(r) for r in subject.usage_refs if r.strip()}
            keys |= {user_key(u) for u in usage_users}
            result.suppressed = suppress(warehouse, conn, result.erasure_id, keys, salt)
            audit.record(warehouse, "erase", actor=actor, target=result.erasure_id, conn=conn, details={
                "selector": subject.selector,
                "identities": sorted(identity_hash(salt, k) for k in keys),
                "changes": result.summary()})
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    _erase_usage_files(warehouse, subject, needles, result)
    if home is not None:
        _redact_reports(home / "reports", needles, result)
    return result


# -- pass 1: what is theirs -------------------------------------------------------------------

def _delete_keyed(warehouse: Warehouse, conn: Connection, subject: Subject, result: Erasure) -> None:
    by_object: dict[str, set[str]] = {}
    for record in subject.own_records:
        found = raw_object_of(record)
        if found:
            by_object.setdefault(found[0].table, set()).add(found[1])
    for table_name, ids in by_object.items():
        _delete(warehouse, conn, "raw", table_name, lambda c: c.source_id, ids, result)
    _delete(warehouse, conn, "staging", "people", lambda c: c.record_id, subject.people_rows, result)
    _delete(warehouse, conn, "analytics", "contacts", lambda c: c.contact_id, subject.contact_ids, result)
    for table in searched_tables(warehouse):
        columns = warehouse.table(table.layer, table.name).c
        if table.layer != "raw":
            for column in columns:
                if column.name == "record_id" or column.name.endswith("_record_id"):
                    _delete(warehouse, conn, table.layer, table.name, lambda c, n=column.name: c[n],
                            subject.own_records, result)
            if "customer_id" in columns and subject.customer_ids:
                alert_ids = _deleted_alert_ids(warehouse, conn, table, subject.customer_ids)
                _delete(warehouse, conn, table.layer, table.name, lambda c: c.customer_id, subject.customer_ids,
                        result)
                if alert_ids:
                    _delete(warehouse, conn, "analytics", "alert_deliveries", lambda c: c.alert_id, alert_ids, result)
        elif "customer_ref" in columns:
            _delete(warehouse, conn, "raw", table.name, lambda c: c.customer_ref, subject.usage_refs, result)
        elif table.name.startswith("tracking_") and "customer_id" in columns:
            _delete(warehouse, conn, "raw", table.name, lambda c: c.customer_id, subject.tracking_ids, result)
    _delete_usage_quarantine(warehouse, conn, subject, result)


def _delete_usage_quarantine(warehouse: Warehouse, conn: Connection, subject: Subject, result: Erasure) -> None:
    """Quarantined usage lines naming an erased customer's id (JSON lines; the text names no person)."""
    if not subject.usage_refs:
        return
    from hub.usage_suppression import line_ids

    table = warehouse.table("raw", "quarantine")
    rows = conn.execute(sa.select(table.c.quarantine_id, table.c.payload).where(
        table.c.source == "usage", table.c.source_object == "usage_log")).all()
    named = {qid for qid, payload in rows
             if any(f == "customer_id" and v in subject.usage_refs for f, v in line_ids(str(payload or "")))}
    _delete(warehouse, conn, "raw", "quarantine", lambda c: c.quarantine_id, named, result)


def _deleted_alert_ids(warehouse: Warehouse, conn: Connection, table: WarehouseTable, customers: set[str]) -> set[str]:
    if table.qualified != "analytics.alerts":
        return set()
    alerts = warehouse.table("analytics", "alerts")
    return set(conn.execute(sa.select(alerts.c.alert_id).where(alerts.c.customer_id.in_(sorted(customers)))).scalars())


def _delete(warehouse: Warehouse, conn: Connection, layer: str, name: str, column, values: set[str],  # noqa: ANN001
            result: Erasure) -> None:
    if not values:
        return
    table = warehouse.table(layer, name)
    ordered = sorted(values)
    for start in range(0, len(ordered), _CHUNK):
        count = conn.execute(table.delete().where(column(table.c).in_(ordered[start:start + _CHUNK]))).rowcount
        result.change(f"{layer}.{name}").deleted += count


# -- pass 2: what mentions them ---------------------------------------------------------------

def _pattern(needles: list[str]) -> re.Pattern[str] | None:
    """Every needle as written and as JSON spells it (``\\u00e9``), case-insensitively."""
    variants: set[str] = set()
    for needle in needles:
        variants |= {needle, json.dumps(needle)[1:-1], json.dumps(needle, ensure_ascii=False)[1:-1]}
    if not variants:
        return None
    return re.compile("|".join(re.escape(v) for v in sorted(variants, key=lambda v: (-len(v), v))), re.IGNORECASE)


def _redact(warehouse: Warehouse, conn: Connection, where: WarehouseTable, needles: list[str],
            result: Erasure) -> None:
    pattern = _pattern(needles)
    table = warehouse.table(where.layer, where.name)
    columns = [c for c in table.columns if is_text(c)]
    if pattern is None or not columns:
        return
    as_text = {c.name: sa.cast(c, sa.Text) if isinstance(c.type, sa.types.TypeDecorator) or isinstance(c.type, sa.JSON)
               else c for c in columns}
    found = sa.or_(*[cond for c in columns for n in needles for cond in _contains(as_text[c.name], n)])
    key = list(table.primary_key.columns)
    rows = conn.execute(sa.select(*[c.label(f"k_{i}") for i, c in enumerate(key)],
                                  *[as_text[c.name].label(c.name) for c in columns]).where(found)).all()
    if not rows:
        return
    delete = where.qualified in DELETE_WHEN_NAMED and key
    change = result.change(where.qualified)
    for row in rows:
        values = row._mapping
        changed = {c.name: pattern.sub(REDACTED, values[c.name]) for c in columns
                   if values[c.name] is not None and pattern.search(values[c.name])}
        if not changed:
            continue  # matched by SQL's looser LIKE only (e.g. an escape sequence), nothing to replace
        if key:
            match = sa.and_(*[k == values[f"k_{i}"] for i, k in enumerate(key)])
        else:
            match = sa.and_(*[as_text[name] == values[name] for name in changed])
        if delete:
            change.deleted += conn.execute(table.delete().where(match)).rowcount
        else:
            change.redacted += conn.execute(table.update().where(match).values(**changed)).rowcount
            change.columns |= set(changed)


def _contains(column: Any, needle: str) -> list[Any]:
    """SQL conditions that find ``needle`` in ``column`` (LIKE is case-sensitive on PostgreSQL;
    SQLite lowers ASCII only): as written, lowered, and as JSON text escapes it."""
    spelled = {needle, json.dumps(needle)[1:-1]}
    return [cond for s in spelled for cond in (column.contains(s, autoescape=True),
                                               sa.func.lower(column).contains(s.lower(), autoescape=True))]


# -- files ------------------------------------------------------------------------------------

def _usage_user_ids(warehouse: Warehouse, needles: list[str]) -> set[str]:
    """The ``user_id`` values of stored usage events that name the subject (as ``_erase_usage_files`` finds them)."""
    from hub import usage_parse
    from hub.usage_store import UsageEventStore

    root = UsageEventStore.of(warehouse).root
    if not needles or not root.is_dir() or not any(root.glob("day=*/*.parquet")):
        return set()
    duck = usage_parse.connect()
    try:
        found = duck.execute("SELECT DISTINCT user_id FROM read_parquet(?, union_by_name = true) "
                             "WHERE user_id IS NOT NULL AND list_bool_or([contains(lower(user_id), n) FOR n IN ?])",
                             [str(root / "day=*" / "*.parquet"), [n.lower() for n in needles]]).fetchall()
    finally:
        duck.close()
    return {u for (u,) in found if u.strip()}


def _erase_usage_files(warehouse: Warehouse, subject: Subject, needles: list[str], result: Erasure) -> None:
    """Usage events kept as Parquet beside the warehouse (``hub.usage_store``, when present)."""
    try:
        from hub.usage_rollup import rollup_root
        from hub.usage_store import UsageEventStore
    except ImportError:  # the events live in raw.usage_events only
        return
    root = UsageEventStore.of(warehouse).root
    if not root.is_dir() or not (subject.usage_refs or needles):
        return
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    lowered = [n.lower() for n in needles]
    change = result.change(f"usage events ({root})")
    for path in sorted(root.rglob("*.parquet")):
        events = pq.read_table(path)
        drop = pa.array([False] * len(events))
        if "customer_ref" in events.column_names and subject.usage_refs:
            drop = pc.or_(drop, pc.fill_null(pc.is_in(events["customer_ref"], pa.array(sorted(subject.usage_refs))),
                                             False))
        for name in ("user_id",):
            if name in events.column_names and lowered:
                column = pc.utf8_lower(pc.cast(events[name], pa.string()))
                for needle in lowered:
                    drop = pc.or_(drop, pc.fill_null(pc.match_substring(column, needle), False))
        removed = int(pc.sum(drop).as_py() or 0)
        if not removed:
            continue
        change.deleted += removed
        if not result.dry_run:
            part = path.with_suffix(".parquet.tmp")
            pq.write_table(events.filter(pc.invert(drop)), part)
            part.replace(path)
            # The day's roll-up (hub.usage_rollup) counted the subject: gone now, rolled up again
            # from the rewritten files by the next usage_daily or usage_days run.
            (rollup_root(root) / f"{path.parent.name.removeprefix('day=')}.parquet").unlink(missing_ok=True)


def _redact_reports(folder: Path, needles: list[str], result: Erasure) -> None:
    """Text files under ``HUB_HOME/reports``: occurrences redacted; a file that is not text and
    names them cannot be redacted safely, so it is deleted."""
    pattern = _pattern(needles)
    if pattern is None or not folder.is_dir():
        return
    change = result.change(f"reports ({folder})")
    raw_needles = [n.lower().encode() for n in needles]
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            if any(n in data.lower() for n in raw_needles):
                change.deleted += 1
                if not result.dry_run:
                    path.unlink()
            continue
        if pattern.search(text):
            change.redacted += 1
            change.columns.add(path.name)
            if not result.dry_run:
                path.write_text(pattern.sub(REDACTED, text), encoding="utf-8")
