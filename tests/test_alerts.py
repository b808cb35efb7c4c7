"""Alert rules, their lifecycle (dedupe, window, cooldown, snooze, resolve) and the outbox."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from hub.alert_lifecycle import ALERT_COLUMNS, advance, snooze
from hub.alerts import RuleError, evaluate_rules, route, rules_from_config
from hub.channels import DeliveryError
from hub.config import ConfigError, load_config
from hub.outbox import ChannelRoute, plan
from hub.pipeline.alerting import raise_event_alert, resolve_event_alerts, snooze_alert
from hub.pipeline.outbox import deliver_pending
from hub.warehouse import Warehouse

CONFIG = load_config()
RULE = {"name": "health_below_60", "entity": "customer", "metric": "health_score", "op": "<", "value": 60,
        "severity": "warning", "description": "health below 60"}
T0 = pd.Timestamp("2026-11-21T08:00:00Z")


def _at(hours: float) -> str:
    return (T0 + pd.Timedelta(hours=hours)).isoformat()


def _facts(score: float | None, **extra: object) -> dict[str, pd.DataFrame]:
    return {"customer": pd.DataFrame([{"entity_id": "cus_1", "customer_id": "cus_1", "name": "Acme",
                                       "owner": "dana", "health_score": score, **extra}])}


def _step(existing: pd.DataFrame, score: float | None, hours: float, rule: dict = RULE):
    """One evaluation at T0 + hours; returns (all alerts after it, the notices it raised)."""
    now = _at(hours)
    transition = advance(existing, evaluate_rules([rule], _facts(score), pd.Timestamp(now)), now)
    merged = pd.concat([existing[~existing["alert_id"].isin(transition.alerts["alert_id"])], transition.alerts])
    return merged.reset_index(drop=True), transition.notices


EMPTY = pd.DataFrame(columns=ALERT_COLUMNS)


def test_alert_fires_once_refreshes_and_resolves_when_the_condition_clears() -> None:
    first, notices = _step(EMPTY, 42.0, 0)
    assert first[["status", "owner"]].values.tolist() == [["open", "dana"]] and notices == [(first.alert_id[0], "fired")]
    second, notices = _step(first, 41.0, 1)
    assert notices == [] and second["alert_id"].tolist() == first["alert_id"].tolist()
    assert second.iloc[0]["first_fired_at"] == _at(0) and second.iloc[0]["last_fired_at"] == _at(1)
    cleared, _ = _step(second, 75.0, 2)
    assert cleared[["status", "resolved_at", "resolved_reason"]].values.tolist() == [
        ["resolved", _at(2), "condition cleared"]]
    assert evaluate_rules([RULE], _facts(None)).empty  # no score is not "below 60"


def test_cooldown_reopens_a_flapping_alert_silently_and_raises_a_new_one_after() -> None:
    alerts, _ = _step(EMPTY, 42.0, 0)
    alerts, _ = _step(alerts, 80.0, 1)  # resolved
    alerts, notices = _step(alerts, 42.0, 5)  # back within the 24 h cooldown
    assert notices == [] and len(alerts) == 1 and alerts.iloc[0]["status"] == "open"
    alerts, _ = _step(alerts, 80.0, 6)
    alerts, notices = _step(alerts, 42.0, 40)  # 34 h after it cleared: a new episode
    assert len(notices) == 1 and len(alerts) == 2 and set(alerts["status"]) == {"open", "resolved"}


def test_a_windowed_rule_alerts_once_per_window() -> None:
    daily = {**RULE, "window": "day"}
    alerts, notices = _step(EMPTY, 42.0, 0, daily)
    assert alerts.iloc[0]["window_key"] == "2026-11-21"
    alerts, _ = _step(alerts, 80.0, 2, daily)
    alerts, notices = _step(alerts, 42.0, 3, daily)  # same day: reopened, not announced again
    assert notices == [] and len(alerts) == 1
    alerts, notices = _step(alerts, 42.0, 24, daily)  # next day: a new alert, yesterday's closes
    assert len(notices) == 1 and sorted(alerts["window_key"]) == ["2026-11-21", "2026-11-22"]
    assert alerts.set_index("window_key").loc["2026-11-21", "status"] == "resolved"


def test_snooze_mutes_then_reminds_if_the_condition_still_holds() -> None:
    alerts, _ = _step(EMPTY, 42.0, 0)
    alerts = pd.DataFrame([snooze(alerts.iloc[0].to_dict(), _at(5))], columns=ALERT_COLUMNS)
    alerts, notices = _step(alerts, 40.0, 2)
    assert notices == [] and alerts.iloc[0]["status"] == "snoozed"
    alerts, notices = _step(alerts, 40.0, 6)
    assert notices == [(alerts.iloc[0]["alert_id"], "reminder-1")] and alerts.iloc[0]["status"] == "open"
    alerts = pd.DataFrame([snooze(alerts.iloc[0].to_dict(), _at(10))], columns=ALERT_COLUMNS)
    alerts, notices = _step(alerts, 90.0, 7)  # cleared while snoozed
    assert notices == [] and alerts.iloc[0]["status"] == "resolved"


def test_rules_take_several_conditions_scopes_and_lists() -> None:
    facts = {"customer": pd.DataFrame([
        {"entity_id": "c1", "customer_id": "c1", "name": "A", "growth": 80.0, "prev": 500.0, "stage": "customer"},
        {"entity_id": "c2", "customer_id": "c2", "name": "B", "growth": 80.0, "prev": 3.0, "stage": "customer"},
        {"entity_id": "c3", "customer_id": "c3", "name": "C", "growth": 80.0, "prev": 500.0, "stage": "prospect"},
    ])}
    rule = {"name": "growth", "entity": "customer", "severity": "info", "where": {"stage": ["customer"]},
            "when": [{"metric": "growth", "op": ">", "value": 50}, {"metric": "prev", "op": ">=", "value": 100}],
            "message": "${name} grew ${growth}%"}
    firing = evaluate_rules([rule], facts)
    assert firing["entity_id"].tolist() == ["c1"] and firing["message"].tolist() == ["A grew 80%"]
    listed = {"name": "l", "entity": "customer", "metric": "stage", "op": "in", "value": ["prospect"]}
    assert evaluate_rules([listed], facts)["entity_id"].tolist() == ["c3"]


def test_bad_rules_name_what_to_fix(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="metric 'health'"):
        evaluate_rules([{**RULE, "metric": "health"}], _facts(1.0))
    with pytest.raises(RuleError, match="op '=~' unknown"):
        rules_from_config({"rules": {"x": {**RULE, "op": "=~"}}})
    config = tmp_path / "hub.yaml"
    config.write_text("alerts:\n  rules:\n    inactive: {window: hourly}\n")
    with pytest.raises(ConfigError, match="`alerts.rules.inactive.window`: input should be 'none', 'day' or 'week'"):
        load_config(config)


def test_hub_config_changes_one_default_rule_key_by_key(tmp_path: Path) -> None:
    config = tmp_path / "hub.yaml"
    config.write_text("alerts:\n  rules:\n    health_below_60: {value: 50}\n    inactive: {enabled: false}\n")
    rules = {r.name: r for r in rules_from_config(load_config(config)["alerts"])}
    assert rules["health_below_60"].conditions[0].value == 50 and "inactive" not in rules
    assert len(rules) == len(CONFIG["alerts"]["rules"]) - 1


def test_owner_routing_and_severity_per_channel() -> None:
    assert route("12345", {"12345": {"email": "dana@example.com", "slack": "U01"}}) == {
        "owner": "12345", "email": ["dana@example.com"], "slack": "U01"}
    assert route("sam@example.com", {}) == {"owner": "sam@example.com", "email": ["sam@example.com"]}
    assert route(None, {}) == {}
    alerts = pd.DataFrame({"alert_id": ["a", "b"], "severity": ["info", "high"]})
    routes = [ChannelRoute("slack", "info"), ChannelRoute("email", "warning")]
    deliveries, status = plan(alerts, [("a", "fired"), ("b", "fired")], routes, _at(0))
    assert sorted(deliveries["delivery_id"]) == ["a:slack:fired", "b:email:fired", "b:slack:fired"]
    assert status == {"a": "pending", "b": "pending"}
    assert plan(alerts, [("a", "fired")], [], _at(0))[1] == {"a": "not_configured"}
    assert plan(alerts, [("a", "fired")], [ChannelRoute("email", "high")], _at(0))[1] == {"a": "not_routed"}


class Recorder:
    """A channel that records what it is sent and fails while ``down``."""

    def __init__(self, name: str, down: bool = False) -> None:
        self.name, self.down, self.sent = name, down, []

    def send(self, alert: dict) -> None:
        if self.down:
            raise DeliveryError(f"{self.name} is down")
        self.sent.append(alert["delivery_id"])


def _alert(warehouse: Warehouse, channels: list, entity: str = "job-a") -> dict:
    return raise_event_alert(warehouse, channels, CONFIG, rule="run_failure", severity="high", entity_type="job",
                             entity_id=entity, message=f"{entity} failed")


def test_a_failing_channel_never_makes_the_others_send_twice(warehouse: Warehouse) -> None:
    slack, webhook = Recorder("slack"), Recorder("webhook", down=True)
    alert = _alert(warehouse, [slack, webhook])
    assert len(slack.sent) == 1 and webhook.sent == []
    row = warehouse.read("analytics", "alerts").iloc[0]
    assert row["delivery_status"] == "pending" and "webhook is down" in row["last_delivery_error"]
    deliver_pending(warehouse, [slack, webhook])  # still down: slack is not sent again
    assert len(slack.sent) == 1
    webhook.down = False
    report = deliver_pending(warehouse, [slack, webhook])
    assert report.sent == 1 and webhook.sent == [f"{alert['alert_id']}:webhook:fired"] and len(slack.sent) == 1
    assert deliver_pending(warehouse, [slack, webhook]).sent == 0
    outbox = warehouse.read("analytics", "alert_deliveries").set_index("channel")
    assert outbox.loc["webhook", "attempts"] == 3 and outbox.loc["slack", "attempts"] == 1
    row = warehouse.read("analytics", "alerts").iloc[0]
    assert row["delivery_status"] == "sent" and row["delivery_attempts"] == 4 and row["last_delivery_error"] is None


def test_repeats_refresh_one_alert_and_a_pass_resolves_it(warehouse: Warehouse) -> None:
    slack = Recorder("slack")
    first, second = _alert(warehouse, [slack]), _alert(warehouse, [slack])
    assert first["alert_id"] == second["alert_id"] and len(slack.sent) == 1
    assert resolve_event_alerts(warehouse, rule="run_failure", entity_type="job", entity_id="job-a",
                                reason="run succeeded") == 1
    assert warehouse.read("analytics", "alerts").iloc[0]["status"] == "resolved"
    _alert(warehouse, [slack])
    assert len(slack.sent) == 2  # a later failure is a new alert


def test_claims_keep_two_senders_apart_and_expire_when_a_sender_dies(warehouse: Warehouse) -> None:
    quiet = Recorder("slack", down=True)
    alert = _alert(warehouse, [quiet])
    table = warehouse.table("analytics", "alert_deliveries")
    claimed = dt.datetime.now(dt.UTC)
    with warehouse.transaction() as conn:  # another sender holds the claim
        conn.execute(table.update().values(status="sending", claimed_at=claimed.isoformat()))
    slack = Recorder("slack")
    assert deliver_pending(warehouse, [slack]).sent == 0
    later = claimed + dt.timedelta(minutes=11)  # its claim expired: it died mid-send
    assert deliver_pending(warehouse, [slack], now=later).sent == 1
    assert slack.sent == [f"{alert['alert_id']}:slack:fired"]


def test_a_snoozed_alert_holds_its_deliveries(warehouse: Warehouse) -> None:
    down = Recorder("slack", down=True)
    alert = _alert(warehouse, [down])
    snooze_alert(warehouse, alert["alert_id"], hours=2)
    slack = Recorder("slack")
    assert deliver_pending(warehouse, [slack]).sent == 0
    assert deliver_pending(warehouse, [slack], now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)).sent == 1


def test_a_down_channel_costs_one_attempt_per_drain_and_keeps_the_rest_pending(warehouse: Warehouse) -> None:
    down = Recorder("webhook", down=True)
    _alert(warehouse, [], "job-a")  # no channel yet: queued nowhere
    for job in ("job-b", "job-c", "job-d"):
        raise_event_alert(warehouse, [], CONFIG, rule="run_failure", severity="high", entity_type="job",
                          entity_id=job, message="failed")
    table = warehouse.table("analytics", "alert_deliveries")
    alerts = warehouse.read("analytics", "alerts")["alert_id"].tolist()
    warehouse.upsert("analytics", "alert_deliveries", [
        {"delivery_id": f"{a}:webhook:fired", "alert_id": a, "channel": "webhook", "notice": "fired",
         "status": "pending", "attempts": 0, "created_at": f"2026-11-21T08:00:0{i}+00:00"}
        for i, a in enumerate(alerts)], key=["delivery_id"])
    report = deliver_pending(warehouse, [down])
    assert report.failed == 1 and report.sent == 0
    rows = warehouse.read("analytics", "alert_deliveries", where=table.c.channel == "webhook")
    assert sorted(rows["attempts"].tolist()) == [0, 0, 0, 1] and set(rows["status"]) == {"pending"}
    assert rows["claimed_at"].isna().all()
