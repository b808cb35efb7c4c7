"""Staging: every source's records in one canonical shape.

Pure functions from raw payloads (the source's wire format) to canonical DataFrames: companies,
people, deals, activities (interactions, tickets, cases), surveys and usage reports. A record's
``record_id`` is ``source:object:source_id``; ``company_record_id`` points at the company-level
record a person, deal or activity belongs to in its own source.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from hub.names import company_email_domains_of, registrable_domains_of
from hub.raw import hubspot_company_id
from hub.timeparse import timestamps

Payloads = dict[str, list[dict[str, Any]]]  # "source/object" -> live raw payloads

COMPANY_COLUMNS = [
    "record_id", "source", "source_object", "source_id", "company", "website", "domain", "email",
    "email_domain", "city", "country", "industry", "owner", "phone", "annual_revenue", "status",
    "salesforce_account_id", "hubspot_company_id", "application_id", "created_at", "updated_at",
]


def record_id(source: str, source_object: str, source_id: Any) -> str:
    return f"{source}:{source_object}:{source_id}"


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def _num(value: Any) -> float | None:
    try:
        return None if value in (None, "") else float(value)
    except (TypeError, ValueError):
        return None


def _first(value: Any) -> Any:
    return (value[0] if value else None) if isinstance(value, list) else value


def _airtable_fields(payloads: Payloads, table: str, config: dict[str, Any]) -> list[tuple[dict, dict]]:
    """(record, {logical field: value}) for one Airtable table, through the configured names."""
    names = config["airtable"]["fields"][table]
    return [(r, {k: r.get("fields", {}).get(v) for k, v in names.items()})
            for r in payloads.get(f"airtable/{table}", [])]


def companies(payloads: Payloads, config: dict[str, Any]) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for record, f in _airtable_fields(payloads, "applications", config):
        rows.append({
            "record_id": record_id("airtable", "applications", record["id"]),
            "source": "airtable", "source_object": "applications", "source_id": record["id"],
            "company": f["company"], "website": f["website"], "email": f["email"],
            "industry": f["industry"], "owner": f["assigned_to"], "phone": f["phone"],
            "status": f["status"], "application_id": f["application_id"],
            "created_at": f["applied_on"] or record.get("createdTime"),
            "updated_at": record.get("createdTime"),
        })
    for record in payloads.get("hubspot/companies", []):
        p = record.get("properties") or {}
        rows.append({
            "record_id": record_id("hubspot", "companies", record["id"]),
            "source": "hubspot", "source_object": "companies", "source_id": str(record["id"]),
            "company": p.get("name"), "website": p.get("domain") or p.get("website"),
            "city": p.get("city"), "country": p.get("country"), "industry": p.get("industry"),
            "owner": p.get("hubspot_owner_id"), "phone": p.get("phone"),
            "annual_revenue": _num(p.get("annualrevenue")), "status": p.get("lifecyclestage"),
            "salesforce_account_id": p.get("salesforce_account_id") or None,
            "application_id": p.get("application_id") or None,
            "hubspot_company_id": str(record["id"]),
            "created_at": record.get("createdAt"), "updated_at": record.get("updatedAt"),
        })
    for record in payloads.get("salesforce/Account", []):
        rows.append({
            "record_id": record_id("salesforce", "Account", record["Id"]),
            "source": "salesforce", "source_object": "Account", "source_id": record["Id"],
            "company": record.get("Name"), "website": record.get("Website"),
            "city": record.get("BillingCity"), "country": record.get("BillingCountry"),
            "industry": record.get("Industry"), "owner": record.get("OwnerId"), "phone": record.get("Phone"),
            "annual_revenue": _num(record.get("AnnualRevenue")), "status": record.get("Type"),
            "salesforce_account_id": record["Id"], "application_id": record.get("Application_ID__c") or None,
            "created_at": record.get("CreatedDate"), "updated_at": record.get("SystemModstamp"),
        })
    frame = _frame(rows, COMPANY_COLUMNS)
    frame["domain"] = registrable_domains_of(frame["website"])
    frame["email_domain"] = company_email_domains_of(frame["email"])
    for column in ("created_at", "updated_at"):
        frame[column] = timestamps(frame[column])
    return frame


PEOPLE_COLUMNS = ["record_id", "source", "source_id", "company_record_id", "email", "name", "title",
                  "phone", "updated_at"]


def people(payloads: Payloads, config: dict[str, Any]) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for record, f in _airtable_fields(payloads, "applications", config):
        if f["email"] or f["contact_name"]:
            rows.append({
                "record_id": record_id("airtable", "applicants", record["id"]), "source": "airtable",
                "source_id": record["id"],
                "company_record_id": record_id("airtable", "applications", record["id"]),
                "email": f["email"], "name": f["contact_name"], "title": f["job_title"], "phone": f["phone"],
                "updated_at": record.get("createdTime"),
            })
    for record in payloads.get("hubspot/contacts", []):
        p = record.get("properties") or {}
        company = hubspot_company_id(record)
        name = " ".join(x for x in (p.get("firstname"), p.get("lastname")) if x) or None
        rows.append({
            "record_id": record_id("hubspot", "contacts", record["id"]), "source": "hubspot",
            "source_id": str(record["id"]),
            "company_record_id": record_id("hubspot", "companies", company) if company else None,
            "email": p.get("email"), "name": name, "title": p.get("jobtitle"), "phone": p.get("phone"),
            "updated_at": record.get("updatedAt"),
        })
    for record in payloads.get("salesforce/Contact", []):
        name = " ".join(x for x in (record.get("FirstName"), record.get("LastName")) if x) or None
        account = record.get("AccountId")
        rows.append({
            "record_id": record_id("salesforce", "Contact", record["Id"]), "source": "salesforce",
            "source_id": record["Id"],
            "company_record_id": record_id("salesforce", "Account", account) if account else None,
            "email": record.get("Email"), "name": name, "title": record.get("Title"),
            "phone": record.get("Phone"), "updated_at": record.get("SystemModstamp"),
        })
    frame = _frame(rows, PEOPLE_COLUMNS)
    frame["updated_at"] = timestamps(frame["updated_at"])
    return frame


DEAL_COLUMNS = ["record_id", "source", "source_id", "company_record_id", "name", "stage", "amount",
                "probability", "close_date", "is_closed", "is_won", "owner", "created_at", "updated_at"]


def deals(payloads: Payloads, config: dict[str, Any]) -> pd.DataFrame:
    """HubSpot deals (stage ids resolved through the pipeline) and Salesforce opportunities."""
    won_label, lost_label = config["deal_stages"][-2], config["deal_stages"][-1]
    stages = {s["id"]: s for s in payloads.get("hubspot/deal_stages", [])}
    rows: list[dict[str, Any]] = []
    for record in payloads.get("hubspot/deals", []):
        p = record.get("properties") or {}
        stage = stages.get(p.get("dealstage")) or {}
        meta = stage.get("metadata") or {}
        label = stage.get("label") or p.get("dealstage")
        closed = str(meta.get("isClosed", "")).lower() == "true" or label in (won_label, lost_label)
        company = hubspot_company_id(record)
        rows.append({
            "record_id": record_id("hubspot", "deals", record["id"]), "source": "hubspot",
            "source_id": str(record["id"]),
            "company_record_id": record_id("hubspot", "companies", company) if company else None,
            "name": p.get("dealname"), "stage": label, "amount": _num(p.get("amount")),
            "probability": _num(meta.get("probability")), "close_date": (p.get("closedate") or "")[:10] or None,
            "is_closed": closed, "is_won": closed and label == won_label,
            "owner": p.get("hubspot_owner_id"),
            "created_at": record.get("createdAt"), "updated_at": record.get("updatedAt"),
        })
    for record in payloads.get("salesforce/Opportunity", []):
        account = record.get("AccountId")
        probability = _num(record.get("Probability"))
        rows.append({
            "record_id": record_id("salesforce", "Opportunity", record["Id"]), "source": "salesforce",
            "source_id": record["Id"],
            "company_record_id": record_id("salesforce", "Account", account) if account else None,
            "name": record.get("Name"), "stage": record.get("StageName"), "amount": _num(record.get("Amount")),
            "probability": None if probability is None else probability / 100.0,
            "close_date": record.get("CloseDate"), "is_closed": bool(record.get("IsClosed")),
            "is_won": bool(record.get("IsWon")), "owner": record.get("OwnerId"),
            "created_at": record.get("CreatedDate"), "updated_at": record.get("SystemModstamp"),
        })
    frame = _frame(rows, DEAL_COLUMNS)
    for column in ("created_at", "updated_at"):
        frame[column] = timestamps(frame[column])
    return frame


ACTIVITY_COLUMNS = ["record_id", "source", "kind", "company_record_id", "occurred_at", "type", "subject",
                    "sentiment", "priority", "is_closed", "closed_at", "owner"]

# HubSpot's default ticket pipeline: stage "4" is Closed.
HUBSPOT_CLOSED_TICKET_STAGES = {"4", "closed"}


def activities(payloads: Payloads, config: dict[str, Any]) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for record, f in _airtable_fields(payloads, "interactions", config):
        app = _first(f["application"])
        rows.append({
            "record_id": record_id("airtable", "interactions", record["id"]), "source": "airtable",
            "kind": "interaction",
            "company_record_id": record_id("airtable", "applications", app) if app else None,
            "occurred_at": f["date"], "type": f["type"], "subject": f["summary"],
            "sentiment": f["sentiment"], "owner": f["owner"],
        })
    for record in payloads.get("hubspot/tickets", []):
        p = record.get("properties") or {}
        company = hubspot_company_id(record)
        rows.append({
            "record_id": record_id("hubspot", "tickets", record["id"]), "source": "hubspot", "kind": "ticket",
            "company_record_id": record_id("hubspot", "companies", company) if company else None,
            "occurred_at": p.get("createdate") or record.get("createdAt"), "type": "Support",
            "subject": p.get("subject"), "priority": (p.get("hs_ticket_priority") or "").lower() or None,
            "is_closed": str(p.get("hs_pipeline_stage") or "").lower() in HUBSPOT_CLOSED_TICKET_STAGES,
            "closed_at": p.get("closed_date"),
        })
    for record in payloads.get("salesforce/Case", []):
        account = record.get("AccountId")
        rows.append({
            "record_id": record_id("salesforce", "Case", record["Id"]), "source": "salesforce", "kind": "case",
            "company_record_id": record_id("salesforce", "Account", account) if account else None,
            "occurred_at": record.get("CreatedDate"), "type": "Support", "subject": record.get("Subject"),
            "priority": (record.get("Priority") or "").lower() or None,
            "is_closed": bool(record.get("IsClosed")), "closed_at": record.get("ClosedDate"),
        })
    frame = _frame(rows, ACTIVITY_COLUMNS)
    for column in ("occurred_at", "closed_at"):
        frame[column] = timestamps(frame[column])
    return frame


SURVEY_COLUMNS = ["record_id", "company_record_id", "survey_type", "date_sent", "date_responded",
                  "pmf_score", "satisfaction_score", "likelihood_to_pay", "has_testimonial",
                  "case_study_willingness"]


def surveys(payloads: Payloads, config: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for record, f in _airtable_fields(payloads, "surveys", config):
        customer = _first(f["customer"])
        rows.append({
            "record_id": record_id("airtable", "surveys", record["id"]),
            "company_record_id": record_id("airtable", "applications", customer) if customer else None,
            "survey_type": f["survey_type"], "date_sent": f["date_sent"], "date_responded": f["date_responded"],
            "pmf_score": _num(f["pmf_score"]), "satisfaction_score": _num(f["satisfaction_score"]),
            "likelihood_to_pay": f["likelihood_to_pay"], "has_testimonial": bool(f["testimonial"]),
            "case_study_willingness": bool(f["case_study_willingness"]),
        })
    return _frame(rows, SURVEY_COLUMNS)


USAGE_REPORT_COLUMNS = ["record_id", "company_record_id", "date", "api_calls", "sign_operations",
                        "verify_operations", "error_rate", "active_users", "storage_bytes", "cost"]


def usage_reports(payloads: Payloads, config: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for record, f in _airtable_fields(payloads, "usage", config):
        customer = _first(f["customer"])
        if not f["date"]:
            continue
        rows.append({
            "record_id": record_id("airtable", "usage", record["id"]),
            "company_record_id": record_id("airtable", "applications", customer) if customer else None,
            "date": f["date"], "api_calls": _num(f["api_calls"]), "sign_operations": _num(f["sign_operations"]),
            "verify_operations": _num(f["verify_operations"]), "error_rate": _num(f["error_rate"]),
            "active_users": _num(f["active_users"]), "storage_bytes": _num(f["storage_used"]),
            "cost": _num(f["cost"]),
        })
    return _frame(rows, USAGE_REPORT_COLUMNS)


APPLICATION_COLUMNS = ["record_id", "application_id", "company", "contact_name", "email", "industry",
                       "use_case", "volume_estimate", "technical_capability", "priority_level",
                       "priority_score", "status", "applied_on", "source", "assigned_to"]


def applications(payloads: Payloads, config: dict[str, Any]) -> pd.DataFrame:
    """Airtable "Beta Applications" with the fields the lead score reads."""
    rows = []
    for record, f in _airtable_fields(payloads, "applications", config):
        rows.append({"record_id": record_id("airtable", "applications", record["id"]),
                     **{c: f.get(c) for c in APPLICATION_COLUMNS[1:]},
                     "priority_score": _num(f.get("priority_score"))})
    return _frame(rows, APPLICATION_COLUMNS)
