"""Sensors that follow materializations: health after its inputs change, alerts after health.

Each compares the storage ids of the latest materializations: it fires when an input is newer
than the output *and* than what it already fired for. A nightly_sync run, which rebuilds health
after its inputs in the same run, therefore triggers nothing extra: while it is in flight (its
inputs already newer, the output not yet rebuilt) the sensors wait for it instead of firing.
"""

from __future__ import annotations

import dagster as dg

from assets.alerts import ALERTS
from assets.graph import deps
from assets.health import CUSTOMER_HEALTH
from assets.jobs import alert_evaluation, health_recalculation
from hub.pipeline.alerting import evaluate_alerts
from hub.pipeline.health import build_health

# What health and the alert rules read (their declared inputs, hub.pipeline.steps).
HEALTH_INPUTS = deps(build_health)
ALERT_INPUTS = [k for k in deps(evaluate_alerts) if k.path[0] == "analytics"]


def latest_storage_ids(instance: dg.DagsterInstance, keys: list[dg.AssetKey]) -> dict[dg.AssetKey, int]:
    out = {}
    for record in instance.get_asset_records(keys):
        last = record.asset_entry.last_materialization_record
        if last is not None:
            out[record.asset_entry.asset_key] = last.storage_id
    return out


def run_rebuilding(instance: dg.DagsterInstance, key: dg.AssetKey) -> str | None:
    """The id of a queued or running run that plans to materialize ``key`` and has not yet."""
    planned = instance.get_latest_planned_materialization_info(key)
    if planned is None:
        return None
    done = latest_storage_ids(instance, [key]).get(key, 0)
    run = instance.get_run_by_id(planned.run_id) if done < planned.storage_id else None
    return run.run_id if run is not None and not run.is_finished else None


def newer_inputs(context: dg.SensorEvaluationContext, inputs: list[dg.AssetKey],
                 output: dg.AssetKey) -> int | None:
    """The newest input storage id, when it is newer than the output and the cursor; else None."""
    ids = latest_storage_ids(context.instance, [*inputs, output])
    newest = max((ids[k] for k in inputs if k in ids), default=None)
    handled = max(ids.get(output, 0), int(context.cursor or 0))
    return newest if newest is not None and newest > handled else None


@dg.sensor(job=health_recalculation, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Recalculates health when the unified tables, activities, surveys or usage_daily change.")
def health_recalculation_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    if running := run_rebuilding(context.instance, CUSTOMER_HEALTH):
        return dg.SkipReason(f"run {running[:8]} is about to rebuild customer_health: waiting for it")
    newest = newer_inputs(context, HEALTH_INPUTS, CUSTOMER_HEALTH)
    if newest is None:
        return dg.SkipReason("customer_health is up to date with its inputs")
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key=f"health-{newest}")], cursor=str(newest))


@dg.sensor(job=alert_evaluation, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Evaluates the alert rules when customer health, the KPIs or the applications are updated.")
def threshold_alert_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    if running := run_rebuilding(context.instance, ALERTS):
        return dg.SkipReason(f"run {running[:8]} is about to evaluate the alerts: waiting for it")
    newest = newer_inputs(context, ALERT_INPUTS, ALERTS)
    if newest is None:
        return dg.SkipReason("alerts are up to date with health and KPIs")
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key=f"alerts-{newest}")], cursor=str(newest))
