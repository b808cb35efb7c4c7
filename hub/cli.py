"""The ``hub`` command: ``hub demo`` runs everything once against local emulators; ``hub emulate``
serves the emulators alone; ``hub instance`` prints or writes a deployment's dagster.yaml;
``hub migrate`` applies the warehouse DDL; ``hub alerts`` lists open alerts or snoozes one."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filelock import FileLock, Timeout

from hub.config import SECRET_VARIABLES, settings
from hub.instance import DEPLOYMENTS, render, write_config

if TYPE_CHECKING:
    from hub.warehouse import Warehouse

REPO = Path(__file__).resolve().parent.parent

SUMMARY_TABLES = ["customers", "customer_sources", "contacts", "deals", "applications", "usage_daily",
                  "customer_health", "customer_health_history", "kpi_daily", "alerts"]
# How long a second `hub demo` on the same HUB_HOME waits for the first before giving up.
HOME_LOCK_WAIT_SECONDS = 900


def _prepare_home() -> None:
    """Create HUB_HOME's folders and a Dagster instance config, and point DAGSTER_HOME there."""
    # assets/, resources/, sensors/, schedules/ are run from the repository root, not installed.
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    s = settings()
    for path in (s.home, s.usage_log_dir, s.dagster_home):
        path.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("HUB_HOME", str(s.home))
    os.environ["DAGSTER_HOME"] = str(s.dagster_home)
    write_config(s.dagster_home, "single-user")


@contextmanager
def _home_lock() -> Iterator[None]:
    """Hold HUB_HOME's lock: one `hub demo` at a time sets up and runs on a home.

    Two at once on a fresh home would both create Dagster's SQLite storage (two alembic heads in
    schedules.db break every later run) and evaluate alerts side by side. The second one waits,
    saying so once. The lock is an flock, so a killed holder releases it.
    """
    home = settings().home
    home.mkdir(parents=True, exist_ok=True)
    lock = FileLock(home / ".hub.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        print(f"another hub command is running on HUB_HOME {home}; waiting for it to finish "
              f"(up to {HOME_LOCK_WAIT_SECONDS // 60} min)", file=sys.stderr, flush=True)
        try:
            lock.acquire(timeout=HOME_LOCK_WAIT_SECONDS)
        except Timeout:
            raise SystemExit(f"hub: HUB_HOME {home} stayed busy for {HOME_LOCK_WAIT_SECONDS} s: let the "
                             "other hub command finish, or set HUB_HOME to another folder") from None
    try:
        yield
    finally:
        lock.release()


def _start_sources(companies: int, seed: int, *, rate_limits: bool, tidy: bool = False):  # noqa: ANN202
    from hub import synth
    from hub.emulators import start_emulators

    data = synth.generate(companies, seed, tidy=tidy)
    written = synth.write_usage_logs(data, settings().usage_log_dir, fmt="jsonl.gz", bad_lines=3, seed=seed,
                                     tidy=tidy)
    written += synth.write_funnel_logs(data, settings().usage_log_dir)  # the funnel's product events
    emulators = start_emulators(data, rate_limits=rate_limits)
    os.environ.update(emulators.env())
    return data, written, emulators


def demo(args: argparse.Namespace) -> int:
    started = time.monotonic()
    with _home_lock():
        _prepare_home()
        _preflight_or_exit()
        print(f"customer-hub demo: {args.companies} synthetic companies (seed {args.seed}, "
              f"{'tidy' if args.tidy else 'messy, as real APIs send it'}), emulated Airtable, HubSpot and "
              "Salesforce on 127.0.0.1")
        _data, written, emulators = _start_sources(args.companies, args.seed, rate_limits=True, tidy=args.tidy)
        try:
            status = _run_once(written, started)
        except BaseException:
            emulators.stop()
            raise
    # The UI serves for hours: it must not hold the home's lock (the instance is set up by now).
    try:
        return _run_ui(emulators, args.port) if args.ui else status
    finally:
        emulators.stop()


