"""The audit log's run entries: every finished run of this code location, who launched it and
the hash of the configuration it ran with (a new hash is a ``config_changed`` entry first)."""

from __future__ import annotations

import dagster as dg

from hub.governance.audit import record_run
from resources.config import HubConfigResource
from resources.warehouse import WarehouseResource


def _record(context: dg.RunStatusSensorContext, warehouse: WarehouseResource, hub_config: HubConfigResource,
            status: str, message: str | None = None) -> None:
    run = context.dagster_run
    wh = warehouse.get()
    wh.migrate_once()
    record_run(wh, run_id=run.run_id, job=run.job_name, status=status, tags=dict(run.tags),
               config=hub_config.get(), message=message)


@dg.run_status_sensor(run_status=dg.DagsterRunStatus.SUCCESS, default_status=dg.DefaultSensorStatus.RUNNING,
                      monitor_all_code_locations=False, name="audit_run_success_sensor",
                      description="Appends each successful run (job, launcher, config hash) to analytics.audit_log.")
def audit_run_success_sensor(context: dg.RunStatusSensorContext, warehouse: WarehouseResource,
                             hub_config: HubConfigResource) -> None:
    _record(context, warehouse, hub_config, "succeeded")


@dg.run_failure_sensor(default_status=dg.DefaultSensorStatus.RUNNING, monitor_all_code_locations=False,
                       name="audit_run_failure_sensor",
                       description="Appends each failed run (job, launcher, config hash, error) to analytics.audit_log.")
def audit_run_failure_sensor(context: dg.RunFailureSensorContext, warehouse: WarehouseResource,
                             hub_config: HubConfigResource) -> None:
    _record(context, warehouse, hub_config, "failed", context.failure_event.message)
