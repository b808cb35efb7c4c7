"""The data dictionary (hub/dictionary.yaml) describes every staging and analytics column of a freshly
migrated warehouse, names none that is gone, and its generated forms agree with it: the Markdown,
the PostgreSQL COMMENTs, and each asset's Columns tab."""

from __future__ import annotations

import dagster as dg
import pytest
import sqlalchemy as sa

from hub import dictionary
from hub.governance.tables import pii_columns, warehouse_tables
from hub.warehouse import Warehouse


def _columns(warehouse: Warehouse) -> dict[str, list[str]]:
    """Each staging and analytics table's and view's columns, as the migrated warehouse has them."""
    found = {t.qualified: list(warehouse.table(t.layer, t.name).c.keys())
             for t in warehouse_tables(warehouse) if t.layer in dictionary.LAYERS}
    inspector = sa.inspect(warehouse.engine)
    if warehouse.is_postgres:
        views = [(layer, view, layer) for layer in dictionary.LAYERS for view in inspector.get_view_names(schema=layer)]
    else:
        views = [("staging", v.removeprefix("staging_"), None) if v.startswith("staging_") else ("analytics", v, None)
                 for v in inspector.get_view_names() if not v.startswith("raw_")]
    for layer, view, schema in views:
        physical = view if warehouse.is_postgres or layer == "analytics" else f"{layer}_{view}"
        found[f"{layer}.{view}"] = [c["name"] for c in inspector.get_columns(physical, schema=schema)]
    return found


def test_every_column_is_described_and_no_entry_is_stale(warehouse: Warehouse) -> None:
    columns = _columns(warehouse)
    assert {"analytics.customers", "analytics.kpi_period", "staging.customers", "analytics.customer_overview"} \
        <= set(columns)
    assert dictionary.undescribed(columns) == []


def test_a_column_without_a_description_fails() -> None:
    columns = {q: [c.name for c in t.columns] for q, t in dictionary.load().items()}
    columns["analytics.customers"] = [*columns["analytics.customers"], "nickname"]
    columns["analytics.new_table"] = ["id"]
    del columns["staging.owners"]
    assert dictionary.undescribed(columns) == [
        "analytics.customers.nickname: no description",
        "analytics.new_table: no table description", "analytics.new_table.id: no description",
        "staging.owners: stale (no such table)"]


def test_generated_files_are_up_to_date() -> None:
    stale = [str(p.relative_to(dictionary.ROOT)) for p in dictionary.stale_files()]
    assert stale == [], "run `hub dictionary --write` after editing hub/dictionary.yaml"


@pytest.mark.postgres
def test_postgres_comments_and_types_are_the_dictionary(warehouse: Warehouse) -> None:
    if not warehouse.is_postgres:
        pytest.skip("COMMENTs are PostgreSQL's")
    with warehouse.engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT c.table_schema || '.' || c.table_name, c.column_name, c.data_type, "
            "       obj_description(format('%I.%I', c.table_schema, c.table_name)::regclass, 'pg_class'), "
            "       col_description(format('%I.%I', c.table_schema, c.table_name)::regclass, c.ordinal_position) "
            "FROM information_schema.columns c WHERE c.table_schema IN ('staging', 'analytics')")).all()
    tables = dictionary.load()
    for qualified, column, data_type, table_comment, column_comment in rows:
        described = tables[qualified]
        entry = described.column(column)
        assert table_comment == described.description, qualified
        expected = f"{dictionary.PII_MARK} {entry.description}" if entry.pii else entry.description
        assert column_comment == expected, f"{qualified}.{column}"
        assert data_type == entry.type, f"{qualified}.{column}: hub/dictionary.yaml says {entry.type}"


@pytest.mark.postgres
def test_masked_views_mask_what_the_dictionary_tags(warehouse: Warehouse) -> None:
    """A name the governance rule would not recognise (customers.owner_name) is masked because
    the dictionary tags it."""
    if not warehouse.is_postgres:
        pytest.skip("masked views are PostgreSQL's")
    warehouse.write("analytics", "customers", [{"customer_id": "c1", "name": "Acme", "owner_name": "Dana Owner",
                                                "owner_email": "dana@example.com",
                                                "first_seen_at": "2026-11-01T00:00:00+00:00", "updated_at": "2026-11-01T00:00:00+00:00"}], key=["customer_id"])
    with warehouse.engine.connect() as conn:
        conn.exec_driver_sql("SELECT analytics_masked.refresh()")
        row = conn.exec_driver_sql("SELECT name, owner_name, owner_email FROM analytics_masked.customers").one()
    assert tuple(row) == ("Acme", "D***", "d***@example.com")


def test_pii_tags_cover_the_governance_rule(sqlite_warehouse: Warehouse) -> None:
    """Every column the governance rule calls personal is tagged (but an email *domain*), and the
    rule reads the tags."""
    for qualified, columns in _columns(sqlite_warehouse).items():
        layer, name = qualified.split(".")
        tagged = set(dictionary.pii_columns(layer, name))
        assert set(pii_columns(layer, name, columns)) - tagged <= {"email_domain"}, qualified
        assert tagged <= set(pii_columns(layer, name, columns)), qualified
    assert {"email", "name", "title", "phone"} <= set(dictionary.pii_columns("analytics", "contacts"))
    assert "owner_name" in pii_columns("analytics", "customers", ["owner_name"])


def test_every_staging_and_analytics_asset_has_its_column_schema() -> None:
    """Each asset named after its table, and each asset whose step writes one dictionary table
    (analytics/reports/<name> -> analytics.reports), shows that table's columns in the catalog."""
    from hub.definitions import build_definitions
    from hub.pipeline.steps import STEPS

    specs = [spec for a in build_definitions().assets or [] if isinstance(a, dg.AssetsDefinition)
             for spec in a.specs]
    layered = [s for s in specs if s.key.path[0] in dictionary.LAYERS]
    assert len(layered) >= 20
    for spec in layered:
        assert dictionary.asset_table(spec.key), f"{spec.key.to_user_string()}: add its table to hub/dictionary.yaml"
    writers = [s for s in specs if s not in layered and any(
        s.key.to_user_string() in step.assets and step.writes & set(dictionary.load()) for step in STEPS.values())]
    for spec in layered + writers:
        schema = spec.metadata.get("dagster/column_schema")
        described = dictionary.asset_table(spec.key)
        assert isinstance(schema, dg.TableSchema), spec.key.to_user_string()
        assert [c.name for c in schema.columns] == [c.name for c in described.columns]
        assert all(c.description for c in schema.columns)
    contacts = next(s for s in layered if s.key == dg.AssetKey(["analytics", "contacts"]))
    email = next(c for c in contacts.metadata["dagster/column_schema"].columns if c.name == "email")
    assert email.tags == {"pii": "true"}


def test_hub_dictionary_names_a_stale_file(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from hub.cli import main

    assert main(["dictionary"]) == 0
    monkeypatch.setattr(dictionary, "render_markdown", lambda tables=None: "# changed\n")
    assert main(["dictionary"]) == 1
    assert "docs/data-dictionary.md is stale: run `hub dictionary --write`" in capsys.readouterr().err
