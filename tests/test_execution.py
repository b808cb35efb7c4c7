"""HUB_EXECUTOR picks where steps run; unset: multiprocess steps forked from a warm forkserver
(hub demo runs in-process whatever the job's executor)."""

from __future__ import annotations

import dagster as dg
import pytest

from assets.execution import executor_from_environment


def test_unset_is_multiprocess_from_a_forkserver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HUB_EXECUTOR", raising=False)
    executor = executor_from_environment()
    assert executor.name == "multiprocess" and executor is not dg.multiprocess_executor
    # The configured start method is what the job runs with.
    from hub.definitions import build_definitions

    job = build_definitions().resolve_job_def("nightly_sync")
    assert job.executor_def.name == "multiprocess" and job.executor_def is executor


def test_celery_needs_its_broker_and_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_EXECUTOR", "celery")
    monkeypatch.delenv("HUB_CELERY_BROKER_URL", raising=False)
    monkeypatch.delenv("HUB_CELERY_BACKEND_URL", raising=False)
    with pytest.raises(ValueError, match="HUB_CELERY_BROKER_URL and HUB_CELERY_BACKEND_URL"):
        executor_from_environment()


def test_celery_executor_reads_the_broker_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("dagster_celery", reason="the celery extra is not installed")
    monkeypatch.setenv("HUB_EXECUTOR", "celery")
    monkeypatch.setenv("HUB_CELERY_BROKER_URL", "redis://:s3cret@127.0.0.1:6379/0")
    monkeypatch.setenv("HUB_CELERY_BACKEND_URL", "redis://:s3cret@127.0.0.1:6379/0")
    executor = executor_from_environment()
    assert executor is not None and executor.name == "celery"


def test_an_unknown_executor_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_EXECUTOR", "k8s")
    with pytest.raises(ValueError, match="HUB_EXECUTOR='k8s'"):
        executor_from_environment()
