"""Airtable connector: complete listings, id-diff deletions, the incremental mode on a "Last
modified time" field, the 30-second lockout, expired offsets, faults and a SIGKILL mid-sync."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sync_support import fast_config, fresh_sqlite, kill_midway, run_sync

from hub.emulators import AirtableEmulator
from hub.raw import content_digest, duplicate_ids, load_payloads
from hub.warehouse import Warehouse

TABLE = "Beta Applications"
KEY = "airtable/applications"
LAST_MODIFIED = "Last Modified"


def applications(n: int, start: int = 0) -> list[dict]:
    """Records an hour apart, each linked to another record (linked records are ids)."""
    out = []
    for i in range(start, start + n):
        created = f"2026-0{1 + i // 700 % 9}-{1 + i // 24 % 28:02d}T{i % 24:02d}:00:00.000Z"
        out.append({"id": f"rec{i:014d}", "createdTime": created, "fields": {
            "Application ID": f"BETA-{100000 + i}", "Company": f"Company {i}", "Status": ["New", "Review"][i % 2],
            "Email": f"founder{i}@company{i}.example", "Related": [f"rec{(i + 1) % (start + n):014d}"]}})
    return out


def env_of(em: AirtableEmulator) -> dict[str, str]:
    return {"AIRTABLE_API_URL": em.url, "AIRTABLE_TOKEN": em.token, "AIRTABLE_BASE_ID": em.base_id}


def landed(warehouse: Warehouse) -> dict[str, dict]:
    return {p["id"]: p for p in load_payloads(warehouse, [KEY])[KEY]}


def reference_digest(records: list[dict], tmp_path: Path, **emulator: object) -> str:
    """What a fault-free full sync of ``records`` lands."""
    with AirtableEmulator({TABLE: records}, requests_per_second=None, **emulator) as em:
        warehouse = fresh_sqlite(tmp_path / "reference.db")
        run_sync("airtable", "applications", warehouse, env_of(em), fast_config())
        return content_digest(warehouse, KEY)


def test_full_listing_lands_the_table_and_marks_what_vanished(warehouse: Warehouse) -> None:
    with AirtableEmulator({TABLE: applications(250)}, requests_per_second=None) as em:
        first = run_sync("airtable", "applications", warehouse, env_of(em), fast_config())
        assert landed(warehouse) == {r["id"]: r for r in em.snapshot(TABLE)}  # payloads exactly as served
        assert landed(warehouse)["rec00000000000003"]["fields"]["Related"] == ["rec00000000000004"]
        assert (first.mode, first.stats.inserted, first.calls.requests) == ("full", 250, 4)  # schema + 3 pages

        em.delete(TABLE, "rec00000000000010")
        em.delete(TABLE, "rec00000000000011")
        em.upsert(TABLE, {"id": "rec00000000000020", "fields": {"Status": "Accepted"}})
        em.upsert(TABLE, {"id": "rec99999999999999", "fields": {"Company": "Newcomer", "Referral": "expo"}})
        second = run_sync("airtable", "applications", warehouse, env_of(em), fast_config())
    assert (second.stats.deleted, second.stats.updated, second.stats.inserted) == (2, 1, 1)
    assert second.new_fields == ["Referral"]  # a field the base gained is reported
    assert landed(warehouse) == {r["id"]: r for r in em.snapshot(TABLE)}
    assert warehouse.count("raw", "airtable_beta_applications") == 251  # deleted rows marked, not erased
    assert not duplicate_ids(warehouse, KEY)


def test_incremental_on_a_last_modified_field_reads_about_what_changed(warehouse: Warehouse) -> None:
    config = fast_config(airtable={"lookback_seconds": 60, "id_sweep_hours": 24})
    with AirtableEmulator({TABLE: applications(400)}, requests_per_second=None,
                          last_modified_field=LAST_MODIFIED) as em:
        first = run_sync("airtable", "applications", warehouse, env_of(em), config)
        assert first.mode == "full" and first.stats.inserted == 400
        for i in range(5):
            em.upsert(TABLE, {"id": f"rec{i * 50:014d}", "fields": {"Status": "Accepted"}})
        em.upsert(TABLE, {"id": "rec77777777777777", "fields": {"Company": "Late applicant"}})
        em.reset_requests()
        second = run_sync("airtable", "applications", warehouse, env_of(em), config)
        assert second.mode == "incremental"
        assert (second.stats.updated, second.stats.inserted) == (5, 1)
        assert second.stats.fetched <= 7  # the changes, and the lookback's overlap
        assert len(em.requests) == 2  # the schema and one filtered page, instead of 5 pages
        assert landed(warehouse) == {r["id"]: r for r in em.snapshot(TABLE)}

        em.delete(TABLE, "rec00000000000007")  # no change stamp survives a deletion: the sweep finds it
        sweeping = fast_config(airtable={"lookback_seconds": 60, "id_sweep_hours": 0})
        third = run_sync("airtable", "applications", warehouse, env_of(em), sweeping)
    assert third.mode == "incremental+sweep" and third.stats.deleted == 1
    assert landed(warehouse) == {r["id"]: r for r in em.snapshot(TABLE)}


def test_faults_leave_the_same_content_as_a_clean_sync(tmp_path: Path, warehouse: Warehouse) -> None:
    records = applications(1500)
    expected = reference_digest(records, tmp_path)
    with AirtableEmulator({TABLE: records}, requests_per_second=None, lockout_seconds=0.2) as em:
        # One fault at a time, counted over the table's page requests (retries included).
        page = f"/v0/{em.base_id}/Beta%20Applications"
        em.faults.add("status", status=429, match=page, after=1)  # and the base is locked for 0.2 s
        em.faults.add("status", status=503, match=page, after=3, times=2)
        em.faults.add("reset", match=page, after=7, times=2)
        em.faults.add("delay", seconds=1.5, match=page, after=11)  # past the 1 s read timeout
        em.faults.add("call", action=em.expire_offsets, match=page, after=13)  # 422: the listing restarts
        outcome = run_sync("airtable", "applications", warehouse, env_of(em), fast_config())
        assert em.faults.fired == 7
    assert content_digest(warehouse, KEY) == expected
    assert outcome.calls.retries >= 6 and outcome.stats.inserted == 1500 and outcome.stats.fetched > 1500
    assert not duplicate_ids(warehouse, KEY)


def test_pacing_keeps_under_the_limit_and_a_lockout_is_waited_out(warehouse: Warehouse, tmp_path: Path) -> None:
    records = applications(900)  # 9 pages + the schema: two seconds at 5 requests/s
    with AirtableEmulator({TABLE: records}, requests_per_second=5, lockout_seconds=0.5) as em:
        paced = run_sync("airtable", "applications", warehouse, env_of(em), fast_config(
            airtable={"requests_per_second": 5}))
        assert paced.calls.retries == 0 and paced.elapsed_seconds >= 1.0
        # Twice the documented rate: 429, a 0.5 s lockout waited out, the listing goes on.
        second = fresh_sqlite(tmp_path / "eager.db")
        eager = run_sync("airtable", "applications", second, env_of(em), fast_config(
            airtable={"requests_per_second": 10, "lockout_seconds": 0.5}))
    assert eager.calls.retries >= 1 and eager.stats.inserted == 900 and eager.stats.fetched == 900
    assert content_digest(second, KEY) == content_digest(warehouse, KEY)


def test_an_expired_offset_that_keeps_expiring_is_explained(tmp_path: Path) -> None:
    with AirtableEmulator({TABLE: applications(300)}, requests_per_second=None) as em:
        em.faults.add("call", action=em.expire_offsets, match="/Beta%20Applications", times=100)
        with pytest.raises(Exception, match="kept expiring the listing offset"):
            run_sync("airtable", "applications", fresh_sqlite(tmp_path / "w.db"), env_of(em), fast_config())


def test_a_sync_killed_midway_converges_when_run_again(tmp_path: Path, warehouse: Warehouse) -> None:
    records = applications(2000)
    expected = reference_digest(records, tmp_path)
    with AirtableEmulator({TABLE: records}, requests_per_second=None) as em:
        em.faults.add("delay", seconds=0.1, match="/Beta%20Applications", times=10_000)
        page_requests = lambda: em.requests.count("GET", "/Beta%20Applications")  # noqa: E731
        kill_midway("airtable", "applications", warehouse, env_of(em), {}, page_requests, kill_after=8)
        partial = warehouse.count("raw", "airtable_beta_applications")
        assert 0 < partial < 2000, partial
        em.faults.clear()
        run_sync("airtable", "applications", warehouse, env_of(em), fast_config())
    assert content_digest(warehouse, KEY) == expected
    assert json.loads(json.dumps(landed(warehouse)))  # payloads are plain JSON
