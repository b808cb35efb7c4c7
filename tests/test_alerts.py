"""Alert rules, de-duplication across evaluations, resolution, and Slack delivery."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
import pytest

from hub.alerts import ALERT_COLUMNS, RuleError, advance, deliver, evaluate_rules
from hub.channels import SlackWebhook

RULES = [{"name": "health_below_60", "entity": "customer", "metric": "health_score", "op": "<", "value": 60,
          "severity": "warning", "description": "health below 60"}]


def _facts(score: float | None) -> dict[str, pd.DataFrame]:
    return {"customer": pd.DataFrame([{"entity_id": "cus_1", "customer_id": "cus_1", "name": "Acme",
                                       "owner": "dana", "health_score": score}])}


def test_alert_fires_once_and_resolves_when_the_condition_clears() -> None:
    existing = pd.DataFrame(columns=ALERT_COLUMNS)
    first = advance(existing, evaluate_rules(RULES, _facts(42.0)), "t1", deliverable=True)
    assert first[["status", "delivery_status", "owner"]].values.tolist() == [["open", "pending", "dana"]]
    second = advance(first, evaluate_rules(RULES, _facts(41.0)), "t2", deliverable=True)
    assert second["alert_id"].tolist() == first["alert_id"].tolist()
    assert second.iloc[0]["first_fired_at"] == "t1" and second.iloc[0]["last_fired_at"] == "t2"
    cleared = advance(second, evaluate_rules(RULES, _facts(75.0)), "t3", deliverable=True)
    assert cleared[["status", "resolved_at"]].values.tolist() == [["resolved", "t3"]]
    assert evaluate_rules(RULES, _facts(None)).empty  # no score is not "below 60"


def test_where_scopes_a_rule_to_some_entities() -> None:
    facts = {"customer": pd.DataFrame([
        {"entity_id": "c1", "customer_id": "c1", "name": "A", "health_score": 30.0, "lifecycle_stage": "customer"},
        {"entity_id": "c2", "customer_id": "c2", "name": "B", "health_score": 30.0, "lifecycle_stage": "prospect"},
    ])}
    scoped = [{**RULES[0], "where": {"lifecycle_stage": ["customer", "churn_risk"]}}]
    assert evaluate_rules(scoped, facts)["entity_id"].tolist() == ["c1"]


def test_bad_rule_names_what_to_fix() -> None:
    with pytest.raises(RuleError, match="metric 'health'"):
        evaluate_rules([{**RULES[0], "metric": "health"}], _facts(1.0))


class _Capture(BaseHTTPRequestHandler):
    received: list[dict] = []
    status = 200

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if type(self).status == 200:
            type(self).received.append(json.loads(body))
        self.send_response(type(self).status)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


def test_slack_delivery_posts_block_kit_and_keeps_failures_pending() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Capture)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        alerts = advance(pd.DataFrame(columns=ALERT_COLUMNS), evaluate_rules(RULES, _facts(30.0)), "t1",
                         deliverable=True)
        _Capture.status = 500
        failed = deliver(alerts, [SlackWebhook(url)], "t2")
        assert failed.iloc[0]["delivery_status"] == "pending" and "500" in failed.iloc[0]["last_delivery_error"]
        _Capture.status = 200
        sent = deliver(failed, [SlackWebhook(url)], "t3")
        assert sent.iloc[0]["delivery_status"] == "sent" and sent.iloc[0]["delivery_attempts"] == 2
        payload = _Capture.received[-1]
        assert payload["blocks"][0]["type"] == "header" and "Acme" in payload["text"]
    finally:
        server.shutdown()
