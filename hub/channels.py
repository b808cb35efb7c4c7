"""Alert channels: Slack incoming webhook (Block Kit), a signed JSON webhook, and SMTP email.

Each channel sends one alert (``send``) or a digest of many (``send_digest``, ``hub.digest``).
Each ``send`` returns when the receiver accepted the alert and raises ``DeliveryError`` when it
did not; the outbox records the error and tries again on the next run or sensor tick. Secrets
(webhook URLs, the signing secret, the SMTP password) never appear in payloads or errors: an
error keeps the status code and an excerpt scrubbed by ``hub.scrub`` (receivers echo the request
path, and a webhook URL's path is its secret).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import requests

from hub import digest as digests
from hub.scrub import excerpt, secret_parts

SEVERITY_EMOJI = {"critical": ":rotating_light:", "high": ":rotating_light:", "warning": ":warning:",
                  "info": ":information_source:"}
SIGNATURE_HEADER = "X-Hub-Signature-256"
TIMESTAMP_HEADER = "X-Hub-Timestamp"
DELIVERY_HEADER = "X-Hub-Delivery"


class DeliveryError(RuntimeError):
    """A channel refused the alert or could not be reached."""


def _routed(alert: dict[str, Any]) -> dict[str, Any]:
    routed = alert.get("routed_to")
    if isinstance(routed, str) and routed:
        try:
            return json.loads(routed)
        except json.JSONDecodeError:
            return {}
    return routed if isinstance(routed, dict) else {}


def _title(alert: dict[str, Any]) -> str:
    prefix = "Reminder: " if str(alert.get("notice", "")).startswith("reminder") else ""
    return f"{prefix}{alert['rule']} ({alert.get('severity', 'warning')})"


def alert_document(alert: dict[str, Any]) -> dict[str, Any]:
    """The alert as plain JSON: what the webhook posts and what the other channels render."""
    keys = ("alert_id", "rule", "severity", "status", "entity_type", "entity_id", "customer_id", "owner",
            "message", "first_fired_at", "last_fired_at", "resolved_at", "window_key")
    doc = {k: _text(alert.get(k)) for k in keys}
    doc["routed_to"] = _routed(alert)
    details = alert.get("details")
    doc["details"] = json.loads(details) if isinstance(details, str) and details else None
    return doc


def _text(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value if isinstance(value, int | float | bool) else str(value)


def slack_blocks(alert: dict[str, Any]) -> dict[str, Any]:
    """A Slack incoming-webhook payload (Block Kit, with a plain-text fallback)."""
    emoji = SEVERITY_EMOJI.get(str(alert.get("severity")), ":bell:")
    routed = _routed(alert)
    owner = f"<@{routed['slack']}>" if routed.get("slack") else routed.get("name") or alert.get("owner")
    fields = [{"type": "mrkdwn", "text": f"*{label}*\n{value}"}
              for label, value in (("Customer", alert.get("customer_id")), ("Owner", owner),
                                   ("Entity", f"{alert.get('entity_type')} {alert.get('entity_id')}"))
              if value]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"{emoji} {_title(alert)}"[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": str(alert["message"])[:3000]}},
    ]
    if fields:
        blocks.append({"type": "section", "fields": fields})
    status = "" if alert.get("status") in (None, "open") else f" · now {alert['status']}"
    blocks.append({"type": "context", "elements": [
        {"type": "mrkdwn", "text": f"alert `{alert['alert_id']}` · first fired {_text(alert.get('first_fired_at'))}"
                                   f"{status}"}]})
    mention = f"<@{routed['slack']}> " if routed.get("slack") else ""
    return {"text": f"{mention}{_title(alert)}: {alert['message']}"[:3000], "blocks": blocks}


def _post(name: str, url: str, body: bytes, headers: dict[str, str], timeout: float,
          secrets: tuple[str | None, ...] = ()) -> None:
    try:
        response = requests.post(url, data=body, headers=headers, timeout=timeout)
    except requests.RequestException as exc:
        raise DeliveryError(f"{name} unreachable ({type(exc).__name__})") from None
    if not 200 <= response.status_code < 300:
        said = excerpt(response.text[:4000], secret_parts(url, *secrets))
        raise DeliveryError(f"{name} answered {response.status_code}" + (f": {said}" if said else ""))


def slack_digest(digest: dict[str, Any]) -> dict[str, Any]:
    """A digest as one Slack message: a header, then a line per rule and severity, worst first."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f":bell: {digests.title(digest)}"[:150]}}]
    # Slack takes at most 50 blocks a message; a digest of more groups ends with a count.
    shown = digest["groups"][:45]
    for group in shown:
        emoji = SEVERITY_EMOJI.get(group["severity"], ":bell:")
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": f"{emoji} {digests.group_line(group)}"[:3000]}})
    if len(digest["groups"]) > len(shown):
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"and {len(digest['groups']) - len(shown)} more rules: see the alerts table"}]})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"digest `{digest['digest_id']}`"}]})
    return {"text": digests.text(digest)[:3000], "blocks": blocks}


