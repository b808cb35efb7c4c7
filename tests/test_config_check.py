"""HUB_CONFIG is checked once, up front, against one schema; `hub check` tries everything a run needs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hub import synth
from hub.config import ConfigError, load_config
from hub.config_schema import problems
from hub.emulators import start_emulators

HUB = [sys.executable, "-m", "hub.cli"]


def _yaml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hub.yaml"
    path.write_text(text)
    return path


def test_the_built_in_defaults_follow_the_schema() -> None:
    assert problems(load_config()) == []


@pytest.mark.parametrize(("text", "expected"), [
    ("helth: {}\n", "unknown key `helth`; did you mean `health`?"),
    ("alerts:\n  rules:\n    health_below_60: {valeu: 50}\n",
     "did you mean `alerts.rules.health_below_60.value`?"),
    ("health:\n  weights: {usage: thirty}\n", "`health.weights.usage`: input should be a valid number"),
    ("usage: thirty\n", "`usage`: input should be a valid dictionary"),
    ("alerts:\n  rules:\n    mine: {entity: customer, metric: health_score, op: '=<', value: 3}\n",
     "`alerts.rules.mine.op`"),
])
def test_an_unknown_key_or_wrong_type_names_the_key(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(_yaml(tmp_path, text))
    assert expected in str(raised.value)


def test_user_namespaces_stay_open(tmp_path: Path) -> None:
    config = load_config(_yaml(tmp_path, (
        "alerts:\n  owners: {'12345': {email: dana@example.com, slack: U0123ABCD}}\n"
        "  rules:\n    big_customer_slipping: {entity: customer, metric: health_score, op: '<', value: 40,\n"
        "      where: {lifecycle_stage: [customer]}, severity: high}\n"
        "lead_score:\n  industry_fit: {Fintech: 10}\n")))
    assert "big_customer_slipping" in config["alerts"]["rules"]
    assert config["lead_score"]["industry_fit"]["Fintech"] == 10


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HUB, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300)


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "AIRTABLE_", "HUBSPOT_", "SALESFORCE_"))}
    return {**env, "HUB_HOME": str(tmp_path / "home"), **extra}


def test_a_broken_config_stops_the_demo_before_any_step_with_one_message(tmp_path: Path) -> None:
    env = _env(tmp_path, HUB_CONFIG=str(_yaml(tmp_path, "helth: {}\nhealth:\n  weights: {usage: thirty}\n")))
    done = _run(["demo", "--companies", "10"], env, tmp_path)
    assert done.returncode == 2
    assert "`helth`" in done.stderr and "health.weights.usage" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) <= 4
    assert not (tmp_path / "home" / "warehouse.db").exists()  # nothing ran


def test_a_yaml_typo_is_one_message(tmp_path: Path) -> None:
    env = _env(tmp_path, HUB_CONFIG=str(_yaml(tmp_path, "alerts:\n  rules: [unclosed\n")))
    done = _run(["demo", "--companies", "10"], env, tmp_path)
    assert done.returncode == 2 and "not valid YAML" in done.stderr and "Traceback" not in done.stderr


def test_an_unreachable_warehouse_is_one_message_naming_the_variable(tmp_path: Path) -> None:
    env = _env(tmp_path, HUB_WAREHOUSE_URL="postgresql://postgres@127.0.0.1:1/nowhere")
    done = _run(["demo", "--companies", "10"], env, tmp_path)
    assert done.returncode != 0
    assert "HUB_WAREHOUSE_URL" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) <= 3


def test_hub_check_tries_every_source_and_says_how_to_fix(tmp_path: Path) -> None:
    data = synth.generate(10, seed=3)
    with start_emulators(data, rate_limits=False) as running:
        env = _env(tmp_path, **running.env())
        done = _run(["check"], env, tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        lines = {line.split()[1]: line for line in done.stdout.splitlines() if line.startswith(("ok", "FAIL"))}
        for item in ("HUB_CONFIG", "warehouse", "airtable", "hubspot", "salesforce"):
            assert lines[item].startswith("ok"), lines[item]

        done = _run(["check"], {**env, "HUBSPOT_TOKEN": "revoked"}, tmp_path)
    assert done.returncode == 1
    hubspot = next(line for line in done.stdout.splitlines() if " hubspot " in line)
    assert hubspot.startswith("FAIL") and "401" in hubspot and "HUBSPOT_TOKEN" in hubspot
    assert "revoked" not in done.stdout  # a secret is never printed


def _findings(stdout: str) -> dict[str, str]:
    """``hub check``'s lines by item (items may be two words: "hubspot writes")."""
    return {line[6:29].strip(): line for line in stdout.splitlines() if line.startswith(("ok", "FAIL"))}


