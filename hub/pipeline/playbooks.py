"""The playbooks step: plan what the playbooks call for (``hub.playbooks.plan``), record it in
the ``actions`` ledger and, in live mode, carry it out (``hub.playbooks.execute``)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import pandas as pd
import sqlalchemy as sa

from hub.alert_lifecycle import ALERT_COLUMNS
from hub.alerts import rules_from_config
from hub.outbox import Channel
from hub.owners import OwnerDirectory
from hub.pipeline.steps import StepResult, step
from hub.playbooks.config import PlaybookError, playbooks_from_config
from hub.playbooks.execute import (
    LEDGER_COLUMNS,
    Crms,
    Outcome,
    assign_owner,
    claim,
    create_task,
    finish,
    notify_all,
    record_plan,
    retire,
    write_back,
)
from hub.playbooks.plan import Context, plan_alert_actions, plan_write_back, render
from hub.warehouse import Warehouse, utcnow


def _context(warehouse: Warehouse, config: dict[str, Any], rules: set[str], now: dt.datetime) -> Context:
    a = warehouse.table("analytics", "alerts")
    alerts = warehouse.read("analytics", "alerts", ALERT_COLUMNS,
                            where=sa.and_(a.c.status != "resolved", a.c.rule.in_(sorted(rules)))) if rules else \
        pd.DataFrame(columns=ALERT_COLUMNS)
    companies = warehouse.read("staging", "companies", ["source", "source_object", "source_id", "application_id",
                                                        "owner"])
    records = companies[(companies["source"] == "airtable") & companies["application_id"].notna()]
    return Context(
        alerts=alerts,
        customers=warehouse.read("analytics", "customers", ["customer_id", "name", "owner", "owner_name",
                                                            "owner_source", "health_score", "health_band"]),
        sources=warehouse.read("analytics", "customer_sources", ["source", "source_object", "source_id", "customer_id"]),
        applications=warehouse.read("analytics", "applications", ["application_id", "customer_id", "company",
                                                                  "contact_name", "email", "assigned_to"]),
        application_records=records[["application_id", "source_object", "source_id"]],
        record_owners=companies[["source", "source_id", "owner"]],
        owners=warehouse.read("analytics", "owners"),
        contacts=warehouse.read("analytics", "contacts", ["contact_id", "customer_id", "email"]),
        ledger=_ledger(warehouse, alerts["alert_id"].tolist()),
        now=now, settings=config.get("playbooks") or {},
        assigned_field=str(config["airtable"]["fields"]["applications"].get("assigned_to") or "Assigned To"),
        airtable_tables=dict(config["airtable"].get("tables") or {}))


def _ledger(warehouse: Warehouse, open_alerts: list[str]) -> pd.DataFrame:
    """The ledger rows planning needs, not its whole history: unfinished ones, the open alerts'
    (what was done for them), and the assignments (the round robin's turn)."""
    t = warehouse.table("analytics", "actions")
    frames = [warehouse.read("analytics", "actions", LEDGER_COLUMNS, where=sa.or_(
        t.c.status.in_(["pending", "failed", "dry_run", "started"]), t.c.action == "assign_owner"))]
    for start in range(0, len(open_alerts), 5000):
        frames.append(warehouse.read("analytics", "actions", LEDGER_COLUMNS,
                                     where=t.c.alert_id.in_(open_alerts[start:start + 5000])))
    frame = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) else frames[0]
    return frame.drop_duplicates("action_id").reset_index(drop=True)


@step(assets=("analytics/actions",),
      reads=("analytics.alerts", "analytics.customers", "analytics.customer_sources", "analytics.applications",
             "analytics.owners", "analytics.contacts", "staging.companies"),
      writes=("analytics.actions",), history=("analytics.actions",))
def run_playbooks(warehouse: Warehouse, config: dict[str, Any], channels: Sequence[Channel], crms: Crms,
                  now: dt.datetime | None = None) -> StepResult:
    """Plan, record and (live) carry out the playbooks' actions and the health write-back."""
    moment = now or utcnow()
    stamp = moment.isoformat()
    settings = config.get("playbooks") or {}
    mode = str(settings.get("mode", "dry_run"))
    known_rules = {r.name for r in rules_from_config(config["alerts"])}
    playbooks = playbooks_from_config(settings, known_rules)
    triggers = {r for p in playbooks for r in p.rules}
    ctx = _context(warehouse, config, triggers, moment)
    planned = plan_alert_actions(playbooks, ctx) + plan_write_back(ctx, settings.get("write_back") or {})
    skipped = set(ctx.ledger.loc[ctx.ledger["status"] == "skipped", "action_id"]) if len(ctx.ledger) else set()
    record_plan(warehouse, planned, mode, stamp, skipped)
    retired = retire(warehouse, planned, ctx.ledger, set(ctx.alerts["alert_id"]), stamp)
    if mode == "live":
        _carry_out(warehouse, config, channels, crms, planned, ctx, moment)
    t = warehouse.table("analytics", "actions")
    ids = sorted({p.action_id for p in planned})
    parts = [warehouse.read("analytics", "actions", LEDGER_COLUMNS, where=t.c.action_id.in_(ids[i:i + 5000]))
             for i in range(0, len(ids), 5000)]
    mine = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=LEDGER_COLUMNS)
    counts = mine.groupby(["action", "status"]).size()
    preview = mine.sort_values(["status", "action"]).head(10)[["playbook", "action", "target", "status", "result"]]
    return StepResult(warehouse.count("analytics", "actions"), {
        "mode": mode, "playbooks": [p.name for p in playbooks], "planned": len(planned), "retired": retired,
        "by_action_and_status": {f"{a}/{s}": int(n) for (a, s), n in counts.items()},
        "failed_now": int((mine["status"].isin(("failed", "gave_up"))).sum()),
    }, preview)


