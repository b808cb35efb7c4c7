"""Shared plumbing of the API emulators: a threaded HTTP(S) server on loopback, request and
response objects, JSON helpers, bearer-token parsing, a sliding-window rate limiter, a
request log that tests can count and a fault plan tests can script (errors, rate-limit bursts,
connection resets, slow answers, a callback mid-sync).

Each emulator subclasses `EmulatorServer` and implements `handle(request) -> Response`.
"""

from __future__ import annotations

import json
import socket
import ssl
import struct
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, unquote, urlsplit

from hub.emulators._faults import FaultPlan


@dataclass
class Request:
    """One HTTP request as the emulators see it."""

    method: str
    path: str  # percent-encoded, without the query string
    query: dict[str, list[str]]
    headers: Message
    body: bytes = b""

    @property
    def segments(self) -> list[str]:
        """Path segments, percent-decoded one by one so an encoded '/' stays inside its segment."""
        return [unquote(part) for part in self.path.strip("/").split("/") if part]

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def params(self, name: str) -> list[str]:
        return list(self.query.get(name, []))

    def json(self) -> Any:
        """The body parsed as JSON; `ValueError` when it is not JSON."""
        return json.loads(self.body.decode("utf-8") or "null")


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    return Response(status, body, {"Content-Type": "application/json;charset=UTF-8", **(headers or {})})


def text_response(status: int, text: str, content_type: str, headers: dict[str, str] | None = None) -> Response:
    return Response(status, text.encode("utf-8"), {"Content-Type": content_type, **(headers or {})})


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer …` header, or None."""
    value = request.headers.get("Authorization") or ""
    scheme, _, token = value.partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


class RequestLog:
    """Thread-safe record of the (method, path) of every request an emulator received."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[tuple[str, str]] = []

    def append(self, method: str, path: str) -> None:
        with self._lock:
            self._entries.append((method, path))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def snapshot(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._entries)

    def count(self, method: str | None = None, path_contains: str = "") -> int:
        return sum(
            1 for m, p in self.snapshot() if (method is None or m == method) and path_contains in p
        )

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.snapshot())

    def __getitem__(self, index: int) -> tuple[str, str]:
        with self._lock:
            return self._entries[index]


@dataclass
class RateDecision:
    allowed: bool
    remaining: int
    retry_after: float = 0.0


class SlidingWindowLimiter:
    """At most `limit` requests per `window_seconds` for each key; a refused request can lock the
    key out for `lockout_seconds` (Airtable keeps failing for 30 s after an overrun)."""

    def __init__(
        self,
        limit: int,
        window_seconds: float,
        lockout_seconds: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self.lockout_seconds = lockout_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._hits: dict[str, deque[float]] = {}
        self._locked_until: dict[str, float] = {}

    def acquire(self, key: str) -> RateDecision:
        with self._lock:
            now = self._clock()
            locked_until = self._locked_until.get(key, 0.0)
            if locked_until > now:
                return RateDecision(False, 0, locked_until - now)
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window_seconds:
                hits.popleft()
            if len(hits) >= self.limit:
                if self.lockout_seconds > 0:
                    self._locked_until[key] = now + self.lockout_seconds
                    hits.clear()  # a fresh window once the lockout ends
                    return RateDecision(False, 0, self.lockout_seconds)
                return RateDecision(False, 0, hits[0] + self.window_seconds - now)
            hits.append(now)
            return RateDecision(True, self.limit - len(hits))


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], emulator: EmulatorServer) -> None:
        self.emulator = emulator
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients dropping connections or refusing our test CA are not the emulator's problem.
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the clients reuse pooled connections
    timeout = 60
    server: _HTTPServer

    def setup(self) -> None:
        # Headers and body go out as separate writes; without NODELAY, Nagle + delayed ACK
        # add ~40 ms to every keep-alive response.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(self.timeout)
            self.request.do_handshake()  # in the worker thread, so a slow client blocks no one
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.request)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.request)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # quiet: tests and the demo read the request log, not stderr

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _reset(self) -> None:
        """Drop the connection without an answer (RST), as a flaky network or proxy does."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def _dispatch(self) -> None:
        emulator = self.server.emulator
        parts = urlsplit(self.path)
        emulator.requests.append(self.command, parts.path or "/")
        try:
            request = Request(
                method=self.command,
                path=parts.path or "/",
                query=parse_qs(parts.query, keep_blank_values=True),
                headers=self.headers,
                body=self._read_body(),
            )
            response = None
            fault = emulator.faults.take(self.command, request.path)
            if fault is not None and fault.kind == "delay":
                time.sleep(fault.seconds)
            elif fault is not None and fault.kind == "call" and fault.action is not None:
                fault.action()
            elif fault is not None and fault.kind == "reset":
                self._reset()
                return
            elif fault is not None and fault.kind == "status":
                response = emulator.fault_response(fault.status)
            if response is None and emulator.max_url_length and len(self.path) > emulator.max_url_length:
                response = emulator.fault_response(414)
            if response is None:
                response = emulator.handle(request)
        except Exception as exc:  # a handler bug answers 500 and the server keeps serving
            self.close_connection = True  # the body may be half read: start clean
            response = json_response(
                500,
                {
                    "error": "EMULATOR_INTERNAL_ERROR",
                    "message": f"{type(exc).__name__}: {exc}",
                    "trace": traceback.format_exc(limit=5),
                },
            )
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _dispatch


class EmulatorServer:
    """Lifecycle shared by the emulators: `start()` returns once listening, `stop()` closes the
    listener and every open keep-alive connection, and the object is a context manager."""

    scheme = "http"
    max_url_length: int | None = None  # longer request targets answer 414

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.requests = RequestLog()
        self.faults = FaultPlan()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._bound_port: int | None = None

    # -- to override -------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        raise NotImplementedError

    def _ssl_context(self) -> ssl.SSLContext | None:
        return None

    def fault_response(self, status: int) -> Response:
        """The answer to an injected failure with this status, in the API's own error shape."""
        return json_response(status, {"error": "INJECTED_FAULT", "status": status})

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """Base URL once started (kept after stop(), so logs and env() can still name it)."""
        if self._bound_port is None:
            raise RuntimeError(f"{type(self).__name__} is not running: call start() first")
        return f"{self.scheme}://{self.host}:{self._bound_port}"

    def start(self) -> Self:
        if self._httpd is not None:
            return self
        httpd = _HTTPServer((self.host, self.port), self)
        context = self._ssl_context()
        if context is not None:
            httpd.socket = context.wrap_socket(
                httpd.socket, server_side=True, do_handshake_on_connect=False
            )
        self._httpd = httpd
        self._bound_port = httpd.server_address[1]
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}-{httpd.server_address[1]}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        with httpd.connections_lock:
            open_connections = list(httpd.connections)
        for conn in open_connections:  # pooled client connections would otherwise linger
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)

    def reset_requests(self) -> None:
        self.requests.clear()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
