"""The raw objects: which source object lands in which raw table, its typed columns, and how to
read its id, timestamps and field names. ``hub.raw`` lands them; staging reads them back.

Each source defines its own in ``hub/sources/<source>/objects.py`` (next to its sync and its
staging mapping); this module holds what they share and the registry of all of them.
"""

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


def typed_value(column: str, value: Any) -> Any:
    """A typed raw column's value: a number for NUMBER_FIELDS, else text."""
    return (number if column in NUMBER_FIELDS else text)(value)


def _registry() -> dict[str, RawObject]:
    from hub.sources.airtable.objects import OBJECTS as AIRTABLE
    from hub.sources.hubspot.objects import OBJECTS as HUBSPOT
    from hub.sources.salesforce.objects import OBJECTS as SALESFORCE

    return {o.key: o for o in [*AIRTABLE, *HUBSPOT, *SALESFORCE]}


RAW_OBJECTS: dict[str, RawObject] = _registry()
