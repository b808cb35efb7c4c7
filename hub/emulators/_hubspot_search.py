"""HubSpot CRM search semantics: request validation, filterGroups (OR of ANDs), sorts.

Property values are strings on the wire; comparisons are numeric when both sides read as
numbers or datetimes (epoch ms or ISO 8601 both become epoch ms, as HubSpot accepts both for
date properties), otherwise case-insensitive text.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

OPERATORS = {
    "EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN",
    "HAS_PROPERTY", "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN",
}
MAX_LIMIT = 200
MAX_FILTER_GROUPS = 5
MAX_FILTERS_PER_GROUP = 6
MAX_FILTERS = 18


def as_number(value: Any) -> float | None:
    """Epoch-ms / numeric strings and ISO datetimes or dates as a number, else None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp() * 1000


def validate(body: Any) -> str | None:
    """The VALIDATION_ERROR message for a malformed search body, or None."""
    if not isinstance(body, dict):
        return "Invalid input JSON: expected an object"
    limit = body.get("limit", 10)
    if not isinstance(limit, int) or not 0 < limit <= MAX_LIMIT:
        return f"limit must be between 1 and {MAX_LIMIT}, got {limit}"
    groups = body.get("filterGroups") or []
    if len(groups) > MAX_FILTER_GROUPS:
        return f"Too many filter groups: {len(groups)} (maximum {MAX_FILTER_GROUPS})"
    total = 0
    for group in groups:
        filters = (group.get("filters") or []) if isinstance(group, dict) else None
        if filters is None:
            return "filterGroups must be objects with a filters list"
        if len(filters) > MAX_FILTERS_PER_GROUP:
            return f"Too many filters in a group: {len(filters)} (maximum {MAX_FILTERS_PER_GROUP})"
        total += len(filters)
        for f in filters:
            if not isinstance(f, dict) or not f.get("propertyName"):
                return "Each filter needs a propertyName"
            if f.get("operator") not in OPERATORS:
                return f"Unknown filter operator: {f.get('operator')}"
    if total > MAX_FILTERS:
        return f"Too many filters: {total} (maximum {MAX_FILTERS})"
    try:
        int(body.get("after") or 0)
    except (TypeError, ValueError):
        return f"after must be a number, got {body.get('after')!r}"
    return None


def _order(left: Any, right: Any) -> int | None:
    """-1/0/1 comparing a property value with a filter value, None if incomparable."""
    if left is None or right is None:
        return None
    ln, rn = as_number(left), as_number(right)
    if ln is not None and rn is not None:
        return (ln > rn) - (ln < rn)
    lt, rt = str(left).casefold(), str(right).casefold()
    if lt in ("true", "false") or rt in ("true", "false"):
        return 0 if lt == rt else None
    return (lt > rt) - (lt < rt)


def _contains_token(value: Any, token: Any) -> bool:
    if value is None or token is None:
        return False
    pattern = str(token).casefold()
    words = str(value).casefold().split()
    if "*" in pattern:
        return any(fnmatch.fnmatchcase(w, pattern) for w in words) or fnmatch.fnmatchcase(
            str(value).casefold(), pattern)
    return pattern in words or pattern == str(value).casefold()


def _filter_matches(props: dict[str, Any], f: dict) -> bool:
    op, value = f["operator"], props.get(f["propertyName"])
    present = value not in (None, "")
    if op == "HAS_PROPERTY":
        return present
    if op == "NOT_HAS_PROPERTY":
        return not present
    if op in ("IN", "NOT_IN"):
        hit = present and any(_order(value, v) == 0 for v in f.get("values") or [])
        return hit if op == "IN" else not hit
    if op == "CONTAINS_TOKEN":
        return _contains_token(value, f.get("value"))
    if op == "NOT_CONTAINS_TOKEN":
        return not _contains_token(value, f.get("value"))
    if op == "BETWEEN":
        low, high = _order(value, f.get("value")), _order(value, f.get("highValue"))
        return low is not None and high is not None and low >= 0 and high <= 0
    if not present:
        return op == "NEQ"
    order = _order(value, f.get("value"))
    if order is None:
        return op == "NEQ"
    return {"EQ": order == 0, "NEQ": order != 0, "LT": order < 0, "LTE": order <= 0,
            "GT": order > 0, "GTE": order >= 0}[op]


def matcher(body: dict) -> Callable[[dict[str, Any]], bool]:
    """Predicate over an object's properties: any group matches when all of its filters do."""
    groups = [g.get("filters") or [] for g in body.get("filterGroups") or []]
    query = (body.get("query") or "").casefold()

    def matches(props: dict[str, Any]) -> bool:
        if groups and not any(all(_filter_matches(props, f) for f in g) for g in groups):
            return False
        return not query or any(query in str(v).casefold() for v in props.values() if v)

    return matches


def sort_spec(body: dict) -> list[tuple[str, bool]]:
    """[(property, descending)] from `[{"propertyName", "direction"}]` or `["-prop"]` forms."""
    spec = []
    for sort in body.get("sorts") or []:
        if isinstance(sort, dict):
            spec.append((sort.get("propertyName", ""), sort.get("direction", "ASCENDING") == "DESCENDING"))
        elif isinstance(sort, str):
            spec.append((sort.lstrip("-"), sort.startswith("-")))
    return spec


def sort_value(value: Any) -> tuple[int, Any]:
    if value in (None, ""):
        return (0, 0)
    number = as_number(value)
    return (1, number) if number is not None else (2, str(value).casefold())
