"""Several processes at once on one warehouse, on both backends: first-time migrations serialise,
and two alert evaluations on the same data converge on one active alert per (rule, entity, window)
and one delivery per notice and channel, each sent once."""

from __future__ import annotations

import json
import multiprocessing as mp
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import concurrency_worker
import pandas as pd
import sqlalchemy as sa

from hub.alert_lifecycle import KEY
from hub.warehouse import MIGRATION_LOCK_KEY, Warehouse

SPAWN = mp.get_context("spawn")  # fresh interpreters, as separate runs are: no state inherited by fork


def _run_at_once(target: Callable[..., None], args: tuple[Any, ...], processes: int,
                 while_waiting: Callable[[], None] = lambda: None) -> list[tuple[str, Any]]:
    """Start ``processes`` workers that begin together (a barrier), call ``while_waiting`` once they
    have all begun, and return each worker's ``(outcome, value)``."""
    start, results = SPAWN.Barrier(processes + 1), SPAWN.Queue()
    workers = [SPAWN.Process(target=target, args=(*args, start, results)) for _ in range(processes)]
    for worker in workers:
        worker.start()
    try:
        start.wait(timeout=120)
        while_waiting()
        outcomes = [results.get(timeout=180) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=60)
            if worker.is_alive():
                worker.kill()
    return outcomes


def _empty_url(warehouse: Warehouse, directory: Path) -> str:
    """The URL of an empty warehouse on the fixture's backend."""
    if warehouse.is_postgres:
        warehouse.drop_layers()
        return warehouse.url
    return f"sqlite:///{directory / 'fresh.db'}"


def test_processes_migrating_a_fresh_warehouse_at_once_apply_each_file_once(
        warehouse: Warehouse, tmp_path: Path) -> None:
    url = _empty_url(warehouse, tmp_path)
    outcomes = _run_at_once(concurrency_worker.migrate, (url,), processes=4)
    errors = [value for outcome, value in outcomes if outcome == "error"]
    assert not errors, errors[0]
    applied = [version for _, versions in outcomes for version in versions]
    expected = [p.stem for p in Warehouse(url)._ddl_files()]
    assert sorted(applied) == sorted(expected)  # each file applied by exactly one process
    fresh = Warehouse(url)
    table = fresh._migrations_table()
    with fresh.engine.connect() as conn:
        rows = conn.exec_driver_sql(f"SELECT version FROM {table}").scalars().all()
    assert sorted(rows) == sorted(expected)
    assert fresh.migrate() == []
    fresh.engine.dispose()


def _seed_low_health(warehouse: Warehouse, customers: int) -> None:
    now = pd.Timestamp.now(tz="UTC").isoformat()
    ids = [f"cus_{n:03d}" for n in range(customers)]
    warehouse.replace("analytics", "customers", pd.DataFrame([
        {"customer_id": cid, "name": f"Customer {cid}", "owner": "dana", "lifecycle_stage": "customer",
         "source_count": 1, "first_seen_at": now, "updated_at": now} for cid in ids]))
    warehouse.replace("analytics", "customer_health", pd.DataFrame([
        {"customer_id": cid, "as_of": now[:10], "health_score": 42.0, "health_band": "at_risk", "coverage": 1.0}
        for cid in ids]))


