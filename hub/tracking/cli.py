"""``hub track …``: seed 001's customer-tracking commands, over the warehouse instead of CSV files."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from hub.config import settings


def tracking_dir() -> Path:
    """The landing folder of the team's CSV files: HUB_TRACKING_DIR, else $HUB_HOME/landing/tracking."""
    return Path(os.environ.get("HUB_TRACKING_DIR") or settings().home / "landing" / "tracking")


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``hub track`` and its subcommands."""
    track = commands.add_parser("track", help="seed 001's customer tracking: add-customer, update-onboarding, "
                                              "record-engagement, reports, export-data, load CSV files")
    sub = track.add_subparsers(dest="track_command", required=True)
    p = sub.add_parser("add-customer", help="track a new customer; prints its id")
    for name in ("email", "organization", "github_username", "cohort", "industry", "team_size"):
        p.add_argument(name)
    p = sub.add_parser("update-onboarding", help="set an onboarding step (e.g. github_action_installed true)")
    for name in ("customer_id", "step", "value"):
        p.add_argument(name)
    p = sub.add_parser("record-engagement", help="add today's activity counts for a customer")
    for name in ("customer_id", "issues_tagged", "prs_generated", "prs_merged", "prs_rejected", "support_requests"):
        p.add_argument(name)
    sub.add_parser("onboarding-report", help="onboarding progress per customer")
    p = sub.add_parser("engagement-report", help="activity per customer over the last DAYS days")
    p.add_argument("days", nargs="?", type=int, default=7)
    p = sub.add_parser("export-data", help="write the tracking tables and both reports as CSV files")
    p.add_argument("--out", default="exports/tracking")
    p = sub.add_parser("load", help="load new CSV files of the landing folder (HUB_TRACKING_DIR)")
    p.add_argument("folder", nargs="?", help="default: HUB_TRACKING_DIR or $HUB_HOME/landing/tracking")
    track.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hub.tracking import commands, reports
    from hub.tracking.records import Refused
    from hub.warehouse import Warehouse

    warehouse = Warehouse(settings().warehouse_url)
    warehouse.migrate()
    command = args.track_command
    try:
        if command == "add-customer":
            print(commands.add_customer(warehouse, args.email, args.organization, args.github_username, args.cohort,
                                        args.industry, args.team_size))
        elif command == "update-onboarding":
            record = commands.update_onboarding(warehouse, args.customer_id, args.step, args.value)
            print(f"{args.customer_id}: {record['step']} = {record['value']} ({'done' if record['done'] else 'not done'})")
        elif command == "record-engagement":
            counts = [args.issues_tagged, args.prs_generated, args.prs_merged, args.prs_rejected, args.support_requests]
            record = commands.record_engagement(warehouse, args.customer_id, counts)
            print(f"{args.customer_id}: recorded for {record['day']}")
        elif command == "onboarding-report":
            _print(reports.onboarding_report(warehouse))
        elif command == "engagement-report":
            if args.days < 1:
                raise Refused("days must be 1 or more")
            _print(reports.engagement_report(warehouse, args.days))
        elif command == "export-data":
            _export(warehouse, Path(args.out))
        elif command == "load":
            _load(warehouse, Path(args.folder) if args.folder else tracking_dir())
    except Refused as exc:
        raise SystemExit(f"hub track {command}: {exc}") from None
    return 0


def _print(frame) -> None:  # noqa: ANN001 - a DataFrame
    print(frame.to_string(index=False) if len(frame) else "no tracked customers yet")


def _export(warehouse, out: Path) -> None:  # noqa: ANN001 - a Warehouse
    from hub.export import export_table
    from hub.tracking import reports

    for table in ("tracking_customers", "tracking_onboarding", "tracking_engagement"):
        done = export_table(warehouse, f"raw.{table}", "csv", out)
        print(f"{done.table}: {done.rows} rows -> {done.path}")
    for name, frame in (("onboarding_report", reports.onboarding_report(warehouse)),
                        ("engagement_report_30d", reports.engagement_report(warehouse, 30))):
        path = out / f"{name}.csv"
        frame.to_csv(path, index=False)
        print(f"{name}: {len(frame)} rows -> {path}")


def _load(warehouse, folder: Path) -> None:  # noqa: ANN001 - a Warehouse
    from hub.tracking.files import load_folder

    reports = load_folder(warehouse, folder)
    if not reports:
        print(f"no CSV files in {folder}")
    for r in reports:
        if r.kind in ("skipped", "unreadable"):
            print(f"{r.file_name}: {r.kind} ({r.reason})")
        else:
            print(f"{r.file_name}: {r.kind}, {r.rows_in} rows in = {r.rows_loaded} loaded + "
                  f"{r.rows_quarantined} quarantined")
