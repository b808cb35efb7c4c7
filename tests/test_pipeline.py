"""End to end: synthetic sources served by the emulators, the real clients, nightly_sync on each
warehouse backend — twice, with the same result — and the sensors that follow it."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest

from hub import synth
from hub.emulators import start_emulators
from hub.usage import read_usage_events
from hub.warehouse import Warehouse

NON_EMPTY = ["customers", "customer_sources", "contacts", "deals", "applications", "usage_daily",
             "customer_health", "alerts"]


@pytest.fixture(scope="module")
def sources():
    data = synth.generate(60, seed=11)
    with start_emulators(data, rate_limits=False) as running:
        yield data, running


def _point_at(monkeypatch: pytest.MonkeyPatch, running, warehouse: Warehouse, tmp_path: Path) -> Path:
    for name, value in running.env().items():
        monkeypatch.setenv(name, value)
    usage_dir = tmp_path / "landing"
    monkeypatch.setenv("HUB_HOME", str(tmp_path))
    monkeypatch.setenv("HUB_USAGE_LOG_DIR", str(usage_dir))
    monkeypatch.setenv("HUB_WAREHOUSE_URL", warehouse.url)
    return usage_dir


def _counts(warehouse: Warehouse) -> dict[str, int]:
    tables = NON_EMPTY + ["customer_health_history", "kpi_daily"]
    return {t: warehouse.count("analytics", t) for t in tables} | {
        "raw_hubspot_companies": warehouse.count("raw", "hubspot_companies"),
        "usage_events": len(read_usage_events(warehouse)),
        "quarantine": warehouse.count("raw", "quarantine")}


def test_nightly_sync_fills_every_table_and_reruns_identically(
        sources, warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data, running = sources
    usage_dir = _point_at(monkeypatch, running, warehouse, tmp_path)
    synth.write_usage_logs(data, usage_dir, bad_lines=2, seed=11)
    from hub.definitions import build_definitions

    defs = build_definitions()
    job = defs.resolve_job_def("nightly_sync")
    running.airtable.reset_requests()
    running.hubspot.reset_requests()
    running.salesforce.reset_requests()
    with dg.DagsterInstance.ephemeral() as instance:
        assert job.execute_in_process(instance=instance).success
        first = _counts(warehouse)
        customers_before = warehouse.read("analytics", "customers").sort_values("customer_id")
        assert job.execute_in_process(instance=instance).success
        assert _counts(warehouse) == first
        customers_after = warehouse.read("analytics", "customers").sort_values("customer_id")
    assert all(first[t] > 0 for t in NON_EMPTY), first
    # The real clients made real HTTP(S) requests to every emulator.
    assert len(running.airtable.requests) and len(running.hubspot.requests) and len(running.salesforce.requests)
    # Raw holds exactly the source's records; ids and reconciled content are stable across runs.
    assert first["raw_hubspot_companies"] == len(data.hubspot["companies"])
    assert customers_after["customer_id"].tolist() == customers_before["customer_id"].tolist()
    assert customers_after["updated_at"].tolist() == customers_before["updated_at"].tolist()
    # Every usage line is accounted for, bad ones quarantined with their reason.
    files = warehouse.read("raw", "usage_files")
    assert (files["lines_in"] == files["lines_loaded"] + files["lines_quarantined"]).all()
    assert files["lines_quarantined"].sum() >= 2


def test_sensors_follow_the_pipeline(sources, sqlite_warehouse: Warehouse, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    data, running = sources
    usage_dir = _point_at(monkeypatch, running, sqlite_warehouse, tmp_path)
    from hub.definitions import build_definitions
    from resources.config import HubConfigResource
    from resources.warehouse import WarehouseResource
    from sensors.materializations import health_recalculation_sensor, threshold_alert_sensor
    from sensors.usage import usage_days_sensor, usage_log_sensor

    defs = build_definitions()
    resources = {"warehouse": WarehouseResource(url=sqlite_warehouse.url), "hub_config": HubConfigResource()}
    with dg.DagsterInstance.ephemeral() as instance:
        # No files yet: the usage sensor skips. One file: one run request; the cursor remembers it.
        context = dg.build_sensor_context(instance=instance, resources=resources)
        assert not usage_log_sensor(context).run_requests
        synth.write_usage_logs(data, usage_dir, seed=11)
        result = usage_log_sensor(dg.build_sensor_context(instance=instance, resources=resources))
        assert len(result.run_requests) == 1
        again = usage_log_sensor(dg.build_sensor_context(instance=instance, cursor=result.cursor,
                                                         resources=resources))
        assert not again.run_requests

        assert defs.resolve_job_def("nightly_sync").execute_in_process(instance=instance).success
        # Files the warehouse has read as they are launch nothing, even for a sensor with no cursor
        # (the UI starting after `hub demo`).
        assert not usage_log_sensor(dg.build_sensor_context(instance=instance, resources=resources)).run_requests
        # nightly_sync rebuilt health after its inputs and alerts after health: nothing to do.
        assert health_recalculation_sensor(dg.build_sensor_context(instance=instance)).skip_message
        assert threshold_alert_sensor(dg.build_sensor_context(instance=instance)).skip_message

        # nightly_sync rolled up every usage day it landed: no day partition is asked for.
        assert usage_days_sensor(dg.build_sensor_context(instance=instance, resources=resources)).skip_message
        # A late file for one day: usage_ingest lands it, the days sensor asks for that day only,
        # and the day's run (usage_daily with it) makes health due.
        day = read_usage_events(sqlite_warehouse)["event_at"].min().date().isoformat()
        ref = str(data.usage_events["customer_id"].iloc[0])
        (usage_dir / "late.jsonl").write_text(json.dumps({"timestamp": f"{day}T12:00:00Z", "customer_id": ref,
                                                          "event": "api_call", "user_id": "late"}) + "\n")
        assert defs.resolve_job_def("usage_ingest").execute_in_process(instance=instance).success
        (request,) = usage_days_sensor(dg.build_sensor_context(instance=instance, resources=resources)).run_requests
        assert request.partition_key == day
        assert defs.resolve_job_def("usage_days").execute_in_process(instance=instance,
                                                                     partition_key=day).success
        fired = health_recalculation_sensor(dg.build_sensor_context(instance=instance))
        assert len(fired.run_requests) == 1
        # Once it has fired for these materializations, it does not fire again.
        repeat = health_recalculation_sensor(dg.build_sensor_context(instance=instance, cursor=fired.cursor))
        assert repeat.skip_message

        assert defs.resolve_job_def("health_recalculation").execute_in_process(instance=instance).success
        assert len(threshold_alert_sensor(dg.build_sensor_context(instance=instance)).run_requests) == 1
    assert json.loads(result.cursor)
