"""Draining the alert outbox: claim each pending delivery, send it, record the outcome.

Called at the end of the alert run (in batches until nothing is left) and on every tick of
``alert_delivery_sensor`` (one batch): a tick with nothing pending costs one indexed query. A
channel that fails is not tried again in the same drain (one timeout per channel, not one per
alert); its rows stay pending for the next, with the error. A digest's rows go out as one message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sqlalchemy as sa

from hub import digest as digests
from hub.outbox import Channel, summarise
from hub.scrub import excerpt
from hub.warehouse import Warehouse, utcnow

ALERT_FIELDS = ["alert_id", "rule", "severity", "status", "entity_type", "entity_id", "window_key", "customer_id",
                "owner", "routed_to", "message", "details", "first_fired_at", "last_fired_at", "resolved_at"]


@dataclass
class DeliveryReport:
    """Deliveries (outbox rows) sent and failed; ``digests``: digest messages sent per channel."""

    sent: int = 0
    failed: int = 0
    by_channel: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    digests: dict[str, int] = field(default_factory=dict)
    batches: int = 0

    def as_metadata(self) -> dict[str, Any]:
        return {"delivered": self.sent, "delivery_failed": self.failed, "deliveries_by_channel": self.by_channel,
                "digests_sent": self.digests, "delivery_batches": self.batches, "delivery_errors": self.errors[:5]}


def _claimable(d: sa.Table, now: str, stale: str) -> sa.ColumnElement[bool]:
    return sa.or_(d.c.status == "pending", sa.and_(d.c.status == "sending", d.c.claimed_at < stale))


def deliver_pending(warehouse: Warehouse, channels: Sequence[Channel], *, now: dt.datetime | None = None,
                    batch_size: int = 100, claim_timeout_minutes: float = 10.0,
                    max_batches: int | None = 1) -> DeliveryReport:
    """Send pending deliveries on the configured channels, oldest first, ``batch_size`` rows at a
    time, until none is left (``max_batches=None``: what a run does, so nothing it raised waits
    for a daemon) or after ``max_batches`` batches (a sensor tick). A channel that fails is left
    out of the rest of the drain: its rows stay pending, with the error as the reason."""
    report = DeliveryReport()
    if not channels:
        return report
    moment = now or utcnow()
    stamp, stale = moment.isoformat(), (moment - dt.timedelta(minutes=claim_timeout_minutes)).isoformat()
    d = warehouse.table("analytics", "alert_deliveries")
    by_name = {c.name: c for c in channels}
    down: set[str] = set()
    touched: set[str] = set()
    batches = 0
    while max_batches is None or batches < max_batches:
        batch = _batch(warehouse, [n for n in by_name if n not in down], stamp, stale, batch_size)
        if not batch:
            break
        batches += 1
        claimed = _claim(warehouse, d, [item["delivery_id"] for item in batch], stamp, stale)
        mine = [item for item in batch if item["delivery_id"] in claimed]  # others: another sender has them
        touched.update(item["alert_id"] for item in mine)
        released: list[str] = []
        for name, unit in _units(mine):
            if name in down:
                released += [item["delivery_id"] for item in unit]
                continue
            if not _send(warehouse, d, by_name[name], unit, stamp, report):
                down.add(name)
        _release(warehouse, d, released)
        report.batches = batches
    refresh_delivery_status(warehouse, touched)
    return report


def _batch(warehouse: Warehouse, channels: list[str], stamp: str, stale: str, size: int) -> list[dict[str, Any]]:
    """The next ``size`` claimable rows, plus every other claimable row of a digest among them:
    a digest goes out whole, whatever the batch size."""
    if not channels:
        return []
    d, a = warehouse.table("analytics", "alert_deliveries"), warehouse.table("analytics", "alerts")
    base = (sa.select(d.c.delivery_id, d.c.channel, d.c.notice, d.c.digest_id, *[a.c[f] for f in ALERT_FIELDS])
            .join(a, a.c.alert_id == d.c.alert_id)
            .where(_claimable(d, stamp, stale), d.c.channel.in_(channels),
                   sa.or_(a.c.snoozed_until.is_(None), a.c.snoozed_until <= stamp)))  # snoozed: held back
    with warehouse.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(base.order_by(d.c.created_at, d.c.delivery_id).limit(size))]
        digests = sorted({r["digest_id"] for r in rows if r["digest_id"]})
        if digests:
            rows += [dict(r._mapping) for r in conn.execute(base.where(d.c.digest_id.in_(digests))
                                                            .order_by(d.c.created_at, d.c.delivery_id))]
    return list({r["delivery_id"]: r for r in rows}.values())


def _units(items: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """What goes out as one message: a digest's rows together, every other row alone."""
    units: dict[str, tuple[str, list[dict[str, Any]]]] = {}
    for item in items:
        key = f"{item['channel']}|{item['digest_id']}" if item["digest_id"] else item["delivery_id"]
        units.setdefault(key, (item["channel"], []))[1].append(item)
    return list(units.values())


