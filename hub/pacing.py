"""Pacing and retrying for the source APIs.

Each connector (resources/<source>.py) declares its API's policy once, from these two parts: a
client-side ``RateLimiter`` that keeps requests under the documented limit, and an ``ApiPolicy``
built on the connector's ``_classify`` (which failures are transient, and how long the server
asked to wait), that retries with tenacity (exponential backoff with jitter, at least the
announced wait, e.g. Airtable's 30-second lockout) and counts every attempt, so the asset can
report requests and retries.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import tenacity

T = TypeVar("T")

# A connector's verdict on a failure: None = not transient (raise it), else the seconds the
# server asked us to wait (0 = no instruction: exponential backoff decides).
Classifier = Callable[[BaseException], float | None]


class RateLimiter:
    """At most ``limit`` calls in any ``window_seconds``: a sliding window like the servers'
    own, widened by ``margin`` so a request that reaches the server a little late still fits.

    Use ``shared`` for an API's allocation: the server counts per base or account, not per
    sync, so every connector in the process that draws on it must share one limiter (else one
    asset's burst lands in the window the previous asset filled, and Airtable locks out 30 s)."""

    _shared: dict[tuple, RateLimiter] = {}
    _shared_lock = threading.Lock()

    def __init__(self, limit: int, window_seconds: float, *, margin: float = 0.05) -> None:
        self.limit = max(1, int(limit))
        self.window = float(window_seconds) * (1.0 + margin)
        self._sent: deque[float] = deque()
        self._not_before = 0.0
        self._lock = threading.Lock()

    @classmethod
    def per_second(cls, rate: float | None, *, margin: float = 0.05) -> RateLimiter | None:
        """A limiter for ``rate`` calls a second (None or 0: unlimited)."""
        if not rate:
            return None
        limit = max(1, round(rate))
        return cls(limit, limit / float(rate), margin=margin)

    @classmethod
    def shared(cls, key: tuple, limit: int, window_seconds: float, *, margin: float = 0.05) -> RateLimiter:
        """The process-wide limiter for one allocation (``key``: API, base or account)."""
        full_key = (*key, int(limit), float(window_seconds), float(margin))
        with cls._shared_lock:
            if full_key not in cls._shared:
                cls._shared[full_key] = cls(limit, window_seconds, margin=margin)
            return cls._shared[full_key]

    @classmethod
    def shared_per_second(cls, key: tuple, rate: float | None, *, margin: float = 0.05) -> RateLimiter | None:
        """``shared`` for ``rate`` calls a second (None or 0: unlimited)."""
        if not rate:
            return None
        limit = max(1, round(rate))
        return cls.shared(key, limit, limit / float(rate), margin=margin)

    def acquire(self) -> float:
        """Block until a call may go out; the seconds spent waiting."""
        waited = 0.0
        while True:
            with self._lock:
                now = time.monotonic()
                while self._sent and self._sent[0] <= now - self.window:
                    self._sent.popleft()
                wait = self._not_before - now
                if wait <= 0 and len(self._sent) >= self.limit:
                    wait = self._sent[0] + self.window - now
                if wait <= 0:
                    self._sent.append(now)
                    return waited
            time.sleep(wait)
            waited += wait

    def hold(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (a lockout the server announced); the window restarts."""
        with self._lock:
            self._not_before = max(self._not_before, time.monotonic() + seconds)
            self._sent.clear()


@dataclass
class CallStats:
    """What talking to one API cost during one sync."""

    requests: int = 0
    retries: int = 0
    waited_seconds: float = 0.0  # pacing and backoff sleeps together

    def as_metadata(self) -> dict[str, float | int]:
        return {"requests": self.requests, "retries": self.retries,
                "waited_seconds": round(self.waited_seconds, 2)}


class ApiPolicy:
    """How one API is called: each attempt paced and counted, transient failures retried."""

    def __init__(self, classify: Classifier, *, max_attempts: int = 6, base_delay: float = 0.5,
                 max_delay: float = 30.0, stats: CallStats | None = None,
                 on_retry: Callable[[BaseException], None] | None = None) -> None:
        self.classify = classify
        self.max_attempts = max(1, int(max_attempts))
        self.stats = stats or CallStats()
        self.on_retry = on_retry
        self._backoff = (tenacity.wait_exponential(multiplier=base_delay, max=max_delay)
                         + tenacity.wait_random(0, base_delay))

    def call(self, fn: Callable[[], T], *, limiter: RateLimiter | None = None) -> T:
        """``fn()`` (one HTTP request), retried while ``classify`` calls the failure transient.
        The last failure is re-raised as is once attempts run out."""
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.max_attempts),
            retry=tenacity.retry_if_exception(lambda exc: self.classify(exc) is not None),
            wait=self._wait,
            before_sleep=self._before_sleep,
            reraise=True,
        )
        return retrying(self._attempt, fn, limiter)

    def _attempt(self, fn: Callable[[], T], limiter: RateLimiter | None) -> T:
        if limiter is not None:
            self.stats.waited_seconds += limiter.acquire()
        self.stats.requests += 1
        return fn()

    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        announced = (self.classify(exc) or 0.0) if exc is not None else 0.0
        # A server-announced wait (a lockout) is the least we wait; repeated failures back off further.
        return max(announced, self._backoff(state))

    def _before_sleep(self, state: tenacity.RetryCallState) -> None:
        self.stats.retries += 1
        self.stats.waited_seconds += state.upcoming_sleep
        exc = state.outcome.exception() if state.outcome else None
        if self.on_retry is not None and exc is not None:
            self.on_retry(exc)
