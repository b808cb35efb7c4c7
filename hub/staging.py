"""Staging: every source's records in one canonical shape.

Pure functions from raw payloads (the source's wire format) to canonical DataFrames: companies,
people, deals, activities (interactions, tickets, cases), surveys, usage reports and owners. Each source
maps its own payloads (``hub/sources/<source>/staging.py``); this module concatenates them, in the
order of ``STAGING_SOURCES``, and types every column. A record's ``record_id`` is
``source:object:source_id``; ``company_record_id`` points at the company-level record a person,
deal or activity belongs to in its own source.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from hub.industries import vocabulary_of
from hub.names import company_email_domains_of, registrable_domains_of
from hub.sources.airtable import staging as airtable
from hub.sources.hubspot import staging as hubspot
from hub.sources.rows import Payloads, Rows, record_id
from hub.sources.salesforce import staging as salesforce
from hub.timeparse import timestamps
from hub.values import flag, number, text

__all__ = ["COMPANY_COLUMNS", "REQUIRED", "STAGING_SOURCES", "Payloads", "activities", "applications", "companies",
           "deals", "owners", "people", "record_id", "surveys", "usage_reports"]

COMPANY_COLUMNS = [
    "record_id", "source", "source_object", "source_id", "company", "website", "domain", "email",
    "email_domain", "city", "country", "industry", "owner", "phone", "annual_revenue", "status",
    "salesforce_account_id", "hubspot_company_id", "application_id", "created_at", "updated_at",
]
PEOPLE_COLUMNS = ["record_id", "source", "source_id", "company_record_id", "email", "name", "title",
                  "phone", "updated_at"]
DEAL_COLUMNS = ["record_id", "source", "source_id", "company_record_id", "name", "stage", "amount",
                "probability", "close_date", "is_closed", "is_won", "owner", "created_at", "updated_at", "mrr"]
ACTIVITY_COLUMNS = ["record_id", "source", "kind", "company_record_id", "occurred_at", "type", "subject",
                    "sentiment", "priority", "is_closed", "closed_at", "owner"]
SURVEY_COLUMNS = ["record_id", "company_record_id", "survey_type", "date_sent", "date_responded",
                  "pmf_score", "satisfaction_score", "likelihood_to_pay", "has_testimonial",
                  "case_study_willingness"]
USAGE_REPORT_COLUMNS = ["record_id", "company_record_id", "date", "api_calls", "sign_operations",
                        "verify_operations", "error_rate", "active_users", "storage_bytes", "cost"]
OWNER_COLUMNS = ["record_id", "source", "owner_id", "name", "email", "active", "updated_at"]
APPLICATION_COLUMNS = ["record_id", "application_id", "company", "contact_name", "email", "industry",
                       "use_case", "volume_estimate", "technical_capability", "priority_level",
                       "priority_score", "status", "applied_on", "source", "assigned_to"]

Mapping = Callable[[Payloads, dict[str, Any]], Rows]
# Per staging table, each source's mapping, in the order their rows are concatenated.
STAGING_SOURCES: dict[str, list[Mapping]] = {
    "companies": [airtable.companies, hubspot.companies, salesforce.companies],
    "people": [airtable.people, hubspot.people, salesforce.people],
    "deals": [hubspot.deals, salesforce.deals],
    "activities": [airtable.activities, hubspot.activities, salesforce.activities],
    "surveys": [airtable.surveys],
    "usage_reports": [airtable.usage_reports],
    "owners": [airtable.owners, hubspot.owners, salesforce.owners],
}

# Staging rows that cannot be used without these columns are set aside (quarantined with the
# reason) by the staging step instead of being dropped: (column, what to do about it).
REQUIRED: dict[str, list[tuple[str, str]]] = {
    "usage_reports": [("date", "the Date field of the Usage Analytics record is empty or not a date: fill it "
                               "in Airtable")],
}

# Columns that hold numbers or flags; every other column of a staging frame is text.
_NUMBER_COLUMNS = {"annual_revenue", "amount", "probability", "pmf_score", "satisfaction_score", "api_calls",
                   "sign_operations", "verify_operations", "error_rate", "active_users", "storage_bytes",
                   "cost", "priority_score"}
_FLAG_COLUMNS = {"is_closed", "is_won", "has_testimonial", "case_study_willingness"}


def _frame(rows: Rows, columns: list[str]) -> pd.DataFrame:
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


def _concat(table: str, payloads: Payloads, config: dict[str, Any], columns: list[str],
            times: tuple[str, ...] = ()) -> pd.DataFrame:
    rows = [row for source in STAGING_SOURCES[table] for row in source(payloads, config)]
    frame = _frame(rows, columns)
    for column in times:
        frame[column] = timestamps(frame[column])
    return frame


def companies(payloads: Payloads, config: dict[str, Any]) -> pd.DataFrame:
    frame = _concat("companies", payloads, config, COMPANY_COLUMNS, ("created_at", "updated_at"))
    frame["industry"] = vocabulary_of(frame["industry"], frame["source"], config["industries"])  # one vocabulary
    frame["domain"] = registrable_domains_of(frame["website"])
    frame["email_domain"] = company_email_domains_of(frame["email"])
    return frame


def people(payloads: Payloads, config: dict[str, Any]) -> pd.DataFrame:
    return _concat("people", payloads, config, PEOPLE_COLUMNS, ("updated_at",))


def deals(payloads: Payloads, config: dict[str, Any]) -> pd.DataFrame:
    """HubSpot deals (stage ids resolved through the pipeline) and Salesforce opportunities."""
    return _concat("deals", payloads, config, DEAL_COLUMNS, ("created_at", "updated_at"))


def activities(payloads: Payloads, config: dict[str, Any]) -> pd.DataFrame:
    return _concat("activities", payloads, config, ACTIVITY_COLUMNS, ("occurred_at", "closed_at"))


def surveys(payloads: Payloads, config: dict[str, Any]) -> pd.DataFrame:
    return _concat("surveys", payloads, config, SURVEY_COLUMNS)


def usage_reports(payloads: Payloads, config: dict[str, Any]) -> pd.DataFrame:
    return _concat("usage_reports", payloads, config, USAGE_REPORT_COLUMNS)


def owners(payloads: Payloads, config: dict[str, Any]) -> pd.DataFrame:
    """The people the sources name as owners: HubSpot owners, Salesforce users, Airtable's
    "Assigned To". ``active`` is NULL when the source does not say."""
    frame = _concat("owners", payloads, config, OWNER_COLUMNS, ("updated_at",))
    frame["active"] = frame["active"].map({"true": True, "false": False}).astype("boolean")
    return frame


def applications(payloads: Payloads, config: dict[str, Any]) -> pd.DataFrame:
    """Airtable "Beta Applications" with the fields the lead score reads."""
    return _frame(airtable.applications(payloads, config, APPLICATION_COLUMNS[1:]), APPLICATION_COLUMNS)
