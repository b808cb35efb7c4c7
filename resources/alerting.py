"""Alert channels: where alerts go besides the ``alerts`` table."""

from __future__ import annotations

import dagster as dg

from hub.alerts import Channel
from hub.channels import SlackWebhook


class AlertChannelsResource(dg.ConfigurableResource):
    """The configured channels; none configured means alerts live in the ``alerts`` table only.
    The Slack webhook URL is a secret (HUB_ALERT_SLACK_WEBHOOK_URL, through EnvVar)."""

    slack_webhook_url: str | None = None
    timeout_seconds: float = 10.0

    def channels(self) -> list[Channel]:
        out: list[Channel] = []
        if self.slack_webhook_url:
            out.append(SlackWebhook(self.slack_webhook_url, timeout=self.timeout_seconds))
        return out