@dataclass
class SlackWebhook:
    """Slack incoming webhook. The URL is a secret: it is never put in messages or errors."""

    url: str = field(repr=False)
    timeout: float = 10.0
    name: str = "slack"

    def send(self, alert: dict[str, Any]) -> None:
        body = json.dumps(slack_blocks(alert)).encode()
        _post("Slack webhook", self.url, body, {"Content-Type": "application/json"}, self.timeout)

    def send_digest(self, digest: dict[str, Any]) -> None:
        body = json.dumps(slack_digest(digest)).encode()
        _post("Slack webhook", self.url, body, {"Content-Type": "application/json"}, self.timeout)

    def post(self, payload: dict[str, Any]) -> None:
        """Post a message composed elsewhere (the owners' morning digests)."""
        _post("Slack webhook", self.url, json.dumps(payload).encode(), {"Content-Type": "application/json"},
              self.timeout)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` + hex HMAC-SHA256 of ``"{timestamp}." + body`` (the timestamp stops replays)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(secret: str, timestamp: str, body: bytes, signature: str, *,
                     tolerance_seconds: float = 300.0, now: float | None = None) -> bool:
    """What a receiver checks: the signature matches and the timestamp is recent."""
    try:
        age = abs((now if now is not None else time.time()) - float(timestamp))
    except ValueError:
        return False
    return age <= tolerance_seconds and hmac.compare_digest(sign(secret, timestamp, body), signature)


@dataclass
class SignedWebhook:
    """A generic JSON webhook: the alert document POSTed with an HMAC-SHA256 signature header
    (``X-Hub-Signature-256``) over the timestamp and body, keyed by HUB_ALERT_WEBHOOK_SECRET."""

    url: str = field(repr=False)
    secret: str | None = field(default=None, repr=False)
    timeout: float = 10.0
    name: str = "webhook"

    def send(self, alert: dict[str, Any]) -> None:
        event = "alert.reminder" if str(alert.get("notice", "")).startswith("reminder") else "alert.fired"
        self._post({"event": event, "delivery_id": alert.get("delivery_id"), "alert": alert_document(alert)},
                   str(alert.get("delivery_id") or alert["alert_id"]))

    def send_digest(self, digest: dict[str, Any]) -> None:
        """``{"event": "alert.digest", "delivery_id": <digest id>, "digest": {total, by_severity,
        groups}, "alerts": [alert documents]}``."""
        summary = {k: digest[k] for k in ("digest_id", "total", "by_severity", "groups")}
        self._post({"event": "alert.digest", "delivery_id": digest["digest_id"], "digest": summary,
                    "alerts": [alert_document(a) for a in digest["alerts"]]}, str(digest["digest_id"]))

    def post(self, payload: dict[str, Any], delivery: str) -> None:
        """Post an event composed elsewhere (``report.rendered``), signed like the alerts."""
        self._post(payload, delivery)

    def _post(self, payload: dict[str, Any], delivery: str) -> None:
        if not self.secret:
            raise DeliveryError("the alert webhook is signed: set HUB_ALERT_WEBHOOK_SECRET to the secret "
                                "the receiver verifies with (deliveries wait until then)")
        body = json.dumps(payload, sort_keys=True, default=str).encode()
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: timestamp,
                   SIGNATURE_HEADER: sign(self.secret, timestamp, body), DELIVERY_HEADER: delivery}
        _post("alert webhook", self.url, body, headers, self.timeout, (self.secret,))


@dataclass
class SmtpEmail:
    """Email through an SMTP server. Port 465 speaks TLS from the start; otherwise STARTTLS is
    used whenever the server offers it, and credentials are never sent over a plain connection.
    Recipients: the owner's address (``alerts.owners`` or an owner that is an address) and
    HUB_ALERT_EMAIL_TO."""

    host: str
    port: int = 587
    sender: str = "customer-hub@localhost"
    recipients: tuple[str, ...] = ()
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 10.0
    name: str = "email"

    def message(self, alert: dict[str, Any]) -> EmailMessage:
        routed = _routed(alert)
        to = list(dict.fromkeys([*routed.get("email", []), *self.recipients]))
        if not to:
            raise DeliveryError("email alert has no recipient: set HUB_ALERT_EMAIL_TO or map the owner "
                                "in HUB_CONFIG alerts.owners")
        doc = alert_document(alert)
        msg = EmailMessage()
        msg["Subject"] = f"[customer-hub] {_title(alert)}: {str(alert['message'])[:120]}"
        msg["From"] = self.sender
        msg["To"] = ", ".join(to)
        msg["Date"] = formatdate(localtime=False)
        # One Message-ID per delivery: a receiver seeing the same alert twice can tell.
        msg["Message-ID"] = make_msgid(idstring=str(alert.get("delivery_id") or alert["alert_id"]).replace(":", "."),
                                       domain="customer-hub")
        lines = [str(alert["message"]), ""]
        lines += [f"{k.replace('_', ' ')}: {v}" for k, v in doc.items()
                  if v not in (None, "", {}) and k not in ("message", "details", "routed_to")]
        if doc["details"]:
            lines += ["", "details: " + json.dumps(doc["details"], indent=2, default=str)]
        msg.set_content("\n".join(lines) + "\n")
        return msg

    def digest_message(self, digest: dict[str, Any]) -> EmailMessage:
        """One mail for a digest, to the team (HUB_ALERT_EMAIL_TO) and every owner it names."""
        owners = [address for alert in digest["alerts"] for address in _routed(alert).get("email", [])]
        to = list(dict.fromkeys([*self.recipients, *owners]))
        if not to:
            raise DeliveryError("email digest has no recipient: set HUB_ALERT_EMAIL_TO or map the owners "
                                "in HUB_CONFIG alerts.owners")
        msg = EmailMessage()
        msg["Subject"] = f"[customer-hub] {digests.title(digest)}"
        msg["From"] = self.sender
        msg["To"] = ", ".join(to)
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(idstring=str(digest["digest_id"]), domain="customer-hub")
        lines = [digests.text(digest), ""]
        for group in digest["groups"]:
            lines += ["", f"{group['rule']} ({group['severity']}):"]
            lines += [f"  - {a['message']}" for a in digest["alerts"]
                      if a["rule"] == group["rule"] and a.get("severity") == group["severity"]]
        msg.set_content("\n".join(lines) + "\n")
        return msg

    def send_digest(self, digest: dict[str, Any]) -> None:
        self._deliver(self.digest_message(digest))

    def send(self, alert: dict[str, Any]) -> None:
        self._deliver(self.message(alert))

    def send_message(self, msg: EmailMessage) -> None:
        """Send a mail composed elsewhere (playbooks' customer emails) through this server."""
        self._deliver(msg)

    def _deliver(self, msg: EmailMessage) -> None:
        try:
            if self.port == 465:
                with smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                      context=ssl.create_default_context()) as smtp:
                    self._login_and_send(smtp, msg, secure=True)
            else:
                with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                    smtp.ehlo()
                    secure = smtp.has_extn("starttls")
                    if secure:
                        smtp.starttls(context=ssl.create_default_context())
                        smtp.ehlo()
                    self._login_and_send(smtp, msg, secure=secure)
        except smtplib.SMTPException as exc:
            said = excerpt(str(exc), secret_parts(self.password, self.user))
            raise DeliveryError(f"SMTP server {self.host}:{self.port} refused the alert: "
                                f"{type(exc).__name__} {said}") from None
        except OSError as exc:
            raise DeliveryError(f"SMTP server {self.host}:{self.port} unreachable ({type(exc).__name__})") from None

    def _login_and_send(self, smtp: smtplib.SMTP, msg: EmailMessage, *, secure: bool) -> None:
        if self.user:
            if not secure:
                raise DeliveryError(f"SMTP server {self.host}:{self.port} offers no STARTTLS: refusing to send "
                                    "HUB_SMTP_USER's password in clear (use port 465 or a TLS-capable server)")
            smtp.login(self.user, self.password or "")
        smtp.send_message(msg)


@dataclass
class MisconfiguredChannel:
    """A channel whose settings are incomplete: every delivery waits with the fix as its error."""

    name: str
    problem: str

    def send(self, alert: dict[str, Any]) -> None:
        raise DeliveryError(self.problem)

    def send_digest(self, digest: dict[str, Any]) -> None:
        raise DeliveryError(self.problem)
