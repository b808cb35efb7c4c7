"""Benchmark: the event receiver's accepted events per second and p99 accept latency. A script that
prints figures, not a test.

    python benchmarks/events.py                                  # SQLite and PostgreSQL
    python benchmarks/events.py --backends sqlite --events 5000 --clients 16
    python benchmarks/events.py --postgres-url postgresql://postgres@127.0.0.1:5432/hub_bench_events

Each backend: a fresh warehouse, `hub serve-events` started as a real process on a free port of
127.0.0.1, then ``--rounds`` bounded rounds of ``--events`` signed seed-000 events sent by
``--clients`` keep-alive connections. A 202 means the event was committed to raw.events (on
SQLite with synchronous=FULL). Prints each round and the medians: accepted events/s (wall time of
the round) and the p50/p99 latency of one request, send to answer. Only 127.0.0.1 is ever called.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import sqlalchemy as sa  # noqa: E402

from hub.events.auth import seed_signature  # noqa: E402
from hub.warehouse import Warehouse, normalise_url  # noqa: E402

SECRET = "benchmark-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_warehouse(backend: str, postgres_url: str, folder: Path) -> Warehouse:
    if backend == "sqlite":
        warehouse = Warehouse(f"sqlite:///{folder / 'warehouse.db'}")
    else:
        _create_database(postgres_url)
        warehouse = Warehouse(postgres_url)
        warehouse.drop_layers()
    warehouse.migrate()
    return warehouse


def _create_database(url: str) -> None:
    target = sa.make_url(normalise_url(url))
    engine = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}).first() is None:
            conn.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
    engine.dispose()


def start_receiver(warehouse: Warehouse, home: Path, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "HUB_CONFIG"}
    env.update(HUB_EVENTS_SECRET=SECRET, HUB_WAREHOUSE_URL=warehouse.url, HUB_HOME=str(home))
    proc = subprocess.Popen([sys.executable, "-m", "hub.cli", "serve-events", "--port", str(port)], cwd=REPO,
                            env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the receiver did not start in 60 s")


def body(n: int, run: int) -> bytes:
    return (b'{"event":"application.received","data":{"application_id":"BENCH-%d-%d","company":"Example Corp",'
            b'"score":38,"timestamp":"2024-01-15T10:30:00Z"}}' % (run, n))


def one_round(port: int, events: int, clients: int, run: int) -> tuple[float, list[float], int]:
    """events/s, per-request latencies (s), and requests not answered 202."""
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    counter = iter(range(events))

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, bad = [], 0
        for n in counter:  # shared iterator: the round is bounded to `events` requests in all
            payload = body(n, run)
            headers = {"Content-Type": "application/json", "X-Hub-Signature-256": seed_signature(SECRET.encode(), payload)}
            start = time.perf_counter()
            conn.request("POST", "/events", body=payload, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - start)
            bad += response.status != 202
        conn.close()
        with lock:
            latencies.extend(mine)
            failures[0] += bad

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return events / (time.perf_counter() - started), latencies, failures[0]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def bench(backend: str, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="hub-bench-events-") as folder:
        warehouse = fresh_warehouse(backend, args.postgres_url, Path(folder))
        port = free_port()
        proc = start_receiver(warehouse, Path(folder) / "home", port)
        try:
            one_round(port, min(200, args.events), args.clients, run=-1)  # warm-up: connections, caches
            rates, p50s, p99s = [], [], []
            for run in range(args.rounds):
                rate, latencies, failures = one_round(port, args.events, args.clients, run)
                p50, p99 = percentile(latencies, 0.50) * 1000, percentile(latencies, 0.99) * 1000
                rates.append(rate), p50s.append(p50), p99s.append(p99)
                print(f"  {backend:<10} round {run + 1}: {rate:8.0f} events/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms"
                      + (f"   {failures} not 202" if failures else ""), flush=True)
            stored = warehouse.count("raw", "events")
            print(f"{backend:<10} median {statistics.median(rates):8.0f} events/s   p50 {statistics.median(p50s):6.1f} ms"
                  f"   p99 {statistics.median(p99s):6.1f} ms   ({args.rounds} rounds of {args.events} events, "
                  f"{args.clients} clients; {stored} rows in raw.events)", flush=True)
        finally:
            proc.kill()
            proc.wait()
            warehouse.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"])
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/hub_bench_events")
    parser.add_argument("--events", type=int, default=2000, help="requests per round (default 2000)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent keep-alive connections (default 8)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"event receiver: {os.cpu_count()} cores, Python {sys.version.split()[0]}", flush=True)
    for backend in args.backends:
        bench(backend, args)


if __name__ == "__main__":
    main()
