"""The alert steps: evaluate the rules, advance the alerts' lifecycle, queue and deliver notices;
raise and clear operational alerts (failed runs, failed asset checks); snooze."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa

from hub.alert_lifecycle import (
    ALERT_COLUMNS,
    KEY,
    REFRESHED,
    Transition,
    advance,
    alert_id,
    lookback_hours,
    snooze,
)
from hub.alerts import ENTITIES, evaluate, rules_from_config
from hub.outbox import Channel, plan, routes_for
from hub.owners import OwnerDirectory, route
from hub.pipeline.alert_facts import alert_facts
from hub.pipeline.outbox import (
    DeliveryReport,
    deliver_pending,
    pending_deliveries,
    refresh_delivery_status,
)
from hub.pipeline.steps import StepResult, step
from hub.warehouse import Warehouse, utcnow

# The predicate of the partial unique index alerts_one_active (sql/032_alert_uniqueness.sql).
ACTIVE_ALERT = "status <> 'resolved'"


def drain(warehouse: Warehouse, channels: Sequence[Channel], config: dict[str, Any],
          now: dt.datetime | None = None, *, everything: bool = True) -> DeliveryReport:
    """Deliver what the outbox holds, as ``HUB_CONFIG`` ``alerts.delivery`` says: in batches until
    nothing deliverable is left (a run: what it raised never waits for a daemon that may not be
    running), or one batch (``everything=False``: a sensor tick, which has a time limit)."""
    settings = config["alerts"].get("delivery") or {}
    return deliver_pending(warehouse, channels, now=now, batch_size=int(settings.get("batch_size", 100)),
                           claim_timeout_minutes=float(settings.get("claim_timeout_minutes", 10)),
                           max_batches=None if everything else 1)


def _recent_rule_alerts(warehouse: Warehouse, since: str) -> pd.DataFrame:
    a = warehouse.table("analytics", "alerts")
    return warehouse.fetch(sa.select(*[a.c[c] for c in ALERT_COLUMNS]).where(
        a.c.entity_type.in_(ENTITIES), sa.or_(a.c.status != "resolved", a.c.resolved_at >= since)))


def _write(warehouse: Warehouse, transition: Transition, channels: Sequence[Channel], config: dict[str, Any],
           now: str) -> None:
    """The alert rows and their deliveries, in one transaction: an announced alert is never
    written without its outbox rows.

    The database holds one active alert per (rule, entity, window) and one delivery per notice and
    channel (sql/032): a new alert that another evaluation opened first refreshes that alert instead
    and announces nothing, so two evaluations at once converge on the same rows."""
    digest_above = config["alerts"].get("digest_above")
    deliveries, status = plan(transition.alerts, transition.notices, routes_for(channels, config["alerts"]["channels"]),
                              now, None if digest_above is None else int(digest_above))
    rows = transition.alerts
    if status and len(rows):
        announced = rows["alert_id"].map(status)
        rows = rows.assign(delivery_status=announced.fillna(rows["delivery_status"]))
    fired = sorted({alert for alert, notice in transition.notices if notice == "fired"})
    new = rows["alert_id"].isin(fired)
    with warehouse.transaction() as conn:
        warehouse.write("analytics", "alerts", rows[~new], key=["alert_id"], conn=conn)
        warehouse.write("analytics", "alerts", rows[new], key=KEY, key_where=ACTIVE_ALERT,
                        update=[*REFRESHED, "last_fired_at"], conn=conn)
        lost = set(fired) - _stored(warehouse, conn, fired)
        deliveries = deliveries[~deliveries["alert_id"].isin(lost)]
        warehouse.write("analytics", "alert_deliveries", deliveries, key=["alert_id", "channel", "notice"],
                        update=[], conn=conn)
    refresh_delivery_status(warehouse, deliveries["alert_id"].unique())


def _stored(warehouse: Warehouse, conn: sa.Connection, alert_ids: Sequence[str]) -> set[str]:
    """Which of these alerts the ``alerts`` table holds (in chunks: SQLite caps bound parameters)."""
    a = warehouse.table("analytics", "alerts")
    return {found for i in range(0, len(alert_ids), 5000)
            for found in conn.execute(sa.select(a.c.alert_id).where(a.c.alert_id.in_(alert_ids[i:i + 5000]))).scalars()}


@step(assets=("analytics/alerts",),
      reads=("analytics.customers", "analytics.customer_health", "analytics.customer_usage", "analytics.applications",
             "analytics.kpi_daily", "analytics.owners", "analytics.churn_risk", "staging.companies",
             "staging.activities", "raw.sync_state"),
      writes=("analytics.alerts", "analytics.alert_deliveries"))
def evaluate_alerts(warehouse: Warehouse, config: dict[str, Any], channels: Sequence[Channel],
                    now: dt.datetime | None = None) -> StepResult:
    """Evaluate every rule, write the alerts' new state and outbox rows, then deliver."""
    moment = now or utcnow()
    stamp = moment.isoformat()
    sources_down = source_alerts(warehouse, config, channels, moment)
    rules = rules_from_config(config["alerts"])
    evaluation = evaluate(rules, alert_facts(warehouse, pd.Timestamp(moment)), pd.Timestamp(moment))
    firing = evaluation.firing
    owners = config["alerts"].get("owners") or {}
    directory = OwnerDirectory(warehouse.read("analytics", "owners"))
    firing["routed_to"] = [json.dumps(route(o, owners, directory)) for o in firing["owner"]]
    since = (moment - dt.timedelta(hours=lookback_hours([r.cooldown_hours for r in rules]))).isoformat()
    transition = advance(_recent_rule_alerts(warehouse, since), firing, stamp, evaluation.withheld)
    _write(warehouse, transition, channels, config, stamp)
    report = drain(warehouse, channels, config, moment)
    a = warehouse.table("analytics", "alerts")
    open_alerts = warehouse.read("analytics", "alerts", ["rule", "severity", "customer_id", "message"],
                                 where=a.c.status == "open")
    return StepResult(warehouse.count("analytics", "alerts"), {
        "firing": len(firing), "held_back": len(evaluation.withheld), "opened": transition.opened, "resolved": transition.resolved,
        "reminders": sum(1 for _, n in transition.notices if n != "fired"),
        "open_total": len(open_alerts), "by_rule": firing["rule"].value_counts().to_dict(),
        "channels": [c.name for c in channels], **report.as_metadata(),
        "deliveries_waiting": pending_deliveries(warehouse), "sources_down": sources_down,
    }, open_alerts.sort_values("severity").head(5))


