"""Property-based: any payload the three APIs could send goes through the real pipeline.

Records are generated from the documented wire formats (reference/saas-apis.md): Airtable omits
empty fields, HubSpot sends every property as a string or ``null``, Salesforce sends every field
with ``null`` for unset ones — and any of them may carry odd unicode (NUL, lone surrogates, emoji,
right-to-left text), numbers written as text, huge numbers, lists and objects where a scalar was
expected. They are landed through the real raw sync, then every step from staging to alerts runs
on the warehouse. Invariant: nothing raises; every live source record is in staging or in the
quarantine with a reason; no table loses rows it had.

``HUB_HYPOTHESIS_EXAMPLES`` raises the example count (CI keeps it small).
"""

from __future__ import annotations

import itertools
import os
import string
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from hub.config import load_config
from hub.pipeline.alerting import evaluate_alerts
from hub.pipeline.health import build_health
from hub.pipeline.kpis import build_kpis
from hub.pipeline.unified import (
    build_applications,
    build_contacts,
    build_customers,
    build_deals,
    build_staging,
    reconcile_customers,
)
from hub.pipeline.usage import build_usage_daily
from hub.raw import RAW_OBJECTS, RawSync
from hub.warehouse import Warehouse

EXAMPLES = int(os.environ.get("HUB_HYPOTHESIS_EXAMPLES", "8"))
CONFIG = load_config()
TODAY = pd.Timestamp.now(tz="UTC").normalize()

odd_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", " ", "\x00", "Acme\x00 Corp", "\ud800", "x\udfffy", "😀 Emoji Ltd", "شركة الأمل",
                     "חברה בע\"מ", "ACME", "acme.com", "https://www.acme.co.uk/path", "a" * 5000, "null", "NaN"]),
)
number_text = st.sampled_from(["1,200", "12%", " 42 ", "1.2e3", "$3.50", "-0", "1e309", "9" * 400, "abc", ""])
odd_number = st.one_of(st.integers(min_value=-(10**400), max_value=10**400), st.floats(allow_nan=True,
                                                                                      allow_infinity=True))
scalar = st.one_of(st.none(), odd_text, number_text, odd_number, st.booleans())
anything = st.one_of(scalar, st.lists(scalar, max_size=3), st.dictionaries(st.text(max_size=5), scalar, max_size=2))
date_text = st.one_of(st.sampled_from(["2024-01-15", "2024-01-15T10:30:00Z", "2024-05-07T22:07:19.000+0000",
                                       "1704067200000", "15/01/2024", "not a date", ""]),
                      st.dates().map(str), anything)
_ids = itertools.count()


def _id(prefix: str) -> str:
    return f"{prefix}{next(_ids):06d}"


def _airtable(table: str) -> st.SearchStrategy[dict[str, Any]]:
    names = list(CONFIG["airtable"]["fields"][table].values())
    fields = st.fixed_dictionaries({}, optional={n: st.one_of(anything, date_text) for n in names})
    return st.builds(lambda f: {"id": _id("rec"), "createdTime": "2026-01-02T03:04:05.000Z", "fields": f}, fields)


def _hubspot(obj: str, *, associated: bool) -> st.SearchStrategy[dict[str, Any]]:
    names = CONFIG["hubspot"]["properties"][obj]
    # Properties asked for come back as strings or null; a broken proxy may send anything.
    props = st.fixed_dictionaries({}, optional={n: st.one_of(st.none(), odd_text, number_text, date_text, anything)
                                               for n in names})
    assoc = st.one_of(st.none(), st.just({"companies": {"results": [{"id": "1", "type": "x"}]}}),
                      st.just({"companies": {"results": []}}), st.just({"companies": None}))

    def build(p: dict[str, Any], a: Any) -> dict[str, Any]:
        record = {"id": _id("9"), "properties": p, "createdAt": "2026-01-02T03:04:05.000Z",
                  "updatedAt": "2026-01-02T03:04:05.000Z", "archived": False}
        if associated and a is not None:
            record["associations"] = a
        return record
    return st.builds(build, props, assoc)


SALESFORCE_FIELDS = {
    "Account": ["Name", "Website", "BillingCity", "BillingCountry", "Industry", "OwnerId", "Phone",
                "AnnualRevenue", "Type", "Application_ID__c", "CreatedDate"],
    "Contact": ["AccountId", "FirstName", "LastName", "Email", "Title", "Phone"],
    "Opportunity": ["AccountId", "Name", "StageName", "Amount", "Probability", "CloseDate", "IsClosed", "IsWon",
                    "OwnerId", "CreatedDate"],
    "Case": ["AccountId", "Subject", "Priority", "Status", "IsClosed", "ClosedDate", "CreatedDate"],
}


