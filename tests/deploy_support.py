"""Real services for the deployment tests: databases of their own on the test PostgreSQL server,
Redis, and child processes (webserver, daemon, Celery workers) that always die with the test."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

import pytest
import sqlalchemy as sa

from hub import instance

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
POSTGRES_URL = os.environ.get("HUB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/hub_test")
REDIS_URL = os.environ.get("HUB_TEST_REDIS_URL", "redis://127.0.0.1:6379")


def _unavailable(reason: str) -> None:
    """Skip, or fail when CI requires the servers (HUB_REQUIRE_POSTGRES=1)."""
    if os.environ.get("HUB_REQUIRE_POSTGRES") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def _server_url() -> sa.URL:
    return sa.make_url(POSTGRES_URL).set(drivername="postgresql+psycopg2")


def recreate_database(name: str) -> sa.URL:
    """Drop and create database ``name`` on the test server; skip when the server does not answer."""
    server = _server_url()
    try:
        engine = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
    except sa.exc.OperationalError as exc:
        _unavailable(f"PostgreSQL server at {server.host}:{server.port} does not answer "
                     f"({type(exc).__name__}); set HUB_TEST_POSTGRES_URL")
    return server.set(database=name)


def redis_or_skip() -> str:
    """The Redis URL when a server answers PING there."""
    url = sa.make_url(REDIS_URL.replace("redis://", "redis+x://", 1))
    host, port = url.host or "127.0.0.1", url.port or 6379
    try:
        with socket.create_connection((host, port), timeout=2) as conn:
            conn.sendall(b"PING\r\n")
            answered = conn.recv(16).startswith(b"+PONG")
    except OSError:
        answered = False
    if not answered:
        _unavailable(f"Redis at {host}:{port} does not answer PING; set HUB_TEST_REDIS_URL")
    return REDIS_URL


def postgres_instance_env(database: sa.URL) -> dict[str, str]:
    """The variables the team instance config (hub.instance.team) reads."""
    return {"DAGSTER_PG_USER": database.username or "postgres", "DAGSTER_PG_PASSWORD": database.password or "",
            "DAGSTER_PG_HOST": database.host or "127.0.0.1", "DAGSTER_PG_DB": database.database or ""}


def write_instance(dagster_home: Path, deployment: str) -> Path:
    """The deployment's dagster.yaml exactly as hub.instance renders it for users."""
    assert instance.write_config(dagster_home, deployment), f"{dagster_home} already had a dagster.yaml"
    return dagster_home / "dagster.yaml"


class Processes:
    """Child processes in their own process groups, logs in files; stop_all kills every group."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.started: list[tuple[str, subprocess.Popen[bytes], IO[bytes]]] = []

    def start(self, name: str, args: list[str], env: Mapping[str, str], cwd: Path = REPO) -> subprocess.Popen[bytes]:
        log = (self.log_dir / f"{name}.log").open("wb")
        proc = subprocess.Popen(args, cwd=cwd, env=dict(env), stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.started.append((name, proc, log))
        return proc

    def log(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def tails(self, lines: int = 30) -> str:
        return "\n".join(f"--- {name} (last {lines} lines)\n" + "\n".join(self.log(name).splitlines()[-lines:])
                         for name, _proc, _log in self.started)

    def stop_all(self) -> None:
        for _name, proc, _log in self.started:
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for _name, proc, log in self.started:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            _signal_group(proc, signal.SIGKILL)  # the group: code servers and run workers too
            proc.wait(timeout=10)
            log.close()


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def wait_for(what: str, probe: Callable[[], Any], timeout: float, interval: float = 1.0,
             diagnostics: Callable[[], str] = lambda: "") -> Any:
    """Poll ``probe`` until it returns something truthy; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{diagnostics()}")
        time.sleep(interval)


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def base_env(**extra: str) -> dict[str, str]:
    """A child environment with this venv's bin/ first (dagster-celery starts a bare `celery`)
    and the repository importable (assets/, resources/ … are not installed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "HUB_", "AIRTABLE_",
                                                                     "HUBSPOT_", "SALESFORCE_"))}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env
