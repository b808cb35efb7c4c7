"""HubSpot's raw objects: CRM v3 companies, contacts, deals and tickets (with their company
association), the deal pipeline's stages and the owners (``GET /crm/v3/owners``, the people
``hubspot_owner_id`` names), keyed by id."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hub.raw_objects import RawObject, Record, typed_value
from hub.values import flag, number, text


def hubspot_company_id(record: Record) -> str | None:
    """The first associated company of a HubSpot contact, deal or ticket."""
    associations = record.get("associations")
    companies = associations.get("companies") if isinstance(associations, dict) else None
    results = companies.get("results") if isinstance(companies, dict) else None
    first = results[0] if isinstance(results, list) and results else None
    return text(first.get("id")) if isinstance(first, dict) else None


def _props(*names: str, rename: dict[str, str] | None = None, company_assoc: bool = False):  # noqa: ANN202
    rename = rename or {}

    def typed(record: Record, _config: dict[str, Any]) -> dict[str, Any]:
        props = record.get("properties")
        props = props if isinstance(props, dict) else {}
        row = {rename.get(n, n): typed_value(n, props.get(n)) for n in names}
        if company_assoc:
            row["company_id"] = hubspot_company_id(record)
        return row
    return typed


def _stage(record: Record, _config: dict[str, Any]) -> dict[str, Any]:
    meta = record.get("metadata") or {}
    order = number(record.get("displayOrder"))
    return {"pipeline_id": text(record.get("pipelineId")), "label": text(record.get("label")),
            "display_order": int(order) if order is not None and abs(order) < 2**31 else None,
            "probability": number(meta.get("probability")),
            "is_closed": str(meta.get("isClosed")).lower() == "true"}


def _owner(record: Record, _config: dict[str, Any]) -> dict[str, Any]:
    return {"email": text(record.get("email")), "first_name": text(record.get("firstName")),
            "last_name": text(record.get("lastName")), "archived": flag(record.get("archived"))}


def _field_names(r: Record) -> Iterable[str]:
    return [*(k for k in r if k != "properties"), *(r.get("properties") or {})]


def _created(r: Record) -> str | None:
    return r.get("createdAt")


def _updated(r: Record) -> str | None:
    return r.get("updatedAt")


_STAMPS: dict[str, Any] = {"created": _created, "updated": _updated, "field_names": _field_names}
OBJECTS = [
    RawObject("hubspot", "companies", "hubspot_companies", _props("name", "domain"), **_STAMPS),
    RawObject("hubspot", "contacts", "hubspot_contacts", _props("email", company_assoc=True), **_STAMPS),
    RawObject("hubspot", "deals", "hubspot_deals", _props("dealname", "dealstage", "amount", company_assoc=True),
              **_STAMPS),
    RawObject("hubspot", "tickets", "hubspot_tickets",
              _props("subject", "hs_pipeline_stage", rename={"hs_pipeline_stage": "stage"}, company_assoc=True),
              **_STAMPS),
    RawObject("hubspot", "deal_stages", "hubspot_deal_stages", _stage, **_STAMPS),
    RawObject("hubspot", "owners", "hubspot_owners", _owner, **_STAMPS),
]
