"""Company-level records of every source, the input of ``hub.reconcile.resolve_entities``."""

from __future__ import annotations

import pandas as pd

from hub.sourcedata import SourceData

ENTITY_COLUMNS = (
    "record_id", "source", "source_object", "source_id", "company", "website", "email", "city",
    "country", "salesforce_account_id", "hubspot_company_id", "application_id", "true_company",
)  # fmt: skip
_KEY = ["source", "source_object", "source_id"]


def entity_records(data: SourceData) -> pd.DataFrame:
    """One row per Airtable application, HubSpot company and Salesforce account.

    ``email`` is the applicant's, or the first associated contact's for CRM companies. Each
    record carries its own id in its xref column too (an account's ``salesforce_account_id`` is
    its Id), so equal xref values link records.
    """
    rows = []
    for record in data.airtable.get("Beta Applications", []):
        f = record["fields"]
        rows.append((
            "airtable", "Beta Applications", record["id"], f.get("Company"), f.get("Website"),
            f.get("Email"), None, None, None, None, f.get("Application ID"),
        ))  # fmt: skip

    contact_email = {
        c["id"]: c["properties"].get("email") for c in data.hubspot.get("contacts", [])
    }
    first_email: dict[str, str] = {}
    for contact_id, company_id in data.hubspot_associations.get(("contacts", "companies"), []):
        if contact_email.get(contact_id):
            first_email.setdefault(company_id, contact_email[contact_id])
    for company in data.hubspot.get("companies", []):
        p, company_id = company["properties"], company["id"]
        rows.append((
            "hubspot", "companies", company_id, p.get("name"), p.get("website") or p.get("domain"),
            first_email.get(company_id), p.get("city"), p.get("country"),
            p.get("salesforce_account_id"), company_id, p.get("application_id"),
        ))  # fmt: skip

    account_email: dict[str, str] = {}
    for contact in data.salesforce.get("Contact", []):
        if contact.get("AccountId") and contact.get("Email"):
            account_email.setdefault(contact["AccountId"], contact["Email"])
    for account in data.salesforce.get("Account", []):
        account_id = account["Id"]
        rows.append((
            "salesforce", "Account", account_id, account.get("Name"), account.get("Website"),
            account_email.get(account_id), account.get("BillingCity"), account.get("BillingCountry"),
            account_id, None, account.get("Application_ID__c"),
        ))  # fmt: skip

    records = pd.DataFrame.from_records(rows, columns=list(ENTITY_COLUMNS[1:-1]))
    record_id = records["source"] + ":" + records["source_object"] + ":" + records["source_id"]
    records.insert(0, "record_id", record_id)
    truth = data.truth.rename(columns={"company_key": "true_company"})
    return records.merge(truth, how="left", on=_KEY, validate="one_to_one")