def test_hub_check_tells_whether_live_playbooks_can_write_in_the_crms(tmp_path: Path) -> None:
    """In dry run nothing is written, so nothing is checked; in live mode the HubSpot token's
    scopes and the Salesforce user's rights on Task and Account are read (nothing written) and a
    missing scope or field is named with its fix before the first live run fails on it."""
    data = synth.generate(10, seed=3)
    live = _yaml(tmp_path, "playbooks:\n  mode: live\n")
    with start_emulators(data, rate_limits=False) as running:
        env = _env(tmp_path, **running.env())
        dry = _findings(_run(["check"], env, tmp_path).stdout)
        assert dry["playbooks"].startswith("ok") and "dry_run" in dry["playbooks"]
        assert "hubspot writes" not in dry and "salesforce writes" not in dry
        done = _run(["check"], {**env, "HUB_CONFIG": str(live)}, tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        lines = _findings(done.stdout)
        assert lines["hubspot writes"].startswith("ok") and "crm.objects.contacts.write" in lines["hubspot writes"]
        assert lines["salesforce writes"].startswith("ok") and "Hub_Action_Id__c" in lines["salesforce writes"]
        assert lines["airtable writes"].startswith("ok") and "data.records:write granted" in lines["airtable writes"]
        assert "'Assigned To'" in lines["airtable writes"]
        assert running.hubspot.writes == 0 and running.salesforce.writes == 0  # checked, not written
        assert running.airtable.writes == 0
    # Live playbooks that only notify, no write-back: no CRM write to ask a scope or field for.
    notify_only = tmp_path / "notify-only.yaml"
    notify_only.write_text("playbooks:\n  mode: live\n  write_back: {enabled: false}\n  rules:\n"
                           + "".join(f"    {name}: {{enabled: false}}\n" for name in
                                     ("health_degradation", "auto_assign", "beta_onboarding", "usage_spike",
                                      "no_response_follow_up", "re_engagement")))
    with start_emulators(data, rate_limits=False, hubspot={"write_scopes": False},
                         salesforce={"hub_fields": False}) as running:
        lines = _findings(_run(["check"], {**_env(tmp_path, **running.env()), "HUB_CONFIG": str(notify_only)},
                               tmp_path).stdout)
    assert lines["hubspot writes"].startswith("ok") and "write nothing" in lines["hubspot writes"]
    assert lines["salesforce writes"].startswith("ok") and "write nothing" in lines["salesforce writes"]
    assert lines["airtable writes"].startswith("ok") and "write nothing" in lines["airtable writes"]
    # A read-only private app, and an org where nobody created the hub's custom fields.
    with start_emulators(data, rate_limits=False, hubspot={"write_scopes": False},
                         salesforce={"hub_fields": False}) as running:
        done = _run(["check"], {**_env(tmp_path, **running.env()), "HUB_CONFIG": str(live)}, tmp_path)
    assert done.returncode == 1
    lines = _findings(done.stdout)
    assert lines["hubspot"].startswith("ok") and lines["salesforce"].startswith("ok")  # reading works
    hubspot, salesforce = lines["hubspot writes"], lines["salesforce writes"]
    assert hubspot.startswith("FAIL") and "crm.objects.contacts.write (for create_task)" in hubspot
    assert "crm.schemas.companies.write" in hubspot and "Private Apps" in hubspot
    assert salesforce.startswith("FAIL") and "Task has no field Hub_Action_Id__c" in salesforce
    assert "Hub_Health_Score__c" in salesforce and "docs/playbooks.md" in salesforce
    assert "pat-na1" not in done.stdout  # the token is never printed
    # An Airtable token that may only read, and an assigned-to field the base does not have.
    elsewhere = tmp_path / "elsewhere.yaml"
    elsewhere.write_text("playbooks:\n  mode: live\nairtable:\n  fields:\n    applications:\n"
                         "      assigned_to: Account Owner\n")
    for config, airtable in ((live, {"write_scopes": False}), (elsewhere, {})):
        with start_emulators(data, rate_limits=False, airtable=airtable) as running:
            done = _run(["check"], {**_env(tmp_path, **running.env()), "HUB_CONFIG": str(config)}, tmp_path)
            assert running.airtable.writes == 0
        lines = _findings(done.stdout)
        assert done.returncode == 1 and lines["airtable"].startswith("ok")  # reading works
        assert lines["airtable writes"].startswith("FAIL"), done.stdout
        if config is live:
            assert "data.records:write (for assign_owner)" in lines["airtable writes"]
            assert "airtable.com/create/tokens" in lines["airtable writes"]
        else:
            assert "no field 'Account Owner'" in lines["airtable writes"]
            assert "airtable.fields.applications.assigned_to" in lines["airtable writes"]
