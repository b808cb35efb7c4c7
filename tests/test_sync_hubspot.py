"""HubSpot connector: a first listing, then search windows that read about what changed;
archived and GDPR deletions; the 10,000-result cap and shared stamps; property lists too long
for a URL; faults; a SIGKILL mid-sync."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sync_support import fast_config, fresh_sqlite, kill_midway, run_sync

from hub.config import load_config
from hub.emulators import HubSpotEmulator
from hub.raw import (
    RAW_OBJECTS,
    RawSync,
    SourceStopped,
    content_digest,
    duplicate_ids,
    hubspot_company_id,
    load_payloads,
)
from hub.warehouse import Warehouse

BASE_MS = 1_767_225_600_000  # 2026-01-01
LONG = [f"custom_property_with_a_rather_long_name_{i:03d}" for i in range(400)]


def companies(n: int) -> list[dict]:
    return [{"id": str(1000 + i), "properties": {
        "name": f"Company {i}", "domain": f"company{i}.example", "hs_lastmodifieddate": str(BASE_MS + i * 60_000)},
        "createdAt": "2025-06-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z", "archived": False}
        for i in range(n)]


def contacts(n: int, extra: list[str] | None = None) -> list[dict]:
    out = []
    for i in range(n):
        props = {"email": f"p{i}@company{i}.example", "firstname": f"P{i}",
                 "lastmodifieddate": str(BASE_MS + i * 60_000)}
        props.update({name: f"value {i}" for name in (extra or [])[i % 7::50]})
        out.append({"id": str(50_000 + i), "properties": props, "createdAt": "2025-06-01T00:00:00.000Z",
                    "updatedAt": "2026-01-01T00:00:00.000Z", "archived": False})
    return out


def emulator(n_contacts: int = 250, *, extra: list[str] | None = None, **options: object) -> HubSpotEmulator:
    links = [(str(50_000 + i), str(1000 + i % 120)) for i in range(n_contacts)]
    return HubSpotEmulator({"companies": companies(120), "contacts": contacts(n_contacts, extra)},
                           {("contacts", "companies"): links}, requests_per_10s=None, search_per_second=None,
                           **options)


def env_of(em: HubSpotEmulator) -> dict[str, str]:
    return {"HUBSPOT_API_URL": em.url, "HUBSPOT_TOKEN": em.token}


def assert_matches_source(warehouse: Warehouse, em: HubSpotEmulator, properties: list[str]) -> None:
    """Raw holds exactly HubSpot's live contacts, with the requested properties' values."""
    live = {p["id"]: p for p in load_payloads(warehouse, ["hubspot/contacts"])["hubspot/contacts"]}
    source = em.snapshot("contacts")
    assert set(live) == set(source)
    for object_id, stored in source.items():
        for name in properties:
            if name in stored["properties"]:
                assert live[object_id]["properties"][name] == stored["properties"][name], (object_id, name)


def test_first_listing_then_searches_read_about_what_changed(warehouse: Warehouse) -> None:
    config = fast_config()
    properties = config["hubspot"]["properties"]["contacts"]
    with emulator() as em:
        first = run_sync("hubspot", "contacts", warehouse, env_of(em), config)
        assert (first.mode, first.stats.inserted, first.source_total) == ("full", 250, 250)
        assert first.calls.requests == 4 == len(em.requests)  # 3 pages + the total
        assert_matches_source(warehouse, em, properties)
        payloads = load_payloads(warehouse, ["hubspot/contacts"])["hubspot/contacts"]
        assert {hubspot_company_id(p) for p in payloads if p["id"] == "50121"} == {"1001"}

        for i in (3, 77, 200):
            em.upsert("contacts", {"id": str(50_000 + i), "properties": {"jobtitle": "CTO"}})
        em.upsert("contacts", {"id": "60001", "properties": {"email": "new@company5.example"}})
        em.associate("contacts", "60001", "companies", "1005")
        em.upsert("contacts", {"id": "60002", "properties": {"email": "solo@example.org"}})
        em.reset_requests()
        second = run_sync("hubspot", "contacts", warehouse, env_of(em), config)
        assert second.mode == "incremental"
        assert (second.stats.updated, second.stats.inserted, second.stats.fetched) == (3, 2, 5)
        assert len(em.requests) == 3  # one search, one association read, the total: not 3 pages
        assert_matches_source(warehouse, em, properties)
        new = next(p for p in load_payloads(warehouse, ["hubspot/contacts"])["hubspot/contacts"] if p["id"] == "60001")
        assert hubspot_company_id(new) == "1005"

        em.delete("contacts", "50010")  # archived: listed with archived=true
        em.purge("contacts", "50011")  # GDPR: gone without a trace but from an id sweep
        third = run_sync("hubspot", "contacts", warehouse, env_of(em), config)
    assert third.mode == "incremental+archived+sweep" and third.stats.deleted == 2
    assert third.live_rows == third.source_total == 250
    assert_matches_source(warehouse, em, properties)
    assert not duplicate_ids(warehouse, "hubspot/contacts")


@pytest.mark.parametrize("extra", [[], LONG], ids=["configured-properties", "400-more-properties"])
def test_search_lands_the_same_payloads_as_listing(tmp_path: Path, extra: list[str]) -> None:
    base = load_config()["hubspot"]["properties"]["contacts"]
    config = fast_config(hubspot={"properties": {"contacts": base + extra}})
    with emulator(extra=extra) as em:  # its URLs stop at 8,192 characters, as a 414 would
        listed = fresh_sqlite(tmp_path / "listed.db")
        first = run_sync("hubspot", "contacts", listed, env_of(em), config)
        assert first.calls.requests == (7 if extra else 4)  # long lists: each page + one batch read
        searched = fresh_sqlite(tmp_path / "searched.db")
        RawSync(searched, RAW_OBJECTS["hubspot/contacts"], config).add_page(
            [], cursor='{"phase":"search","since":0}')
        assert run_sync("hubspot", "contacts", searched, env_of(em), config).mode.startswith("incremental")
    assert content_digest(searched, "hubspot/contacts") == content_digest(listed, "hubspot/contacts")
    if extra:
        payloads = load_payloads(listed, ["hubspot/contacts"])["hubspot/contacts"]
        assert sum(name in p["properties"] for p in payloads for name in extra) >= 250


def test_more_changes_than_the_search_cap_including_a_shared_stamp(warehouse: Warehouse) -> None:
    config = fast_config(hubspot={"search_page_size": 50})
    with emulator(search_cap=100) as em:  # paging past 100 results answers 400, as past 10,000
        run_sync("hubspot", "contacts", warehouse, env_of(em), config)
        em.freeze_clock(datetime.now(UTC))  # 130 objects modified in the same millisecond
        for i in range(130):
            em.upsert("contacts", {"id": str(50_000 + i), "properties": {"jobtitle": "Engineer"}})
        em.freeze_clock(None)
        for i in range(130, 230):
            em.upsert("contacts", {"id": str(50_000 + i), "properties": {"jobtitle": "Founder"}})
        outcome = run_sync("hubspot", "contacts", warehouse, env_of(em), config)
    assert outcome.stats.updated == 230
    titles = {p["id"]: p["properties"].get("jobtitle") for p in load_payloads(warehouse, ["hubspot/contacts"])[
        "hubspot/contacts"]}
    assert sum(t == "Engineer" for t in titles.values()) == 130 and sum(t == "Founder" for t in titles.values()) == 100


def test_faults_leave_the_same_content_as_a_clean_sync(tmp_path: Path, warehouse: Warehouse) -> None:
    config = fast_config()
    with emulator(600) as em:
        listing = "/crm/v3/objects/contacts"
        em.faults.add("status", status=429, match=listing, method="GET", after=1, times=2)
        em.faults.add("status", status=503, match=listing, method="GET", after=4)
        em.faults.add("reset", match=listing, method="GET", after=6, times=2)
        em.faults.add("delay", seconds=1.5, match=listing, method="GET", after=9)  # past the 1 s timeout
        first = run_sync("hubspot", "contacts", warehouse, env_of(em), config)
        assert em.faults.fired == 6 and first.calls.retries == 6
        clean = fresh_sqlite(tmp_path / "clean.db")
        run_sync("hubspot", "contacts", clean, env_of(em), config)
        assert content_digest(warehouse, "hubspot/contacts") == content_digest(clean, "hubspot/contacts")

        for i in range(0, 600, 3):
            em.upsert("contacts", {"id": str(50_000 + i), "properties": {"jobtitle": "Buyer"}})
        em.faults.clear()
        em.faults.add("status", status=429, match="/search", times=2)
        em.faults.add("reset", match="/associations/", after=1)
        em.faults.add("status", status=502, match="/search", after=3)
        second = run_sync("hubspot", "contacts", warehouse, env_of(em), config)
        assert em.faults.fired == 4 and second.stats.updated == 200
        fresh = fresh_sqlite(tmp_path / "fresh.db")  # the final state, listed in full without faults
        em.faults.clear()
        run_sync("hubspot", "contacts", fresh, env_of(em), config)
    assert content_digest(warehouse, "hubspot/contacts") == content_digest(fresh, "hubspot/contacts")
    assert not duplicate_ids(warehouse, "hubspot/contacts")


def test_a_sync_killed_midway_converges_when_run_again(tmp_path: Path, warehouse: Warehouse) -> None:
    with emulator(2000) as em:
        clean = fresh_sqlite(tmp_path / "clean.db")
        run_sync("hubspot", "contacts", clean, env_of(em), fast_config())
        em.reset_requests()
        em.faults.add("delay", seconds=0.1, match="/crm/v3/objects/contacts", times=10_000)
        listing = lambda: em.requests.count("GET", "/crm/v3/objects/contacts")  # noqa: E731
        kill_midway("hubspot", "contacts", warehouse, env_of(em), {}, listing, kill_after=8)
        partial = warehouse.count("raw", "hubspot_contacts")
        assert 0 < partial < 2000, partial
        em.faults.clear()
        em.reset_requests()
        resumed = run_sync("hubspot", "contacts", warehouse, env_of(em), fast_config())
        # It went on from the committed page, not from the first id, then checked every id.
        assert em.requests.count("GET", "/crm/v3/objects/contacts") < 20 + 20
        assert resumed.stats.inserted == 2000 - partial
    assert content_digest(warehouse, "hubspot/contacts") == content_digest(clean, "hubspot/contacts")


def test_the_daily_allocation_stops_a_sync_cleanly(tmp_path: Path) -> None:
    with emulator(600, daily_limit=3) as em:
        warehouse = fresh_sqlite(tmp_path / "w.db")
        with pytest.raises(SourceStopped, match="daily API allocation"):
            run_sync("hubspot", "contacts", warehouse, env_of(em), fast_config())
        assert warehouse.count("raw", "hubspot_contacts") == 300  # three pages committed, kept
        em.daily_limit = 1_000
        assert run_sync("hubspot", "contacts", warehouse, env_of(em), fast_config()).live_rows == 600


@pytest.mark.postgres
def test_raw_payloads_are_json_documents_bi_can_query_on_postgres() -> None:
    """The payload column holds the document itself, not a JSON string of it (it did: BI's
    ``payload->'properties'->>'name'`` found nothing), and staging reads the same records back."""
    import sqlalchemy as sa
    from conftest import fresh_postgres

    warehouse = fresh_postgres()
    with emulator(30) as em:
        run_sync("hubspot", "contacts", warehouse, env_of(em), fast_config())
    with warehouse.engine.connect() as conn:
        kinds = dict(conn.execute(sa.text(
            "SELECT jsonb_typeof(payload), count(*) FROM raw.hubspot_contacts GROUP BY 1")).all())
        emails = set(conn.execute(sa.text(
            "SELECT payload->'properties'->>'email' FROM raw.hubspot_contacts")).scalars())
    assert kinds == {"object": 30}
    assert emails == {f"p{i}@company{i}.example" for i in range(30)}
    assert {r["properties"]["email"] for r in load_payloads(warehouse, ["hubspot/contacts"])["hubspot/contacts"]} == emails