SOURCE_DOWN_RULE = "source_sync_failed"


def source_alerts(warehouse: Warehouse, config: dict[str, Any], channels: Sequence[Channel],
                  now: dt.datetime) -> int:
    """One ``source_sync_failed`` alert per raw object whose last sync failed (``raw.sync_state``:
    the raw asset records the failure and goes on with the last good data), resolved once a sync
    succeeds again. Raised here, by the alerts step, so the alerts have one writing asset."""
    table = warehouse.table("raw", "sync_state")
    with warehouse.engine.connect() as conn:
        rows = conn.execute(sa.select(table.c.source, table.c.source_object, table.c.last_success_at,
                                      table.c.last_error)).all()
    down = 0
    for source, source_object, last_success, error in rows:
        key = f"{source}/{source_object}"
        if error is None:
            resolve_event_alerts(warehouse, rule=SOURCE_DOWN_RULE, entity_type="source", entity_id=key,
                                 reason="the sync succeeded again", now=now)
            continue
        down += 1
        since = (last_success.isoformat() if isinstance(last_success, dt.datetime) else str(last_success)) \
            if last_success else "never"
        raise_event_alert(
            warehouse, channels, config, rule=SOURCE_DOWN_RULE, severity="high", entity_type="source",
            entity_id=key, now=now,
            message=f"{source} {source_object} sync failed: {error} Customers, health and alerts were built "
                    f"from its last good data (as of {since}).",
            details={"source": source, "object": source_object, "data_as_of": since, "error": error})
    return down


def raise_event_alert(warehouse: Warehouse, channels: Sequence[Channel], config: dict[str, Any], *, rule: str,
                      severity: str, entity_type: str, entity_id: str, message: str,
                      details: dict[str, Any] | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """An operational alert (a failed run, a failed asset check): one open alert per
    (rule, entity) — a repeat refreshes it without a new notice — delivered like any other."""
    stamp = (now or utcnow()).isoformat()
    a = warehouse.table("analytics", "alerts")
    current = warehouse.read("analytics", "alerts", ALERT_COLUMNS, where=sa.and_(
        a.c.rule == rule, a.c.entity_type == entity_type, a.c.entity_id == entity_id, a.c.status != "resolved"))
    fresh = {"severity": severity, "message": message[:2000], "last_fired_at": stamp,
             "details": json.dumps(details or {}, default=str)}
    if len(current):
        row = {**current.iloc[0].to_dict(), **fresh}
        transition = Transition(pd.DataFrame([row], columns=ALERT_COLUMNS))
    else:
        row = {"alert_id": alert_id(rule, entity_type, entity_id, "", stamp), "rule": rule, "entity_type": entity_type,
               "entity_id": entity_id, "window_key": "", "customer_id": None, "owner": None, "routed_to": "{}",
               "status": "open", "first_fired_at": stamp, "resolved_at": None, "resolved_reason": None,
               "snoozed_until": None, "snooze_count": 0, "delivery_status": "pending", "delivery_attempts": 0,
               "delivered_at": None, "last_delivery_error": None, **fresh}
        transition = Transition(pd.DataFrame([row], columns=ALERT_COLUMNS), [(row["alert_id"], "fired")])
    _write(warehouse, transition, channels, config, stamp)
    drain(warehouse, channels, config, now)
    return row


def resolve_event_alerts(warehouse: Warehouse, *, rule: str, entity_type: str, entity_id: str, reason: str,
                         now: dt.datetime | None = None) -> int:
    """Resolve the open operational alert of (rule, entity), e.g. when the check passes again."""
    a = warehouse.table("analytics", "alerts")
    with warehouse.transaction() as conn:
        result = conn.execute(sa.update(a).where(a.c.rule == rule, a.c.entity_type == entity_type,
                                                 a.c.entity_id == entity_id, a.c.status != "resolved")
                              .values(status="resolved", resolved_at=(now or utcnow()).isoformat(),
                                      resolved_reason=reason))
        return int(result.rowcount or 0)


def snooze_alert(warehouse: Warehouse, alert: str, hours: float, now: dt.datetime | None = None) -> dict[str, Any]:
    """Mute an open alert for ``hours``: its deliveries wait, and a reminder goes out if it still
    holds when the snooze ends."""
    a = warehouse.table("analytics", "alerts")
    rows = warehouse.read("analytics", "alerts", ALERT_COLUMNS, where=a.c.alert_id == alert)
    if rows.empty:
        raise KeyError(f"no alert {alert!r}: see the open_alerts view for ids")
    until = ((now or utcnow()) + dt.timedelta(hours=hours)).isoformat()
    row = snooze(rows.iloc[0].to_dict(), until)
    warehouse.write("analytics", "alerts", [row], key=["alert_id"])
    return row
