"""Two `hub demo` started at once on one fresh HUB_HOME: setup and runs are serialised by the
home's lock, so Dagster's storage is created once, no alert is duplicated and the home keeps
working. Real processes, real SQLite files."""

from __future__ import annotations

import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from deploy_support import BIN, REPO, base_env

pytestmark = pytest.mark.deploy  # three real `hub demo` processes: a minute or two

DEMO_TIMEOUT_SECONDS = 150
WAITING_SENTENCE = "another hub command is running on HUB_HOME"


def _demo(home: Path) -> subprocess.Popen[str]:
    # The venv is not activated: .venv/bin/hub must find everything on its own.
    env = base_env(HUB_HOME=str(home), PATH="/usr/bin:/bin")
    env.pop("PYTHONPATH")
    return subprocess.Popen([str(BIN / "hub"), "demo", "--companies", "10", "--seed", "5"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def _finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=DEMO_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"hub demo did not finish in {DEMO_TIMEOUT_SECONDS} s\n{out[-2000:]}\n{err[-2000:]}") from None
    return proc.returncode, out, err


def _rows(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def test_two_demos_at_once_on_a_fresh_home_are_serialised(tmp_path: Path) -> None:
    home = tmp_path / "home"
    started = time.monotonic()
    first, second = _demo(home), _demo(home)
    try:
        results = [_finish(first), _finish(second)]
    finally:
        for proc in (first, second):
            if proc.poll() is None:
                proc.kill()
    for code, out, err in results:
        assert code == 0, f"hub demo exited {code}\n{out[-3000:]}\n{err[-3000:]}"
        assert "nightly_sync finished" in out
    # One of them found the home busy and said so in one sentence, then ran after the other.
    assert sum(WAITING_SENTENCE in err for _code, _out, err in results) == 1, [r[2][-500:] for r in results]

    # Dagster's SQLite storage was created once: one alembic head, not two.
    versions = _rows(home / "dagster" / "schedules" / "schedules.db", "SELECT version_num FROM alembic_version")
    assert len(versions) == 1, versions

    warehouse = home / "warehouse.db"
    duplicated_sql = ("SELECT rule, entity_type, entity_id, COUNT(*) FROM alerts WHERE status IN ('open', 'snoozed') "
                      "GROUP BY rule, entity_type, entity_id HAVING COUNT(*) > 1")
    # The runs were serialised, so this holds even before the warehouse enforces it by a unique key.
    assert _rows(warehouse, duplicated_sql) == []
    alerts_after_two = _rows(warehouse, "SELECT COUNT(*) FROM alerts")[0][0]
    assert alerts_after_two > 0

    # A third run on the same home works and changes nothing it should not.
    code, out, err = _finish(_demo(home))
    assert code == 0, f"third hub demo exited {code}\n{out[-3000:]}\n{err[-3000:]}"
    assert _rows(warehouse, duplicated_sql) == []
    assert _rows(warehouse, "SELECT COUNT(*) FROM alerts")[0][0] == alerts_after_two
    print(f"three demos in {time.monotonic() - started:.0f} s")
