"""Product events of anonymous visitors in the usage logs: a line naming an ``anonymous_id`` and no
``customer_id`` is loaded (kept with its ``source``), counted as loaded, never as an unknown customer;
a line naming neither is quarantined as before. The synthetic funnel lands and the funnel KPIs read it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from hub import funnel, synth
from hub.config import load_config
from hub.kpi_catalogue import evaluate
from hub.pipeline.kpis import read_kpi_inputs
from hub.usage import ingest_usage_files, list_usage_files, read_usage_events
from hub.warehouse import Warehouse


def test_anonymous_product_events_load_with_their_source(warehouse: Warehouse, tmp_path: Path) -> None:
    lines = [{"timestamp": "2026-11-20T10:00:00Z", "anonymous_id": "anon_1", "event": funnel.LANDED,
              "source": "Product Hunt"},
             {"timestamp": "2026-11-20T10:05:00Z", "anonymous_id": "anon_1", "customer_id": "BETA-1",
              "event": funnel.COMPLETED, "source": "Product Hunt"},
             {"timestamp": "2026-11-20T10:06:00Z", "event": funnel.LANDED, "source": "Twitter"}]
    (tmp_path / "landing").mkdir()
    (tmp_path / "landing" / "p.jsonl").write_text("\n".join(json.dumps(r) for r in lines) + "\n")
    stats = ingest_usage_files(warehouse, list_usage_files(tmp_path / "landing"),
                               now=dt.datetime(2026, 11, 21, tzinfo=dt.UTC))
    assert (stats.lines_in, stats.lines_loaded, stats.lines_quarantined) == (3, 2, 1)
    assert "missing required field 'customer_id'" in warehouse.read("raw", "quarantine")["reason"].iloc[0]
    events = read_usage_events(warehouse).sort_values("line_no")
    assert events["anonymous_id"].tolist() == ["anon_1", "anon_1"]
    assert events["source"].tolist() == ["Product Hunt", "Product Hunt"]
    assert events["customer_ref"].isna().tolist() == [True, False]


def test_the_synthetic_funnel_lands_and_the_kpis_read_it(sqlite_warehouse: Warehouse, tmp_path: Path) -> None:
    data = synth.generate(120, seed=7, as_of=dt.date(2026, 12, 1))
    synth.write_funnel_logs(data, tmp_path / "landing")
    stats = ingest_usage_files(sqlite_warehouse, list_usage_files(tmp_path / "landing"),
                               now=dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    assert stats.lines_loaded == len(data.funnel_events) and stats.lines_quarantined == 0
    frame = evaluate(read_kpi_inputs(sqlite_warehouse, load_config()), load_config()["kpis"]["catalogue"],
                     pd.Timestamp("2026-12-01", tz="UTC"), "now").set_index(["kpi", "grain"])
    week = frame.loc[("form_start_rate", "week")]
    assert week["period"] == "2026-W48" and week["status"] in ("green", "yellow", "red") and week["denominator"] > 10
    assert json.loads(week["detail"])["by_source"]


def test_anonymous_product_events_in_csv_take_the_line_by_line_path(warehouse: Warehouse, tmp_path: Path) -> None:
    (tmp_path / "landing").mkdir()
    (tmp_path / "landing" / "p.csv").write_text(
        "timestamp,anonymous_id,event,source\n"
        f"2026-11-20T10:00:00Z,anon_1,{funnel.LANDED},Product Hunt\n"
        f"2026-11-20T10:06:00Z,,{funnel.LANDED},Twitter\n")
    stats = ingest_usage_files(warehouse, list_usage_files(tmp_path / "landing"),
                               now=dt.datetime(2026, 11, 21, tzinfo=dt.UTC))
    assert (stats.lines_in, stats.lines_loaded, stats.lines_quarantined) == (2, 1, 1)
    events = read_usage_events(warehouse)
    assert events["anonymous_id"].tolist() == ["anon_1"] and events["customer_ref"].isna().all()
