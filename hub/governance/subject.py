"""Who is being erased: from what the operator names (an email address, a contact id, a source
record, a customer id) to every id, address, name and phone number the warehouse knows them by.

A person is found through ``staging.people`` and ``analytics.contacts`` (and raw person records
the source has since deleted, which staging no longer shows); a customer (a company) through its
crosswalk rows, the staging records hanging off them and the people of those records.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from hub.raw_objects import RAW_OBJECTS, RawObject
from hub.warehouse import Warehouse

REDACTED = "[erased]"
_MIN_NEEDLE = 3  # shorter texts (initials, "-") would redact unrelated values


@dataclass
class Subject:
    """Everything that identifies the person or company to erase."""

    selector: str  # what the operator named, e.g. "email" (kept out of the audit log in clear)
    emails: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    own_records: set[str] = field(default_factory=set)  # source:object:id wholly theirs: deleted everywhere
    people_rows: set[str] = field(default_factory=set)  # their staging.people rows (some are also a company's)
    contact_ids: set[str] = field(default_factory=set)
    customer_ids: set[str] = field(default_factory=set)
    usage_refs: set[str] = field(default_factory=set)  # ids usage events name the customer by
    tracking_ids: set[str] = field(default_factory=set)  # raw.tracking_customers ids (seed 001)

    def needles(self) -> list[str]:
        """The texts to find and redact anywhere, longest first (a name inside an address goes with it)."""
        found = {t.strip() for t in self.emails | self.names | self.phones if t and len(t.strip()) >= _MIN_NEEDLE}
        return sorted(found - {REDACTED}, key=lambda t: (-len(t), t))

    def found(self) -> bool:
        return bool(self.emails or self.own_records or self.people_rows or self.contact_ids or self.customer_ids)


def raw_object_of(record_id: str) -> tuple[RawObject, str] | None:
    """``source:object:id`` -> (its raw object, its source id)."""
    parts = record_id.split(":", 2)
    if len(parts) != 3:
        return None
    source, source_object, source_id = parts
    obj = next((o for o in RAW_OBJECTS.values() if (o.source, o.source_object) == (source, source_object)), None)
    return (obj, source_id) if obj else None


def _rows(warehouse: Warehouse, layer: str, name: str, where) -> list[dict]:  # noqa: ANN001
    table = warehouse.table(layer, name)
    with warehouse.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(table).where(where(table.c)))]


def _texts(values) -> set[str]:  # noqa: ANN001
    return {str(v).strip() for v in values if v is not None and str(v).strip()}


def _add_people(warehouse: Warehouse, subject: Subject, rows: list[dict]) -> None:
    subject.people_rows |= _texts(r["record_id"] for r in rows)
    subject.emails |= {e.lower() for e in _texts(r["email"] for r in rows)}
    subject.names |= _texts(r["name"] for r in rows)
    subject.phones |= _texts(r["phone"] for r in rows)


def resolve_person(warehouse: Warehouse, subject: Subject, *, emails: set[str] = frozenset(),
                   records: set[str] = frozenset(), contact_ids: set[str] = frozenset()) -> Subject:
    """Grow ``subject`` with a person's every record, address, name and phone number."""
    subject.emails |= {e.strip().lower() for e in emails}
    if contact_ids:
        contacts = _rows(warehouse, "analytics", "contacts", lambda c: c.contact_id.in_(sorted(contact_ids)))
        subject.contact_ids |= _texts(r["contact_id"] for r in contacts)
        subject.emails |= {e.lower() for e in _texts(r["email"] for r in contacts)}
        subject.names |= _texts(r["name"] for r in contacts)
        subject.phones |= _texts(r["phone"] for r in contacts)
    wanted = set(records)
    for _ in range(3):  # an address leads to records, a record to another address: until nothing is new
        before = (len(subject.emails), len(subject.people_rows))
        asked = sorted(wanted)
        people = _rows(warehouse, "staging", "people", lambda c, asked=asked: sa.or_(
            sa.func.lower(sa.func.trim(c.email)).in_(sorted(subject.emails)), c.record_id.in_(asked)))
        _add_people(warehouse, subject, people)
        wanted |= subject.people_rows
        if (len(subject.emails), len(subject.people_rows)) == before:
            break
    contacts = _rows(warehouse, "analytics", "contacts", lambda c: sa.func.lower(c.email).in_(sorted(subject.emails)))
    subject.contact_ids |= _texts(r["contact_id"] for r in contacts)
    subject.names |= _texts(r["name"] for r in contacts)
    subject.phones |= _texts(r["phone"] for r in contacts)
    # A staging.people row of a record that is also a company (an Airtable application) is the
    # person's row, but the record is the company's: it is redacted, not deleted.
    companies = {r["record_id"] for r in _rows(warehouse, "staging", "companies",
                                                lambda c: c.record_id.in_(sorted(subject.people_rows)))}
    subject.own_records |= {r for r in subject.people_rows | set(records) if r not in companies}
    # Person records the source has deleted are out of staging but still in raw.
    person_objects = {(raw_object_of(r) or (None,))[0] for r in subject.own_records} - {None}
    person_objects |= {o for o in RAW_OBJECTS.values() if o.source_object == "contacts"}
    for obj in person_objects:
        table = warehouse.table("raw", obj.table)
        if "email" in table.c and subject.emails:
            for row in _rows(warehouse, "raw", obj.table,
                             lambda c: sa.func.lower(sa.func.trim(c.email)).in_(sorted(subject.emails))):
                subject.own_records.add(f"{obj.source}:{obj.source_object}:{row['source_id']}")
    if subject.emails:
        tracking = _rows(warehouse, "raw", "tracking_customers",
                         lambda c: sa.func.lower(sa.func.trim(c.email)).in_(sorted(subject.emails)))
        subject.tracking_ids |= _texts(r["customer_id"] for r in tracking)
    return subject


