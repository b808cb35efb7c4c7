"""The data dictionary: every staging and analytics table, view and column described once, in
``hub/dictionary.yaml``, and everything generated from it.

- ``docs/data-dictionary.md`` for people (``render_markdown``);
- ``sql/postgres/990_data_dictionary.sql``: ``COMMENT ON TABLE/COLUMN`` for BI tools reading the
  catalog, personal columns marked ``PII.`` so the masked views (``analytics_masked``) mask them;
- the Dagster catalog's Columns tab: ``dagster/column_schema`` on each asset (``with_column_schemas``).

``hub dictionary --write`` regenerates both files after an edit; ``tests/test_data_dictionary.py``
fails when a column of a migrated warehouse has no description, an entry names a column that no
longer exists, or a generated file is stale.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import yaml

ROOT = Path(__file__).resolve().parent.parent
DICTIONARY_FILE = Path(__file__).with_name("dictionary.yaml")
MARKDOWN_FILE = ROOT / "docs" / "data-dictionary.md"
# Sorts after every other DDL file (sql/ and sql/postgres/): the tables it comments exist by then.
COMMENTS_FILE = ROOT / "sql" / "postgres" / "990_data_dictionary.sql"
PII_MARK = "PII."  # how a column COMMENT starts for personal data: analytics_masked.is_personal reads it
LAYERS = ("staging", "analytics")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str
    pii: bool = False


@dataclass(frozen=True)
class Table:
    layer: str
    name: str
    description: str
    columns: tuple[Column, ...]
    kind: str = "table"  # or "view"

    @property
    def qualified(self) -> str:
        return f"{self.layer}.{self.name}"

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


@functools.cache
def load(path: Path = DICTIONARY_FILE) -> dict[str, Table]:
    """The dictionary's tables by ``layer.name``, in the file's order."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    tables: dict[str, Table] = {}
    for qualified, spec in document["tables"].items():
        layer, name = qualified.split(".", 1)
        columns = tuple(Column(column, str(entry.get("type") or "text"), str(entry.get("description") or "").strip(),
                               bool(entry.get("pii", False)))
                        for column, entry in (spec.get("columns") or {}).items())
        tables[qualified] = Table(layer, name, str(spec.get("description") or "").strip(), columns,
                                  str(spec.get("kind") or "table"))
    return tables


def table(layer: str, name: str) -> Table | None:
    return load().get(f"{layer}.{name}")


def pii_columns(layer: str, name: str) -> list[str]:
    """The columns the dictionary tags as personal data (email, phone, people's names)."""
    described = table(layer, name)
    return [c.name for c in described.columns if c.pii] if described else []


# -- Dagster -----------------------------------------------------------------------------------

def asset_table(key: dg.AssetKey | str) -> Table | None:
    """The dictionary table an asset writes: the one its key names (``analytics/customers``), else
    the one table its steps declare it writes (``analytics/reports/weekly_acquisition`` -> analytics.reports;
    of several, the one its key starts with: the reports' delivery ledger is not their Columns tab)."""
    path = key.path if isinstance(key, dg.AssetKey) else key.split("/")
    if len(path) == 2 and table(path[0], path[1]):
        return table(path[0], path[1])
    from hub.pipeline.steps import STEPS  # the registry, filled by the step modules assets/ imports

    asset = "/".join(path)
    written = {t for s in STEPS.values() if asset in s.assets for t in s.writes if t in load()}
    if len(written) > 1 and f"{path[0]}.{path[1]}" in written:
        return load()[f"{path[0]}.{path[1]}"]
    return load()[written.pop()] if len(written) == 1 else None


def column_schema(key: dg.AssetKey | str) -> dg.TableSchema | None:
    """The Columns tab of an asset (None when it writes no one dictionary table)."""
    described = asset_table(key)
    if described is None:
        return None
    return dg.TableSchema(columns=[
        dg.TableColumn(c.name, c.type, description=c.description, tags={"pii": "true"} if c.pii else None)
        for c in described.columns])


def _with_schema(spec: dg.AssetSpec) -> dg.AssetSpec:
    schema = column_schema(spec.key)
    if schema is None or "dagster/column_schema" in spec.metadata:
        return spec
    return spec.merge_attributes(metadata={"dagster/column_schema": schema})


def with_column_schemas(assets: Iterable[Any]) -> list[Any]:
    """The assets, each writing a dictionary table carrying its column schema in its metadata."""
    return [dg.map_asset_specs(_with_schema, [a])[0] if isinstance(a, dg.AssetsDefinition | dg.AssetSpec) else a
            for a in assets]