def _preflight_or_exit() -> None:
    """HUB_CONFIG and the warehouse, checked before anything runs: one message, not a failure per step."""
    from hub.config import load_config
    from hub.preflight import check_warehouse, probe

    load_config(settings().config_file)
    warehouse = probe("warehouse", lambda: check_warehouse(settings().warehouse_url))
    if not warehouse.ok:
        raise SystemExit(f"hub: the warehouse is not usable: {warehouse.detail}")


def check(_args: argparse.Namespace) -> int:
    """Try the configuration, the warehouse, each source and channel: one line each."""
    import dagster as dg

    from hub import preflight
    from hub.config import load_config

    s = settings()
    loaded: dict[str, object] = {}

    def config_ok() -> str:
        loaded["config"] = load_config(s.config_file)
        return f"{s.config_file} is valid" if s.config_file else "built-in defaults (HUB_CONFIG not set)"

    config_line = preflight.probe("HUB_CONFIG", config_ok)
    findings = [config_line, preflight.probe("warehouse", lambda: preflight.check_warehouse(s.warehouse_url)),
                preflight.probe("usage logs", lambda: preflight.check_usage_dir(s))]
    if config_line.ok:
        if str(REPO) not in sys.path:  # assets/, resources/ are run from the repository root
            sys.path.insert(0, str(REPO))
        from hub.definitions import build_resources

        config = loaded["config"]
        # Built as a run builds them, so EnvVar secrets resolve the same way.
        with dg.build_resources(build_resources()) as built:
            for name, probe_source in (("airtable", preflight.check_airtable), ("hubspot", preflight.check_hubspot),
                                       ("salesforce", preflight.check_salesforce)):
                resource = getattr(built, name)
                findings.append(preflight.probe(name, lambda r=resource, f=probe_source: f(r, config)))
            findings += _playbook_writes(preflight, built, config, {f.item for f in findings if f.ok})
            channels = built.alert_channels.channels()
        if not channels:
            findings.append(preflight.Finding("alert channels", True, "none configured: alerts stay in the "
                                              "alerts table (set HUB_ALERT_SLACK_WEBHOOK_URL, … to deliver)"))
        for channel in channels:
            findings.append(preflight.probe(f"channel {channel.name}", lambda c=channel: preflight.check_channel(c)))
    for finding in findings:
        print(finding.line())
    failed = [f for f in findings if not f.ok]
    print(f"\n{len(findings) - len(failed)} ok, {len(failed)} failing")
    return 1 if failed else 0


def _playbook_writes(preflight: Any, built: Any, config: dict[str, Any], readable: set[str]) -> list[Any]:
    """Live playbooks: can they write in the CRMs they read (checked without writing)?"""
    if not preflight.playbooks_live(config):
        return [preflight.Finding("playbooks", True, "dry_run: nothing is written in the CRMs (with "
                                  "playbooks.mode: live, hub check also checks write access)")]
    findings = []
    for name, check in (("airtable", preflight.check_airtable_writes), ("hubspot", preflight.check_hubspot_writes),
                        ("salesforce", preflight.check_salesforce_writes)):
        if name in readable:  # a CRM that cannot be read already has its FAIL line
            resource = getattr(built, name)
            findings.append(preflight.probe(f"{name} writes", lambda r=resource, f=check: f(r, config)))
    return findings


def _print_playbooks(warehouse: Warehouse) -> None:
    """What the playbooks did (or, in dry run, would do): actions by kind and status."""
    actions = warehouse.read("analytics", "actions", ["action", "status", "mode"])
    if actions.empty:
        print("playbook actions: none")
        return
    counts = actions.groupby(["action", "status"]).size()
    line = ", ".join(f"{action} {status} {n}" for (action, status), n in counts.items())
    hint = " (dry run: set playbooks.mode: live in HUB_CONFIG to act in the CRMs)" \
        if (actions["status"] == "dry_run").any() else ""
    print(f"playbook actions{hint}: {line}; see analytics.actions")


