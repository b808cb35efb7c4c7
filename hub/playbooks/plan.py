"""What the playbooks would do now: one planned action per (playbook, action, alert, target),
with a stable ``action_id`` so a re-run finds the same action in the ``actions`` ledger instead
of doing it again. Pure: reads frames, touches nothing (``hub.pipeline.playbooks`` executes).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from string import Template
from typing import Any

import pandas as pd

from hub.owners import OwnerDirectory, Person, name_key
from hub.playbooks.config import Playbook

CRMS = ("hubspot", "salesforce")
CRM_OBJECTS = {"hubspot": "companies", "salesforce": "Account"}
WRITE_BACK_FIELDS = ("health_score", "health_band", "customer_id")


def action_id(*parts: Any) -> str:
    """A stable id for an action: the same playbook, step, alert and target give the same id."""
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:24]


@dataclass
class Planned:
    action_id: str
    playbook: str
    step: int
    action: str
    target: str  # 'hubspot:companies:123', 'salesforce:Account:001…', 'airtable:<table>:rec…', 'channels', 'email'
    request: dict[str, Any]
    alert_id: str | None = None
    rule: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    customer_id: str | None = None
    skip: str | None = None  # a reason it cannot run at all (recorded as skipped)

    def row(self) -> dict[str, Any]:
        return {"action_id": self.action_id, "playbook": self.playbook, "step": self.step, "action": self.action,
                "target": self.target, "alert_id": self.alert_id, "rule": self.rule, "entity_type": self.entity_type,
                "entity_id": self.entity_id, "customer_id": self.customer_id,
                "request": json.dumps(self.request, sort_keys=True, default=str)}


def _text(value: Any) -> str | None:
    if value is None or (not isinstance(value, str | list | dict) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def render(template: str, facts: Mapping[str, Any]) -> str:
    """``${name}`` placeholders filled from facts; a missing fact reads as what is missing."""
    values = {k: (_text(v) if _text(v) is not None else f"(no {k.replace('_', ' ')})") for k, v in facts.items()}
    return Template(str(template)).safe_substitute(values)


@dataclass
class Context:
    """What planning reads, as frames from the warehouse."""

    alerts: pd.DataFrame  # open alerts of the triggering rules (ALERT_COLUMNS)
    customers: pd.DataFrame  # customer_id, name, owner, owner_source, health_score, health_band
    sources: pd.DataFrame  # customer_sources: source, source_object, source_id, customer_id
    applications: pd.DataFrame  # application_id, customer_id, company, contact_name, email, assigned_to
    application_records: pd.DataFrame  # application_id, source_object, source_id (Airtable)
    record_owners: pd.DataFrame  # staging.companies: source, source_id, owner (who owns each record now)
    owners: pd.DataFrame  # analytics.owners
    contacts: pd.DataFrame  # contact_id, customer_id, email
    ledger: pd.DataFrame  # analytics.actions: action_id, playbook, alert_id, action, request, status
    now: dt.datetime
    settings: Mapping[str, Any] = field(default_factory=dict)
    assigned_field: str = "Assigned To"  # the Airtable applications' owner field (airtable.fields)
    airtable_tables: Mapping[str, str] = field(default_factory=dict)  # object -> table name (airtable.tables)

    def __post_init__(self) -> None:
        self.directory = OwnerDirectory(self.owners)
        self._customers = self.customers.set_index("customer_id", drop=False) if len(self.customers) else None
        self._apps = self.applications.set_index("application_id", drop=False) if len(self.applications) else None
        owned = self.record_owners[self.record_owners["owner"].map(_text).notna()] if len(self.record_owners) else None
        self._owned = {} if owned is None else dict(zip(zip(owned["source"], owned["source_id"].astype(str), strict=True),
                                                        owned["owner"], strict=True))

    def owner_of(self, source: str, record_id: str) -> Any:
        """Who owns a source record now (None when nobody does)."""
        return self._owned.get((source, str(record_id)))

    def customer(self, customer_id: Any) -> dict[str, Any]:
        if self._customers is None or _text(customer_id) is None or customer_id not in self._customers.index:
            return {}
        return self._customers.loc[customer_id].to_dict()

    def application(self, application_id: Any) -> dict[str, Any]:
        if self._apps is None or application_id not in self._apps.index:
            return {}
        return self._apps.loc[application_id].to_dict()

    def records(self, customer_id: Any, source: str) -> list[tuple[str, str]]:
        """(object, id) of the customer's records in a CRM, in id order."""
        if _text(customer_id) is None or self.sources.empty:
            return []
        rows = self.sources[(self.sources["customer_id"] == customer_id) & (self.sources["source"] == source)
                            & (self.sources["source_object"] == CRM_OBJECTS.get(source, ""))]
        return sorted(zip(rows["source_object"], rows["source_id"].astype(str), strict=True), key=lambda r: r[1])