def _send(warehouse: Warehouse, d: sa.Table, channel: Channel, unit: list[dict[str, Any]], stamp: str,
          report: DeliveryReport) -> bool:
    """Send one message (an alert, or a digest of several) and record each of its rows; False when
    the channel refused it."""
    name = channel.name
    digest_of = getattr(channel, "send_digest", None)
    ids = [item["delivery_id"] for item in unit]
    try:
        if unit[0]["digest_id"] and digest_of is not None:
            digest_of(digests.build(name, str(unit[0]["digest_id"]), unit))
        else:
            for item in unit:  # a lone alert, or a digest for a channel that only sends alerts
                channel.send(item)
                _record(warehouse, d, [item["delivery_id"]], status="sent", now=stamp, error=None)
                ids.remove(item["delivery_id"])
    except Exception as exc:  # noqa: BLE001 - any failure keeps the delivery pending, recorded
        # Scrubbed again here: a channel that is not ours may put anything in its error.
        error = excerpt(f"{type(exc).__name__}: {exc}", limit=300)
        one_by_one = not (unit[0]["digest_id"] and digest_of is not None)
        # A digest was one attempt for all its rows; sent one by one, only the refused row was tried.
        attempted, untried = (ids[:1], ids[1:]) if one_by_one else (ids, [])
        _record(warehouse, d, attempted, status="pending", now=stamp, error=error)
        _release(warehouse, d, untried)
        report.failed += len(attempted)
        report.by_channel.setdefault(name, {"sent": 0, "failed": 0})["failed"] += len(attempted)
        report.errors.append(f"{name}: {error}")
        report.sent += len(unit) - len(ids)
        report.by_channel[name]["sent"] += len(unit) - len(ids)
        return False
    _record(warehouse, d, ids, status="sent", now=stamp, error=None)
    report.sent += len(unit)
    report.by_channel.setdefault(name, {"sent": 0, "failed": 0})["sent"] += len(unit)
    if unit[0]["digest_id"] and digest_of is not None:
        report.digests[name] = report.digests.get(name, 0) + 1
    return True


def _claim(warehouse: Warehouse, d: sa.Table, deliveries: list[str], now: str, stale: str) -> set[str]:
    """Mark the batch as being sent by this drain (one statement, not one per row) and return the
    rows it got: those another sender claimed first keep that sender's ``claimed_at``."""
    if not deliveries:
        return set()
    with warehouse.transaction() as conn:
        conn.execute(sa.update(d).where(d.c.delivery_id.in_(deliveries), _claimable(d, now, stale))
                     .values(status="sending", claimed_at=now))
        return set(conn.execute(sa.select(d.c.delivery_id).where(
            d.c.delivery_id.in_(deliveries), d.c.status == "sending", d.c.claimed_at == now)).scalars())


def _release(warehouse: Warehouse, d: sa.Table, deliveries: list[str]) -> None:
    """Hand back claimed rows not attempted (their channel failed earlier in this drain)."""
    if deliveries:
        with warehouse.transaction() as conn:
            conn.execute(sa.update(d).where(d.c.delivery_id.in_(deliveries)).values(status="pending", claimed_at=None))


def _record(warehouse: Warehouse, d: sa.Table, deliveries: list[str], *, status: str, now: str,
            error: str | None) -> None:
    """The outcome of one attempt on these rows (one message: an alert, or a digest's rows)."""
    if not deliveries:
        return
    values: dict[str, Any] = {"status": status, "attempts": d.c.attempts + 1, "last_attempt_at": now,
                              "last_error": error, "claimed_at": None}
    if status == "sent":
        values["delivered_at"] = now
    with warehouse.transaction() as conn:
        for i in range(0, len(deliveries), 500):  # SQLite caps bound parameters
            conn.execute(sa.update(d).where(d.c.delivery_id.in_(deliveries[i:i + 500])).values(**values))


def refresh_delivery_status(warehouse: Warehouse, alert_ids: Iterable[str]) -> None:
    """Copy the outbox state of these alerts onto their ``alerts`` rows (the summary BI reads)."""
    ids = sorted(set(alert_ids))
    if not ids:
        return
    d, a = warehouse.table("analytics", "alert_deliveries"), warehouse.table("analytics", "alerts")
    frames = [warehouse.read("analytics", "alert_deliveries", where=d.c.alert_id.in_(ids[i:i + 500]))
              for i in range(0, len(ids), 500)]
    summary = summarise(pd.concat(frames, ignore_index=True))
    if summary.empty:
        return
    params = [{"b_id": r["alert_id"], "b_status": r["delivery_status"], "b_attempts": int(r["delivery_attempts"]),
               "b_at": _plain(r["delivered_at"]), "b_error": _plain(r["last_delivery_error"])}
              for r in summary.to_dict("records")]
    statement = (sa.update(a).where(a.c.alert_id == sa.bindparam("b_id"))
                 .values(delivery_status=sa.bindparam("b_status"), delivery_attempts=sa.bindparam("b_attempts"),
                         delivered_at=sa.bindparam("b_at"), last_delivery_error=sa.bindparam("b_error")))
    with warehouse.transaction() as conn:
        conn.execute(statement, params)


def _plain(value: Any) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.isoformat() if hasattr(value, "isoformat") else value


def pending_deliveries(warehouse: Warehouse) -> int:
    """Deliveries still waiting for a channel (for run metadata and the CLI)."""
    d = warehouse.table("analytics", "alert_deliveries")
    with warehouse.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(d)
                                .where(d.c.status.in_(["pending", "sending"]))).scalar_one())
