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
from hub.values import day_text, first_id, flag, lower, number, text

Payloads = dict[str, list[dict[str, Any]]]  # "source/object" -> live raw payloads

COMPANY_COLUMNS = [
    "record_id", "source", "source_object", "source_id", "company", "website", "domain", "email",
    "email_domain", "city", "country", "industry", "owner", "phone", "annual_revenue", "status",
    "salesforce_account_id", "hubspot_company_id", "application_id", "created_at", "updated_at",
]


# Staging rows that cannot be used without these columns are set aside (quarantined with the
# reason) by the staging step instead of being dropped: (column, what to do about it).
REQUIRED: dict[str, list[tuple[str, str]]] = {
    "usage_reports": [("date", "the Date field of the Usage Analytics record is empty or not a date: fill it "
                               "in Airtable")],
}


def record_id(source: str, source_object: str, source_id: Any) -> str:
    return f"{source}:{source_object}:{source_id}"


# Columns that hold numbers or flags; every other column of a staging frame is text.
_NUMBER_COLUMNS = {"annual_revenue", "amount", "probability", "pmf_score", "satisfaction_score", "api_calls",
                   "sign_operations", "verify_operations", "error_rate", "active_users", "storage_bytes",
                   "cost", "priority_score"}
_FLAG_COLUMNS = {"is_closed", "is_won", "has_testimonial", "case_study_willingness"}


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    """Rows as a frame whose every value is of its column's kind (text, number or flag), whatever
    the source sent: a list, a dict, a number in a text field or text in a number field."""
    frame = pd.DataFrame(rows, columns=columns)
    for column in columns:
        if column in _NUMBER_COLUMNS:
            frame[column] = pd.to_numeric(frame[column].map(number), errors="coerce").astype("float64")
        elif column in _FLAG_COLUMNS:
            frame[column] = frame[column].map(flag).astype(bool)
        elif frame[column].dtype == object:
            frame[column] = frame[column].map(text, na_action="ignore")
    return frame


def _fields_of(record: dict[str, Any]) -> dict[str, Any]:
    fields = record.get("fields")
    return fields if isinstance(fields, dict) else {}  # Airtable omits empty fields; {} is valid


def _props_of(record: dict[str, Any]) -> dict[str, Any]:
    props = record.get("properties")
    return props if isinstance(props, dict) else {}


def _airtable_fields(payloads: Payloads, table: str, config: dict[str, Any]) -> list[tuple[dict, dict]]:
    """(record, {logical field: value}) for one Airtable table, through the configured names.
    A field the record omits (Airtable's way of saying empty) is ``None``."""
    names = config["airtable"]["fields"][table]
    return [(r, {k: _fields_of(r).get(v) for k, v in names.items()})
            for r in payloads.get(f"airtable/{table}", [])]


def _name(*parts: Any) -> str | None:
    return " ".join(t for t in (text(p) for p in parts) if t) or None


