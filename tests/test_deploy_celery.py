"""Beyond one machine: nightly_sync with HUB_EXECUTOR=celery, its steps on two real dagster-celery
workers (Redis broker and backend), Dagster's storage on PostgreSQL — and a warehouse identical,
table by table, to an in-process run on the same synthetic sources."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import sqlalchemy as sa
from dagster._core.events import DagsterEventType
from deploy_support import (
    BIN,
    REPO,
    Processes,
    base_env,
    postgres_instance_env,
    recreate_database,
    redis_or_skip,
    wait_for,
    write_instance,
)

from hub import synth
from hub.emulators import start_emulators
from hub.warehouse import Warehouse

pytestmark = pytest.mark.deploy

# A Redis database of its own, so stale tasks of another suite never reach these workers.
REDIS_DB = 11
WORKERS = ("hubworker1", "hubworker2")
LAYERS = ("raw", "staging", "analytics")
RUN_TIMEOUT_SECONDS = 240


def _table_counts(url: sa.URL) -> dict[str, int]:
    engine = sa.create_engine(url)
    inspector = sa.inspect(engine)
    counts = {}
    with engine.connect() as conn:
        for schema in LAYERS:
            for table in inspector.get_table_names(schema=schema):
                counts[f"{schema}.{table}"] = conn.execute(sa.text(f'SELECT COUNT(*) FROM "{schema}"."{table}"')).scalar()
    engine.dispose()
    return counts


def _broker_and_backend() -> tuple[str, str]:
    """Redis by default; HUB_TEST_CELERY_BROKER_URL / _BACKEND_URL try another broker (RabbitMQ:
    amqp://guest:guest@127.0.0.1:5672// with rpc://)."""
    broker = os.environ.get("HUB_TEST_CELERY_BROKER_URL")
    if broker:
        return broker, os.environ.get("HUB_TEST_CELERY_BACKEND_URL", "rpc://")
    broker = f"{redis_or_skip()}/{REDIS_DB}"
    import redis

    redis.Redis.from_url(broker).flushdb()
    return broker, broker


@pytest.fixture
def sources(tmp_path: Path) -> Iterator[tuple[Any, Any, Path]]:
    data = synth.generate(40, seed=9)
    usage_dir = tmp_path / "landing"
    synth.write_usage_logs(data, usage_dir, fmt="jsonl.gz", bad_lines=2, seed=9)
    with start_emulators(data, rate_limits=False) as emulators:
        yield data, emulators, usage_dir


def test_nightly_sync_on_two_celery_workers_matches_an_in_process_run(
        sources, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data, emulators, usage_dir = sources
    broker, backend = _broker_and_backend()
    dagster_db = recreate_database("hub_celery_dagster_test")
    celery_wh = recreate_database("hub_celery_warehouse_test")
    reference_wh = recreate_database("hub_inprocess_warehouse_test")
    for url in (celery_wh, reference_wh):
        # First-run DDL from parallel steps is the warehouse's own concern (advisory lock);
        # here both start migrated so the comparison is about execution only.
        Warehouse(url.render_as_string(hide_password=False)).migrate()

    home = tmp_path / "home"
    dagster_home = home / "dagster"
    dagster_home.mkdir(parents=True)
    write_instance(dagster_home, "celery")
    env = base_env(HUB_HOME=str(home), DAGSTER_HOME=str(dagster_home), HUB_USAGE_LOG_DIR=str(usage_dir),
                   HUB_WAREHOUSE_URL=celery_wh.render_as_string(hide_password=False),
                   HUB_EXECUTOR="celery", HUB_CELERY_BROKER_URL=broker, HUB_CELERY_BACKEND_URL=backend,
                   **postgres_instance_env(dagster_db), **emulators.env())

    # Dagster's storage is created once before the workers start, as the webserver or daemon
    # creates it in a deployment: two workers on an empty database raced to create its tables
    # (`type "jobs" already exists`, seen once in CI).
    for name, value in postgres_instance_env(dagster_db).items():
        monkeypatch.setenv(name, value)
    with dg.DagsterInstance.from_config(str(dagster_home)):
        pass

    processes = Processes(tmp_path)
    started = time.monotonic()
    try:
        for name in WORKERS:
            # One task at a time per worker: two workers, so steps must spread over both.
            processes.start(name, [str(BIN / "dagster-celery"), "worker", "start", "-n", name, "-A",
                                   "dagster_celery.app", "-y", str(REPO / "deploy/celery/worker.yaml"),
                                   "--", "--concurrency=1"], env)
        for name in WORKERS:
            wait_for(f"Celery worker {name} to be ready", lambda n=name: f"{n}@" in processes.log(n)
                     and " ready." in processes.log(n), timeout=90, diagnostics=processes.tails)
        # The README's command: dg launch runs the job with the code location's executor (Celery here).
        launch = processes.start("launch", [str(BIN / "dg"), "launch", "--job", "nightly_sync"], env)
        try:
            launch.wait(timeout=RUN_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail(f"nightly_sync on Celery did not finish in {RUN_TIMEOUT_SECONDS} s\n{processes.tails(60)}")
        assert launch.returncode == 0, f"dg launch exited {launch.returncode}\n{processes.tails(60)}"
    finally:
        processes.stop_all()
    celery_seconds = time.monotonic() - started

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        runs = instance.get_runs(filters=dg.RunsFilter(job_name="nightly_sync"))
        assert len(runs) == 1, runs
        run = runs[0]
        assert run.status == dg.DagsterRunStatus.SUCCESS, processes.tails(60)
        # The executor reads the broker from the environment: no URL (or password) in run config.
        assert broker not in json.dumps(run.run_config) and run.run_config.get("execution") is None
        engine_events = instance.all_logs(run.run_id, of_type=DagsterEventType.ENGINE_EVENT)
        workers_by_step: dict[str, str] = {}
        for record in engine_events:
            metadata = record.dagster_event.engine_event_data.metadata
            if "Celery worker" in metadata:
                workers_by_step[record.step_key] = metadata["Celery worker"].value
        step_successes = instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_SUCCESS)
        starts = {e.step_key: e.timestamp for e in instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_START)}
        ends = {e.step_key: e.timestamp for e in step_successes}
    # Every step ran on a worker, and both workers took steps.
    assert {e.step_key for e in step_successes} <= set(workers_by_step), workers_by_step
    assert {w.split("@")[0] for w in workers_by_step.values()} == set(WORKERS), workers_by_step
    # Two workers run two steps at once, yet each source's pool kept its steps one at a time.
    for source in ("airtable", "hubspot", "salesforce"):
        spans = sorted((starts[k], ends[k]) for k in ends if k.startswith(f"raw__{source}__"))
        assert len(spans) > 1, (source, sorted(ends))
        overlaps = [(a, b) for a, b in zip(spans, spans[1:], strict=False) if b[0] < a[1]]
        assert not overlaps, f"{source} steps overlapped: {overlaps}"

    # The same job in-process, on the same sources and usage files, into the reference warehouse.
    for name, value in {**emulators.env(), "HUB_HOME": str(tmp_path / "reference"),
                        "HUB_USAGE_LOG_DIR": str(usage_dir),
                        "HUB_WAREHOUSE_URL": reference_wh.render_as_string(hide_password=False)}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("HUB_EXECUTOR", raising=False)
    from hub.definitions import build_definitions

    with dg.DagsterInstance.ephemeral() as ephemeral:
        assert build_definitions().resolve_job_def("nightly_sync").execute_in_process(instance=ephemeral).success

    on_celery, in_process = _table_counts(celery_wh), _table_counts(reference_wh)
    assert on_celery == in_process
    assert on_celery["analytics.customers"] > 0 and on_celery["analytics.customer_health"] > 0
    assert on_celery["raw.hubspot_companies"] == len(data.hubspot["companies"])
    print(f"celery run {celery_seconds:.0f} s; steps per worker: "
          f"{ {w: sum(v.startswith(w) for v in workers_by_step.values()) for w in WORKERS} }")
