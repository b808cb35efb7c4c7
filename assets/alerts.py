"""Alerts: rules evaluated against health, applications and KPIs; delivered through the outbox."""

from __future__ import annotations

import dagster as dg

from assets.graph import deps, key
from assets.raw import markdown_preview
from hub.config import settings
from hub.pipeline.alerting import evaluate_alerts
from hub.pipeline.owner_digest import send_owner_digests
from resources.alerting import AlertChannelsResource
from resources.config import HubConfigResource
from resources.warehouse import WarehouseResource

ALERTS = key("analytics/alerts")
OWNER_DIGESTS = key("analytics/owner_digests")


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


# analytics.alerts is a ledger (several writers), so its reading gives no dep: named here.
@dg.asset(key=OWNER_DIGESTS, group_name="analytics", deps=[*deps(send_owner_digests), ALERTS],
          kinds={"email", "slack"}, owners=["team:data"],
          description="The owners' morning digest: each person with open alerts on their customers gets one "
                      "message a day (email; Slack when alerts.owners has their Slack id), worst first. Run by "
                      "owner_digest_schedule on weekday mornings, not by the nightly sync.")
def owner_digests(warehouse: WarehouseResource, alert_channels: AlertChannelsResource,
                  hub_config: HubConfigResource) -> dg.MaterializeResult:
    result = send_owner_digests(warehouse.get(), hub_config.get(), alert_channels.channels(), settings().timezone)
    return dg.MaterializeResult(metadata={"dagster/row_count": result.rows, **result.metadata,
                                          "preview": markdown_preview(result.preview, max_width=60)})
