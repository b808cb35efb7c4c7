"""The generated Dagster instance configs: valid for the installed Dagster, with run monitoring,
run-queue limits and source pools, and the PostgreSQL one working whichever psycopg is installed."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._core.instance.config import dagster_instance_config
from deploy_support import REPO, postgres_instance_env, recreate_database, write_instance

from hub import instance


@pytest.mark.parametrize("deployment", instance.DEPLOYMENTS)
def test_every_deployment_config_passes_dagsters_schema(deployment: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in instance.POSTGRES_VARIABLES:
        monkeypatch.setenv(name, "x")
    write_instance(tmp_path, deployment)
    config, _custom_class = dagster_instance_config(str(tmp_path))  # raises on any unknown key
    assert config["run_monitoring"]["enabled"] is True
    runs = config["concurrency"]["runs"]
    assert runs["max_concurrent_runs"] > 1
    assert {"key": "hub/job", "value": "nightly_sync", "limit": 1} in runs["tag_concurrency_limits"]
    assert config["concurrency"]["pools"] == {"granularity": "op", "default_limit": 1}


def test_single_user_instance_applies_monitoring_queue_and_pools(tmp_path: Path) -> None:
    write_instance(tmp_path, "single-user")
    with dg.DagsterInstance.from_config(str(tmp_path)) as inst:
        assert inst.run_monitoring_enabled
        assert inst.run_monitoring_max_runtime_seconds == instance.MAX_RUNTIME_SECONDS
        concurrency = inst.get_concurrency_config()
        assert concurrency.run_queue_config.max_concurrent_runs == 3
        assert concurrency.pool_config.default_pool_limit == 1
        # The tag the limit keys on is the one nightly_sync carries.
        from assets.jobs import nightly_sync
        assert nightly_sync.tags.get("hub/job") == "nightly_sync"


def test_the_raw_assets_use_exactly_the_configured_pools() -> None:
    from hub.definitions import defs

    job = defs.resolve_job_def("nightly_sync")
    pools = {node.pool for node in job.graph.node_defs if getattr(node, "pool", None)}
    assert pools == set(instance.SOURCE_POOLS)


def test_a_legacy_generated_config_is_replaced_and_a_users_is_kept(tmp_path: Path) -> None:
    (tmp_path / "dagster.yaml").write_text(instance.LEGACY_SINGLE_USER)
    assert instance.write_config(tmp_path)
    assert "run_monitoring" in (tmp_path / "dagster.yaml").read_text()
    (tmp_path / "dagster.yaml").write_text("telemetry: {enabled: false}\n")
    assert not instance.write_config(tmp_path)
    assert (tmp_path / "dagster.yaml").read_text() == "telemetry: {enabled: false}\n"


def test_readme_shows_the_team_config_hub_instance_writes() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", readme, flags=re.S)]
    assert instance.team() in blocks, "README's Dagster-on-PostgreSQL block differs from hub.instance.team()"


@pytest.mark.postgres
def test_team_instance_stores_runs_and_events_on_postgres(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # psycopg 3 installed used to break this (bare postgresql:// then means psycopg 3, and
    # dagster-postgres' NOTIFY with a bound parameter fails on it): the scheme pins psycopg2.
    database = recreate_database("hub_dagster_instance_test")
    for name, value in postgres_instance_env(database).items():
        monkeypatch.setenv(name, value)
    write_instance(tmp_path, "team")

    @dg.op
    def hello() -> int:
        return 1

    @dg.job
    def tiny() -> None:
        hello()

    with dg.DagsterInstance.from_config(str(tmp_path)) as inst:
        assert type(inst.run_storage).__name__ == "PostgresRunStorage"
        result = tiny.execute_in_process(instance=inst)
        assert result.success
        assert inst.get_run_by_id(result.run_id).status == dg.DagsterRunStatus.SUCCESS
        assert any(e.dagster_event.is_step_success for e in inst.all_logs(result.run_id) if e.is_dagster_event)
    print(f"psycopg 3 installed: {importlib.util.find_spec('psycopg') is not None}")