def _run_once(written: list[Path], started: float) -> int:
    import dagster as dg

    from hub.definitions import build_definitions
    from hub.warehouse import Warehouse

    defs = build_definitions()
    with dg.DagsterInstance.get() as instance:
        # Step-by-step DEBUG lines would bury the summary; the run's full log is in the instance.
        quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
        result = defs.resolve_job_def("nightly_sync").execute_in_process(
            instance=instance, raise_on_error=False, run_config=quiet)
    s = settings()
    warehouse = Warehouse(s.warehouse_url)
    if not result.success:
        for event in result.all_events:
            if event.is_step_failure:
                print(f"FAILED {event.step_key}: {event.event_specific_data.error.message.strip()}", file=sys.stderr)
        return 1
    print(f"\nnightly_sync finished in {time.monotonic() - started:.1f} s (run {result.run_id[:8]})")
    print(f"usage logs: {len(written)} files in {s.usage_log_dir}")
    print("\nrows per table:")
    for table in SUMMARY_TABLES:
        print(f"  {warehouse.qualified('analytics', table):<32} {warehouse.count('analytics', table):>8}")
    print(f"  {warehouse.qualified('raw', 'quarantine'):<32} {warehouse.count('raw', 'quarantine'):>8}"
          "  (records set aside, each with its reason)")
    alerts = warehouse.read("analytics", "alerts", ["rule", "status"])
    open_alerts = alerts[alerts["status"] == "open"]["rule"].value_counts()
    print("\nopen alerts: " + (", ".join(f"{rule} {n}" for rule, n in open_alerts.items()) or "none"))
    _print_playbooks(warehouse)
    from hub.reports.cli import print_rendered, render_weekly_for_demo

    print(f"\nreports (last complete week; `hub report <name> --period 2026-W48` for any other), "
          f"in {s.home / 'reports'}:")
    print_rendered(render_weekly_for_demo(warehouse, s.home))
    print(f"\nwarehouse: {warehouse.describe()}")
    print(f"Dagster instance: {s.dagster_home}")
    print(f"open the UI on the same data: hub demo --ui   (or: DAGSTER_HOME={s.dagster_home} "
          f"{_executable('dg')} dev, with the sources' variables set)")
    return 0


def _run_ui(emulators, port: int) -> int:  # noqa: ANN001
    print("emulators up; source variables set for the UI's code location:")
    for name, value in emulators.env().items():
        shown = "•••" if name in SECRET_VARIABLES else value
        print(f"  {name}={shown}")
    print(f"starting the Dagster UI on http://127.0.0.1:{port} (Ctrl-C stops it and the emulators)", flush=True)
    try:
        # Next to the running Python, not on PATH: `.venv/bin/hub` works without an activated venv.
        return subprocess.call([str(_executable("dagster")), "dev", "-w", str(REPO / "workspace.yaml"),
                                "-h", "127.0.0.1", "-p", str(port)], cwd=REPO, env=os.environ.copy())
    except KeyboardInterrupt:
        return 0


def _executable(name: str) -> Path:
    """A console script of this environment (the venv's bin/ holds the running Python)."""
    return Path(sys.executable).parent / name


def instance(args: argparse.Namespace) -> int:
    """Print a deployment's dagster.yaml, or write it into DAGSTER_HOME when none is there."""
    if not args.write:
        print(render(args.deployment), end="")
        return 0
    dagster_home = settings().dagster_home
    with _home_lock():
        written = write_config(dagster_home, args.deployment)
        path = dagster_home / "dagster.yaml"
        print(f"{'wrote' if written else 'kept the existing'} {path}; export DAGSTER_HOME={dagster_home}")
        # Create the instance's storage now, once: `dg dev` starts the webserver and the daemon
        # together, and both creating a fresh SQLite storage at once leaves two alembic heads.
        os.environ["DAGSTER_HOME"] = str(dagster_home)
        import dagster as dg

        try:
            with dg.DagsterInstance.get() as created:
                created.get_runs_count()
        except Exception as exc:  # noqa: BLE001 - e.g. DAGSTER_PG_* not set yet: created on first start
            print(f"storage not created yet ({type(exc).__name__}: {str(exc).splitlines()[0][:160]}); "
                  "it is created when the webserver first starts")
            return 0
        print("instance storage ready")
    return 0


