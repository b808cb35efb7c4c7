"""The owners' morning digest (issue 12 item 1): each person who owns customers with open alerts
gets one message a day — "who needs attention" — by email, and on Slack when ``alerts.owners``
gives their Slack id (the message mentions them). Worst first: severity, then how long it has been
open. ``analytics.owner_digests`` records each person's digest per day, so a re-run that day sends
nothing again, and a channel that failed is retried on the next run of the day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import sqlalchemy as sa

from hub.alert_lifecycle import ALERT_COLUMNS
from hub.alerts import SEVERITIES
from hub.outbox import Channel
from hub.owners import OwnerDirectory, route
from hub.pipeline.steps import StepResult, step
from hub.scrub import excerpt
from hub.warehouse import Warehouse, utcnow

RANK = {s: i for i, s in enumerate(SEVERITIES)}
SHOWN = 20  # alerts listed per digest; the rest are counted


def _day(now: dt.datetime, timezone: str) -> str:
    return now.astimezone(ZoneInfo(timezone)).date().isoformat()


def digests(alerts: pd.DataFrame, owners: dict[str, Any], directory: OwnerDirectory, now: dt.datetime
            ) -> list[dict[str, Any]]:
    """One digest per person with open alerts: their route and their alerts, worst first."""
    people: dict[str, dict[str, Any]] = {}
    for alert in alerts.to_dict("records"):
        routed = route(alert.get("owner"), owners, directory)
        if not routed.get("email") and not routed.get("slack"):
            continue  # nobody personal to tell: the team channel has the alert
        person = directory.find(alert.get("owner"))
        key = (person.email if person and person.email else None) or routed.get("name") or str(alert["owner"])
        entry = people.setdefault(key, {"person": key, "route": routed, "alerts": []})
        opened = pd.Timestamp(alert["first_fired_at"])
        opened = opened.tz_localize("UTC") if opened.tzinfo is None else opened
        entry["alerts"].append({**alert, "days_open": max(0, (pd.Timestamp(now) - opened).days)})
    for entry in people.values():
        entry["alerts"].sort(key=lambda a: (-RANK.get(str(a["severity"]), 1), -a["days_open"], str(a["message"])))
    return sorted(people.values(), key=lambda e: e["person"])


def _lines(entry: dict[str, Any]) -> list[str]:
    lines = []
    for alert in entry["alerts"][:SHOWN]:
        age = "opened today" if alert["days_open"] == 0 else f"open {alert['days_open']} days"
        lines.append(f"[{alert['severity']}] {alert['message']} ({age})")
    if len(entry["alerts"]) > SHOWN:
        lines.append(f"... and {len(entry['alerts']) - SHOWN} more: see the open_alerts view")
    return lines


def _headline(entry: dict[str, Any]) -> str:
    customers = len({a.get("customer_id") or a.get("entity_id") for a in entry["alerts"]})
    name = str(entry["route"].get("name") or "").split(" ")[0]
    hello = f"Good morning{', ' + name if name else ''}"
    return f"{hello}: {customers} {'customer needs' if customers == 1 else 'customers need'} your attention"


def email_message(entry: dict[str, Any], sender: str, digest_id: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = f"[customer-hub] {_headline(entry)}"
    msg["From"] = sender
    msg["To"] = ", ".join(entry["route"]["email"])
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(idstring=digest_id, domain="customer-hub")
    msg.set_content("\n".join([_headline(entry) + ", worst first:", "", *(f"- {line}" for line in _lines(entry))]) + "\n")
    return msg


def slack_message(entry: dict[str, Any]) -> dict[str, Any]:
    mention = f"<@{entry['route']['slack']}>"
    text = f"{mention} {_headline(entry)}:\n" + "\n".join(f"• {line}" for line in _lines(entry))
    return {"text": text[:3000], "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}]}


@step(assets=("analytics/owner_digests",), reads=("analytics.alerts", "analytics.owners"),
      writes=("analytics.owner_digests",), history=("analytics.owner_digests",))
def send_owner_digests(warehouse: Warehouse, config: dict[str, Any], channels: Sequence[Channel], timezone: str,
                       now: dt.datetime | None = None) -> StepResult:
    """Today's digest to every owner with open alerts, once per person and day."""
    moment = now or utcnow()
    day = _day(moment, timezone)
    a = warehouse.table("analytics", "alerts")
    open_alerts = warehouse.read("analytics", "alerts", ALERT_COLUMNS, where=sa.and_(
        a.c.status == "open", a.c.entity_type.in_(["customer", "application"])))
    directory = OwnerDirectory(warehouse.read("analytics", "owners"))
    entries = digests(open_alerts, config["alerts"].get("owners") or {}, directory, moment)
    by_name = {c.name: c for c in channels}
    table = warehouse.table("analytics", "owner_digests")
    done = warehouse.read("analytics", "owner_digests", where=table.c.day == day)
    sent_before = {r["digest_id"]: set(json.loads(r["channels"] or "[]")) for r in done.to_dict("records")}
    rows, failures = [], 0
    for entry in entries:
        digest_id = "owner-" + hashlib.sha256(f"{day}|{entry['person']}".encode()).hexdigest()[:20]
        wanted = [c for c, ok in (("email", entry["route"].get("email")), ("slack", entry["route"].get("slack")))
                  if ok and c in by_name]
        sent = set(sent_before.get(digest_id, set()))
        errors = []
        for name in wanted:
            if name in sent:
                continue
            try:
                if name == "email":
                    channel = by_name["email"]
                    channel.send_message(email_message(entry, channel.sender, digest_id))  # type: ignore[attr-defined]
                else:
                    by_name["slack"].post(slack_message(entry))  # type: ignore[attr-defined]
                sent.add(name)
            except Exception as exc:  # DeliveryError, a receiver gone
                errors.append(f"{name}: {excerpt(str(exc))}")
        failures += bool(errors)
        previous = done[done["digest_id"] == digest_id]
        rows.append({"digest_id": digest_id, "day": day, "person": entry["person"], "alerts": len(entry["alerts"]),
                     "channels": json.dumps(sorted(sent)),
                     "status": "sent" if sent >= set(wanted) and wanted else ("failed" if errors else "no_channel"),
                     "attempts": int(previous["attempts"].iloc[0]) + 1 if len(previous) else 1,
                     "sent_at": moment.isoformat() if sent else None, "last_error": "; ".join(errors) or None})
    if rows:
        warehouse.write("analytics", "owner_digests", rows, key=["digest_id"])
    return StepResult(len(rows), {"day": day, "people": len(entries), "failed": failures,
                                  "alerts": int(sum(len(e["alerts"]) for e in entries))},
                      pd.DataFrame(rows, columns=["person", "alerts", "channels", "status"]).drop(columns="person"))