def companies(payloads: Payloads, config: dict[str, Any]) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for record, f in _airtable_fields(payloads, "applications", config):
        rows.append({
            "record_id": record_id("airtable", "applications", record["id"]),
            "source": "airtable", "source_object": "applications", "source_id": record["id"],
            "company": f["company"], "website": f["website"], "email": f["email"],
            "industry": f["industry"], "owner": f["assigned_to"], "phone": f["phone"],
            "status": f["status"], "application_id": f["application_id"],
            "created_at": text(f["applied_on"]) or record.get("createdTime"),
            "updated_at": record.get("createdTime"),
        })
    for record in payloads.get("hubspot/companies", []):
        p = _props_of(record)
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
    for record in payloads.get("salesforce/Account", []):
        rows.append({
            "record_id": record_id("salesforce", "Account", record["Id"]),
            "source": "salesforce", "source_object": "Account", "source_id": record["Id"],
            "company": record.get("Name"), "website": record.get("Website"),
            "city": record.get("BillingCity"), "country": record.get("BillingCountry"),
            "industry": record.get("Industry"), "owner": record.get("OwnerId"), "phone": record.get("Phone"),
            "annual_revenue": number(record.get("AnnualRevenue")), "status": record.get("Type"),
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
        p = _props_of(record)
        company = hubspot_company_id(record)
        name = _name(p.get("firstname"), p.get("lastname"))
        rows.append({
            "record_id": record_id("hubspot", "contacts", record["id"]), "source": "hubspot",
            "source_id": str(record["id"]),
            "company_record_id": record_id("hubspot", "companies", company) if company else None,
            "email": p.get("email"), "name": name, "title": p.get("jobtitle"), "phone": p.get("phone"),
            "updated_at": record.get("updatedAt"),
        })
    for record in payloads.get("salesforce/Contact", []):
        name = _name(record.get("FirstName"), record.get("LastName"))
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
    stages = {text(s.get("id")): s for s in payloads.get("hubspot/deal_stages", [])}
    rows: list[dict[str, Any]] = []
    for record in payloads.get("hubspot/deals", []):
        p = _props_of(record)
        stage = stages.get(text(p.get("dealstage"))) or {}
        meta = stage.get("metadata") if isinstance(stage.get("metadata"), dict) else {}
        label = text(stage.get("label")) or text(p.get("dealstage"))
        closed = str(meta.get("isClosed", "")).lower() == "true" or label in (won_label, lost_label)
        company = hubspot_company_id(record)
        rows.append({
            "record_id": record_id("hubspot", "deals", record["id"]), "source": "hubspot",
            "source_id": str(record["id"]),
            "company_record_id": record_id("hubspot", "companies", company) if company else None,
            "name": p.get("dealname"), "stage": label, "amount": number(p.get("amount")),
            "probability": number(meta.get("probability")), "close_date": (text(p.get("closedate")) or "")[:10] or None,
            "is_closed": closed, "is_won": closed and label == won_label,
            "owner": p.get("hubspot_owner_id"),
            "created_at": record.get("createdAt"), "updated_at": record.get("updatedAt"),
        })
    for record in payloads.get("salesforce/Opportunity", []):
        account = record.get("AccountId")
        probability = number(record.get("Probability"))
        rows.append({
            "record_id": record_id("salesforce", "Opportunity", record["Id"]), "source": "salesforce",
            "source_id": record["Id"],
            "company_record_id": record_id("salesforce", "Account", account) if account else None,
            "name": record.get("Name"), "stage": record.get("StageName"), "amount": number(record.get("Amount")),
            "probability": None if probability is None else probability / 100.0,
            "close_date": (text(record.get("CloseDate")) or "")[:10] or None,
            "is_closed": flag(record.get("IsClosed")), "is_won": flag(record.get("IsWon")), "owner": record.get("OwnerId"),
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
        app = first_id(f["application"])
        rows.append({
            "record_id": record_id("airtable", "interactions", record["id"]), "source": "airtable",
            "kind": "interaction",
            "company_record_id": record_id("airtable", "applications", app) if app else None,
            "occurred_at": f["date"], "type": f["type"], "subject": f["summary"],
            "sentiment": f["sentiment"], "owner": f["owner"],
        })
    for record in payloads.get("hubspot/tickets", []):
        p = _props_of(record)
        company = hubspot_company_id(record)
        rows.append({
            "record_id": record_id("hubspot", "tickets", record["id"]), "source": "hubspot", "kind": "ticket",
            "company_record_id": record_id("hubspot", "companies", company) if company else None,
            "occurred_at": p.get("createdate") or record.get("createdAt"), "type": "Support",
            "subject": p.get("subject"), "priority": lower(p.get("hs_ticket_priority")),
            "is_closed": (lower(p.get("hs_pipeline_stage")) or "") in HUBSPOT_CLOSED_TICKET_STAGES,
            "closed_at": p.get("closed_date"),
        })
    for record in payloads.get("salesforce/Case", []):
        account = record.get("AccountId")
        rows.append({
            "record_id": record_id("salesforce", "Case", record["Id"]), "source": "salesforce", "kind": "case",
            "company_record_id": record_id("salesforce", "Account", account) if account else None,
            "occurred_at": record.get("CreatedDate"), "type": "Support", "subject": record.get("Subject"),
            "priority": lower(record.get("Priority")),
            "is_closed": flag(record.get("IsClosed")), "closed_at": record.get("ClosedDate"),
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
        customer = first_id(f["customer"])
        rows.append({
            "record_id": record_id("airtable", "surveys", record["id"]),
            "company_record_id": record_id("airtable", "applications", customer) if customer else None,
            "survey_type": f["survey_type"], "date_sent": f["date_sent"], "date_responded": f["date_responded"],
            "pmf_score": number(f["pmf_score"]), "satisfaction_score": number(f["satisfaction_score"]),
            "likelihood_to_pay": f["likelihood_to_pay"], "has_testimonial": text(f["testimonial"]) is not None,
            "case_study_willingness": flag(f["case_study_willingness"]),
        })
    return _frame(rows, SURVEY_COLUMNS)


USAGE_REPORT_COLUMNS = ["record_id", "company_record_id", "date", "api_calls", "sign_operations",
                        "verify_operations", "error_rate", "active_users", "storage_bytes", "cost"]


def usage_reports(payloads: Payloads, config: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for record, f in _airtable_fields(payloads, "usage", config):
        customer = first_id(f["customer"])
        rows.append({
            "record_id": record_id("airtable", "usage", record["id"]),
            "company_record_id": record_id("airtable", "applications", customer) if customer else None,
            "date": day_text(f["date"]), "api_calls": number(f["api_calls"]), "sign_operations": number(f["sign_operations"]),
            "verify_operations": number(f["verify_operations"]), "error_rate": number(f["error_rate"]),
            "active_users": number(f["active_users"]), "storage_bytes": number(f["storage_used"]),
            "cost": number(f["cost"]),
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
                     "priority_score": number(f.get("priority_score"))})
    return _frame(rows, APPLICATION_COLUMNS)