def _salesforce(obj: str) -> st.SearchStrategy[dict[str, Any]]:
    # Every selected field is present; unset ones are null.
    values = st.fixed_dictionaries({n: st.one_of(st.none(), anything, date_text) for n in SALESFORCE_FIELDS[obj]})
    return st.builds(lambda v: {"attributes": {"type": obj}, "Id": _id("001Hs0000"),
                                "SystemModstamp": "2026-01-02T03:04:05.000+0000", **v}, values)


SOURCES = {
    "airtable/applications": _airtable("applications"),
    "airtable/interactions": _airtable("interactions"),
    "airtable/usage": _airtable("usage"),
    "airtable/surveys": _airtable("surveys"),
    "hubspot/companies": _hubspot("companies", associated=False),
    "hubspot/contacts": _hubspot("contacts", associated=True),
    "hubspot/deals": _hubspot("deals", associated=True),
    "hubspot/tickets": _hubspot("tickets", associated=True),
    "salesforce/Account": _salesforce("Account"),
    "salesforce/Contact": _salesforce("Contact"),
    "salesforce/Opportunity": _salesforce("Opportunity"),
    "salesforce/Case": _salesforce("Case"),
}
# Where a live record of each object must show up when it is not quarantined.
STAGED_IN = {"airtable/applications": "companies", "airtable/interactions": "activities",
             "airtable/usage": "usage_reports", "airtable/surveys": "surveys", "hubspot/companies": "companies",
             "hubspot/contacts": "people", "hubspot/deals": "deals", "hubspot/tickets": "activities",
             "salesforce/Account": "companies", "salesforce/Contact": "people",
             "salesforce/Opportunity": "deals", "salesforce/Case": "activities"}
batches = st.fixed_dictionaries({key: st.lists(strategy, max_size=4) for key, strategy in SOURCES.items()})
TABLES = [("analytics", t) for t in ("customers", "customer_sources", "contacts", "deals", "applications",
                                      "customer_health_history", "alerts")]


def _run_pipeline(warehouse: Warehouse) -> None:
    build_staging(warehouse, CONFIG)
    reconcile_customers(warehouse, CONFIG)
    build_contacts(warehouse, CONFIG)
    build_deals(warehouse, CONFIG)
    build_applications(warehouse, CONFIG)
    build_usage_daily(warehouse)
    build_health(warehouse, CONFIG, TODAY)
    build_customers(warehouse, CONFIG)
    build_kpis(warehouse, CONFIG, TODAY)
    evaluate_alerts(warehouse, CONFIG, [])


def _accounted(warehouse: Warehouse, key: str) -> tuple[set[str], set[str]]:
    """(live source ids of an object, those neither staged nor quarantined)."""
    obj = RAW_OBJECTS[key]
    live = set(warehouse.read("raw", obj.table, ["source_id", "_deleted"])
               .query("not _deleted")["source_id"].astype(str))
    staged = warehouse.read("staging", STAGED_IN[key], ["record_id"])["record_id"]
    prefix = f"{obj.source}:{obj.source_object}:"
    staged_ids = {r[len(prefix):] for r in staged if r.startswith(prefix)}
    quarantine = warehouse.read("raw", "quarantine", ["source", "source_object", "record_key", "reason"])
    mine = quarantine[(quarantine["source"] == obj.source) & (quarantine["source_object"] == obj.source_object)]
    assert mine["reason"].str.len().gt(0).all(), "every quarantined record carries its reason"
    return live, live - staged_ids - set(mine["record_key"].astype(str))