def _carry_out(warehouse: Warehouse, config: dict[str, Any], channels: Sequence[Channel], crms: Crms,
               planned: list[Any], ctx: Context, now: dt.datetime) -> None:
    settings = config.get("playbooks") or {}
    max_attempts = int(settings.get("max_attempts", 3))
    ids = {p.action_id for p in planned}
    t = warehouse.table("analytics", "actions")
    ledger = warehouse.read("analytics", "actions", LEDGER_COLUMNS,
                            where=t.c.status.in_(["pending", "failed", "dry_run", "started"]))
    ledger = ledger[ledger["action_id"].isin(ids) | (ledger["status"] == "started")]
    # A dry-run row runs once the mode is live: promote it to pending first.
    promote = ledger[ledger["status"] == "dry_run"]["action_id"].tolist()
    table = warehouse.table("analytics", "actions")
    with warehouse.transaction() as conn:
        for start in range(0, len(promote), 500):
            conn.execute(sa.update(table).where(table.c.action_id.in_(promote[start:start + 500]),
                                                table.c.status == "dry_run").values(status="pending", mode="live"))
    ledger.loc[ledger["status"] == "dry_run", "status"] = "pending"
    won = claim(warehouse, ledger, now, max_attempts=max_attempts,
                claim_timeout_minutes=float(settings.get("claim_timeout_minutes", 10)))
    if won.empty:
        return
    stamp = now.isoformat()
    alerts = ctx.alerts.set_index("alert_id", drop=False) if len(ctx.alerts) else None
    directory = OwnerDirectory(ctx.owners)
    audit = []

    def done(row: dict[str, Any], outcome: Outcome) -> None:
        status = finish(warehouse, row["action_id"], outcome, int(row["attempts"] or 0) + 1, max_attempts, stamp)
        audit.append({"audit_id": uuid.uuid4().hex, "recorded_at": stamp, "action": "playbook_action",
                      "actor": f"playbook:{row['playbook']}", "target": row["target"],
                      "details": json.dumps({"action_id": row["action_id"], "action": row["action"], "status": status},
                                            sort_keys=True)})

    backs = won[won["action"] == "write_back"]
    if len(backs):
        outcomes = write_back(crms, backs, settings.get("write_back") or {})
        for row in backs.to_dict("records"):
            done(row, outcomes[row["action_id"]])
    notices = won[won["action"].isin(("notify", "escalate"))]
    if len(notices):
        by_alert = {str(a["alert_id"]): a for a in ctx.alerts.to_dict("records")}
        outcomes = notify_all(channels, notices.to_dict("records"), by_alert, config, directory)
        for row in notices.to_dict("records"):
            done(row, outcomes[row["action_id"]])
    for row in won[~won["action"].isin(("write_back", "notify", "escalate"))].to_dict("records"):
        request = json.loads(row["request"] or "{}")
        alert = alerts.loc[row["alert_id"]].to_dict() if alerts is not None and row["alert_id"] in alerts.index else {}
        if row["action"] == "create_task":
            outcome = create_task(crms, row, request)
        elif row["action"] == "assign_owner":
            outcome = assign_owner(crms, row, request)
        elif row["action"] == "email_contact":
            outcome = _email_contact(warehouse, channels, row, request, alert, ctx, settings)
        else:
            outcome = Outcome("skipped", f"unknown action {row['action']!r}")
        done(row, outcome)
    if audit:
        warehouse.write("analytics", "audit_log", audit, mode="append")


def _email_contact(warehouse: Warehouse, channels: Sequence[Channel], row: dict[str, Any], request: dict[str, Any],
                   alert: dict[str, Any], ctx: Context, settings: dict[str, Any]) -> Outcome:
    """Mail the customer's contact from a template, through the SMTP server of the email channel."""
    email = next((c for c in channels if c.name == "email"), None)
    if email is None or not hasattr(email, "send_message"):
        return Outcome("skipped", "no SMTP server configured (HUB_SMTP_HOST): customer emails need the email channel")
    kind, _, ref = str(request.get("contact") or "").partition(":")
    if kind == "application":
        address = ctx.application(ref).get("email")
        first_name = str(ctx.application(ref).get("contact_name") or "").split(" ")[0] or None
    else:
        found = ctx.contacts[ctx.contacts["contact_id"] == ref]
        address = found["email"].iloc[0] if len(found) else None
        first_name = None
    if not address:
        return Outcome("skipped", "the contact has no email any more (erased or changed)")
    customer_email = settings.get("customer_email") or {}
    template = (customer_email.get("templates") or {})[request["template"]]
    facts = {"name": ctx.customer(alert.get("customer_id")).get("name") or alert.get("entity_id"),
             "first_name": first_name or "there", "sender_name": customer_email.get("sender_name") or "The team"}
    msg = EmailMessage()
    msg["Subject"] = render(template["subject"], facts)
    msg["From"] = customer_email.get("from") or email.sender  # type: ignore[attr-defined]
    msg["To"] = str(address)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(idstring=row["action_id"], domain="customer-hub")
    msg.set_content(render(template["body"], facts) + "\n")
    try:
        email.send_message(msg)  # type: ignore[attr-defined]
    except Exception as exc:  # DeliveryError, or the server gone
        return Outcome("failed", str(exc))
    return Outcome("done", f"sent template {request['template']}")


__all__ = ["PlaybookError", "run_playbooks"]
