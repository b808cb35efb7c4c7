"""Erasure in the sources too (``hub erase --propagate``, off by default): after the warehouse has
forgotten a person, ask the sources to forget them as well.

- HubSpot contacts: the GDPR delete (``POST /crm/v3/objects/contacts/gdpr-delete``), which purges
  the contact for good.
- Salesforce Contacts: deleted (to the org's recycle bin; empty it, or let Salesforce, for good).
- Airtable applications that name the person as their contact: the contact's cells are cleared
  (the application is the company's record, so it stays).

Company records, deals, tickets and cases are business records: erasing a customer propagates
only its people. Each call goes through the source's connector (paced and retried as the syncs);
a source that refuses or is not configured is reported, never hidden, and the warehouse erasure
stands either way. Run it again to retry: a record already gone counts as gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub.governance.subject import Subject, raw_object_of
from hub.playbooks.execute import Crms
from hub.raw import SourceError

PERSON_OBJECTS = {("hubspot", "contacts"), ("salesforce", "Contact")}
AIRTABLE_CONTACT_FIELDS = ("contact_name", "email", "phone", "job_title")


@dataclass
class Propagated:
    record: str  # source:object:id
    outcome: str  # deleted, cleared, already gone, would delete, would clear, failed
    detail: str = ""

    def line(self) -> str:
        return f"{self.record}: {self.outcome}" + (f" ({self.detail})" if self.detail else "")


def targets(subject: Subject) -> tuple[list[str], list[str]]:
    """(person records to delete, Airtable applications whose contact cells to clear)."""
    deletes, clears = [], []
    for record in sorted(subject.own_records | subject.people_rows):
        found = raw_object_of(record)
        if found is None:
            continue
        obj, _ = found
        if (obj.source, obj.source_object) in PERSON_OBJECTS and record in subject.own_records:
            deletes.append(record)
        elif (obj.source, obj.source_object) == ("airtable", "applications") and record in subject.people_rows:
            clears.append(record)
    return deletes, clears


def propagate(subject: Subject, config: dict[str, Any], crms: Crms, *, dry_run: bool = False) -> list[Propagated]:
    """Delete (or clear) the person in each source; one outcome per record."""
    deletes, clears = targets(subject)
    out: list[Propagated] = []
    for record in deletes:
        source, obj, source_id = record.split(":", 2)
        if dry_run:
            out.append(Propagated(record, "would delete"))
            continue
        try:
            connector = crms.get(source)
            gone = connector.gdpr_delete_contact(source_id) if source == "hubspot" \
                else connector.delete_record(obj, source_id)
            out.append(Propagated(record, "deleted" if gone else "already gone",
                                  "GDPR delete" if source == "hubspot" else "to the recycle bin"))
        except SourceError as exc:
            out.append(Propagated(record, "failed", str(exc)))
    fields = config["airtable"]["fields"]["applications"]
    table = config["airtable"]["tables"]["applications"]
    cells = {fields[k]: None for k in AIRTABLE_CONTACT_FIELDS if fields.get(k)}
    for record in clears:
        if dry_run:
            out.append(Propagated(record, "would clear", ", ".join(cells)))
            continue
        try:
            crms.get("airtable").update_records(table, [{"id": record.split(":", 2)[2], "fields": cells}])
            out.append(Propagated(record, "cleared", ", ".join(cells)))
        except SourceError as exc:
            out.append(Propagated(record, "failed", str(exc)))
    return out