def resolve_customer(warehouse: Warehouse, subject: Subject, customer_id: str) -> Subject:
    """Grow ``subject`` with a customer (a company): its records, children, people and usage ids."""
    merged = _rows(warehouse, "analytics", "customer_merges", lambda c: c.customer_id == customer_id)
    ids = {customer_id} | _texts(r["old_customer_id"] for r in merged)
    crosswalk = _rows(warehouse, "analytics", "customer_sources", lambda c: c.customer_id.in_(sorted(ids)))
    if not crosswalk and not _rows(warehouse, "analytics", "customers", lambda c: c.customer_id.in_(sorted(ids))):
        return subject
    subject.customer_ids |= ids
    companies_of = {f"{r['source']}:{r['source_object']}:{r['source_id']}" for r in crosswalk}
    subject.own_records |= companies_of
    for row in _rows(warehouse, "staging", "companies", lambda c: c.record_id.in_(sorted(companies_of))):
        subject.names |= _texts([row["company"]])
        subject.emails |= {e.lower() for e in _texts([row["email"]])}
        subject.phones |= _texts([row["phone"]])
        subject.usage_refs |= _texts([row["application_id"], row["hubspot_company_id"], row["salesforce_account_id"]])
    for row in _rows(warehouse, "analytics", "customers", lambda c: c.customer_id.in_(sorted(ids))):
        subject.names |= _texts([row["name"]])
        subject.names |= _texts([row["domain"]])  # found in websites and addresses too
    subject.usage_refs |= ids
    for name in ("activities", "deals", "surveys", "usage_reports"):
        children = _rows(warehouse, "staging", name, lambda c: c.company_record_id.in_(sorted(companies_of)))
        subject.own_records |= _texts(r["record_id"] for r in children)
    people = _rows(warehouse, "staging", "people", lambda c: c.company_record_id.in_(sorted(companies_of)))
    return resolve_person(warehouse, subject, records={r["record_id"] for r in people} | companies_of,
                          emails={r["email"] for r in people if r["email"]})
