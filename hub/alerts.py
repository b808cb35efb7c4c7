"""Alert rules: declarative conditions over facts, evaluated without ``eval``.

A rule (``HUB_CONFIG`` ``alerts.rules``) names an entity (``customer``, ``application``,
``kpi``), one or more conditions (``metric``, ``op``, ``value``; all must hold), an optional
``where`` (column -> allowed values), a severity, a dedupe ``window`` (``none``, ``day``, ``week``),
a cooldown and a message template (``${column}`` placeholders). ``evaluate_rules`` returns one
row per (rule, entity) whose conditions hold now; ``hub.alert_lifecycle`` turns those rows into
alerts, and ``hub.outbox`` into deliveries.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from string import Template
from typing import Any

import pandas as pd

ENTITIES = ("customer", "application", "kpi")
SEVERITIES = ("info", "warning", "high", "critical")
WINDOWS = ("none", "day", "week")
OPERATORS: dict[str, Callable[[pd.Series, Any], pd.Series]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "==": operator.eq, "!=": operator.ne,
    "in": lambda values, allowed: values.isin(list(allowed)),
    "not in": lambda values, allowed: ~values.isin(list(allowed)),
}
FIRING_COLUMNS = ["rule", "severity", "entity_type", "entity_id", "window_key", "customer_id", "owner", "message",
                  "details", "cooldown_hours", "windowed"]
DEFAULT_MESSAGES = {
    "customer": "${name}: ${metric} is ${value} (${description})",
    "application": "${name} (${entity_id}): ${metric} is ${value} (${description})",
    "kpi": "Portfolio KPI ${entity_id} is ${value} (${description})",
}


class RuleError(ValueError):
    """An alert rule in HUB_CONFIG cannot be evaluated; the message says what to fix."""


@dataclass(frozen=True)
class Condition:
    metric: str
    op: str
    value: Any


@dataclass(frozen=True)
class Rule:
    name: str
    entity: str
    conditions: tuple[Condition, ...]
    where: Mapping[str, Any] = field(default_factory=dict)
    severity: str = "warning"
    window: str = "none"
    cooldown_hours: float = 24.0
    description: str = ""
    message: str | None = None

    @classmethod
    def from_config(cls, raw: Mapping[str, Any], *, name: str | None = None,
                    default_cooldown_hours: float = 24.0) -> Rule:
        """A rule from its YAML mapping, its shape checked (columns are checked on evaluation)."""
        name = str(name or raw.get("name") or "")
        if not name:
            raise RuleError(f"an alert rule has no name: {dict(raw)}")
        where = f"alert rule {name!r}"
        if raw.get("entity") not in ENTITIES:
            raise RuleError(f"{where}: entity {raw.get('entity')!r} unknown; use one of {list(ENTITIES)}")
        items = raw.get("when") or [{"metric": raw.get("metric"), "op": raw.get("op"), "value": raw.get("value")}]
        conditions = []
        for item in items:
            if not item.get("metric"):
                raise RuleError(f"{where}: a condition needs a metric (metric / op / value, or a 'when' list)")
            if item.get("op") not in OPERATORS:
                raise RuleError(f"{where}: op {item.get('op')!r} unknown; use one of {list(OPERATORS)}")
            if item["op"] in ("in", "not in") and not isinstance(item.get("value"), list):
                raise RuleError(f"{where}: op {item['op']!r} needs a list value")
            conditions.append(Condition(str(item["metric"]), str(item["op"]), item.get("value")))
        severity = raw.get("severity", "warning")
        if severity not in SEVERITIES:
            raise RuleError(f"{where}: severity {severity!r} unknown; use one of {list(SEVERITIES)}")
        window = raw.get("window", "none")
        if window not in WINDOWS:
            raise RuleError(f"{where}: window {window!r} unknown; use one of {list(WINDOWS)}")
        return cls(name=name, entity=raw["entity"], conditions=tuple(conditions), where=dict(raw.get("where") or {}),
                   severity=severity, window=window,
                   cooldown_hours=float(raw.get("cooldown_hours", default_cooldown_hours)),
                   description=str(raw.get("description") or name), message=raw.get("message"))


def rules_from_config(alerts: Mapping[str, Any]) -> list[Rule]:
    """The enabled rules of ``HUB_CONFIG`` ``alerts``: a mapping name -> rule, or a list of rules."""
    raw = alerts.get("rules") or {}
    items = raw.items() if isinstance(raw, Mapping) else [(r.get("name"), r) for r in raw]
    cooldown = float(alerts.get("default_cooldown_hours", 24))
    rules = [Rule.from_config(rule, name=name, default_cooldown_hours=cooldown)
             for name, rule in items if rule and rule.get("enabled", True)]
    names = [r.name for r in rules]
    if len(names) != len(set(names)):
        raise RuleError(f"alert rule names must be unique, got {sorted(n for n in names if names.count(n) > 1)}")
    return rules


def window_key(window: str, now: pd.Timestamp) -> str:
    """'' for no window, the day 'YYYY-MM-DD' or the ISO week 'YYYY-Www' of ``now``."""
    if window == "day":
        return now.strftime("%Y-%m-%d")
    if window == "week":
        year, week, _ = now.isocalendar()
        return f"{year}-W{week:02d}"
    return ""


def evaluate_rules(rules: Sequence[Rule | Mapping[str, Any]], facts: Mapping[str, pd.DataFrame],
                   now: pd.Timestamp | None = None) -> pd.DataFrame:
    """The (rule, entity) pairs whose conditions hold now, with their message and figures.

    ``facts[entity]`` holds one row per entity with ``entity_id``, ``customer_id``, ``owner``,
    ``name`` and the metrics rules refer to.
    """
    now = now if now is not None else pd.Timestamp.now(tz="UTC")
    firing: list[dict[str, Any]] = []
    for rule in rules:
        rule = rule if isinstance(rule, Rule) else Rule.from_config(rule)
        frame = facts.get(rule.entity)
        if frame is None:
            raise RuleError(f"alert rule {rule.name!r}: no facts for entity {rule.entity!r}")
        hit = _matches(rule, frame)
        if not hit.any():
            continue
        template = Template(rule.message or DEFAULT_MESSAGES[rule.entity])
        first = rule.conditions[0]
        key = window_key(rule.window, now)
        metrics = [c.metric for c in rule.conditions]
        # Only the columns the message and details use: formatting every fact of 50k rows costs seconds.
        used = [c for c in dict.fromkeys(["entity_id", "customer_id", "owner", *metrics,
                                          *template.get_identifiers()]) if c in frame.columns]
        for row in frame.loc[hit, used].to_dict("records"):
            shown = {k: _fmt(row[k]) for k in used}
            text = template.safe_substitute({**shown, "metric": first.metric, "value": shown.get(first.metric),
                                             "threshold": _fmt(first.value), "description": rule.description})
            details = {c.metric: _plain(row.get(c.metric)) for c in rule.conditions}
            firing.append({
                "rule": rule.name, "severity": rule.severity, "entity_type": rule.entity,
                "entity_id": str(row["entity_id"]), "window_key": key, "customer_id": _plain(row.get("customer_id")),
                "owner": _plain(row.get("owner")), "message": " ".join(text.split()),
                "details": json.dumps({"rule": rule.description, "values": details,
                                       "thresholds": {c.metric: f"{c.op} {c.value}" for c in rule.conditions}},
                                      default=str),
                "cooldown_hours": rule.cooldown_hours, "windowed": rule.window != "none",
            })
    return pd.DataFrame(firing, columns=FIRING_COLUMNS)


def _matches(rule: Rule, frame: pd.DataFrame) -> pd.Series:
    hit = pd.Series(True, index=frame.index)
    for column, allowed in rule.where.items():
        if column not in frame.columns:
            raise RuleError(f"alert rule {rule.name!r}: where-column {column!r} is not known for {rule.entity}; "
                            f"available: {_available(frame)}")
        hit &= frame[column].isin(allowed if isinstance(allowed, list) else [allowed])
    for condition in rule.conditions:
        if condition.metric not in frame.columns:
            raise RuleError(f"alert rule {rule.name!r}: metric {condition.metric!r} is not known for "
                            f"{rule.entity}; available: {_available(frame)}")
        values = frame[condition.metric]
        known = values.notna() & hit
        result = pd.Series(False, index=frame.index)
        if known.any():
            result[known] = OPERATORS[condition.op](values[known], condition.value).astype(bool)
        hit &= result  # a missing value never satisfies a condition: no score is not "below 60"
    return hit


def _available(frame: pd.DataFrame) -> list[str]:
    return sorted(c for c in frame.columns if c not in ("entity_id", "name"))


def _plain(value: Any) -> Any:
    if value is None or (not isinstance(value, list | dict | str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _fmt(value: Any) -> str:
    value = _plain(value)
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def route(owner: Any, owners: Mapping[str, Any]) -> dict[str, Any]:
    """Where an owner's alerts go: ``HUB_CONFIG`` ``alerts.owners`` by owner id or name; an owner
    that is itself an email address is mailed directly."""
    if owner is None or (isinstance(owner, float) and pd.isna(owner)) or owner == "":
        return {}
    entry = dict(owners.get(str(owner)) or {})
    emails = entry.get("email") or ([str(owner)] if "@" in str(owner) else [])
    routed: dict[str, Any] = {"owner": str(owner)}
    if emails:
        routed["email"] = emails if isinstance(emails, list) else [emails]
    if entry.get("slack"):
        routed["slack"] = str(entry["slack"])
    if entry.get("name"):
        routed["name"] = str(entry["name"])
    return routed
