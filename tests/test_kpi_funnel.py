"""Funnel KPIs from product events: hand-made visitors in the usage-event store, the ``kpi_period``
step run on 2026-11-30 (a Monday) on each warehouse, each rate compared with the value worked by
hand from docs/kpis.md (cohort: first *from* event in the period; converted: a *to* event at or
after it, up to the run). Week = 2026-W48 (Mon 23 – Sun 29 November); month = 2026-10. And the
synthetic funnel: near the seed's rates, written as usage-log lines.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from hub import funnel, synth
from hub.config import load_config
from hub.pipeline.kpis import build_kpi_period
from hub.usage_store import UsageEventStore
from hub.warehouse import Warehouse

AS_OF = pd.Timestamp("2026-11-30", tz="UTC")
L, S, C, D, V = funnel.LANDED, funnel.STARTED, funnel.COMPLETED, funnel.DEMO, funnel.DOCS
EVENTS = [  # when, visitor, customer_ref, event, source
    ("2026-11-23T10:00:00Z", "v1", None, L, "Product Hunt"), ("2026-11-23T10:05:00Z", "v1", None, S, "Product Hunt"),
    ("2026-11-23T10:20:00Z", "v1", "BETA-1", C, "Product Hunt"), ("2026-11-24T09:00:00Z", "v1", "BETA-1", D, None),
    ("2026-11-24T11:00:00Z", "v2", None, L, "Product Hunt"), ("2026-11-24T11:02:00Z", "v2", None, S, "Product Hunt"),
    ("2026-11-25T08:00:00Z", "v3", None, L, "Twitter"), ("2026-11-25T08:10:00Z", "v3", None, V, "Twitter"),
    ("2026-11-26T12:00:00Z", "v4", None, L, "Twitter"),
    ("2026-11-28T09:00:00Z", "v5", None, L, "Email"), ("2026-11-28T09:30:00Z", "v5", None, V, "Email"),
    ("2026-11-30T07:00:00Z", "v5", None, S, "Email"), ("2026-11-30T07:20:00Z", "v5", "BETA-5", C, "Email"),
    ("2026-11-20T10:00:00Z", "v6", None, L, "Product Hunt"), ("2026-11-23T16:00:00Z", "v6", None, S, "Product Hunt"),
    ("2026-10-10T10:00:00Z", "v7", None, V, "Referral"), ("2026-10-12T10:00:00Z", "v7", "BETA-7", C, "Referral"),
    ("2026-10-04T10:00:00Z", "v8", None, D, "Twitter"), ("2026-10-05T10:00:00Z", "v8", None, L, "Twitter"),
    ("2026-11-24T10:00:00Z", None, "BETA-1", C, None),  # a customer's usage line, no visitor: not funnel
]
EXPECTED = {  # (kpi, grain) -> (numerator, denominator, value)
    ("form_start_rate", "week"): (3, 5, 60.0),  # landed v1..v5; started v1 v2 v5 (v5 after the week)
    ("application_completion_rate", "week"): (1, 3, 100 / 3),  # first start v1 v2 v6; completed v1
    ("demo_request_rate", "week"): (1, 5, 20.0),  # v1
    ("docs_to_application_rate", "week"): (1, 2, 50.0),  # docs v3 v5; v5 completed on the 30th
    ("form_start_rate", "month"): (0, 1, 0.0),  # v8 landed, never started
    ("demo_request_rate", "month"): (0, 1, 0.0),  # v8's demo came before landing
    ("docs_to_application_rate", "month"): (1, 1, 100.0),  # v7
}


def _store_events(warehouse: Warehouse, home: Path) -> None:
    """The events as a read of a usage file: Parquet in the store, and its ledger row."""
    rows = [{"line_no": i + 1, "event_key": f"k{i}:{i + 1}", "event_at": dt.datetime.fromisoformat(t),
             "customer_ref": ref, "event": e, "status": None, "user_id": None, "bytes": None,
             "latency_ms": None, "cost": None, "event_count": 1.0, "anonymous_id": v, "source": s}
            for i, (t, v, ref, e, s) in enumerate(EVENTS)]
    table = pa.Table.from_pylist(rows)
    moment = dt.datetime(2026, 11, 30, 1, tzinfo=dt.UTC)
    loaded = UsageEventStore.of(warehouse).write("digest-1", table, "product-events.jsonl", moment)
    warehouse.write("raw", "usage_files", [{"file_digest": "digest-1", "file_name": "product-events.jsonl",
                                            "size_bytes": 1, "lines_in": loaded, "lines_loaded": loaded,
                                            "lines_quarantined": 0, "loaded_at": moment.isoformat()}],
                    key=["file_digest"])


@pytest.fixture
def measured(warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> pd.DataFrame:
    monkeypatch.setenv("HUB_HOME", str(tmp_path))  # PostgreSQL's store lives under HUB_HOME
    _store_events(warehouse, tmp_path)
    build_kpi_period(warehouse, load_config(), AS_OF)
    return warehouse.read("analytics", "kpi_period").set_index(["kpi", "grain"])


def test_funnel_rates_are_the_cohorts_worked_by_hand(measured: pd.DataFrame) -> None:
    for (kpi, grain), (numerator, denominator, value) in EXPECTED.items():
        row = measured.loc[(kpi, grain)]
        assert (row["numerator"], row["denominator"]) == (numerator, denominator), (kpi, grain)
        assert row["value"] == pytest.approx(value, abs=1e-3), (kpi, grain)
    week = measured.loc[("form_start_rate", "week")]
    assert week["period"] == "2026-W48" and week["target"] == 40 and week["status"] == "green"
    assert measured.loc[("application_completion_rate", "week"), "status"] == "green"  # 33 % > 15 %
    by_source = json.loads(week["detail"])["by_source"]
    assert by_source == {"Email": {"numerator": 1, "denominator": 1, "value": 100.0},
                         "Product Hunt": {"numerator": 2, "denominator": 2, "value": 100.0},
                         "Twitter": {"numerator": 0, "denominator": 2, "value": 0.0}}
    # Nobody started an application in October: no cohort, no rate.
    empty = measured.loc[("application_completion_rate", "month")]
    assert empty["status"] == "unknown" and pd.isna(empty["value"]) and empty["reason"] == "no data in the period"


def test_without_funnel_events_the_rates_are_unknown_with_the_reason(sqlite_warehouse: Warehouse) -> None:
    build_kpi_period(sqlite_warehouse, load_config(), AS_OF)
    frame = sqlite_warehouse.read("analytics", "kpi_period").set_index(["kpi", "grain"])
    for kpi in ("form_start_rate", "application_completion_rate", "demo_request_rate", "docs_to_application_rate"):
        row = frame.loc[(kpi, "week")]
        assert row["status"] == "unknown" and pd.isna(row["value"])
        assert row["reason"].startswith("needs product funnel events"), row["reason"]


def test_the_synthetic_funnel_is_near_the_seed_rates(tmp_path: Path) -> None:
    data = synth.generate(300, seed=7)
    events = data.funnel_events
    assert list(events.columns) == ["timestamp", "anonymous_id", "customer_id", "event", "source"]
    assert set(events["event"]) == {L, S, C, D, V}
    start, end = pd.Timestamp("2000-01-01", tz="UTC"), pd.Timestamp("2100-01-01", tz="UTC")
    frame = events.rename(columns={"timestamp": "event_at", "customer_id": "customer_ref"})
    started = funnel.cohort_rate(frame, start, end, L, S)
    completed = funnel.cohort_rate(frame, start, end, S, C)
    demo = funnel.cohort_rate(frame, start, end, L, D)
    docs = funnel.cohort_rate(frame, start, end, V, C)
    assert 0.3 < started.converted / started.visitors < 0.6
    assert 0.2 < completed.converted / completed.visitors < 0.5
    assert 0.07 < demo.converted / demo.visitors < 0.2
    assert 0.03 < docs.converted / docs.visitors < 0.3
    assert len(started.by_source) >= 5
    # Visitors are anonymous until they apply; then their Application ID is an Airtable application's.
    apps = {r["fields"]["Application ID"] for r in data.airtable["Beta Applications"] if "Application ID" in r["fields"]}
    known = events.dropna(subset=["customer_id"])
    assert set(known["event"]) <= {C, D} and set(known["customer_id"]) <= apps
    assert events.loc[events["event"] == C, "customer_id"].notna().all()
    # Written as usage-log lines: one JSON Lines file per day, every event once.
    paths = synth.write_funnel_logs(data, tmp_path)
    lines = [json.loads(line) for p in paths for line in p.read_text().splitlines()]
    assert len(lines) == len(events) and all("anonymous_id" in r and "source" in r for r in lines)
    assert sum("customer_id" in r for r in lines) == len(known)
