"""One source down is not all down: HubSpot answers 401 and the night still builds customers,
health and alerts from Airtable, Salesforce and HubSpot's last good data, marked stale and alerted."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from hub import synth
from hub.emulators import start_emulators
from hub.raw import RAW_OBJECTS, stale_objects
from hub.warehouse import Warehouse

HUBSPOT_OBJECTS = [o.source_object for o in RAW_OBJECTS.values() if o.source == "hubspot"]  # all go red


@pytest.fixture(scope="module")
def sources():
    data = synth.generate(40, seed=5)
    with start_emulators(data, rate_limits=False) as running:
        yield data, running


def _checks(result: dg.ExecuteInProcessResult, asset: str) -> dict[str, bool]:
    key = dg.AssetKey(asset.split("/"))
    return {e.check_name: e.passed for e in result.get_asset_check_evaluations() if e.asset_key == key}


def test_a_source_that_answers_401_leaves_the_others_building(
        sources, warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data, running = sources
    for name, value in running.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HUB_HOME", str(tmp_path))
    monkeypatch.setenv("HUB_USAGE_LOG_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("HUB_WAREHOUSE_URL", warehouse.url)
    synth.write_usage_logs(data, tmp_path / "landing", seed=5)
    from hub.definitions import build_definitions, build_resources

    with dg.DagsterInstance.ephemeral() as instance:
        assert build_definitions().resolve_job_def("nightly_sync").execute_in_process(instance=instance).success
        customers_before = warehouse.count("analytics", "customers")
        health_before = warehouse.count("analytics", "customer_health_history")

        monkeypatch.setenv("HUBSPOT_TOKEN", "revoked-token")  # the next night HubSpot answers 401
        defs = build_definitions()
        result = defs.resolve_job_def("nightly_sync").execute_in_process(instance=instance)
        # The failed checks reach the check-alert sensor, which does not alert the same cause twice.
        from sensors.alerts import asset_check_alert_sensor

        asset_check_alert_sensor(dg.build_sensor_context(instance=instance, definitions=defs,
                                                         resources=build_resources()))

    # The run goes on: every step after the raw syncs ran, on every other source and HubSpot's last data.
    assert result.success
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    for asset in ["analytics/customers", "analytics/customer_health", "analytics/kpi_daily", "analytics/alerts"]:
        assert asset in materialized, asset
    assert warehouse.count("analytics", "customers") == customers_before
    assert warehouse.count("analytics", "customer_health_history") >= health_before
    hubspot_sources = warehouse.read("analytics", "customer_sources", ["source"])
    assert (hubspot_sources["source"] == "hubspot").sum() == len(data.hubspot["companies"]) - sum(
        1 for c in data.hubspot["companies"] if c.get("archived"))

    # HubSpot shows as failed in the UI: red checks on its raw assets, the error in its metadata.
    for obj in HUBSPOT_OBJECTS:
        checks = _checks(result, f"raw/hubspot/{obj}")
        assert checks["sync_succeeded"] is False, (obj, checks)
        assert checks["fresh"] is True  # the last good data is still young
    assert _checks(result, "raw/airtable/applications")["sync_succeeded"] is True
    meta = next(e.materialization.metadata for e in result.get_asset_materialization_events()
                if e.asset_key == dg.AssetKey(["raw", "hubspot", "companies"]))
    assert meta["source_status"].value == "failed" and "401" in meta["error"].value

    # Marked stale where BI and the team look, and alerted once per object.
    stale = stale_objects(warehouse)
    assert set(stale) == {f"hubspot/{o}" for o in HUBSPOT_OBJECTS}
    alerts = warehouse.read("analytics", "alerts", ["rule", "entity_id", "status", "message"])
    down = alerts[(alerts["rule"] == "source_sync_failed") & (alerts["status"] == "open")]
    assert sorted(down["entity_id"]) == sorted(f"hubspot/{o}" for o in HUBSPOT_OBJECTS)
    check_alerts = alerts[(alerts["rule"] == "asset_check_failed") & (alerts["status"] == "open")]
    assert not check_alerts["entity_id"].str.endswith(":sync_succeeded").any(), check_alerts
    assert down["message"].str.contains("HUBSPOT_TOKEN").all()

    # HubSpot back: the alerts resolve and nothing is stale.
    monkeypatch.setenv("HUBSPOT_TOKEN", running.env()["HUBSPOT_TOKEN"])
    with dg.DagsterInstance.ephemeral() as instance:
        assert build_definitions().resolve_job_def("nightly_sync").execute_in_process(instance=instance).success
    assert stale_objects(warehouse) == {}
    alerts = warehouse.read("analytics", "alerts", ["rule", "status"])
    assert not ((alerts["rule"] == "source_sync_failed") & (alerts["status"] == "open")).any()
