"""Reports are sent by the alert channels (issue 11 item 2): one mail per report and period to the
team with the charts inline (multipart/related, cid images), one Slack summary, a signed
``report.rendered`` webhook event; once per report, period and channel (analytics.report_deliveries),
a channel that was down retried on the next render, and a down channel never fails the asset."""

from __future__ import annotations

import json
import re
from pathlib import Path

import dagster as dg
import pytest
from alert_receivers import HttpCapture, MailCapture

from hub.channels import SignedWebhook, SlackWebhook, SmtpEmail, verify_signature
from hub.config import load_config
from hub.reports.deliver import deliver_reports
from hub.reports.period import parse_period, partition_key
from hub.reports.store import render_report
from hub.warehouse import Warehouse

WEEK = parse_period("2026-W47")
SECRET_PATH = "/services/T000/B000/XXXXXXXXXXXXXXXXsecret"


def _channels(smtp: MailCapture, http: HttpCapture) -> list:
    return [SmtpEmail("127.0.0.1", smtp.port, sender="hub@example.com", recipients=("team@example.com",)),
            SlackWebhook(http.url(SECRET_PATH)), SignedWebhook(http.url("/hook"), "s3cret")]


def test_a_report_goes_once_to_each_channel_with_inline_charts(warehouse: Warehouse, tmp_path: Path) -> None:
    config = load_config()
    config["reports"]["deliver"]["webhook"] = True
    config["reports"]["url"] = "https://reports.example.com/hub"
    rendered = render_report(warehouse, config, "weekly_acquisition", WEEK, tmp_path)
    assert rendered.charts
    with MailCapture() as smtp, HttpCapture() as http:
        channels = _channels(smtp, http)
        result = deliver_reports(warehouse, config, channels, [rendered])
        assert result.metadata["sent"] == 3 and result.metadata["failed"] == 0

        [mail] = smtp.mails
        assert mail.recipients == ["team@example.com"]
        message = mail.message
        assert message["Subject"] == "[customer-hub] Acquisition report — 2026-W47"
        assert message.get_content_type() == "multipart/alternative"
        plain = message.get_body(("plain",)).get_content()
        assert plain.startswith("# Acquisition report") and "[chart: Applications per week]" in plain
        assert "https://reports.example.com/hub/weekly_acquisition/2026-W47/report.html" in plain
        related = message.get_body(("related",))
        assert related is not None and related.get_content_type() == "multipart/related"
        html = message.get_body(("html",)).get_content()
        images = [p for p in related.iter_parts() if p.get_content_type() == "image/png"]
        assert len(images) == len(rendered.charts)
        # Every chart shown by Content-ID, none fetched from anywhere.
        cids = set(re.findall(r'src="cid:([^"]+)"', html))
        assert cids == {p["Content-ID"].strip().strip("<>") for p in images}
        assert not re.findall(r'src="(?!cid:)', html)
        for part in images:
            assert part.get_content().startswith(b"\x89PNG")
        (Path("/tmp") / "report_mail.html").write_text(html)
        (Path("/tmp") / "report_mail_chart.png").write_bytes(images[0].get_content())

        [slack] = http.on(SECRET_PATH)
        summary = json.loads(slack.body)
        assert summary["text"].startswith(":bar_chart: Acquisition report — 2026-W47")
        assert "• Applications received: *0*" in summary["text"]
        assert "report.html" in json.dumps(summary["blocks"]) and "XXXXXXXX" not in slack.body.decode()

        [hook] = http.on("/hook")
        assert verify_signature("s3cret", hook.headers["X-Hub-Timestamp"], hook.body,
                                hook.headers["X-Hub-Signature-256"])
        event = json.loads(hook.body)
        assert event["event"] == "report.rendered" and event["report"]["name"] == "weekly_acquisition"
        assert event["report"]["period"] == "2026-W47" and event["report"]["markdown"] == rendered.markdown

        # A second render of the same period sends nothing.
        again = render_report(warehouse, config, "weekly_acquisition", WEEK, tmp_path)
        result = deliver_reports(warehouse, config, channels, [again])
        assert result.metadata["sent"] == 0 and result.metadata["already_sent"] == 3
        assert len(smtp.mails) == 1 and len(http.received) == 2
        rows = warehouse.read("analytics", "report_deliveries")
        assert sorted(rows["channel"]) == ["email", "slack", "webhook"]
        assert set(rows["status"]) == {"sent"} and set(rows["attempts"]) == {1}

        # Asked to (hub report --send), it goes again.
        deliver_reports(warehouse, config, channels, [again], force=True)
        assert len(smtp.mails) == 2 and len(http.on(SECRET_PATH)) == 2


