"""Send a rendered report through the alert channels (issue 11 item 2): one mail per report and
period to the team (HUB_ALERT_EMAIL_TO) with the charts inline, one Slack summary, and a signed
``report.rendered`` webhook event. ``analytics.report_deliveries`` is the ledger — one row per
report, period and channel — so a re-render or backfill of a period sends nothing a channel already
took, a channel that failed is tried again on the next render, and a channel that is down never
fails the report (its scrubbed error is recorded and shown in the asset's metadata).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import pandas as pd
import sqlalchemy as sa

from hub.outbox import Channel
from hub.pipeline.steps import StepResult, step
from hub.reports.store import REPORTS, Rendered
from hub.scrub import excerpt
from hub.warehouse import Warehouse, utcnow

CHANNELS = ("email", "slack", "webhook")
SUMMARY_LINES = 12  # headline lines a Slack summary shows; the mail and the files have the rest
IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")


def delivery_id(rendered: Rendered) -> str:
    """Stable per report and period: the mail's Message-ID and the webhook's X-Hub-Delivery."""
    return f"report.{rendered.name}.{rendered.period.label}"


def title(rendered: Rendered) -> str:
    first = rendered.markdown.split("\n", 1)[0]
    return first.removeprefix("# ").strip() or rendered.name


def headline(rendered: Rendered) -> list[str]:
    """The lines between the period line and the first section: the seed template's figures."""
    lines = rendered.markdown.split("\n")
    out = []
    for line in lines[3:]:
        if line.startswith("## "):
            break
        if line.strip():
            out.append(line.strip())
    return out


def where(rendered: Rendered, url: str | None) -> str:
    """Where the whole report is: under ``reports.url`` when the team publishes HUB_HOME/reports,
    else its path on the hub's machine (never a channel's URL)."""
    if url:
        return f"{url.rstrip('/')}/{rendered.name}/{rendered.period.label}/report.html"
    return str(rendered.html)


def plain_text(rendered: Rendered) -> str:
    """The Markdown, charts named instead of linked (the HTML part shows them)."""
    return IMAGE.sub(lambda m: f"[chart: {m.group(1)}]", rendered.markdown)


def email_message(rendered: Rendered, sender: str, recipients: Sequence[str], url: str | None) -> EmailMessage:
    """multipart/alternative: the Markdown as text, and the report's HTML in a multipart/related
    whose PNG charts it shows by Content-ID (``<img src="cid:…">``), so no mail client fetches
    anything."""
    if not recipients:
        raise ValueError("a report mail goes to the team: set HUB_ALERT_EMAIL_TO")
    msg = EmailMessage()
    msg["Subject"] = f"[customer-hub] {title(rendered)} — {rendered.period.label}"
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(idstring=delivery_id(rendered), domain="customer-hub")
    msg.set_content(plain_text(rendered) + f"\nThe full report: {where(rendered, url)}\n")
    page = rendered.html.read_text(encoding="utf-8")
    images = []
    for chart in rendered.charts:
        cid = make_msgid(idstring=chart.stem, domain="customer-hub")
        linked = f'src="{chart.name}"'
        if linked not in page:
            raise ValueError(f"report {rendered.name} {rendered.period.label}: report.html does not show {chart.name}")
        page = page.replace(linked, f'src="cid:{cid[1:-1]}"')
        images.append((chart, cid))
    msg.add_alternative(page, subtype="html")
    html_part = msg.get_payload()[1]
    for chart, cid in images:
        html_part.add_related(chart.read_bytes(), maintype="image", subtype="png", cid=cid, filename=chart.name)
    return msg


def slack_summary(rendered: Rendered, url: str | None) -> dict[str, Any]:
    """One message: the title, the period, the headline figures and where the report is."""
    # Slack's mrkdwn: *bold*, and bullets as characters (it has no Markdown lists).
    lines = [re.sub(r"^- ", "• ", re.sub(r"\*\*(.+?)\*\*", r"*\1*", line)) for line in headline(rendered)]
    shown = lines[:SUMMARY_LINES] + ([f"… and {len(lines) - SUMMARY_LINES} more"] if len(lines) > SUMMARY_LINES else [])
    body = "\n".join(shown) or "_no headline figures_"
    text = f":bar_chart: {title(rendered)} — {rendered.period.label}"
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": text[:150]}},
              {"type": "section", "text": {"type": "mrkdwn", "text": body[:3000]}},
              {"type": "context", "elements": [{"type": "mrkdwn", "text": f"Full report: {where(rendered, url)}"[:3000]}]}]
    return {"text": f"{text}\n{body}"[:3000], "blocks": blocks}


