"""The owners' morning digest (issue 12 item 1): one message per person with open alerts on their
customers, worst first, by email and (with a Slack id in alerts.owners) on Slack mentioning them;
once per person and day, a failed channel retried, nothing for resolved or snoozed alerts."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from alert_receivers import HttpCapture, MailCapture

from hub.channels import SlackWebhook, SmtpEmail
from hub.config import load_config
from hub.pipeline.owner_digest import send_owner_digests
from hub.warehouse import Warehouse

NOW = dt.datetime(2026, 11, 30, 7, 0, tzinfo=dt.UTC)


def _alert(i: int, owner: str, severity: str, days: int, status: str = "open", entity: str = "customer") -> dict:
    fired = (NOW - dt.timedelta(days=days)).isoformat()
    return {"alert_id": f"a{i}", "rule": "health_below_60", "severity": severity, "entity_type": entity,
            "entity_id": f"cus_{i}", "window_key": "", "customer_id": f"cus_{i}", "owner": owner, "routed_to": "{}",
            "message": f"Customer {i}: health {40 + i}/100", "details": "{}", "status": status,
            "first_fired_at": fired, "last_fired_at": fired, "snooze_count": 0, "delivery_status": "sent",
            "delivery_attempts": 1}


@pytest.fixture
def world(warehouse: Warehouse) -> Warehouse:
    warehouse.write("analytics", "owners", [
        {"source": "hubspot", "owner_id": "101", "name": "Maya Chen", "email": "maya@example.com", "active": True,
         "person_id": "maya@example.com", "person_email": "maya@example.com"},
        {"source": "salesforce", "owner_id": "005A", "name": "Maya Chen", "email": "maya@example.com", "active": True,
         "person_id": "maya@example.com", "person_email": "maya@example.com"},
        {"source": "hubspot", "owner_id": "102", "name": "Jordan Patel", "email": "jordan@example.com",
         "active": True, "person_id": "jordan@example.com", "person_email": "jordan@example.com"},
        {"source": "hubspot", "owner_id": "103", "name": "Gone Person", "email": "gone@example.com",
         "active": False, "person_id": "gone@example.com", "person_email": "gone@example.com"}], key=["source", "owner_id"])
    warehouse.write("analytics", "alerts", [
        _alert(1, "101", "warning", 0), _alert(2, "005A", "high", 2), _alert(3, "101", "warning", 5),
        _alert(4, "102", "warning", 1), _alert(5, "102", "high", 1, status="resolved"),
        _alert(6, "102", "high", 1, status="snoozed"), _alert(7, "103", "high", 3), _alert(8, None, "high", 1)],
        key=["alert_id"])
    return warehouse


def test_each_owner_gets_one_digest_a_day_worst_first(world: Warehouse) -> None:
    config = load_config()
    config["alerts"]["owners"] = {"jordan@example.com": {"slack": "U0JORDAN"}}
    with MailCapture() as smtp, HttpCapture() as http:
        channels = [SmtpEmail("127.0.0.1", smtp.port, sender="hub@example.com", recipients=("team@example.com",)),
                    SlackWebhook(http.url("/slack"))]
        result = send_owner_digests(world, config, channels, "Europe/Berlin", now=NOW)
        assert result.metadata["people"] == 2 and result.metadata["failed"] == 0
        mails = {m.recipients[0]: m for m in smtp.mails}
        # Maya's customers under both her CRM ids, in one digest; the team is not copied.
        assert sorted(mails) == ["jordan@example.com", "maya@example.com"]
        maya = mails["maya@example.com"].message
        assert maya["Subject"] == "[customer-hub] Good morning, Maya: 3 customers need your attention"
        body = maya.get_content()
        assert body.index("Customer 2") < body.index("Customer 3") < body.index("Customer 1")  # high, then oldest
        assert "open 5 days" in body and "opened today" in body
        # Resolved and snoozed alerts are not news; one who left and nobody's alerts go to nobody personally.
        jordan = mails["jordan@example.com"].message.get_content()
        assert "Customer 4" in jordan and "Customer 5" not in jordan and "Customer 6" not in jordan
        assert not any("Customer 7" in m.message.get_content() for m in smtp.mails)
        [slack] = http.on("/slack")
        assert json.loads(slack.body)["text"].startswith("<@U0JORDAN> Good morning, Jordan: 1 customer needs")

        # Once a day: a second run that morning sends nothing.
        send_owner_digests(world, config, channels, "Europe/Berlin", now=NOW + dt.timedelta(hours=1))
        assert len(smtp.mails) == 2 and len(http.on("/slack")) == 1
        rows = world.read("analytics", "owner_digests")
        assert len(rows) == 2 and set(rows["status"]) == {"sent"} and set(rows["day"]) == {"2026-11-30"}

        # A channel that was down that morning is retried on the next run, the other not re-sent.
        smtp.down = True
        send_owner_digests(world, config, channels, "Europe/Berlin", now=NOW + dt.timedelta(days=1))
        rows = world.read("analytics", "owner_digests").set_index("day")
        assert set(rows.loc["2026-12-01", "status"]) == {"failed"} and len(http.on("/slack")) == 2
        smtp.down = False
        send_owner_digests(world, config, channels, "Europe/Berlin", now=NOW + dt.timedelta(days=1, hours=1))
        rows = world.read("analytics", "owner_digests").set_index("day")
        assert set(rows.loc["2026-12-01", "status"]) == {"sent"} and len(http.on("/slack")) == 2
        assert len(smtp.mails) == 4
