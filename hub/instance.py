"""Dagster instance configurations (``$DAGSTER_HOME/dagster.yaml``), one per deployment.

The README, ``hub demo``, ``hub instance`` and the deployment tests all read these functions, so
what the README shows is what runs. Every key is checked against Dagster 1.13's instance schema
(``dagster._core.instance.config``) by ``tests/test_instance.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

# A nightly sync runs for minutes; a STARTED run older than this lost its worker (a killed code
# server or machine): run monitoring fails it so it stops holding the queue and its pool slots.
MAX_RUNTIME_SECONDS = 4 * 3600

# The raw assets declare these pools (assets/raw.py); one slot each keeps parallel steps of
# one source — in one run or across runs — inside its API allocation (Airtable locks a base out
# for 30 s past 5 requests/s).
SOURCE_POOLS = ("airtable_api", "hubspot_api", "salesforce_api")

# Environment variables of Dagster's PostgreSQL storage: read by Dagster itself, never written here.
POSTGRES_VARIABLES = ("DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD", "DAGSTER_PG_HOST", "DAGSTER_PG_DB")

DEPLOYMENTS = ("single-user", "team", "celery")


def _run_monitoring() -> dict[str, Any]:
    return {
        "enabled": True,
        "start_timeout_seconds": 180,
        "max_runtime_seconds": MAX_RUNTIME_SECONDS,
        "poll_interval_seconds": 30,
        # Pool slots of steps whose run died are handed back instead of blocking the pool forever.
        "free_slots_after_run_end_seconds": 60,
    }


def _concurrency(max_concurrent_runs: int) -> dict[str, Any]:
    return {
        "runs": {
            "max_concurrent_runs": max_concurrent_runs,
            # Two full syncs at once would share every API allocation and gain nothing.
            "tag_concurrency_limits": [{"key": "hub/job", "value": "nightly_sync", "limit": 1}],
        },
        # Dagster applies default_limit to every pool on first use: one step per source at a time.
        "pools": {"granularity": "op", "default_limit": 1},
    }


def single_user() -> dict[str, Any]:
    """SQLite under DAGSTER_HOME: one person, ``hub demo`` and ``dg dev`` on one machine."""
    return {
        "telemetry": {"enabled": False},
        "run_monitoring": _run_monitoring(),
        # SQLite serialises writers: a few runs at once (a sync plus the sensor-launched ones).
        "concurrency": _concurrency(max_concurrent_runs=3),
    }


def team() -> dict[str, Any]:
    """PostgreSQL storage for runs, events and schedules: webserver and daemon, several users."""
    return {
        "telemetry": {"enabled": False},
        "storage": {"postgres": {"postgres_db": {
            "username": {"env": "DAGSTER_PG_USER"},
            "password": {"env": "DAGSTER_PG_PASSWORD"},
            "hostname": {"env": "DAGSTER_PG_HOST"},
            "db_name": {"env": "DAGSTER_PG_DB"},
            "port": 5432,
            # dagster-postgres ships psycopg2; SQLAlchemy 2.1's bare postgresql:// means psycopg 3,
            # whose server-side binding breaks dagster-postgres' `NOTIFY run_events, $1`.
            "scheme": "postgresql+psycopg2",
        }}},
        "run_monitoring": _run_monitoring(),
        "concurrency": _concurrency(max_concurrent_runs=8),
    }


def celery() -> dict[str, Any]:
    """Steps on Celery workers: the team instance, which every worker must reach too (runs,
    events and pool slots are shared through PostgreSQL; the executor is chosen per code location
    by HUB_EXECUTOR=celery, see assets/execution.py)."""
    return team()


def config_for(deployment: str) -> dict[str, Any]:
    """The instance config of a deployment: ``single-user``, ``team`` or ``celery``."""
    builders = {"single-user": single_user, "team": team, "celery": celery}
    if deployment not in builders:
        raise ValueError(f"unknown deployment {deployment!r}: choose one of {', '.join(DEPLOYMENTS)}")
    return builders[deployment]()


def render(deployment: str) -> str:
    """The dagster.yaml text of a deployment."""
    header = f"# Written by customer-hub (hub.instance, deployment: {deployment}); see README, Deployment.\n"
    return header + yaml.safe_dump(config_for(deployment), sort_keys=False)


# What `hub demo` wrote before run monitoring and pools: one queued run at a time, which a killed
# run blocked forever. Replaced on sight; any other existing file is the user's and stays.
LEGACY_SINGLE_USER = """# Written by `hub demo`: a single-user instance on SQLite (see README for PostgreSQL).
telemetry:
  enabled: false
run_queue:
  max_concurrent_runs: 1
"""


def write_config(dagster_home: Path, deployment: str = "single-user") -> bool:
    """Write ``dagster.yaml`` into ``dagster_home`` unless one is there (a user's edits win).
    Returns whether it was written."""
    path = dagster_home / "dagster.yaml"
    if path.exists() and path.read_text(encoding="utf-8") != LEGACY_SINGLE_USER:
        return False
    dagster_home.mkdir(parents=True, exist_ok=True)
    # Write then rename: a concurrent reader never sees half a file.
    partial = path.with_suffix(".yaml.partial")
    partial.write_text(render(deployment), encoding="utf-8")
    partial.replace(path)
    return True
