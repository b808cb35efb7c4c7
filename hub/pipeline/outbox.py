"""Draining the alert outbox: claim each pending delivery, send it, record the outcome.

Called at the end of the alert run and on every tick of ``alert_delivery_sensor``: a tick with
nothing pending costs one indexed query. A channel that fails is not tried again in the same
drain (one timeout per channel and tick, not one per alert); its rows stay pending for the next.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sqlalchemy as sa

from hub.outbox import Channel, summarise
from hub.scrub import excerpt
from hub.warehouse import Warehouse, utcnow

ALERT_FIELDS = ["alert_id", "rule", "severity", "status", "entity_type", "entity_id", "window_key", "customer_id",
                "owner", "routed_to", "message", "details", "first_fired_at", "last_fired_at", "resolved_at"]


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    by_channel: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def count(self, channel: str, outcome: str) -> None:
        self.by_channel.setdefault(channel, {"sent": 0, "failed": 0})[outcome] += 1

    def as_metadata(self) -> dict[str, Any]:
        return {"delivered": self.sent, "delivery_failed": self.failed, "deliveries_by_channel": self.by_channel,
                "delivery_errors": self.errors[:5]}


def _claimable(d: sa.Table, now: str, stale: str) -> sa.ColumnElement[bool]:
    return sa.or_(d.c.status == "pending", sa.and_(d.c.status == "sending", d.c.claimed_at < stale))


def deliver_pending(warehouse: Warehouse, channels: Sequence[Channel], *, now: dt.datetime | None = None,
                    batch_size: int = 100, claim_timeout_minutes: float = 10.0) -> DeliveryReport:
    """Send up to ``batch_size`` pending deliveries on the configured channels, oldest first."""
    report = DeliveryReport()
    if not channels:
        return report
    moment = now or utcnow()
    stamp, stale = moment.isoformat(), (moment - dt.timedelta(minutes=claim_timeout_minutes)).isoformat()
    d, a = warehouse.table("analytics", "alert_deliveries"), warehouse.table("analytics", "alerts")
    by_name = {c.name: c for c in channels}
    query = (sa.select(d.c.delivery_id, d.c.channel, d.c.notice, *[a.c[f] for f in ALERT_FIELDS])
             .join(a, a.c.alert_id == d.c.alert_id)
             .where(_claimable(d, stamp, stale), d.c.channel.in_(list(by_name)),
                    sa.or_(a.c.snoozed_until.is_(None), a.c.snoozed_until <= stamp))  # snoozed: held back
             .order_by(d.c.created_at, d.c.delivery_id).limit(batch_size))
    with warehouse.engine.connect() as conn:
        batch = [dict(row._mapping) for row in conn.execute(query)]
    claimed = _claim(warehouse, d, [item["delivery_id"] for item in batch], stamp, stale)
    down: set[str] = set()
    touched: set[str] = set()
    released: list[str] = []
    for item in batch:
        name = item["channel"]
        if item["delivery_id"] not in claimed:
            continue  # another sender (the run or a tick) has it
        touched.add(item["alert_id"])
        if name in down:
            released.append(item["delivery_id"])
            continue
        try:
            by_name[name].send(item)
        except Exception as exc:  # noqa: BLE001 - any failure keeps the delivery pending, recorded
            # Scrubbed again here: a channel that is not ours may put anything in its error.
            error = excerpt(f"{type(exc).__name__}: {exc}", limit=300)
            _record(warehouse, d, item["delivery_id"], status="pending", now=stamp, error=error)
            down.add(name)
            report.failed += 1
            report.count(name, "failed")
            report.errors.append(f"{name}: {error}")
        else:
            _record(warehouse, d, item["delivery_id"], status="sent", now=stamp, error=None)
            report.sent += 1
            report.count(name, "sent")
    _release(warehouse, d, released)
    refresh_delivery_status(warehouse, touched)
    return report


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


def _record(warehouse: Warehouse, d: sa.Table, delivery: str, *, status: str, now: str, error: str | None) -> None:
    values: dict[str, Any] = {"status": status, "attempts": d.c.attempts + 1, "last_attempt_at": now,
                              "last_error": error, "claimed_at": None}
    if status == "sent":
        values["delivered_at"] = now
    with warehouse.transaction() as conn:
        conn.execute(sa.update(d).where(d.c.delivery_id == delivery).values(**values))


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
