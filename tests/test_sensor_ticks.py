"""Sensor ticks while a run is in flight, against a real Dagster instance: a check that is only
planned yet is not a result, and a nightly run that will rebuild health and alerts launches no
health recalculation or alert run of its own."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import dagster as dg
import pytest

from assets.alerts import ALERTS
from assets.customers import CUSTOMERS
from assets.health import CUSTOMER_HEALTH, KPI_DAILY
from sensors.alerts import new_check_results
from sensors.materializations import (
    ALERT_INPUTS,
    HEALTH_INPUTS,
    health_recalculation_sensor,
    threshold_alert_sensor,
)

GATE = {"hold": False}
ENTERED, RELEASE = threading.Event(), threading.Event()


def _wait_if_held() -> None:
    if GATE["hold"]:
        ENTERED.set()
        RELEASE.wait(timeout=60)


@dg.asset(check_specs=[dg.AssetCheckSpec("settled", asset="slow_source")])
def slow_source() -> Iterator[dg.Output | dg.AssetCheckResult]:
    _wait_if_held()
    yield dg.Output(None)
    yield dg.AssetCheckResult(check_name="settled", passed=False, metadata={"bad_rows": 2})


def _stand_in(key: dg.AssetKey, deps: list[dg.AssetKey], held: bool = False) -> dg.AssetsDefinition:
    """An asset with a real key of the nightly graph and its dependencies (the sensors read only
    Dagster's records of it); ``held`` waits for RELEASE while GATE holds."""
    @dg.asset(key=key, deps=deps)
    def stand_in() -> None:
        if held:
            _wait_if_held()
    return stand_in


NIGHTLY = [*[_stand_in(k, []) for k in HEALTH_INPUTS],
           _stand_in(CUSTOMER_HEALTH, HEALTH_INPUTS, held=True),
           _stand_in(CUSTOMERS, [CUSTOMER_HEALTH]),
           _stand_in(KPI_DAILY, [CUSTOMERS]),
           _stand_in(ALERTS, ALERT_INPUTS)]


@pytest.fixture
def held_run() -> Iterator[None]:
    GATE["hold"] = True
    ENTERED.clear()
    RELEASE.clear()
    yield
    RELEASE.set()
    GATE["hold"] = False


def _in_flight(assets: list[dg.AssetsDefinition], instance: dg.DagsterInstance) -> threading.Thread:
    """A run of ``assets`` started in a thread and held at its gated step."""
    thread = threading.Thread(target=lambda: dg.materialize(assets, instance=instance), daemon=True)
    thread.start()
    assert ENTERED.wait(timeout=60), "the run never reached its gated step"
    return thread


def test_a_check_still_running_is_no_result_until_it_lands(held_run: None) -> None:
    key = dg.AssetCheckKey(dg.AssetKey("slow_source"), "settled")
    with dg.instance_for_test() as instance:
        thread = _in_flight([slow_source], instance)
        planned = instance.get_latest_asset_check_evaluation_record(key)
        assert planned is not None and planned.evaluation is not None  # the plan, not a result
        assert new_check_results(instance, [key], {}) == []
        RELEASE.set()
        thread.join(timeout=60)
        [result] = new_check_results(instance, [key], {})
        assert (result["check"], result["passed"], result["metadata"]) == (
            "slow_source:settled", False, {"bad_rows": "2"})


def test_a_nightly_run_in_flight_launches_no_health_or_alert_run_of_its_own(held_run: None) -> None:
    with dg.instance_for_test() as instance:
        GATE["hold"] = False
        assert dg.materialize(NIGHTLY, instance=instance).success  # last night's run
        assert health_recalculation_sensor(dg.build_sensor_context(instance=instance)).skip_message
        assert threshold_alert_sensor(dg.build_sensor_context(instance=instance)).skip_message

        GATE["hold"] = True
        thread = _in_flight(NIGHTLY, instance)  # tonight's: inputs rebuilt, health about to be
        for sensor in (health_recalculation_sensor, threshold_alert_sensor):
            tick = sensor(dg.build_sensor_context(instance=instance))
            assert isinstance(tick, dg.SkipReason) and "waiting for it" in tick.skip_message, tick
        RELEASE.set()
        thread.join(timeout=60)
        for sensor in (health_recalculation_sensor, threshold_alert_sensor):
            assert sensor(dg.build_sensor_context(instance=instance)).skip_message

        # Without a run in flight, new inputs still fire as before.
        GATE["hold"] = False
        assert dg.materialize([NIGHTLY[0]], instance=instance).success
        assert len(health_recalculation_sensor(dg.build_sensor_context(instance=instance)).run_requests) == 1
