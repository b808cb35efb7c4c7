"""Benchmark: a late usage file for one day against re-aggregating every day. A script that
prints figures, not a test.

    python benchmarks/usage_days.py                     # 2M lines in 30 daily files, SQLite
    python benchmarks/usage_days.py --lines 200000 --late-lines 2000 --runs 3
    python benchmarks/usage_days.py --url postgresql://root@127.0.0.1:5432/hub_bench

The files are ``benchmarks/usage.py``'s (gzip JSON Lines, one per UTC day, ~1 % bad). After a
first full run (``ingest_usage`` + ``build_usage_daily`` on a fresh warehouse), each run times:

- **late file, one day**: a new file of ``--late-lines`` lines for one past day, landed
  (``ingest_usage``: what ``usage_ingest`` runs), that day's partition rolled up
  (``roll_up_usage_days``) and ``usage_daily`` rebuilt from the roll-ups (what ``usage_days`` runs
  for one partition);
- **every day again**: the same ``usage_daily`` with every day rolled up again (the roll-ups
  deleted first): what each run cost before usage days were partitions;
- **peer: DuckDB over the store**: DuckDB's bare aggregate of every stored event by log customer id
  and day (``read_parquet``, no dedupe, no crosswalk, nothing written): the least a full
  re-aggregation can cost.

Medians of ``--runs`` (interleaved), from one invocation.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))


def _late_file(directory: Path, day: dt.date, lines: int, run: int) -> Path:
    path = directory / f"late-{run}-{day.isoformat()}.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for n in range(lines):
            second = (n * 7 + run) % 86_400
            fh.write(json.dumps({"timestamp": f"{day.isoformat()}T{second // 3600:02d}:{second // 60 % 60:02d}:"
                                              f"{second % 60:02d}Z", "customer_id": f"BETA-{n % 3000 + 1:06d}",
                                 "event": "api_call", "status": "ok", "user_id": f"late{run}-{n % 50}",
                                 "bytes": n, "cost": 0.001}) + "\n")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--late-lines", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--url", help="a PostgreSQL warehouse URL (its layers are dropped first; default: SQLite)")
    args = parser.parse_args()

    import duckdb
    import usage as bench  # benchmarks/usage.py: the same files

    from hub.pipeline.usage import build_usage_daily, ingest_usage, roll_up_usage_days
    from hub.usage_rollup import rollup_root
    from hub.usage_store import UsageEventStore
    from hub.warehouse import Warehouse

    with tempfile.TemporaryDirectory(prefix="hub-usage-days-") as tmp:
        work = Path(tmp)
        files = work / "files"
        bench.write_files(files, args.lines)
        os.environ["HUB_HOME"] = str(work)
        warehouse = Warehouse(args.url or f"sqlite:///{work / 'warehouse.db'}")
        if args.url:
            warehouse.drop_layers()
        warehouse.migrate()
        bench._seed_customers(warehouse)
        config = {"usage": {"stable_seconds": 0}}
        start = time.perf_counter()
        ingest_usage(warehouse, files, config)
        build_usage_daily(warehouse)
        first = time.perf_counter() - start
        store = UsageEventStore.of(warehouse)
        rollups = rollup_root(store.root)

        late, again, peer, written = [], [], [], []
        today = dt.datetime.now(dt.UTC).date()
        for run in range(args.runs):
            day = today - dt.timedelta(days=10 + run)
            _late_file(files, day, args.late_lines, run)
            start = time.perf_counter()
            ingest_usage(warehouse, files, config)
            days = roll_up_usage_days(warehouse, [day.isoformat()])
            daily = build_usage_daily(warehouse)
            late.append(time.perf_counter() - start)
            assert days.metadata["days_rolled_up"] == [day.isoformat()], days.metadata
            assert not daily.metadata["days_rolled_up"], daily.metadata["days_rolled_up"]
            written.append((daily.metadata["usage_daily_rows_written"], daily.rows))

            shutil.rmtree(rollups)
            start = time.perf_counter()
            full = build_usage_daily(warehouse)
            again.append(time.perf_counter() - start)
            assert len(full.metadata["days_rolled_up"]) >= 30

            conn = duckdb.connect()
            start = time.perf_counter()
            conn.sql(f"""SELECT customer_ref, CAST(event_at AS DATE) AS day, count(*), sum(coalesce(event_count, 1)),
                                count(DISTINCT user_id), sum(bytes), sum(cost)
                         FROM read_parquet('{store.root}/day=*/*.parquet') GROUP BY ALL""").fetchall()
            peer.append(time.perf_counter() - start)
            conn.close()

    late_s, again_s, peer_s = (statistics.median(x) for x in (late, again, peer))
    print(f"{args.lines:,} lines in 30 daily files; first full run (ingest + usage_daily): {first:.2f} s")
    print(f"late file: {args.late_lines:,} lines for one day; medians of {args.runs}; warehouse: "
          f"{'PostgreSQL' if args.url else 'SQLite'}; usage_daily rows the late file's build wrote: "
          f"{written[0][0]:,} of {written[0][1]:,}\n")
    print("| step | seconds | vs every day again |")
    print("|---|---|---|")
    print(f"| late file, one day (ingest + its partition + usage_daily) | {late_s:.2f} | {late_s / again_s:.2f} |")
    print(f"| every day again (usage_daily, all roll-ups redone) | {again_s:.2f} | 1 |")
    print(f"| peer: DuckDB bare aggregate over the store | {peer_s:.2f} | {peer_s / again_s:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
