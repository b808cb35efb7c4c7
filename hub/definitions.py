"""The one Dagster entry point: assets, jobs, sensors, schedules and resources, assembled.

Non-secret settings are read from the environment when the code location loads (hub.config);
secrets are passed as ``EnvVar`` so Dagster resolves them at run time and never shows them.
"""

from __future__ import annotations

import os

import dagster as dg

from assets import (
    alerts,
    customers,
    governance,
    health,
    playbooks,
    predictions,
    reports,
    staging,
    tracking,
    usage,
)
from assets.airtable import airtable_assets
from assets.execution import executor_from_environment
from assets.hubspot import hubspot_assets
from assets.jobs import JOBS
from assets.salesforce import salesforce_assets
from hub.config import load_config, settings
from hub.dictionary import with_column_schemas
from resources.airtable import AirtableResource
from resources.alerting import AlertChannelsResource
from resources.config import HubConfigResource
from resources.hubspot import HubSpotResource
from resources.salesforce import SalesforceResource
from resources.warehouse import WarehouseResource
from schedules.nightly import nightly_sync_schedule
from schedules.owner_digest import owner_digest_schedule
from schedules.reports import monthly_reports_schedule, weekly_reports_schedule
from schedules.retention import retention_schedule
from sensors.alerts import alert_delivery_sensor, asset_check_alert_sensor
from sensors.audit import audit_run_failure_sensor, audit_run_success_sensor
from sensors.events import events_sensor
from sensors.failures import run_failure_alert_sensor, run_success_clears_alert_sensor
from sensors.materializations import health_recalculation_sensor, threshold_alert_sensor
from sensors.tracking import tracking_file_sensor
from sensors.usage import usage_days_sensor, usage_log_sensor


def _secret(name: str) -> dg.EnvVar | None:
    """An EnvVar for a secret that is set, None when it is not (the resource then explains)."""
    return dg.EnvVar(name) if os.environ.get(name) else None


def _plain(name: str) -> str | None:
    return os.environ.get(name) or None


def build_resources() -> dict[str, dg.ConfigurableResource]:
    s = settings()
    return {
        "hub_config": HubConfigResource(path=str(s.config_file) if s.config_file else None),
        # The URL may carry a password: pass it as EnvVar when it comes from the environment.
        "warehouse": WarehouseResource(url=_secret("HUB_WAREHOUSE_URL") or s.warehouse_url),
        "airtable": AirtableResource(api_url=s.airtable_api_url, token=_secret("AIRTABLE_TOKEN"),
                                     base_id=s.airtable_base_id),
        "hubspot": HubSpotResource(api_url=s.hubspot_api_url, token=_secret("HUBSPOT_TOKEN")),
        "salesforce": SalesforceResource(
            instance_url=s.salesforce_instance_url, access_token=_secret("SALESFORCE_ACCESS_TOKEN"),
            username=_plain("SALESFORCE_USERNAME"), password=_secret("SALESFORCE_PASSWORD"),
            security_token=_secret("SALESFORCE_SECURITY_TOKEN"), client_id=_plain("SALESFORCE_CLIENT_ID"),
            client_secret=_secret("SALESFORCE_CLIENT_SECRET"), ca_bundle=s.salesforce_ca_bundle),
        "alert_channels": AlertChannelsResource(
            slack_webhook_url=_secret("HUB_ALERT_SLACK_WEBHOOK_URL"), webhook_url=_secret("HUB_ALERT_WEBHOOK_URL"),
            webhook_secret=_secret("HUB_ALERT_WEBHOOK_SECRET"), smtp_host=_plain("HUB_SMTP_HOST"),
            smtp_port=int(_plain("HUB_SMTP_PORT") or 587), smtp_user=_plain("HUB_SMTP_USER"),
            smtp_password=_secret("HUB_SMTP_PASSWORD"), email_from=_plain("HUB_ALERT_EMAIL_FROM"),
            email_to=_plain("HUB_ALERT_EMAIL_TO")),
    }


def build_definitions() -> dg.Definitions:
    # HUB_CONFIG is checked once, here, before any step: a wrong key or type is one message.
    load_config(settings().config_file)
    return dg.Definitions(
        # Each asset's Columns tab from the data dictionary (hub/dictionary.yaml).
        assets=with_column_schemas([
            *airtable_assets, *hubspot_assets, *salesforce_assets,
            *dg.load_assets_from_modules([usage, staging, customers, health, alerts, playbooks, tracking,
                                          predictions, governance, reports])]),
        asset_checks=[customers.customers_are_unique, health.customer_health_is_consistent],
        jobs=JOBS,
        schedules=[nightly_sync_schedule, retention_schedule, owner_digest_schedule, weekly_reports_schedule,
                   monthly_reports_schedule],
        sensors=[usage_log_sensor, usage_days_sensor, health_recalculation_sensor, threshold_alert_sensor, alert_delivery_sensor,
                 asset_check_alert_sensor, run_failure_alert_sensor, run_success_clears_alert_sensor,
                 events_sensor, tracking_file_sensor, audit_run_success_sensor, audit_run_failure_sensor],
        resources=build_resources(),
        # None keeps Dagster's default; HUB_EXECUTOR=celery sends steps to Celery workers.
        executor=executor_from_environment(),
    )


defs = build_definitions()
