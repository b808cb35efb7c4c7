"""Raw landing throughput: the hub's page writes against a bare bulk write of the same rows.

    python benchmarks/raw_landing.py [--records 20000] [--runs 5] [--url postgresql://…] [--profile KEY]

For one object of each source at its production page size (hub/defaults.yaml: HubSpot 100,
Salesforce 2,000, Airtable 100), ``--records`` synthetic records (``hub.synth.generate`` payloads,
repeated under fresh ids) are landed page by page through ``RawSync.add_page``, the function every
sync calls per page (hashing, typed columns, ``_synced_at``, soft-delete columns, the cursor in
the page's transaction):

- **first**: into empty raw tables;
- **unchanged**: the same records again (every row skipped by its hash);
- **1 % changed**: the same records with one in a hundred edited.

The **peer** writes the rows the first load stored into an equivalent table (same columns, types
and key) in one transaction: PostgreSQL ``COPY`` through psycopg's ``cursor.copy``, SQLite the
driver's ``executemany``; **peer/page** does the same one page per transaction, as the cursor
contract requires of the hub. Each figure is the median of ``--runs`` interleaved runs on fresh
tables, in records/s; the hub's share is of the one-transaction peer. ``--profile KEY`` prints
where one first load of that object spends its time. Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import pstats
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from hub import synth  # noqa: E402
from hub.config import load_config  # noqa: E402
from hub.raw import RAW_OBJECTS, RawSync, Record  # noqa: E402
from hub.warehouse import Warehouse  # noqa: E402

OBJECTS = {"hubspot/contacts": "hubspot", "salesforce/Account": "salesforce", "airtable/applications": "airtable"}
SCENARIOS = ("first", "unchanged", "changed")


# -- records ---------------------------------------------------------------------------------

def source_records(count: int, seed: int = 7) -> dict[str, list[Record]]:
    """``count`` records of each benchmarked object in its wire shape, as the sync hands them to
    ``add_page``: one ``generate`` snapshot's records repeated under fresh ids."""
    data = synth.generate(1500, seed=seed, tidy=True)
    linked: dict[str, list[str]] = {}
    for contact, company in data.hubspot_associations[("contacts", "companies")]:
        linked.setdefault(str(contact), []).append(str(company))
    out: dict[str, list[Record]] = {}

    def contact(i: int, base: Record) -> Record:
        record = copy.deepcopy(base)
        companies = linked.get(str(base["id"]))
        record["id"] = record["properties"]["hs_object_id"] = str(50_000_000 + i)
        if companies:  # as resources.hubspot.add_associations attaches them
            record["associations"] = {"companies": {"results": [
                {"id": c, "type": "contact_to_company"} for c in companies]}}
        return record

    def account(i: int, base: Record) -> Record:
        record = copy.deepcopy(base)
        record["Id"] = f"001Bench{i:010d}"
        record["attributes"]["url"] = f"/services/data/v59.0/sobjects/Account/{record['Id']}"
        return record

    def application(i: int, base: Record) -> Record:
        record = copy.deepcopy(base)
        record["id"] = f"recBench{i:09d}"
        return record

    for key, base, make in (("hubspot/contacts", data.hubspot["contacts"], contact),
                            ("salesforce/Account", data.salesforce["Account"], account),
                            ("airtable/applications", data.airtable["Beta Applications"], application)):
        out[key] = [make(i, base[i % len(base)]) for i in range(count)]
    return out


def changed(key: str, records: list[Record]) -> list[Record]:
    """The records with every hundredth one edited as its source would (a field and its stamp)."""
    out = list(records)
    for i in range(0, len(out), 100):
        record = copy.deepcopy(out[i])
        if key.startswith("hubspot"):
            record["properties"]["jobtitle"] = "Chief Benchmark Officer"
            record["updatedAt"] = "2026-06-01T00:00:00.000Z"
        elif key.startswith("salesforce"):
            record["Industry"] = "Benchmarking"
            record["SystemModstamp"] = "2026-06-01T00:00:00.000+0000"
        else:
            record["fields"]["Status"] = "Benchmarked"
        out[i] = record
    return out


def pages(records: list[Record], size: int) -> Iterator[list[Record]]:
    for start in range(0, len(records), size):
        yield records[start:start + size]


# -- the hub ---------------------------------------------------------------------------------

