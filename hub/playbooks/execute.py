"""Playbook actions carried out, exactly once each, through the ``actions`` ledger.

Every planned action is a ledger row first (``pending``; ``dry_run`` in dry-run mode, which
stops there). A run claims a row before acting (``started``, an UPDATE that only one run can win),
acts, and records the outcome: ``done`` (with the CRM's id for what it made), ``failed`` (the
error, scrubbed; retried next run until ``max_attempts``, then ``gave_up``) or ``skipped`` (with
why it cannot run). A claim left by a run that died is taken over after ``claim_timeout_minutes``
and treated as possibly done: a HubSpot task is looked up by the action id its body carries, a
Salesforce Task is upserted on its external id, updates are idempotent by nature.

CRM calls go through the sources' connectors (``resources/``), so writes are paced by the same
rate limiters and retried by the same policy as the syncs.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa

from hub import digest as digests
from hub.outbox import Channel, routes_for
from hub.owners import OwnerDirectory, route
from hub.playbooks.plan import Planned
from hub.raw import SourceError
from hub.scrub import excerpt
from hub.warehouse import Warehouse

LEDGER_COLUMNS = ["action_id", "playbook", "step", "action", "target", "alert_id", "rule", "entity_type", "entity_id",
                  "customer_id", "request", "mode", "status", "attempts", "external_id", "result", "planned_at",
                  "claimed_at", "finished_at"]
RUNNABLE = ("pending", "failed", "dry_run")
FINAL = ("done", "skipped", "gave_up", "cancelled", "superseded")
HUBSPOT_PROPERTY_GROUP = "companyinformation"
SALESFORCE_ACTION_ID = "Hub_Action_Id__c"  # the External ID text field on Task a retried create upserts on


@dataclass
class Outcome:
    status: str  # done | failed | skipped
    result: str | None = None
    external_id: str | None = None


class Crms:
    """The CRM connectors, built on first use: a CRM without credentials fails its own actions
    (with the fix in the error), not the others'."""

    def __init__(self, factories: Mapping[str, Callable[[], Any]]) -> None:
        self._factories = dict(factories)
        self._built: dict[str, Any] = {}

    def get(self, source: str) -> Any:
        if source not in self._built:
            factory = self._factories.get(source)
            if factory is None:
                raise SourceError(f"{source}: no connector configured for playbook writes")
            self._built[source] = factory()
        return self._built[source]


def record_plan(warehouse: Warehouse, planned: Sequence[Planned], mode: str, now: str,
                skipped: set[str] = frozenset()) -> None:
    """New actions become ledger rows (existing ones are left as they are); skipped ones say why.
    ``skipped``: the ids the ledger holds as skipped (a skip whose reason went is planned again)."""
    rows = []
    for p in planned:
        row = {**p.row(), "mode": mode, "attempts": 0, "planned_at": now, "external_id": None, "claimed_at": None,
               "status": "skipped" if p.skip else ("dry_run" if mode == "dry_run" else "pending"),
               "result": p.skip, "finished_at": now if p.skip else None}
        rows.append(row)
    if not rows:
        return
    warehouse.write("analytics", "actions", pd.DataFrame(rows, columns=LEDGER_COLUMNS), key=["action_id"], update=[])
    # A skip for a reason that has gone (customer emails switched on, a rep added, a CRM record
    # linked) is planned again.
    table = warehouse.table("analytics", "actions")
    with warehouse.transaction() as conn:
        for p in planned:
            if p.skip is None and p.action_id in skipped:
                conn.execute(sa.update(table).where(table.c.action_id == p.action_id, table.c.status == "skipped")
                             .values(status="dry_run" if mode == "dry_run" else "pending", mode=mode, result=None,
                                     finished_at=None, request=p.row()["request"]))


