"""`.venv/bin/hub demo --ui` without an activated venv: it runs once, then starts the Dagster UI
(webserver and daemon) from the executables next to its own Python — not from PATH."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
from deploy_support import BIN, Processes, base_env, free_port, http_ok, wait_for

pytestmark = pytest.mark.deploy


def test_hub_demo_ui_starts_the_ui_without_an_activated_venv(tmp_path: Path) -> None:
    port = free_port()
    env = base_env(HUB_HOME=str(tmp_path / "home"), PATH="/usr/bin:/bin")  # no venv on PATH
    env.pop("PYTHONPATH")
    processes = Processes(tmp_path)
    try:
        demo = processes.start("demo", [str(BIN / "hub"), "demo", "--ui", "--companies", "10",
                                        "--port", str(port)], env)
        wait_for(f"the UI of hub demo --ui on port {port}",
                 lambda: demo.poll() is not None or http_ok(f"http://127.0.0.1:{port}/server_info"),
                 timeout=150, interval=2, diagnostics=processes.tails)
        assert demo.poll() is None, f"hub demo --ui exited {demo.returncode}\n{processes.tails(40)}"
        query = "{ workspaceOrError { ... on Workspace { locationEntries { name locationOrLoadError { __typename } } } } }"
        request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query}).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            entries = json.loads(response.read())["data"]["workspaceOrError"]["locationEntries"]
        assert [(e["name"], e["locationOrLoadError"]["__typename"]) for e in entries] == \
            [("customer_hub", "RepositoryLocation")], entries
        assert "nightly_sync finished" in processes.log("demo")
    finally:
        processes.stop_all()
