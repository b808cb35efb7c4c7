"""Messy field values of each source's records: emptied fields, odd names, long text, numbers
as text and other date forms, each missing value shaped the way that API sends it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from hub.synth import mess_values as mv
from hub.synth.wire import rng_for

if TYPE_CHECKING:
    from hub.synth.mess import Mess


@dataclass(frozen=True)
class Spec:
    """Which fields of one table or object get which mess."""

    keep: frozenset[str]  # never emptied: primary fields, required fields, system fields
    companies: tuple[str, ...] = ()  # company names
    people: tuple[str, ...] = ()  # person names
    long: tuple[str, ...] = ()  # free text
    numbers: tuple[str, ...] = ()  # numbers the API sends as text
    datetimes: tuple[str, ...] = ()  # HubSpot datetime properties
    text_numbers: tuple[str, ...] = ()  # Airtable numbers the messy base types as text
    text_percents: tuple[str, ...] = ()  # Airtable fractions the messy base types as text
    day_times: tuple[str, ...] = ()  # Airtable dates the messy base types as dateTime


AIRTABLE = {
    "Beta Applications": Spec(
        keep=frozenset({"Application ID"}), companies=("Company",), people=("Contact Name",),
        long=("Use Case", "Notes", "Current Challenge"),
        text_numbers=("Estimated Revenue",), text_percents=("Deal Probability",),
        day_times=("Next Follow-up",)),
    "Customer Interactions": Spec(keep=frozenset({"Interaction ID"}), long=("Summary", "Next Steps")),
    "Usage Analytics": Spec(keep=frozenset({"Customer ID"})),
    "Feedback & Surveys": Spec(
        keep=frozenset({"Survey ID"}), long=("Feature Requests", "Testimonial"),
        day_times=("Date Responded",)),
}  # fmt: skip
_HUBSPOT_SYSTEM = frozenset({"hs_object_id", "createdate", "hs_lastmodifieddate", "lastmodifieddate"})
HUBSPOT = {
    "companies": Spec(keep=_HUBSPOT_SYSTEM, companies=("name",), numbers=("annualrevenue",),
                      datetimes=("createdate", "hs_lastmodifieddate")),
    "contacts": Spec(keep=_HUBSPOT_SYSTEM, people=("firstname", "lastname"), companies=("company",),
                     datetimes=("createdate", "lastmodifieddate")),
    "deals": Spec(keep=_HUBSPOT_SYSTEM | {"dealstage", "pipeline"}, companies=("dealname",),
                  numbers=("amount",), datetimes=("createdate", "hs_lastmodifieddate", "closedate")),
    "tickets": Spec(keep=_HUBSPOT_SYSTEM | {"hs_pipeline", "hs_pipeline_stage"}, long=("content",),
                    datetimes=("createdate", "hs_lastmodifieddate", "closed_date")),
}  # fmt: skip
# Salesforce: system fields, booleans (never null) and each object's required fields stay filled.
_SF_SYSTEM = frozenset({"attributes", "Id", "CreatedDate", "LastModifiedDate", "SystemModstamp",
                        "IsDeleted", "IsClosed", "IsWon", "OwnerId"})
SALESFORCE = {
    "Account": Spec(keep=_SF_SYSTEM | {"Name"}, companies=("Name",)),
    "Contact": Spec(keep=_SF_SYSTEM | {"LastName"}, people=("FirstName", "LastName")),
    "Opportunity": Spec(keep=_SF_SYSTEM | {"Name", "StageName", "CloseDate"}, companies=("Name",)),
    "Case": Spec(keep=_SF_SYSTEM | {"Status"}),
}  # fmt: skip


def _present(cells: list[dict], name: str) -> list[int]:
    return [i for i, c in enumerate(cells) if c.get(name) not in (None, "")]


def _mess_cells(cells: list[dict], spec: Spec, mess: Mess, seed: int, where: str,
                empty: Callable[[dict, str, float], None]) -> None:
    """Odd names, long text, numbers as text, other date forms, retyped fields, then emptied
    values (``empty`` shapes them as the source's API does), each from its own stream."""
    def stream(step: str) -> np.random.Generator:
        return rng_for(seed, f"mess {where} {step}")

    odd = mess.nul + mess.emoji + mess.rtl
    for names, person in ((spec.companies, False), (spec.people, True)):
        for name in names:
            rows = _present(cells, name)
            draws = stream(f"name {name}").random((len(rows), 3))
            for r in np.flatnonzero(draws[:, 0] < odd).tolist():
                share, u, v = draws[r].tolist()
                kind = "nul" if share < mess.nul else "emoji" if share < mess.nul + mess.emoji else "rtl"
                cells[rows[r]][name] = mv.odd_name(cells[rows[r]][name], kind, u, v, person=person)
    changes: tuple[tuple[str, tuple[str, ...], float, Callable[[object, float], object]], ...] = (
        ("long", spec.long, mess.long_text, lambda _value, u: mv.long_text(u, int(u * 2**31))),
        ("number", spec.numbers, mess.number_text, lambda value, u: mv.number_as_text(float(value), u)),
        ("date", spec.datetimes, mess.date_forms, lambda value, u: mv.hubspot_datetime(str(value), u)),
    )
    for step, names, share, change in changes:
        for name in names:
            rows = _present(cells, name)
            draws = stream(f"{step} {name}").random((len(rows), 2))
            for r in np.flatnonzero(draws[:, 0] < share).tolist():
                cells[rows[r]][name] = change(cells[rows[r]][name], float(draws[r, 1]))
    if mess.airtable_retyped:
        _retype(cells, spec, stream, mess)
    for name in sorted({k for c in cells for k in c} - spec.keep):
        draws = stream(f"blank {name}").random((len(cells), 2))
        for i in np.flatnonzero(draws[:, 0] < mess.blank).tolist():
            if cells[i].get(name) not in (None, ""):
                empty(cells[i], name, float(draws[i, 1]))


def _retype(cells: list[dict], spec: Spec, stream: Callable[[str], np.random.Generator],
            mess: Mess) -> None:
    """Fields the messy base types differently: every value of the field changes type."""
    for names, convert in ((spec.text_numbers, "number"), (spec.text_percents, "percent"),
                           (spec.day_times, "datetime")):
        for name in names:
            rng = stream(f"retype {name}")
            rows = _present(cells, name)
            draws = rng.random((len(rows), 2)).tolist()
            for r, (odd, u) in zip(rows, draws, strict=True):
                value = cells[r][name]
                if convert == "datetime":
                    cells[r][name] = mv.airtable_datetime(value, u)
                elif convert == "percent":
                    cells[r][name] = mv.percent_text(value, u, odd=odd < mess.number_text)
                else:
                    cells[r][name] = (mv.number_as_text(value, u) if odd < mess.number_text
                                      else mv.plain_number_text(value))


def airtable(tables: dict[str, list[dict]], mess: Mess, seed: int) -> None:
    """Airtable: an emptied cell is left out of ``fields``; a few records keep only the primary."""
    def omit(cells: dict, name: str, _u: float) -> None:
        del cells[name]

    for table, records in tables.items():
        spec = AIRTABLE.get(table)
        if spec is None:
            continue
        cells = [r["fields"] for r in records]
        _mess_cells(cells, spec, mess, seed, f"airtable {table}", omit)
        bare = rng_for(seed, f"mess airtable {table} bare").random(len(cells))
        for i in np.flatnonzero(bare < mess.bare_record).tolist():
            records[i]["fields"] = {k: v for k, v in cells[i].items() if k in spec.keep}


def hubspot(objects: dict[str, list[dict]], mess: Mess, seed: int) -> None:
    """HubSpot: an emptied property is null, or "" as HubSpot often sends a cleared one."""
    def empty(props: dict, name: str, u: float) -> None:
        props[name] = "" if u < mess.hubspot_empty_string else None

    for kind, items in objects.items():
        spec = HUBSPOT.get(kind)
        if spec is not None:
            _mess_cells([o["properties"] for o in items], spec, mess, seed, f"hubspot {kind}", empty)


def salesforce(sobjects: dict[str, list[dict]], mess: Mess, seed: int) -> None:
    """Salesforce: every selected field is sent; an emptied one is null."""
    def null(record: dict, name: str, _u: float) -> None:
        record[name] = None

    for sobject, records in sobjects.items():
        spec = SALESFORCE.get(sobject)
        if spec is not None:
            _mess_cells(records, spec, mess, seed, f"salesforce {sobject}", null)