def _check_batch(warehouse: Warehouse, batch: dict[str, list[dict[str, Any]]]) -> None:
    before = {t: warehouse.count(*t) for t in TABLES}
    raw_before = {k: warehouse.count("raw", RAW_OBJECTS[k].table) for k in SOURCES}
    for key, records in batch.items():
        sync = RawSync(warehouse, RAW_OBJECTS[key], CONFIG, full_refresh=False)
        sync.add_page(records)
        sync.finish(full_listing=False)
    _run_pipeline(warehouse)
    for key in SOURCES:
        live, lost = _accounted(warehouse, key)
        assert not lost, f"{key}: {sorted(lost)[:5]} are neither in staging nor quarantined"
        assert warehouse.count("raw", RAW_OBJECTS[key].table) >= raw_before[key]
    # Records only accumulate here, so no table may shrink (alerts and history never lose rows).
    for table in [("analytics", "customer_health_history"), ("analytics", "alerts")]:
        assert warehouse.count(*table) >= before[table], table


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_any_payload_the_apis_could_send_runs_through(backend: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    from tests.conftest import fresh_postgres, fresh_sqlite

    warehouse = fresh_sqlite(tmp_path_factory.mktemp("messy")) if backend == "sqlite" else fresh_postgres()

    # No shrinking by default: a failure prints its (unshrunk) example at once instead of minutes later.
    phases = list(Phase) if os.environ.get("HUB_HYPOTHESIS_SHRINK") else [Phase.explicit, Phase.generate]

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True, phases=phases,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(batch=batches)
    def run(batch: dict[str, list[dict[str, Any]]]) -> None:
        _check_batch(warehouse, batch)

    try:
        run()
    finally:
        warehouse.engine.dispose()


def test_a_single_blank_airtable_application_is_scored_not_fatal(warehouse: Warehouse) -> None:
    """The reported failure: an application without "Use Case" (omitted, as Airtable does) used to
    raise AttributeError in the lead score and stop health, KPIs and alerts."""
    names = CONFIG["airtable"]["fields"]["applications"]
    records = [
        {"id": "recBLANK0000000001", "createdTime": "2026-01-02T03:04:05.000Z",
         "fields": {names["application_id"]: "BETA-000001", names["company"]: "Blank Use Case Ltd"}},
        {"id": "recBLANK0000000002", "createdTime": "2026-01-02T03:04:05.000Z",
         "fields": {names["application_id"]: "BETA-000002", names["company"]: "Nul\x00 Byte GmbH",
                    names["use_case"]: 12345, names["industry"]: ["News", "Research"]}},
    ]
    sync = RawSync(warehouse, RAW_OBJECTS["airtable/applications"], CONFIG)
    sync.add_page(records)
    sync.finish()
    _run_pipeline(warehouse)
    apps = warehouse.read("analytics", "applications").set_index("application_id")
    assert apps.loc["BETA-000001", "lead_score"] == 0
    assert apps.loc["BETA-000002", "company"] == "Nul Byte GmbH"
    # The raw payload keeps a faithful, escaped copy of what Airtable sent.
    payload = warehouse.read("raw", "airtable_beta_applications", ["source_id", "payload"]).set_index("source_id")
    assert "\\\\u0000" in str(payload.loc["recBLANK0000000002", "payload"]).replace("\\u0000", "\\\\u0000")


@pytest.mark.parametrize("name", ["Acme\x00 Corp", "x\ud800y", "😀 שלום مرحبا"])
def test_unstorable_text_lands_from_every_source(warehouse: Warehouse, name: str) -> None:
    """A NUL byte or lone surrogate in a company name failed the raw HubSpot, Airtable and Salesforce
    syncs on PostgreSQL."""
    names = CONFIG["airtable"]["fields"]["applications"]
    pages = {
        "airtable/applications": [{"id": "recNUL000000000001", "createdTime": "2026-01-02T03:04:05.000Z",
                                   "fields": {names["company"]: name, names["application_id"]: "BETA-9"}}],
        "hubspot/companies": [{"id": "501", "properties": {"name": name, "domain": None},
                               "createdAt": "2026-01-02T03:04:05Z", "updatedAt": "2026-01-02T03:04:05Z"}],
        "salesforce/Account": [{"attributes": {"type": "Account"}, "Id": "001Hs00000NUL0001AAA", "Name": name,
                                "Website": None, "SystemModstamp": "2026-01-02T03:04:05.000+0000"}],
    }
    for key, records in pages.items():
        sync = RawSync(warehouse, RAW_OBJECTS[key], CONFIG)
        sync.add_page(records)
        sync.finish()
        assert sync.stats.inserted == 1, key
    build_staging(warehouse, CONFIG)
    companies = warehouse.read("staging", "companies", ["source", "company"])
    assert len(companies) == 3
    assert not companies["company"].str.contains("\x00").any()
    assert all(string.printable or c for c in companies["company"])


def test_interactions_without_a_readable_date_still_score(warehouse: Warehouse) -> None:
    """Found by the property test: when none of a customer's interactions is recent (no readable
    date), the relationship component took the mean of an empty text column and stopped health."""
    apps, talks = CONFIG["airtable"]["fields"]["applications"], CONFIG["airtable"]["fields"]["interactions"]
    sync = RawSync(warehouse, RAW_OBJECTS["airtable/applications"], CONFIG)
    sync.add_page([{"id": "recMOOD00000000001", "createdTime": "2026-01-02T03:04:05.000Z",
                    "fields": {apps["application_id"]: "BETA-000777", apps["company"]: "Moody Ltd",
                               apps["status"]: "Active"}}])
    sync.finish()
    sync = RawSync(warehouse, RAW_OBJECTS["airtable/interactions"], CONFIG)
    sync.add_page([{"id": f"recTALK0000000000{n}", "createdTime": "2026-01-02T03:04:05.000Z",
                    "fields": {talks["interaction_id"]: f"INT-{n}", talks["application"]: ["recMOOD00000000001"],
                               talks["type"]: "Call", talks["sentiment"]: "Positive", **date}}
                   for n, date in enumerate([{talks["date"]: "15/01/2024"}, {}])])
    sync.finish()
    _run_pipeline(warehouse)
    health = warehouse.read("analytics", "customer_health")
    assert len(health) == 1 and health["relationship_score"].notna().all()
