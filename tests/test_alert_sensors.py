"""Operational alerts: a failed asset check and a failed run become alerts, delivered through the
outbox; the check passing or the job succeeding clears them. Ticks that find nothing are cheap."""

from __future__ import annotations

import json

import dagster as dg
import pytest
from alert_receivers import HttpCapture

from hub.warehouse import Warehouse
from resources.alerting import AlertChannelsResource
from resources.config import HubConfigResource
from resources.warehouse import WarehouseResource
from sensors.alerts import alert_delivery_sensor, asset_check_alert_sensor
from sensors.failures import run_failure_alert_sensor, run_success_clears_alert_sensor

STATE = {"healthy": False}


@dg.asset
def guarded() -> None:
    return None


@dg.asset_check(asset=guarded)
def guarded_is_healthy() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=STATE["healthy"], metadata={"bad_rows": 0 if STATE["healthy"] else 3})


CHECKED = dg.Definitions(assets=[guarded], asset_checks=[guarded_is_healthy])


@dg.op
def explode() -> None:
    raise RuntimeError("the source answered 500")


@dg.job
def fragile() -> None:
    explode()


@pytest.fixture
def slack():
    with HttpCapture() as receiver:
        yield receiver


def _resources(warehouse: Warehouse, slack: HttpCapture) -> dict:
    return {"warehouse": WarehouseResource(url=warehouse.url), "hub_config": HubConfigResource(),
            "alert_channels": AlertChannelsResource(slack_webhook_url=slack.url("/slack"))}


def test_a_failed_asset_check_raises_an_alert_and_a_pass_clears_it(sqlite_warehouse: Warehouse, slack) -> None:
    resources = _resources(sqlite_warehouse, slack)
    with dg.DagsterInstance.ephemeral() as instance:
        def run_and_tick(cursor: str | None) -> dg.SensorResult:
            assert dg.materialize([guarded, guarded_is_healthy], instance=instance).success
            context = dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources,
                                              definitions=CHECKED)
            return asset_check_alert_sensor(context)

        STATE["healthy"] = False
        first = run_and_tick(None)
        alerts = sqlite_warehouse.read("analytics", "alerts")
        assert alerts[["rule", "entity_id", "status", "delivery_status"]].values.tolist() == [
            ["asset_check_failed", "guarded:guarded_is_healthy", "open", "sent"]]
        assert "bad_rows 3" in json.loads(slack.on("/slack")[0].body)["text"]
        again = run_and_tick(first.cursor)  # still failing: the same alert, not announced twice
        assert len(sqlite_warehouse.read("analytics", "alerts")) == 1 and len(slack.on("/slack")) == 1
        STATE["healthy"] = True
        passed = run_and_tick(again.cursor)
        assert sqlite_warehouse.read("analytics", "alerts").iloc[0]["status"] == "resolved"
        quiet = asset_check_alert_sensor(dg.build_sensor_context(instance=instance, cursor=passed.cursor,
                                                                 resources=resources, definitions=CHECKED))
        assert quiet.skip_message == "no new asset check results"


def test_a_failed_run_raises_one_alert_per_job_and_success_clears_it(sqlite_warehouse: Warehouse, slack) -> None:
    resources = _resources(sqlite_warehouse, slack)
    with dg.DagsterInstance.ephemeral() as instance:
        for _ in range(2):
            result = fragile.execute_in_process(instance=instance, raise_on_error=False)
            failure = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
            context = dg.build_run_status_sensor_context(
                sensor_name="run_failure_alert_sensor", dagster_event=failure, dagster_instance=instance,
                dagster_run=result.dagster_run, resources=resources).for_run_failure()
            run_failure_alert_sensor(context)
        alerts = sqlite_warehouse.read("analytics", "alerts")
        assert alerts[["rule", "entity_id", "status"]].values.tolist() == [["run_failure", "fragile", "open"]]
        assert len(slack.on("/slack")) == 1 and "fragile failed" in json.loads(slack.on("/slack")[0].body)["text"]
        success = dg.build_run_status_sensor_context(
            sensor_name="run_success_clears_alert_sensor", dagster_event=failure, dagster_instance=instance,
            dagster_run=result.dagster_run, resources=resources)
        run_success_clears_alert_sensor(success)
        assert sqlite_warehouse.read("analytics", "alerts").iloc[0]["status"] == "resolved"


def test_a_delivery_tick_without_channels_or_pending_work_is_a_skip(sqlite_warehouse: Warehouse, slack) -> None:
    with dg.DagsterInstance.ephemeral() as instance:
        none = dg.build_sensor_context(instance=instance, resources={
            "warehouse": WarehouseResource(url=sqlite_warehouse.url), "alert_channels": AlertChannelsResource(),
            "hub_config": HubConfigResource()})
        assert "no alert channel" in alert_delivery_sensor(none).skip_message
        idle = dg.build_sensor_context(instance=instance, resources=_resources(sqlite_warehouse, slack))
        assert alert_delivery_sensor(idle).skip_message == "nothing waiting for delivery"
