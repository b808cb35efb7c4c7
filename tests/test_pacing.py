"""The one pacing and retry machinery every connector declares its API's policy with."""

from __future__ import annotations

import time

import pytest

from hub.emulators._server import SlidingWindowLimiter
from hub.pacing import ApiPolicy, RateLimiter


class Flaky(Exception):
    pass


def test_the_limiter_never_exceeds_a_servers_sliding_window() -> None:
    server = SlidingWindowLimiter(10, 0.3)
    client = RateLimiter(10, 0.3, margin=0.05)
    started = time.monotonic()
    refused = sum(not (client.acquire() or server.acquire("base").allowed) for _ in range(35))
    assert refused == 0
    assert time.monotonic() - started >= 0.9  # 35 calls at 10 per 0.3 s: three full windows


def test_a_hold_pauses_every_sync_sharing_the_allocation() -> None:
    first = RateLimiter.shared(("test", "base-1"), 5, 1.0)
    assert RateLimiter.shared(("test", "base-1"), 5, 1.0) is first
    assert RateLimiter.shared(("test", "base-2"), 5, 1.0) is not first
    first.hold(0.2)
    assert first.acquire() >= 0.15


def test_transient_failures_are_retried_and_counted() -> None:
    calls = []

    def fn() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise Flaky()
        return "ok"

    policy = ApiPolicy(lambda exc: 0.0 if isinstance(exc, Flaky) else None, base_delay=0.001, max_delay=0.01)
    assert policy.call(fn) == "ok"
    assert (policy.stats.requests, policy.stats.retries) == (3, 2)


def test_permanent_failures_and_exhausted_attempts_raise_the_last_error() -> None:
    policy = ApiPolicy(lambda exc: 0.0 if isinstance(exc, Flaky) else None, max_attempts=3,
                       base_delay=0.001, max_delay=0.01)
    with pytest.raises(ValueError):
        policy.call(lambda: (_ for _ in ()).throw(ValueError("bad request")))
    assert policy.stats.requests == 1
    with pytest.raises(Flaky):
        policy.call(lambda: (_ for _ in ()).throw(Flaky()))
    assert (policy.stats.requests, policy.stats.retries) == (4, 2)


def test_a_wait_the_server_announced_is_honoured() -> None:
    attempts = []

    def locked_out() -> str:
        attempts.append(time.monotonic())
        if len(attempts) == 1:
            raise Flaky()
        return "ok"

    policy = ApiPolicy(lambda exc: 0.2 if isinstance(exc, Flaky) else None, base_delay=0.001)
    assert policy.call(locked_out) == "ok"
    assert attempts[1] - attempts[0] >= 0.2
