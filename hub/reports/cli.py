"""``hub report <name> --period 2026-W48``: render a report for any week or month by hand."""

from __future__ import annotations

import argparse
from pathlib import Path

from hub.config import load_config, settings
from hub.reports.period import last_complete_period, parse_period
from hub.reports.store import REPORTS, Rendered, render_reports
from hub.warehouse import Warehouse


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("report", help="render a weekly or monthly report (Markdown, HTML, PNG charts) for "
                                           "any period into HUB_HOME/reports and analytics.reports")
    p.add_argument("name", choices=[*REPORTS, "weekly", "monthly"],
                   help="a report, or 'weekly' / 'monthly' for every report of that grain")
    p.add_argument("--period", help="an ISO week (2026-W48) or a month (2026-11); default: the last complete one")
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
    print_rendered(render_reports(warehouse, load_config(s.config_file), names, period, s.home))
    return 0


def print_rendered(rendered: list[Rendered]) -> None:
    for r in rendered:
        print(f"{r.name} {r.period.label}: {r.html}  ({len(r.charts)} charts, report.md beside it)")


def render_weekly_for_demo(warehouse: Warehouse, home: Path) -> list[Rendered]:
    """The weekly reports for the last complete ISO week (``hub demo``'s closing step)."""
    return render_reports(warehouse, load_config(settings().config_file), names_for("weekly"),
                          last_complete_period("week"), home)
