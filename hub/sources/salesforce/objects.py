"""Salesforce's raw objects: Account, Contact, Opportunity, Case and User (the people ``OwnerId``
names), keyed by Id, incremental on SystemModstamp (a record without it cannot be landed: the
cursor reads it)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hub.raw_objects import RawObject, Record, typed_value
from hub.values import text


def _fields(**columns: str):  # noqa: ANN202
    return lambda record, _config: {column: typed_value(column, record.get(name)) for column, name in columns.items()}


def _user(record: Record, _config: dict[str, Any]) -> dict[str, Any]:
    active = record.get("IsActive")
    return {"name": text(record.get("Name")), "email": text(record.get("Email")),
            "is_active": active if isinstance(active, bool) else None}


def _field_names(r: Record) -> Iterable[str]:
    return (k for k in r if k != "attributes")


def _created(r: Record) -> str | None:
    return r.get("CreatedDate")


def _updated(r: Record) -> str | None:
    return r.get("SystemModstamp")


def _id(r: Record) -> Any:
    return r.get("Id")


_STAMPS: dict[str, Any] = {"created": _created, "updated": _updated, "id_of": _id, "field_names": _field_names,
                           "needs": ("SystemModstamp",)}
OBJECTS = [
    RawObject("salesforce", "Account", "salesforce_accounts", _fields(name="Name", website="Website"), **_STAMPS),
    RawObject("salesforce", "Contact", "salesforce_contacts", _fields(account_id="AccountId", email="Email"),
              **_STAMPS),
    RawObject("salesforce", "Opportunity", "salesforce_opportunities",
              _fields(account_id="AccountId", name="Name", stage_name="StageName", amount="Amount"), **_STAMPS),
    RawObject("salesforce", "Case", "salesforce_cases", _fields(account_id="AccountId", status="Status"), **_STAMPS),
    RawObject("salesforce", "User", "salesforce_users", _user, **_STAMPS),
]
