"""SIGKILL the real receiver (`hub serve-events` on uvicorn) mid-stream: every event it answered
2xx for is in raw.events, on SQLite and PostgreSQL; restarted, it still knows them (seen-set)."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import sqlalchemy as sa

from hub.warehouse import Warehouse
from tests.events_support import ENV, application_received, seed_headers

REPO = Path(__file__).resolve().parent.parent
SENDERS = 4
KILL_AFTER = 120  # accepted events


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_receiver(warehouse: Warehouse, home: Path, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "HUB_CONFIG"}
    env.update(ENV, HUB_WAREHOUSE_URL=warehouse.url, HUB_HOME=str(home))
    proc = subprocess.Popen([sys.executable, "-m", "hub.cli", "serve-events", "--port", str(port)], cwd=REPO,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("the receiver did not start in 60 s")


def send(port: int, body: bytes) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/events", body=body, headers=seed_headers(body))
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


def test_sigkill_after_2xx_loses_no_accepted_event(warehouse: Warehouse, tmp_path: Path) -> None:
    port = free_port()
    proc = start_receiver(warehouse, tmp_path / "home", port)
    accepted: list[str] = []
    refused: list[int] = []
    lock = threading.Lock()
    killed = threading.Event()

    def sender(n: int) -> None:
        for i in range(10_000):
            try:
                status, answer = send(port, application_received(f"BETA-{n}-{i}"))
            except OSError:  # the receiver is gone: an unanswered event was never promised
                if killed.is_set():
                    return
                continue
            with lock:
                (accepted.extend(answer["accepted"]) if status == 202 else refused.append(status))
                if len(accepted) >= KILL_AFTER and not killed.is_set():
                    os.kill(proc.pid, signal.SIGKILL)  # right after a 2xx, others in flight
                    killed.set()

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(SENDERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL and refused == []
    assert len(accepted) >= KILL_AFTER

    table = warehouse.table("raw", "events")
    with warehouse.engine.connect() as conn:
        stored = set(conn.execute(sa.select(table.c.event_id)).scalars())
    assert set(accepted) <= stored, f"{len(set(accepted) - stored)} accepted events lost"

    # Restarted on the same warehouse, the seen-set survived: a retry of an accepted event adds nothing.
    proc = start_receiver(warehouse, tmp_path / "home", port)
    try:
        status, answer = send(port, application_received("BETA-0-0"))
        assert (status, answer["status"]) == (200, "duplicate")
    finally:
        proc.kill()
        proc.wait(timeout=10)
