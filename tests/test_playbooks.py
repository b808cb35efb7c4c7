"""Playbooks that act (issue 12 item 5), end to end: the demo world's alerts trigger the default
playbooks, which create tasks in HubSpot and Salesforce, assign unowned applications to reps in
turn, write the health score back onto the CRM records, notify, escalate and mail customers —
through the real client libraries against the emulators' write endpoints, with real receivers.

Each action happens once: a second run writes nothing; a run that died mid-action is resumed
without a duplicate; dry-run mode touches nothing and its actions run once the mode is live.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
import sqlalchemy as sa
from alert_receivers import HttpCapture, MailCapture

from assets.playbooks import crms
from hub import synth
from hub.config import load_config
from hub.emulators import start_emulators
from hub.pipeline.playbooks import run_playbooks
from hub.playbooks.config import PlaybookError, playbooks_from_config
from hub.warehouse import Warehouse, utcnow
from resources.airtable import AirtableResource
from resources.alerting import AlertChannelsResource
from resources.hubspot import HubSpotResource
from resources.salesforce import SalesforceResource

LEAD = "lead@example.com"


def _configure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, running, warehouse: Warehouse, http: HttpCapture,
               smtp: MailCapture, playbooks: str) -> Path:
    config = tmp_path / "hub.yaml"
    config.write_text(playbooks)
    landing = tmp_path / "landing"
    for name, value in {**running.env(), "HUB_HOME": str(tmp_path), "HUB_USAGE_LOG_DIR": str(landing),
                        "HUB_WAREHOUSE_URL": warehouse.url, "HUB_CONFIG": str(config),
                        "HUB_ALERT_SLACK_WEBHOOK_URL": http.url("/slack"), "HUB_SMTP_HOST": "127.0.0.1",
                        "HUB_SMTP_PORT": str(smtp.port), "HUB_ALERT_EMAIL_TO": "team@example.com"}.items():
        monkeypatch.setenv(name, value)
    return landing


def _writes(running) -> tuple[int, int, int]:
    return running.hubspot.writes, running.salesforce.writes, running.airtable.writes


def _live(reps: list[str]) -> str:
    return (f"playbooks:\n  mode: live\n  reps: {json.dumps(reps)}\n  default_manager: {LEAD}\n"
            "  customer_email: {enabled: true, from: hello@example.com, sender_name: The CredLink team}\n")


def test_playbooks_act_once_in_the_crms_and_dry_run_touches_nothing(
        warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = synth.generate(120, 7)
    reps = [o["email"] for o in data.hubspot_owners if not o.get("archived")][:2]
    with start_emulators(data, rate_limits=False) as running, HttpCapture() as http, MailCapture() as smtp:
        landing = _configure(monkeypatch, tmp_path, running, warehouse, http, smtp, "{}\n")
        synth.write_usage_logs(data, landing, seed=7)
        from hub.definitions import build_definitions

        job = build_definitions().resolve_job_def("nightly_sync")
        with dg.DagsterInstance.ephemeral() as instance:
            # 1. The defaults are a dry run: every action planned and recorded, nothing written anywhere.
            assert job.execute_in_process(instance=instance).success
            assert _writes(running) == (0, 0, 0)
            planned = warehouse.read("analytics", "actions")
            assert len(planned) and set(planned["status"]) <= {"dry_run", "skipped"}
            assert set(planned["mode"]) == {"dry_run"}
            assert {"create_task", "write_back", "notify"} <= set(planned["action"])
            skipped = planned[planned["status"] == "skipped"]
            assert skipped["result"].notna().all() and not skipped["result"].str.contains("n/a").any()

            # Two high-scoring applications lose their owner in Airtable: seed 000's auto-assign.
            apps = warehouse.read("analytics", "applications")
            hot = apps[apps["auto_assign"].astype(bool)].sort_values("application_id").head(2)
            records = warehouse.read("staging", "companies", ["source_id", "application_id", "source"])
            records = records[(records["source"] == "airtable") & records["application_id"].isin(hot["application_id"])]
            assert len(records) == 2
            for record in records["source_id"]:
                running.airtable.upsert("Beta Applications", {"id": record, "fields": {"Assigned To": None}})

            # 2. Live: the dry run's actions and the new ones are carried out.
            (tmp_path / "live.yaml").write_text(_live(reps))
            monkeypatch.setenv("HUB_CONFIG", str(tmp_path / "live.yaml"))
            job = build_definitions().resolve_job_def("nightly_sync")
            assert job.execute_in_process(instance=instance).success
            actions = warehouse.read("analytics", "actions")
            assert not actions["status"].isin(["failed", "gave_up", "dry_run", "pending", "started"]).any(), \
                actions[actions["status"] != "done"][["action", "status", "result"]].to_string()
            done = actions[actions["status"] == "done"]

            # Tasks: on the customer's HubSpot company (associated, carrying the action id) or
            # Salesforce Account (its external id is the action id), once each.
            tasks = done[done["action"] == "create_task"]
            hs_tasks, sf_tasks = running.hubspot.snapshot("tasks"), running.salesforce.snapshot("Task")
            assert len(tasks) == len(hs_tasks) + len(sf_tasks) and len(hs_tasks) and len(sf_tasks)
            for row in tasks.to_dict("records"):
                source, _, record = row["target"].split(":", 2)
                request = json.loads(row["request"])
                if source == "hubspot":
                    task = hs_tasks[row["external_id"]]["properties"]
                    assert row["action_id"] in task["hs_task_body"] and task["hs_task_subject"] == request["subject"]
                    assert record in running.hubspot._assoc.targets("tasks", row["external_id"], "companies")
                else:
                    task = sf_tasks[row["external_id"]]
                    assert task["Hub_Action_Id__c"] == row["action_id"] and task["WhatId"] == record
                    assert task["Subject"] == request["subject"] and task["ActivityDate"] == request["due_date"]

            # Write-back: every CRM record of a customer carries its score, band and customer id.
            customers = warehouse.read("analytics", "customers").set_index("customer_id")
            sources = warehouse.read("analytics", "customer_sources")
            companies = running.hubspot.snapshot("companies")
            accounts = running.salesforce.snapshot("Account")
            hs = sources[(sources["source"] == "hubspot") & (sources["source_object"] == "companies")]
            sf = sources[(sources["source"] == "salesforce") & (sources["source_object"] == "Account")]
            assert len(hs) and len(sf)
            for row in hs.to_dict("records"):
                props = companies[row["source_id"]]["properties"]
                customer = customers.loc[row["customer_id"]]
                assert props["hub_customer_id"] == row["customer_id"]
                assert props["hub_health_band"] == (customer["health_band"] if pd.notna(customer["health_band"]) else "")
                if pd.notna(customer["health_score"]):
                    assert float(props["hub_health_score"]) == round(float(customer["health_score"]), 1)
            for row in sf.to_dict("records"):
                account = accounts[row["source_id"]]
                assert account["Hub_Customer_Id__c"] == row["customer_id"]
                band = customers.loc[row["customer_id"], "health_band"]
                assert account["Hub_Health_Band__c"] == (band if pd.notna(band) else None)

            # Round robin: the two unowned applications went to the two reps in turn, in Airtable.
            assigned = done[(done["action"] == "assign_owner") & done["target"].str.startswith("airtable:")]
            assert len(assigned) == 2
            cells = {r["id"]: r["fields"].get("Assigned To") for r in running.airtable.snapshot("Beta Applications")}
            got = {cells[t.split(":", 2)[2]] for t in assigned["target"]}
            owners = warehouse.read("analytics", "owners")
            names = {owners.loc[owners["email"] == rep, "name"].iloc[0] for rep in reps}
            assert got == names

            # notify: owner rides on the alert (no second message); the follow-up mail reached the applicant.
            notified = done[done["action"] == "notify"]
            assert len(notified) and notified["result"].str.startswith("the alert itself went to the owner").all()
            follow_ups = done[done["action"] == "email_contact"]
            customer_mails = [m for m in smtp.mails if m.message["From"] == "hello@example.com"]
            assert len(customer_mails) == len(follow_ups) > 0
            assert all("team@example.com" not in m.recipients for m in customer_mails)
            # Applicants with no response in 7 days get the follow-up; customers idle for 14 days (the
            # synthetic world has some on some days: its usage ends yesterday) the re-engagement mail.
            subjects = {"no_response_7_days": "beta application", "inactive": "get going again"}
            assert set(follow_ups["rule"]) <= set(subjects) and "no_response_7_days" in set(follow_ups["rule"])
            for rule, words in subjects.items():
                mailed = [m for m in customer_mails if words in str(m.message["Subject"])]
                assert len(mailed) == (follow_ups["rule"] == rule).sum(), rule

            # Every live action is in the audit log.
            audit = warehouse.read("analytics", "audit_log")
            logged = audit[audit["action"] == "playbook_action"]
            assert len(logged) == len(done)

            # 3. A second run writes nothing and sends nothing new.
            before, mails, posts = _writes(running), len(smtp.mails), len(http.on("/slack"))
            assert job.execute_in_process(instance=instance).success
            assert _writes(running) == before and len(smtp.mails) == mails and len(http.on("/slack")) == posts
            assert len(warehouse.read("analytics", "actions")) == len(actions)

        config = load_config(tmp_path / "live.yaml")
        channels = AlertChannelsResource(slack_webhook_url=http.url("/slack"), smtp_host="127.0.0.1",
                                         smtp_port=smtp.port, email_to="team@example.com").channels()
        env = running.env()
        connectors = crms(config, AirtableResource(api_url=env["AIRTABLE_API_URL"], token=env["AIRTABLE_TOKEN"],
                                                   base_id=env["AIRTABLE_BASE_ID"]),
                          HubSpotResource(api_url=env["HUBSPOT_API_URL"], token=env["HUBSPOT_TOKEN"]),
                          SalesforceResource(instance_url=env["SALESFORCE_INSTANCE_URL"],
                                             access_token=env["SALESFORCE_ACCESS_TOKEN"],
                                             ca_bundle=env["SALESFORCE_CA_BUNDLE"]))

        # 4. A run that died after HubSpot made the task but before the ledger said so: the task
        # is found by the action id it carries, not made twice.
        hs_task = tasks[tasks["target"].str.startswith("hubspot:")].iloc[0]
        table = warehouse.table("analytics", "actions")
        with warehouse.transaction() as conn:
            conn.execute(sa.update(table).where(table.c.action_id == hs_task["action_id"]).values(
                status="started", claimed_at="2026-01-01T00:00:00+00:00", external_id=None))
        count = len(running.hubspot.snapshot("tasks"))
        run_playbooks(warehouse, config, channels, connectors)
        again = warehouse.read("analytics", "actions", where=table.c.action_id == hs_task["action_id"]).iloc[0]
        assert again["status"] == "done" and again["external_id"] == hs_task["external_id"]
        assert len(running.hubspot.snapshot("tasks")) == count

        # 5. Alerts still open a week on are escalated to the manager, once.
        open_alerts = warehouse.read("analytics", "alerts")
        churn = open_alerts[(open_alerts["status"] == "open")
                            & open_alerts["rule"].isin(["churn_risk_band", "health_below_60"])]
        mails = len(smtp.mails)
        later = utcnow() + dt.timedelta(days=8)
        run_playbooks(warehouse, config, channels, connectors, now=later)
        escalated = warehouse.read("analytics", "actions", where=table.c.action == "escalate")
        assert len(escalated) == len(churn) and set(escalated["status"]) == {"done"}
        to_lead = [m for m in smtp.mails[mails:] if LEAD in m.recipients]
        assert to_lead and all("team@example.com" in m.recipients for m in to_lead)
        text = "\n".join(m.message.get_content() for m in to_lead)
        assert all(name in text for name in customers.loc[churn["customer_id"], "name"].dropna())
        after = len(smtp.mails)
        run_playbooks(warehouse, config, channels, connectors, now=later + dt.timedelta(hours=1))
        assert len(smtp.mails) == after  # nothing more


def test_a_playbook_that_cannot_run_says_what_to_fix() -> None:
    config = load_config()
    rules = {"churn_risk_band"}
    with pytest.raises(PlaybookError, match="not defined or enabled"):
        playbooks_from_config({"mode": "live", "rules": {"x": {"trigger": {"alert": "nope"},
                                                               "actions": ["notify"]}}}, rules)
    with pytest.raises(PlaybookError, match="create_task needs a subject"):
        playbooks_from_config({"rules": {"x": {"trigger": {"alert": "churn_risk_band"},
                                               "actions": [{"create_task": {}}]}}}, rules)
    with pytest.raises(PlaybookError, match="escalate needs after_days"):
        playbooks_from_config({"rules": {"x": {"trigger": {"alert": "churn_risk_band"},
                                               "actions": [{"escalate": "manager"}]}}}, rules)
    with pytest.raises(PlaybookError, match="mode is one of"):
        playbooks_from_config({"mode": "yes"})
    defaults = playbooks_from_config(config["playbooks"], {r for r in config["alerts"]["rules"]})
    assert {p.name for p in defaults} >= {"health_degradation", "auto_assign", "beta_onboarding", "usage_spike"}


def test_a_crm_that_refuses_the_writes_fails_those_actions_with_the_fix_and_gives_up(
        sqlite_warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Salesforce org without the hub's custom fields, a HubSpot app without write scopes: the
    run succeeds, the actions fail with what to do, are retried on later runs, then given up."""
    warehouse = sqlite_warehouse
    data = synth.generate(60, 11)
    with start_emulators(data, rate_limits=False, salesforce={"hub_fields": False},
                         hubspot={"write_scopes": False}) as running, HttpCapture() as http, MailCapture() as smtp:
        landing = _configure(monkeypatch, tmp_path, running, warehouse, http, smtp,
                             "playbooks: {mode: live, max_attempts: 2}\n")
        synth.write_usage_logs(data, landing, seed=11)
        from hub.definitions import build_definitions

        job = build_definitions().resolve_job_def("nightly_sync")
        with dg.DagsterInstance.ephemeral() as instance:
            assert job.execute_in_process(instance=instance).success
            actions = warehouse.read("analytics", "actions")
            backs = actions[actions["action"] == "write_back"]
            sf = backs[backs["target"].str.startswith("salesforce:")]
            hs = backs[backs["target"].str.startswith("hubspot:")]
            assert len(sf) and set(sf["status"]) == {"failed"} and set(hs["status"]) == {"failed"}
            assert sf["result"].str.contains("INVALID_FIELD: No such column 'Hub_").all()
            assert sf["result"].str.contains("create the hub's custom Account fields in Setup").all()
            assert hs["result"].str.contains("403").all() and hs["result"].str.contains("scope").all()
            token = running.env()["HUBSPOT_TOKEN"]
            assert not actions["result"].fillna("").str.contains(token, regex=False).any()
            assert job.execute_in_process(instance=instance).success
            again = warehouse.read("analytics", "actions").set_index("action_id").loc[backs["action_id"]]
            assert set(again["status"]) == {"gave_up"} and set(again["attempts"]) == {2}
            assert job.execute_in_process(instance=instance).success  # nothing more is tried
            assert set(warehouse.read("analytics", "actions").set_index("action_id").loc[
                backs["action_id"], "attempts"]) == {2}