def retire(warehouse: Warehouse, planned: Sequence[Planned], ledger: pd.DataFrame, open_alerts: set[str],
           now: str) -> int:
    """Unfinished actions nobody needs any more: their alert resolved (``cancelled``), or a newer
    write-back of the same record replaced them (``superseded``)."""
    if ledger.empty:
        return 0
    ids = {p.action_id for p in planned}
    written = {p.target for p in planned if p.action == "write_back"}
    waiting = ledger[ledger["status"].isin(RUNNABLE) & ~ledger["action_id"].isin(ids)]
    cancelled = waiting[waiting["alert_id"].notna() & ~waiting["alert_id"].isin(open_alerts)
                        & (waiting["action"] != "write_back")]
    superseded = waiting[(waiting["action"] == "write_back") & waiting["target"].isin(written)]
    table = warehouse.table("analytics", "actions")
    with warehouse.transaction() as conn:
        for frame, status, reason in ((cancelled, "cancelled", "the alert resolved before the action ran"),
                                      (superseded, "superseded", "a newer write-back of this record replaced it")):
            for chunk in range(0, len(frame), 500):
                conn.execute(sa.update(table).where(table.c.action_id.in_(frame["action_id"].iloc[chunk:chunk + 500].tolist()),
                                                    table.c.status.in_(RUNNABLE))
                             .values(status=status, result=reason, finished_at=now))
    return len(cancelled) + len(superseded)


def claim(warehouse: Warehouse, ledger: pd.DataFrame, now: dt.datetime, *, max_attempts: int,
          claim_timeout_minutes: float) -> pd.DataFrame:
    """The runnable rows this run won (an UPDATE only one run can win per row); ``resumed`` marks
    rows another run claimed and left (they may have landed: look before acting again)."""
    if ledger.empty:
        return ledger.assign(resumed=pd.Series(dtype=bool))
    stale = (now - dt.timedelta(minutes=claim_timeout_minutes)).isoformat()
    started = ledger["status"] == "started"
    claimed_at = ledger["claimed_at"].astype(str)
    candidates = ledger[(ledger["status"].isin(("pending", "failed")) | (started & (claimed_at < stale)))
                        & (ledger["attempts"].fillna(0).astype(int) < max_attempts)]
    table = warehouse.table("analytics", "actions")
    won = []
    with warehouse.transaction() as conn:
        for row in candidates.to_dict("records"):
            condition = [table.c.action_id == row["action_id"], table.c.status == row["status"]]
            if row["status"] == "started":
                condition.append(table.c.claimed_at == row["claimed_at"])
            result = conn.execute(sa.update(table).where(*condition).values(
                status="started", claimed_at=now.isoformat(), attempts=table.c.attempts + 1))
            if result.rowcount == 1:
                won.append({**row, "resumed": row["status"] == "started" or int(row["attempts"] or 0) > 0})
    return pd.DataFrame(won, columns=[*ledger.columns, "resumed"])


def finish(warehouse: Warehouse, action: str, outcome: Outcome, attempts: int, max_attempts: int, now: str,
           secrets: Sequence[str] = ()) -> str:
    status = outcome.status
    if status == "failed" and attempts >= max_attempts:
        status = "gave_up"
    table = warehouse.table("analytics", "actions")
    result = excerpt(outcome.result, secrets) if outcome.result else None
    with warehouse.transaction() as conn:
        conn.execute(sa.update(table).where(table.c.action_id == action).values(
            status=status, result=result, external_id=outcome.external_id, finished_at=now))
    return status


# -- the effects -----------------------------------------------------------------------------------
def _split(target: str) -> tuple[str, str, str]:
    source, obj, record = target.split(":", 2)
    return source, obj, record


def _salesforce_errors(result: Mapping[str, Any]) -> str:
    """A Salesforce write result's errors in one line (``STATUS: message; …``)."""
    return "; ".join(f"{e.get('statusCode')}: {e.get('message')}" for e in result.get("errors") or [])


def _failure(exc: BaseException) -> Outcome:
    return Outcome("failed", f"{type(exc).__name__}: {exc}")


def create_task(crms: Crms, row: Mapping[str, Any], request: Mapping[str, Any]) -> Outcome:
    source, _, record = _split(row["target"])
    try:
        connector = crms.get(source)
        if source == "hubspot":
            properties = {"hs_task_subject": request["subject"], "hs_task_status": "NOT_STARTED",
                          "hs_task_priority": request["priority"],
                          "hs_timestamp": f"{request['due_date']}T09:00:00.000Z",
                          "hs_task_body": f"{request['body']}\n\ncustomer-hub action {row['action_id']}"}
            if request.get("owner_id"):
                properties["hubspot_owner_id"] = request["owner_id"]
            task = connector.create_task(properties, record, row["action_id"], check_first=bool(row.get("resumed")))
            return Outcome("done", f"HubSpot task {task} on company {record}", task)
        priority = {"HIGH": "High", "MEDIUM": "Normal", "LOW": "Low"}[request["priority"]]
        fields = {"Subject": request["subject"], "Description": request["body"], "WhatId": record,
                  "ActivityDate": request["due_date"], "Status": "Not Started", "Priority": priority}
        if request.get("owner_id"):
            fields["OwnerId"] = request["owner_id"]
        task = connector.upsert_by_external_id("Task", SALESFORCE_ACTION_ID, row["action_id"], fields)
        return Outcome("done", f"Salesforce Task {task} on Account {record}", task)
    except SourceError as exc:
        return _failure(exc)