def test_a_channel_that_is_down_is_retried_on_the_next_render(warehouse: Warehouse, tmp_path: Path) -> None:
    config = load_config()
    rendered = render_report(warehouse, config, "weekly_acquisition", WEEK, tmp_path)
    with MailCapture() as smtp, HttpCapture() as http:
        channels = _channels(smtp, http)
        smtp.down = True
        http.down.add(SECRET_PATH)
        result = deliver_reports(warehouse, config, channels, [rendered])
        assert result.metadata["failed"] == 2 and result.metadata["sent"] == 0
        assert "webhook" in json.loads(result.metadata["switched_off"])  # off by default
        rows = warehouse.read("analytics", "report_deliveries").set_index("channel")
        assert set(rows["status"]) == {"failed"}
        assert "451" in rows.loc["email", "last_error"]
        # The webhook URL's secret path is in neither the ledger nor the metadata.
        assert "XXXXXXXX" not in rows.loc["slack", "last_error"] and "XXXXXXXX" not in result.metadata["errors"]

        smtp.down = False
        deliver_reports(warehouse, config, channels, [render_report(warehouse, config, "weekly_acquisition",
                                                                    WEEK, tmp_path)])
        assert len(smtp.mails) == 1 and not http.on(SECRET_PATH)  # Slack still down
        rows = warehouse.read("analytics", "report_deliveries").set_index("channel")
        assert rows.loc["email", "status"] == "sent" and rows.loc["email", "attempts"] == 2
        assert rows.loc["slack", "status"] == "failed" and rows.loc["slack", "attempts"] == 2

        http.down.clear()
        deliver_reports(warehouse, config, channels, [rendered])
        assert len(smtp.mails) == 1 and len(http.on(SECRET_PATH)) == 1
        rows = warehouse.read("analytics", "report_deliveries").set_index("channel")
        assert set(rows["status"]) == {"sent"} and rows.loc["slack", "last_error"] is None


def test_the_report_asset_sends_and_a_down_smtp_does_not_fail_it(sqlite_warehouse: Warehouse, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from assets.reports import weekly_acquisition
    from resources.alerting import AlertChannelsResource
    from resources.config import HubConfigResource
    from resources.warehouse import WarehouseResource

    monkeypatch.setenv("HUB_HOME", str(tmp_path))
    with MailCapture() as smtp, HttpCapture() as http:
        resources = {"warehouse": WarehouseResource(url=sqlite_warehouse.url), "hub_config": HubConfigResource(),
                     "alert_channels": AlertChannelsResource(
                         slack_webhook_url=http.url(SECRET_PATH), smtp_host="127.0.0.1", smtp_port=smtp.port,
                         email_from="hub@example.com", email_to="team@example.com, lead@example.com")}
        smtp.down = True
        result = dg.materialize([weekly_acquisition], resources=resources, partition_key=partition_key(WEEK))
        assert result.success
        [materialization] = result.asset_materializations_for_node("analytics__reports__weekly_acquisition")
        metadata = materialization.metadata
        assert metadata["delivery_sent"].value == 1 and metadata["delivery_failed"].value == 1
        assert "email" in metadata["delivery_errors"].value and len(http.on(SECRET_PATH)) == 1

        smtp.down = False
        result = dg.materialize([weekly_acquisition], resources=resources, partition_key=partition_key(WEEK))
        metadata = result.asset_materializations_for_node("analytics__reports__weekly_acquisition")[0].metadata
        assert metadata["delivery_sent"].value == 1 and metadata["delivery_already_sent"].value == 1
        [mail] = smtp.mails
        assert sorted(mail.recipients) == ["lead@example.com", "team@example.com"]
        assert len(http.on(SECRET_PATH)) == 1


def test_hub_report_sends_only_when_asked_and_then_again(sqlite_warehouse: Warehouse, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    from hub.cli import main

    with MailCapture() as smtp, HttpCapture() as http:
        for name, value in {"HUB_HOME": str(tmp_path), "HUB_WAREHOUSE_URL": sqlite_warehouse.url,
                            "HUB_SMTP_HOST": "127.0.0.1", "HUB_SMTP_PORT": str(smtp.port),
                            "HUB_ALERT_EMAIL_TO": "team@example.com",
                            "HUB_ALERT_SLACK_WEBHOOK_URL": http.url(SECRET_PATH)}.items():
            monkeypatch.setenv(name, value)
        # By hand, a render is a preview: nothing is sent.
        assert main(["report", "weekly_acquisition", "--period", "2026-W47"]) == 0
        assert not smtp.mails and not http.received
        # --send sends, and sends again even to channels that took the period before.
        for times in (1, 2):
            assert main(["report", "weekly_acquisition", "--period", "2026-W47", "--send"]) == 0
            assert len(smtp.mails) == times and len(http.on(SECRET_PATH)) == times
        out = capsys.readouterr().out
        assert "weekly_acquisition 2026-W47 -> email: sent" in out and "XXXXXXXX" not in out
        rows = sqlite_warehouse.read("analytics", "report_deliveries")
        assert set(rows["attempts"]) == {2} and set(rows["status"]) == {"sent"}