def test_escalations_are_news_when_they_fall_due_not_for_alerts_from_long_ago() -> None:
    from hub.alert_lifecycle import ALERT_COLUMNS
    from hub.playbooks.execute import LEDGER_COLUMNS
    from hub.playbooks.plan import Context, plan_alert_actions

    now = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
    alerts = pd.DataFrame([{**dict.fromkeys(ALERT_COLUMNS), "alert_id": f"a{days}", "rule": "churn_risk_band",
                            "entity_type": "customer", "entity_id": f"c{days}", "customer_id": f"c{days}",
                            "severity": "high", "message": f"c{days} at risk", "status": "open",
                            "first_fired_at": (now - dt.timedelta(days=days)).isoformat()} for days in (2, 9, 20)])
    empty = pd.DataFrame()
    ctx = Context(alerts=alerts, customers=pd.DataFrame(columns=["customer_id", "name"]),
                  sources=pd.DataFrame(columns=["source", "source_object", "source_id", "customer_id"]),
                  applications=empty, application_records=empty, record_owners=empty,
                  owners=pd.DataFrame(), contacts=empty, ledger=pd.DataFrame(columns=LEDGER_COLUMNS), now=now,
                  settings={"act_within_days": 3})
    [playbook] = playbooks_from_config({"rules": {"esc": {"trigger": {"alert": "churn_risk_band"},
                                                          "actions": [{"escalate": {"after_days": 7}}]}}})
    planned = plan_alert_actions([playbook], ctx)
    # Opened 2 days ago: not due; 9 days ago: due 2 days ago, news; 20 days ago: due long before the playbook.
    assert [p.alert_id for p in planned] == ["a9"]
    assert planned[0].request["to"] == "manager" and "open for 9 days" in planned[0].request["message"]
