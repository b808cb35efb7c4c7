"""Where personal data can live: every table of the warehouse, found by asking the database, and
which of their columns hold personal data (the data dictionary's PII tags).

Erasure searches every text and JSON column of every table listed here, so a table added later is
covered without anyone remembering to; the few tables it leaves alone are in ``NOT_SEARCHED``,
each with the reason (``tests/test_governance.py`` fails when one of them gains a personal column).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa

from hub import dictionary
from hub.warehouse import LAYERS, Warehouse

# Columns that hold personal data by name: email addresses, phone numbers, people's names.
PII_COLUMN = re.compile(r"email|phone|contact_name")
# People's names in columns whose name says less (a company's ``name`` is not personal data).
PERSON_NAME_COLUMNS = frozenset({("staging", "people", "name"), ("analytics", "contacts", "name"),
                                 ("staging", "people", "title"), ("analytics", "contacts", "title")})
# Tables erasure leaves alone, and why. They must hold no personal data.
NOT_SEARCHED = {
    "raw.hub_schema_migrations": "DDL versions and checksums",
    "raw.erasure_suppressions": "salted hashes of erased identities: the list that keeps them erased",
    "analytics.audit_log": "append-only; the hub records hashes and counts in it, never a person",
}


@dataclass(frozen=True)
class WarehouseTable:
    layer: str
    name: str

    @property
    def qualified(self) -> str:
        return f"{self.layer}.{self.name}"


def warehouse_tables(warehouse: Warehouse) -> list[WarehouseTable]:
    """Every base table of the warehouse's layers, as ``layer.name`` (views excluded)."""
    inspector = sa.inspect(warehouse.engine)
    found: list[WarehouseTable] = []
    if warehouse.is_postgres:
        for layer in LAYERS:
            found += [WarehouseTable(layer, t) for t in inspector.get_table_names(schema=layer)]
    else:
        for t in inspector.get_table_names():
            if t.startswith("sqlite_"):
                continue
            layer = next((p for p in ("raw", "staging") if t.startswith(p + "_")), "analytics")
            found.append(WarehouseTable(layer, t.removeprefix(layer + "_") if layer != "analytics" else t))
    return sorted(found, key=lambda t: (LAYERS.index(t.layer), t.name))


def searched_tables(warehouse: Warehouse) -> list[WarehouseTable]:
    return [t for t in warehouse_tables(warehouse) if t.qualified not in NOT_SEARCHED]


def is_text(column: sa.Column) -> bool:
    """Text and JSON columns: where an address, a name or a phone number can be."""
    kind = column.type
    if isinstance(kind, sa.types.TypeDecorator):
        kind = kind.impl_instance if hasattr(kind, "impl_instance") else kind.impl
    return isinstance(kind, sa.String | sa.Text | sa.JSON)


def pii_columns(layer: str, table: str, columns: list[str]) -> list[str]:
    """The columns of a table that hold personal data: tagged ``pii`` in the data dictionary
    (hub/dictionary.yaml), or named like personal data (a column the dictionary does not know yet)."""
    tagged = set(dictionary.pii_columns(layer, table))
    return [c for c in columns if c in tagged or PII_COLUMN.search(c) or (layer, table, c) in PERSON_NAME_COLUMNS]
