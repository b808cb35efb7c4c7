"""Each channel against a real receiver: Slack Block Kit and the signed webhook over HTTP, email
over SMTP (aiosmtpd)."""

from __future__ import annotations

import json
import time

import pytest
from alert_receivers import HttpCapture, MailCapture

from hub.channels import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    DeliveryError,
    SignedWebhook,
    SlackWebhook,
    SmtpEmail,
    verify_signature,
)

ALERT = {"alert_id": "a1b2c3", "delivery_id": "a1b2c3:x:fired", "notice": "fired", "rule": "health_below_60",
         "severity": "warning", "status": "open", "entity_type": "customer", "entity_id": "cus_1",
         "customer_id": "cus_1", "owner": "12345", "message": "Acme: health 42/100 (at_risk), below 60.",
         "routed_to": json.dumps({"owner": "12345", "email": ["dana@example.com"], "slack": "U0DANA"}),
         "details": json.dumps({"values": {"health_score": 42.0}}), "first_fired_at": "2026-11-21T08:00:00+00:00"}


def test_slack_gets_block_kit_with_the_owner_mentioned() -> None:
    with HttpCapture() as receiver:
        SlackWebhook(receiver.url("/slack")).send(ALERT)
        payload = json.loads(receiver.on("/slack")[0].body)
    assert payload["blocks"][0]["type"] == "header" and "health_below_60" in payload["blocks"][0]["text"]["text"]
    assert payload["text"].startswith("<@U0DANA>") and "Acme" in payload["blocks"][1]["text"]["text"]
    assert any("<@U0DANA>" in f["text"] for f in payload["blocks"][2]["fields"])


def test_webhook_is_signed_with_the_secret_and_refused_without_one() -> None:
    with HttpCapture() as receiver:
        SignedWebhook(receiver.url("/hook"), "s3cret").send(ALERT)
        request = receiver.on("/hook")[0]
        with pytest.raises(DeliveryError, match="HUB_ALERT_WEBHOOK_SECRET"):
            SignedWebhook(receiver.url("/hook"), None).send(ALERT)
        receiver.down.add("/hook")
        with pytest.raises(DeliveryError, match="503"):
            SignedWebhook(receiver.url("/hook"), "s3cret").send(ALERT)
    headers = {k.lower(): v for k, v in request.headers.items()}
    timestamp, signature = headers[TIMESTAMP_HEADER.lower()], headers[SIGNATURE_HEADER.lower()]
    assert verify_signature("s3cret", timestamp, request.body, signature)
    assert not verify_signature("wrong", timestamp, request.body, signature)
    assert not verify_signature("s3cret", timestamp, request.body + b" ", signature)
    assert not verify_signature("s3cret", timestamp, request.body, signature, now=time.time() + 3600)
    body = json.loads(request.body)
    assert body["event"] == "alert.fired" and body["delivery_id"] == ALERT["delivery_id"]
    assert body["alert"]["details"] == {"values": {"health_score": 42.0}} and "s3cret" not in request.body.decode()


def test_email_goes_to_the_owner_and_the_team_through_smtp() -> None:
    with MailCapture() as smtp:
        SmtpEmail("127.0.0.1", smtp.port, "hub@example.com", ("team@example.com",)).send(ALERT)
        smtp.down = True
        with pytest.raises(DeliveryError, match="refused"):
            SmtpEmail("127.0.0.1", smtp.port, "hub@example.com", ("team@example.com",)).send(ALERT)
        # No STARTTLS offered: a password is never sent in clear.
        with pytest.raises(DeliveryError, match="refusing"):
            SmtpEmail("127.0.0.1", smtp.port, "hub@example.com", ("team@example.com",), "user", "pw").send(ALERT)
    [mail] = smtp.mails
    assert sorted(mail.recipients) == ["dana@example.com", "team@example.com"]
    assert "health_below_60" in mail.message["Subject"] and "Acme" in mail.message.get_content()
    assert "a1b2c3" in mail.message["Message-ID"]


def test_an_unreachable_receiver_is_a_delivery_error() -> None:
    with HttpCapture() as receiver:
        url = receiver.url("/slack")
    with pytest.raises(DeliveryError, match="unreachable"):
        SlackWebhook(url, timeout=2).send(ALERT)
    with pytest.raises(DeliveryError, match="unreachable"):
        SmtpEmail("127.0.0.1", 1, recipients=("a@example.com",), timeout=2).send(ALERT)
