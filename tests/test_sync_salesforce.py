"""Salesforce connector: SystemModstamp windows with ties, queryAll deletions and hard-delete
sweeps, Bulk API 2.0 first loads, three ways to log in and re-login mid-sync, the daily
allocation (REQUEST_LIMIT_EXCEEDED and the Sforce-Limit-Info guard), faults, a SIGKILL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sync_support import fast_config, fresh_sqlite, kill_midway, run_sync

from hub.emulators import SalesforceEmulator
from hub.raw import SourceError, SourceStopped, content_digest, duplicate_ids, load_payloads
from hub.warehouse import Warehouse

KEY = "salesforce/Account"
PASSWORD = {"username": "demo@credlink.example", "password": "demo-password", "security_token": "demotoken"}
CLIENT = {"client_id": "demo-client", "client_secret": "demo-secret"}


def accounts(n: int, *, same_stamp: bool = False) -> list[dict]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        stamp = start if same_stamp else start + timedelta(hours=i // 2)  # pairs share a stamp
        text = stamp.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
        record_id = f"001{i:012d}AAA"
        out.append({"attributes": {"type": "Account", "url": f"/services/data/v59.0/sobjects/Account/{record_id}"},
                    "Id": record_id, "Name": f"Account {i}", "Website": f"account{i}.example",
                    "Industry": "Banking" if i % 3 else None, "AnnualRevenue": float(i * 1000),
                    "NumberOfEmployees": 10 + i, "IsPartner": i % 2 == 0, "CreatedDate": text,
                    "LastModifiedDate": text, "SystemModstamp": text, "IsDeleted": False})
    return out


def env_of(em: SalesforceEmulator) -> dict[str, str]:
    return {"SALESFORCE_INSTANCE_URL": em.url, "SALESFORCE_ACCESS_TOKEN": em.access_token,
            "SALESFORCE_CA_BUNDLE": em.ca_bundle}


def assert_matches_source(warehouse: Warehouse, em: SalesforceEmulator) -> None:
    """Raw holds exactly the live records, every value as stored (unset fields read as null)."""
    def values(record: dict) -> dict:
        return {k: v for k, v in record.items() if v is not None}
    live = {p["Id"]: values(p) for p in load_payloads(warehouse, [KEY])[KEY]}
    assert live == {i: values(r) for i, r in em.snapshot("Account").items()}


def test_first_load_then_increments_read_about_what_changed(warehouse: Warehouse) -> None:
    config = fast_config()
    with SalesforceEmulator({"Account": accounts(700)}, daily_api_limit=None) as em:
        first = run_sync("salesforce", "Account", warehouse, env_of(em), config)
        assert (first.mode, first.stats.inserted, first.source_total) == ("full", 700, 700)
        assert first.calls.requests == 6 == len(em.requests)  # describe, count, 4 pages of 200
        assert_matches_source(warehouse, em)

        for i in (5, 300, 650):
            em.upsert("Account", {"Id": f"001{i:012d}AAA", "Industry": "Insurance"})
        em.upsert("Account", {"Name": "Newco", "Website": "newco.example"})
        em.upsert("Account", {"Name": "Otherco"})
        em.delete("Account", "001000000000007AAA")  # soft: queryAll shows IsDeleted
        em.reset_requests()
        second = run_sync("salesforce", "Account", warehouse, env_of(em), config)
        assert second.mode == "incremental"
        assert (second.stats.updated, second.stats.inserted, second.stats.deleted) == (3, 2, 1)
        assert second.stats.fetched <= 8  # the 5 changes, the lookback's overlap; the deletion as a mark
        assert len(em.requests) == 2  # one queryAll page and the count: no describe, no 4 pages
        assert_matches_source(warehouse, em)

        em.purge("Account", "001000000000008AAA")  # hard delete: only a sweep notices
        third = run_sync("salesforce", "Account", warehouse, env_of(em), config)
    assert third.mode == "incremental+sweep" and third.stats.deleted == 1
    assert third.live_rows == third.source_total == 700
    assert_matches_source(warehouse, em)


def test_records_sharing_the_cursor_stamp_are_not_lost(tmp_path: Path) -> None:
    warehouse = fresh_sqlite(tmp_path / "w.db")
    with SalesforceEmulator({"Account": accounts(450, same_stamp=True)}, daily_api_limit=None) as em:
        first = run_sync("salesforce", "Account", warehouse, env_of(em), fast_config())
        assert first.stats.inserted == 450  # one stamp across three pages
        tie = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=5)
        em.freeze_clock(tie)
        for i in range(5):
            em.upsert("Account", {"Id": f"001{i:012d}AAA", "Name": f"Renamed {i}"})
        assert run_sync("salesforce", "Account", warehouse, env_of(em), fast_config()).stats.updated == 5
        for i in range(5, 8):  # same stamp as the cursor now holds: a `>` query would skip them
            em.upsert("Account", {"Id": f"001{i:012d}AAA", "Name": f"Renamed {i}"})
        em.freeze_clock(None)
        outcome = run_sync("salesforce", "Account", warehouse, env_of(em), fast_config())
    assert outcome.stats.updated == 3 and outcome.stats.unchanged == 5
    assert_matches_source(warehouse, em)


def test_a_large_first_load_goes_through_bulk_and_lands_the_same(tmp_path: Path) -> None:
    with SalesforceEmulator({"Account": accounts(700)}, daily_api_limit=None) as em:
        rest = fresh_sqlite(tmp_path / "rest.db")
        run_sync("salesforce", "Account", rest, env_of(em), fast_config())
        bulk = fresh_sqlite(tmp_path / "bulk.db")
        em.reset_requests()
        loaded = run_sync("salesforce", "Account", bulk, env_of(em), fast_config(salesforce={"bulk_threshold": 500}))
        assert loaded.mode == "bulk" and loaded.stats.inserted == 700
        assert em.requests.count("GET", "/jobs/query/") >= 3  # polls and three CSV pages of 300
        # CSV cells come back typed as the REST query gives them: the same payloads, the same hashes.
        assert content_digest(bulk, KEY) == content_digest(rest, KEY)
        em.upsert("Account", {"Id": "001000000000001AAA", "Name": "After the load"})
        later = run_sync("salesforce", "Account", bulk, env_of(em), fast_config(salesforce={"bulk_threshold": 500}))
    assert later.mode == "incremental" and later.stats.updated == 1


@pytest.mark.parametrize("auth", [PASSWORD, CLIENT, {"access_token": "00Ddemo!token", **PASSWORD}],
                         ids=["password", "client-credentials", "token-then-password"])
def test_every_auth_mode_logs_in_again_when_the_session_expires_midway(tmp_path: Path, auth: dict) -> None:
    with SalesforceEmulator({"Account": accounts(700)}, daily_api_limit=None) as em:
        reference = fresh_sqlite(tmp_path / "reference.db")
        run_sync("salesforce", "Account", reference, env_of(em), fast_config())
        em.faults.add("call", action=em.expire_tokens, match="/query/", after=2)
        warehouse = fresh_sqlite(tmp_path / "w.db")
        outcome = run_sync("salesforce", "Account", warehouse, env_of(em), fast_config(), auth=auth)
    assert outcome.calls.retries == 1 and outcome.stats.inserted == 700
    assert content_digest(warehouse, KEY) == content_digest(reference, KEY)


def test_an_expired_access_token_without_credentials_says_what_to_do(tmp_path: Path) -> None:
    with SalesforceEmulator({"Account": accounts(700)}, daily_api_limit=None) as em:
        em.faults.add("call", action=em.expire_tokens, match="/query/", after=2)
        warehouse = fresh_sqlite(tmp_path / "w.db")
        with pytest.raises(SourceError, match="refresh SALESFORCE_ACCESS_TOKEN"):
            run_sync("salesforce", "Account", warehouse, env_of(em), fast_config())
    assert warehouse.count("raw", "salesforce_accounts") == 200  # the page before it is kept


def test_the_daily_allocation_stops_a_sync_cleanly_and_it_resumes(tmp_path: Path) -> None:
    with SalesforceEmulator({"Account": accounts(1000)}, daily_api_limit=None) as em:
        warehouse = fresh_sqlite(tmp_path / "w.db")
        # Another integration spent the allocation: Salesforce answers 403 REQUEST_LIMIT_EXCEEDED.
        em.faults.add("status", status=403, match="/query/", after=3)
        with pytest.raises(SourceStopped, match="REQUEST_LIMIT_EXCEEDED.*resumes"):
            run_sync("salesforce", "Account", warehouse, env_of(em), fast_config())
        assert warehouse.count("raw", "salesforce_accounts") == 400  # the count, two pages, then refused
        em.faults.clear()
        # Sforce-Limit-Info: api-usage=…/10 and this hub may use half: it stops on its own at 5.
        em.daily_api_limit = 10
        with pytest.raises(SourceStopped, match="max_daily_share"):
            run_sync("salesforce", "Account", warehouse, env_of(em), fast_config(salesforce={"max_daily_share": 0.5}))
        assert em.api_usage == 5
        em.daily_api_limit = None
        resumed = run_sync("salesforce", "Account", warehouse, env_of(em), fast_config())
        reference = fresh_sqlite(tmp_path / "reference.db")
        run_sync("salesforce", "Account", reference, env_of(em), fast_config())
    assert resumed.mode.startswith("incremental")
    assert content_digest(warehouse, KEY) == content_digest(reference, KEY)


def test_faults_leave_the_same_content_as_a_clean_sync(tmp_path: Path, warehouse: Warehouse) -> None:
    with SalesforceEmulator({"Account": accounts(1200)}, daily_api_limit=None) as em:
        reference = fresh_sqlite(tmp_path / "reference.db")
        run_sync("salesforce", "Account", reference, env_of(em), fast_config())
        em.faults.add("status", status=503, match="/query", times=2)
        em.faults.add("reset", match="/query", after=3)
        em.faults.add("status", status=500, match="/query", after=5)
        em.faults.add("delay", seconds=1.5, match="/query", after=7)  # past the 1 s read timeout
        em.faults.add("call", action=em.expire_tokens, match="/query", after=9)
        outcome = run_sync("salesforce", "Account", warehouse, env_of(em), fast_config(), auth=PASSWORD)
        assert em.faults.fired == 6
    assert outcome.calls.retries == 6 and outcome.stats.inserted == 1200
    assert content_digest(warehouse, KEY) == content_digest(reference, KEY)
    assert not duplicate_ids(warehouse, KEY)


def test_a_sync_killed_midway_converges_when_run_again(tmp_path: Path, warehouse: Warehouse) -> None:
    with SalesforceEmulator({"Account": accounts(4000)}, daily_api_limit=None) as em:
        reference = fresh_sqlite(tmp_path / "reference.db")
        run_sync("salesforce", "Account", reference, env_of(em), fast_config())
        em.reset_requests()
        em.faults.add("delay", seconds=0.1, match="/query", times=10_000)
        pages = lambda: em.requests.count("GET", "/query")  # noqa: E731
        kill_midway("salesforce", "Account", warehouse, env_of(em), {}, pages, kill_after=9)
        partial = warehouse.count("raw", "salesforce_accounts")
        assert 0 < partial < 4000, partial
        em.faults.clear()
        resumed = run_sync("salesforce", "Account", warehouse, env_of(em), fast_config())
    assert resumed.mode.startswith("incremental")  # went on from the committed SystemModstamp
    assert resumed.stats.inserted == 4000 - partial
    assert content_digest(warehouse, KEY) == content_digest(reference, KEY)


def test_records_without_a_stamp_are_quarantined_and_new_fields_reported(tmp_path: Path) -> None:
    records = accounts(50)
    records[3]["SystemModstamp"] = None
    warehouse = fresh_sqlite(tmp_path / "w.db")
    with SalesforceEmulator({"Account": records}, daily_api_limit=None) as em:
        first = run_sync("salesforce", "Account", warehouse, env_of(em), fast_config())
        assert first.stats.quarantine_reasons == {"record has no SystemModstamp": 1}
        em.upsert("Account", {"Id": "001000000000010AAA", "Tier__c": "Gold"})
        second = run_sync("salesforce", "Account", warehouse, env_of(em), fast_config(
            salesforce={"describe_hours": 0}))
        # The record that cannot land is accounted for once (a sweep finds it), not swept for each run.
        third = run_sync("salesforce", "Account", warehouse, env_of(em), fast_config())
    assert second.new_fields == ["Tier__c"] and second.mode == "incremental+sweep"
    assert third.mode == "incremental" and third.counts_agree and third.unlandable == 1
    tiers = {p["Id"]: p.get("Tier__c") for p in load_payloads(warehouse, [KEY])[KEY]}
    assert tiers["001000000000010AAA"] == "Gold"
    quarantine = warehouse.read("raw", "quarantine")
    assert set(quarantine["record_key"]) == {"001000000000003AAA"}  # each version it was read in
