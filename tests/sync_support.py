"""Helpers shared by the connector tests: fast settings, connectors pointed at emulators, one
sync run in-process or in a subprocess (tests/sync_worker.py) that a test can SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hub.config import load_config, merge
from hub.raw import RAW_OBJECTS, RawSync
from hub.sources.registry import sync_object
from hub.sync import SyncReport
from hub.warehouse import Warehouse

REPO = Path(__file__).resolve().parent.parent
WORKER = Path(__file__).with_name("sync_worker.py")

# Unpaced, quick to retry, short timeouts and lockouts: a test waits milliseconds, not the 30 s
# Airtable lockout. The policies are the production ones, only their numbers differ.
FAST: dict[str, Any] = {
    "airtable": {"requests_per_second": None, "lockout_seconds": 0.2, "retry_base_seconds": 0.01,
                 "retry_max_seconds": 0.05, "connect_timeout_seconds": 2, "timeout_seconds": 1.0},
    "hubspot": {"requests_per_10s": 0, "search_per_second": None, "rate_limit_wait_seconds": 0.01,
                "retry_base_seconds": 0.01, "retry_max_seconds": 0.05, "timeout_seconds": 1.0},
    "salesforce": {"retry_base_seconds": 0.01, "retry_max_seconds": 0.05, "connect_timeout_seconds": 2,
                   "timeout_seconds": 1.0, "page_size": 200, "bulk_poll_seconds": 0.01,
                   "bulk_page_size": 300},
}


def fast_config(**overrides: Any) -> dict[str, Any]:
    """The built-in configuration with FAST laid over it, then ``overrides`` (by section)."""
    return merge(merge(load_config(), FAST), overrides)


def connector(source: str, env: dict[str, str], config: dict[str, Any], auth: dict[str, Any] | None = None) -> Any:
    """The connector a raw asset would use, pointed at the emulators' environment."""
    if source == "airtable":
        from resources.airtable import AirtableResource

        return AirtableResource(api_url=env["AIRTABLE_API_URL"], token=env["AIRTABLE_TOKEN"],
                                base_id=env["AIRTABLE_BASE_ID"]).connector(config)
    if source == "hubspot":
        from resources.hubspot import HubSpotResource

        return HubSpotResource(api_url=env["HUBSPOT_API_URL"], token=env["HUBSPOT_TOKEN"]).connector(config)
    from resources.salesforce import SalesforceResource

    credentials = auth if auth is not None else {"access_token": env["SALESFORCE_ACCESS_TOKEN"]}
    return SalesforceResource(instance_url=env["SALESFORCE_INSTANCE_URL"], ca_bundle=env["SALESFORCE_CA_BUNDLE"],
                              **credentials).connector(config)


def run_sync(source: str, name: str, warehouse: Warehouse, env: dict[str, str], config: dict[str, Any],
             auth: dict[str, Any] | None = None) -> SyncReport:
    """One sync of ``source/name`` exactly as the raw asset runs it."""
    raw = RawSync(warehouse, RAW_OBJECTS[f"{source}/{name}"], config, full_refresh=False)
    return sync_object(connector(source, env, config, auth), raw, config)


def fresh_sqlite(path: Path) -> Warehouse:
    warehouse = Warehouse(f"sqlite:///{path}")
    warehouse.migrate()
    return warehouse


def kill_midway(source: str, name: str, warehouse: Warehouse, env: dict[str, str], overrides: dict[str, Any],
                requests_seen: Callable[[], int], kill_after: int, timeout: float = 60.0) -> int:
    """Run one sync in a subprocess and SIGKILL it once the emulator has seen ``kill_after``
    requests; returns how many it had seen then."""
    child_env = {**os.environ, **env, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen([sys.executable, str(WORKER), source, name, warehouse.url, json.dumps(overrides)],
                               cwd=REPO, env=child_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    try:
        while requests_seen() < kill_after:
            if process.poll() is not None:
                _out, err = process.communicate()
                raise AssertionError(f"the sync ended before it could be killed: {err.decode()[-2000:]}")
            if time.monotonic() > deadline:
                raise AssertionError("the sync made too few requests to be killed mid-way")
            time.sleep(0.01)
        seen = requests_seen()
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        assert process.returncode == -signal.SIGKILL
        return seen
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
