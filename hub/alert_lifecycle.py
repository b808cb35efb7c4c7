"""The life of an alert: opened, refreshed, snoozed, resolved, reopened.

- Deduplicated by (rule, entity, window): while a rule holds for an entity there is one alert,
  whose ``last_fired_at`` moves; a windowed rule (day / week) has at most one alert per window.
- Resolved automatically when its condition no longer holds (``resolved_reason``), or when the
  evaluation held it back (superseded by another rule for the entity, older than the rule's
  ``max_age_days``) — the reason says which.
- Cooldown: a resolved alert whose condition comes back within the rule's ``cooldown_hours``
  is reopened, unannounced, instead of raising a new one (a flapping metric pages once); within
  the same window a windowed rule always reopens.
- Snooze: muted until ``snoozed_until``; if the condition still holds then, it is open again and
  a reminder goes out. A snoozed alert whose condition clears resolves like any other.
- Only new alerts and reminders are announced: ``Transition.notices`` lists (alert_id, notice)
  for ``hub.outbox`` to turn into deliveries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from hub.alerts import ENTITIES
from hub.timeparse import timestamps

ALERT_COLUMNS = ["alert_id", "rule", "severity", "entity_type", "entity_id", "window_key", "customer_id", "owner",
                 "routed_to", "message", "details", "status", "first_fired_at", "last_fired_at", "resolved_at",
                 "resolved_reason", "snoozed_until", "snooze_count", "delivery_status", "delivery_attempts",
                 "delivered_at", "last_delivery_error"]
KEY = ["rule", "entity_type", "entity_id", "window_key"]
ACTIVE = ("open", "snoozed")
REFRESHED = ["severity", "customer_id", "owner", "routed_to", "message", "details"]


@dataclass
class Transition:
    alerts: pd.DataFrame  # rows to upsert into ``alerts``
    notices: list[tuple[str, str]] = field(default_factory=list)  # (alert_id, notice) to deliver

    @property
    def opened(self) -> int:
        return sum(1 for _, notice in self.notices if notice == "fired")

    @property
    def resolved(self) -> int:
        return int((self.alerts["status"] == "resolved").sum()) if len(self.alerts) else 0


def alert_id(rule: str, entity_type: str, entity_id: str, window: str, first_fired_at: str) -> str:
    text = f"{rule}|{entity_type}|{entity_id}|{window}|{first_fired_at}"
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def advance(existing: pd.DataFrame, firing: pd.DataFrame, now: str,
            withheld: Mapping[tuple[str, ...], str] | None = None) -> Transition:
    """The alert rows to write after one evaluation, and the notices to deliver.

    ``existing``: the rule alerts that may matter (every open or snoozed one, and those resolved
    recently enough for a cooldown or window to apply); ``firing``: ``hub.alerts.evaluate_rules``;
    ``withheld``: ``hub.alerts.Evaluation.withheld`` (key -> why it was held back).
    """
    withheld = withheld or {}
    now_ts = _when(now)
    existing = existing.reindex(columns=ALERT_COLUMNS) if len(existing) else pd.DataFrame(columns=ALERT_COLUMNS)
    existing = existing[existing["entity_type"].isin(ENTITIES)].copy()
    existing["_first"] = timestamps(existing["first_fired_at"])
    latest = {_key(row): row for row in existing.sort_values("_first").drop(columns="_first").to_dict("records")}
    rows: list[dict] = []
    notices: list[tuple[str, str]] = []
    for fire in firing.to_dict("records"):
        key = _key(fire)
        fresh = {c: fire.get(c) for c in REFRESHED} | {"last_fired_at": now}
        previous = latest.get(key)
        if previous is not None and previous["status"] in ACTIVE:
            row = {**previous, **fresh}
            if previous["status"] == "snoozed" and _ended(previous.get("snoozed_until"), now_ts):
                row.update(status="open", snoozed_until=None)
                notices.append((row["alert_id"], f"reminder-{int(previous.get('snooze_count') or 1)}"))
            rows.append(row)
        elif previous is not None and _reopens(previous, fire, now_ts):
            rows.append({**previous, **fresh, "status": "open", "resolved_at": None, "resolved_reason": None})
        else:
            new_id = alert_id(*key, now)
            rows.append({**dict(zip(KEY, key, strict=True)), **fresh, "alert_id": new_id, "status": "open",
                         "first_fired_at": now, "resolved_at": None, "resolved_reason": None,
                         "snoozed_until": None, "snooze_count": 0, "delivery_status": "pending",
                         "delivery_attempts": 0, "delivered_at": None, "last_delivery_error": None})
            notices.append((new_id, "fired"))
    still = {_key(f) for f in firing.to_dict("records")}
    for key, previous in latest.items():
        if previous["status"] in ACTIVE and key not in still:
            rows.append({**previous, "status": "resolved", "resolved_at": now,
                         "resolved_reason": withheld.get(key, "condition cleared")})
    frame = pd.DataFrame(rows, columns=ALERT_COLUMNS)
    return Transition(frame, notices)


def _key(row: dict) -> tuple[str, ...]:
    return tuple("" if row.get(k) is None or (isinstance(row.get(k), float) and pd.isna(row[k])) else str(row[k])
                 for k in KEY)


def _when(value: object) -> pd.Timestamp:
    """One stored timestamp (ISO text on SQLite, a datetime on PostgreSQL) as UTC; NaT if none.
    ``pd.Timestamp`` directly: ``to_datetime`` per value costs seconds over 50k alerts."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return pd.NaT
    when = pd.Timestamp(value)
    return when.tz_localize("UTC") if when.tzinfo is None else when.tz_convert("UTC")


def _ended(until: object, now: pd.Timestamp) -> bool:
    when = _when(until)
    return pd.isna(when) or when <= now


def _reopens(previous: dict, fire: dict, now: pd.Timestamp) -> bool:
    if fire.get("windowed"):
        return True  # the key holds the window: one alert per window
    resolved = _when(previous.get("resolved_at"))
    if pd.isna(resolved):
        return False
    return now - resolved < pd.Timedelta(hours=float(fire.get("cooldown_hours") or 0))


def lookback_hours(cooldowns: list[float]) -> float:
    """How far back resolved alerts can still matter: the longest cooldown, and a week window."""
    return max([*cooldowns, 8 * 24.0])


def snooze(alert: dict, until: str) -> dict:
    """The alert row muted until ``until`` (its pending deliveries wait too)."""
    if alert["status"] == "resolved":
        raise ValueError(f"alert {alert['alert_id']} is resolved: there is nothing to snooze")
    return {**alert, "status": "snoozed", "snoozed_until": until,
            "snooze_count": int(alert.get("snooze_count") or 0) + 1}
