"""Sensors that keep alerts flowing: the outbox retried on every tick, failed asset checks raised
(and cleared when the check passes again). A run-failure sensor is in ``sensors/failures.py``."""

from __future__ import annotations

import json

import dagster as dg

from hub.pipeline.alerting import drain, raise_event_alert, resolve_event_alerts
from resources.alerting import AlertChannelsResource
from resources.config import HubConfigResource
from resources.warehouse import WarehouseResource

CHECK_RULE = "asset_check_failed"
# Checks whose failure is already alerted in its own words (source_sync_failed, raised by the alerts step
# from raw.sync_state): one cause, one alert.
ALERTED_BY_THE_ASSET = {"sync_succeeded"}


@dg.sensor(minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Delivers alerts still waiting for a channel (a channel that was down gets them once "
                       "it is back). A tick with nothing pending is one indexed query.")
def alert_delivery_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource,
                          alert_channels: AlertChannelsResource, hub_config: HubConfigResource) -> dg.SkipReason:
    channels = alert_channels.channels()
    if not channels:
        return dg.SkipReason("no alert channel configured: alerts live in the alerts table only")
    report = drain(warehouse.get(), channels, hub_config.get(), everything=False)
    if report.sent or report.failed:
        context.log.info(f"alert deliveries: {report.sent} sent, {report.failed} failed {report.by_channel}")
        for error in report.errors:
            context.log.warning(error)
    return dg.SkipReason(f"delivered {report.sent}, failed {report.failed}" if report.sent or report.failed
                         else "nothing waiting for delivery")


def new_check_results(instance: dg.DagsterInstance, keys: list[dg.AssetCheckKey],
                      seen: dict[str, int]) -> list[dict]:
    """The latest result of each check, when it is newer than the one already handled."""
    out = []
    for key in keys:
        name = f"{key.asset_key.to_user_string()}:{key.name}"
        record = instance.get_latest_asset_check_evaluation_record(key)
        evaluation = record.evaluation if record is not None else None
        # A check of a run in flight has only its plan (AssetCheckEvaluationPlanned, no result yet);
        # its row keeps its id when the result lands, so it is picked up then.
        if not isinstance(evaluation, dg.AssetCheckEvaluation) or record.id <= seen.get(name, 0):
            continue
        out.append({"id": record.id, "check": name, "passed": bool(evaluation.passed),
                    "severity": evaluation.severity.value, "run_id": record.run_id,
                    "metadata": {k: str(v.value) for k, v in evaluation.metadata.items()}})
    return out


@dg.sensor(minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING,
           description="A failed asset check raises an asset_check_failed alert (a failed check does not fail "
                       "the run, so the run-failure sensor never sees it); the check passing clears it.")
def asset_check_alert_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource,
                             alert_channels: AlertChannelsResource,
                             hub_config: HubConfigResource) -> dg.SensorResult | dg.SkipReason:
    if context.repository_def is None:
        return dg.SkipReason("no code location to read asset checks from")
    seen: dict[str, int] = json.loads(context.cursor) if context.cursor else {}
    keys = sorted((k for k in context.repository_def.asset_graph.asset_check_keys
                   if k.name not in ALERTED_BY_THE_ASSET), key=str)
    results = new_check_results(context.instance, keys, seen)  # one indexed lookup per check
    if not results:
        return dg.SkipReason("no new asset check results")
    wh, channels, config = warehouse.get(), alert_channels.channels(), hub_config.get()
    for result in results:
        if result["passed"]:
            resolve_event_alerts(wh, rule=CHECK_RULE, entity_type="asset_check", entity_id=result["check"],
                                 reason="check passed")
            continue
        raise_event_alert(
            wh, channels, config, rule=CHECK_RULE, entity_type="asset_check", entity_id=result["check"],
            severity="high" if result["severity"] == "ERROR" else "warning",
            message=f"Asset check {result['check']} failed in run {result['run_id'][:8]}: "
                    + ", ".join(f"{k} {v}" for k, v in result["metadata"].items()),
            details=result)
    failed = sum(1 for r in results if not r["passed"])
    # The cursor keeps every check's last handled result (merged), so none is handled twice.
    cursor = json.dumps({**seen, **{r["check"]: r["id"] for r in results}}, sort_keys=True)
    return dg.SensorResult(cursor=cursor, skip_reason=dg.SkipReason(
        f"{len(results)} new check results: {failed} failing checks alerted"))
