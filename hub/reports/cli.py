"""``hub report <name> --period 2026-W48``: render a report for any week or month by hand."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from hub.config import load_config, settings
from hub.reports.deliver import deliver_reports
from hub.reports.period import last_complete_period, parse_period
from hub.reports.store import REPORTS, Rendered, render_reports
from hub.warehouse import Warehouse

REPO = Path(__file__).resolve().parents[2]


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("report", help="render a weekly or monthly report (Markdown, HTML, PNG charts) for "
                                           "any period into HUB_HOME/reports and analytics.reports")
    p.add_argument("name", choices=[*REPORTS, "weekly", "monthly"],
                   help="a report, or 'weekly' / 'monthly' for every report of that grain")
    p.add_argument("--period", help="an ISO week (2026-W48) or a month (2026-11); default: the last complete one")
    p.add_argument("--send", action="store_true",
                   help="also send it by the channels reports.deliver switches on, even those that took this "
                        "period before (a resend); without it nothing is sent")
    p.set_defaults(func=report)


def names_for(name: str) -> list[str]:
    grain = {"weekly": "week", "monthly": "month"}.get(name)
    return [n for n, (g, _) in REPORTS.items() if g == grain] if grain else [name]


def report(args: argparse.Namespace) -> int:
    names = names_for(args.name)
    grain = REPORTS[names[0]][0]
    try:
        period = parse_period(args.period) if args.period else last_complete_period(grain)
        if period.grain != grain:
            raise ValueError(f"{args.name} is {grain}ly: give a period like "
                             f"{'2026-W48' if grain == 'week' else '2026-11'}, not {period.label}")
    except ValueError as exc:
        raise SystemExit(f"hub report: {exc}") from None
    s = settings()
    warehouse = Warehouse(s.warehouse_url)
    warehouse.migrate()
    config = load_config(s.config_file)
    rendered = render_reports(warehouse, config, names, period, s.home)
    print_rendered(rendered)
    if args.send:
        return send(warehouse, config, rendered)
    return 0


def send(warehouse: Warehouse, config: dict[str, Any], rendered: list[Rendered]) -> int:
    """Resend by hand through the channels a run would use (HUB_SMTP_*, HUB_ALERT_*)."""
    import dagster as dg

    if str(REPO) not in sys.path:  # resources/ is run from the repository root
        sys.path.insert(0, str(REPO))
    from hub.definitions import build_resources

    with dg.build_resources({"alert_channels": build_resources()["alert_channels"]}) as built:
        channels = built.alert_channels.channels()
    if not channels:
        print("sent nowhere: no alert channel is configured (HUB_SMTP_HOST, HUB_ALERT_SLACK_WEBHOOK_URL, ...)")
        return 1
    result = deliver_reports(warehouse, config, channels, rendered, force=True)
    for report, channel, outcome in result.preview.itertuples(index=False):
        print(f"{report} {rendered[0].period.label} -> {channel}: {outcome}")
    if not len(result.preview):
        print(f"sent nowhere: reports.deliver switches off {', '.join(c.name for c in channels)}")
    return 1 if result.metadata["failed"] or not len(result.preview) else 0


def print_rendered(rendered: list[Rendered]) -> None:
    for r in rendered:
        print(f"{r.name} {r.period.label}: {r.html}  ({len(r.charts)} charts, report.md beside it)")


def render_weekly_for_demo(warehouse: Warehouse, home: Path) -> list[Rendered]:
    """The weekly reports for the last complete ISO week (``hub demo``'s closing step)."""
    return render_reports(warehouse, load_config(settings().config_file), names_for("weekly"),
                          last_complete_period("week"), home)
