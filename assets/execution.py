"""Where a run's steps execute, chosen by the deployment rather than the code.

Unset ``HUB_EXECUTOR`` keeps Dagster's multiprocess executor (``hub demo`` runs in-process), one
process per step on the daemon's machine, started from a forkserver that has imported Dagster
once: a run launched from the UI no longer pays a cold Python start per step (measured on a
60-company nightly_sync, 55-59 s against 72-98 s with plain spawn, on a loaded 2-core machine). ``HUB_EXECUTOR=celery``
sends every step to Celery workers (dagster-celery, the ``celery`` extra) through the broker in
``HUB_CELERY_BROKER_URL``; results come back through ``HUB_CELERY_BACKEND_URL``. The workers read
the same two variables from ``deploy/celery/worker.yaml``.
"""

from __future__ import annotations

import os

import dagster as dg

EXECUTOR_VARIABLE = "HUB_EXECUTOR"
CELERY_VARIABLES = ("HUB_CELERY_BROKER_URL", "HUB_CELERY_BACKEND_URL")


LOCAL = dg.multiprocess_executor.configured({"start_method": {"forkserver": {}}}, name="multiprocess")


def executor_from_environment() -> dg.ExecutorDefinition:
    """The executor ``HUB_EXECUTOR`` names; unset: multiprocess steps forked from a warm server."""
    choice = (os.environ.get(EXECUTOR_VARIABLE) or "").strip().lower()
    if choice in ("", "default"):
        return LOCAL
    if choice != "celery":
        raise ValueError(f"{EXECUTOR_VARIABLE}={choice!r} is not an executor customer-hub knows: "
                         "unset it for Dagster's default or set it to 'celery'")
    missing = [name for name in CELERY_VARIABLES if not os.environ.get(name)]
    if missing:
        raise ValueError(f"{EXECUTOR_VARIABLE}=celery needs {' and '.join(missing)} "
                         "(e.g. redis://127.0.0.1:6379/0 for both)")
    try:
        from dagster_celery import celery_executor
    except ImportError as exc:
        raise ValueError(f"{EXECUTOR_VARIABLE}=celery needs dagster-celery: "
                         "pip install -e '.[celery]'") from exc
    # EnvVar-style sources: a broker URL can hold a password, so it stays out of run config.
    return celery_executor.configured(
        {"broker": {"env": CELERY_VARIABLES[0]}, "backend": {"env": CELERY_VARIABLES[1]}},
        name="celery")
