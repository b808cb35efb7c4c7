"""``hub check``: try everything a run needs, one line per item (ok / what is wrong / how to fix).

Each probe makes one cheap, read-only request with a single attempt (no retries: a check should
answer in seconds); alert channels are only connected to, never sent a message.
"""

from __future__ import annotations

import copy
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from hub.config import Settings
from hub.warehouse import Warehouse


@dataclass(frozen=True)
class Finding:
    item: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'}  {self.item:<22} {self.detail}"


def probe(item: str, attempt: Callable[[], str]) -> Finding:
    """Run one probe: its return value is the ok detail; any exception is the failure, in words."""
    try:
        return Finding(item, True, attempt())
    except Exception as exc:  # noqa: BLE001 - every failure becomes one line, never a traceback
        return Finding(item, False, " ".join(str(exc).split())[:400] or type(exc).__name__)


def check_warehouse(url: str) -> str:
    warehouse = Warehouse(url)
    try:
        with warehouse.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        raise RuntimeError(f"{warehouse.describe()} did not answer ({type(exc.orig or exc).__name__}: "
                           f"{str(exc.orig or exc).strip().splitlines()[0][:160]}): start the database or "
                           "fix HUB_WAREHOUSE_URL") from None
    applied = warehouse.migrate()
    return f"{warehouse.describe()} ({'schema applied: ' + ', '.join(applied) if applied else 'schema up to date'})"


def quick(config: dict[str, Any]) -> dict[str, Any]:
    """The configuration with one attempt and short timeouts per source, for probing."""
    fast = copy.deepcopy(config)
    for source in ("airtable", "hubspot", "salesforce"):
        fast[source].update(max_attempts=1, timeout_seconds=10)
    return fast


def check_airtable(resource: Any, config: dict[str, Any]) -> str:
    connector = resource.connector(quick(config))
    tables = config["airtable"]["tables"]
    for name in tables.values():
        next(iter(connector.pages(name)), None)
    return f"base {resource.base_id}: {len(tables)} tables readable ({', '.join(tables.values())})"


def check_hubspot(resource: Any, config: dict[str, Any]) -> str:
    connector = resource.connector(quick(config))
    return f"{resource.api_url}: {connector.total('companies')} companies"


def check_salesforce(resource: Any, config: dict[str, Any]) -> str:
    connector = resource.connector(quick(config))
    return f"{resource.instance_url}: {connector.count('Account')} accounts"


def check_channel(channel: Any) -> str:
    """Connect to the channel's server without sending (a test message would reach real people)."""
    name = getattr(channel, "name", type(channel).__name__)
    problem = getattr(channel, "problem", None)
    if problem:
        raise RuntimeError(problem)
    url = getattr(channel, "url", None)
    if url:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
        shown = f"{parts.scheme}://{host}:{port}/…"  # the path of a webhook URL is its secret
    else:
        host, port = getattr(channel, "host", None), getattr(channel, "port", None)
        shown = f"{host}:{port}"
    if not host or not port:
        raise RuntimeError(f"{name}: no server to connect to")
    with socket.create_connection((host, int(port)), timeout=5):
        pass
    return f"{shown} accepts connections (no message sent)"


def check_usage_dir(settings: Settings) -> str:
    directory = Path(settings.usage_log_dir)
    if not directory.exists():
        return f"{directory} does not exist yet (created on first use; set HUB_USAGE_LOG_DIR to move it)"
    if not directory.is_dir():
        raise RuntimeError(f"{directory} is not a directory: fix HUB_USAGE_LOG_DIR")
    count = sum(1 for _ in directory.rglob("*"))
    return f"{directory} ({count} entries)"
