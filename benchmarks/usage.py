"""Benchmark: usage logs to ``usage_daily``, the hub against DuckDB, pyarrow and pandas alone.
A script that prints figures, not a test.

    python benchmarks/usage.py                        # 200k and 2M lines, 30 daily files, SQLite
    python benchmarks/usage.py --lines 200000 --runs 3
    python benchmarks/usage.py --url postgresql://root@127.0.0.1:5432/hub_bench
    python benchmarks/usage.py --suppressed 1000        # the hub with erased identities on the list

Every method reads the same JSON Lines files (gzip, one per UTC day, ~1 % bad lines: unparseable,
a bad timestamp or an unknown customer; a few percent messy but valid: other timestamp forms,
numbers as strings, unknown fields) and produces the daily roll-up per customer. Each run is a
fresh process, so its peak memory (max RSS) is its own; the table shows the median of the runs,
interleaved, from one invocation.

- **hub**: the ``ingest_usage`` and ``build_usage_daily`` steps on a fresh warehouse: every line
  validated with its reason, per-file accounting, events to Parquet by day, customers resolved
  through the crosswalk, ``usage_daily``, ``customer_usage``, ledger and quarantine written.
  With ``--suppressed N`` the suppression list holds N erased identities (one of them the customer
  BETA-000001, whose lines are held back: its daily rows are missing from the hub's count), so
  every distinct customer and user id of the files is checked against it.
- **duckdb**: ``read_ndjson`` typed (``ignore_errors``) and the daily aggregate; no reasons, no
  accounting, no crosswalk, nothing written.
- **pyarrow**: ``pyarrow.json.read_json`` typed + pandas groupby. It refuses a whole file for one bad
  line, so it is given each file without its bad lines (removed beforehand, not timed).
- **pandas**: a ``json.loads`` loop, a DataFrame and the groupby.

After each size's table, ``benchmarks/usage_days.py`` times a late file for one day (1 % of the
lines) against rolling every day up again, on files of the same size (``--no-late`` skips it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

FILES = 30
CUSTOMERS = 3000
EVENTS = ("api_call", "api_call", "api_call", "sign", "verify", "login", "document_created")
METHODS = ("hub", "duckdb", "pyarrow", "pandas")
TYPED = ("{'timestamp': 'TIMESTAMPTZ', 'customer_id': 'VARCHAR', 'event': 'VARCHAR', 'status': 'VARCHAR', "
         "'user_id': 'VARCHAR', 'bytes': 'DOUBLE', 'latency_ms': 'DOUBLE', 'cost': 'DOUBLE', 'count': 'DOUBLE'}")


def write_files(directory: Path, lines: int, seed: int = 7) -> int:
    """``FILES`` gzip JSON Lines files, one per day of the last ``FILES`` days before today (UTC: no
    event is in the future); returns the bad lines written."""
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    per_file, bad = lines // FILES, 0
    today = dt.datetime.now(dt.UTC).date()
    for back in range(FILES, 0, -1):
        day = (today - dt.timedelta(days=back)).isoformat()
        out = []
        for _ in range(per_file):
            second = rng.randrange(86_400)
            stamp = f"{day}T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}Z"
            record = {"timestamp": stamp, "customer_id": f"BETA-{rng.randrange(1, CUSTOMERS + 1):06d}",
                      "event": rng.choice(EVENTS), "status": "ok" if rng.random() < 0.97 else rng.choice(["500", "error"]),
                      "user_id": f"u{rng.randrange(40)}", "bytes": rng.randrange(10_000),
                      "latency_ms": round(rng.random() * 300, 1), "cost": round(rng.random() / 100, 5)}
            roll = rng.random()
            if roll < 0.01:
                bad += 1
                kind = rng.randrange(3)
                if kind == 0:
                    out.append(json.dumps(record)[:40])
                    continue
                if kind == 1:
                    record["timestamp"] = rng.choice(["yesterday", "2026-13-45T25:61:00Z", "20/11/2026 10:00"])
                else:
                    record["customer_id"] = f"BETA-0{rng.randrange(100_000):05d}"
            elif roll < 0.02:
                record["timestamp"] = stamp.replace("T", " ").replace("Z", "+00:00")
            elif roll < 0.03:
                record["bytes"], record["cost"] = str(record["bytes"]), str(record["cost"])
            elif roll < 0.04:
                record["region"] = "eu-west-1"
            out.append(json.dumps(record, separators=(",", ":")))
        with gzip.open(directory / f"usage-{day}.jsonl.gz", "wt", compresslevel=6) as fh:
            fh.write("\n".join(out) + "\n")
    return bad


def _seed_customers(warehouse) -> None:  # noqa: ANN001
    """Staging companies and the crosswalk for ``CUSTOMERS`` customers (the lookup the hub resolves by)."""
    ids = [f"BETA-{n:06d}" for n in range(1, CUSTOMERS + 1)]
    warehouse.write("staging", "companies", [
        {"record_id": f"airtable:applications:rec{n}", "source": "airtable", "source_object": "applications",
         "source_id": f"rec{n}", "application_id": app, "name": f"Company {n}"} for n, app in enumerate(ids)],
        key=["record_id"])
    warehouse.write("analytics", "customer_sources", [
        {"source": "airtable", "source_object": "applications", "source_id": f"rec{n}", "customer_id": f"cus_{n:06d}",
         "match_rule": "application_id", "match_score": 1.0} for n in range(len(ids))],
        key=["source", "source_object", "source_id"])


def _suppress(warehouse, count: int) -> None:  # noqa: ANN001
    """``count`` erased identities on the list: the customer BETA-000001 and addresses nobody uses."""
    from hub.governance.suppression import customer_key, email_key, suppress

    os.environ["HUB_ERASURE_SALT"] = "benchmark-erasure-salt"
    keys = [customer_key("BETA-000001")] + [email_key(f"gone{n}@example.com") for n in range(count - 1)]
    with warehouse.transaction() as conn:
        suppress(warehouse, conn, "benchmark", keys, b"benchmark-erasure-salt")


def run_hub(directory: Path, url: str | None, work: Path, suppressed: int = 0) -> int:
    from hub.pipeline.usage import build_usage_daily, ingest_usage
    from hub.warehouse import Warehouse

    warehouse = Warehouse(url or f"sqlite:///{work / 'warehouse.db'}")
    if url:
        warehouse.drop_layers()
    warehouse.migrate()
    _seed_customers(warehouse)
    if suppressed:
        _suppress(warehouse, suppressed)
    os.environ["HUB_HOME"] = str(work)
    start = time.perf_counter()
    ingest_usage(warehouse, directory, {"usage": {"stable_seconds": 0}})
    result = build_usage_daily(warehouse)
    elapsed = time.perf_counter() - start
    _report(elapsed, result.rows)
    return 0


def run_duckdb(directory: Path) -> int:
    import duckdb

    conn = duckdb.connect()
    conn.execute("SET TimeZone = 'UTC'")
    start = time.perf_counter()
    rows = conn.sql(f"""
        SELECT customer_id, strftime(timestamp, '%Y-%m-%d') AS date,
               sum(coalesce(count, 1)) FILTER (WHERE event IN ('api_call', 'sign', 'verify')) AS api_calls,
               sum(coalesce(count, 1)) FILTER (WHERE event = 'sign') AS sign_operations,
               sum(coalesce(count, 1)) FILTER (WHERE event = 'verify') AS verify_operations,
               sum(coalesce(count, 1)) FILTER (WHERE event IN ('api_call', 'sign', 'verify')
                                              AND (lower(status) = 'error' OR TRY_CAST(status AS DOUBLE) >= 400)) AS errors,
               count(DISTINCT user_id) AS active_users, sum(bytes) AS storage_bytes, sum(cost) AS cost,
               count(*) AS events
        FROM read_ndjson('{directory}/*.jsonl.gz', columns = {TYPED}, ignore_errors = true)
        WHERE timestamp IS NOT NULL AND customer_id IS NOT NULL AND event IS NOT NULL
        GROUP BY ALL""").df()
    _report(time.perf_counter() - start, len(rows))
    return 0


def _pandas_daily(frame):  # noqa: ANN001, ANN202
    import pandas as pd

    frame = frame.dropna(subset=["timestamp", "customer_id", "event"])
    frame = frame.assign(date=pd.to_datetime(frame["timestamp"], utc=True, errors="coerce", format="ISO8601")
                         .dt.strftime("%Y-%m-%d"))
    weight = frame["count"].fillna(1.0) if "count" in frame else 1.0
    api = frame["event"].isin(["api_call", "sign", "verify"])
    status = frame["status"].fillna("").astype(str).str.lower()
    frame = frame.assign(api_calls=api * weight, sign_operations=(frame["event"] == "sign") * weight,
                         verify_operations=(frame["event"] == "verify") * weight,
                         errors=(api & ((status == "error") | (pd.to_numeric(status, errors="coerce") >= 400))) * weight)
    return frame.groupby(["customer_id", "date"]).agg(
        api_calls=("api_calls", "sum"), sign_operations=("sign_operations", "sum"),
        verify_operations=("verify_operations", "sum"), errors=("errors", "sum"),
        active_users=("user_id", "nunique"), storage_bytes=("bytes", "sum"), cost=("cost", "sum"),
        events=("event", "size")).reset_index()


def run_pyarrow(directory: Path, work: Path) -> int:
    import pyarrow as pa
    import pyarrow.json as pj

    clean = work / "clean"
    if not clean.exists():  # not timed: pyarrow.json cannot skip a bad line
        clean.mkdir()
        for path in sorted(directory.glob("*.jsonl.gz")):
            good = []
            for line in gzip.open(path, "rt"):
                try:
                    row = json.loads(line)
                    if isinstance(row.get("bytes"), str) or isinstance(row.get("cost"), str):
                        continue  # a typed reader refuses a number as a string too
                    good.append(line)
                except ValueError:
                    continue
            with gzip.open(clean / path.name, "wt") as fh:
                fh.writelines(good)
    schema = pa.schema([("timestamp", pa.string()), ("customer_id", pa.string()), ("event", pa.string()),
                        ("status", pa.string()), ("user_id", pa.string()), ("bytes", pa.float64()),
                        ("latency_ms", pa.float64()), ("cost", pa.float64()), ("count", pa.float64())])
    options = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    start = time.perf_counter()
    tables = [pj.read_json(path, parse_options=options) for path in sorted(clean.glob("*.jsonl.gz"))]
    rows = _pandas_daily(pa.concat_tables(tables).to_pandas())
    _report(time.perf_counter() - start, len(rows))
    return 0


def run_pandas(directory: Path) -> int:
    import pandas as pd

    start = time.perf_counter()
    records = []
    for path in sorted(directory.glob("*.jsonl.gz")):
        with gzip.open(path, "rt") as fh:
            for line in fh:
                try:
                    row = json.loads(line)
                except ValueError:
                    continue
                if isinstance(row, dict):
                    records.append(row)
    frame = pd.DataFrame.from_records(records)
    for column in ("bytes", "cost", "count", "latency_ms"):
        frame[column] = pd.to_numeric(frame.get(column), errors="coerce")
    rows = _pandas_daily(frame)
    _report(time.perf_counter() - start, len(rows))
    return 0


def _report(seconds: float, rows: int) -> None:
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "rows": rows, "peak_mb": peak_kb / 1024}))


def _one(method: str, directory: Path, url: str | None, suppressed: int = 0) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"usage-{method}-") as work:
        command = [sys.executable, __file__, "--one", method, "--dir", str(directory), "--work", work,
                   "--suppressed", str(suppressed)]
        if url:
            command += ["--url", url]
        done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=REPO,
                              env={**os.environ, "HUB_HOME": work})
        if done.returncode:
            raise SystemExit(f"{method} failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, action="append", help="lines per run (repeatable; default 200k and 2M)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--url", help="warehouse URL for the hub (default: a fresh SQLite file)")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--suppressed", type=int, default=0, help="erased identities on the hub's suppression list")
    parser.add_argument("--no-late", action="store_true", help="skip the late-file timing (benchmarks/usage_days.py)")
    parser.add_argument("--one", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        work = args.work or Path(tempfile.mkdtemp())
        runners = {"hub": lambda: run_hub(args.dir, args.url, work, args.suppressed), "duckdb": lambda: run_duckdb(args.dir),
                   "pyarrow": lambda: run_pyarrow(args.dir, args.dir.parent), "pandas": lambda: run_pandas(args.dir)}
        raise SystemExit(runners[args.one]())
    methods = args.methods.split(",")
    print(f"{os.cpu_count()} cores; hub warehouse: {args.url or 'SQLite'}; median of {args.runs} runs, interleaved"
          + (f"; {args.suppressed} erased identities on the list" if args.suppressed else ""))
    for lines in args.lines or [200_000, 2_000_000]:
        with tempfile.TemporaryDirectory(prefix="usage-bench-") as tmp:
            directory = Path(tmp) / "landing"
            bad = write_files(directory, lines)
            total = lines // FILES * FILES
            results: dict[str, list[dict]] = {m: [] for m in methods}
            for _ in range(args.runs):
                for method in methods:
                    results[method].append(_one(method, directory, args.url, args.suppressed))
            print(f"\n{total:,} lines in {FILES} gzip JSON Lines files, {bad:,} bad")
            print("| method | seconds | lines/s | share of DuckDB | peak memory | daily rows |")
            print("|---|---|---|---|---|---|")
            base = statistics.median(r["seconds"] for r in results["duckdb"]) if "duckdb" in results else None
            for method in methods:
                seconds = statistics.median(r["seconds"] for r in results[method])
                peak = max(r["peak_mb"] for r in results[method])
                share = f"{base / seconds:.2f}" if base else "-"
                print(f"| {method} | {seconds:.2f} | {total / seconds:,.0f} | {share} | {peak:,.0f} MB | "
                      f"{results[method][0]['rows']:,} |")
        if not args.no_late and "hub" in methods:
            # A one-day late file against rolling every day up again, on files of the same size.
            print(flush=True)
            subprocess.run([sys.executable, str(REPO / "benchmarks" / "usage_days.py"), "--lines", str(lines),
                            "--late-lines", str(max(lines // 100, 1000)), "--runs", str(args.runs)], check=True)


if __name__ == "__main__":
    main()
