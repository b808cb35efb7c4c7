"""Landing source records in the raw layer: keyed by source id, idempotent, nothing lost.

Each page of records is written in one transaction together with the sync cursor that covers
it, so a sync that dies mid-way resumes from its last committed page. Unchanged records are not
rewritten (a payload hash decides); records the source no longer lists are marked ``_deleted``,
never erased; records we cannot key are quarantined with the reason.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from hub.warehouse import Warehouse, utcnow

Record = dict[str, Any]


class SourceError(RuntimeError):
    """A source API refused a request; the message names the source, the object and the fix."""


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

    @property
    def key(self) -> str:
        return f"{self.source}/{self.source_object}"


def _airtable_field(table: str, name: str) -> Callable[[Record, dict[str, Any]], Any]:
    def get(record: Record, config: dict[str, Any]) -> Any:
        value = record.get("fields", {}).get(config["airtable"]["fields"][table][name])
        if isinstance(value, list):  # linked records: keep the first id in the typed column
            return value[0] if value else None
        return value
    return get


def _airtable_typed(table: str, columns: dict[str, str]) -> Callable[[Record, dict[str, Any]], dict[str, Any]]:
    getters = {column: _airtable_field(table, name) for column, name in columns.items()}
    return lambda record, config: {column: get(record, config) for column, get in getters.items()}


def _props(*names: str, rename: dict[str, str] | None = None, company_assoc: bool = False):  # noqa: ANN202
    rename = rename or {}

    def typed(record: Record, _config: dict[str, Any]) -> dict[str, Any]:
        props = record.get("properties") or {}
        row = {rename.get(n, n): props.get(n) for n in names}
        if company_assoc:
            row["company_id"] = hubspot_company_id(record)
        return row
    return typed


def _fields(**columns: str):  # noqa: ANN202
    return lambda record, _config: {column: record.get(name) for column, name in columns.items()}


def hubspot_company_id(record: Record) -> str | None:
    """The first associated company of a HubSpot contact, deal or ticket."""
    results = ((record.get("associations") or {}).get("companies") or {}).get("results") or []
    return str(results[0]["id"]) if results else None


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
                  created=lambda r: r.get("createdTime")),
        RawObject("airtable", "interactions", "airtable_customer_interactions",
                  _airtable_typed("interactions", {
                      "interaction_id": "interaction_id", "application_record_id": "application",
                      "type": "type", "date": "date", "sentiment": "sentiment"}),
                  created=lambda r: r.get("createdTime")),
        RawObject("airtable", "usage", "airtable_usage_analytics",
                  _airtable_typed("usage", {"customer_record_id": "customer", "date": "date",
                                            "api_calls": "api_calls"}),
                  created=lambda r: r.get("createdTime")),
        RawObject("airtable", "surveys", "airtable_feedback_surveys",
                  _airtable_typed("surveys", {"survey_id": "survey_id", "customer_record_id": "customer",
                                              "survey_type": "survey_type", "date_responded": "date_responded"}),
                  created=lambda r: r.get("createdTime")),
        RawObject("hubspot", "companies", "hubspot_companies", _props("name", "domain"),
                  created=_hs_created, updated=_hs_updated),
        RawObject("hubspot", "contacts", "hubspot_contacts", _props("email", company_assoc=True),
                  created=_hs_created, updated=_hs_updated),
        RawObject("hubspot", "deals", "hubspot_deals", _props("dealname", "dealstage", "amount", company_assoc=True),
                  created=_hs_created, updated=_hs_updated),
        RawObject("hubspot", "tickets", "hubspot_tickets",
                  _props("subject", "hs_pipeline_stage", rename={"hs_pipeline_stage": "stage"}, company_assoc=True),
                  created=_hs_created, updated=_hs_updated),
        RawObject("hubspot", "deal_stages", "hubspot_deal_stages",
                  lambda r, _c: {"pipeline_id": r.get("pipelineId"), "label": r.get("label"),
                                 "display_order": r.get("displayOrder"),
                                 "probability": _float((r.get("metadata") or {}).get("probability")),
                                 "is_closed": str((r.get("metadata") or {}).get("isClosed")).lower() == "true"},
                  created=_hs_created, updated=_hs_updated),
        RawObject("salesforce", "Account", "salesforce_accounts", _fields(name="Name", website="Website"),
                  created=lambda r: r.get("CreatedDate"), updated=lambda r: r.get("SystemModstamp"),
                  id_of=lambda r: r.get("Id")),
        RawObject("salesforce", "Contact", "salesforce_contacts", _fields(account_id="AccountId", email="Email"),
                  created=lambda r: r.get("CreatedDate"), updated=lambda r: r.get("SystemModstamp"),
                  id_of=lambda r: r.get("Id")),
        RawObject("salesforce", "Opportunity", "salesforce_opportunities",
                  _fields(account_id="AccountId", name="Name", stage_name="StageName", amount="Amount"),
                  created=lambda r: r.get("CreatedDate"), updated=lambda r: r.get("SystemModstamp"),
                  id_of=lambda r: r.get("Id")),
        RawObject("salesforce", "Case", "salesforce_cases", _fields(account_id="AccountId", status="Status"),
                  created=lambda r: r.get("CreatedDate"), updated=lambda r: r.get("SystemModstamp"),
                  id_of=lambda r: r.get("Id")),
    ]
}


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def payload_hash(record: Record) -> str:
    return hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class SyncStats:
    """What one sync of one object did; becomes the asset's metadata."""

    fetched: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    quarantined: int = 0
    pages: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)

    def as_metadata(self) -> dict[str, int]:
        return {k: v for k, v in self.__dict__.items() if isinstance(v, int)}


