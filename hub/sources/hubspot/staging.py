"""HubSpot's payloads as staging rows: companies, contacts (people), deals (stage ids resolved
through the pipeline's stages), tickets (activities) and owners."""

from __future__ import annotations

from typing import Any

from hub.sources.hubspot.objects import hubspot_company_id
from hub.sources.rows import Payloads, Rows, full_name, mapping, record_id
from hub.values import flag, lower, number, text

# HubSpot's default ticket pipeline: stage "4" is Closed.
CLOSED_TICKET_STAGES = {"4", "closed"}


def _company_record(record: dict[str, Any]) -> str | None:
    company = hubspot_company_id(record)
    return record_id("hubspot", "companies", company) if company else None


def companies(payloads: Payloads, config: dict[str, Any]) -> Rows:
    rows = []
    for record in payloads.get("hubspot/companies", []):
        p = mapping(record.get("properties"))
        rows.append({
            "record_id": record_id("hubspot", "companies", record["id"]),
            "source": "hubspot", "source_object": "companies", "source_id": str(record["id"]),
            "company": p.get("name"), "website": p.get("domain") or p.get("website"),
            "city": p.get("city"), "country": p.get("country"), "industry": p.get("industry"),
            "owner": p.get("hubspot_owner_id"), "phone": p.get("phone"),
            "annual_revenue": number(p.get("annualrevenue")), "status": p.get("lifecyclestage"),
            "salesforce_account_id": p.get("salesforce_account_id") or None,
            "application_id": p.get("application_id") or None,
            "hubspot_company_id": str(record["id"]),
            "created_at": record.get("createdAt"), "updated_at": record.get("updatedAt"),
        })
    return rows


def people(payloads: Payloads, config: dict[str, Any]) -> Rows:
    rows = []
    for record in payloads.get("hubspot/contacts", []):
        p = mapping(record.get("properties"))
        rows.append({
            "record_id": record_id("hubspot", "contacts", record["id"]), "source": "hubspot",
            "source_id": str(record["id"]), "company_record_id": _company_record(record),
            "email": p.get("email"), "name": full_name(p.get("firstname"), p.get("lastname")),
            "title": p.get("jobtitle"), "phone": p.get("phone"), "updated_at": record.get("updatedAt"),
        })
    return rows


def deals(payloads: Payloads, config: dict[str, Any]) -> Rows:
    won_label, lost_label = config["deal_stages"][-2], config["deal_stages"][-1]
    stages = {text(s.get("id")): s for s in payloads.get("hubspot/deal_stages", [])}
    rows = []
    for record in payloads.get("hubspot/deals", []):
        p = mapping(record.get("properties"))
        stage = stages.get(text(p.get("dealstage"))) or {}
        meta = mapping(stage.get("metadata"))
        label = text(stage.get("label")) or text(p.get("dealstage"))
        closed = str(meta.get("isClosed", "")).lower() == "true" or label in (won_label, lost_label)
        rows.append({
            "record_id": record_id("hubspot", "deals", record["id"]), "source": "hubspot",
            "source_id": str(record["id"]), "company_record_id": _company_record(record),
            "name": p.get("dealname"), "stage": label, "amount": number(p.get("amount")),
            "mrr": number(p.get("hs_mrr")),  # HubSpot's own MRR of the deal, when the portal has it
            "probability": number(meta.get("probability")),
            "close_date": (text(p.get("closedate")) or "")[:10] or None,
            "is_closed": closed, "is_won": closed and label == won_label, "owner": p.get("hubspot_owner_id"),
            "created_at": record.get("createdAt"), "updated_at": record.get("updatedAt"),
        })
    return rows


def activities(payloads: Payloads, config: dict[str, Any]) -> Rows:
    rows = []
    for record in payloads.get("hubspot/tickets", []):
        p = mapping(record.get("properties"))
        rows.append({
            "record_id": record_id("hubspot", "tickets", record["id"]), "source": "hubspot", "kind": "ticket",
            "company_record_id": _company_record(record),
            "occurred_at": p.get("createdate") or record.get("createdAt"), "type": "Support",
            "subject": p.get("subject"), "priority": lower(p.get("hs_ticket_priority")),
            "is_closed": (lower(p.get("hs_pipeline_stage")) or "") in CLOSED_TICKET_STAGES,
            "closed_at": p.get("closed_date"),
        })
    return rows


def owners(payloads: Payloads, config: dict[str, Any]) -> Rows:
    """Owners by the id ``hubspot_owner_id`` holds; an owner with no name is called by its email;
    an archived one (a rep who left) is not active."""
    return [{
        "record_id": record_id("hubspot", "owners", record["id"]), "source": "hubspot",
        "owner_id": str(record["id"]),
        "name": full_name(record.get("firstName"), record.get("lastName")) or text(record.get("email")),
        "email": record.get("email"), "active": not flag(record.get("archived")),
        "updated_at": record.get("updatedAt"),
    } for record in payloads.get("hubspot/owners", [])]
