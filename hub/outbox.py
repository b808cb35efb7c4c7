"""The delivery outbox: one row per (alert notice, channel), pending until that channel accepts it.

A channel that fails keeps its rows pending (with the attempt and the error recorded) without
holding back the channels that worked: each channel is delivered exactly once when it accepts,
however many times another channel fails. The sender claims a row before sending, so a run and
a sensor tick draining at the same time never send it twice; a claim left by a sender that died
expires after ``claim_timeout_minutes`` and the row is tried again (at-least-once delivery, with
``delivery_id`` for receivers that want to de-duplicate).

Digests: when one evaluation queues more than ``alerts.digest_above`` notices for a channel, their
rows share a ``digest_id`` and the channel gets one digest message for all of them
(``hub.digest``); each row is still recorded, so an alert's delivery status reads the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import pandas as pd

from hub.alerts import SEVERITIES
from hub.digest import digest_id

DELIVERY_COLUMNS = ["delivery_id", "alert_id", "channel", "notice", "status", "attempts", "created_at",
                    "claimed_at", "last_attempt_at", "delivered_at", "last_error", "digest_id"]
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}


class Channel(Protocol):
    """Where alerts go. ``send`` raises (``hub.channels.DeliveryError``) when the receiver does not
    accept the alert; returning means it did. A channel may also have ``send_digest(digest)``
    (``hub.digest.build``); one without it is sent a digest's alerts one by one."""

    name: str

    def send(self, alert: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class ChannelRoute:
    """A channel's name and the lowest severity it receives."""

    name: str
    min_severity: str = "info"

    def accepts(self, severity: str) -> bool:
        return SEVERITY_RANK.get(severity, 1) >= SEVERITY_RANK.get(self.min_severity, 0)


def routes_for(channels: Iterable[Channel], settings: Mapping[str, Any]) -> list[ChannelRoute]:
    """The route of each configured channel from ``HUB_CONFIG`` ``alerts.channels``."""
    return [ChannelRoute(c.name, str((settings.get(c.name) or {}).get("min_severity", "info"))) for c in channels]


def delivery_id(alert_id: str, channel: str, notice: str) -> str:
    return f"{alert_id}:{channel}:{notice}"


def plan(alerts: pd.DataFrame, notices: Sequence[tuple[str, str]], routes: Sequence[ChannelRoute],
         now: str, digest_above: int | None = None) -> tuple[pd.DataFrame, dict[str, str]]:
    """Pending delivery rows for each notice on each channel that takes its severity, and the
    delivery status of each announced alert (``pending``, or ``not_configured`` / ``not_routed``
    when no channel takes it). A channel given more than ``digest_above`` notices gets them as
    one digest (its rows share a ``digest_id``)."""
    severity = dict(zip(alerts["alert_id"], alerts["severity"], strict=True)) if len(alerts) else {}
    rows, status = [], {}
    for alert, notice in notices:
        taken = [r.name for r in routes if r.accepts(str(severity.get(alert, "warning")))]
        for channel in taken:
            rows.append({"delivery_id": delivery_id(alert, channel, notice), "alert_id": alert, "channel": channel,
                         "notice": notice, "status": "pending", "attempts": 0, "created_at": now})
        status[alert] = "pending" if taken else ("not_configured" if not routes else "not_routed")
    frame = pd.DataFrame(rows, columns=DELIVERY_COLUMNS)
    frame["digest_id"] = frame["digest_id"].astype(object)  # all-missing reads as float: ids are text
    if digest_above is not None and len(frame):
        for channel, members in frame.groupby("channel"):
            if len(members) > digest_above:
                frame.loc[members.index, "digest_id"] = digest_id(str(channel), now, members["alert_id"].tolist())
    return frame, status


def summarise(deliveries: pd.DataFrame) -> pd.DataFrame:
    """Per alert, the outbox in one line: ``sent`` once every channel accepted every notice,
    ``pending`` while any waits; total attempts; when the last channel accepted; the latest error."""
    if deliveries.empty:
        return pd.DataFrame(columns=["alert_id", "delivery_status", "delivery_attempts", "delivered_at",
                                     "last_delivery_error"])
    d = deliveries.assign(waiting=deliveries["status"] != "sent")
    g = d.groupby("alert_id")
    waiting = g["waiting"].any()
    errors = d[d["waiting"] & d["last_error"].notna()].sort_values("last_attempt_at").groupby("alert_id")["last_error"]
    out = pd.DataFrame({
        "delivery_status": waiting.map({True: "pending", False: "sent"}),
        "delivery_attempts": g["attempts"].sum().astype(int),
        "delivered_at": g["delivered_at"].max().where(~waiting),
        "last_delivery_error": errors.last().reindex(waiting.index),
    })
    return out.reset_index()