class RawSync:
    """One sync of one source object into its raw table."""

    def __init__(self, warehouse: Warehouse, obj: RawObject, config: dict[str, Any], *,
                 full_refresh: bool = True) -> None:
        self.warehouse = warehouse
        self.obj = obj
        self.config = config
        self.full_refresh = full_refresh
        self.stats = SyncStats()
        self.table = warehouse.table("raw", obj.table)
        self._seen: set[str] = set()
        with warehouse.engine.connect() as conn:
            rows = conn.execute(sa.select(self.table.c.source_id, self.table.c._hash, self.table.c._deleted)).all()
        self._known: dict[str, tuple[str, bool]] = {r[0]: (r[1], bool(r[2])) for r in rows}

    def cursor(self) -> str | None:
        """The cursor committed by the last sync of this object, if any."""
        state = self.warehouse.table("raw", "sync_state")
        with self.warehouse.engine.connect() as conn:
            return conn.execute(
                sa.select(state.c.cursor_value).where(
                    state.c.source == self.obj.source, state.c.source_object == self.obj.source_object)
            ).scalar_one_or_none()

    def add_page(self, records: Iterable[Record], *, cursor: str | None = None) -> None:
        """Land one page and, in the same transaction, the cursor that covers it."""
        now = utcnow().isoformat()
        rows: list[dict[str, Any]] = []
        quarantined: list[dict[str, Any]] = []
        for record in records:
            self.stats.fetched += 1
            source_id = self.obj.id_of(record)
            if source_id in (None, ""):
                quarantined.append(self._quarantine_row(record, "record has no id", now))
                continue
            source_id = str(source_id)
            if source_id in self._seen:
                continue  # the same record twice in one sync (paging overlap): keep the first
            self._seen.add(source_id)
            digest = payload_hash(record)
            known = self._known.get(source_id)
            if known is not None and known[0] == digest and not known[1]:
                self.stats.unchanged += 1
                continue
            if known is None:
                self.stats.inserted += 1
            else:
                self.stats.updated += 1
            self._known[source_id] = (digest, False)
            rows.append({
                "source_id": source_id,
                **self.obj.typed(record, self.config),
                "payload": json.dumps(record, default=str),
                "source_created_at": self.obj.created(record),
                "source_updated_at": self.obj.updated(record),
                "_hash": digest,
                "_synced_at": now,
                "_deleted": False,
                "_deleted_at": None,
            })
        with self.warehouse.transaction() as conn:
            self.warehouse.upsert("raw", self.obj.table, rows, key=["source_id"], conn=conn)
            if quarantined:
                self.warehouse.upsert("raw", "quarantine", quarantined, key=["quarantine_id"], conn=conn)
            if cursor is not None:
                self._write_state(conn, cursor_value=cursor, now=now)
        self.stats.pages += 1

    def finish(self) -> SyncStats:
        """Close the sync: after a full listing, records not seen are marked deleted."""
        now = utcnow().isoformat()
        with self.warehouse.transaction() as conn:
            if self.full_refresh:
                gone = [sid for sid, (_h, deleted) in self._known.items() if sid not in self._seen and not deleted]
                for start in range(0, len(gone), 500):
                    chunk = gone[start:start + 500]
                    conn.execute(
                        self.table.update().where(self.table.c.source_id.in_(chunk))
                        .values(_deleted=True, _deleted_at=now, _synced_at=now)
                    )
                self.stats.deleted = len(gone)
            self._write_state(conn, now=now, full=self.full_refresh)
        return self.stats

    def _write_state(self, conn: sa.Connection, *, now: str, cursor_value: str | None = None,
                     full: bool = False) -> None:
        row: dict[str, Any] = {"source": self.obj.source, "source_object": self.obj.source_object,
                               "updated_at": now}
        update = ["updated_at"]
        if cursor_value is not None:
            row["cursor_value"] = cursor_value
            update.append("cursor_value")
        if full:
            row["last_full_sync_at"] = now
            update.append("last_full_sync_at")
        self.warehouse.upsert("raw", "sync_state", [row], key=["source", "source_object"], conn=conn,
                              update=update)

    def _quarantine_row(self, record: Record, reason: str, now: str) -> dict[str, Any]:
        self.stats.quarantined += 1
        self.stats.quarantine_reasons[reason] = self.stats.quarantine_reasons.get(reason, 0) + 1
        text = json.dumps(record, default=str, sort_keys=True)
        return {
            "quarantine_id": hashlib.sha256(f"{self.obj.key}|{reason}|{text}".encode()).hexdigest()[:32],
            "source": self.obj.source,
            "source_object": self.obj.source_object,
            "record_key": str(record.get("id") or record.get("Id") or "?"),
            "reason": reason,
            "payload": text,
            "quarantined_at": now,
        }


def load_payloads(warehouse: Warehouse, keys: Iterable[str] | None = None) -> dict[str, list[Record]]:
    """The live (not deleted) payloads of raw objects, by ``source/object`` key."""
    out: dict[str, list[Record]] = {}
    for key in keys or RAW_OBJECTS:
        table = warehouse.table("raw", RAW_OBJECTS[key].table)
        with warehouse.engine.connect() as conn:
            values = conn.execute(
                sa.select(table.c.payload).where(table.c._deleted.is_(False)).order_by(table.c.source_id)
            ).scalars().all()
        out[key] = [json.loads(v) if isinstance(v, str) else v for v in values]
    return out