def webhook_event(rendered: Rendered, url: str | None) -> dict[str, Any]:
    period = rendered.period
    return {"event": "report.rendered", "delivery_id": delivery_id(rendered),
            "report": {"name": rendered.name, "title": title(rendered), "period": period.label, "grain": period.grain,
                       "period_start": period.start.strftime("%Y-%m-%d"), "period_end": period.end.strftime("%Y-%m-%d"),
                       "location": where(rendered, url), "markdown": rendered.markdown}}


def send(channel: Any, rendered: Rendered, url: str | None) -> None:
    """Through the channel's own plumbing (``SmtpEmail.send_message``, ``SlackWebhook.post``,
    ``SignedWebhook.post``); a channel without it raises what its ``send`` would."""
    if channel.name == "email" and hasattr(channel, "send_message"):
        channel.send_message(email_message(rendered, channel.sender, channel.recipients, url))
    elif channel.name in ("slack", "webhook") and hasattr(channel, "post"):
        if channel.name == "slack":
            channel.post(slack_summary(rendered, url))
        else:
            channel.post(webhook_event(rendered, url), delivery_id(rendered))
    else:  # a MisconfiguredChannel: its send raises the fix
        channel.send({"alert_id": delivery_id(rendered), "rule": "report", "message": title(rendered)})


@step(assets=tuple(f"analytics/reports/{name}" for name in REPORTS), writes=("analytics.report_deliveries",),
      history=("analytics.report_deliveries",))
def deliver_reports(warehouse: Warehouse, config: dict[str, Any], channels: Sequence[Channel],
                    rendered: Sequence[Rendered], *, force: bool = False, now: dt.datetime | None = None
                    ) -> StepResult:
    """Each rendered report to each channel ``reports.deliver`` switches on that has not taken it
    yet (``force``: again, even if it has). Never raises for a channel: its error is recorded."""
    settings = config["reports"]
    wanted = [c for c in channels if settings["deliver"].get(c.name)]
    moment = now or utcnow()
    table = warehouse.table("analytics", "report_deliveries")
    rows, outcome = [], []
    for report in rendered:
        before = warehouse.read("analytics", "report_deliveries", where=sa.and_(
            table.c.name == report.name, table.c.period == report.period.label))
        previous = {r["channel"]: r for r in before.to_dict("records")}
        for channel in wanted:
            last = previous.get(channel.name)
            if last and last["status"] == "sent" and not force:
                outcome.append((report.name, channel.name, "already sent"))
                continue
            try:
                send(channel, report, settings.get("url"))
                status, error = "sent", None
            except Exception as exc:  # DeliveryError, a receiver gone, a mail without recipient
                status, error = "failed", excerpt(str(exc))
            rows.append({"name": report.name, "period": report.period.label, "channel": channel.name,
                         "status": status, "attempts": int(last["attempts"]) + 1 if last else 1,
                         "attempted_at": moment, "sent_at": moment if status == "sent" else
                         (last["sent_at"] if last else None), "last_error": error})
            outcome.append((report.name, channel.name, status if not error else f"failed: {error}"))
    if rows:
        warehouse.write("analytics", "report_deliveries", pd.DataFrame(rows), key=["name", "period", "channel"])
    failed = [f"{name} {channel}: {what}" for name, channel, what in outcome if what.startswith("failed")]
    off = sorted({c.name for c in channels} - {c.name for c in wanted})
    return StepResult(len(rows), {"sent": sum(r["status"] == "sent" for r in rows), "failed": len(failed),
                                  "already_sent": sum(what == "already sent" for *_, what in outcome),
                                  "channels": json.dumps(sorted(c.name for c in wanted)),
                                  "switched_off": json.dumps(off), "errors": "; ".join(failed)},
                      pd.DataFrame(outcome, columns=["report", "channel", "outcome"]))
