"""Seed 001's onboarding (monthly) and engagement (weekly) reports: rendered on a demo-like world by
`hub report … --period`, with charts that are not blank; the early-access tracking spreadsheets'
section appears once `hub track` has recorded something."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import numpy as np
import pytest
from PIL import Image

from hub import synth
from hub.emulators import start_emulators
from hub.tracking import commands
from hub.warehouse import Warehouse


def _not_blank(path: Path) -> bool:
    pixels = np.asarray(Image.open(path).convert("RGB")).reshape(-1, 3)
    return len(np.unique(pixels, axis=0)) > 2 and (pixels < 245).any(axis=1).mean() > 0.01


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):
    """The demo-like world after one nightly_sync on SQLite, as of 2026-12-01 (the periods below are complete)."""
    home = tmp_path_factory.mktemp("home")
    warehouse = Warehouse(f"sqlite:///{home / 'warehouse.db'}")
    warehouse.migrate()
    data = synth.generate(60, seed=5, as_of=dt.date(2026, 12, 1))
    env = {"HUB_HOME": str(home), "HUB_USAGE_LOG_DIR": str(home / "landing"), "HUB_WAREHOUSE_URL": warehouse.url}
    with pytest.MonkeyPatch.context() as patch, start_emulators(data, rate_limits=False) as running:
        for name, value in {**running.env(), **env}.items():
            patch.setenv(name, value)
        synth.write_usage_logs(data, home / "landing", seed=5)
        from hub.definitions import build_definitions

        with dg.DagsterInstance.ephemeral() as instance:
            assert build_definitions().resolve_job_def("nightly_sync").execute_in_process(instance=instance).success
        yield warehouse, home, env


@pytest.mark.parametrize(("name", "period", "heading"), [
    ("weekly_engagement", "2026-W48", "# Engagement report"),
    ("monthly_onboarding", "2026-11", "# Onboarding report"),
])
def test_hub_report_renders_seed_001_reports(world, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str], name: str, period: str,
                                             heading: str) -> None:
    warehouse, home, env = world
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    from hub.cli import main

    assert main(["report", name, "--period", period]) == 0
    folder = home / "reports" / name / period
    assert str(folder / "report.html") in capsys.readouterr().out
    markdown = (folder / "report.md").read_text()
    assert markdown.startswith(heading) and "| KPI | value | target | status | note |" in markdown
    assert "<table>" in (folder / "report.html").read_text()
    charts = sorted(folder.glob("*.png"))
    assert len(charts) >= 2 and all(_not_blank(c) for c in charts), charts
    assert "No tracking spreadsheets loaded" in markdown or "No tracked engagement" in markdown
    stored = warehouse.read("analytics", "reports").set_index(["name", "period"])
    assert stored.loc[(name, period), "markdown"] == markdown


def test_onboarding_counts_each_beta_customer_once_and_steps_in_order(world) -> None:
    from hub.config import load_config
    from hub.reports.early_access import STEPS, EarlyAccessInputs, journey
    from hub.reports.inputs import read_inputs
    from hub.reports.period import parse_period

    warehouse, _, _ = world
    month = parse_period("2026-11")
    inputs = EarlyAccessInputs.of(read_inputs(warehouse, load_config(None)), warehouse, month)
    steps = journey(inputs, month.end)
    assert len(steps) and steps["customer_id"].is_unique
    done = steps[list(STEPS)].to_numpy()
    assert (done[:, :-1] >= done[:, 1:]).all()  # a customer past a step has done the ones before it
    assert set(steps["next_step"]) <= {*STEPS.values(), "complete"}


def test_tracking_spreadsheets_get_their_section(world, monkeypatch: pytest.MonkeyPatch) -> None:
    warehouse, home, env = world
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    tracked = commands.add_customer(warehouse, "ann@acme-tracking.example", "Acme Tracking", "acme-dev", "VIP",
                                    "SaaS", "15", now=dt.datetime(2026, 11, 2, tzinfo=dt.UTC))
    commands.update_onboarding(warehouse, tracked, "account_created", "true")
    commands.update_onboarding(warehouse, tracked, "github_action_installed", "true")
    commands.record_engagement(warehouse, tracked, ["3", "2", "1", "0", "1"], day=dt.date(2026, 11, 25))
    from hub.cli import main

    assert main(["report", "weekly_engagement", "--period", "2026-W48"]) == 0
    assert main(["report", "monthly_onboarding", "--period", "2026-11"]) == 0
    engagement = (home / "reports" / "weekly_engagement" / "2026-W48" / "report.md").read_text()
    onboarding = (home / "reports" / "monthly_onboarding" / "2026-11" / "report.md").read_text()
    assert f"| {tracked} | Acme Tracking | 3 | 2 | 1 | 0 | 100 | 1 | 1 |" in engagement
    assert f"| {tracked} | Acme Tracking | VIP | 2 | 40 | first_issue_tagged |" in onboarding
    for chart in ("weekly_engagement/2026-W48/tracked_activity.png", "monthly_onboarding/2026-11/tracked_steps.png"):
        assert _not_blank(home / "reports" / chart)
