"""Connector throughput and incremental cost against the emulators enforcing the real limits.

    python benchmarks/sync.py [--scale 1.0] [--warehouse sqlite:///…|postgresql://…]

Prints, per source: records/s of a full sync as a share of the API's ceiling (rate limit x page
size; goal >= 0.9) and the requests an incremental sync after 1% of the records changed needs as
a share of a full sync's (goal <= 0.03 for HubSpot and Salesforce). Production settings
(hub/defaults.yaml) throughout. Not a test: it takes a few minutes and prints figures.

Throughput is measured on a sync that runs right after another sync of the same allocation, as
in the nightly job: a sliding window lets the first sync of an idle account burst past the
ceiling, which would flatter the figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # assets/, resources/ live at the root

from hub.config import load_config, merge  # noqa: E402
from hub.emulators import AirtableEmulator, HubSpotEmulator, SalesforceEmulator  # noqa: E402
from hub.raw import RAW_OBJECTS, RawSync  # noqa: E402
from hub.sources.airtable.sync import sync_airtable  # noqa: E402
from hub.sources.hubspot.sync import sync_hubspot  # noqa: E402
from hub.sources.salesforce.sync import sync_salesforce  # noqa: E402
from hub.sync import SyncReport  # noqa: E402
from hub.warehouse import Warehouse  # noqa: E402
from resources.airtable import AirtableResource  # noqa: E402
from resources.hubspot import HubSpotResource  # noqa: E402
from resources.salesforce import SalesforceResource  # noqa: E402

BASE_MS = 1_767_225_600_000  # 2026-01-01


class Remote:
    """An emulator in its own process, as a real API is on its own servers: its CPU time does not
    compete with the sync's (one Python process shares one interpreter lock)."""

    def __init__(self, build: Callable[[], Any]) -> None:
        context = multiprocessing.get_context("fork")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(build, child), daemon=True)
        self._process.start()
        self.attrs: dict[str, Any] = self._conn.recv()

    def upsert(self, object_name: str, records: list[dict]) -> None:
        self._conn.send(("upsert", object_name, records))
        self._conn.recv()

    def stop(self) -> None:
        self._conn.send(("stop",))
        self._process.join(timeout=30)


def _serve(build: Callable[[], Any], conn: Any) -> None:
    emulator = build().start()
    conn.send({name: getattr(emulator, name, None) for name in
               ("url", "token", "base_id", "access_token", "ca_bundle")})
    while True:
        command = conn.recv()
        if command[0] == "stop":
            emulator.stop()
            return
        for record in command[2]:
            emulator.upsert(command[1], record)
        conn.send("ok")


def _warehouse(url: str | None, name: str) -> Warehouse:
    if url is None:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='hub-bench-')) / name}.db"
    warehouse = Warehouse(url)
    if warehouse.is_postgres:
        warehouse.drop_layers()
    warehouse.migrate()
    return warehouse


def _sync(run: Callable[[RawSync], SyncReport], warehouse: Warehouse, key: str, config: dict[str, Any]) -> SyncReport:
    return run(RawSync(warehouse, RAW_OBJECTS[key], config, full_refresh=False))


