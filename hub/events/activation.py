"""seed 000 ``beta.activated`` -> ``beta_activations``: when a beta customer activated and the
days from onboarding to it (time to first value)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from hub.warehouse import Warehouse


def activation_row(event: dict[str, Any]) -> dict[str, Any] | None:
    """The row an activation event records; None without a customer id."""
    data = json.loads(event["payload"]).get("data") or {}
    customer = data.get("customer_id")
    if not customer:
        return None
    activated = _when(data.get("activated_at")) or _when(event["received_at"])
    onboarded = _when(data.get("onboarding_date"))
    days = round((activated - onboarded).total_seconds() / 86400, 2) if activated and onboarded else None
    hint = str(data.get("api_key") or "")  # masked on arrival (hub.events.parse): "…" + last four
    return {"customer_id": str(customer), "onboarding_date": onboarded.isoformat() if onboarded else None,
            "activated_at": activated.isoformat(), "time_to_first_value_days": days,
            "api_key_hint": hint if len(hint) > 1 else None, "event_seq": int(event["seq"])}


def record_activations(warehouse: Warehouse, events: list[dict[str, Any]]) -> int:
    """Upsert one row per customer (a later activation event replaces an earlier one)."""
    rows = [row for row in map(activation_row, sorted(events, key=lambda e: e["seq"])) if row]
    latest = {row["customer_id"]: row for row in rows}
    return warehouse.upsert("analytics", "beta_activations", list(latest.values()), key=["customer_id"])


def _when(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
