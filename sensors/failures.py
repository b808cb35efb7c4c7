"""A failed run becomes an alert (one open per job, refreshed by repeat failures); the job's
next successful run clears it."""

from __future__ import annotations

import dagster as dg

from hub.pipeline.alerting import raise_event_alert, resolve_event_alerts
from resources.alerting import AlertChannelsResource
from resources.config import HubConfigResource
from resources.warehouse import WarehouseResource

RUN_RULE = "run_failure"


@dg.run_failure_sensor(default_status=dg.DefaultSensorStatus.RUNNING, monitor_all_code_locations=False,
                       description="Raises a run_failure alert for a failed run of this code location.")
def run_failure_alert_sensor(context: dg.RunFailureSensorContext, warehouse: WarehouseResource,
                             alert_channels: AlertChannelsResource, hub_config: HubConfigResource) -> None:
    run = context.dagster_run
    message = context.failure_event.message or "run failed"
    raise_event_alert(warehouse.get(), alert_channels.channels(), hub_config.get(), rule=RUN_RULE, severity="high",
                      entity_type="job", entity_id=run.job_name,
                      message=f"Dagster run {run.run_id[:8]} of job {run.job_name} failed: {message[:500]}",
                      details={"run_id": run.run_id, "job": run.job_name})


@dg.run_status_sensor(run_status=dg.DagsterRunStatus.SUCCESS, default_status=dg.DefaultSensorStatus.RUNNING,
                      monitor_all_code_locations=False,
                      description="Clears a job's run_failure alert when the job succeeds again.")
def run_success_clears_alert_sensor(context: dg.RunStatusSensorContext, warehouse: WarehouseResource) -> None:
    run = context.dagster_run
    resolve_event_alerts(warehouse.get(), rule=RUN_RULE, entity_type="job", entity_id=run.job_name,
                         reason=f"run {run.run_id[:8]} succeeded")
