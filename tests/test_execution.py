"""HUB_EXECUTOR picks where steps run; unset keeps Dagster's default (in-process for hub demo)."""

from __future__ import annotations

import pytest

from assets.execution import executor_from_environment


def test_unset_keeps_dagsters_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HUB_EXECUTOR", raising=False)
    assert executor_from_environment() is None


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
