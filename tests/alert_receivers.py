"""Real receivers for alert delivery tests: an HTTP server capturing what Slack and the webhook
are sent, and an SMTP server (aiosmtpd) capturing mail. Each can be switched "down"."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes


class HttpCapture:
    """POSTs are recorded per path and answered 200; a path in ``down`` answers 503 (not recorded);
    with ``echo_errors`` every POST answers 404 with the request path in an HTML body, as Express's
    default handler does (``Cannot POST /services/…``)."""

    def __init__(self, *, echo_errors: bool = False) -> None:
        self.received: list[Request] = []
        self.refused: list[str] = []
        self.down: set[str] = set()
        capture = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if echo_errors:
                    capture.refused.append(self.path)
                    page = f"<!DOCTYPE html><html><body><pre>Cannot POST {self.path}</pre></body></html>"
                    self.send_response(404)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.end_headers()
                    self.wfile.write(page.encode())
                    return
                if self.path in capture.down:
                    capture.refused.append(self.path)
                    self.send_response(503)
                    self.end_headers()
                    self.wfile.write(b"receiver down")
                    return
                capture.received.append(Request(self.path, dict(self.headers.items()), body))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def on(self, path: str) -> list[Request]:
        return [r for r in self.received if r.path == path]

    def __enter__(self) -> HttpCapture:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    message: Any


@dataclass
class _Handler:
    mails: list[Mail] = field(default_factory=list)
    down: bool = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        if self.down:
            return "451 4.3.0 mailbox temporarily unavailable"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MailCapture:
    """A real SMTP server on loopback; ``down = True`` makes it answer 451 to every message."""

    def __init__(self) -> None:
        self.handler = _Handler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def mails(self) -> list[Mail]:
        return self.handler.mails

    @property
    def down(self) -> bool:
        return self.handler.down

    @down.setter
    def down(self, value: bool) -> None:
        self.handler.down = value

    def __enter__(self) -> MailCapture:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
