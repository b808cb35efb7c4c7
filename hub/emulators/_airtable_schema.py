"""Infer an Airtable base schema (`GET /v0/meta/bases/{baseId}/tables`) from the records it
holds: the emulator is given data, not a schema, so field types are read off the cell values."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^https?://\S+$")
_MAX_SELECT_CHOICES = 12  # few distinct repeated strings read as a single select


def _cell_type(value: Any) -> str:
    if isinstance(value, bool):
        return "checkbox"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dict):
        return "singleCollaborator" if "email" in value else "singleLineText"
    if isinstance(value, list):
        if all(isinstance(v, str) and v.startswith("rec") for v in value):
            return "multipleRecordLinks"
        if all(isinstance(v, str) for v in value):
            return "multipleSelects"
        if all(isinstance(v, dict) and "url" in v for v in value):
            return "multipleAttachments"
        if all(isinstance(v, dict) and "email" in v for v in value):
            return "multipleCollaborators"
        return "multilineText"
    text = str(value)
    if _DATE.match(text):
        return "date"
    if _DATETIME.match(text):
        return "dateTime"
    if _EMAIL.match(text):
        return "email"
    if _URL.match(text):
        return "url"
    return "multilineText" if "\n" in text else "singleLineText"


def _field_schema(field_id: str, name: str, values: list[Any]) -> dict:
    kind = Counter(_cell_type(v) for v in values).most_common(1)[0][0] if values else "singleLineText"
    schema: dict[str, Any] = {"id": field_id, "name": name, "type": kind}
    if kind == "singleLineText":
        distinct = Counter(v for v in values if isinstance(v, str))
        if 1 < len(distinct) <= _MAX_SELECT_CHOICES and len(values) >= 2 * len(distinct):
            kind = schema["type"] = "singleSelect"
    if kind in ("singleSelect", "multipleSelects"):
        names = sorted({n for v in values for n in (v if isinstance(v, list) else [v])
                        if isinstance(n, str)})
        schema["options"] = {"choices": [
            {"id": field_id.replace("fld", "sel", 1) + str(i), "name": n} for i, n in enumerate(names)]}
    elif kind == "number":
        decimals = any(isinstance(v, float) and not v.is_integer() for v in values)
        schema["options"] = {"precision": 2 if decimals else 0}
    elif kind == "checkbox":
        schema["options"] = {"icon": "check", "color": "greenBright"}
    elif kind == "dateTime":
        schema["options"] = {"timeZone": "utc", "dateFormat": {"name": "iso", "format": "YYYY-MM-DD"},
                             "timeFormat": {"name": "24hour", "format": "HH:mm"}}
    elif kind == "date":
        schema["options"] = {"dateFormat": {"name": "iso", "format": "YYYY-MM-DD"}}
    return schema


def infer_table_schema(
    name: str,
    table_id: str,
    records: list[dict],
    field_id: Callable[[str], str],
    view_id: str,
) -> dict:
    """One entry of the `tables` list: fields in order of first appearance, the first one
    primary (Airtable's primary field is the leftmost column)."""
    values: dict[str, list[Any]] = {}
    for record in records:
        for key, value in record.get("fields", {}).items():
            values.setdefault(key, []).append(value)
    if not values:
        values["Name"] = []
    fields = [_field_schema(field_id(key), key, vals) for key, vals in values.items()]
    return {
        "id": table_id,
        "name": name,
        "primaryFieldId": fields[0]["id"],
        "fields": fields,
        "views": [{"id": view_id, "name": "Grid view", "type": "grid"}],
    }