# -- generated files ---------------------------------------------------------------------------

def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(tables: dict[str, Table] | None = None) -> str:
    tables = load() if tables is None else tables
    lines = ["# Data dictionary", "",
             "Every table, view and column of the `staging` and `analytics` layers. Generated from",
             "`hub/dictionary.yaml` by `hub dictionary --write`: edit the YAML, not this file. The same",
             "descriptions are the PostgreSQL COMMENTs (`\\d+ analytics.customers` in psql, or your BI tool's",
             "catalog) and the Columns tab of each asset in the Dagster UI. **PII** marks personal data: masked",
             "in `analytics_masked` for `hub_bi_reader`, erased by `hub erase` (docs/governance.md).", ""]
    for layer in LAYERS:
        lines += [f"## {layer}", ""]
        lines += [f"- [`{t.qualified}`](#{t.layer}{t.name}){' (view)' if t.kind == 'view' else ''}: "
                  f"{_cell(t.description)}"
                  for t in tables.values() if t.layer == layer]
        lines.append("")
    for t in tables.values():
        lines += [f"### {t.qualified}", "", f"{'View. ' if t.kind == 'view' else ''}{t.description}", "", "| column | type | description |", "|---|---|---|"]
        lines += [f"| `{c.name}` | {c.type} | {'**PII** ' if c.pii else ''}{_cell(c.description)} |"
                  for c in t.columns]
        lines.append("")
    return "\n".join(lines)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def render_comments_sql(tables: dict[str, Table] | None = None) -> str:
    tables = load() if tables is None else tables
    lines = ["-- PostgreSQL only. GENERATED from hub/dictionary.yaml by `hub dictionary --write`: do not edit.",
             f"-- The data dictionary as COMMENTs; personal columns' comments start with '{PII_MARK}', which",
             "-- analytics_masked.is_personal reads, so the masked views follow the dictionary.", ""]
    for t in tables.values():
        lines.append(f"COMMENT ON {t.kind.upper()} {t.layer}.{t.name} IS {_literal(t.description)};")
        for c in t.columns:
            text = f"{PII_MARK} {c.description}" if c.pii else c.description
            lines.append(f"COMMENT ON COLUMN {t.layer}.{t.name}.{c.name} IS {_literal(text)};")
        lines.append("")
    lines += [
        "-- Personal: the governance name rule (081) or a dictionary PII tag.",
        "CREATE OR REPLACE FUNCTION analytics_masked.is_personal(tbl TEXT, col TEXT) RETURNS BOOLEAN",
        "LANGUAGE sql STABLE AS $f$",
        "    SELECT col ~ '(email|phone|contact_name)' OR (tbl = 'contacts' AND col IN ('name', 'title'))",
        "        OR EXISTS (SELECT FROM pg_attribute a",
        "                    WHERE a.attrelid = to_regclass(format('analytics.%I', tbl)) AND a.attname = col",
        f"                      AND col_description(a.attrelid, a.attnum) LIKE '{PII_MARK}%')",
        "$f$;",
        "",
        "SELECT analytics_masked.refresh();",
        ""]
    return "\n".join(lines)


def generated() -> dict[Path, str]:
    """Each generated file with the text it should have."""
    return {MARKDOWN_FILE: render_markdown(), COMMENTS_FILE: render_comments_sql()}


def stale_files() -> list[Path]:
    return [path for path, text in generated().items()
            if not path.exists() or path.read_text(encoding="utf-8") != text]


def write() -> list[Path]:
    """Regenerate the files that differ from the dictionary; return them."""
    changed = stale_files()
    for path, text in generated().items():
        if path in changed:
            path.write_text(text, encoding="utf-8")
    return changed


def undescribed(columns_by_table: dict[str, Sequence[str]]) -> list[str]:
    """``layer.table.column`` of a warehouse's columns the dictionary lacks or leaves blank, and of
    entries naming a table or column the warehouse does not have (stale)."""
    problems: list[str] = []
    tables = load()
    for qualified, columns in columns_by_table.items():
        described = tables.get(qualified)
        if described is None or not described.description:
            problems.append(f"{qualified}: no table description")
        problems += [f"{qualified}.{c}: no description" for c in columns
                     if described is None or not (described.column(c) and described.column(c).description)]
        if described is not None:
            problems += [f"{qualified}.{c.name}: stale (no such column)" for c in described.columns
                         if c.name not in columns]
    problems += [f"{q}: stale (no such table)" for q in tables if q not in columns_by_table]
    return problems
