"""Digests, not floods — end to end on the demo-sized world (300 companies, seed 7, as `hub demo`)
served by the emulators, with real receivers: the first nightly run sends one digest to each
channel given more than `alerts.digest_above` alerts and single messages to a channel given fewer;
everything raised is delivered within the run (no sensor tick); a superseded alert is not sent;
an application from long ago does not alert; a second run sends nothing."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from alert_receivers import HttpCapture, MailCapture

from hub import digest as digests
from hub import synth
from hub.channels import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    DeliveryError,
    SlackWebhook,
    SmtpEmail,
    verify_signature,
)
from hub.config import load_config
from hub.emulators import start_emulators
from hub.pipeline.alert_facts import application_facts
from hub.pipeline.alerting import drain, raise_event_alert
from hub.timeparse import timestamps
from hub.warehouse import Warehouse

SECRET = "whsec-digest"
CONFIG = load_config()
# Batches of 10: a few alerts are enough to need several.
SMALL = {**CONFIG, "alerts": {**CONFIG["alerts"], "delivery": {"batch_size": 10, "claim_timeout_minutes": 10}}}
DIGEST_ABOVE = 25  # the demo world raises 72 alerts: 20 of them high (email takes high and up)


def _env(monkeypatch: pytest.MonkeyPatch, running, warehouse: Warehouse, tmp_path: Path, http: HttpCapture,
         smtp: MailCapture) -> Path:
    config = tmp_path / "hub.yaml"
    # Email takes high alerts and up: few enough to go one by one.
    config.write_text(f"alerts:\n  digest_above: {DIGEST_ABOVE}\n  channels:\n    email: {{min_severity: high}}\n"
                      "  delivery: {batch_size: 25}\n")
    landing = tmp_path / "landing"
    for name, value in {**running.env(), "HUB_HOME": str(tmp_path), "HUB_USAGE_LOG_DIR": str(landing),
                        "HUB_WAREHOUSE_URL": warehouse.url, "HUB_CONFIG": str(config),
                        "HUB_ALERT_SLACK_WEBHOOK_URL": http.url("/slack"), "HUB_ALERT_WEBHOOK_URL": http.url("/hook"),
                        "HUB_ALERT_WEBHOOK_SECRET": SECRET, "HUB_SMTP_HOST": "127.0.0.1",
                        "HUB_SMTP_PORT": str(smtp.port), "HUB_ALERT_EMAIL_TO": "team@example.com"}.items():
        monkeypatch.setenv(name, value)
    return landing


def test_the_demo_world_gets_one_digest_per_busy_channel_and_singles_below_the_threshold(
        sqlite_warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    warehouse = sqlite_warehouse
    data = synth.generate(300, 7)
    with start_emulators(data, rate_limits=False) as running, HttpCapture() as http, MailCapture() as smtp:
        landing = _env(monkeypatch, running, warehouse, tmp_path, http, smtp)
        synth.write_usage_logs(data, landing, seed=7)
        from hub.definitions import build_definitions

        job = build_definitions().resolve_job_def("nightly_sync")
        with dg.DagsterInstance.ephemeral() as instance:
            assert job.execute_in_process(instance=instance).success
            outbox = warehouse.read("analytics", "alert_deliveries")
            alerts = warehouse.read("analytics", "alerts")
            first = (len(http.on("/slack")), len(http.on("/hook")), len(smtp.mails))

            # Everything raised was delivered within the run: nothing waits for a sensor.
            assert len(outbox) and set(outbox["status"]) == {"sent"}
            per_channel = outbox.groupby("channel")["alert_id"].nunique().to_dict()
            assert per_channel["slack"] > DIGEST_ABOVE >= per_channel["email"] > 0, per_channel
            [slack] = http.on("/slack")
            [hook] = http.on("/hook")
            headers = {k.lower(): v for k, v in hook.headers.items()}
            assert verify_signature(SECRET, headers[TIMESTAMP_HEADER.lower()], hook.body,
                                    headers[SIGNATURE_HEADER.lower()])
            digest = json.loads(hook.body)
            assert digest["event"] == "alert.digest" and digest["digest"]["total"] == per_channel["webhook"]
            assert sorted(a["alert_id"] for a in digest["alerts"]) == sorted(
                outbox.loc[outbox["channel"] == "webhook", "alert_id"])
            groups = digest["digest"]["groups"]
            ranks = [["info", "warning", "high", "critical"].index(g["severity"]) for g in groups]
            assert ranks == sorted(ranks, reverse=True) and sum(g["count"] for g in groups) == digest["digest"]["total"]
            assert all(len(g["top"]) == min(3, g["count"]) for g in groups)
            assert f"{per_channel['slack']} new alerts" in json.loads(slack.body)["text"]
            # Email is below the threshold: one message per alert, not a digest.
            assert len(smtp.mails) == per_channel["email"]
            assert all("new alerts" not in m.message["Subject"] for m in smtp.mails)

            # One alert per cause: a churn-risk customer has no health_below_60 alert, sent or open.
            active = alerts[alerts["status"] == "open"]
            churn = set(active.loc[active["rule"] == "churn_risk_band", "entity_id"])
            assert churn and not churn & set(alerts.loc[alerts["rule"] == "health_below_60", "entity_id"])
            assert not {a["entity_id"] for a in digest["alerts"] if a["rule"] == "health_below_60"} & churn

            # An application waiting since long ago is not "no response in 7 days" news.
            apps = application_facts(warehouse, pd.Timestamp.now(tz="UTC"))
            applied = timestamps(apps["applied_on"])
            old = apps[(applied < pd.Timestamp.now(tz="UTC") - pd.Timedelta(days=30))
                       & apps["status"].isin(["New", "Reviewing"]) & (apps["days_without_response"] >= 7)]
            assert len(old)  # without max_age_days these would alert
            noticed = set(alerts.loc[alerts["rule"] == "no_response_7_days", "entity_id"])
            assert not noticed & set(old["application_id"])
            assert not any("n/a" in m for m in alerts["message"])

            # A second run sends nothing.
            assert job.execute_in_process(instance=instance).success
            assert (len(http.on("/slack")), len(http.on("/hook")), len(smtp.mails)) == first


class Recorder:
    """A channel that records each message (``digest`` on or off) and fails while ``down``."""

    def __init__(self, name: str, *, digests: bool = True) -> None:
        self.name, self.down, self.sent, self.digests = name, False, [], []
        if not digests:
            self.send_digest = None  # type: ignore[assignment]

    def send(self, alert: dict) -> None:
        if self.down:
            raise DeliveryError(f"{self.name} is down")
        self.sent.append(alert["delivery_id"])

    def send_digest(self, digest: dict) -> None:
        if self.down:
            raise DeliveryError(f"{self.name} is down")
        self.digests.append(digest)


def _queued(warehouse: Warehouse, count: int, channel: str, digest: str | None) -> list[str]:
    """``count`` operational alerts, each with a pending delivery on ``channel`` (in one digest or not)."""
    for i in range(count):
        raise_event_alert(warehouse, [], CONFIG, rule="run_failure", severity="high", entity_type="job",
                          entity_id=f"job-{i:03d}", message=f"job-{i:03d} failed")
    ids = sorted(warehouse.read("analytics", "alerts")["alert_id"])
    warehouse.upsert("analytics", "alert_deliveries", [
        {"delivery_id": f"{a}:{channel}:fired", "alert_id": a, "channel": channel, "notice": "fired",
         "status": "pending", "attempts": 0, "created_at": f"2026-11-21T08:00:00.{i:06d}+00:00", "digest_id": digest}
        for i, a in enumerate(ids)], key=["delivery_id"])
    return ids


def test_a_run_drains_every_batch_and_a_tick_one(warehouse: Warehouse) -> None:
    _queued(warehouse, 23, "slack", None)
    slack = Recorder("slack", digests=False)
    report = drain(warehouse, [slack], SMALL, everything=False)  # a sensor tick: one batch
    assert report.sent == 10 and report.batches == 1
    report = drain(warehouse, [slack], SMALL)  # a run: everything left, batch after batch
    assert report.sent == 13 and report.batches == 2 and len(set(slack.sent)) == 23
    assert drain(warehouse, [slack], SMALL).sent == 0


def test_a_digest_goes_out_whole_is_retried_whole_and_sent_once(warehouse: Warehouse) -> None:
    ids = _queued(warehouse, 13, "webhook", "digest-1")
    hook = Recorder("webhook")
    hook.down = True
    report = drain(warehouse, [hook], SMALL)
    assert report.failed == 13 and hook.digests == []
    rows = warehouse.read("analytics", "alert_deliveries")
    assert set(rows["status"]) == {"pending"} and set(rows["attempts"]) == {1}
    assert set(rows["last_error"]) == {"DeliveryError: webhook is down"}
    hook.down = False
    report = drain(warehouse, [hook], SMALL, everything=False)  # more rows than a batch: sent whole
    [digest] = hook.digests
    assert report.digests == {"webhook": 1} and digest["total"] == 13 and hook.sent == []
    assert sorted(a["alert_id"] for a in digest["alerts"]) == ids
    assert [(g["rule"], g["severity"], g["count"]) for g in digest["groups"]] == [("run_failure", "high", 13)]
    assert drain(warehouse, [hook], SMALL).sent == 0
    assert set(warehouse.read("analytics", "alerts")["delivery_status"]) == {"sent"}


def test_each_channel_renders_a_digest_worst_first_with_counts_and_top_customers() -> None:
    def alert(i: int, rule: str, severity: str, score: float, email: str) -> dict:
        return {"alert_id": f"a{i}", "delivery_id": f"a{i}:x:fired", "rule": rule, "severity": severity,
                "entity_type": "customer", "entity_id": f"cus_{i}", "customer_id": f"cus_{i}",
                "message": f"Customer {i}: health {score}", "routed_to": json.dumps({"email": [email]}),
                "details": json.dumps({"name": f"Customer {i}", "values": {"health_score": score},
                                       "thresholds": {"health_score": "< 60"}})}
    alerts = [alert(i, "health_below_60", "warning", 59 - i, "dana@example.com") for i in range(5)]
    alerts.append(alert(9, "churn_risk_band", "high", 20, "sam@example.com"))
    digest = digests.build("email", "digest-x", alerts)
    assert [(g["rule"], g["count"]) for g in digest["groups"]] == [("churn_risk_band", 1), ("health_below_60", 5)]
    assert digest["groups"][1]["top"] == ["Customer 4", "Customer 3", "Customer 2"]  # lowest score first
    assert digests.group_line(digest["groups"][1]).endswith("Customer 4, Customer 3, Customer 2 and 2 more")
    with HttpCapture() as http, MailCapture() as smtp:
        SlackWebhook(http.url("/slack")).send_digest(digest)
        SmtpEmail("127.0.0.1", smtp.port, recipients=("team@example.com",)).send_digest(digest)
    payload = json.loads(http.on("/slack")[0].body)
    assert payload["text"].startswith("6 new alerts (1 high, 5 warning)") and len(payload["blocks"]) == 4
    [mail] = smtp.mails
    assert sorted(mail.recipients) == ["dana@example.com", "sam@example.com", "team@example.com"]
    assert mail.message["Subject"] == "[customer-hub] 6 new alerts (1 high, 5 warning)"
    assert "Customer 0: health 59" in mail.message.get_content()