def assign_owner(crms: Crms, row: Mapping[str, Any], request: Mapping[str, Any]) -> Outcome:
    source, obj, record = _split(row["target"])
    owner = request["owner"]
    try:
        connector = crms.get(source)
        if source == "hubspot":
            connector.update_objects(obj, [{"id": record, "properties": {"hubspot_owner_id": owner}}])
        elif source == "salesforce":
            result = connector.update_records(obj, [{"id": record, "OwnerId": owner}])[0]
            if not result.get("success"):
                return Outcome("failed", _salesforce_errors(result))
        else:
            connector.update_records(request.get("table") or obj,
                                     [{"id": record, "fields": {request.get("field") or "Assigned To": owner}}])
        return Outcome("done", f"{source} {obj} {record} assigned to {request['rep']}", record)
    except SourceError as exc:
        return _failure(exc)


def ensure_hubspot_properties(connector: Any, names: Mapping[str, str]) -> None:
    """The hub's custom company properties exist (created once; needs the schema write scope)."""
    kinds = {"health_score": ("number", "number"), "health_band": ("string", "text"), "customer_id": ("string", "text")}
    for fact, name in names.items():
        if not connector.has_property("companies", name):
            kind, field_type = kinds.get(fact, ("string", "text"))
            connector.create_property("companies", {
                "name": name, "label": f"Hub {fact.replace('_', ' ')}", "type": kind, "fieldType": field_type,
                "groupName": HUBSPOT_PROPERTY_GROUP, "description": "Written by customer-hub (docs/playbooks.md)"})


def write_back(crms: Crms, rows: pd.DataFrame, settings: Mapping[str, Any]) -> dict[str, Outcome]:
    """Write the planned values, batched per CRM; an outcome per action."""
    out: dict[str, Outcome] = {}
    for source, group in rows.groupby(rows["target"].str.split(":").str[0]):
        items = [(r["action_id"], *_split(r["target"]), json.loads(r["request"])["fields"])
                 for r in group.to_dict("records")]
        try:
            connector = crms.get(str(source))
            if source == "hubspot":
                ensure_hubspot_properties(connector, settings.get("hubspot_properties") or {})
                connector.update_objects("companies", [
                    {"id": rec, "properties": {k: ("" if v is None else str(v)) for k, v in f.items()}}
                    for _, _, _, rec, f in items])
                out.update({a: Outcome("done", f"HubSpot company {rec} updated", rec) for a, _, _, rec, _ in items})
            else:
                results = connector.update_records("Account", [{"id": rec, **f} for _, _, _, rec, f in items])
                for (a, _, _, rec, _), result in zip(items, results, strict=True):
                    errors = _salesforce_errors(result)
                    if "INVALID_FIELD" in errors:
                        errors += (" - create the hub's custom Account fields in Setup (docs/playbooks.md) or map "
                                   "others in playbooks.write_back.salesforce_fields")
                    out[a] = Outcome("done", f"Salesforce Account {rec} updated", rec) if result.get("success") \
                        else Outcome("failed", errors or "Salesforce did not update the record")
        except SourceError as exc:
            out.update({a: _failure(exc) for a, *_ in items})
    return out


def _notice_route(to: str, alert: Mapping[str, Any], settings: Mapping[str, Any], owners: Mapping[str, Any],
                  directory: OwnerDirectory) -> tuple[dict[str, Any], str | None]:
    """Where a notify / escalate goes, or why it cannot go there."""
    if to == "team":
        return {"team": True}, None
    owner_route = route(alert.get("owner"), owners, directory)
    if to == "owner":
        return owner_route, None
    person = directory.find(alert.get("owner"))
    managers = settings.get("managers") or {}
    keys = {str(alert.get("owner") or "")} | (set(person.keys) if person else set())
    manager = next((m for k, m in managers.items() if str(k) in keys or str(k).lower() in keys), None) \
        or settings.get("default_manager")
    if not manager:
        return {}, "no manager known: set playbooks.managers (owner -> manager) or playbooks.default_manager"
    return route(manager, owners, directory), None


