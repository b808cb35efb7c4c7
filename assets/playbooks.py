"""Playbook actions: tasks, owner assignments and the health write-back in the CRMs, notices and
escalations to the team, mails to customers — each once, recorded in ``analytics.actions``."""

from __future__ import annotations

from typing import Any

import dagster as dg

from assets.alerts import ALERTS
from assets.graph import deps, key
from assets.raw import markdown_preview
from hub.pipeline.playbooks import run_playbooks
from hub.playbooks.execute import Crms
from resources.airtable import AirtableResource
from resources.alerting import AlertChannelsResource
from resources.config import HubConfigResource
from resources.hubspot import HubSpotResource
from resources.salesforce import SalesforceResource
from resources.warehouse import WarehouseResource

ACTIONS = key("analytics/actions")


def crms(config: dict[str, Any], airtable: AirtableResource, hubspot: HubSpotResource,
         salesforce: SalesforceResource) -> Crms:
    """The CRM connectors, each built (and its credentials checked) only when an action needs it."""
    return Crms({"airtable": lambda: airtable.connector(config), "hubspot": lambda: hubspot.connector(config),
                 "salesforce": lambda: salesforce.connector(config)})


# analytics.alerts is a ledger (several writers), so its reading gives no dep: named here.
@dg.asset(key=ACTIONS, group_name="analytics", deps=[*deps(run_playbooks), ALERTS],
          kinds={"pandas", "sql", "hubspot", "salesforce"}, owners=["team:data"],
          description="The playbooks' actions (HUB_CONFIG playbooks): CRM tasks, owner assignment, health "
                      "write-back, notices, escalations and customer mails, each once per alert, with its "
                      "result. In dry_run mode (the default) they are planned and recorded, not carried out.")
def actions(warehouse: WarehouseResource, alert_channels: AlertChannelsResource, hub_config: HubConfigResource,
            airtable: AirtableResource, hubspot: HubSpotResource, salesforce: SalesforceResource
            ) -> dg.MaterializeResult:
    config = hub_config.get()
    result = run_playbooks(warehouse.get(), config, alert_channels.channels(),
                           crms(config, airtable, hubspot, salesforce))
    return dg.MaterializeResult(metadata={"dagster/row_count": result.rows, **result.metadata,
                                          "preview": markdown_preview(result.preview, max_width=60)})
