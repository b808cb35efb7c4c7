"""Fault injection for the emulators: tests script what goes wrong and when (see `Fault`)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Fault:
    """One scripted misbehaviour. After letting `after` matching requests through, it acts on
    the next `times` of them: `status` answers that status (the emulator's own body: a 429 is
    that API's rate-limit answer), `reset` drops the connection unanswered, `delay` answers
    `seconds` late, `call` runs `action` first (expire tokens, mutate data) and answers normally."""

    kind: str
    match: str = ""  # substring of the request path
    method: str | None = None
    after: int = 0
    times: int = 1
    status: int = 503
    seconds: float = 0.0
    action: Callable[[], Any] | None = None
    seen: int = 0
    fired: int = 0


class FaultPlan:
    """The faults an emulator injects, in the order added."""

    KINDS = ("status", "reset", "delay", "call")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, kind: str, **options: Any) -> Fault:
        if kind not in self.KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {self.KINDS}")
        fault = Fault(kind, **options)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def fired(self) -> int:
        with self._lock:
            return sum(f.fired for f in self._faults)

    def take(self, method: str, path: str) -> Fault | None:
        """The fault that acts on this request, if any: the first in order whose turn it is
        (every matching fault counts the request as seen, so faults follow one another)."""
        acting = None
        with self._lock:
            for fault in self._faults:
                if fault.match not in path or (fault.method and fault.method != method):
                    continue
                fault.seen += 1
                if acting is None and fault.seen > fault.after and fault.fired < fault.times:
                    fault.fired += 1
                    acting = fault
        return acting
