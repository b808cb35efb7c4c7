"""The seeds' reports render for the demo world with charts that are not blank; the schedules tick
on Monday 08:00 in HUB_TIMEZONE; `hub report` renders any period by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import numpy as np
import pytest
from PIL import Image

from hub import synth
from hub.emulators import start_emulators
from hub.reports.period import from_partition_key, last_complete_period, parse_period, partition_key
from hub.reports.store import REPORTS
from hub.warehouse import Warehouse


def _not_blank(path: Path) -> bool:
    pixels = np.asarray(Image.open(path).convert("RGB")).reshape(-1, 3)
    colours = np.unique(pixels, axis=0)
    non_white = (pixels < 245).any(axis=1).mean()
    return len(colours) > 2 and non_white > 0.01


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):
    """The demo-like world after one nightly_sync on SQLite, and the environment pointing at it."""
    home = tmp_path_factory.mktemp("home")
    warehouse = Warehouse(f"sqlite:///{home / 'warehouse.db'}")
    warehouse.migrate()
    data = synth.generate(40, seed=7)
    env = {"HUB_HOME": str(home), "HUB_USAGE_LOG_DIR": str(home / "landing"), "HUB_WAREHOUSE_URL": warehouse.url}
    with pytest.MonkeyPatch.context() as patch, start_emulators(data, rate_limits=False) as running:
        for name, value in {**running.env(), **env}.items():
            patch.setenv(name, value)
        synth.write_usage_logs(data, home / "landing", seed=7)
        from hub.definitions import build_definitions

        with dg.DagsterInstance.ephemeral() as instance:
            assert build_definitions().resolve_job_def("nightly_sync").execute_in_process(instance=instance).success
        yield warehouse, home, env


def test_periods_read_as_the_kpi_catalogue_counts_them() -> None:
    week = parse_period("2026-W48")
    assert (week.start.date(), week.end.date()) == (dt.date(2026, 11, 23), dt.date(2026, 11, 30))
    month = parse_period("2026-11")
    assert (month.start.date(), month.end.date()) == (dt.date(2026, 11, 1), dt.date(2026, 12, 1))
    assert from_partition_key("2026-11-23", "week").label == "2026-W48"
    assert partition_key(month) == "2026-11-01"
    with pytest.raises(ValueError, match="2026-W48"):
        parse_period("last week")


def test_every_report_renders_with_charts_that_are_not_blank(world) -> None:
    from hub.config import load_config
    from hub.reports.store import render_reports

    warehouse, home, _ = world
    config = load_config(None)
    for grain in ("week", "month"):
        period = last_complete_period(grain)
        names = [n for n, (g, _) in REPORTS.items() if g == grain]
        for rendered in render_reports(warehouse, config, names, period, home):
            assert rendered.folder == home / "reports" / rendered.name / period.label
            assert (rendered.folder / "report.md").read_text().startswith("# ")
            assert "<img" in rendered.html.read_text() and "<table>" in rendered.html.read_text()
            assert rendered.charts, rendered.name
            for chart in rendered.charts:
                assert chart.exists() and _not_blank(chart), chart
    stored = warehouse.read("analytics", "reports")
    assert sorted(stored["name"]) == sorted(REPORTS)
    assert stored["markdown"].str.len().min() > 200


def test_a_report_asset_shows_its_markdown_and_charts(world, monkeypatch: pytest.MonkeyPatch) -> None:
    warehouse, home, env = world
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    from hub.definitions import build_definitions

    job = build_definitions().resolve_job_def("weekly_reports")
    week = last_complete_period("week")
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance, partition_key=partition_key(week))
    assert result.success
    materialized = {m.asset_key.to_user_string(): m.metadata for m in result.asset_materializations_for_node(
        "analytics__reports__weekly_customer_success")}
    metadata = materialized["analytics/reports/weekly_customer_success"]
    assert "# Customer success report" in metadata["report"].value
    charts = [v.value for k, v in metadata.items() if k.startswith("chart_")]
    assert charts and all(Path(c).exists() for c in charts)


def test_weekly_schedule_ticks_monday_0800_in_hub_timezone() -> None:
    from dagster._utils.schedules import cron_string_iterator

    from schedules.reports import monthly_reports_schedule_in, weekly_reports_schedule_in

    weekly = weekly_reports_schedule_in("Europe/Berlin")
    assert weekly.execution_timezone == "Europe/Berlin"
    # Wednesday 2 Dec 2026, 12:00 UTC: the next tick is Monday 7 Dec 08:00 in Berlin (07:00 UTC).
    start = dt.datetime(2026, 12, 2, 12, tzinfo=dt.UTC).timestamp()
    tick = next(cron_string_iterator(start, weekly.cron_schedule, weekly.execution_timezone))
    assert tick.isoformat() == "2026-12-07T08:00:00+01:00"
    assert tick.astimezone(dt.UTC).hour == 7
    # That tick renders the ISO week that just ended (2026-W49, Monday 30 Nov).
    context = dg.build_schedule_context(scheduled_execution_time=tick)
    request = weekly(context)
    assert request.partition_key == "2026-11-30"
    monthly = monthly_reports_schedule_in("Europe/Berlin")
    tick = next(cron_string_iterator(start, monthly.cron_schedule, monthly.execution_timezone))
    assert tick.isoformat() == "2027-01-01T08:00:00+01:00"
    assert monthly(dg.build_schedule_context(scheduled_execution_time=tick)).partition_key == "2026-12-01"


def test_hub_report_renders_any_period_and_says_where(world, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    warehouse, home, env = world
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    from hub.cli import main

    assert main(["report", "weekly_beta_engagement", "--period", "2026-W40"]) == 0
    out = capsys.readouterr().out
    folder = home / "reports" / "weekly_beta_engagement" / "2026-W40"
    assert str(folder / "report.html") in out
    assert (folder / "report.md").exists() and list(folder.glob("*.png"))
    with pytest.raises(SystemExit, match="weekly"):
        main(["report", "weekly_acquisition", "--period", "2026-10"])


def test_every_report_renders_before_anything_is_synced(sqlite_warehouse: Warehouse, tmp_path: Path) -> None:
    """A backfill or a first scheduled run on an empty warehouse renders, with zeros and 'unknown'."""
    from hub.config import load_config
    from hub.reports.store import render_reports

    for grain, label in (("week", "2026-W47"), ("month", "2026-10")):
        names = [n for n, (g, _) in REPORTS.items() if g == grain]
        for rendered in render_reports(sqlite_warehouse, load_config(None), names, parse_period(label), tmp_path):
            assert rendered.markdown.startswith("# ") and rendered.charts, rendered.name
