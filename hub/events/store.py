"""Events into ``raw.events``, committed before the receiver answers; read back by the sensor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from hub.warehouse import Warehouse, dialect_insert, utcnow


@dataclass(frozen=True)
class Stored:
    accepted: list[str]    # event ids new to the seen-set, committed now
    duplicates: list[str]  # event ids already there: a retry or a replay, nothing added


def durable(warehouse: Warehouse) -> Warehouse:
    """``warehouse`` with SQLite syncing every commit to disk (``synchronous=FULL``).

    The warehouse runs SQLite in WAL with ``synchronous=NORMAL``: a commit survives the process
    dying but may not survive the machine losing power. An event answered 2xx must survive both."""
    if not warehouse.is_postgres:
        @sa.event.listens_for(warehouse.engine, "connect")
        def _full_sync(dbapi_conn, _record):  # noqa: ANN001 - runs after the engine's own pragmas
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.close()
    return warehouse


def store(warehouse: Warehouse, sender: str, rows: list[dict[str, Any]]) -> Stored:
    """Insert the events not yet seen from ``sender``, in one committed transaction.

    The unique (sender, event_id) constraint decides what is new, so two copies arriving at once
    on two connections still store one."""
    table = warehouse.table("raw", "events")
    now = utcnow().isoformat()
    values = [{**row, "sender": sender, "received_at": now} for row in rows]
    insert = dialect_insert(warehouse.dialect)(table).values(values)
    statement = insert.on_conflict_do_nothing(index_elements=["sender", "event_id"]).returning(table.c.event_id)
    with warehouse.transaction() as conn:
        new = set(conn.execute(statement).scalars())
    accepted = [r["event_id"] for r in rows if r["event_id"] in new]
    return Stored(accepted=list(dict.fromkeys(accepted)),
                  duplicates=list(dict.fromkeys(r["event_id"] for r in rows if r["event_id"] not in new)))


def unhandled(warehouse: Warehouse, limit: int) -> list[dict[str, Any]]:
    """The oldest events no sensor tick has handled yet (by seq, at most ``limit``)."""
    table = warehouse.table("raw", "events")
    query = (sa.select(table.c.seq, table.c.sender, table.c.event_id, table.c.event_type, table.c.object_type,
                       table.c.object_id, table.c.received_at, table.c.payload)
             .where(table.c.handled_at.is_(None)).order_by(table.c.seq).limit(limit))
    with warehouse.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def mark_handled(warehouse: Warehouse, run_keys: dict[int, str | None]) -> None:
    """Record that the events ``seq -> run key`` were turned into runs (or recorded)."""
    if not run_keys:
        return
    table = warehouse.table("raw", "events")
    now = utcnow().isoformat()
    with warehouse.transaction() as conn:
        for seq, run_key in run_keys.items():
            conn.execute(table.update().where(table.c.seq == seq, table.c.handled_at.is_(None))
                         .values(handled_at=now, run_key=run_key))
