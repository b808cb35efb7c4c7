"""Alerts: rules evaluated against health, applications and KPIs; delivered through the outbox."""

from __future__ import annotations

import dagster as dg

from assets.graph import deps, key
from assets.raw import markdown_preview
from hub.pipeline.alerting import evaluate_alerts
from resources.alerting import AlertChannelsResource
from resources.config import HubConfigResource
from resources.warehouse import WarehouseResource

ALERTS = key("analytics/alerts")


@dg.asset(key=ALERTS, group_name="analytics", deps=deps(evaluate_alerts),
          kinds={"pandas", "sql", "slack", "email"}, owners=["team:data"],
          description="Open / resolved alerts from the HUB_CONFIG rules, de-duplicated per rule, entity and "
                      "window, with cooldown and snooze; new ones are queued per channel in "
                      "alert_deliveries and delivered (Slack, signed webhook, email).")
def alerts(warehouse: WarehouseResource, alert_channels: AlertChannelsResource,
           hub_config: HubConfigResource) -> dg.MaterializeResult:
    result = evaluate_alerts(warehouse.get(), hub_config.get(), alert_channels.channels())
    return dg.MaterializeResult(metadata={"dagster/row_count": result.rows, **result.metadata,
                                          "preview": markdown_preview(result.preview, max_width=80)})
