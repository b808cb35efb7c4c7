"""The raw objects: which source object lands in which raw table, its typed columns, and how
to read its id, timestamps and field names. ``hub.raw`` lands them; staging reads them back."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from hub.values import number, text

# Typed raw columns that hold numbers (DOUBLE PRECISION); every other typed column is text.
NUMBER_FIELDS = frozenset({"amount"})

Record = dict[str, Any]


@dataclass(frozen=True)
class RawObject:
    """One source object and the raw table it lands in."""

    source: str
    source_object: str
    table: str
    typed: Callable[[Record, dict[str, Any]], dict[str, Any]]
    created: Callable[[Record], str | None] = lambda r: None
    updated: Callable[[Record], str | None] = lambda r: None
    id_of: Callable[[Record], Any] = lambda r: r.get("id")
    # The names of the fields a record carries, so a field the source adds is noticed.
    field_names: Callable[[Record], Iterable[str]] = lambda r: r.keys()
    # Top-level fields a record cannot be landed without (the sync's cursor reads them).
    needs: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.source}/{self.source_object}"


def _airtable_field(table: str, name: str) -> Callable[[Record, dict[str, Any]], Any]:
    def get(record: Record, config: dict[str, Any]) -> Any:
        fields = record.get("fields")
        value = fields.get(config["airtable"]["fields"][table][name]) if isinstance(fields, dict) else None
        return text(value)  # linked records: the first id; structures and blanks: NULL
    return get


def _airtable_typed(table: str, columns: dict[str, str]) -> Callable[[Record, dict[str, Any]], dict[str, Any]]:
    getters = {column: _airtable_field(table, name) for column, name in columns.items()}
    return lambda record, config: {column: get(record, config) for column, get in getters.items()}


def _props(*names: str, rename: dict[str, str] | None = None, company_assoc: bool = False):  # noqa: ANN202
    rename = rename or {}

    def typed(record: Record, _config: dict[str, Any]) -> dict[str, Any]:
        props = record.get("properties")
        props = props if isinstance(props, dict) else {}
        row = {rename.get(n, n): (number if n in NUMBER_FIELDS else text)(props.get(n)) for n in names}
        if company_assoc:
            row["company_id"] = hubspot_company_id(record)
        return row
    return typed


def _fields(**columns: str):  # noqa: ANN202
    return lambda record, _config: {column: (number if column in NUMBER_FIELDS else text)(record.get(name))
                                    for column, name in columns.items()}


def hubspot_company_id(record: Record) -> str | None:
    """The first associated company of a HubSpot contact, deal or ticket."""
    associations = record.get("associations")
    companies = associations.get("companies") if isinstance(associations, dict) else None
    results = companies.get("results") if isinstance(companies, dict) else None
    first = results[0] if isinstance(results, list) and results else None
    return text(first.get("id")) if isinstance(first, dict) else None


def _airtable_fields(r: Record) -> Iterable[str]:
    return (r.get("fields") or {}).keys()


def _hs_fields(r: Record) -> Iterable[str]:
    return [*(k for k in r if k != "properties"), *(r.get("properties") or {})]


def _sf_fields(r: Record) -> Iterable[str]:
    return (k for k in r if k != "attributes")


def _hs_created(r: Record) -> str | None:
    return r.get("createdAt")


def _hs_updated(r: Record) -> str | None:
    return r.get("updatedAt")


RAW_OBJECTS: dict[str, RawObject] = {
    o.key: o
    for o in [
        RawObject("airtable", "applications", "airtable_beta_applications",
                  _airtable_typed("applications", {
                      "application_id": "application_id", "company": "company", "email": "email",
                      "website": "website", "status": "status", "applied_on": "applied_on"}),
                  created=lambda r: r.get("createdTime"), field_names=_airtable_fields),
        RawObject("airtable", "interactions", "airtable_customer_interactions",
                  _airtable_typed("interactions", {
                      "interaction_id": "interaction_id", "application_record_id": "application",
                      "type": "type", "date": "date", "sentiment": "sentiment"}),
                  created=lambda r: r.get("createdTime"), field_names=_airtable_fields),
        RawObject("airtable", "usage", "airtable_usage_analytics",
                  _airtable_typed("usage", {"customer_record_id": "customer", "date": "date",
                                            "api_calls": "api_calls"}),
                  created=lambda r: r.get("createdTime"), field_names=_airtable_fields),
        RawObject("airtable", "surveys", "airtable_feedback_surveys",
                  _airtable_typed("surveys", {"survey_id": "survey_id", "customer_record_id": "customer",
                                              "survey_type": "survey_type", "date_responded": "date_responded"}),
                  created=lambda r: r.get("createdTime"), field_names=_airtable_fields),
        RawObject("hubspot", "companies", "hubspot_companies", _props("name", "domain"),
                  created=_hs_created, updated=_hs_updated, field_names=_hs_fields),
        RawObject("hubspot", "contacts", "hubspot_contacts", _props("email", company_assoc=True),
                  created=_hs_created, updated=_hs_updated, field_names=_hs_fields),
        RawObject("hubspot", "deals", "hubspot_deals", _props("dealname", "dealstage", "amount", company_assoc=True),
                  created=_hs_created, updated=_hs_updated, field_names=_hs_fields),
        RawObject("hubspot", "tickets", "hubspot_tickets",
                  _props("subject", "hs_pipeline_stage", rename={"hs_pipeline_stage": "stage"}, company_assoc=True),
                  created=_hs_created, updated=_hs_updated, field_names=_hs_fields),
        RawObject("hubspot", "deal_stages", "hubspot_deal_stages",
                  lambda r, _c: {"pipeline_id": text(r.get("pipelineId")), "label": text(r.get("label")),
                                 "display_order": _int(r.get("displayOrder")),
                                 "probability": _float((r.get("metadata") or {}).get("probability")),
                                 "is_closed": str((r.get("metadata") or {}).get("isClosed")).lower() == "true"},
                  created=_hs_created, updated=_hs_updated, field_names=_hs_fields),
        RawObject("salesforce", "Account", "salesforce_accounts", _fields(name="Name", website="Website"),
                  created=lambda r: r.get("CreatedDate"), updated=lambda r: r.get("SystemModstamp"),
                  id_of=lambda r: r.get("Id"), field_names=_sf_fields, needs=("SystemModstamp",)),
        RawObject("salesforce", "Contact", "salesforce_contacts", _fields(account_id="AccountId", email="Email"),
                  created=lambda r: r.get("CreatedDate"), updated=lambda r: r.get("SystemModstamp"),
                  id_of=lambda r: r.get("Id"), field_names=_sf_fields, needs=("SystemModstamp",)),
        RawObject("salesforce", "Opportunity", "salesforce_opportunities",
                  _fields(account_id="AccountId", name="Name", stage_name="StageName", amount="Amount"),
                  created=lambda r: r.get("CreatedDate"), updated=lambda r: r.get("SystemModstamp"),
                  id_of=lambda r: r.get("Id"), field_names=_sf_fields, needs=("SystemModstamp",)),
        RawObject("salesforce", "Case", "salesforce_cases", _fields(account_id="AccountId", status="Status"),
                  created=lambda r: r.get("CreatedDate"), updated=lambda r: r.get("SystemModstamp"),
                  id_of=lambda r: r.get("Id"), field_names=_sf_fields, needs=("SystemModstamp",)),
    ]
}


def _float(value: Any) -> float | None:
    return number(value)


def _int(value: Any) -> int | None:
    value = number(value)
    return int(value) if value is not None and abs(value) < 2**31 else None
