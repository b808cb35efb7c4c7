"""The audit log: an append-only record of runs (and who launched them), erasures, retention
runs and changes of the effective configuration. Rows are only ever inserted: a trigger refuses
UPDATE and DELETE on both warehouses (sql/postgres/081, sql/sqlite/082; retention never prunes it),
and on PostgreSQL the BI roles may only read it.

Nothing personal goes in: an erasure is recorded by its id, the salted hashes of the identities
and its counts per table.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.warehouse import Warehouse, utcnow

# Run tags that say who launched a run (Dagster's own), most specific first.
_LAUNCHERS = (("dagster/schedule_name", "schedule"), ("dagster/sensor_name", "sensor"),
              ("dagster/backfill", "backfill"), ("dagster/user", "user"), ("user", "user"))


def record(warehouse: Warehouse, action: str, *, actor: str | None, target: str | None,
           details: dict[str, Any] | None = None, conn: Connection | None = None) -> str:
    """Append one entry; returns its id."""
    audit_id = uuid.uuid4().hex
    warehouse.write("analytics", "audit_log", [{
        "audit_id": audit_id, "recorded_at": utcnow().isoformat(), "action": action, "actor": actor,
        "target": target, "details": json.dumps(details or {}, sort_keys=True, default=str)}], mode="append", conn=conn)
    return audit_id


def launched_by(tags: dict[str, str]) -> str:
    """Who launched a run, from its tags: ``schedule:nightly_sync_schedule``, ``sensor:…``, else manual."""
    for tag, kind in _LAUNCHERS:
        if tags.get(tag):
            return f"{kind}:{tags[tag]}"
    return "manual (UI, CLI or API)"


def config_hash(config: dict[str, Any]) -> str:
    """The digest of an effective configuration (defaults with HUB_CONFIG laid over them)."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()


def last_config_hash(warehouse: Warehouse) -> str | None:
    table = warehouse.table("analytics", "audit_log")
    with warehouse.engine.connect() as conn:
        return conn.execute(sa.select(table.c.target).where(table.c.action == "config_changed")
                            .order_by(table.c.recorded_at.desc()).limit(1)).scalar()


def record_run(warehouse: Warehouse, *, run_id: str, job: str, status: str, tags: dict[str, str],
               config: dict[str, Any], message: str | None = None) -> list[str]:
    """A finished run, and a ``config_changed`` entry first when the configuration it ran with is new."""
    digest = config_hash(config)
    written = []
    with warehouse.transaction() as conn:
        if last_config_hash(warehouse) != digest:
            written.append(record(warehouse, "config_changed", actor=launched_by(tags), target=digest,
                                  details={"seen_in_run": run_id}, conn=conn))
        details = {"job": job, "config_hash": digest,
                   "tags": {k: v for k, v in tags.items() if k.startswith(("dagster/", "hub/"))}}
        if message:
            details["message"] = message[:500]
        written.append(record(warehouse, f"run_{status}", actor=launched_by(tags), target=run_id, details=details,
                              conn=conn))
    return written


def entries(warehouse: Warehouse, action: str | None = None) -> list[dict[str, Any]]:
    table = warehouse.table("analytics", "audit_log")
    query = sa.select(table).order_by(table.c.recorded_at)
    if action:
        query = query.where(table.c.action == action)
    with warehouse.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]
