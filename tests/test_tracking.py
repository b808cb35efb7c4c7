"""Seed 001's tracking: a CSV set loaded like the usage logs (quarantine, accounting, digest
dedupe), matched to the hub's customers in the onboarding report, and `hub track` over the
warehouse, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest

from hub.cli import main
from hub.tracking.files import load_folder
from hub.tracking.reports import engagement_report, onboarding_report
from hub.warehouse import Warehouse

CUSTOMERS = """customer_id,email,organization,github_username,cohort,industry,team_size,created_at
c12345,John@Acme.com,Acme Inc,acme-dev,VIP,SaaS,15,2025-01-10
c12346,ops@globex.io,Globex Corporation,globex,VIP,Fintech,40,2025-01-11
c12347,solo.dev@gmail.com,Solo Labs,solo,Wave 2,Tools,,2025-01-12
c12348,not-an-email,Broken Co,broken,VIP,SaaS,3,2025-01-12
c12349,john@acme.com,Acme Duplicate,acme2,VIP,SaaS,2,2025-01-12
"""
ONBOARDING = """customer_id,step,value,updated_at
c12345,account_created,true,2025-01-10T09:00:00Z
c12345,github_action_installed,true,2025-01-11T09:00:00Z
c12346,account_created,yes,2025-01-11T10:00:00Z
c12346,github_action_installed,false,
c99999,account_created,true,
c12347,Bad Step!,true,
"""
ENGAGEMENT = """customer_id,date,issues_tagged,prs_generated,prs_merged,prs_rejected,support_requests
c12345,2025-01-14,5,4,3,1,0
c12345,2025-01-15,2,2,1,0,1
c12346,2025-01-15,1,1,0,0,0
c12346,15/01/2025,1,1,0,0,0
c12347,2025-01-15,-1,0,0,0,0
"""


def landing(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "customers.csv").write_text("\ufeff" + CUSTOMERS, encoding="utf-8")  # saved by a spreadsheet
    (folder / "onboarding.csv").write_text(ONBOARDING, encoding="utf-8")
    (folder / "engagement.csv").write_text(ENGAGEMENT, encoding="utf-8")
    shutil.copy(folder / "customers.csv", folder / "customers_backup.csv")
    (folder / "notes.csv").write_text("what,when\nlunch,noon\n", encoding="utf-8")
    (folder / "engagement.csv.part").write_text("half", encoding="utf-8")
    return folder


def test_a_seed_001_csv_set_loads_with_every_row_accounted(warehouse: Warehouse, tmp_path: Path) -> None:
    reports = {r.file_name: r for r in load_folder(warehouse, landing(tmp_path / "tracking"))}
    assert set(reports) == {"customers.csv", "customers_backup.csv", "onboarding.csv", "engagement.csv", "notes.csv"}
    assert (reports["customers.csv"].rows_in, reports["customers.csv"].rows_loaded) == (5, 3)
    assert reports["customers_backup.csv"].kind == "skipped"  # same content: loaded once
    assert (reports["onboarding.csv"].rows_loaded, reports["onboarding.csv"].rows_quarantined) == (4, 2)
    assert (reports["engagement.csv"].rows_loaded, reports["engagement.csv"].rows_quarantined) == (3, 2)
    assert reports["notes.csv"].kind == "unreadable" and "header" in reports["notes.csv"].reason
    for r in reports.values():
        assert r.rows_in == r.rows_loaded + r.rows_quarantined

    reasons = warehouse.read("raw", "quarantine", ["source", "reason"])
    reasons = sorted(reasons[reasons["source"] == "tracking"]["reason"])
    assert any("not an address" in r for r in reasons)
    assert any("already tracked as customer c12345" in r for r in reasons)
    assert any("c99999 is not tracked" in r for r in reasons)
    assert any("not a step name" in r for r in reasons) and any("not YYYY-MM-DD" in r for r in reasons)
    assert any("issues_tagged '-1' is not a count" in r for r in reasons)
    assert warehouse.read("raw", "tracking_customers", ["email"])["email"].tolist().count("john@acme.com") == 1

    again = load_folder(warehouse, tmp_path / "tracking")
    assert {r.kind for r in again} == {"skipped"}
    assert warehouse.count("raw", "tracking_engagement") == 3


def test_the_onboarding_report_reconciles_with_the_hub_customers(warehouse: Warehouse, tmp_path: Path) -> None:
    seen = {"source_count": 1, "first_seen_at": "2025-01-01T00:00:00+00:00", "updated_at": "2025-01-01T00:00:00+00:00"}
    warehouse.upsert("analytics", "customers", [
        {"customer_id": "cust-acme", "name": "ACME Incorporated", "domain": "acme.com", **seen},
        {"customer_id": "cust-globex", "name": "Globex Corp.", "domain": "globex.com", **seen},
        {"customer_id": "cust-solo", "name": "Solo", "domain": "solo.dev", **seen}], key=["customer_id"])
    load_folder(warehouse, landing(tmp_path / "tracking"))
    report = onboarding_report(warehouse).set_index("customer_id")
    # email domain -> Acme; organisation name -> Globex (its email domain globex.io names no hub customer);
    # a gmail.com address names no company, and "Solo Labs" is not "Solo"
    assert report["hub_customer_id"].to_dict() == {"c12345": "cust-acme", "c12346": "cust-globex", "c12347": None}
    assert report.loc["c12345", ["steps_done", "steps_total", "next_step"]].tolist() == [2, 5, "first_issue_tagged"]
    assert report.loc["c12346", "steps_done"] == 1  # github_action_installed is false

    week = engagement_report(warehouse, 7, today=dt.date(2025, 1, 15)).set_index("customer_id")
    assert week.loc["c12345", ["issues_tagged", "prs_merged", "prs_rejected", "merge_rate_pct"]].tolist() == [7, 4, 1, 80]
    assert pd.isna(week.loc["c12347", "merge_rate_pct"]) and week.loc["c12347", "active_days"] == 0
    day = engagement_report(warehouse, 1, today=dt.date(2025, 1, 15)).set_index("customer_id")
    assert day.loc["c12345", "issues_tagged"] == 2


def test_hub_track_commands(warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HUB_WAREHOUSE_URL", warehouse.url)
    monkeypatch.setenv("HUB_HOME", str(tmp_path))

    def hub(*args: str) -> str:
        assert main(["track", *args]) == 0
        return capsys.readouterr().out

    assert hub("add-customer", "john@example.com", "Acme Inc", "acme-dev", "VIP", "SaaS", "15").strip() == "c10001"
    assert hub("add-customer", "ana@example.org", "Beta Co", "beta", "VIP", "Fintech", "4").strip() == "c10002"
    with pytest.raises(SystemExit, match="already tracked as customer c10001"):
        main(["track", "add-customer", "JOHN@example.com", "Acme", "x", "VIP", "SaaS", "1"])
    with pytest.raises(SystemExit, match="team_size 'many'"):
        main(["track", "add-customer", "new@example.com", "New", "x", "VIP", "SaaS", "many"])
    assert "done" in hub("update-onboarding", "c10001", "github_action_installed", "true")
    with pytest.raises(SystemExit, match="c404 is not tracked"):
        main(["track", "update-onboarding", "c404", "account_created", "true"])
    hub("record-engagement", "c10001", "3", "2", "1", "0", "1")
    hub("record-engagement", "c10001", "1", "1", "1", "1", "0")  # the same day: added up
    with pytest.raises(SystemExit, match="prs_merged 'x' is not a count"):
        main(["track", "record-engagement", "c10001", "1", "1", "x", "0", "0"])

    onboarding = hub("onboarding-report")
    assert "c10001" in onboarding and "account_created" in onboarding  # the first step not done
    assert onboarding_report(warehouse).set_index("customer_id").loc["c10001", "steps_done"] == 1
    week = engagement_report(warehouse, 7).set_index("customer_id")
    assert week.loc["c10001", ["issues_tagged", "prs_merged", "prs_rejected", "support_requests"]].tolist() == [4, 2, 1, 1]
    assert "c10002" in hub("engagement-report", "7")

    out = tmp_path / "export"
    hub("export-data", "--out", str(out))
    assert sorted(p.name for p in out.iterdir()) == [
        "engagement_report_30d.csv", "onboarding_report.csv", "raw.tracking_customers.csv",
        "raw.tracking_engagement.csv", "raw.tracking_onboarding.csv"]
    assert pd.read_csv(out / "raw.tracking_customers.csv")["customer_id"].tolist() == ["c10001", "c10002"]

    folder = landing(tmp_path / "landing" / "tracking")  # $HUB_HOME/landing/tracking
    assert "customers.csv: customers, 5 rows in = 3 loaded + 2 quarantined" in hub("load")
    assert "skipped" in hub("load", str(folder))


def test_new_tracking_files_start_the_ingest_run_which_loads_them(warehouse: Warehouse, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import dagster as dg

    from assets.tracking import tracking_files
    from resources.warehouse import WarehouseResource
    from sensors.tracking import tracking_file_sensor

    folder = landing(tmp_path / "tracking")
    monkeypatch.setenv("HUB_TRACKING_DIR", str(folder))
    first = tracking_file_sensor(dg.build_sensor_context(cursor=None))
    assert len(first.run_requests) == 1 and first.run_requests[0].tags["hub/new_files"] == "5"
    assert tracking_file_sensor(dg.build_sensor_context(cursor=first.cursor)).skip_reason is not None

    result = dg.materialize([tracking_files], resources={"warehouse": WarehouseResource(url=warehouse.url)})
    metadata = result.asset_materializations_for_node("raw__tracking__files")[0].metadata
    assert {k: metadata[k].value for k in ("files_loaded", "files_skipped", "files_unreadable", "rows_loaded",
                                           "rows_quarantined")} == {
        "files_loaded": 3, "files_skipped": 1, "files_unreadable": 1, "rows_loaded": 10, "rows_quarantined": 6}

    (folder / "engagement.csv").write_text(ENGAGEMENT + "c12345,2025-01-16,1,0,0,0,0\n", encoding="utf-8")
    grown = tracking_file_sensor(dg.build_sensor_context(cursor=first.cursor))
    assert len(grown.run_requests) == 1
