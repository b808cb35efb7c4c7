"""Alert rules: declarative conditions over facts, evaluated without ``eval``.

A rule (``HUB_CONFIG`` ``alerts.rules``) names an entity (``customer``, ``application``,
``kpi``), one or more conditions (``metric``, ``op``, ``value``; all must hold), an optional
``where`` (column -> allowed values), a severity, a dedupe ``window`` (``none``, ``day``, ``week``),
a cooldown and a message template (``${column}`` placeholders; ``message_if_missing`` gives the
message to use when a fact is missing, and any other missing fact is named, never "n/a").

One alert per cause: a rule may ``supersede`` other rules of its entity (``churn_risk_band``
over ``health_below_60``), and a rule may have a ``max_age_days`` (measured from ``age_from``,
by default an application's ``applied_on``): older entities are not news. ``evaluate`` returns
the (rule, entity) rows whose conditions hold now and, for the ones held back, why;
``hub.alert_lifecycle`` turns those rows into alerts, and ``hub.outbox`` into deliveries.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from string import Template
from typing import Any

import pandas as pd

from hub.owners import route  # noqa: F401  routing by people lives with the owners (hub.owners)
from hub.timeparse import timestamps

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
# The date an entity's age is measured from when a rule with max_age_days names none.
AGE_FROM = {"application": "applied_on"}
Key = tuple[str, str, str, str]  # rule, entity_type, entity_id, window_key
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
    supersedes: tuple[str, ...] = ()
    max_age_days: float | None = None
    age_from: str | None = None
    message_if_missing: Mapping[str, str] = field(default_factory=dict)

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
        window = raw.get("window") or "none"
        if window not in WINDOWS:
            raise RuleError(f"{where}: window {window!r} unknown; use one of {list(WINDOWS)}")
        max_age = raw.get("max_age_days")
        age_from = raw.get("age_from") or (AGE_FROM.get(raw["entity"]) if max_age is not None else None)
        if max_age is not None and not age_from:
            raise RuleError(f"{where}: max_age_days needs age_from (the date column the age counts from) "
                            f"for entity {raw['entity']!r}")
        cooldown = raw.get("cooldown_hours")
        return cls(name=name, entity=raw["entity"], conditions=tuple(conditions), where=dict(raw.get("where") or {}),
                   severity=severity, window=window,
                   cooldown_hours=float(default_cooldown_hours if cooldown is None else cooldown),
                   description=str(raw.get("description") or name), message=raw.get("message"),
                   supersedes=tuple(str(r) for r in raw.get("supersedes") or ()),
                   max_age_days=None if max_age is None else float(max_age), age_from=age_from,
                   message_if_missing=dict(raw.get("message_if_missing") or {}))


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
    superseded_closure(rules, known={str(name) for name, _ in items})
    return rules


def superseded_closure(rules: Sequence[Rule], known: set[str] | None = None) -> dict[str, set[str]]:
    """Rule -> every enabled rule it supersedes, directly or through another (A over B over C:
    A over C). Checked: the named rules exist (a disabled one is skipped), share the entity, and
    no rule ends up superseding itself."""
    by_name = {r.name: r for r in rules}
    direct: dict[str, set[str]] = {}
    for rule in rules:
        for other in rule.supersedes:
            if other not in by_name:
                if known is not None and other not in known:
                    raise RuleError(f"alert rule {rule.name!r} supersedes {other!r}, which is not a rule")
                continue
            if by_name[other].entity != rule.entity:
                raise RuleError(f"alert rule {rule.name!r} ({rule.entity}) cannot supersede {other!r} "
                                f"({by_name[other].entity}): supersession is per entity")
            direct.setdefault(rule.name, set()).add(other)
    closure: dict[str, set[str]] = {}
    for name in direct:
        seen: set[str] = set()
        todo = list(direct[name])
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo += direct.get(current, ())
        if name in seen:
            raise RuleError(f"alert rule {name!r} supersedes itself through {sorted(seen - {name})}")
        closure[name] = seen
    return closure


def window_key(window: str, now: pd.Timestamp) -> str:
    """'' for no window, the day 'YYYY-MM-DD' or the ISO week 'YYYY-Www' of ``now``."""
    if window == "day":
        return now.strftime("%Y-%m-%d")
    if window == "week":
        year, week, _ = now.isocalendar()
        return f"{year}-W{week:02d}"
    return ""


@dataclass
class Evaluation:
    """What one evaluation found: the rows to alert on, and the (rule, entity, window) keys whose
    conditions hold but were held back, with why (superseded, too old) — the lifecycle resolves
    an open alert of such a key with that reason instead of "condition cleared"."""

    firing: pd.DataFrame
    withheld: dict[Key, str] = field(default_factory=dict)


def evaluate(rules: Sequence[Rule | Mapping[str, Any]], facts: Mapping[str, pd.DataFrame],
             now: pd.Timestamp | None = None) -> Evaluation:
    """The (rule, entity) pairs whose conditions hold now, with their message and figures; an
    entity older than the rule's ``max_age_days`` and a rule superseded for the same entity by
    another that fires are held back.

    ``facts[entity]`` holds one row per entity with ``entity_id``, ``customer_id``, ``owner``,
    ``name`` and the metrics rules refer to.
    """
    now = now if now is not None else pd.Timestamp.now(tz="UTC")
    parsed = [rule if isinstance(rule, Rule) else Rule.from_config(rule) for rule in rules]
    firing: list[dict[str, Any]] = []
    withheld: dict[Key, str] = {}
    for rule in parsed:
        frame = facts.get(rule.entity)
        if frame is None:
            raise RuleError(f"alert rule {rule.name!r}: no facts for entity {rule.entity!r}")
        hit = _matches(rule, frame)
        key = window_key(rule.window, now)
        if rule.max_age_days is not None and hit.any():
            young = _young(rule, frame, now)
            reason = f"older than {rule.max_age_days:g} days (max_age_days): not news"
            withheld.update({(rule.name, rule.entity, str(e), key): reason for e in frame.loc[hit & ~young, "entity_id"]})
            hit &= young
        if hit.any():
            firing += _rows(rule, frame[hit], key)
    frame = pd.DataFrame(firing, columns=FIRING_COLUMNS)
    frame, superseded = _supersede(frame, superseded_closure(parsed))
    return Evaluation(frame, {**withheld, **superseded})


def evaluate_rules(rules: Sequence[Rule | Mapping[str, Any]], facts: Mapping[str, pd.DataFrame],
                   now: pd.Timestamp | None = None) -> pd.DataFrame:
    """``evaluate``'s firing rows alone."""
    return evaluate(rules, facts, now).firing


