"""Usage days as Dagster partitions: ``usage_ingest`` lands files, ``usage_days_sensor`` requests
the days they touched, a ``usage_days`` run rolls up those partitions only, and ``usage_daily``
equals what the event-by-event roll-up gives — on both warehouses."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from test_usage_same_daily import _customers  # every log id known but the last two

from hub import synth
from hub.pipeline.steps import crosswalk, customer_lookup, with_customer
from hub.usage import live_digests, read_usage_events, usage_daily
from hub.usage_rollup import DayRollups
from hub.usage_store import UsageEventStore
from hub.usage_summary import PRODUCT_MILESTONES
from hub.warehouse import Warehouse
from sensors.usage import day_ranges

KEY = ["customer_id", "date"]


def _reference_daily(warehouse: Warehouse) -> pd.DataFrame:
    """``usage_daily`` event by event (pandas, over every stored event), to compare against."""
    reports = with_customer(warehouse.read("staging", "usage_reports"), crosswalk(warehouse))
    daily, _ = usage_daily(read_usage_events(warehouse), reports, customer_lookup(warehouse))
    return daily.sort_values(KEY).reset_index(drop=True)


def _table(warehouse: Warehouse) -> pd.DataFrame:
    return warehouse.read("analytics", "usage_daily").sort_values(KEY).reset_index(drop=True)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    a, b = (f.reset_index(drop=True) for f in (a, b))
    pd.testing.assert_frame_equal(a.drop(columns="cost"), b.drop(columns="cost"), check_exact=True,
                                  check_dtype=False)
    pd.testing.assert_series_equal(a["cost"], b["cost"], check_exact=False, rtol=1e-12, atol=0)


def _written(warehouse: Warehouse) -> dict[str, str]:
    """When each date of ``usage_daily`` was last written (``raw.usage_daily_days``)."""
    state = warehouse.read("raw", "usage_daily_days")
    return dict(zip(state["date"], state["written_at"].astype(str), strict=True))


def _day_partitions(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    from assets.usage import USAGE_DAYS

    records = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=USAGE_DAYS), limit=10_000).records
    return sorted(r.partition_key for r in records if r.run_id == run_id)


def _run_requests(defs: dg.Definitions, instance: dg.DagsterInstance, warehouse: Warehouse,
                  requests: list[dg.RunRequest]) -> list[str]:
    """Launch the sensor's requests in process, as the daemon would; their run ids."""
    job = defs.resolve_job_def("usage_days")
    runs = []
    for request in requests:
        result = job.execute_in_process(instance=instance, partition_key=request.partition_key,
                                        tags=request.tags)
        assert result.success
        runs.append(result.run_id)
    return runs


def _late_file(directory: Path, day: dt.date, ref: str, calls: int, name: str = "late") -> Path:
    """A file that arrives late: ``calls`` API calls of ``ref`` on ``day``, from a new user."""
    path = directory / f"{name}-{day.isoformat()}.jsonl"
    path.write_text("".join(json.dumps({"timestamp": f"{day.isoformat()}T{10 + n:02d}:{len(name):02d}:00Z",
                                        "customer_id": ref,
                                        "event": "api_call", "status": "200", "user_id": "late-user",
                                        "bytes": 10, "cost": 0.25}) + "\n" for n in range(calls)))
    return path


