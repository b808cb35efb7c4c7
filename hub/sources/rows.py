"""What every source's staging mapping shares."""

from __future__ import annotations

from typing import Any

from hub.values import text

Payloads = dict[str, list[dict[str, Any]]]  # "source/object" -> live raw payloads
Rows = list[dict[str, Any]]


def record_id(source: str, source_object: str, source_id: Any) -> str:
    """``source:object:source_id``, the id of a staging record."""
    return f"{source}:{source_object}:{source_id}"


def full_name(*parts: Any) -> str | None:
    return " ".join(t for t in (text(p) for p in parts) if t) or None


def mapping(value: Any) -> dict[str, Any]:
    """A record's nested object (Airtable ``fields``, HubSpot ``properties``): {} when absent or
    not an object — sources omit empty ones."""
    return value if isinstance(value, dict) else {}
