"""Erasure in the sources too (issue 15 item 2, optional part): `hub erase --propagate` asks
HubSpot for a GDPR delete, deletes the Salesforce Contact and clears the Airtable application's
contact cells, through the real clients against the emulators; `--dry-run` only lists them; a
source that refuses is reported with the command to retry, and the warehouse erasure stands."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
from test_governance_erase import SALT, _person, grep

from hub import synth
from hub.cli import main
from hub.emulators import start_emulators
from hub.governance import audit
from hub.warehouse import Warehouse


def _point_at(monkeypatch: pytest.MonkeyPatch, running, warehouse: Warehouse, home: Path) -> None:
    for name, value in {**running.env(), "HUB_HOME": str(home), "HUB_USAGE_LOG_DIR": str(home / "landing"),
                        "HUB_WAREHOUSE_URL": warehouse.url, "HUB_ERASURE_SALT": SALT}.items():
        monkeypatch.setenv(name, value)


def _records(warehouse: Warehouse, email: str) -> dict[str, list[str]]:
    people = warehouse.read("staging", "people", ["record_id", "email"])
    mine = people[people["email"].str.lower() == email.lower()]["record_id"]
    out: dict[str, list[str]] = {}
    for record in mine:
        source, obj, source_id = record.split(":", 2)
        out.setdefault(f"{source}:{obj}", []).append(source_id)
    return out


def test_erase_propagates_to_the_sources(sqlite_warehouse: Warehouse, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    warehouse = sqlite_warehouse
    data = synth.generate(30, seed=15)
    with start_emulators(data, rate_limits=False) as running:
        _point_at(monkeypatch, running, warehouse, tmp_path)
        from hub.definitions import build_definitions

        job = build_definitions().resolve_job_def("nightly_sync")
        with dg.DagsterInstance.ephemeral() as instance:
            assert job.execute_in_process(instance=instance).success
            person = _person(warehouse)
            records = _records(warehouse, person["email"])
            assert "hubspot:contacts" in records and "salesforce:Contact" in records, records
            writes = (running.hubspot.writes, running.salesforce.writes, running.airtable.writes)

            assert main(["erase", "--email", person["email"], "--dry-run", "--propagate"]) == 0
            dry = capsys.readouterr().out
            assert f"hubspot:contacts:{records['hubspot:contacts'][0]}: would delete" in dry
            assert (running.hubspot.writes, running.salesforce.writes, running.airtable.writes) == writes

            assert main(["erase", "--email", person["email"], "--yes", "--propagate"]) == 0
            out = capsys.readouterr().out
            for hs_id in records["hubspot:contacts"]:
                assert f"hubspot:contacts:{hs_id}: deleted (GDPR delete)" in out
                assert hs_id not in running.hubspot.snapshot("contacts")
            for sf_id in records["salesforce:Contact"]:
                assert f"salesforce:Contact:{sf_id}: deleted" in out
                assert sf_id not in running.salesforce.snapshot("Contact")
            for rec in records.get("airtable:applications", []):
                cells = next(r["fields"] for r in running.airtable.snapshot("Beta Applications") if r["id"] == rec)
                assert person["email"] not in str(cells) and person["name"] not in str(cells)
            [entry] = audit.entries(warehouse, "erase_propagated")
            assert person["email"] not in str(entry["details"])

            # The sources no longer hold them: the next sync has nothing of theirs to hold back.
            assert job.execute_in_process(instance=instance).success
            assert grep(warehouse, [person["email"], person["name"]]) == {}

    # A source that refuses: reported with the command to retry; the warehouse erasure stands.
    fresh = synth.generate(30, seed=15)
    with start_emulators(fresh, rate_limits=False, hubspot={"write_scopes": False}) as running:
        for name, value in running.env().items():
            monkeypatch.setenv(name, value)
        other = _person(warehouse)
        record = _records(warehouse, other["email"])["hubspot:contacts"][0]
        assert main(["erase", "--email", other["email"], "--yes", "--propagate"]) == 3
        captured = capsys.readouterr()
        assert f"hubspot:contacts:{record}: failed" in captured.out and "403" in captured.out
        assert "hub erase --source-record <record> --propagate --yes" in captured.err
        assert grep(warehouse, [other["email"]]) == {}
        assert record in running.hubspot.snapshot("contacts")
