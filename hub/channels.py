"""Alert delivery channels. Each ``send`` raises when the receiver does not accept the alert."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

SEVERITY_EMOJI = {"high": ":rotating_light:", "critical": ":rotating_light:", "warning": ":warning:",
                  "info": ":information_source:"}


class DeliveryError(RuntimeError):
    """A channel refused or could not be reached."""


def slack_blocks(alert: dict[str, Any]) -> dict[str, Any]:
    """A Slack incoming-webhook payload (Block Kit, with a plain-text fallback)."""
    emoji = SEVERITY_EMOJI.get(str(alert.get("severity")), ":bell:")
    title = f"{emoji} {alert['rule']} ({alert.get('severity', 'warning')})"
    fields = [{"type": "mrkdwn", "text": f"*{label}*\n{alert[key]}"}
              for label, key in (("Customer", "customer_id"), ("Owner", "owner"), ("Entity", "entity_id"))
              if alert.get(key)]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": str(alert["message"])[:3000]}},
    ]
    if fields:
        blocks.append({"type": "section", "fields": fields})
    blocks.append({"type": "context", "elements": [
        {"type": "mrkdwn", "text": f"alert `{alert['alert_id']}` · first fired {alert['first_fired_at']}"}]})
    return {"text": f"{alert['rule']}: {alert['message']}", "blocks": blocks}


@dataclass
class SlackWebhook:
    """Slack incoming webhook. The URL is a secret: it is never put in messages or errors."""

    url: str
    timeout: float = 10.0
    name: str = "slack"

    def send(self, alert: dict[str, Any]) -> None:
        try:
            response = requests.post(self.url, json=slack_blocks(alert), timeout=self.timeout)
        except requests.RequestException as exc:
            raise DeliveryError(f"Slack webhook unreachable ({type(exc).__name__})") from None
        if response.status_code != 200:
            raise DeliveryError(f"Slack webhook answered {response.status_code}: {response.text[:200]}")
