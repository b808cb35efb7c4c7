"""Salesforce sObject metadata read off the records the emulator holds: field types for SOQL
type checks and the `describe` payloads."""

from __future__ import annotations

import re
from typing import Any

from hub.emulators._soql import parse_datetime

ALWAYS_FIELDS = ("Id", "IsDeleted", "CreatedDate", "LastModifiedDate", "SystemModstamp")
KEY_PREFIXES = {"Account": "001", "Contact": "003", "Opportunity": "006", "Case": "500",
                "Lead": "00Q", "User": "005", "Task": "00T"}
_ID = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^(https?://|www\.)\S+$")


def _value_type(name: str, value: Any) -> str | None:
    if value is None:
        return None
    if name == "Id":
        return "id"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "double"
    if not isinstance(value, str):
        return "anyType"
    if name.endswith("Id") and _ID.match(value):
        return "reference"
    if _DATE.match(value):
        return "date"
    if "T" in value and parse_datetime(value) is not None:
        return "datetime"
    if _EMAIL.match(value):
        return "email"
    if _URL.match(value):
        return "url"
    return "string"


def infer_field_types(records: list[dict]) -> dict[str, str]:
    """Field -> Salesforce field type, in first-seen order; the system fields always exist."""
    types: dict[str, str] = {}
    seen: dict[str, set[str]] = {}
    for name in ALWAYS_FIELDS:
        seen[name] = set()
    for record in records:
        for name, value in record.items():
            if name == "attributes":
                continue
            kinds = seen.setdefault(name, set())
            if (kind := _value_type(name, value)) is not None:
                kinds.add(kind)
    for name, kinds in seen.items():
        if name in ("IsDeleted",):
            types[name] = "boolean"
        elif name in ("CreatedDate", "LastModifiedDate", "SystemModstamp"):
            types[name] = "datetime"
        elif name == "Id":
            types[name] = "id"
        elif kinds == {"int", "double"}:
            types[name] = "double"
        elif len(kinds) == 1:
            types[name] = kinds.pop()
        else:
            types[name] = "string"  # mixed or always null: text is the lenient choice
    return types


def _label(name: str) -> str:
    base = name[:-3] if name.endswith("__c") else name
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", base).replace("_", " ")


def describe(sobject: str, types: dict[str, str], version: str, *, read_only: frozenset[str] = frozenset(),
             external_ids: frozenset[str] = frozenset()) -> dict:
    """`GET …/sobjects/{sobject}/describe/`, trimmed to what connectors read: as an integration
    user with edit rights sees it (every field but ``read_only`` createable and updateable)."""
    base = f"/services/data/v{version}/sobjects/{sobject}"
    return {
        "name": sobject, "label": _label(sobject), "labelPlural": _label(sobject) + "s",
        "keyPrefix": KEY_PREFIXES.get(sobject, "a00"), "custom": sobject.endswith("__c"),
        "queryable": True, "retrieveable": True, "replicateable": True, "searchable": True,
        "createable": True, "updateable": True, "deletable": True,
        "urls": {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"},
        "fields": [
            {"name": name, "label": _label(name), "type": kind, "soapType": _soap_type(kind),
             "nillable": name not in ALWAYS_FIELDS, "custom": name.endswith("__c"),
             "length": 255 if kind in ("string", "email", "url") else 18 if kind in ("id", "reference") else 0,
             "updateable": name not in read_only, "createable": name not in read_only,
             "externalId": name in external_ids, "filterable": True, "sortable": True}
            for name, kind in types.items()
        ],
    }


def _soap_type(kind: str) -> str:
    return {"id": "tns:ID", "reference": "tns:ID", "boolean": "xsd:boolean", "int": "xsd:int",
            "double": "xsd:double", "datetime": "xsd:dateTime", "date": "xsd:date"}.get(kind, "xsd:string")


def global_entry(sobject: str, version: str) -> dict:
    """One item of `GET …/sobjects/`."""
    base = f"/services/data/v{version}/sobjects/{sobject}"
    return {"name": sobject, "label": _label(sobject), "keyPrefix": KEY_PREFIXES.get(sobject, "a00"),
            "custom": sobject.endswith("__c"), "queryable": True, "replicateable": True,
            "urls": {"sobject": base, "describe": f"{base}/describe"}}