def _notice(row: Mapping[str, Any], request: Mapping[str, Any], alert: Mapping[str, Any],
            routed: Mapping[str, Any]) -> dict[str, Any]:
    """A playbook notice in the shape channels send (an alert-like document)."""
    return {"alert_id": row["action_id"], "delivery_id": f"{row['action_id']}:playbook", "notice": "playbook",
            "rule": f"{row['playbook']}/{row['action']}", "severity": request.get("severity") or "warning",
            "message": request["message"], "entity_type": alert.get("entity_type"),
            "entity_id": alert.get("entity_id"), "customer_id": alert.get("customer_id"),
            "owner": alert.get("owner"), "routed_to": json.dumps(routed), "status": "open",
            "first_fired_at": alert.get("first_fired_at"),
            "details": json.dumps({"alert_id": alert.get("alert_id"), "name": alert.get("name")})}


def notify_all(channels: Sequence[Channel], rows: Sequence[Mapping[str, Any]], alerts: Mapping[str, Mapping[str, Any]],
               config: Mapping[str, Any], directory: OwnerDirectory) -> dict[str, Outcome]:
    """Notices and escalations, an outcome per action.

    ``notify: owner`` rides on the alert itself, which the alert step already routed to the owner
    (a second message would be the flood digests exist to stop): it records where that went.
    Other notices go to every channel that takes their severity, as one digest per channel when
    more than ``alerts.digest_above`` go at once; a channel that took a notice on an earlier
    attempt is not sent it again."""
    out: dict[str, Outcome] = {}
    settings = config.get("playbooks") or {}
    owners = config["alerts"].get("owners") or {}
    routes = routes_for(channels, config["alerts"]["channels"])
    queue: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    sent: dict[str, set[str]] = {}
    for row in rows:
        request = json.loads(row["request"] or "{}")
        alert = alerts.get(str(row.get("alert_id")), {})
        if row["action"] == "notify" and request.get("to", "owner") == "owner":
            routed = _loads(alert.get("routed_to"))
            where = ", ".join(routed.get("email", [])) or routed.get("name") or routed.get("reason") or "the team"
            out[row["action_id"]] = Outcome("done", f"the alert itself went to the owner ({where}; delivery "
                                                    f"{alert.get('delivery_status') or 'unknown'})", alert.get("alert_id"))
            continue
        routed, problem = _notice_route(request.get("to", "manager"), alert, settings, owners, directory)
        if problem:
            out[row["action_id"]] = Outcome("skipped", problem)
            continue
        taking = [r.name for r in routes if r.accepts(str(request.get("severity")))]
        if not taking:
            out[row["action_id"]] = Outcome("skipped", "no alert channel takes this severity (alerts.channels)")
            continue
        done = str(row.get("external_id") or "")
        sent[row["action_id"]] = set(json.loads(done)) if done.startswith("[") else set()
        notice = _notice(row, request, {**alert, "name": request.get("name")}, routed)
        for channel in taking:
            if channel not in sent[row["action_id"]]:
                queue.setdefault(channel, []).append((row["action_id"], notice))
    digest_above = config["alerts"].get("digest_above")
    errors: dict[str, list[str]] = {}
    by_name = {c.name: c for c in channels}
    for channel, items in queue.items():
        target = by_name[channel]
        batches = [items] if digest_above is not None and len(items) > int(digest_above) \
            and getattr(target, "send_digest", None) else [[i] for i in items]
        for batch in batches:
            try:
                if len(batch) > 1:
                    ids = [a for a, _ in batch]
                    target.send_digest(digests.build(channel, digests.digest_id(channel, "playbooks", ids),  # type: ignore[attr-defined]
                                                     [n for _, n in batch]))
                else:
                    target.send(batch[0][1])
                for action, _ in batch:
                    sent[action].add(channel)
            except Exception as exc:  # a channel's DeliveryError, or a receiver gone
                for action, _ in batch:
                    errors.setdefault(action, []).append(f"{channel}: {exc}")
    for action, channels_done in sent.items():
        took = json.dumps(sorted(channels_done))
        out[action] = Outcome("failed", "; ".join(errors[action]), took) if action in errors \
            else Outcome("done", "sent to " + ", ".join(sorted(channels_done)), took)
    return out


def _loads(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    try:
        parsed = json.loads(value) if isinstance(value, str) and value else {}
    except json.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}
