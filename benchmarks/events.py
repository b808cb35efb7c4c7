"""Benchmark: the event receiver's accepted events per second and p99 accept latency, and (with
``--alert-latency``) event -> alert latency. A script that prints figures, not a test.

    python benchmarks/events.py                                  # SQLite and PostgreSQL
    python benchmarks/events.py --backends sqlite --events 5000 --clients 16
    python benchmarks/events.py --postgres-url postgresql://postgres@127.0.0.1:5432/hub_bench_events
    python benchmarks/events.py --alert-latency --alert-events 3  # event -> alert, a few minutes
    python benchmarks/events.py --alert-latency --daemon         # the same through a real dagster-daemon

Each backend: a fresh warehouse, `hub serve-events` started as a real process on a free port of
127.0.0.1, then ``--rounds`` bounded rounds of ``--events`` signed seed-000 events sent by
``--clients`` keep-alive connections. A 202 means the event was committed to raw.events (on
SQLite with synchronous=FULL). Prints each round and the medians: accepted events/s (wall time of
the round) and the p50/p99 latency of one request, send to answer. Only 127.0.0.1 is ever called.

``--alert-latency`` measures, instead, the time from a signed ``application.received`` answered 202
by the real receiver to its alert row in ``analytics.alerts``, through the real path: the Airtable
emulator gains the application (scored 45/50: ``application_auto_assign`` fires), the
``events_sensor`` and then the ``threshold_alert_sensor`` are ticked on a real Dagster instance
(a temporary DAGSTER_HOME; its storage on PostgreSQL for the PostgreSQL warehouse) each at its
``minimum_interval_seconds``, as the daemon would, and each run a tick requests (the targeted
``event_sync``, then ``alert_evaluation``) is executed in process (``execute_in_process``) against
the emulators. With ``--daemon`` a real ``dagster-daemon`` (the project's instance config) ticks
the sensors and launches the runs instead, after one unmeasured warm-up event. A nightly_sync
first builds the warehouse. Each event is sent at a random point of the events sensor's
interval; one event at a time, bounded waits.
"""

from __future__ import annotations

import argparse
import http.client
import json
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


PROBE_USE_CASE = ("We publish several hundred photographs and videos a day and syndicate them to partners who must "
                  "verify that nothing was altered between capture and publication; the integration would sign at "
                  "ingest through our upload service and verify at every partner hand-off.")


def probe_application(n: int) -> tuple[str, dict]:
    """An application id and its Airtable record, scored 45/50 by the shipped lead_score rules (no
    interaction logged, so no response-time points) and assigned to no one."""
    app_id = f"BETA-97{n:04d}"
    return app_id, {"fields": {
        "Application ID": app_id, "Company": f"Latency Probe {n} Media", "Contact Name": f"Probe Person{n}",
        "Email": f"probe{n}@latencyprobe{n}.example", "Website": f"latencyprobe{n}.example", "Industry": "News",
        "Use Case": PROBE_USE_CASE, "Volume Estimate": "100k+", "Technical Capability": "API",
        "Priority Level": "Critical", "Status": "New", "Applied On": time.strftime("%Y-%m-%d", time.gmtime()),
        "Source": "Website"}}


