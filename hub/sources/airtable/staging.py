"""Airtable's payloads as staging rows: Beta Applications are companies (and their applicants
people), Customer Interactions activities, Feedback & Surveys surveys, Usage Analytics usage
reports; the people named in "Assigned To" (and an interaction's "Owner") are owners. Field names
come from HUB_CONFIG ``airtable.fields``; an omitted field is empty."""

from __future__ import annotations

from typing import Any

from hub.sources.rows import Payloads, Rows, mapping, record_id
from hub.values import day_text, first_id, flag, number, text


def _fields(payloads: Payloads, table: str, config: dict[str, Any]) -> list[tuple[dict, dict]]:
    """(record, {logical field: value}) for one table, through the configured names."""
    names = config["airtable"]["fields"][table]
    return [(r, {k: mapping(r.get("fields")).get(v) for k, v in names.items()})
            for r in payloads.get(f"airtable/{table}", [])]


def person(value: Any) -> tuple[str | None, str | None]:
    """(name, email) of a person field: text (a single select or a typed name) or a
    collaborator ``{id, email, name}``."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        return text(value.get("name")) or text(value.get("email")), text(value.get("email"))
    return text(value), None


def companies(payloads: Payloads, config: dict[str, Any]) -> Rows:
    return [{
        "record_id": record_id("airtable", "applications", record["id"]),
        "source": "airtable", "source_object": "applications", "source_id": record["id"],
        "company": f["company"], "website": f["website"], "email": f["email"],
        "industry": f["industry"], "owner": person(f["assigned_to"])[0], "phone": f["phone"],
        "status": f["status"], "application_id": f["application_id"],
        "created_at": text(f["applied_on"]) or record.get("createdTime"),
        "updated_at": record.get("createdTime"),
    } for record, f in _fields(payloads, "applications", config)]


def people(payloads: Payloads, config: dict[str, Any]) -> Rows:
    return [{
        "record_id": record_id("airtable", "applicants", record["id"]), "source": "airtable",
        "source_id": record["id"], "company_record_id": record_id("airtable", "applications", record["id"]),
        "email": f["email"], "name": f["contact_name"], "title": f["job_title"], "phone": f["phone"],
        "updated_at": record.get("createdTime"),
    } for record, f in _fields(payloads, "applications", config) if f["email"] or f["contact_name"]]


def activities(payloads: Payloads, config: dict[str, Any]) -> Rows:
    rows = []
    for record, f in _fields(payloads, "interactions", config):
        app = first_id(f["application"])
        rows.append({
            "record_id": record_id("airtable", "interactions", record["id"]), "source": "airtable",
            "kind": "interaction", "company_record_id": record_id("airtable", "applications", app) if app else None,
            "occurred_at": f["date"], "type": f["type"], "subject": f["summary"],
            "sentiment": f["sentiment"], "owner": person(f["owner"])[0],
        })
    return rows


def surveys(payloads: Payloads, config: dict[str, Any]) -> Rows:
    rows = []
    for record, f in _fields(payloads, "surveys", config):
        customer = first_id(f["customer"])
        rows.append({
            "record_id": record_id("airtable", "surveys", record["id"]),
            "company_record_id": record_id("airtable", "applications", customer) if customer else None,
            "survey_type": f["survey_type"], "date_sent": f["date_sent"], "date_responded": f["date_responded"],
            "pmf_score": number(f["pmf_score"]), "satisfaction_score": number(f["satisfaction_score"]),
            "likelihood_to_pay": f["likelihood_to_pay"], "has_testimonial": text(f["testimonial"]) is not None,
            "case_study_willingness": flag(f["case_study_willingness"]),
        })
    return rows


def usage_reports(payloads: Payloads, config: dict[str, Any]) -> Rows:
    rows = []
    for record, f in _fields(payloads, "usage", config):
        customer = first_id(f["customer"])
        rows.append({
            "record_id": record_id("airtable", "usage", record["id"]),
            "company_record_id": record_id("airtable", "applications", customer) if customer else None,
            "date": day_text(f["date"]), "api_calls": number(f["api_calls"]),
            "sign_operations": number(f["sign_operations"]), "verify_operations": number(f["verify_operations"]),
            "error_rate": number(f["error_rate"]), "active_users": number(f["active_users"]),
            "storage_bytes": number(f["storage_used"]), "cost": number(f["cost"]),
        })
    return rows


def applications(payloads: Payloads, config: dict[str, Any], columns: list[str]) -> Rows:
    """Beta Applications with the fields the lead score reads (``columns`` after record_id)."""
    return [{"record_id": record_id("airtable", "applications", record["id"]),
             **{c: f.get(c) for c in columns}, "priority_score": number(f.get("priority_score"))}
            for record, f in _fields(payloads, "applications", config)]


def owners(payloads: Payloads, config: dict[str, Any]) -> Rows:
    """Each person "Assigned To" an application or owning an interaction, once, by the name the
    records carry (Airtable has no owner ids); an email only when the field is a collaborator."""
    found: dict[str, str | None] = {}
    for table, field in (("applications", "assigned_to"), ("interactions", "owner")):
        for _record, f in _fields(payloads, table, config):
            name, email = person(f[field])
            if name and (name not in found or (email and not found[name])):
                found[name] = email
    return [{"record_id": record_id("airtable", "owners", name), "source": "airtable", "owner_id": name,
             "name": name, "email": email, "active": None, "updated_at": None}
            for name, email in sorted(found.items())]
