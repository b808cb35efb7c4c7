"""Raw usage events as Parquet files partitioned by day, next to the warehouse that ledgers them.

One file per read of a usage-log file and UTC day: ``<root>/day=2026-11-20/<file_digest>.parquet``,
where ``file_digest`` is the read's row in ``raw.usage_files``. The ledger decides what is live: a
Parquet file whose read the warehouse never committed (a crash between the two) or no longer has
(a dropped warehouse) is not read, and a read that is repeated writes the same name again. The
warehouse holds ``usage_daily``, the ledger, the file states and the quarantine; the events, one
row each, stay here, queryable through DuckDB (``hub usage-events`` in the README).

Where: next to the database file for SQLite (``.hub/usage_events``), and
``HUB_HOME/usage_events/<database>`` for PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import sqlalchemy as sa

from hub.config import settings
from hub.warehouse import Warehouse

# Few distinct values: dictionary-encoded (the keys, unique, compress better without).
DICTIONARY = ["customer_ref", "event", "status", "user_id", "file_name", "_loaded_at"]
# Min/max of the keys (hashes) would prune nothing: not computed (a tenth of the write's time).
STATISTICS = ["line_no", "event_at", "customer_ref", "event", "status", "user_id", "bytes", "latency_ms", "cost",
              "event_count", "anonymous_id", "source", "file_name", "_loaded_at"]


class UsageEventStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def of(cls, warehouse: Warehouse) -> UsageEventStore:
        url = sa.make_url(warehouse.url)
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            return cls(Path(url.database).resolve().parent / "usage_events")
        return cls(settings().home / "usage_events" / (url.database or "warehouse"))

    def write(self, file_digest: str, events: pa.Table, file_name: str, loaded_at: dt.datetime) -> int:
        """One read's events, one Parquet file per UTC day; each written whole or not at all."""
        if not len(events):
            return 0
        events = events.append_column("file_name", pa.repeat(pa.scalar(file_name, pa.string()), len(events)))
        events = events.append_column("_loaded_at", pa.repeat(pa.scalar(loaded_at, pa.timestamp("us", tz="UTC")),
                                                               len(events)))
        days = pc.cast(events["event_at"], pa.date32())
        distinct = pc.unique(days).to_pylist()
        for day in distinct:
            folder = self.root / f"day={day.isoformat()}"
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / f"{file_digest}.parquet"
            part = target.with_suffix(".parquet.tmp")
            # A daily file's read is one day: written as it is, without a copy.
            rows = events if len(distinct) == 1 else events.filter(pc.equal(days, pa.scalar(day, pa.date32())))
            pq.write_table(rows, part, compression="zstd", use_dictionary=DICTIONARY, write_statistics=STATISTICS)
            os.replace(part, target)
        return len(events)

    def discard(self, file_digest: str) -> int:
        """Delete one read's Parquet files (a read that is not to be ledgered); returns how many."""
        paths = list(self.root.glob(f"day=*/{file_digest}.parquet")) if self.root.is_dir() else []
        for path in paths:
            path.unlink()
        return len(paths)

    def files(self, live: set[str]) -> list[Path]:
        """The Parquet files of the reads the ledger holds."""
        if not self.root.is_dir():
            return []
        return sorted(p for p in self.root.glob("day=*/*.parquet") if p.stem in live)

    def prune(self, before: dt.date) -> StorePruned:
        """Delete the days before ``before`` (for retention, whole UTC days); returns what went."""
        pruned = StorePruned()
        for folder in sorted(self.root.glob("day=*")) if self.root.is_dir() else []:
            try:
                day = dt.date.fromisoformat(folder.name.removeprefix("day="))
            except ValueError:
                continue
            if day >= before:
                continue
            for path in sorted(folder.glob("*.parquet")):
                pruned.rows += pq.read_metadata(path).num_rows
                path.unlink()
                pruned.files += 1
            for leftover in folder.glob("*.parquet.tmp"):  # a write a crash interrupted
                leftover.unlink()
            if not any(folder.iterdir()):
                folder.rmdir()
            pruned.days += 1
        return pruned


@dataclass
class StorePruned:
    """What a prune removed: whole days, their Parquet files and the events in them."""

    days: int = 0
    files: int = 0
    rows: int = 0