def _rows(rule: Rule, hits: pd.DataFrame, key: str) -> list[dict[str, Any]]:
    """One firing row per entity in ``hits``, its message rendered."""
    template = Template(rule.message or DEFAULT_MESSAGES[rule.entity])
    fallbacks = {column: Template(text) for column, text in rule.message_if_missing.items()}
    first = rule.conditions[0]
    metrics = [c.metric for c in rule.conditions]
    named = [*template.get_identifiers(), *fallbacks, *(i for t in fallbacks.values() for i in t.get_identifiers())]
    # Only the columns the message and details use: formatting every fact of 50k rows costs seconds.
    used = [c for c in dict.fromkeys(["entity_id", "customer_id", "owner", "name", *metrics, *named])
            if c in hits.columns]
    out = []
    for row in hits[used].to_dict("records"):
        shown = {k: _fmt(row[k]) for k in used}
        chosen = next((t for column, t in fallbacks.items() if shown.get(column) is None), template)
        values = {**{k: v if v is not None else _missing(k) for k, v in shown.items()}, "metric": first.metric,
                  "value": shown.get(first.metric), "threshold": _fmt(first.value), "description": rule.description}
        text = chosen.safe_substitute({k: v for k, v in values.items() if v is not None})
        details = {c.metric: _plain(row.get(c.metric)) for c in rule.conditions}
        out.append({
            "rule": rule.name, "severity": rule.severity, "entity_type": rule.entity,
            "entity_id": str(row["entity_id"]), "window_key": key, "customer_id": _plain(row.get("customer_id")),
            "owner": _plain(row.get("owner")), "message": " ".join(text.split()),
            "details": json.dumps({"rule": rule.description, "name": shown.get("name"), "values": details,
                                   "thresholds": {c.metric: f"{c.op} {c.value}" for c in rule.conditions}},
                                  default=str),
            "cooldown_hours": rule.cooldown_hours, "windowed": rule.window != "none",
        })
    return out


def _missing(column: str) -> str:
    """What a message says for a fact that is missing: which one, never "n/a"."""
    return f"{column.replace('_', ' ')} unknown"


def _young(rule: Rule, frame: pd.DataFrame, now: pd.Timestamp) -> pd.Series:
    """Entities at most ``max_age_days`` old; one whose date is missing or unreadable has no age
    to vouch for its being news, so it counts as too old."""
    column = str(rule.age_from)
    if column not in frame.columns:
        raise RuleError(f"alert rule {rule.name!r}: age_from {column!r} is not known for {rule.entity}; "
                        f"available: {_available(frame)}")
    when = timestamps(frame[column])
    age = (now.tz_convert("UTC") if now.tzinfo else now.tz_localize("UTC")) - when
    return (age <= pd.Timedelta(days=float(rule.max_age_days or 0))).fillna(False).astype(bool)


def _supersede(firing: pd.DataFrame, closure: Mapping[str, set[str]]) -> tuple[pd.DataFrame, dict[Key, str]]:
    """``firing`` without the rows another firing rule supersedes for the same entity, and the
    keys held back with the rule that took their place."""
    if firing.empty or not closure:
        return firing, {}
    pairs = pd.DataFrame([(over, under) for over, unders in closure.items() for under in unders],
                         columns=["by", "rule"])
    over = firing[["rule", "entity_type", "entity_id"]].rename(columns={"rule": "by"}).merge(pairs, on="by")
    beaten = over.groupby(["rule", "entity_type", "entity_id"])["by"].min()
    index = pd.MultiIndex.from_frame(firing[["rule", "entity_type", "entity_id"]])
    lost = index.isin(beaten.index)
    withheld = {(r["rule"], r["entity_type"], r["entity_id"], r["window_key"]):
                f"superseded by {beaten[(r['rule'], r['entity_type'], r['entity_id'])]}"
                for r in firing[lost].to_dict("records")}
    return firing[~lost].reset_index(drop=True), withheld


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


def _fmt(value: Any) -> str | None:
    """The value as a message shows it; None when it is missing (the caller says what is)."""
    value = _plain(value)
    if value is None:
        return None
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
