"""Retention, the audit log and PII-safe access (issue 15), on both warehouses: the retention job
prunes only what is past its policy (and touches only the tables it declares), every finished run
is audited with its launcher and config hash, the log refuses changes on both, and the BI
role reads masked personal data only."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from hub import lineage
from hub.governance import audit
from hub.governance.tables import pii_columns, warehouse_tables
from hub.pipeline.steps import STEPS
from hub.warehouse import Warehouse

NOW = dt.datetime.now(dt.UTC)
OLD = (NOW - dt.timedelta(days=1000)).isoformat()
RECENT = (NOW - dt.timedelta(days=1)).isoformat()


def _seed(warehouse: Warehouse) -> None:
    def raw_contact(source_id: str, deleted: bool, at: str) -> dict:
        return {"source_id": source_id, "email": f"{source_id}@example.com", "payload": "{}", "_hash": "h",
                "_synced_at": at, "_deleted": deleted, "_deleted_at": at if deleted else None}

    warehouse.write("raw", "hubspot_contacts", [raw_contact("gone-old", True, OLD), raw_contact("gone-new", True, RECENT),
                                                raw_contact("live-old", False, OLD)], key=["source_id"])
    warehouse.write("raw", "quarantine", [
        {"quarantine_id": q, "source": "hubspot", "source_object": "contacts", "record_key": q, "reason": "r",
         "payload": "{}", "quarantined_at": at} for q, at in (("q-old", OLD), ("q-new", RECENT))], key=["quarantine_id"])
    warehouse.write("analytics", "customer_health_history", [
        {"customer_id": "c1", "as_of": day[:10], "health_score": 50.0, "health_band": "critical",
         "coverage": 1.0} for day in (OLD, RECENT)],
        key=["customer_id", "as_of"])
    warehouse.write("analytics", "alerts", [
        {"alert_id": a, "rule": "r", "severity": "low", "entity_type": "customer", "entity_id": a, "message": "m",
         "status": status, "first_fired_at": OLD, "last_fired_at": OLD, "resolved_at": resolved,
         "delivery_status": "delivered"}
        for a, status, resolved in (("a-resolved-old", "resolved", OLD), ("a-open", "open", None),
                                    ("a-resolved-new", "resolved", RECENT))], key=["alert_id"])
    warehouse.write("analytics", "alert_deliveries", [
        {"delivery_id": d, "alert_id": "a-open", "channel": "slack", "notice": d, "status": status,
         "attempts": 1, "created_at": OLD} for d, status in (("d-sent", "sent"), ("d-pending", "pending"))],
        key=["delivery_id"])


def _ids(warehouse: Warehouse, layer: str, name: str, column: str) -> set[str]:
    return set(warehouse.read(layer, name, [column])[column])


def test_retention_job_prunes_what_is_past_its_policy(warehouse: Warehouse, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_HOME", str(tmp_path))
    monkeypatch.setenv("HUB_WAREHOUSE_URL", warehouse.url)
    _seed(warehouse)
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "old.md").write_text("old")
    (reports / "new.md").write_text("new")
    old_time = (NOW - dt.timedelta(days=1000)).timestamp()
    os.utime(reports / "old.md", (old_time, old_time))
    from hub.definitions import build_definitions

    defs = build_definitions()
    with lineage.tracing() as touched, dg.DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def("retention").execute_in_process(instance=instance)
    assert result.success
    assert _ids(warehouse, "raw", "hubspot_contacts", "source_id") == {"gone-new", "live-old"}
    assert _ids(warehouse, "raw", "quarantine", "quarantine_id") == {"q-new"}
    assert _ids(warehouse, "analytics", "customer_health_history", "as_of") == {RECENT[:10]}
    assert _ids(warehouse, "analytics", "alerts", "alert_id") == {"a-open", "a-resolved-new"}
    assert _ids(warehouse, "analytics", "alert_deliveries", "delivery_id") == {"d-pending"}
    assert sorted(p.name for p in reports.iterdir()) == ["new.md"]
    # What it removed is reported, table by table.
    runs = warehouse.read("analytics", "retention_runs")
    removed = dict(zip(runs["target"], runs["removed"], strict=True))
    assert removed["raw.hubspot_contacts"] == 1 and removed["raw.quarantine"] == 1
    assert removed["analytics.alerts"] == 1 and removed["HUB_HOME/reports"] == 1
    # It touched only what it declares (tests/test_lineage.py runs the nightly job the same way).
    declared = STEPS["apply_retention"]
    assert touched["apply_retention"] <= declared.reads | declared.writes | declared.history | declared.prunes


def _run_context(instance: dg.DagsterInstance, result: dg.ExecuteInProcessResult, sensor_name: str,
                 warehouse: Warehouse) -> dg.RunStatusSensorContext:
    from resources.config import HubConfigResource
    from resources.warehouse import WarehouseResource

    event = next(e for e in result.all_events if e.event_type_value in ("PIPELINE_SUCCESS", "RUN_SUCCESS"))
    return dg.build_run_status_sensor_context(
        sensor_name=sensor_name, dagster_instance=instance, dagster_run=result.dagster_run, dagster_event=event,
        resources={"warehouse": WarehouseResource(url=warehouse.url), "hub_config": HubConfigResource()})


def test_every_run_is_audited_and_the_log_is_append_only(warehouse: Warehouse, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_HOME", str(tmp_path))
    monkeypatch.setenv("HUB_WAREHOUSE_URL", warehouse.url)
    from hub.definitions import build_definitions
    from sensors.audit import audit_run_success_sensor

    job = build_definitions().resolve_job_def("retention")
    with dg.DagsterInstance.ephemeral() as instance:
        first = job.execute_in_process(instance=instance)
        audit_run_success_sensor(_run_context(instance, first, "audit_run_success_sensor", warehouse))
        second = job.execute_in_process(instance=instance, tags={"dagster/schedule_name": "retention_schedule"})
        audit_run_success_sensor(_run_context(instance, second, "audit_run_success_sensor", warehouse))
    entries = audit.entries(warehouse)
    assert [e["action"] for e in entries] == ["config_changed", "run_succeeded", "run_succeeded"]
    assert [e["target"] for e in entries[1:]] == [first.run_id, second.run_id]
    assert entries[1]["actor"].startswith("manual") and entries[2]["actor"] == "schedule:retention_schedule"
    # Append-only on both warehouses: a trigger refuses every UPDATE and DELETE.
    log = warehouse.qualified("analytics", "audit_log")
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), warehouse.transaction() as conn:
        conn.exec_driver_sql(f"UPDATE {log} SET actor = 'someone else'")
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), warehouse.transaction() as conn:
        conn.exec_driver_sql(f"DELETE FROM {log} WHERE action = 'config_changed'")
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), warehouse.transaction() as conn:
        conn.execute(warehouse.table("analytics", "audit_log").delete())
    if warehouse.is_postgres:
        with warehouse.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT has_table_privilege('hub_bi_reader', 'analytics.audit_log', 'SELECT'),"
                                        " has_table_privilege('hub_bi_reader', 'analytics.audit_log', 'UPDATE'),"
                                        " has_table_privilege('hub_bi_reader', 'analytics.audit_log', 'DELETE')"
                                        ).one() == (True, False, False)
    assert len(audit.entries(warehouse)) == 3


@pytest.mark.postgres
def test_bi_reader_sees_no_clear_text_email(warehouse: Warehouse) -> None:
    if not warehouse.is_postgres:
        pytest.skip("roles are PostgreSQL's; SQLite is single-user (docs/governance.md)")
    email = "dana.secret@example.org"
    warehouse.write("analytics", "contacts", [{"contact_id": "ct_1", "customer_id": "c1", "email": email,
                                               "name": "Dana Secret", "phone": "+1 555 0100 42"}], key=["contact_id"])
    warehouse.write("analytics", "applications", [{"application_id": "A-1", "email": email,
                                                   "contact_name": "Dana Secret"}], key=["application_id"])
    with warehouse.engine.connect() as conn:
        conn.exec_driver_sql("SET ROLE hub_bi_reader")
        readable = conn.exec_driver_sql(
            "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname IN ('analytics', 'analytics_masked') AND c.relkind IN ('r', 'v') "
            "AND has_table_privilege(c.oid, 'SELECT')").all()
        seen = []
        for schema, name in readable:
            seen += [str(v) for row in conn.exec_driver_sql(f'SELECT * FROM {schema}."{name}"').all() for v in row]
        assert ("analytics_masked", "contacts") in readable
        assert not any(email in v or "Dana Secret" in v for v in seen)
        assert "d***@example.org" in seen
        with pytest.raises(sa.exc.ProgrammingError):
            conn.exec_driver_sql("SELECT email FROM analytics.contacts").all()
        conn.rollback()
        conn.exec_driver_sql("SET ROLE hub_pii_reader")
        assert conn.exec_driver_sql("SELECT email FROM analytics.contacts").scalar() == email
        conn.rollback()
    # Every analytics table with a personal column is closed to the BI role and has a masked view.
    with warehouse.engine.connect() as conn:
        for table in warehouse_tables(warehouse):
            columns = list(warehouse.table(table.layer, table.name).c.keys())
            if table.layer != "analytics" or not pii_columns(table.layer, table.name, columns):
                continue
            assert not conn.exec_driver_sql(
                f"SELECT has_table_privilege('hub_bi_reader', 'analytics.{table.name}', 'SELECT')").scalar(), table
            assert conn.exec_driver_sql(f"SELECT to_regclass('analytics_masked.{table.name}')").scalar(), table


def test_retention_prunes_the_usage_event_store(warehouse: Warehouse, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """``usage_events`` retention removes whole days of the Parquet event store and reports them."""
    from hub.governance.retention import USAGE_EVENT_STORE
    from hub.pipeline.usage import ingest_usage
    from hub.usage import read_usage_events
    from hub.usage_store import UsageEventStore

    config = tmp_path / "hub.yaml"
    config.write_text("retention:\n  usage_events: 30\n", encoding="utf-8")
    monkeypatch.setenv("HUB_HOME", str(tmp_path))
    monkeypatch.setenv("HUB_WAREHOUSE_URL", warehouse.url)
    monkeypatch.setenv("HUB_CONFIG", str(config))
    old_day, new_day = (NOW - dt.timedelta(days=100)).date(), (NOW - dt.timedelta(days=1)).date()
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "usage.jsonl").write_text("".join(
        f'{{"timestamp": "{day}T{hour:02d}:00:00Z", "customer_id": "BETA-1", "event": "api_call"}}\n'
        for day, hour in ((old_day, 1), (old_day, 2), (new_day, 3))), encoding="utf-8")
    ingest_usage(warehouse, landing, {"usage": {"stable_seconds": 0}})
    root = UsageEventStore.of(warehouse).root
    assert sorted(p.name for p in root.iterdir()) == [f"day={old_day}", f"day={new_day}"]
    from hub.definitions import build_definitions

    with dg.DagsterInstance.ephemeral() as instance:
        result = build_definitions().resolve_job_def("retention").execute_in_process(instance=instance)
    assert result.success
    assert sorted(p.name for p in root.iterdir()) == [f"day={new_day}"]
    assert [str(t.date()) for t in read_usage_events(warehouse)["event_at"]] == [str(new_day)]
    runs = warehouse.read("analytics", "retention_runs").set_index("target")
    assert runs.loc[USAGE_EVENT_STORE, "removed"] == 2 and runs.loc[USAGE_EVENT_STORE, "keep_days"] == 30
    [materialization] = [e.event_specific_data.materialization for e in result.all_events
                         if e.event_type_value == "ASSET_MATERIALIZATION"]
    metadata = {k: v.value for k, v in materialization.metadata.items()}
    assert {k.removeprefix(f"removed {USAGE_EVENT_STORE} "): metadata[k] for k in metadata
            if k.startswith(f"removed {USAGE_EVENT_STORE} ")} == {"days": 1, "files": 1, "rows": 2}
