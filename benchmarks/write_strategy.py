"""Benchmark: where PostgreSQL's bulk write (COPY into a temporary table, one INSERT … SELECT … ON
CONFLICT) overtakes the per-row one (executemany), for each driver. A script that prints figures.

    python benchmarks/write_strategy.py --url postgresql://postgres@127.0.0.1:5432/hub_bench
    python benchmarks/write_strategy.py --url postgresql+psycopg2://postgres@127.0.0.1:5432/hub_bench

Upserts of quarantine rows (the write a usage file's bad lines make, a few hundred per file) in
their own transaction, each size and strategy interleaved, medians of ``--runs``. What it prints
chose ``hub.warehouse_write.BULK_MIN_ROWS``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.warehouse import Warehouse  # noqa: E402
from hub.warehouse_write import BULK_MIN_ROWS  # noqa: E402


def _rows(count: int, tag: str) -> list[dict]:
    return [{"quarantine_id": f"bench:{tag}:{n}", "source": "usage", "source_object": "usage_log",
             "record_key": f"usage.jsonl:{n}", "reason": f"usage.jsonl line {n}: timestamp 'yesterday' is not RFC 3339",
             "payload": '{"timestamp": "yesterday", "customer_id": "BETA-000001", "event": "api_call"}',
             "quarantined_at": "2026-12-01T10:00:00+00:00"} for n in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="a PostgreSQL warehouse URL (its raw.quarantine gets test rows)")
    parser.add_argument("--sizes", default="25,50,100,200,450,1000,5000")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    warehouse = Warehouse(args.url)
    warehouse.migrate()
    driver = warehouse.engine.dialect.driver
    print(f"driver {driver}; bulk from {BULK_MIN_ROWS.get(driver)} rows; medians of {args.runs}, ms per write")
    print("| rows | rows strategy | bulk strategy | bulk / rows |")
    print("|--:|--:|--:|--:|")
    for size in (int(s) for s in args.sizes.split(",")):
        times: dict[str, list[float]] = {"rows": [], "bulk": []}
        for run in range(args.runs):
            for strategy in ("rows", "bulk"):
                data = _rows(size, f"{strategy}{run}{time.perf_counter_ns()}")
                start = time.perf_counter()
                with warehouse.transaction() as conn:
                    warehouse.write("raw", "quarantine", data, key=["quarantine_id"], conn=conn, strategy=strategy)
                times[strategy].append(time.perf_counter() - start)
        rows, bulk = (statistics.median(times[s]) * 1000 for s in ("rows", "bulk"))
        print(f"| {size:,} | {rows:.1f} | {bulk:.1f} | {bulk / rows:.2f} |")
    with warehouse.transaction() as conn:
        table = warehouse.table("raw", "quarantine")
        conn.execute(table.delete().where(table.c.quarantine_id.startswith("bench:")))


if __name__ == "__main__":
    main()
