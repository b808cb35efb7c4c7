"""Benchmark: health recalculation and sensor ticks at scale. A script that prints figures, not a test.

    python benchmarks/health.py                      # 100k customers, 90 days of usage, SQLite
    python benchmarks/health.py --customers 10000 --runs 3
    python benchmarks/health.py --url postgresql://postgres@127.0.0.1:5432/hub_bench
    python benchmarks/health.py --keep /tmp/hub-bench  # reuse the generated warehouse next time

Prints the median of several runs of: the health step (read, score, write ``customer_health``,
today's history and ``customers``) for a new day and for a rerun the same day, the pure scoring
alone, the alert evaluation over the result, and one tick of each sensor against a Dagster
instance on disk. Goals (issue 5): health ≤ 10 s, a sensor tick ≤ 1 s at 100k customers.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # assets/, resources/, sensors/ are run from the repository root

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from hub.config import load_config  # noqa: E402
from hub.pipeline.health import build_health, read_inputs  # noqa: E402
from hub.pipeline.unified import build_customers  # noqa: E402
from hub.usage_summary import usage_summary  # noqa: E402
from hub.warehouse import Warehouse  # noqa: E402

AS_OF = pd.Timestamp("2026-11-21", tz="UTC")


def _insert(warehouse: Warehouse, layer: str, table: str, frame: pd.DataFrame, chunk: int = 200_000) -> None:
    """Bulk insert through the driver (the benchmark's setup, not what it measures)."""
    name = warehouse.qualified(layer, table)
    frame = frame.copy()
    for column in frame.columns:
        if frame[column].dtype.kind == "M":
            frame[column] = frame[column].map(lambda t: None if pd.isna(t) else t.isoformat())
    columns = list(frame.columns)
    raw = warehouse.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for start in range(0, len(frame), chunk):
            part = frame.iloc[start:start + chunk]
            if warehouse.is_postgres:  # COPY: executemany over psycopg2 is one round trip per row
                copy, data = f"COPY {name} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)", part.to_csv(
                    index=False, header=False)
                if hasattr(cursor, "copy_expert"):  # psycopg2
                    cursor.copy_expert(copy, io.StringIO(data))
                else:  # psycopg 3, a bare postgresql:// URL's driver
                    with cursor.copy(copy) as writer:
                        writer.write(data)
            else:
                sql = f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({', '.join(['?'] * len(columns))})"
                part = part.astype(object).where(part.notna(), None)
                cursor.executemany(sql, [tuple(row) for row in part.itertuples(index=False)])
        raw.commit()
    finally:
        raw.close()


def generate(warehouse: Warehouse, customers: int, days: int, seed: int = 5) -> None:
    """A seeded portfolio: steady, collapsing, growing and inactive customers with tickets,
    interactions, contacts, surveys, deals and 40 days of health history."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"cus_{i:07d}" for i in range(customers)])
    now = AS_OF.isoformat()
    stage = rng.choice(["customer", "prospect", "opportunity"], customers, p=[0.7, 0.2, 0.1])
    _insert(warehouse, "analytics", "customers", pd.DataFrame({
        "customer_id": ids, "name": [f"Company {i}" for i in range(customers)], "owner": rng.integers(1, 40, customers).astype(str),
        "lifecycle_stage": stage, "source_count": 1, "first_seen_at": now, "updated_at": now}))
    _insert(warehouse, "staging", "customers", pd.DataFrame({  # reconciliation's output, which health scores
        "customer_id": ids, "name": [f"Company {i}" for i in range(customers)], "source_count": 1,
        "first_seen_at": now}))
    _insert(warehouse, "analytics", "customer_sources", pd.DataFrame({
        "source": "hubspot", "source_object": "companies", "source_id": ids, "customer_id": ids,
        "match_rule": "bench", "match_score": 1.0}))
    _insert(warehouse, "analytics", "deals", pd.DataFrame({
        "deal_id": "d-" + pd.Series(ids), "customer_id": ids, "source": "hubspot", "source_id": ids,
        "stage": np.where(stage == "customer", "Active Beta", np.where(stage == "opportunity", "Technical Review",
                                                                       "New Application")),
        "is_closed": False, "is_won": False}))
    print(f"  customers, crosswalk, deals: {customers:,}", flush=True)

    shape = rng.choice(4, customers, p=[0.7, 0.1, 0.1, 0.1])  # steady, collapsing, growing, inactive
    base = rng.lognormal(np.log(150), 0.8, customers)
    back = np.arange(days)[::-1]  # days before AS_OF, oldest first
    factor = np.ones((customers, days))
    factor[shape == 1] = np.where(back < 7, 0.1, 1.0)
    factor[shape == 2] = np.exp(-0.08 * back)
    factor[shape == 3] = np.where(back < 14, 0.0, 1.0)
    calls = rng.poisson(base[:, None] * factor)
    dates = [(AS_OF - pd.Timedelta(days=int(b))).strftime("%Y-%m-%d") for b in back]
    daily = pd.DataFrame({
        "customer_id": np.repeat(ids, days), "date": np.tile(dates, customers),
        "api_calls": calls.ravel().astype(float),
        "sign_operations": (calls.ravel() // 3).astype(float), "verify_operations": (calls.ravel() // 4).astype(float),
        "errors": rng.binomial(calls.ravel(), 0.01).astype(float), "error_rate": 0.0,
        "active_users": np.minimum(1 + calls.ravel() // 60, 12).astype(float), "storage_bytes": 0.0, "cost": 0.0,
        "events": calls.ravel(), "origin": "usage_log"})
    started = time.perf_counter()
    _insert(warehouse, "analytics", "usage_daily", daily)
    print(f"  usage_daily: {len(daily):,} rows ({time.perf_counter() - started:.0f} s)", flush=True)
    product = pd.DataFrame({"customer_id": ids, "event": "API Key Created",
                            "event_at": (AS_OF - pd.Timedelta(days=days)).isoformat()})
    _insert(warehouse, "analytics", "customer_usage", usage_summary(daily, product))
    del daily, calls

    n_act = customers * 3
    owner = rng.integers(0, customers, n_act)
    kind = rng.choice(["ticket", "interaction", "interaction"], n_act)
    occurred = AS_OF - pd.to_timedelta(rng.integers(0, 120 * 86400, n_act), unit="s")
    closed = rng.random(n_act) < 0.8
    _insert(warehouse, "staging", "activities", pd.DataFrame({
        "record_id": [f"hubspot:activity:{i}" for i in range(n_act)], "source": "hubspot", "kind": kind,
        "company_record_id": "hubspot:companies:" + pd.Series(ids[owner]), "occurred_at": occurred.map(pd.Timestamp.isoformat),
        "type": np.where(kind == "ticket", "Support", rng.choice(["Call", "Email", "Meeting"], n_act)),
        "sentiment": np.where(kind == "ticket", None, rng.choice(["Positive", "Neutral", "Negative"], n_act)),
        "priority": np.where(kind == "ticket", rng.choice(["low", "medium", "high"], n_act), None),
        "is_closed": np.where(kind == "ticket", closed, None),
        "closed_at": np.where((kind == "ticket") & closed,
                              (occurred + pd.Timedelta(days=2)).map(pd.Timestamp.isoformat), None)}))
    _insert(warehouse, "analytics", "contacts", pd.DataFrame({
        "contact_id": [f"ct_{i}" for i in range(2 * customers)], "customer_id": ids[rng.integers(0, customers, 2 * customers)]}))
    _insert(warehouse, "staging", "surveys", pd.DataFrame({
        "record_id": [f"airtable:surveys:{i}" for i in range(customers)],
        "company_record_id": "hubspot:companies:" + pd.Series(ids[rng.integers(0, customers, customers)]),
        "survey_type": rng.choice(["Weekly", "PMF"], customers),
        "date_responded": (AS_OF - pd.Timedelta(days=5)).strftime("%Y-%m-%d"),
        "satisfaction_score": rng.integers(1, 11, customers).astype(float),
        "pmf_score": rng.random(customers).round(2), "likelihood_to_pay": "Likely"}))
    print(f"  activities {n_act:,}, contacts {2 * customers:,}, surveys {customers:,}", flush=True)
    started = time.perf_counter()
    for back_days in range(1, 41):
        _insert(warehouse, "analytics", "customer_health_history", pd.DataFrame({
            "customer_id": ids, "as_of": (AS_OF - pd.Timedelta(days=back_days)).strftime("%Y-%m-%d"),
            "health_score": rng.integers(0, 101, customers).astype(float), "health_band": "good", "coverage": 1.0}))
    print(f"  customer_health_history: {40 * customers:,} rows ({time.perf_counter() - started:.0f} s)", flush=True)
    # What autovacuum / a DBA does after a bulk load: statistics, and PostgreSQL's visibility map
    # (without it an index-only scan still visits every row).
    if warehouse.is_postgres:
        with warehouse.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with warehouse.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


def timed(fn: Callable[[], object], runs: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times


def _fmt(label: str, median: float, times: Iterable[float], goal: float | None = None) -> str:
    verdict = "" if goal is None else f"  (goal ≤ {goal:g} s: {'met' if median <= goal else 'MISSED'})"
    return f"{label:<66} median {median:7.3f} s   runs {', '.join(f'{t:.3f}' for t in times)}{verdict}"


def fresh_days(warehouse: Warehouse) -> None:
    """Forget the history days an earlier benchmark run wrote, so each run's "new day" is one."""
    history = warehouse.table("analytics", "customer_health_history")
    with warehouse.transaction() as conn:
        conn.execute(history.delete().where(history.c.as_of >= AS_OF.strftime("%Y-%m-%d")))
    if warehouse.is_postgres:  # as autovacuum would between nightly runs: the deleted rows' space is free
        with warehouse.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE analytics.customer_health, analytics.customer_health_history")


def bench_health(warehouse: Warehouse, runs: int) -> None:
    config = load_config()
    fresh_days(warehouse)
    days = iter(range(1, 1000))
    print(_fmt("health step, a new day each run (full history write)",
               *timed(lambda: build_health(warehouse, config, AS_OF + pd.Timedelta(days=next(days) - 1)), runs),
               goal=10))
    last = AS_OF + pd.Timedelta(days=runs - 1)
    print(_fmt("health step, rerun the same day", *timed(lambda: build_health(warehouse, config, last), runs),
               goal=10))
    print(_fmt("customers step after health (score, band, stage onto customers)",
               *timed(lambda: build_customers(warehouse, config), runs)))
    inputs = read_inputs(warehouse, config, last)
    print(_fmt("  of which reading the inputs", *timed(lambda: read_inputs(warehouse, config, last), runs)))
    from hub.health import customer_health
    print(_fmt("  of which scoring (pure pandas)", *timed(lambda: customer_health(inputs, last, config), runs)))


def bench_alerts(warehouse: Warehouse, runs: int) -> None:
    from hub.pipeline.alerting import evaluate_alerts
    config = load_config()
    median, times = timed(lambda: evaluate_alerts(warehouse, config, []), runs)
    print(_fmt(f"alert evaluation ({warehouse.count('analytics', 'alerts'):,} alerts after)", median, times))


@contextmanager
def capture_server() -> Iterator[str]:
    """A local receiver answering 200 to every POST, standing in for Slack."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/slack"
    finally:
        server.shutdown()


def fill_outbox(warehouse: Warehouse, pending: int) -> int:
    """Every alert delivered on three channels already, and ``pending`` Slack deliveries waiting."""
    alerts = warehouse.read("analytics", "alerts", ["alert_id"])["alert_id"]
    now = AS_OF.isoformat()
    rows = pd.concat([pd.DataFrame({"delivery_id": alerts + f":{c}:fired", "alert_id": alerts, "channel": c,
                                    "notice": "fired", "status": "sent", "attempts": 1, "created_at": now,
                                    "delivered_at": now}) for c in ("slack", "webhook", "email")])
    rows.loc[rows.index[:pending], "status"] = "pending"
    existing = warehouse.table("analytics", "alert_deliveries")
    with warehouse.transaction() as conn:
        conn.execute(existing.delete())
    _insert(warehouse, "analytics", "alert_deliveries", rows)
    return len(rows)


def bench_sensors(warehouse: Warehouse, runs: int, home: Path) -> None:
    import dagster as dg

    from assets.alerts import ALERTS
    from assets.health import CUSTOMER_HEALTH, KPI_DAILY
    from hub.definitions import build_definitions
    from sensors.materializations import HEALTH_INPUTS

    landing = Path(os.environ["HUB_USAGE_LOG_DIR"])
    landing.mkdir(parents=True, exist_ok=True)
    for day in range(90):  # a landing directory holding 90 daily files
        (landing / f"usage-{day:03d}.jsonl").write_text('{"timestamp": "2026-11-21T00:00:00Z"}\n')
    outbox = fill_outbox(warehouse, pending=100)
    with capture_server() as url:
        os.environ["HUB_ALERT_SLACK_WEBHOOK_URL"] = url
        defs = build_definitions()
        (home / "dagster").mkdir(parents=True, exist_ok=True)
        with dg.DagsterInstance.local_temp(str(home / "dagster")) as instance:
            for key in [CUSTOMER_HEALTH, KPI_DAILY, ALERTS, *HEALTH_INPUTS]:  # inputs newer: the sensors fire
                instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=key))

            def ticker(name: str) -> Callable[[], None]:
                sensor, state = defs.resolve_sensor_def(name), {"cursor": None}

                def tick() -> None:
                    context = dg.build_sensor_context(instance=instance, cursor=state["cursor"],
                                                      resources=defs.resources, definitions=defs)
                    state["cursor"] = sensor.evaluate_tick(context).cursor or state["cursor"]
                return tick

            drain = ticker("alert_delivery_sensor")
            print(_fmt(f"sensor tick: alert_delivery_sensor delivering 100 ({outbox:,} outbox rows)",
                       *timed(drain, 1), goal=1))
            for name in ("usage_log_sensor", "usage_days_sensor", "health_recalculation_sensor", "threshold_alert_sensor",
                         "alert_delivery_sensor", "asset_check_alert_sensor"):
                print(_fmt(f"sensor tick: {name}", *timed(ticker(name), runs), goal=1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--url", help="warehouse URL (default: a fresh SQLite file)")
    parser.add_argument("--keep", type=Path, help="directory to keep (and reuse) the SQLite warehouse in")
    args = parser.parse_args(argv)
    home = args.keep or Path(tempfile.mkdtemp(prefix="hub-bench-"))
    home.mkdir(parents=True, exist_ok=True)
    os.environ.update({"HUB_HOME": str(home), "HUB_USAGE_LOG_DIR": str(home / "landing"), "HUB_CONFIG": ""})
    url = args.url or f"sqlite:///{home / 'warehouse.db'}"
    os.environ["HUB_WAREHOUSE_URL"] = url
    warehouse = Warehouse(url)
    warehouse.migrate()
    marker = home / "generated.json"
    wanted = {"customers": args.customers, "days": args.days, "url": url}
    if not (marker.exists() and json.loads(marker.read_text()) == wanted and warehouse.count("analytics", "customers")):
        if warehouse.count("analytics", "customers"):
            sys.exit(f"{warehouse.describe()} already holds data: point --url at an empty database")
        print(f"generating {args.customers:,} customers x {args.days} days of usage in {warehouse.describe()}")
        generate(warehouse, args.customers, args.days)
        marker.write_text(json.dumps(wanted))
    print(f"\n{args.customers:,} customers, {warehouse.count('analytics', 'usage_daily'):,} usage_daily rows, "
          f"{warehouse.count('analytics', 'customer_health_history'):,} history rows; "
          f"{args.runs} runs each, {warehouse.dialect}, {os.cpu_count()} CPUs\n")
    bench_health(warehouse, args.runs)
    bench_alerts(warehouse, max(1, args.runs // 2))
    bench_sensors(warehouse, args.runs * 4, home)
    return 0


if __name__ == "__main__":
    sys.exit(main())