@contextmanager
def _writes_held(warehouse: Warehouse) -> Iterator[Callable[[], None]]:
    """Hold back every write to ``alerts`` (reads go on); the yielded ``release`` lets them through
    once both evaluations wait to write: both then read the same state before either wrote, the
    interleaving that duplicated every alert."""
    if warehouse.is_postgres:
        with warehouse.engine.connect() as conn:
            conn.exec_driver_sql("LOCK TABLE analytics.alerts IN EXCLUSIVE MODE")

            def release() -> None:
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:  # until both writers queue behind the lock
                    with warehouse.engine.connect() as probe:
                        waiting = probe.exec_driver_sql(
                            "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = "
                            "'analytics.alerts'::regclass").scalar_one()
                    if waiting >= 2:
                        break
                    time.sleep(0.1)
                conn.rollback()

            yield release
            conn.rollback()
        return
    holder = sqlite3.connect(warehouse.engine.url.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # SQLite's write lock; WAL readers go on

    def release() -> None:
        time.sleep(5)  # SQLite shows no lock queue: time enough for both to read a small warehouse
        if holder.in_transaction:
            holder.execute("ROLLBACK")

    try:
        yield release
    finally:
        if holder.in_transaction:
            holder.execute("ROLLBACK")
        holder.close()


def test_two_alert_evaluations_at_once_open_each_alert_once_and_send_it_once_per_channel(
        warehouse: Warehouse, tmp_path: Path) -> None:
    _seed_low_health(warehouse, customers=20)
    sent_file = tmp_path / "sent.jsonl"
    with _writes_held(warehouse) as release:
        outcomes = _run_at_once(concurrency_worker.evaluate, (warehouse.url, str(sent_file)), processes=2,
                                while_waiting=release)
    errors = [value for outcome, value in outcomes if outcome == "error"]
    assert not errors, errors[0]
    assert [value for _, value in outcomes] == [20, 20]  # both saw every customer firing

    alerts = warehouse.read("analytics", "alerts")
    active = alerts[alerts["status"] != "resolved"]
    assert len(active) == 20
    assert not active.duplicated(KEY).any(), active[active.duplicated(KEY, keep=False)]
    deliveries = warehouse.read("analytics", "alert_deliveries").merge(alerts[["alert_id", *KEY]], on="alert_id")
    per_channel = Counter(tuple(row) for row in deliveries[[*KEY, "channel", "notice"]].itertuples(index=False))
    assert len(per_channel) == 40 and set(per_channel.values()) == {1}  # 20 alerts x 2 channels, once each
    sends = [json.loads(line) for line in sent_file.read_text(encoding="utf-8").splitlines()]
    assert Counter((s["rule"], s["entity_id"], s["channel"]) for s in sends) == Counter(
        {(r, e, c): 1 for r, e, c in zip(deliveries["rule"], deliveries["entity_id"], deliveries["channel"],
                                           strict=True)})
    with warehouse.engine.connect() as conn:  # the database itself refuses a second active alert
        a = warehouse.table("analytics", "alerts")
        assert conn.execute(sa.select(sa.func.count()).select_from(a).where(a.c.status == "open")).scalar_one() == 20


def _alert_row(alert: str, first_fired_at: str, status: str = "open") -> dict[str, Any]:
    return {"alert_id": alert, "rule": "health_below_60", "severity": "warning", "entity_type": "customer",
            "entity_id": "cus_1", "window_key": "", "message": "low", "status": status,
            "first_fired_at": first_fired_at, "last_fired_at": first_fired_at, "delivery_status": "pending"}


def test_the_uniqueness_migration_merges_duplicates_a_race_left_then_the_database_refuses_them(
        warehouse: Warehouse) -> None:
    alerts, deliveries = warehouse.qualified("analytics", "alerts"), warehouse.qualified("analytics", "alert_deliveries")
    with warehouse.transaction() as conn:  # the warehouse as it was before sql/032
        for index in ("alerts_one_active", "alert_deliveries_once_per_channel"):
            conn.exec_driver_sql(f"DROP INDEX {'analytics.' if warehouse.is_postgres else ''}{index}")
        conn.exec_driver_sql(f"DELETE FROM {warehouse._migrations_table()} WHERE version = '032_alert_uniqueness'")
    warehouse.upsert("analytics", "alerts", [_alert_row("a_first", "2026-11-21T08:00:00+00:00"),
                                             _alert_row("a_second", "2026-11-21T08:00:01+00:00"),
                                             _alert_row("a_old", "2026-11-01T08:00:00+00:00", "resolved")],
                     key=["alert_id"])
    warehouse.upsert("analytics", "alert_deliveries", [
        {"delivery_id": f"{a}:webhook:fired", "alert_id": a, "channel": "webhook", "notice": "fired",
         "status": status, "attempts": 0, "created_at": "2026-11-21T08:00:00+00:00"}
        for a, status in (("a_first", "pending"), ("a_second", "pending"), ("a_old", "sent"))], key=["delivery_id"])

    assert warehouse.migrate() == ["032_alert_uniqueness"]
    status = warehouse.read("analytics", "alerts").set_index("alert_id")["status"].to_dict()
    assert status == {"a_first": "open", "a_second": "resolved", "a_old": "resolved"}
    left = warehouse.read("analytics", "alert_deliveries")["alert_id"].tolist()
    assert sorted(left) == ["a_first", "a_old"]  # the duplicate's unsent notice is gone, history stays
    second_open = _alert_row("a_third", "2026-11-21T09:00:00+00:00")
    for statement, row in ((f"INSERT INTO {alerts} ({', '.join(second_open)}) VALUES "
                            f"({', '.join(':' + c for c in second_open)})", second_open),
                           (f"INSERT INTO {deliveries} (delivery_id, alert_id, channel, notice, status, created_at) "
                            "VALUES ('other-id', 'a_first', 'webhook', 'fired', 'pending', :at)",
                            {"at": "2026-11-21T09:00:00+00:00"})):
        try:
            with warehouse.transaction() as conn:
                conn.execute(sa.text(statement), row)
        except sa.exc.IntegrityError:
            continue
        raise AssertionError(f"the database took a duplicate: {statement}")


def test_an_up_to_date_warehouse_migrates_without_waiting_for_the_lock(warehouse: Warehouse) -> None:
    """Every step and sensor tick calls migrate(): once all is applied it must not queue behind a
    writer (SQLite) or a migration elsewhere (PostgreSQL) for the lock."""
    if warehouse.is_postgres:
        holder = warehouse.engine.connect()
        holder.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        release: Callable[[], None] = holder.invalidate  # ends the session, and with it the lock
    else:
        held = sqlite3.connect(warehouse.engine.url.database, isolation_level=None, check_same_thread=False)
        held.execute("BEGIN IMMEDIATE")
        release = held.close
    timer = threading.Timer(10, release)  # a migrate() that waits for the lock shows as slow, not as a hang
    timer.start()
    try:
        started = time.monotonic()
        assert warehouse.migrate() == []
        assert time.monotonic() - started < 5
    finally:
        timer.cancel()
        release()
