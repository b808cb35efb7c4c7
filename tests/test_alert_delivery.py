"""End to end with real receivers: a usage file shows a customer's usage collapsing -> the usage
sensors fire (the file, then its days) -> health is recalculated -> exactly one alert reaches Slack, the signed webhook and
SMTP; the next tick sends nothing new; a channel that was down gets the alert once it is back;
when usage recovers the alert resolves, announcing nothing."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from alert_receivers import HttpCapture, MailCapture

from hub.channels import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature
from hub.warehouse import Warehouse

ACME, BETA = "cus_acme", "cus_beta"
SECRET = "whsec-test"


def _seed(warehouse: Warehouse, today: pd.Timestamp) -> None:
    """Two beta customers known to the crosswalk by their Airtable Application IDs, and three
    applications from yesterday (so the portfolio KPIs are green and raise nothing)."""
    now = today.isoformat()
    customers = [(ACME, "Acme Media", "12345", "BETA-100001"), (BETA, "Beta Photos", "67890", "BETA-100002")]
    warehouse.replace("analytics", "customers", pd.DataFrame([
        {"customer_id": cid, "name": name, "owner": owner, "lifecycle_stage": "customer", "source_count": 1,
         "first_seen_at": now, "updated_at": now} for cid, name, owner, _ in customers]))
    warehouse.write("staging", "customers", pd.DataFrame([  # reconciliation's output, which health scores
        {"customer_id": cid, "name": name, "owner": owner, "source_count": 1, "first_seen_at": now}
        for cid, name, owner, _ in customers]), mode="replace")
    warehouse.replace("analytics", "customer_sources", pd.DataFrame([
        {"source": "airtable", "source_object": "applications", "source_id": f"rec{app}", "customer_id": cid,
         "match_rule": "seed", "match_score": 1.0} for cid, _, _, app in customers]))
    warehouse.replace("staging", "companies", pd.DataFrame([
        {"record_id": f"airtable:applications:rec{app}", "source": "airtable", "source_object": "applications",
         "source_id": f"rec{app}", "company": name, "application_id": app} for _, name, _, app in customers]))
    yesterday = (today - pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    warehouse.replace("analytics", "applications", pd.DataFrame([
        {"application_id": app, "customer_id": cid, "company": name, "status": "Active", "lead_score": 30,
         "auto_assign": False, "assigned_to": owner, "applied_on": yesterday}
        for cid, name, owner, app in [*customers, (None, "Gamma Labs", "67890", "BETA-100003")]]))


def _usage_file(directory: Path, name: str, today: pd.Timestamp, calls: dict[str, list[int]]) -> None:
    """One line per customer and day standing for ``count`` API calls, plus a sign and a verify."""
    lines = []
    for app, per_day in calls.items():
        for back, count in enumerate(reversed(per_day)):
            at = (today - pd.Timedelta(days=back) + pd.Timedelta(seconds=1)).isoformat()
            if count:
                lines.append({"timestamp": at, "customer_id": app, "event": "api_call", "status": "200",
                              "user_id": "u1", "count": count})
            lines += [{"timestamp": at, "customer_id": app, "event": op, "status": "200", "user_id": "u2"}
                      for op in ("sign", "verify")]
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")


class Daemon:
    """What the Dagster daemon does with sensors, in-process: evaluate a tick with its cursor and
    run each requested job once per run key."""

    def __init__(self, defs: dg.Definitions, instance: dg.DagsterInstance) -> None:
        self.defs, self.instance = defs, instance
        self.cursors: dict[str, str | None] = {}
        self.run_keys: set[str] = set()
        self.runs: list[str] = []

    def tick(self, name: str) -> int:
        sensor = self.defs.resolve_sensor_def(name)
        context = dg.build_sensor_context(instance=self.instance, cursor=self.cursors.get(name),
                                          resources=self.defs.resources, sensor_name=name)
        result = sensor.evaluate_tick(context)
        self.cursors[name] = result.cursor if result.cursor is not None else self.cursors.get(name)
        launched = 0
        for request in result.run_requests or []:
            if request.run_key in self.run_keys:
                continue
            self.run_keys.add(request.run_key)
            job = self.defs.resolve_job_def(sensor.job_name)
            assert job.execute_in_process(instance=self.instance, tags=request.tags,
                                          partition_key=request.partition_key).success
            self.runs.append(sensor.job_name)
            launched += 1
        return launched

    def settle(self) -> None:
        """Tick the chain until nothing more is requested: usage files -> usage days -> health -> alerts."""
        while sum(self.tick(n) for n in ("usage_log_sensor", "usage_days_sensor", "health_recalculation_sensor",
                                         "threshold_alert_sensor")):
            pass


@pytest.fixture
def receivers():
    with HttpCapture() as http, MailCapture() as smtp:
        yield http, smtp


def test_a_usage_collapse_is_delivered_once_per_channel_and_resolves_on_recovery(
        warehouse: Warehouse, receivers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    http, smtp = receivers
    today = pd.Timestamp.now(tz="UTC").normalize()
    landing = tmp_path / "landing"
    config = tmp_path / "hub.yaml"
    config.write_text("alerts:\n  owners:\n    '12345': {email: dana@example.com, slack: U0DANA}\n")
    for name, value in {
        "HUB_HOME": str(tmp_path), "HUB_USAGE_LOG_DIR": str(landing), "HUB_WAREHOUSE_URL": warehouse.url,
        "HUB_CONFIG": str(config), "HUB_ALERT_SLACK_WEBHOOK_URL": http.url("/slack"),
        "HUB_ALERT_WEBHOOK_URL": http.url("/hook"), "HUB_ALERT_WEBHOOK_SECRET": SECRET,
        "HUB_SMTP_HOST": "127.0.0.1", "HUB_SMTP_PORT": str(smtp.port),
        "HUB_ALERT_EMAIL_FROM": "hub@example.com", "HUB_ALERT_EMAIL_TO": "team@example.com",
    }.items():
        monkeypatch.setenv(name, value)
    _seed(warehouse, today)
    from hub.definitions import build_definitions

    defs = build_definitions()
    http.down.add("/hook")  # the webhook receiver is down at first
    with dg.DagsterInstance.ephemeral() as instance:
        daemon = Daemon(defs, instance)
        _usage_file(landing, "usage-1.jsonl", today, {"BETA-100001": [300] * 7 + [10] * 7,
                                                      "BETA-100002": [300] * 14})
        daemon.settle()
        assert daemon.runs == ["usage_ingest", "usage_days", "health_recalculation", "alert_evaluation"]
        health = warehouse.read("analytics", "customer_health").set_index("customer_id")
        assert health.loc[ACME, "health_score"] < 60 <= health.loc[BETA, "health_score"]

        # Exactly one alert, on each channel that was up; the webhook's failure is recorded.
        [slack] = http.on("/slack")
        [mail] = smtp.mails
        assert http.on("/hook") == [] and http.refused == ["/hook"]
        text = json.loads(slack.body)["text"]
        assert "health_below_60" in text and "Acme Media" in text and "<@U0DANA>" in text
        assert sorted(mail.recipients) == ["dana@example.com", "team@example.com"]
        alerts = warehouse.read("analytics", "alerts")
        assert alerts[["rule", "customer_id", "status", "delivery_status"]].values.tolist() == [
            ["health_below_60", ACME, "open", "pending"]]
        assert "503" in alerts.iloc[0]["last_delivery_error"]

        # Next tick, webhook still down: nothing new anywhere, the attempt is recorded.
        daemon.tick("alert_delivery_sensor")
        daemon.settle()
        assert len(http.on("/slack")) == 1 and len(smtp.mails) == 1 and http.refused == ["/hook", "/hook"]

        # The webhook is back: it receives the alert once, signed.
        http.down.clear()
        daemon.tick("alert_delivery_sensor")
        [hook] = http.on("/hook")
        headers = {k.lower(): v for k, v in hook.headers.items()}
        assert verify_signature(SECRET, headers[TIMESTAMP_HEADER.lower()], hook.body, headers[SIGNATURE_HEADER.lower()])
        assert json.loads(hook.body)["alert"]["customer_id"] == ACME
        daemon.tick("alert_delivery_sensor")
        daemon.settle()
        assert (len(http.on("/slack")), len(http.on("/hook")), len(smtp.mails)) == (1, 1, 1)
        assert warehouse.read("analytics", "alerts").iloc[0]["delivery_status"] == "sent"

        # Usage recovers: the alert resolves and nothing is announced.
        _usage_file(landing, "usage-2.jsonl", today, {"BETA-100001": [0] * 7 + [290] * 7})
        daemon.settle()
        assert daemon.runs[-4:] == ["usage_ingest", "usage_days", "health_recalculation", "alert_evaluation"]
        alerts = warehouse.read("analytics", "alerts")
        assert alerts[["rule", "status", "resolved_reason"]].values.tolist() == [
            ["health_below_60", "resolved", "condition cleared"]]
        daemon.tick("alert_delivery_sensor")
        assert (len(http.on("/slack")), len(http.on("/hook")), len(smtp.mails)) == (1, 1, 1)
        outbox = warehouse.read("analytics", "alert_deliveries").set_index("channel")
        assert outbox["status"].to_dict() == {"slack": "sent", "webhook": "sent", "email": "sent"}
        assert outbox.loc["webhook", "attempts"] == 3