def _facts(alert: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
    customer = ctx.customer(alert.get("customer_id"))
    app = ctx.application(alert.get("entity_id")) if alert.get("entity_type") == "application" else {}
    first = pd.Timestamp(alert.get("first_fired_at")) if _text(alert.get("first_fired_at")) else None
    if first is not None and first.tzinfo is None:
        first = first.tz_localize("UTC")
    person = ctx.directory.find(alert.get("owner"))
    return {"name": customer.get("name") or app.get("company") or alert.get("entity_id"),
            "customer_id": alert.get("customer_id"), "entity_id": alert.get("entity_id"), "rule": alert.get("rule"),
            "severity": alert.get("severity"), "message": alert.get("message"),
            "health_score": customer.get("health_score"), "health_band": customer.get("health_band"),
            "owner_name": (person.name if person else None) or customer.get("owner_name"),
            "first_fired_at": alert.get("first_fired_at"),
            "days_open": None if first is None else (pd.Timestamp(ctx.now) - first).days}


def _task_target(alert: Mapping[str, Any], ctx: Context, prefer: str | None) -> tuple[str, str, str] | None:
    """The CRM record a task goes on: the CRM of the customer's owner, else the first CRM the
    customer lives in (HubSpot, then Salesforce)."""
    customer = ctx.customer(alert.get("customer_id"))
    order = [s for s in (prefer, customer.get("owner_source"), *CRMS) if s in CRMS]
    for source in dict.fromkeys(order):
        found = ctx.records(alert.get("customer_id"), source)
        if found:
            return source, found[0][0], found[0][1]
    return None


def _owner_id(person: Person | None, source: str, owners: pd.DataFrame) -> str | None:
    """The rep's owner id in a source (their HubSpot owner id, Salesforce user id, Airtable name)."""
    if person is None or owners.empty:
        return None
    rows = owners[(owners["source"] == source) & owners["owner_id"].astype(str).isin(person.keys)]
    if source != "airtable":
        rows = rows[rows["active"].astype("boolean").fillna(True)]
    return str(rows["owner_id"].iloc[0]) if len(rows) else None


class _RoundRobin:
    """The configured reps in turn, continuing where the ledger's last assignment left off."""

    def __init__(self, ctx: Context) -> None:
        reps = [str(r) for r in ctx.settings.get("reps") or []]
        self.people = [(r, ctx.directory.find(r)) for r in reps]
        done = ctx.ledger[ctx.ledger["action"] == "assign_owner"] if len(ctx.ledger) else ctx.ledger
        self.turn = int(done["alert_id"].nunique()) if len(done) else 0

    def next(self) -> tuple[str, Person | None] | None:
        if not self.people:
            return None
        rep = self.people[self.turn % len(self.people)]
        self.turn += 1
        return rep


def plan_alert_actions(playbooks: Sequence[Playbook], ctx: Context) -> list[Planned]:
    """The actions the playbooks' triggering alerts call for now."""
    planned: list[Planned] = []
    known = ctx.ledger.set_index("action_id") if len(ctx.ledger) else None
    acted = set(zip(ctx.ledger["playbook"], ctx.ledger["alert_id"], strict=True)) if len(ctx.ledger) else set()
    act_within = float(ctx.settings.get("act_within_days", 3))
    robin = _RoundRobin(ctx)
    for playbook in playbooks:
        alerts = ctx.alerts[ctx.alerts["rule"].isin(playbook.rules)] if len(ctx.alerts) else ctx.alerts
        for alert in alerts.to_dict("records"):
            facts = _facts(alert, ctx)
            seen = (playbook.name, alert["alert_id"]) in acted
            for step, action in enumerate(playbook.actions, start=1):
                # News is acted on while fresh: an alert's actions within act_within_days of its
                # opening, an escalation within act_within_days of falling due. Older ones were
                # news before the playbook existed (once acted on, an alert's actions go on).
                due = float(action.options.get("after_days", 0)) if action.kind == "escalate" else 0.0
                fresh = facts["days_open"] is None or facts["days_open"] - due <= act_within
                if fresh or seen:
                    planned += _plan_step(playbook, step, action, alert, facts, ctx, robin, known)
    return planned


def _base(playbook: Playbook, step: int, kind: str, alert: Mapping[str, Any], target: str,
          request: dict[str, Any], skip: str | None = None) -> Planned:
    return Planned(action_id(playbook.name, step, kind, alert["alert_id"], target), playbook.name, step, kind,
                   target, request, alert["alert_id"], alert.get("rule"), alert.get("entity_type"),
                   alert.get("entity_id"), _text(alert.get("customer_id")), skip)


def _plan_step(playbook: Playbook, step: int, action: Any, alert: Mapping[str, Any], facts: dict[str, Any],
               ctx: Context, robin: _RoundRobin, known: pd.DataFrame | None) -> list[Planned]:
    o = action.options
    if action.kind in ("notify", "escalate"):
        if action.kind == "escalate" and (facts["days_open"] is None or facts["days_open"] < float(o["after_days"])):
            return []  # not due yet
        to = o.get("to", "manager" if action.kind == "escalate" else "owner")
        default = ("Escalation: ${name} has had '${rule}' open for ${days_open} days (owner: ${owner_name}). "
                   "${message}" if action.kind == "escalate" else "${message}")
        return [_base(playbook, step, action.kind, alert, "channels", {
            "to": to, "severity": "high" if action.kind == "escalate" else alert.get("severity"),
            "name": facts["name"], "message": render(o.get("message") or default, facts)})]
    if action.kind == "create_task":
        target = _task_target(alert, ctx, o.get("crm"))
        due = (pd.Timestamp(ctx.now) + pd.Timedelta(days=float(o.get("due_in_days", 3)))).date().isoformat()
        request = {"subject": render(o["subject"], facts)[:255],
                   "body": render(o.get("body") or "${message}", facts)[:4000],
                   "priority": o["priority"], "due_date": due}
        if target is None:
            return [_base(playbook, step, "create_task", alert, "crm", request,
                          skip="the customer has no HubSpot company or Salesforce Account to put the task on")]
        source, obj, record = target
        owner = ctx.directory.find(alert.get("owner"))
        owner_id = _owner_id(owner, source, ctx.owners)
        if owner_id:
            request["owner_id"] = owner_id
        return [_base(playbook, step, "create_task", alert, f"{source}:{obj}:{record}", request)]
    if action.kind == "assign_owner":
        return _plan_assign(playbook, step, alert, ctx, robin, known)
    if action.kind == "email_contact":
        return [_plan_email(playbook, step, o, alert, ctx)]
    raise AssertionError(action.kind)


def _plan_assign(playbook: Playbook, step: int, alert: Mapping[str, Any], ctx: Context, robin: _RoundRobin,
                 known: pd.DataFrame | None) -> list[Planned]:
    targets: list[tuple[str, str, str]] = []
    if alert.get("entity_type") == "application":
        recs = ctx.application_records[ctx.application_records["application_id"] == alert.get("entity_id")] \
            if len(ctx.application_records) else ctx.application_records
        targets += [("airtable", str(r["source_object"]), str(r["source_id"])) for r in recs.to_dict("records")]
    for source in CRMS:
        targets += [(source, obj, rid) for obj, rid in ctx.records(alert.get("customer_id"), source)[:1]]
    if not targets:
        return [_base(playbook, step, "assign_owner", alert, "crm", {},
                      skip="no Airtable application, HubSpot company or Salesforce Account to assign")]
    # A record someone already owns keeps its owner: only the unowned ones are assigned.
    owned = {t for t in targets if ctx.owner_of(t[0], t[2]) is not None}
    # One rep per alert: a retry keeps the rep the first plan chose (stored in the ledger).
    first_ids = [action_id(playbook.name, step, "assign_owner", alert["alert_id"], f"{s}:{o}:{r}") for s, o, r in targets]
    chosen = None
    if known is not None:
        for aid in first_ids:
            if aid in known.index:
                chosen = json.loads(known.loc[aid, "request"] or "{}").get("rep")
                break
    if chosen is None:
        pick = robin.next()
        if pick is None:
            return [_base(playbook, step, "assign_owner", alert, "crm", {},
                          skip="playbooks.reps is empty: list the sales reps to assign in turn")]
        chosen = pick[0]
    person = ctx.directory.find(chosen)
    out = []
    for source, obj, record in targets:
        owner_value = person.name if source == "airtable" and person and person.name else \
            chosen if source == "airtable" else _owner_id(person, source, ctx.owners)
        request = {"rep": chosen, "owner": owner_value}
        if source == "airtable":
            request.update(field=ctx.assigned_field, table=ctx.airtable_tables.get(obj, obj))
        skip = None if owner_value else f"{chosen} has no {source} user: add them there or drop them from playbooks.reps"
        if (source, obj, record) in owned:
            current = ctx.owner_of(source, record)
            person = ctx.directory.find(current)
            skip = f"already owned by {(person.name if person and person.name else current)} in {source}: left as it is"
        out.append(_base(playbook, step, "assign_owner", alert, f"{source}:{obj}:{record}", request, skip))
    return out


def _plan_email(playbook: Playbook, step: int, options: Mapping[str, Any], alert: Mapping[str, Any],
                ctx: Context) -> Planned:
    settings = ctx.settings.get("customer_email") or {}
    contact: dict[str, Any] = {}
    if alert.get("entity_type") == "application":
        app = ctx.application(alert.get("entity_id"))
        if _text(app.get("email")):
            contact = {"contact": f"application:{alert.get('entity_id')}", "email": app.get("email")}
    elif len(ctx.contacts):
        rows = ctx.contacts[(ctx.contacts["customer_id"] == alert.get("customer_id")) & ctx.contacts["email"].notna()]
        if len(rows):
            first = rows.sort_values("contact_id").iloc[0]
            contact = {"contact": f"contact:{first['contact_id']}", "email": first["email"]}
    request = {"template": options["template"], "contact": contact.get("contact")}
    skip = None
    if not settings.get("enabled"):
        skip = "customer emails are off: set playbooks.customer_email.enabled (and its from address) to send them"
    elif not contact:
        skip = "no contact email for this customer"
    elif _suppressed(str(contact["email"]), settings.get("suppress") or []):
        skip = "the contact is on playbooks.customer_email.suppress"
    return _base(playbook, step, "email_contact", alert, "email", request, skip)


def _suppressed(address: str, suppress: Sequence[str]) -> bool:
    key = name_key(address) or ""
    domain = key.rsplit("@", 1)[-1]
    return any((name_key(s) or "") in (key, domain, "@" + domain) for s in suppress)


def plan_write_back(ctx: Context, settings: Mapping[str, Any]) -> list[Planned]:
    """The health score, band and hub customer id onto each customer's HubSpot company and
    Salesforce Account: an action per record whose values changed since the last write."""
    if not settings.get("enabled", True) or ctx.customers.empty or ctx.sources.empty:
        return []
    fields = {"hubspot": settings.get("hubspot_properties") or {}, "salesforce": settings.get("salesforce_fields") or {}}
    crm = ctx.sources[ctx.sources["source"].isin(CRMS)
                      & (ctx.sources["source_object"] == ctx.sources["source"].map(CRM_OBJECTS))]
    frame = crm.merge(ctx.customers[["customer_id", "health_score", "health_band"]], on="customer_id")
    out = []
    for row in frame.to_dict("records"):
        score = row["health_score"]
        values = {"health_score": None if score is None or pd.isna(score) else round(float(score), 1),
                  "health_band": _text(row["health_band"]), "customer_id": row["customer_id"]}
        mapped = {fields[row["source"]][k]: v for k, v in values.items() if fields[row["source"]].get(k)}
        if not mapped:
            continue
        target = f"{row['source']}:{row['source_object']}:{row['source_id']}"
        out.append(Planned(action_id("write_back", target, json.dumps(mapped, sort_keys=True)), "write_back", 0,
                           "write_back", target, {"fields": mapped}, customer_id=row["customer_id"],
                           entity_type="customer", entity_id=row["customer_id"]))
    return out
