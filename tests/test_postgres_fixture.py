"""The PostgreSQL fixture: a server that answers without the test database gets it created (the
tests run, they do not skip as "unreachable"); only a server that does not answer skips, by name."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import POSTGRES_URL

REPO = Path(__file__).resolve().parent.parent
TEST = "tests/test_warehouse.py::test_upsert_updates_in_place"


def _pytest(url: str, *, required: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "HUB_REQUIRE_POSTGRES"}
    env["HUB_TEST_POSTGRES_URL"] = url
    if required:
        env["HUB_REQUIRE_POSTGRES"] = "1"
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", TEST],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.postgres
def test_a_missing_test_database_is_created_not_skipped() -> None:
    server = sa.make_url(POSTGRES_URL)
    name = f"hub_fixture_{uuid.uuid4().hex[:8]}"
    done = _pytest(server.set(database=name).render_as_string(hide_password=False), required=False)
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        assert "2 passed" in done.stdout, done.stdout + done.stderr
        with admin.connect() as conn:
            assert conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_a_server_that_does_not_answer_skips_naming_it_or_fails_when_required() -> None:
    url = "postgresql://postgres@127.0.0.1:1/hub_test"
    skipped = _pytest(url, required=False)
    assert "1 passed, 1 skipped" in skipped.stdout and "127.0.0.1:1 does not answer" in skipped.stdout
    failed = _pytest(url, required=True)
    assert failed.returncode == 1 and "127.0.0.1:1 does not answer" in failed.stdout
