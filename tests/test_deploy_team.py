"""The team deployment, for real: dagster-webserver and dagster-daemon on a PostgreSQL Dagster
instance written by hub.instance.team(), the emulated sources, a usage file dropped in the
landing directory, the run usage_log_sensor launches and the day-partition runs usage_days_sensor
launches after it — watched over GraphQL to SUCCESS."""

from __future__ import annotations

import json
import os
import re
import signal
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from deploy_support import (
    BIN,
    Processes,
    base_env,
    free_port,
    http_ok,
    postgres_instance_env,
    recreate_database,
    wait_for,
    write_instance,
)

from hub import synth
from hub.emulators import start_emulators

pytestmark = pytest.mark.deploy

REPOSITORY = {"repositoryLocationName": "customer_hub", "repositoryName": "__repository__"}
RUNS = """query Runs($filter: RunsFilter) { runsOrError(filter: $filter) {
  ... on Runs { results { runId jobName status tags { key value } } }
  ... on PythonError { message } } }"""
SENSORS = """query Sensors($repo: RepositorySelector!) { sensorsOrError(repositorySelector: $repo) {
  ... on Sensors { results { name sensorState { status ticks(limit: 100) { status error { message } } } } }
  ... on PythonError { message } } }"""


class GraphQL:
    def __init__(self, url: str) -> None:
        self.url = url

    def __call__(self, query: str, **variables: Any) -> dict[str, Any]:
        body = json.dumps({"query": query, "variables": variables}).encode()
        request = urllib.request.Request(self.url, data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            payload = json.loads(response.read())
        assert not payload.get("errors"), payload["errors"]
        return payload["data"]


@pytest.fixture
def team(tmp_path: Path) -> Iterator[tuple[GraphQL, Path, Processes, Any, sa.URL]]:
    database = recreate_database("hub_dagster_test")
    home = tmp_path / "home"
    usage_dir = home / "landing" / "usage"
    usage_dir.mkdir(parents=True)
    dagster_home = home / "dagster"
    dagster_home.mkdir()
    write_instance(dagster_home, "team")
    data = synth.generate(30, seed=3)
    processes = Processes(tmp_path)
    with start_emulators(data, rate_limits=False) as emulators:
        env = base_env(HUB_HOME=str(home), DAGSTER_HOME=str(dagster_home), HUB_USAGE_LOG_DIR=str(usage_dir),
                       HUB_WAREHOUSE_URL=f"sqlite:///{home / 'warehouse.db'}",
                       **postgres_instance_env(database), **emulators.env())
        port = free_port()
        try:
            processes.start("webserver", [str(BIN / "dagster-webserver"), "-w", "workspace.yaml",
                                          "-h", "127.0.0.1", "-p", str(port)], env)
            processes.start("daemon", [str(BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"], env)
            wait_for("the webserver's /server_info", lambda: http_ok(f"http://127.0.0.1:{port}/server_info"),
                     timeout=120, diagnostics=processes.tails)
            yield GraphQL(f"http://127.0.0.1:{port}/graphql"), usage_dir, processes, data, database
        finally:
            processes.stop_all()


def test_a_sensor_launched_run_succeeds_on_webserver_and_daemon(team) -> None:
    graphql, usage_dir, processes, data, database = team
    written = synth.write_usage_logs(data, usage_dir, fmt="jsonl", seed=3)
    assert written

    def finished_ingest() -> dict[str, Any] | None:
        runs = graphql(RUNS, filter={"pipelineName": "usage_ingest"})["runsOrError"]
        assert "results" in runs, runs
        done = [r for r in runs["results"] if r["status"] in ("SUCCESS", "FAILURE", "CANCELED")]
        return done[0] if done else None

    run = wait_for("usage_log_sensor to launch usage_ingest and the run to finish", finished_ingest,
                   timeout=150, interval=3, diagnostics=processes.tails)
    tags = {t["key"]: t["value"] for t in run["tags"]}
    assert tags.get("dagster/sensor_name") == "usage_log_sensor", tags
    assert run["status"] == "SUCCESS", f"run {run['runId']} ended {run['status']}\n{processes.tails()}"

    # The days the file touched: usage_days_sensor asks for those partitions, the daemon runs them.
    def finished_days() -> list[dict[str, Any]] | None:
        runs = graphql(RUNS, filter={"pipelineName": "usage_days"})["runsOrError"]["results"]
        return runs if runs and all(r["status"] in ("SUCCESS", "FAILURE", "CANCELED") for r in runs) else None

    day_runs = wait_for("usage_days_sensor to launch usage_days and the runs to finish", finished_days,
                        timeout=150, interval=3, diagnostics=processes.tails)
    for day_run in day_runs:
        tags = {t["key"]: t["value"] for t in day_run["tags"]}
        assert tags.get("dagster/sensor_name") == "usage_days_sensor", tags
        assert "dagster/partition" in tags or "dagster/asset_partition_range_start" in tags, tags
        assert day_run["status"] == "SUCCESS", f"run {day_run['runId']} ended {day_run['status']}\n{processes.tails()}"

    sensors = graphql(SENSORS, repo=REPOSITORY)["sensorsOrError"]
    assert "results" in sensors, sensors
    states = {s["name"]: s["sensorState"] for s in sensors["results"]}
    assert states["usage_log_sensor"]["status"] == "RUNNING"
    failed = {name: [t["error"]["message"][:300] for t in state["ticks"] if t["status"] == "FAILURE"]
              for name, state in states.items()}
    assert not any(failed.values()), failed
    assert any(t["status"] == "SUCCESS" for t in states["usage_log_sensor"]["ticks"])
    # Runs live in PostgreSQL, not in SQLite under DAGSTER_HOME.
    engine = sa.create_engine(database)
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT COUNT(*) FROM runs WHERE run_id = :r"), {"r": run["runId"]}).scalar()
    engine.dispose()
    assert stored == 1
    assert not (usage_dir.parent.parent / "dagster" / "history").exists()


LAUNCH = """mutation Launch($params: ExecutionParams!) { launchRun(executionParams: $params) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }"""
RUN = """query Run($id: ID!) { runOrError(runId: $id) { ... on Run { status
  eventConnection { events { __typename ... on EngineEvent { message } } } } } }"""


def _launch(graphql: GraphQL, job: str) -> str:
    params = {"selector": {**REPOSITORY, "jobName": job}, "runConfigData": {}}
    launched = graphql(LAUNCH, params=params)["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    return launched["run"]["runId"]


def test_a_killed_run_is_failed_and_the_queue_moves_on(team) -> None:
    graphql, _usage_dir, processes, _data, _database = team
    first = _launch(graphql, "nightly_sync")

    def worker_pid() -> int | None:
        run = graphql(RUN, id=first)["runOrError"]
        for event in run["eventConnection"]["events"]:
            found = re.search(r"Started process for run \(pid: (\d+)\)", event.get("message") or "")
            if found and run["status"] == "STARTED":
                return int(found.group(1))
        return None

    pid = wait_for("the nightly_sync run worker to start", worker_pid, timeout=90, interval=1,
                   diagnostics=processes.tails)
    os.kill(pid, signal.SIGKILL)  # what an OOM kill or a crash does to a run mid-way
    status = wait_for("the killed run to be marked failed",
                      lambda: graphql(RUN, id=first)["runOrError"]["status"] in ("FAILURE", "CANCELED")
                      and graphql(RUN, id=first)["runOrError"]["status"], timeout=90, interval=2,
                      diagnostics=processes.tails)
    assert status == "FAILURE"
    # The one-nightly_sync-at-a-time slot is free again: the next one is dequeued and starts.
    second = _launch(graphql, "nightly_sync")
    wait_for("the next nightly_sync to leave the queue",
             lambda: graphql(RUN, id=second)["runOrError"]["status"] in ("STARTING", "STARTED", "SUCCESS"),
             timeout=90, interval=2, diagnostics=processes.tails)