def emulate(args: argparse.Namespace) -> int:
    from hub import synth
    from hub.emulators import start_emulators

    data = synth.generate(args.companies, args.seed)
    emulators = start_emulators(data, rate_limits=not args.no_rate_limits)
    print("emulators serving synthetic data; export these to point the hub at them:")
    for name, value in emulators.env().items():
        # Flushed: a script reading the exports from a pipe must not wait for the emulators to stop.
        print(f"export {name}={value}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        emulators.stop()


def migrate(_args: argparse.Namespace) -> int:
    from hub.warehouse import Warehouse

    warehouse = Warehouse(settings().warehouse_url)
    applied = warehouse.migrate()
    print(f"{warehouse.describe()}: " + (f"applied {', '.join(applied)}" if applied else "up to date"))
    return 0


def alerts(args: argparse.Namespace) -> int:
    """List the open alerts, or snooze one."""
    from hub.alerts import SEVERITIES
    from hub.pipeline.alerting import snooze_alert
    from hub.warehouse import Warehouse

    warehouse = Warehouse(settings().warehouse_url)
    warehouse.migrate()
    if args.snooze:
        row = snooze_alert(warehouse, args.snooze, args.hours)
        print(f"alert {row['alert_id']} ({row['rule']}) snoozed until {row['snoozed_until']}")
        return 0
    table = warehouse.table("analytics", "alerts")
    frame = warehouse.read("analytics", "alerts", ["alert_id", "rule", "severity", "status", "owner",
                                                   "delivery_status", "message"],
                           where=table.c.status.in_(["open", "snoozed"]))
    rank = {name: -n for n, name in enumerate(SEVERITIES)}  # most severe first
    frame = frame.sort_values(["severity", "rule"], key=lambda c: c.map(rank) if c.name == "severity" else c)
    print(frame.to_string(index=False, max_colwidth=90) if len(frame) else "no open alerts")
    return 0


def serve_events(args: argparse.Namespace) -> int:
    """Receive signed webhook events into raw.events (README "Events in real time")."""
    from hub.events.serve import serve

    return serve(args.host, args.port)


def export(args: argparse.Namespace) -> int:
    """Write warehouse tables to CSV or Parquet, chunk by chunk, with progress on stderr."""
    from hub.export import analytics_tables, export_table
    from hub.warehouse import Warehouse

    warehouse = Warehouse(settings().warehouse_url)
    warehouse.migrate()
    if args.list:
        print("\n".join(analytics_tables(warehouse)))
        return 0
    names = analytics_tables(warehouse) if args.all else args.tables
    if not names:
        raise SystemExit("hub export: name tables (customers raw.events ...) or pass --all")

    def progress(name: str, done: int, total: int) -> None:
        if total > args.chunk_size:  # small tables: the one summary line is enough
            print(f"  {name}: {done:,} / {total:,} rows ({100 * done // max(total, 1)}%)", file=sys.stderr, flush=True)

    for name in names:
        try:
            done = export_table(warehouse, name, args.format, Path(args.out), chunk_size=args.chunk_size,
                                progress=progress)
        except ValueError as exc:
            raise SystemExit(f"hub export: {exc}") from None
        print(f"{done.table}: {done.rows:,} rows -> {done.path}", flush=True)
    return 0


def dictionary(args: argparse.Namespace) -> int:
    from hub import dictionary as data_dictionary

    if args.write:
        for path in data_dictionary.write():
            print(f"wrote {path.relative_to(data_dictionary.ROOT)}")
        return 0
    stale = data_dictionary.stale_files()
    for path in stale:
        print(f"hub dictionary: {path.relative_to(data_dictionary.ROOT)} is stale: run `hub dictionary --write`",
              file=sys.stderr)
    return 1 if stale else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hub", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("demo", help="run the whole pipeline once against local emulators")
    p.add_argument("--ui", action="store_true", help="keep the emulators up and start the Dagster UI")
    p.add_argument("--port", type=int, default=3000, help="the UI's port with --ui (default 3000)")
    p.add_argument("--companies", type=int, default=300, help="synthetic companies (default 300)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--tidy", action="store_true",
                   help="no mess in the synthetic data (omitted fields, odd text, duplicates...): for benchmarks")
    p.set_defaults(func=demo)
    p = commands.add_parser("emulate", help="serve the Airtable, HubSpot and Salesforce emulators")
    p.add_argument("--companies", type=int, default=300)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--no-rate-limits", action="store_true")
    p.set_defaults(func=emulate)
    p = commands.add_parser("instance", help="print a deployment's Dagster instance config (dagster.yaml), "
                                             "or --write it into DAGSTER_HOME")
    p.add_argument("deployment", nargs="?", choices=DEPLOYMENTS, default="single-user")
    p.add_argument("--write", action="store_true", help="write $DAGSTER_HOME/dagster.yaml unless it exists")
    p.set_defaults(func=instance)
    p = commands.add_parser("check", help="try HUB_CONFIG, the warehouse, each source and alert channel: "
                                          "one line each (ok / what is wrong / how to fix)")
    p.set_defaults(func=check)
    p = commands.add_parser("migrate", help="apply the warehouse DDL of sql/ to HUB_WAREHOUSE_URL")
    p.set_defaults(func=migrate)
    p = commands.add_parser("alerts", help="list open alerts, or snooze one (--snooze ALERT_ID --hours N)")
    p.add_argument("--snooze", metavar="ALERT_ID", help="mute this alert; a reminder follows if it still holds")
    p.add_argument("--hours", type=float, default=24.0, help="snooze length (default 24)")
    p.set_defaults(func=alerts)
    p = commands.add_parser("serve-events", help="receive signed webhook events (seed 000, HubSpot v3, "
                                                 "bearer token) into raw.events; the events sensor acts on them")
    p.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1: put a TLS proxy in front)")
    p.add_argument("--port", type=int, default=8787)
    p.set_defaults(func=serve_events)
    p = commands.add_parser("export", help="write tables to CSV or Parquet files (customers, raw.events, "
                                           "or --all analytics tables), streamed in chunks")
    p.add_argument("tables", nargs="*", metavar="TABLE", help="an analytics table, or layer.table")
    p.add_argument("--all", action="store_true", help="every analytics table")
    p.add_argument("--list", action="store_true", help="list the analytics tables and stop")
    p.add_argument("--format", choices=["csv", "parquet"], default="csv")
    p.add_argument("--out", default="exports", help="folder for the files (default ./exports)")
    p.add_argument("--chunk-size", type=int, default=50_000, help="rows read and written at a time")
    p.set_defaults(func=export)
    from hub.tracking.cli import add_parser as add_track_parser

    add_track_parser(commands)  # hub track …: seed 001's tracking commands
    from hub.governance.cli import add_parser as add_erase_parser

    add_erase_parser(commands)  # hub erase …: right to erasure (docs/governance.md)
    from hub.reports.cli import add_parser as add_report_parser

    add_report_parser(commands)  # hub report …: the weekly and monthly reports (README "Reports")
    p = commands.add_parser("dictionary", help="check docs/data-dictionary.md and the PostgreSQL COMMENTs "
                                               "against hub/dictionary.yaml, or --write them")
    p.add_argument("--write", action="store_true", help="regenerate the files that are stale")
    p.set_defaults(func=dictionary)
    args = parser.parse_args(argv)
    from hub.config import ConfigError

    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:  # one message naming the key, not a traceback per step
        print(f"hub: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
