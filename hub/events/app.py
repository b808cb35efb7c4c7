"""The event receiver: a small Starlette app, served by ``hub serve-events`` on uvicorn.

``POST /events`` (or ``/events/<label>``, the label is for the proxy's logs only): size-checked,
authenticated over the raw body, parsed, committed to ``raw.events``, and only then answered
202. A retry or replay of an event already stored is answered 200 ``duplicate`` and adds
nothing. Every refusal is a 4xx (503 when the warehouse is down, so senders retry) with a JSON
body ``{"error": <code>, "detail": <sentence>}``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from hub.events.auth import Rejected, authenticate
from hub.events.parse import event_rows
from hub.events.store import Stored, durable, store
from hub.warehouse import Warehouse


@dataclass(frozen=True)
class ReceiverSettings:
    max_body_bytes: int = 1_048_576
    max_age_seconds: float = 300.0
    public_url: str | None = None  # what senders call, when a proxy stands in front (HubSpot signs it)

    @classmethod
    def from_config(cls, section: dict[str, Any] | None) -> ReceiverSettings:
        section = section or {}
        return cls(max_body_bytes=int(section.get("max_body_bytes", cls.max_body_bytes)),
                   max_age_seconds=float(section.get("max_age_seconds", cls.max_age_seconds)),
                   public_url=section.get("public_url") or None)


def create_app(warehouse: Warehouse, receiver: ReceiverSettings | None = None,
               environ: Mapping[str, str] | None = None) -> Starlette:
    """The receiver over a migrated warehouse; secrets from ``environ`` (default: os.environ)."""
    rules = receiver or ReceiverSettings()
    warehouse = durable(warehouse)
    # SQLite has one writer: threads queuing on this lock wait in turn, where waiting on SQLite's
    # busy handler sleeps in growing steps (benchmarks/events.py, 8 clients: p99 190 ms without the lock, 30 ms with it).
    write_lock = nullcontext() if warehouse.is_postgres else threading.Lock()

    def commit(kind: str, rows: list[dict[str, Any]]) -> Stored:
        with write_lock:
            return store(warehouse, kind, rows)

    async def receive(request: Request) -> JSONResponse:
        try:
            body = await _bounded_body(request, rules.max_body_bytes)
            sender = authenticate(request.method, _signed_uri(request, rules.public_url), body, request.headers,
                                  max_age_seconds=rules.max_age_seconds, now_ms=int(time.time() * 1000),
                                  environ=environ)
            rows = event_rows(sender, body, event_id_header=request.headers.get("x-hub-event-id"))
            # Blocking driver calls off the event loop; the answer waits for the commit.
            stored = await run_in_threadpool(commit, sender.kind, rows)
        except Rejected as exc:
            return JSONResponse({"error": exc.error, "detail": exc.detail}, status_code=exc.status)
        except SQLAlchemyError as exc:
            return JSONResponse({"error": "unavailable", "detail": "the warehouse did not take the event "
                                 f"({type(exc).__name__}); retry later"}, status_code=503)
        status = 202 if stored.accepted else 200
        return JSONResponse({"status": "accepted" if stored.accepted else "duplicate",
                             "accepted": stored.accepted, "duplicates": stored.duplicates}, status_code=status)

    async def health(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def http_error(_request: Request, exc: HTTPException) -> JSONResponse:
        # 404 and 405 in the same JSON shape as every other refusal
        error = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse({"error": error, "detail": "POST signed events to /events"}, status_code=exc.status_code,
                            headers=exc.headers)

    return Starlette(routes=[Route("/events", receive, methods=["POST"]),
                             Route("/events/{label:str}", receive, methods=["POST"]),
                             Route("/healthz", health, methods=["GET"])],
                     exception_handlers={HTTPException: http_error})


async def _bounded_body(request: Request, limit: int) -> bytes:
    """The raw body, refused (413) past ``limit`` bytes without reading the rest into memory."""
    declared = request.headers.get("content-length")
    if declared is not None and not declared.isdigit():
        raise Rejected(400, "malformed", f"Content-Length {declared!r} is not a number")
    if declared is not None and int(declared) > limit:
        raise Rejected(413, "too_large", f"the body may be at most {limit} bytes (Content-Length {declared})")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:  # chunked uploads declare no length
            raise Rejected(413, "too_large", f"the body may be at most {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _signed_uri(request: Request, public_url: str | None) -> str:
    """The URL the sender signed: behind a proxy the receiver sees another scheme and host."""
    if not public_url:
        return str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return public_url.rstrip("/") + request.url.path + query
