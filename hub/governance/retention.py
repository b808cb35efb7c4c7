"""Retention: each layer keeps its rows for the days ``retention:`` in HUB_CONFIG says (null:
forever), and the retention step prunes what is older, reporting what it removed.

A policy names the tables it prunes, the column that dates a row and, where only some rows may
go, which (a resolved alert, a delivery that was sent, a raw record the source has deleted). Rows
still in use are never pruned: an open alert, a live raw record, an unhandled event. Usage events
kept as Parquet by day beside the warehouse (``hub.usage_store``) go by whole UTC days. The audit
log is never pruned (it is append-only: sql/postgres/081, sql/sqlite/082).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from hub.raw_objects import RAW_OBJECTS
from hub.usage_store import UsageEventStore
from hub.warehouse import Warehouse, utcnow

Only = Callable[[sa.Table], Any]


@dataclass(frozen=True)
class Target:
    table: str  # layer.name
    dated_by: str
    only: Only | None = None  # the rows that may go at all


POLICIES: dict[str, list[Target]] = {
    "raw_deleted_records": [Target(f"raw.{o.table}", "_deleted_at", lambda t: t.c._deleted.is_(True))
                            for o in RAW_OBJECTS.values()],
    "quarantine": [Target("raw.quarantine", "quarantined_at")],
    "usage_events": [Target("raw.usage_events", "event_at")],
    "events": [Target("raw.events", "received_at", lambda t: t.c.handled_at.is_not(None))],
    "history": [Target("analytics.customer_health_history", "as_of"), Target("analytics.churn_snapshots", "as_of"),
                Target("analytics.pipeline_snapshots", "as_of")],
    "alerts": [Target("analytics.alerts", "resolved_at", lambda t: t.c.status == "resolved")],
    "deliveries": [Target("analytics.alert_deliveries", "created_at", lambda t: t.c.status == "sent")],
    # Finished playbook actions (never one still to run or being run) and the owners' digests.
    "actions": [Target("analytics.actions", "finished_at",
                       lambda t: t.c.status.in_(["done", "skipped", "gave_up", "cancelled", "superseded"])),
                Target("analytics.owner_digests", "sent_at")],
}
FOLDERS = {"reports": "reports"}  # policy -> folder under HUB_HOME
USAGE_EVENT_STORE = "usage event store (Parquet)"  # the retention_runs target of the usage events' days


def pruned_tables() -> tuple[str, ...]:
    """Every table a policy may prune (the retention step declares them)."""
    return tuple(sorted({t.table for targets in POLICIES.values() for t in targets}))


@dataclass
class Pruned:
    target: str
    policy: str
    keep_days: int
    cutoff: dt.datetime
    removed: int  # rows (files for a folder)
    detail: dict[str, int] = field(default_factory=dict)  # e.g. the event store's days, files and rows


def prune(warehouse: Warehouse, retention: dict[str, int | None], home: Path,
          now: dt.datetime | None = None) -> list[Pruned]:
    """Delete what each policy keeps no longer; one ``Pruned`` per table or folder a policy covers."""
    now = now or utcnow()
    present = _present(warehouse)
    done: list[Pruned] = []
    with warehouse.transaction() as conn:
        for policy, targets in POLICIES.items():
            days = retention.get(policy)
            if days is None:
                continue
            cutoff = now - dt.timedelta(days=days)
            for target in targets:
                if target.table not in present:
                    continue  # e.g. raw.usage_events once the usage path keeps events as Parquet
                layer, name = target.table.split(".", 1)
                table = warehouse.table(layer, name)
                dated = table.c[target.dated_by]
                # A day column (YYYY-MM-DD text) compares with the cut-off's day, a timestamp with it.
                bound = cutoff.date().isoformat() if target.dated_by == "as_of" else cutoff.isoformat()
                where = [dated.is_not(None), dated < bound]
                if target.only is not None:
                    where.append(target.only(table))
                removed = conn.execute(table.delete().where(*where)).rowcount
                done.append(Pruned(target.table, policy, days, cutoff, removed))
    for policy, folder in FOLDERS.items():
        days = retention.get(policy)
        if days is not None:
            cutoff = now - dt.timedelta(days=days)
            done.append(Pruned(f"HUB_HOME/{folder}", policy, days, cutoff, _prune_folder(home / folder, cutoff)))
    days = retention.get("usage_events")
    if days is not None:
        # The events themselves live as Parquet by UTC day (hub.usage_store): whole days before the cut-off's go.
        cutoff = now - dt.timedelta(days=days)
        store = UsageEventStore.of(warehouse).prune(cutoff.date())
        done.append(Pruned(USAGE_EVENT_STORE, "usage_events", days, cutoff, store.rows,
                           {"days": store.days, "files": store.files, "rows": store.rows}))
    return done


def _present(warehouse: Warehouse) -> set[str]:
    from hub.governance.tables import warehouse_tables

    return {t.qualified for t in warehouse_tables(warehouse)}


def _prune_folder(folder: Path, cutoff: dt.datetime) -> int:
    if not folder.is_dir():
        return 0
    removed = 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC) < cutoff:
            path.unlink()
            removed += 1
    return removed
