"""Alert channels: where alerts go besides the ``alerts`` table.

Each channel is configured by DESIGN.md's variables and switched on by its first one: Slack by
HUB_ALERT_SLACK_WEBHOOK_URL, the signed webhook by HUB_ALERT_WEBHOOK_URL (+ HUB_ALERT_WEBHOOK_SECRET),
email by HUB_SMTP_HOST (+ HUB_SMTP_PORT, HUB_SMTP_USER, HUB_SMTP_PASSWORD, HUB_ALERT_EMAIL_FROM,
HUB_ALERT_EMAIL_TO). URLs, the secret and the password arrive as EnvVar.
"""

from __future__ import annotations

import dagster as dg

from hub.channels import MisconfiguredChannel, SignedWebhook, SlackWebhook, SmtpEmail
from hub.outbox import Channel


class AlertChannelsResource(dg.ConfigurableResource):
    """The configured channels; none configured means alerts live in the ``alerts`` table only."""

    slack_webhook_url: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    email_from: str | None = None
    email_to: str | None = None
    timeout_seconds: float = 10.0

    def channels(self) -> list[Channel]:
        out: list[Channel] = []
        if self.slack_webhook_url:
            out.append(SlackWebhook(self.slack_webhook_url, timeout=self.timeout_seconds))
        if self.webhook_url:
            out.append(SignedWebhook(self.webhook_url, self.webhook_secret, timeout=self.timeout_seconds))
        if self.smtp_host:
            recipients = tuple(a.strip() for a in (self.email_to or "").split(",") if a.strip())
            if self.smtp_user and not self.smtp_password:
                out.append(MisconfiguredChannel("email", "HUB_SMTP_USER is set without HUB_SMTP_PASSWORD"))
            else:
                out.append(SmtpEmail(self.smtp_host, self.smtp_port, self.email_from or "customer-hub@localhost",
                                     recipients, self.smtp_user, self.smtp_password, timeout=self.timeout_seconds))
        return out
