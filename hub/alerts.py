"""Alert rules, lifecycle and delivery.

Rules are declarative (``HUB_CONFIG`` ``alerts.rules``): an entity (customer, application, kpi),
a metric, a comparison, a threshold, and optionally ``where`` (column -> allowed values) to scope
the rule. Nothing is evaluated as code. An alert is identified by
(rule, entity): while its condition holds it stays one open alert whose ``last_fired_at``
moves; when the condition clears it resolves; if it fires again later, that is a new alert.
Delivery works as an outbox: an alert stays ``pending`` until every channel has accepted it,
and a failed attempt is recorded and retried on the next evaluation.
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Callable, Sequence
from string import Template
from typing import Any, Protocol

import pandas as pd

OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "==": operator.eq, "!=": operator.ne,
}
ALERT_COLUMNS = ["alert_id", "rule", "severity", "entity_type", "entity_id", "customer_id", "owner",
                 "message", "status", "first_fired_at", "last_fired_at", "resolved_at",
                 "delivery_status", "delivery_attempts", "delivered_at", "last_delivery_error"]
DEFAULT_MESSAGES = {
    "customer": "${name}: ${metric} is ${value} (rule: ${description})",
    "application": "${name} (${entity_id}): ${metric} is ${value} (rule: ${description})",
    "kpi": "Portfolio KPI ${entity_id} is ${value} (rule: ${description})",
}


class RuleError(ValueError):
    """An alert rule in HUB_CONFIG cannot be evaluated."""


def evaluate_rules(rules: Sequence[dict[str, Any]], facts: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The alerts whose condition holds now: one row per (rule, entity).

    ``facts[entity]`` holds one row per entity with ``entity_id``, ``customer_id``, ``owner``,
    ``name`` and the metrics rules refer to.
    """
    firing = []
    for rule in rules:
        name = rule.get("name")
        entity = rule.get("entity")
        if entity not in facts:
            raise RuleError(f"alert rule {name!r}: entity {entity!r} unknown; use one of {sorted(facts)}")
        if rule.get("op") not in OPERATORS:
            raise RuleError(f"alert rule {name!r}: op {rule.get('op')!r} unknown; use one of {sorted(OPERATORS)}")
        frame = facts[entity]
        metric = rule.get("metric")
        if metric not in frame.columns:
            raise RuleError(f"alert rule {name!r}: metric {metric!r} is not known for {entity}; "
                            f"available: {sorted(c for c in frame.columns if c not in ('entity_id', 'name'))}")
        scope = pd.Series(True, index=frame.index)
        for column, allowed in (rule.get("where") or {}).items():
            if column not in frame.columns:
                raise RuleError(f"alert rule {name!r}: where-column {column!r} is not known for {entity}")
            scope &= frame[column].isin(allowed if isinstance(allowed, list) else [allowed])
        values = frame[metric]
        known = values.notna() & scope
        hit = pd.Series(False, index=frame.index)
        hit[known] = OPERATORS[rule["op"]](values[known], rule["value"]).astype(bool)
        template = Template(rule.get("message") or DEFAULT_MESSAGES[entity])
        for row in frame[hit].to_dict("records"):
            fields = {**row, "metric": metric, "value": _fmt(row[metric]),
                      "threshold": rule["value"], "description": rule.get("description", name)}
            firing.append({
                "rule": name, "severity": rule.get("severity", "warning"), "entity_type": entity,
                "entity_id": str(row["entity_id"]), "customer_id": row.get("customer_id"),
                "owner": row.get("owner"), "message": template.safe_substitute(fields),
            })
    return pd.DataFrame(firing, columns=["rule", "severity", "entity_type", "entity_id", "customer_id",
                                         "owner", "message"])


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def alert_id(rule: str, entity_type: str, entity_id: str, first_fired_at: str) -> str:
    return hashlib.sha1(f"{rule}|{entity_type}|{entity_id}|{first_fired_at}".encode()).hexdigest()[:16]


def advance(existing: pd.DataFrame, firing: pd.DataFrame, now: str, *, deliverable: bool) -> pd.DataFrame:
    """The alert rows to upsert after one evaluation: new alerts, re-fired open ones, resolved ones."""
    open_alerts = existing[existing["status"] == "open"] if len(existing) else pd.DataFrame(columns=ALERT_COLUMNS)
    key = ["rule", "entity_type", "entity_id"]
    merged = firing.merge(open_alerts[key + ["alert_id", "first_fired_at", "delivery_status",
                                           "delivery_attempts", "delivered_at", "last_delivery_error"]],
                          on=key, how="left")
    rows = []
    for row in merged.to_dict("records"):
        is_new = pd.isna(row.get("alert_id"))
        first = now if is_new else row["first_fired_at"]
        rows.append({
            **{c: row.get(c) for c in ("rule", "severity", "entity_type", "entity_id", "customer_id",
                                       "owner", "message")},
            "alert_id": alert_id(row["rule"], row["entity_type"], row["entity_id"], str(first)) if is_new
            else row["alert_id"],
            "status": "open", "first_fired_at": first, "last_fired_at": now, "resolved_at": None,
            "delivery_status": ("pending" if deliverable else "not_configured") if is_new else row["delivery_status"],
            "delivery_attempts": 0 if is_new else row["delivery_attempts"],
            "delivered_at": None if is_new else row["delivered_at"],
            "last_delivery_error": None if is_new else row["last_delivery_error"],
        })
    still = set(map(tuple, firing[key].astype(str).to_numpy())) if len(firing) else set()
    for row in open_alerts.to_dict("records"):
        if (row["rule"], row["entity_type"], str(row["entity_id"])) not in still:
            rows.append({**{c: row.get(c) for c in ALERT_COLUMNS}, "status": "resolved", "resolved_at": now})
    return pd.DataFrame(rows, columns=ALERT_COLUMNS)


class Channel(Protocol):
    name: str

    def send(self, alert: dict[str, Any]) -> None:
        """Deliver one alert; raise on failure."""


def deliver(pending: pd.DataFrame, channels: Sequence[Channel], now: str) -> pd.DataFrame:
    """Try every pending alert on every channel; return the rows with their new delivery state."""
    rows = []
    for alert in pending.to_dict("records"):
        errors = []
        for channel in channels:
            try:
                channel.send(alert)
            except Exception as exc:  # noqa: BLE001 - any channel failure is recorded, not raised
                errors.append(f"{channel.name}: {exc}")
        attempts = int(alert.get("delivery_attempts") or 0) + 1
        if errors:
            rows.append({**alert, "delivery_status": "pending", "delivery_attempts": attempts,
                         "last_delivery_error": "; ".join(errors)[:1000]})
        else:
            rows.append({**alert, "delivery_status": "sent", "delivery_attempts": attempts,
                         "delivered_at": now, "last_delivery_error": None})
    return pd.DataFrame(rows, columns=ALERT_COLUMNS)
