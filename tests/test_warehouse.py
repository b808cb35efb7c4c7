"""The warehouse on both backends: DDL applied idempotently, raw landing, upserts."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest
import sqlalchemy as sa
from conftest import POSTGRES_URL, postgres_database

from hub.config import load_config
from hub.raw import RAW_OBJECTS, RawSync, load_payloads
from hub.warehouse import Warehouse, normalise_url

REQUIRED = os.environ.get("HUB_REQUIRE_POSTGRES") == "1"

CONTRACT = {
    "customers": {"customer_id", "name", "domain", "industry", "lifecycle_stage", "owner", "mrr", "arr",
                  "health_score", "health_band", "first_seen_at", "updated_at"},
    "customer_sources": {"source", "source_object", "source_id", "customer_id", "match_rule", "match_score"},
    "contacts": {"contact_id", "customer_id", "email", "name", "title"},
    "deals": {"deal_id", "customer_id", "source", "source_id", "name", "stage", "amount", "probability",
              "close_date", "is_closed", "is_won"},
    "applications": {"application_id", "customer_id", "company", "status", "priority_score", "lead_score",
                     "applied_on", "source"},
    "usage_daily": {"customer_id", "date", "api_calls", "sign_operations", "verify_operations", "errors",
                    "error_rate", "active_users", "storage_bytes", "cost"},
    "customer_health": {"customer_id", "as_of", "usage_score", "support_score", "relationship_score",
                        "outcome_score", "health_score", "health_band", "coverage", "delta_7d", "delta_30d"},
    "customer_health_history": {"customer_id", "as_of", "health_score", "health_band"},
    "kpi_daily": {"date", "kpi", "value", "target", "status"},
    "alerts": {"alert_id", "rule", "severity", "customer_id", "message", "status", "first_fired_at",
               "last_fired_at", "resolved_at", "delivery_status"},
}


def test_every_contract_table_exists_with_its_columns(warehouse: Warehouse) -> None:
    for table, columns in CONTRACT.items():
        present = {c.name for c in warehouse.table("analytics", table).columns}
        assert columns <= present, f"{table} lacks {columns - present}"
    expected = "analytics.customers" if warehouse.is_postgres else "customers"
    assert warehouse.qualified("analytics", "customers") == expected
    assert warehouse.migrate() == []  # second application: nothing to do


def _companies(n: int, name: str = "Acme") -> list[dict]:
    return [{"id": str(i), "properties": {"name": f"{name} {i}", "domain": f"acme{i}.com"},
             "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-02T00:00:00.000Z",
             "archived": False} for i in range(n)]


def test_raw_landing_is_idempotent_and_marks_deletions(warehouse: Warehouse) -> None:
    obj, config = RAW_OBJECTS["hubspot/companies"], load_config()
    sync = RawSync(warehouse, obj, config)
    sync.add_page(_companies(3) + [{"properties": {"name": "no id"}}], cursor="c1")
    first = sync.finish()
    assert (first.inserted, first.quarantined) == (3, 1)

    again = RawSync(warehouse, obj, config)
    again.add_page(_companies(3))
    assert again.finish().unchanged == 3

    changed = _companies(2, name="Renamed")
    third = RawSync(warehouse, obj, config)
    third.add_page(changed)
    stats = third.finish()
    assert (stats.updated, stats.deleted) == (2, 1)
    assert warehouse.count("raw", obj.table) == 3  # the deleted record is marked, not erased
    live = load_payloads(warehouse, ["hubspot/companies"])["hubspot/companies"]
    assert sorted(p["properties"]["name"] for p in live) == ["Renamed 0", "Renamed 1"]
    quarantine = warehouse.read("raw", "quarantine")
    assert quarantine["reason"].tolist() == ["record has no id"]
    assert json.loads(quarantine["payload"][0])["properties"]["name"] == "no id"


def test_cursor_commits_with_its_page(warehouse: Warehouse) -> None:
    obj = RAW_OBJECTS["salesforce/Account"]
    sync = RawSync(warehouse, obj, load_config(), full_refresh=False)
    sync.add_page([{"Id": "001A", "Name": "Acme", "SystemModstamp": "2026-01-01T00:00:00.000+0000"}],
                  cursor="2026-01-01T00:00:00Z")
    # No finish(): as if the process died after the first page.
    assert RawSync(warehouse, obj, load_config()).cursor() == "2026-01-01T00:00:00Z"
    assert warehouse.count("raw", obj.table) == 1


def test_upsert_updates_in_place(warehouse: Warehouse) -> None:
    row = {"date": "2026-11-20", "kpi": "conversion_rate", "value": 9.0, "target": 15.0, "status": "red"}
    warehouse.upsert("analytics", "kpi_daily", pd.DataFrame([row]), key=["date", "kpi"])
    warehouse.upsert("analytics", "kpi_daily", pd.DataFrame([{**row, "value": 16.0, "status": "green"}]),
                     key=["date", "kpi"])
    frame = warehouse.read("analytics", "kpi_daily")
    assert len(frame) == 1 and frame.iloc[0]["status"] == "green"


def test_normalise_url_keeps_an_explicit_driver_and_picks_psycopg_3_for_a_bare_url() -> None:
    for explicit in ("postgresql+psycopg2://u@db:5432/hub", "postgresql+psycopg://u@db:5432/hub", "sqlite:///w.db"):
        assert normalise_url(explicit) == explicit
    for bare in ("postgresql://u@db:5432/hub", "postgres://u@db:5432/hub"):
        assert normalise_url(bare) == "postgresql+psycopg://u@db:5432/hub"  # psycopg 3 is a dependency


def test_the_postgres_fixture_names_the_server_that_does_not_answer() -> None:
    silent = "postgresql://postgres@127.0.0.1:1/hub_test"
    with pytest.raises(pytest.skip.Exception, match=r"server at 127\.0\.0\.1:1 does not answer"):
        postgres_database(silent, required=False)
    with pytest.raises(pytest.fail.Exception, match=r"server at 127\.0\.0\.1:1 does not answer"):
        postgres_database(silent, required=True)


@pytest.mark.postgres
def test_the_postgres_fixture_creates_its_database_when_the_server_answers_without_it() -> None:
    server = sa.make_url(normalise_url(postgres_database(POSTGRES_URL, required=REQUIRED)))
    name = f"hub_fixture_{os.getpid()}"
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    exists = sa.text("SELECT count(*) FROM pg_database WHERE datname = :name")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        postgres_database(server.set(database=name).render_as_string(hide_password=False), required=True)
        with admin.connect() as conn:
            assert conn.execute(exists, {"name": name}).scalar_one() == 1
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def test_timestamp_columns_compare_with_the_iso_text_the_pipeline_binds(warehouse: Warehouse) -> None:
    """psycopg 3 sent such text as VARCHAR, which PostgreSQL refuses to compare with TIMESTAMPTZ."""
    warehouse.upsert("analytics", "alert_deliveries", [
        {"delivery_id": f"d{n}", "alert_id": "a", "channel": "webhook", "notice": f"reminder-{n}", "status": "pending",
         "created_at": f"2026-11-2{n}T08:00:00+00:00", "claimed_at": f"2026-11-2{n}T08:00:00Z"} for n in (1, 2, 3)],
        key=["delivery_id"])
    d = warehouse.table("analytics", "alert_deliveries")
    since = warehouse.read("analytics", "alert_deliveries", ["delivery_id"],
                           where=sa.and_(d.c.created_at >= "2026-11-22T08:00:00+00:00",
                                         d.c.claimed_at < "2026-11-23T08:00:00"))  # naive text is UTC
    assert since["delivery_id"].tolist() == ["d2"]
    with warehouse.transaction() as conn:
        conn.execute(sa.update(d).where(d.c.claimed_at < "2026-11-22T00:00:00+00:00").values(claimed_at=None))
    assert warehouse.read("analytics", "alert_deliveries", ["delivery_id"],
                          where=d.c.claimed_at.is_(None))["delivery_id"].tolist() == ["d1"]