def _dagster_home(backend: str, postgres_url: str, folder: Path, *, daemon: bool) -> Path:
    """A fresh DAGSTER_HOME: default (SQLite) storage, or PostgreSQL storage in its own database;
    for the daemon, the project's instance config (hub.instance: single-user, or team on PostgreSQL)."""
    import yaml

    from hub.instance import config_for

    home = folder / "dagster_home"
    home.mkdir()
    config = config_for("team" if backend == "postgres" else "single-user") if daemon else {"telemetry": {"enabled": False}}
    if backend == "postgres":
        target = sa.make_url(normalise_url(postgres_url))
        dagster_db = f"{target.database}_dagster"
        engine = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{dagster_db}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{dagster_db}"')
        engine.dispose()
        url = target.set(database=dagster_db, drivername="postgresql+psycopg2").render_as_string(hide_password=False)
        config["storage"] = {"postgres": {"postgres_url": url}}  # team() reads DAGSTER_PG_*; the same database
    (home / "dagster.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return home


def alert_latency(backend: str, args: argparse.Namespace) -> None:
    import random

    import dagster as dg

    from hub import synth
    from hub.definitions import build_definitions
    from hub.emulators import start_emulators
    from resources.config import HubConfigResource
    from resources.warehouse import WarehouseResource
    from sensors.events import events_sensor
    from sensors.materializations import threshold_alert_sensor

    quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    rng = random.Random(args.alert_seed)
    with tempfile.TemporaryDirectory(prefix="hub-bench-alerts-") as folder_name:
        folder = Path(folder_name)
        warehouse = fresh_warehouse(backend, args.postgres_url, folder)
        dagster_home = _dagster_home(backend, args.postgres_url, folder, daemon=args.daemon)
        with start_emulators(synth.generate(args.alert_companies, seed=3, tidy=True), rate_limits=False) as running:
            saved = dict(os.environ)
            os.environ.pop("HUB_CONFIG", None)
            os.environ.update({**running.env(), "HUB_HOME": str(folder / "home"), "HUB_WAREHOUSE_URL": warehouse.url,
                               "HUB_USAGE_LOG_DIR": str(folder / "landing"), "DAGSTER_HOME": str(dagster_home)})
            (folder / "landing").mkdir()
            port = free_port()
            proc = start_receiver(warehouse, folder / "home", port)
            try:
                defs = build_definitions()  # resources read the emulators' variables now
                repo = defs.get_repository_def()
                resources = {"warehouse": WarehouseResource(url=warehouse.url), "hub_config": HubConfigResource()}
                with dg.DagsterInstance.get() as instance:
                    started = time.perf_counter()
                    baseline = defs.resolve_job_def("nightly_sync").execute_in_process(instance=instance, run_config=quiet)
                    if not baseline.success:
                        raise SystemExit("the baseline nightly_sync failed")
                    print(f"  {backend:<10} baseline nightly_sync ({args.alert_companies} companies) "
                          f"{time.perf_counter() - started:.1f} s (Dagster storage: {'PostgreSQL' if backend == 'postgres' else 'SQLite'})",
                          flush=True)
                    if args.daemon:
                        return _with_daemon(backend, args, warehouse, running, port, instance, folder, rng)
                    sensors = {"events": [events_sensor, resources, None, 0.0],
                               "alerts": [threshold_alert_sensor, {}, None, 0.0]}

                    def tick(name: str) -> list[tuple[dg.RunRequest, str]]:
                        """Tick a sensor when its interval has passed since its last tick (else nothing)."""
                        sensor, sensor_resources, cursor, last = sensors[name]
                        if time.perf_counter() - last < sensor.minimum_interval_seconds:
                            return []
                        sensors[name][3] = time.perf_counter()
                        context = dg.build_sensor_context(instance=instance, cursor=cursor, repository_def=repo,
                                                          resources=sensor_resources)
                        result = sensor(context)
                        if isinstance(result, dg.SensorResult):
                            sensors[name][2] = result.cursor if result.cursor is not None else cursor
                            return [(r, sensor.job_name) for r in (result.run_requests or [])]
                        return []

                    def execute(request: dg.RunRequest, job: str) -> None:
                        selection = list(request.asset_selection) if request.asset_selection else None
                        result = defs.resolve_job_def(job).execute_in_process(
                            instance=instance, asset_selection=selection,
                            tags={**request.tags, "dagster/run_key": request.run_key or ""}, run_config=quiet)
                        if not result.success:
                            raise SystemExit(f"the {job} run failed")

                    # settle: both sensors tick once over the baseline (the alerts sensor's cursor)
                    for name in sensors:
                        for request, job in tick(name):
                            execute(request, job)
                    rows, rules = {"pickup": [], "run": [], "alert": [], "total": []}, set()
                    for n in range(args.alert_events):
                        app_id, record = probe_application(n + 1 + (1000 if backend == "postgres" else 0))
                        # both sensors keep ticking; the event goes out at a random point of the events
                        # sensor's interval, as one from outside would
                        send_at = time.perf_counter() + events_sensor.minimum_interval_seconds * rng.random()
                        while time.perf_counter() < send_at:
                            for name in sensors:
                                for request, job in tick(name):
                                    execute(request, job)
                            time.sleep(0.05)
                        running.airtable.upsert("Beta Applications", record)
                        _send(port, app_id, record["fields"]["Company"])
                        accepted = time.perf_counter()
                        picked = run_done = alerted = None
                        deadline = accepted + args.alert_timeout
                        while alerted is None and time.perf_counter() < deadline:
                            for request, job in tick("events"):
                                mine = app_id in request.tags.get("hub/event_objects", "").split(",")
                                picked = time.perf_counter() if mine else picked
                                execute(request, job)
                                run_done = time.perf_counter() if mine else run_done
                            for request, job in tick("alerts"):
                                requested = time.perf_counter()
                                execute(request, job)
                                rule = run_done and _alert_for(warehouse, record["fields"]["Company"], app_id)
                                if rule:
                                    alerted, alert_requested = time.perf_counter(), requested
                            time.sleep(0.05)
                        if alerted is None:
                            raise SystemExit(f"no alert for {app_id} within {args.alert_timeout:.0f} s")
                        rules.add(rule)
                        rows["pickup"].append(picked - accepted)
                        rows["run"].append(run_done - picked)
                        rows["alert"].append(alerted - run_done)
                        rows["total"].append(alerted - accepted)
                        print(f"  {backend:<10} event {n + 1}: accept -> sensor {picked - accepted:5.1f} s   "
                              f"sensor -> run done {run_done - picked:5.1f} s   run -> alert row "
                              f"{alerted - run_done:5.1f} s (alerts sensor {alert_requested - run_done:4.1f} s + run "
                              f"{alerted - alert_requested:4.1f} s)   total {alerted - accepted:5.1f} s", flush=True)
                    _summary(backend, "in-process runs", warehouse, rows, rules)
            finally:
                proc.kill()
                proc.wait()
                os.environ.clear()
                os.environ.update(saved)
                warehouse.engine.dispose()


def _send(port: int, app_id: str, company: str) -> None:
    """One signed seed-000 application.received, answered 202 (else the benchmark stops)."""
    payload = json.dumps({"event": "application.received", "data": {
        "application_id": app_id, "company": company, "score": 45,
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}}).encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/events", body=payload, headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": seed_signature(SECRET.encode(), payload)})
    status = conn.getresponse().status
    conn.close()
    if status != 202:
        raise SystemExit(f"the receiver answered {status}, not 202")


