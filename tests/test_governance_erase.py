"""Right to erasure (issue 15): after a real nightly_sync against the emulators, `hub erase` leaves
no trace of a contact's email, name or phone in any table of either warehouse or in the reports
folder; `--dry-run` lists the same places and changes nothing; the next sync does not bring them
back and reports that the source still holds them."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from hub import synth
from hub.cli import main
from hub.emulators import start_emulators
from hub.governance import audit
from hub.governance.tables import NOT_SEARCHED, pii_columns, warehouse_tables
from hub.warehouse import Warehouse

SALT = "test-erasure-salt-0123456789abcdef"


@pytest.fixture(scope="module")
def sources():
    data = synth.generate(30, seed=15)
    with start_emulators(data, rate_limits=False) as running:
        yield data, running


def _point_at(monkeypatch: pytest.MonkeyPatch, running, warehouse: Warehouse, home: Path) -> None:
    for name, value in running.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HUB_HOME", str(home))
    monkeypatch.setenv("HUB_USAGE_LOG_DIR", str(home / "landing"))
    monkeypatch.setenv("HUB_WAREHOUSE_URL", warehouse.url)
    monkeypatch.setenv("HUB_ERASURE_SALT", SALT)


def _cell_text(value) -> str:  # noqa: ANN001
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def grep(warehouse: Warehouse, needles: list[str]) -> dict[str, int]:
    """Rows of every table (all layers, every column) holding a needle, by ``layer.table``:
    independent of the erasure code — a plain read of everything."""
    lowered = [n.lower() for n in needles]
    hits: dict[str, int] = {}
    for table in warehouse_tables(warehouse):
        with warehouse.engine.connect() as conn:
            rows = conn.exec_driver_sql(f"SELECT * FROM {warehouse.qualified(table.layer, table.name)}").all()
        for row in rows:
            text = " | ".join(_cell_text(v) for v in row if v is not None).lower()
            spelled = text.encode("ascii", "backslashreplace").decode()  # JSON's \\u00e9 read back
            if any(n in text or n in spelled for n in lowered) or any(
                    json.dumps(n)[1:-1] in text for n in lowered):
                hits[table.qualified] = hits.get(table.qualified, 0) + 1
    return hits


def _person(warehouse: Warehouse) -> dict:
    """A contact known by an email, a name and a phone, preferably held by several sources."""
    contacts = warehouse.read("analytics", "contacts").dropna(subset=["email", "name", "phone"])
    contacts = contacts[contacts["name"].str.len() >= 6]
    contacts = contacts.assign(n=contacts["sources"].str.count(",")).sort_values(["n", "contact_id"],
                                                                                 ascending=[False, True])
    names = warehouse.read("analytics", "contacts")["name"].value_counts()
    for row in contacts.to_dict("records"):
        if names.get(row["name"], 0) == 1:
            return row
    raise AssertionError("no contact with an email, a unique name and a phone")


def test_erase_leaves_no_trace_and_stays_erased(sources, warehouse: Warehouse, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    data, running = sources
    _point_at(monkeypatch, running, warehouse, tmp_path)
    synth.write_usage_logs(data, tmp_path / "landing", bad_lines=1, seed=15)
    from hub.definitions import build_definitions

    job = build_definitions().resolve_job_def("nightly_sync")
    with dg.DagsterInstance.ephemeral() as instance:
        assert job.execute_in_process(instance=instance).success
        person = _person(warehouse)
        needles = [person["email"], person["name"], person["phone"]]
        report = tmp_path / "reports" / "weekly.md"
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(f"# Weekly\n\n- new contact {person['name']} <{person['email']}>\n", encoding="utf-8")
        before = grep(warehouse, needles)
        assert "analytics.contacts" in before and "staging.people" in before, before

        # --dry-run: lists the places, changes nothing.
        assert main(["erase", "--email", person["email"].upper(), "--dry-run"]) == 0
        dry = capsys.readouterr().out
        assert grep(warehouse, needles) == before
        assert "would change" in dry
        for place in before:
            assert f"  {place}:" in dry, (place, dry)
        assert audit.entries(warehouse, "erase") == []

        assert main(["erase", "--email", person["email"], "--yes"]) == 0
        done = capsys.readouterr().out
        assert grep(warehouse, needles) == {}
        assert person["email"] not in report.read_text(encoding="utf-8")
        # The same places, table by table, as the dry run listed.
        assert [line.split(":")[0] for line in dry.splitlines()[1:]] == [
            line.split(":")[0] for line in done.splitlines()[1:-1]]
        [entry] = audit.entries(warehouse, "erase")
        assert person["email"] not in _cell_text(entry["details"])

        # The next sync does not land them again, and says the source still holds them.
        result = job.execute_in_process(instance=instance)
        assert result.success
        assert grep(warehouse, needles) == {}
        suppressed = [m.metadata["suppressed"].value for m in _materializations(result)
                      if "suppressed" in m.metadata]
        assert sum(suppressed) >= 1


def _materializations(result: dg.ExecuteInProcessResult) -> list[dg.AssetMaterialization]:
    return [e.event_specific_data.materialization for e in result.all_events
            if e.event_type_value == "ASSET_MATERIALIZATION"]


def test_erase_without_the_salt_is_refused(sqlite_warehouse: Warehouse, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HUB_HOME", str(tmp_path))
    monkeypatch.setenv("HUB_WAREHOUSE_URL", sqlite_warehouse.url)
    monkeypatch.delenv("HUB_ERASURE_SALT", raising=False)
    sqlite_warehouse.write("analytics", "contacts", [{"contact_id": "ct_1", "email": "ann@example.com",
                                                      "name": "Ann Example"}], key=["contact_id"])
    assert main(["erase", "--contact-id", "ct_1", "--yes"]) == 2
    assert "HUB_ERASURE_SALT" in capsys.readouterr().err
    assert sqlite_warehouse.count("analytics", "contacts") == 1


def test_every_table_with_personal_columns_is_searched(warehouse: Warehouse) -> None:
    """A table added with an email-like column is erased from unless it is listed as not searched,
    and the tables not searched hold no personal column."""
    for table in warehouse_tables(warehouse):
        columns = list(warehouse.table(table.layer, table.name).c.keys())
        if table.qualified in NOT_SEARCHED:
            assert not pii_columns(table.layer, table.name, columns), table.qualified
    found = {t.qualified for t in warehouse_tables(warehouse)}
    assert {"raw.hubspot_contacts", "staging.people", "analytics.contacts", "analytics.match_review",
            "analytics.alerts", "analytics.alert_deliveries", "raw.quarantine"} <= found
    assert set(NOT_SEARCHED) <= found


def test_suppressed_sync_needs_the_same_salt(sqlite_warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    from hub.governance.suppression import SuppressionError, Suppressions, email_key, suppress

    with sqlite_warehouse.transaction() as conn:
        suppress(sqlite_warehouse, conn, "e1", [email_key("Ann@Example.com")], SALT.encode())
    loaded = Suppressions.load(sqlite_warehouse, SALT.encode())
    assert loaded.matches("hubspot", "contacts", "1", '{"email": "ann@example.com"}')
    assert not loaded.matches("hubspot", "contacts", "2", '{"email": "bob@example.com"}')
    monkeypatch.delenv("HUB_ERASURE_SALT", raising=False)
    with pytest.raises(SuppressionError, match="HUB_ERASURE_SALT"):
        Suppressions.load(sqlite_warehouse)
    with pytest.raises(SuppressionError, match="not the secret"):
        Suppressions.load(sqlite_warehouse, b"another salt")
    names = {t for t in sa.inspect(sqlite_warehouse.engine).get_table_names()}
    assert "raw_erasure_suppressions" in names
