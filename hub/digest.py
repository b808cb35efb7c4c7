"""Digests: when more than ``alerts.digest_above`` alerts open for a channel in one run, the
channel gets one message summing them up instead of one message each (a channel that posts a
hundred messages on day one gets muted).

A digest groups its alerts by rule and severity, worst severity first, then the largest group;
each group has its count and its top entities — the furthest past the rule's threshold first
(the lowest health score, the highest lead score), by name when the values tie.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from hub.alerts import SEVERITIES

TOP = 3
RANK = {name: rank for rank, name in enumerate(SEVERITIES)}


def digest_id(channel: str, stamp: str, alert_ids: Sequence[str]) -> str:
    """One id per (channel, evaluation, alert set): the receivers' de-duplication key."""
    text = "|".join([channel, stamp, *sorted(alert_ids)])
    return "digest-" + hashlib.sha1(text.encode()).hexdigest()[:16]


def _details(alert: dict[str, Any]) -> dict[str, Any]:
    raw = alert.get("details")
    try:
        parsed = json.loads(raw) if isinstance(raw, str) and raw else {}
    except json.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _label(alert: dict[str, Any]) -> str:
    return str(_details(alert).get("name") or alert.get("customer_id") or alert.get("entity_id"))


def _worst_first(alert: dict[str, Any]) -> tuple[float, str]:
    """Sort key: how far past its threshold the alert's first figure is (larger first)."""
    details = _details(alert)
    thresholds = details.get("thresholds") or {}
    values = details.get("values") or {}
    metric = next(iter(thresholds), None)
    op = str(thresholds.get(metric, "")).split(" ")[0]
    value = values.get(metric)
    if isinstance(value, int | float) and not isinstance(value, bool) and op in ("<", "<=", ">", ">="):
        return (value if op in ("<", "<=") else -value, _label(alert))
    return (0.0, _label(alert))


def build(channel: str, identifier: str, alerts: Sequence[dict[str, Any]], top: int = TOP) -> dict[str, Any]:
    """The digest of ``alerts`` (outbox rows joined with their alert) for ``channel``."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for alert in alerts:
        groups.setdefault((str(alert["rule"]), str(alert.get("severity") or "warning")), []).append(alert)
    ordered = sorted(groups.items(), key=lambda kv: (-RANK.get(kv[0][1], 1), -len(kv[1]), kv[0][0]))
    out = []
    for (rule, severity), members in ordered:
        members = sorted(members, key=_worst_first)
        out.append({"rule": rule, "severity": severity, "count": len(members),
                    "description": _details(members[0]).get("rule") or rule,
                    "top": [_label(a) for a in members[:top]], "more": max(0, len(members) - top)})
    by_severity = {s: sum(g["count"] for g in out if g["severity"] == s) for s in reversed(SEVERITIES)}
    return {"digest_id": identifier, "channel": channel, "total": len(alerts), "groups": out,
            "by_severity": {s: n for s, n in by_severity.items() if n},
            "alerts": list(alerts)}


def title(digest: dict[str, Any]) -> str:
    counts = ", ".join(f"{n} {s}" for s, n in digest["by_severity"].items())
    return f"{digest['total']} new alerts ({counts})"


def group_line(group: dict[str, Any]) -> str:
    """"churn_risk_band (high) × 15: Acme, Beta, Gamma and 12 more"."""
    names = ", ".join(group["top"]) + (f" and {group['more']} more" if group["more"] else "")
    return f"{group['rule']} ({group['severity']}) × {group['count']}: {names}"


def text(digest: dict[str, Any]) -> str:
    """The digest as plain text, one line per group, worst first."""
    return "\n".join([title(digest), *(f"- {group_line(g)}" for g in digest["groups"])])