def _summary(backend: str, how: str, warehouse: Warehouse, rows: dict[str, list[float]], rules: set[str]) -> None:
    with warehouse.engine.connect() as conn:
        alert_rows = conn.execute(sa.select(sa.func.count()).select_from(warehouse.table("analytics", "alerts"))).scalar_one()
    print(f"{backend:<10} event -> alert ({how}), {len(rows['total'])} events, median (max): "
          + "   ".join(f"{label} {statistics.median(rows[key]):.1f} s ({max(rows[key]):.1f})"
                     for key, label in (("pickup", "accept -> sensor"), ("run", "sensor -> run done"),
                                        ("alert", "run -> alert row"), ("total", "total")))
          + f"   (rule {', '.join(sorted(rules))}; {alert_rows} rows in analytics.alerts)", flush=True)


def _with_daemon(backend: str, args: argparse.Namespace, warehouse: Warehouse, running, port: int,  # noqa: ANN001
                 instance, folder: Path, rng) -> None:  # noqa: ANN001
    """The same events through a real ``dagster-daemon``: it ticks the sensors, queues and launches
    the runs (each in its own process, steps on the multiprocess executor). Times come from the
    run records: a run's creation is its sensor tick, its end time the run done."""
    import dagster as dg

    workspace = folder / "workspace.yaml"
    workspace.write_text(f"load_from:\n  - python_module:\n      module_name: hub.definitions\n"
                         f"      working_directory: {REPO}\n      location_name: customer_hub\n")
    log = (folder / "daemon.log").open("w")
    daemon = subprocess.Popen([str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w", str(workspace)],
                              cwd=REPO, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT)
    try:
        rows, rules = {"pickup": [], "run": [], "alert": [], "total": []}, set()
        for n in range(args.alert_events + 1):  # event 0 warms up: the code server, the forkserver
            app_id, record = probe_application(n + 1 + (1000 if backend == "postgres" else 0))
            time.sleep(15 * rng.random())  # a random point of the sensors' intervals
            running.airtable.upsert("Beta Applications", record)
            _send(port, app_id, record["fields"]["Company"])
            accepted = time.time()
            deadline = time.monotonic() + args.alert_timeout * (2 if n == 0 else 1)
            rule = None
            while rule is None and time.monotonic() < deadline and daemon.poll() is None:
                time.sleep(0.25)
                rule = _alert_for(warehouse, record["fields"]["Company"], app_id)
            alerted = time.time()
            if rule is None:
                raise SystemExit(f"no alert for {app_id} within the timeout (daemon log: {folder / 'daemon.log'})")
            [sync] = instance.get_run_records(dg.RunsFilter(job_name="event_sync", tags={"hub/event_objects": app_id}))
            picked, run_done = sync.create_timestamp.timestamp(), sync.end_time
            evaluations = instance.get_run_records(dg.RunsFilter(job_name="alert_evaluation",
                                                                 created_after=sync.create_timestamp))
            # the evaluation that wrote the row: the last one created before the row was seen
            before = [r for r in evaluations if r.create_timestamp.timestamp() <= alerted]
            wrote = max(before, key=lambda r: r.create_timestamp) if before else None
            if n == 0:
                print(f"  {backend:<10} warm-up event: total {alerted - accepted:5.1f} s", flush=True)
                continue
            rules.add(rule)
            rows["pickup"].append(picked - accepted)
            rows["run"].append(run_done - picked)
            rows["alert"].append(alerted - run_done)
            rows["total"].append(alerted - accepted)
            print(f"  {backend:<10} event {n}: accept -> sensor {picked - accepted:5.1f} s   sensor -> run done "
                  f"{run_done - picked:5.1f} s   run -> alert row {alerted - run_done:5.1f} s"
                  + (f" (its alert_evaluation run created {wrote.create_timestamp.timestamp() - run_done:+5.1f} s "
                     "after the sync ended)" if wrote else "")
                  + f"   total {alerted - accepted:5.1f} s", flush=True)
        _summary(backend, "dagster-daemon", warehouse, rows, rules)
    finally:
        daemon.terminate()
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
        log.close()


def _alert_for(warehouse: Warehouse, company: str, app_id: str) -> str | None:
    """The rule of an alert row about the probe application (its entity id or message names it)."""
    alerts = warehouse.table("analytics", "alerts")
    query = sa.select(alerts.c.rule).where(alerts.c.entity_type == "application", sa.or_(
        alerts.c.message.contains(company), alerts.c.message.contains(app_id), alerts.c.entity_id == app_id))
    with warehouse.engine.connect() as conn:
        return conn.execute(query).scalar()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"])
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/hub_bench_events")
    parser.add_argument("--events", type=int, default=2000, help="requests per round (default 2000)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent keep-alive connections (default 8)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--alert-latency", action="store_true",
                        help="measure event -> alert latency instead of throughput (a few minutes)")
    parser.add_argument("--alert-events", type=int, default=3, help="events measured one by one (default 3)")
    parser.add_argument("--alert-companies", type=int, default=15, help="synthetic companies (default 15)")
    parser.add_argument("--alert-timeout", type=float, default=180.0, help="seconds an event may take (default 180)")
    parser.add_argument("--alert-seed", type=int, default=16, help="seed of the send phases")
    parser.add_argument("--daemon", action="store_true",
                        help="with --alert-latency: a real dagster-daemon ticks the sensors and launches the runs")
    args = parser.parse_args()
    print(f"event receiver: {os.cpu_count()} cores, Python {sys.version.split()[0]}", flush=True)
    for backend in args.backends:
        (alert_latency if args.alert_latency else bench)(backend, args)


if __name__ == "__main__":
    main()
