"""Salesforce's payloads as staging rows: Accounts are companies, Contacts people,
Opportunities deals (probability from percent to a fraction), Cases activities, Users owners."""

from __future__ import annotations

from typing import Any

from hub.sources.rows import Payloads, Rows, full_name, record_id
from hub.values import flag, lower, number, text


def _account_record(record: dict[str, Any]) -> str | None:
    account = record.get("AccountId")
    return record_id("salesforce", "Account", account) if account else None


def companies(payloads: Payloads, config: dict[str, Any]) -> Rows:
    return [{
        "record_id": record_id("salesforce", "Account", record["Id"]),
        "source": "salesforce", "source_object": "Account", "source_id": record["Id"],
        "company": record.get("Name"), "website": record.get("Website"),
        "city": record.get("BillingCity"), "country": record.get("BillingCountry"),
        "industry": record.get("Industry"), "owner": record.get("OwnerId"), "phone": record.get("Phone"),
        "annual_revenue": number(record.get("AnnualRevenue")), "status": record.get("Type"),
        "salesforce_account_id": record["Id"], "application_id": record.get("Application_ID__c") or None,
        "created_at": record.get("CreatedDate"), "updated_at": record.get("SystemModstamp"),
    } for record in payloads.get("salesforce/Account", [])]


def people(payloads: Payloads, config: dict[str, Any]) -> Rows:
    return [{
        "record_id": record_id("salesforce", "Contact", record["Id"]), "source": "salesforce",
        "source_id": record["Id"], "company_record_id": _account_record(record),
        "email": record.get("Email"), "name": full_name(record.get("FirstName"), record.get("LastName")),
        "title": record.get("Title"), "phone": record.get("Phone"), "updated_at": record.get("SystemModstamp"),
    } for record in payloads.get("salesforce/Contact", [])]


def deals(payloads: Payloads, config: dict[str, Any]) -> Rows:
    rows = []
    for record in payloads.get("salesforce/Opportunity", []):
        probability = number(record.get("Probability"))
        rows.append({
            "record_id": record_id("salesforce", "Opportunity", record["Id"]), "source": "salesforce",
            "source_id": record["Id"], "company_record_id": _account_record(record),
            "name": record.get("Name"), "stage": record.get("StageName"), "amount": number(record.get("Amount")),
            "probability": None if probability is None else probability / 100.0,
            "close_date": (text(record.get("CloseDate")) or "")[:10] or None,
            "is_closed": flag(record.get("IsClosed")), "is_won": flag(record.get("IsWon")),
            "owner": record.get("OwnerId"),
            "created_at": record.get("CreatedDate"), "updated_at": record.get("SystemModstamp"),
        })
    return rows


def activities(payloads: Payloads, config: dict[str, Any]) -> Rows:
    return [{
        "record_id": record_id("salesforce", "Case", record["Id"]), "source": "salesforce", "kind": "case",
        "company_record_id": _account_record(record),
        "occurred_at": record.get("CreatedDate"), "type": "Support", "subject": record.get("Subject"),
        "priority": lower(record.get("Priority")),
        "is_closed": flag(record.get("IsClosed")), "closed_at": record.get("ClosedDate"),
    } for record in payloads.get("salesforce/Case", [])]


def owners(payloads: Payloads, config: dict[str, Any]) -> Rows:
    """Users by the Id ``OwnerId`` holds; ``IsActive`` false is a user who left."""
    rows = []
    for record in payloads.get("salesforce/User", []):
        active = record.get("IsActive")
        rows.append({
            "record_id": record_id("salesforce", "User", record["Id"]), "source": "salesforce",
            "owner_id": str(record["Id"]),
            "name": text(record.get("Name")) or full_name(record.get("FirstName"), record.get("LastName")),
            "email": record.get("Email"), "active": flag(active) if active is not None else None,
            "updated_at": record.get("SystemModstamp"),
        })
    return rows
