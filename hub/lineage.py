"""Which step touches which warehouse table, as it runs.

``Warehouse.table`` reports every table it hands out to :func:`touched`; while :func:`tracing` is
on, each report is recorded under the step that runs (``hub.pipeline.steps.step`` sets it). The
declared-reads test runs the whole pipeline under ``tracing`` and compares what each step
touched with what it declares, so the asset graph cannot drift from the code.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_step: ContextVar[str | None] = ContextVar("hub_step", default=None)
_log: list[dict[str, set[str]]] = []  # the tracing log, when on (a global: steps may run in other threads)


def touched(layer: str, name: str) -> None:
    """Record that the running step used ``layer.name`` (a no-op unless tracing)."""
    step = _step.get()
    if _log and step is not None:
        _log[-1][step].add(f"{layer}.{name}")


@contextmanager
def running(step: str) -> Iterator[None]:
    token = _step.set(step)
    try:
        yield
    finally:
        _step.reset(token)


@contextmanager
def tracing() -> Iterator[dict[str, set[str]]]:
    """Record, per step, the tables it touches in this context ."""
    log: dict[str, set[str]] = defaultdict(set)
    _log.append(log)
    try:
        yield log
    finally:
        _log.remove(log)
