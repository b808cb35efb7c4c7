"""The mess real sources send, added to a tidy snapshot at documented shares.

``generate`` and ``write_usage_logs`` add it unless called with ``tidy=True``; the shares live in
one place, :class:`Mess`, so a test or a benchmark can scale them (``Mess().scaled(5)``) or set
one (``Mess(duplicate=0.1)``). Each kind of mess draws from its own seeded stream, so changing one
share never moves another, and the same arguments give the same data.

What each API does with "nothing" decides how a missing value looks (reference:
writes-events-and-gaps.md): Airtable leaves the field out of ``fields``; HubSpot sends a requested
property as ``null`` (and a cleared one often as ``""``); Salesforce sends every selected field,
unset ones as ``null``. The true company of every record is kept: a duplicate has its original's,
a record whose parent was deleted keeps its own.

See docs/synthetic-data.md for the list with the default shares and why they are what they are.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import pandas as pd

from hub.sourcedata import SourceData
from hub.synth import mess_fields, mess_links

# Shares that scale with Mess.scaled; the others split a group (which form of an empty value).
_RATES = (
    "blank", "bare_record", "nul", "emoji", "rtl", "long_text", "number_text", "date_forms",
    "duplicate", "deleted_parent", "usage_naive_time", "usage_time_forms", "usage_string_numbers",
    "usage_extra_fields", "usage_extra_column", "usage_bom", "usage_crlf",
)  # fmt: skip


@dataclass(frozen=True)
class Mess:
    """Shares of messy values, records and log lines (0..1). Defaults are the demo's and the tests'."""

    # Record fields, every source.
    blank: float = 0.08  # of optional values emptied (Airtable: left out; HubSpot/Salesforce: null)
    hubspot_empty_string: float = 0.3  # of HubSpot's emptied values sent as "" rather than null
    bare_record: float = 0.005  # Airtable records holding only their primary field
    nul: float = 0.003  # of company and person names with a NUL byte (U+0000) in them
    emoji: float = 0.01  # of names with an emoji
    rtl: float = 0.01  # of names in (or mixed with) Arabic or Hebrew script
    long_text: float = 0.01  # of free-text values (use case, notes, ticket body) 5,000-20,000 chars
    number_text: float = 0.15  # of numbers that may be text, written "1,200", " 42 ", "1.2e3"
    date_forms: float = 0.3  # of HubSpot datetimes in another allowed form (epoch ms / ISO)
    airtable_retyped: bool = True  # the base types a few number and date fields as text / dateTime
    # Whole records.
    duplicate: float = 0.01  # records imported twice: same content, new id
    deleted_parent: float = 0.01  # applications, companies and accounts deleted, children kept
    orphan_link_kept: float = 0.5  # of those children still naming the deleted parent's id
    # Usage-log lines and files (write_usage_logs), all still valid.
    usage_naive_time: float = 0.01  # of lines with a timestamp without a zone
    usage_time_forms: float = 0.02  # of lines with "+00:00", milliseconds or a space for "T"
    usage_string_numbers: float = 0.02  # of JSON lines with bytes/latency/cost/count as strings
    usage_extra_fields: float = 0.02  # of JSON lines with fields nobody asked for
    usage_extra_column: float = 0.3  # of CSV files with an extra column
    usage_bom: float = 0.3  # of CSV files starting with a UTF-8 byte-order mark
    usage_crlf: float = 0.3  # of files with CRLF line ends

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name != "airtable_retyped" and not 0 <= value <= 1:
                raise ValueError(f"Mess.{f.name} is a share between 0 and 1, got {value!r}")
        if self.nul + self.emoji + self.rtl > 1:
            raise ValueError("Mess.nul + Mess.emoji + Mess.rtl must not exceed 1")

    @classmethod
    def none(cls) -> Mess:
        """No mess at all: ``generate(mess=Mess.none())`` equals ``generate(tidy=True)``."""
        return cls(**{name: 0.0 for name in _RATES}, airtable_retyped=False)

    def scaled(self, factor: float) -> Mess:
        """Every rate times ``factor`` (capped at 1), e.g. ``Mess().scaled(10)`` for a harsh test."""
        scaled = {name: min(1.0, getattr(self, name) * factor) for name in _RATES}
        odd = scaled["nul"] + scaled["emoji"] + scaled["rtl"]
        if odd > 1:
            for name in ("nul", "emoji", "rtl"):
                scaled[name] /= odd
        return replace(self, **scaled)


def add_mess(data: SourceData, mess: Mess, seed: int) -> SourceData:
    """A messy copy of the tidy snapshot ``data`` (which is changed in place and returned)."""
    mess_fields.airtable(data.airtable, mess, seed)
    mess_fields.hubspot(data.hubspot, mess, seed)
    mess_fields.salesforce(data.salesforce, mess, seed)
    events = data.usage_events
    used = set(events["customer_id"].unique().tolist()) if "customer_id" in events else set()
    gone = mess_links.delete_parents(data, mess, seed, keep_ids=used)
    extra = mess_links.duplicate_records(data, mess, seed)
    truth = data.truth
    key = ["source", "source_object", "source_id"]
    if gone:
        truth = truth[~pd.MultiIndex.from_frame(truth[key]).isin(list(gone))]
    if extra:
        copies = pd.DataFrame.from_records(extra, columns=[*key, "new_id"])
        copies = copies.merge(truth, how="left", on=key, validate="one_to_one")
        copies["source_id"] = copies.pop("new_id")
        truth = pd.concat([truth, copies[list(truth.columns)]])
    data.truth = truth.reset_index(drop=True)
    return data