def airtable(scale: float, url: str | None) -> dict[str, Any]:
    n = int(10_000 * scale)
    config = merge(load_config(), {"airtable": {"id_sweep_hours": 24}})
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)

    def records(count: int, prefix: str) -> list[dict]:
        return [{"id": f"rec{prefix}{i:012d}",
                 "createdTime": (start + dt.timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                 "fields": {"Application ID": f"BETA-{i}", "Company": f"Company {i}", "Status": "New"}}
                for i in range(count)]

    em = Remote(lambda: AirtableEmulator({"Beta Applications": records(n, "AP"),  # 5 req/s, 30 s lockout
                                          "Customer Interactions": records(2000, "IN")},
                                         last_modified_field="Last Modified"))
    try:
        a = em.attrs
        resource = AirtableResource(api_url=a["url"], token=a["token"], base_id=a["base_id"])
        warehouse = _warehouse(url, "airtable")

        def sync(table: str) -> SyncReport:
            return _sync(lambda raw: sync_airtable(resource.connector(config), raw, table, config), warehouse,
                         f"airtable/{table}", config)

        sync("interactions")  # fills the base's window, as the nightly job's previous table does
        full = sync("applications")
        em.upsert("Beta Applications", [{"id": f"recAP{i:012d}", "fields": {"Status": "Accepted"}}
                                        for i in range(0, n, 100)])
        incremental = sync("applications")
    finally:
        em.stop()
    return _figures("Airtable", full, incremental, ceiling=5 * 100,
                    note="table with a Last modified time field; id sweep daily")


def hubspot(scale: float, url: str | None) -> dict[str, Any]:
    n = int(30_000 * scale)
    config = load_config()

    def build() -> HubSpotEmulator:  # 100 requests / 10 s, search 5 / s
        companies = [{"id": str(1000 + i), "properties": {"name": f"Company {i}",
                                                          "hs_lastmodifieddate": str(BASE_MS + i)},
                      "createdAt": "2025-06-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z",
                      "archived": False} for i in range(10_000)]  # 100 pages: fills the ten-second window
        contacts = [{"id": str(10_000_000 + i), "properties": {
            "email": f"p{i}@c{i}.example", "firstname": f"P{i}", "lastmodifieddate": str(BASE_MS + i * 1000)},
            "createdAt": "2025-06-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z", "archived": False}
            for i in range(n)]
        links = [(c["id"], str(1000 + i % len(companies))) for i, c in enumerate(contacts)]
        return HubSpotEmulator({"companies": companies, "contacts": contacts}, {("contacts", "companies"): links})

    em = Remote(build)
    try:
        resource = HubSpotResource(api_url=em.attrs["url"], token=em.attrs["token"])
        warehouse = _warehouse(url, "hubspot")

        def sync(object_type: str, associations: list[str] | None = None) -> SyncReport:
            return _sync(lambda raw: sync_hubspot(resource.connector(config), raw, object_type, config,
                                                  associations=associations),
                         warehouse, f"hubspot/{object_type}", config)

        sync("companies")  # the previous object of the nightly job: the account's window is full
        full = sync("contacts", ["companies"])
        em.upsert("contacts", [{"id": str(10_000_000 + i), "properties": {"jobtitle": "Buyer"}}
                               for i in range(0, n, 100)])
        incremental = sync("contacts", ["companies"])
    finally:
        em.stop()
    return _figures("HubSpot", full, incremental, ceiling=100 / 10 * 100, note="contacts with company associations")


def salesforce(scale: float, url: str | None) -> dict[str, Any]:
    n = int(300_000 * scale)
    rest_config = merge(load_config(), {"salesforce": {"bulk_threshold": 10**12}})
    bulk_config = load_config()

    def build() -> SalesforceEmulator:  # the daily API allocation enforced
        stamp = "2026-01-01T00:00:00.000+0000"
        return SalesforceEmulator({"Account": [
            {"attributes": {"type": "Account", "url": f"/services/data/v59.0/sobjects/Account/001{i:012d}AAA"},
             "Id": f"001{i:012d}AAA", "Name": f"Account {i}", "Website": f"a{i}.example", "Industry": "Banking",
             "AnnualRevenue": float(i), "CreatedDate": stamp, "LastModifiedDate": stamp,
             "SystemModstamp": f"2026-01-{1 + i * 28 // n:02d}T{i % 24:02d}:{i % 60:02d}:00.000+0000",
             "IsDeleted": False} for i in range(n)]})

    em = Remote(build)
    try:
        a = em.attrs
        resource = SalesforceResource(instance_url=a["url"], access_token=a["access_token"], ca_bundle=a["ca_bundle"])
        connector = resource.connector(rest_config)
        fields = ", ".join(connector.describe("Account"))
        started = time.monotonic()
        read = sum(len(page) for page in connector.query_pages(
            "reading Account", f"SELECT {fields} FROM Account ORDER BY SystemModstamp, Id"))
        api_rate = read / (time.monotonic() - started)  # what the API alone delivers: the ceiling here

        def sync(warehouse: Warehouse, config: dict[str, Any]) -> SyncReport:
            return _sync(lambda raw: sync_salesforce(resource.connector(config), raw, "Account", config), warehouse,
                         "salesforce/Account", config)

        rest = _warehouse(url, "salesforce")
        full = sync(rest, rest_config)
        bulk = sync(_warehouse(None, "salesforce-bulk"), bulk_config)
        em.upsert("Account", [{"Id": f"001{i:012d}AAA", "Industry": "Insurance"} for i in range(0, n, 100)])
        incremental = sync(rest, rest_config)
    finally:
        em.stop()
    figures = _figures("Salesforce", full, incremental, ceiling=api_rate,
                       note="no per-second limit: the ceiling is the REST query read alone, without landing")
    figures["bulk first load"] = (f"{bulk.mode}: {bulk.stats.fetched} records in {bulk.calls.requests} requests, "
                                  f"{bulk.stats.fetched / bulk.elapsed_seconds:,.0f} records/s; incremental / "
                                  f"bulk requests {incremental.calls.requests / bulk.calls.requests:.3f}")
    return figures


def _figures(source: str, full: SyncReport, incremental: SyncReport, *, ceiling: float, note: str) -> dict[str, Any]:
    rate = full.stats.fetched / full.elapsed_seconds
    return {
        "source": source,
        "note": note,
        "full sync": f"{full.stats.fetched} records, {full.calls.requests} requests, {full.calls.retries} retries, "
                     f"{full.elapsed_seconds:.1f} s",
        "records/s": f"{rate:,.0f} of a {ceiling:,.0f} ceiling = {rate / ceiling:.2f} (goal >= 0.9)",
        "incremental (1% changed)": f"{incremental.mode}: {incremental.stats.fetched} records fetched, "
                                    f"{incremental.stats.updated} updated, {incremental.calls.requests} requests",
        "incremental / full requests": f"{incremental.calls.requests / full.calls.requests:.3f}"
                                       + (" (goal <= 0.03)" if source != "Airtable" else ""),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="record counts x this (default 1.0)")
    parser.add_argument("--warehouse", default=None, help="SQLAlchemy URL (default: a fresh SQLite file)")
    parser.add_argument("--only", choices=["airtable", "hubspot", "salesforce"], action="append")
    args = parser.parse_args()
    runs = {"airtable": airtable, "hubspot": hubspot, "salesforce": salesforce}
    for name in args.only or list(runs):
        figures = runs[name](args.scale, args.warehouse)
        print(f"\n== {figures.pop('source')} ({figures.pop('note')})")
        for label, value in figures.items():
            print(f"  {label:28s} {value}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