def test_a_late_file_rematerializes_its_day_only(warehouse: Warehouse, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    landing = tmp_path / "landing"
    monkeypatch.setenv("HUB_HOME", str(tmp_path))
    monkeypatch.setenv("HUB_USAGE_LOG_DIR", str(landing))
    monkeypatch.setenv("HUB_WAREHOUSE_URL", warehouse.url)
    data = synth.generate(40, seed=5, as_of=dt.datetime.now(dt.UTC).date())
    synth.write_usage_logs(data, landing, fmt="jsonl.gz", bad_lines=12, seed=5)
    refs = sorted(data.usage_events["customer_id"].unique())
    _customers(warehouse, refs)
    from hub.definitions import build_definitions
    from resources.warehouse import WarehouseResource
    from sensors.usage import usage_days_sensor

    defs = build_definitions()
    resources = {"warehouse": WarehouseResource(url=warehouse.url)}
    with dg.DagsterInstance.ephemeral() as instance:
        # Nothing landed yet: nothing to roll up.
        assert "rolled up" in usage_days_sensor(dg.build_sensor_context(instance=instance, resources=resources)
                                                ).skip_message
        assert defs.resolve_job_def("usage_ingest").execute_in_process(instance=instance).success
        # The sensor asks for every day the files touched, a stretch of consecutive days per run.
        first = usage_days_sensor(dg.build_sensor_context(instance=instance, resources=resources))
        days = sorted(read_usage_events(warehouse)["event_at"].dt.strftime("%Y-%m-%d").unique())
        runs = _run_requests(defs, instance, warehouse, first.run_requests)
        assert [d for run in runs for d in _day_partitions(instance, run)] == days
        assert len(days) > 20
        before = _table(warehouse)
        _same(before, _reference_daily(warehouse))
        assert "rolled up" in usage_days_sensor(dg.build_sensor_context(instance=instance, resources=resources)
                                                ).skip_message

        rollups = DayRollups(UsageEventStore.of(warehouse), set(), PRODUCT_MILESTONES)
        stamps = {p.name: p.stat().st_mtime_ns for p in rollups.files()}
        written = _written(warehouse)
        assert sorted(written) == days
        late_day = dt.date.fromisoformat(days[len(days) // 2])
        ref = refs[0]
        _late_file(landing, late_day, ref, calls=3)
        assert defs.resolve_job_def("usage_ingest").execute_in_process(instance=instance).success
        late = usage_days_sensor(dg.build_sensor_context(instance=instance, resources=resources))
        # One partition, the late file's day; the same change is asked for once.
        assert [r.partition_key for r in late.run_requests] == [late_day.isoformat()]
        (run,) = _run_requests(defs, instance, warehouse, late.run_requests)
        assert _day_partitions(instance, run) == [late_day.isoformat()]
        changed = {n for n, stamp in stamps.items() if rollups.path(n.removesuffix(".parquet")).stat().st_mtime_ns
                   != stamp}
        assert changed == {f"{late_day.isoformat()}.parquet"}

        after = _table(warehouse)
        _same(after, _reference_daily(warehouse))
        customer = customer_lookup(warehouse)[ref]
        row = (after["customer_id"] == customer) & (after["date"] == late_day.isoformat())
        old_row = (before["customer_id"] == customer) & (before["date"] == late_day.isoformat())
        old_calls = float(before.loc[old_row, "api_calls"].sum())
        assert float(after.loc[row, "api_calls"].iloc[0]) == old_calls + 3
        old_users = int(before.loc[old_row, "active_users"].sum())
        assert int(after.loc[row, "active_users"].iloc[0]) == old_users + 1
        # Every other customer and day is as it was, and usage_daily's other dates were not rewritten.
        _same(after[~row].reset_index(drop=True), before[~old_row].reset_index(drop=True))
        rewritten = {d for d, at in _written(warehouse).items() if at != written[d]}
        assert rewritten == {late_day.isoformat()}
        assert "rolled up" in usage_days_sensor(dg.build_sensor_context(instance=instance, resources=resources)
                                                ).skip_message


def test_an_unpartitioned_run_rolls_up_and_records_the_days_it_touched(
        sqlite_warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """nightly_sync and the demo run usage_daily without a partition: it rolls up the stale days
    itself and records them as the day partitions' materializations."""
    warehouse, landing = sqlite_warehouse, tmp_path / "landing"
    monkeypatch.setenv("HUB_HOME", str(tmp_path))
    monkeypatch.setenv("HUB_USAGE_LOG_DIR", str(landing))
    monkeypatch.setenv("HUB_WAREHOUSE_URL", warehouse.url)
    today = dt.datetime.now(dt.UTC).date()
    days = [today - dt.timedelta(days=n) for n in (3, 2)]
    landing.mkdir()
    for day in days:
        _late_file(landing, day, "APP-1", calls=2)
    _customers(warehouse, ["APP-1", "APP-unknown", "APP-unknown-2"])
    from assets.usage import usage_daily, usage_events
    from hub.definitions import build_resources

    with dg.DagsterInstance.ephemeral() as instance:
        first = dg.materialize([usage_events, usage_daily], instance=instance, resources=build_resources())
        assert first.success
        assert _day_partitions(instance, first.run_id) == [d.isoformat() for d in days]
        _late_file(landing, days[1], "APP-1", calls=5, name="later")
        again = dg.materialize([usage_events, usage_daily], instance=instance, resources=build_resources())
        assert _day_partitions(instance, again.run_id) == [days[1].isoformat()]
    assert _table(warehouse)["api_calls"].tolist() == [2.0, 7.0]


def test_a_rewritten_file_read_again_counts_each_line_once(warehouse: Warehouse, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A day whose events come from one read is rolled up without looking for repeated keys; a
    file rewritten and read again gives its day a second read sharing keys with the first, and
    the roll-up keeps each key once (the first read wins), as the event-by-event path does."""
    from hub.pipeline.usage import build_usage_daily, ingest_usage

    monkeypatch.setenv("HUB_HOME", str(tmp_path))
    landing = tmp_path / "landing"
    landing.mkdir()
    day = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=2)
    path = _late_file(landing, day, "APP-1", calls=4, name="day")
    _customers(warehouse, ["APP-1", "APP-unknown", "APP-unknown-2"])
    ingest_usage(warehouse, landing, {"usage": {"stable_seconds": 0}})
    build_usage_daily(warehouse)
    assert _table(warehouse)["api_calls"].tolist() == [4.0]
    # Rewritten, not appended: its first line changed, so it is read again from the start.
    lines = path.read_text().splitlines(keepends=True)
    path.write_text(lines[0].replace('"bytes": 10', '"bytes": 11') + "".join(lines[1:]))
    os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 5))
    ingest_usage(warehouse, landing, {"usage": {"stable_seconds": 0}})
    assert len(UsageEventStore.of(warehouse).files(live_digests(warehouse))) == 2
    build_usage_daily(warehouse)
    after = _table(warehouse)
    # Three unchanged lines once each, the changed line's two versions: five events.
    assert after["api_calls"].tolist() == [5.0]
    assert after["storage_bytes"].tolist() == [51.0]
    _same(after, _reference_daily(warehouse))


def test_usage_daily_rewrites_only_the_dates_whose_rows_changed(warehouse: Warehouse, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """``usage_daily`` ends as a full rebuild would leave it, but a build writes only the dates
    whose rows differ: none when nothing changed, a customer's dates when the crosswalk stops
    knowing it, a date whose rows were deleted behind the hub's back (and a date left in the table
    that no event or report gives any more is removed)."""
    from hub.pipeline.usage import build_usage_daily, ingest_usage

    monkeypatch.setenv("HUB_HOME", str(tmp_path))
    landing = tmp_path / "landing"
    data = synth.generate(25, seed=11, as_of=dt.datetime.now(dt.UTC).date())
    synth.write_usage_logs(data, landing, fmt="jsonl", bad_lines=3, seed=11)
    refs = sorted(data.usage_events["customer_id"].unique())
    _customers(warehouse, refs)
    ingest_usage(warehouse, landing, {"usage": {"stable_seconds": 0}})
    first = build_usage_daily(warehouse).metadata
    table = _table(warehouse)
    _same(table, _reference_daily(warehouse))
    assert first["usage_daily_dates_written"] == table["date"].nunique() > 20
    assert first["usage_daily_rows_written"] == len(table)

    again = build_usage_daily(warehouse).metadata
    assert (again["usage_daily_dates_written"], again["usage_daily_rows_written"]) == (0, 0)
    _same(_table(warehouse), table)

    # The crosswalk no longer knows one customer: its dates only, its rows gone.
    gone = customer_lookup(warehouse)[refs[0]]
    sources = warehouse.table("analytics", "customer_sources")
    with warehouse.transaction() as conn:
        conn.execute(sources.delete().where(sources.c.customer_id == gone))
    unmatched = build_usage_daily(warehouse).metadata
    assert unmatched["usage_daily_dates_written"] == table.loc[table["customer_id"] == gone, "date"].nunique()
    after = _table(warehouse)
    assert gone not in set(after["customer_id"])
    _same(after, _reference_daily(warehouse))

    # Rows deleted behind the hub's back come back; a date nothing gives any more goes.
    daily = warehouse.table("analytics", "usage_daily")
    some_date = after["date"].iloc[len(after) // 2]
    with warehouse.transaction() as conn:
        conn.execute(daily.delete().where(daily.c.date == some_date))
    warehouse.write("analytics", "usage_daily", [
        {"customer_id": "cus_stray", "date": "2001-01-01", "api_calls": 1, "sign_operations": 0,
         "verify_operations": 0, "errors": 0, "error_rate": 0, "active_users": 1, "storage_bytes": 0,
         "cost": 0, "events": 1, "origin": "usage_log"}], mode="append")
    repaired = build_usage_daily(warehouse).metadata
    assert (repaired["usage_daily_dates_written"], repaired["usage_daily_dates_removed"]) == (1, 1)
    _same(_table(warehouse), after)


def test_day_ranges_split_at_gaps_and_at_a_month() -> None:
    keys = [(dt.date(2026, 1, 1) + dt.timedelta(days=n)).isoformat() for n in range(90)]
    assert day_ranges([keys[5], keys[3], keys[4], keys[9]], keys) == [keys[3:6], [keys[9]]]
    assert [len(r) for r in day_ranges(keys[:70], keys)] == [31, 31, 8]


def test_two_usage_daily_writes_at_once_take_turns(warehouse: Warehouse) -> None:
    """Two usage_daily builds at once (two usage_days runs): the second waits for the first and
    ends with the same table, instead of failing on rows the first just inserted."""
    import threading
    import time

    from hub.usage import DAILY_COLUMNS
    from hub.usage_write import write_usage_daily

    daily = pd.DataFrame([{"customer_id": f"cus_{c}", "date": f"2026-11-{d:02d}", "api_calls": float(c * d),
                           "sign_operations": 0.0, "verify_operations": 0.0, "errors": 0.0, "error_rate": 0.0,
                           "active_users": 1.0, "storage_bytes": 0.0, "cost": 0.5, "events": c + d,
                           "origin": "usage_log"} for c in range(5) for d in (1, 2, 3)], columns=DAILY_COLUMNS)
    outcome: list[object] = []

    def second() -> None:
        try:
            with warehouse.transaction() as conn:
                outcome.append(write_usage_daily(warehouse, conn, daily, DAILY_COLUMNS))
        except Exception as exc:  # noqa: BLE001 - the test reports it
            outcome.append(exc)

    with warehouse.engine.connect() as first:
        with first.begin():
            assert write_usage_daily(warehouse, first, daily, DAILY_COLUMNS).dates_written == 3
            racer = threading.Thread(target=second)
            racer.start()
            time.sleep(1.0)
            assert racer.is_alive() and not outcome  # waiting for the first to commit
        racer.join(60)
    assert len(outcome) == 1 and not isinstance(outcome[0], Exception), outcome
    if warehouse.is_postgres:  # it read what the first committed: nothing left to write
        assert outcome[0].dates_written == 0
    _same(_table(warehouse), daily.sort_values(KEY).reset_index(drop=True))
