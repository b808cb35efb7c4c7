"""Airtable's raw objects: the four tables of the base, keyed by record id, their typed columns
read through the configured field names (HUB_CONFIG ``airtable.fields``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from hub.raw_objects import RawObject, Record
from hub.values import text


def _field(table: str, name: str) -> Callable[[Record, dict[str, Any]], Any]:
    def get(record: Record, config: dict[str, Any]) -> Any:
        fields = record.get("fields")
        value = fields.get(config["airtable"]["fields"][table][name]) if isinstance(fields, dict) else None
        return text(value)  # linked records: the first id; structures and blanks: NULL
    return get


def _typed(table: str, columns: dict[str, str]) -> Callable[[Record, dict[str, Any]], dict[str, Any]]:
    getters = {column: _field(table, name) for column, name in columns.items()}
    return lambda record, config: {column: get(record, config) for column, get in getters.items()}


def _field_names(r: Record) -> Iterable[str]:
    return (r.get("fields") or {}).keys()


def _created(r: Record) -> str | None:
    return r.get("createdTime")


OBJECTS = [
    RawObject("airtable", "applications", "airtable_beta_applications",
              _typed("applications", {
                  "application_id": "application_id", "company": "company", "email": "email",
                  "website": "website", "status": "status", "applied_on": "applied_on"}),
              created=_created, field_names=_field_names),
    RawObject("airtable", "interactions", "airtable_customer_interactions",
              _typed("interactions", {
                  "interaction_id": "interaction_id", "application_record_id": "application",
                  "type": "type", "date": "date", "sentiment": "sentiment"}),
              created=_created, field_names=_field_names),
    RawObject("airtable", "usage", "airtable_usage_analytics",
              _typed("usage", {"customer_record_id": "customer", "date": "date", "api_calls": "api_calls"}),
              created=_created, field_names=_field_names),
    RawObject("airtable", "surveys", "airtable_feedback_surveys",
              _typed("surveys", {"survey_id": "survey_id", "customer_record_id": "customer",
                                 "survey_type": "survey_type", "date_responded": "date_responded"}),
              created=_created, field_names=_field_names),
]