class HubTables:
    """Fresh raw tables for each run: a new SQLite file, or PostgreSQL's emptied (TRUNCATE gives
    each table new storage)."""

    def __init__(self, url: str | None, workdir: Path) -> None:
        self.url, self.workdir, self._runs = url, workdir, 0
        self.warehouse: Warehouse | None = None
        if url is not None:
            self.warehouse = Warehouse(url)
            self.warehouse.drop_layers()
            self.warehouse.migrate()

    def fresh(self, key: str) -> Warehouse:
        if self.url is None:
            if self.warehouse is not None:
                self.warehouse.engine.dispose()
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{self.warehouse.engine.url.database}{suffix}").unlink(missing_ok=True)
            self._runs += 1
            self.warehouse = Warehouse(f"sqlite:///{self.workdir / f'hub-{self._runs}.db'}")
            self.warehouse.migrate()
            return self.warehouse
        assert self.warehouse is not None
        names = [self.warehouse.qualified("raw", n) for n in (RAW_OBJECTS[key].table, "sync_state", "source_fields")]
        with self.warehouse.transaction() as conn:
            conn.exec_driver_sql(f"TRUNCATE {', '.join(names)}")
        return self.warehouse


def land(warehouse: Warehouse, key: str, records: list[Record], page_size: int, config: dict[str, Any]) -> RawSync:
    """One sync's landing: a RawSync, its pages each with a cursor, closed without a listing."""
    sync = RawSync(warehouse, RAW_OBJECTS[key], config, full_refresh=False)
    for number, page in enumerate(pages(records, page_size)):
        sync.add_page(page, cursor=f'{{"page": {number}}}')
    sync.finish(full_listing=False)
    return sync


def stored_rows(warehouse: Warehouse, key: str) -> tuple[list[str], list[tuple]]:
    table = warehouse.table("raw", RAW_OBJECTS[key].table)
    names = [c.name for c in table.columns]
    # The payload as its text: what COPY and executemany take for a JSON column.
    select = ", ".join("payload::text" if n == "payload" and warehouse.is_postgres else n for n in names)
    with warehouse.engine.connect() as conn:
        rows = conn.exec_driver_sql(f"SELECT {select} FROM {warehouse.qualified('raw', RAW_OBJECTS[key].table)}").all()
    return names, [tuple(r) for r in rows]


# -- the peer --------------------------------------------------------------------------------

class Peer:
    """The same rows into a bare copy of the raw table, by the backend's fastest plain means."""

    def __init__(self, url: str | None, workdir: Path, hub: HubTables) -> None:
        self.url, self.workdir, self.hub, self._runs = url, workdir, hub, 0

    def write(self, key: str, names: list[str], rows: list[tuple], page_size: int) -> float:
        """Seconds to write ``rows`` in transactions of ``page_size`` rows, on a fresh table."""
        table = RAW_OBJECTS[key].table
        if self.url is None:
            return self._sqlite(table, names, rows, page_size)
        return self._postgres(table, names, rows, page_size)

    def _sqlite(self, table: str, names: list[str], rows: list[tuple], page_size: int) -> float:
        assert self.hub.warehouse is not None
        with self.hub.warehouse.engine.connect() as conn:
            ddl = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = ?", (f"raw_{table}",)).scalar_one()
        self._runs += 1
        path = self.workdir / f"peer-{self._runs}.db"
        db = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL"):  # as hub.warehouse sets them
            db.execute(f"PRAGMA {pragma}")
        db.execute(ddl)
        insert = f"INSERT INTO raw_{table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        started = time.perf_counter()
        for start in range(0, len(rows), page_size):
            db.execute("BEGIN")
            db.executemany(insert, rows[start:start + page_size])
            db.execute("COMMIT")
        elapsed = time.perf_counter() - started
        db.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return elapsed

    def _postgres(self, table: str, names: list[str], rows: list[tuple], page_size: int) -> float:
        import psycopg

        url = self.url.replace("postgresql+psycopg://", "postgresql://")  # type: ignore[union-attr]
        with psycopg.connect(url) as db:
            db.execute("CREATE SCHEMA IF NOT EXISTS bench_peer")
            db.execute(f"DROP TABLE IF EXISTS bench_peer.{table}")
            db.execute(f"CREATE TABLE bench_peer.{table} (LIKE raw.{table} INCLUDING ALL)")
            db.commit()
            copy_sql = f"COPY bench_peer.{table} ({', '.join(names)}) FROM STDIN"
            started = time.perf_counter()
            for start in range(0, len(rows), page_size):
                with db.cursor() as cursor, cursor.copy(copy_sql) as copy_in:
                    for row in rows[start:start + page_size]:
                        copy_in.write_row(row)
                db.commit()
            elapsed = time.perf_counter() - started
            db.execute(f"DROP TABLE bench_peer.{table}")
            db.commit()
        return elapsed


