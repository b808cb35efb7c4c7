"""The shape of a snapshot of every source, as the emulators serve it and `hub.synth` makes it.

Each source's records are kept in that API's own wire format, so an emulator serves them as they
are and a test can compare a raw table with what the source holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

AIRTABLE_TABLES = ("Beta Applications", "Customer Interactions", "Usage Analytics", "Feedback & Surveys")
HUBSPOT_OBJECTS = ("companies", "contacts", "deals", "tickets")
SALESFORCE_OBJECTS = ("Account", "Contact", "Opportunity", "Case")


@dataclass
class SourceData:
    """Everything the three APIs and the usage-log landing directory hold.

    - ``airtable``: table name -> records ``{"id": "rec…", "createdTime": "…Z", "fields": {…}}``
      with the seed's field names; empty values omitted, as Airtable does.
    - ``hubspot``: object type -> objects ``{"id", "properties" (str or None values),
      "createdAt", "updatedAt", "archived"}``.
    - ``hubspot_associations``: (from type, to type) -> list of (from id, to id), for
      contacts/deals/tickets -> companies.
    - ``hubspot_pipelines``: the deal pipelines in ``GET /crm/v3/pipelines/deals`` form.
    - ``hubspot_owners``: the owners in ``GET /crm/v3/owners`` form (``id``, ``email``,
      ``firstName``, ``lastName``, ``userId``, ``archived``, …); archived ones included.
    - ``salesforce``: sObject -> records ``{"attributes": {"type", "url"}, "Id", …fields,
      "SystemModstamp": "2024-05-07T22:07:19.000+0000", "IsDeleted": False}``; ``User`` holds
      the owners (Id, Name, Email, IsActive) the other objects' ``OwnerId`` names.
    - ``usage_events``: one row per usage-log event (DESIGN.md's usage log columns).
    - ``funnel_events``: the acquisition funnel's product events (``timestamp, anonymous_id,
      customer_id, event, source``; ``customer_id`` empty while the visitor is anonymous).
    - ``truth``: one row per source record: ``source, source_object, source_id, company_key``,
      the true real-world company, so matching quality can be measured.
    """

    airtable: dict[str, list[dict]] = field(default_factory=dict)
    hubspot: dict[str, list[dict]] = field(default_factory=dict)
    hubspot_associations: dict[tuple[str, str], list[tuple[str, str]]] = field(default_factory=dict)
    hubspot_pipelines: list[dict] = field(default_factory=list)
    hubspot_owners: list[dict] = field(default_factory=list)
    salesforce: dict[str, list[dict]] = field(default_factory=dict)
    usage_events: pd.DataFrame = field(default_factory=pd.DataFrame)
    funnel_events: pd.DataFrame = field(default_factory=pd.DataFrame)
    truth: pd.DataFrame = field(default_factory=pd.DataFrame)
