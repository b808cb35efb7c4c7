"""A failed run becomes an alert: in the ``alerts`` table and on the configured channels."""

from __future__ import annotations

import dagster as dg

from hub.pipeline.alerting import record_run_failure
from resources.alerting import AlertChannelsResource
from resources.warehouse import WarehouseResource


@dg.run_failure_sensor(default_status=dg.DefaultSensorStatus.RUNNING, monitor_all_code_locations=False,
                       description="Raises a run_failure alert for every failed run of this code location.")
def run_failure_alert_sensor(context: dg.RunFailureSensorContext, warehouse: WarehouseResource,
                             alert_channels: AlertChannelsResource) -> None:
    run = context.dagster_run
    message = context.failure_event.message or "run failed"
    record_run_failure(warehouse.get(), alert_channels.channels(), run_id=run.run_id, job_name=run.job_name,
                       message=message)