# -- the run ---------------------------------------------------------------------------------

def page_size(key: str, config: dict[str, Any]) -> int:
    return int(config[OBJECTS[key]]["page_size"])


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def run(url: str | None, count: int, runs: int, profile: str | None) -> None:
    config = load_config()
    records = source_records(count)
    edited = {key: changed(key, values) for key, values in records.items()}
    workdir = Path(tempfile.mkdtemp(prefix="hub-bench-raw-"))
    hub = HubTables(url, workdir)
    peer = Peer(url, workdir, hub)
    seconds: dict[tuple[str, str], list[float]] = {}
    for attempt in range(runs):
        keys = list(OBJECTS) if attempt % 2 == 0 else list(reversed(OBJECTS))  # interleaved, order varied
        for key in keys:
            size = page_size(key, config)
            warehouse = hub.fresh(key)
            elapsed, sync = timed(lambda w=warehouse, k=key, s=size: land(w, k, records[k], s, config))
            assert sync.stats.inserted == count, (key, sync.stats)
            seconds.setdefault((key, "first"), []).append(elapsed)
            elapsed, sync = timed(lambda w=warehouse, k=key, s=size: land(w, k, records[k], s, config))
            assert sync.stats.unchanged == count, (key, sync.stats)
            seconds.setdefault((key, "unchanged"), []).append(elapsed)
            elapsed, sync = timed(lambda w=warehouse, k=key, s=size: land(w, k, edited[k], s, config))
            assert sync.stats.updated == (count + 99) // 100, (key, sync.stats)
            seconds.setdefault((key, "changed"), []).append(elapsed)
            names, rows = stored_rows(warehouse, key)  # what the first load stored (ids, hashes, …)
            assert len(rows) == count
            seconds.setdefault((key, "peer"), []).append(peer.write(key, names, rows, count))
            seconds.setdefault((key, "peer_page"), []).append(peer.write(key, names, rows, size))
        print(f"run {attempt + 1}/{runs} done", file=sys.stderr)
    if profile:
        profiler = cProfile.Profile()
        warehouse = hub.fresh(profile)
        profiler.runcall(land, warehouse, profile, records[profile], page_size(profile, config), config)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
    if hub.warehouse is not None and url is not None:
        with hub.warehouse.transaction() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS bench_peer CASCADE"))
        hub.warehouse.drop_layers()
    if hub.warehouse is not None:
        hub.warehouse.engine.dispose()
    shutil.rmtree(workdir, ignore_errors=True)
    print(table(seconds, count, runs, url, config))


def table(seconds: dict[tuple[str, str], list[float]], count: int, runs: int, url: str | None,
          config: dict[str, Any]) -> str:
    backend = "SQLite" if url is None else "PostgreSQL"
    rate = {k: count / statistics.median(v) for k, v in seconds.items()}
    lines = [f"{backend}, {count:,} records per object, medians of {runs} runs, records/s "
             "(hub as a share of the one-transaction peer)", "",
             "| object | page | hub: first load | hub: unchanged | hub: 1 % changed | peer | peer/page |",
             "|---|--:|--:|--:|--:|--:|--:|"]
    for key in OBJECTS:
        peer = rate[(key, "peer")]
        cells = [f"{rate[(key, s)]:,.0f} ({rate[(key, s)] / peer:.0%})" for s in SCENARIOS]
        lines.append(f"| {key} | {page_size(key, config):,} | {' | '.join(cells)} | {peer:,.0f} | "
                     f"{rate[(key, 'peer_page')]:,.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=20_000, help="records per object (default 20,000)")
    parser.add_argument("--runs", type=int, default=5, help="runs; medians are printed (default 5)")
    parser.add_argument("--url", help="a PostgreSQL warehouse to land into (its layers are dropped); default SQLite")
    parser.add_argument("--profile", choices=list(OBJECTS), help="cProfile one first load of this object")
    args = parser.parse_args()
    run(args.url, args.records, args.runs, args.profile)


if __name__ == "__main__":
    main()
