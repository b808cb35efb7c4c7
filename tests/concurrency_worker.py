"""Work that tests/test_concurrency.py runs in processes of their own (multiprocessing, spawn):
each reports ``("ok", value)`` or ``("error", "Type: message")`` on a queue instead of raising."""

from __future__ import annotations

import json
import os
import traceback
from collections.abc import Callable
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from hub.config import load_config
from hub.pipeline.alerting import evaluate_alerts
from hub.warehouse import Warehouse


class FileChannel:
    """A channel that accepts every alert and appends one line per send to a file shared by the
    processes (O_APPEND: lines from several processes never interleave)."""

    def __init__(self, name: str, path: str) -> None:
        self.name, self.path = name, path

    def send(self, alert: dict[str, Any]) -> None:
        line = json.dumps({"channel": self.name, "delivery_id": alert["delivery_id"], "rule": alert["rule"],
                           "entity_id": alert["entity_id"], "window_key": alert["window_key"], "pid": os.getpid()})
        with Path(self.path).open("a", encoding="utf-8") as out:
            out.write(line + "\n")


def _report(results: Queue, work: Callable[[], Any]) -> None:
    try:
        results.put(("ok", work()))
    except Exception as exc:  # noqa: BLE001 - the test asserts on every process's outcome
        results.put(("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))


def migrate(url: str, start: Barrier, results: Queue) -> None:
    """Migrate the warehouse at ``url`` once every process is ready."""
    warehouse = Warehouse(url)
    with warehouse.engine.connect():  # connected before the start: the processes then race on DDL alone
        pass
    start.wait(timeout=120)
    _report(results, warehouse.migrate)


def evaluate(url: str, sent_file: str, start: Barrier, results: Queue) -> None:
    """One alert evaluation (with delivery on two channels) once every process is ready."""
    warehouse = Warehouse(url)
    channels = [FileChannel("webhook", sent_file), FileChannel("email", sent_file)]
    config = load_config()
    start.wait(timeout=120)
    _report(results, lambda: evaluate_alerts(warehouse, config, channels).metadata["firing"])
