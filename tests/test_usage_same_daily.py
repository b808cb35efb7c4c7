"""The column-wise path gives the same ``usage_daily`` as the line-by-line one it replaced, on the
same files and warehouse: events read line by line, landed in ``raw.usage_events`` through the
write API and rolled up by ``usage_daily`` (pandas), against ``ingest_usage`` + ``build_usage_daily``."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pandas as pd

from hub import synth
from hub.pipeline.steps import crosswalk, customer_lookup, with_customer
from hub.pipeline.usage import build_usage_daily, ingest_usage
from hub.usage import UsageRules, list_usage_files, read_usage_events, usage_daily
from hub.usage_files import read_segment
from hub.warehouse import Warehouse, utcnow


def _customers(warehouse: Warehouse, refs: list[str]) -> None:
    """Every customer id in the logs known to a source but the last two (their lines stay unknown)."""
    known = refs[:-2]
    warehouse.write("staging", "companies", [
        {"record_id": f"airtable:applications:rec{n}", "source": "airtable", "source_object": "applications",
         "source_id": f"rec{n}", "application_id": ref, "name": f"Company {n}"} for n, ref in enumerate(known)],
        key=["record_id"])
    warehouse.write("analytics", "customer_sources", [
        {"source": "airtable", "source_object": "applications", "source_id": f"rec{n}", "customer_id": f"cus_{n:03d}",
         "match_rule": "application_id", "match_score": 1.0} for n in range(len(known))],
        key=["source", "source_object", "source_id"])


def _line_by_line_daily(warehouse: Warehouse, directory: Path) -> pd.DataFrame:
    """Yesterday's path: each line read and validated alone, one warehouse row per event."""
    now, rules = utcnow(), UsageRules(stable_seconds=0)
    events = []
    for path in list_usage_files(directory):
        segment = read_segment(path, None, rules, now, per_line=True)
        events += [{**{k: v for k, v in e.items() if k != "line_text"},
                    "event_key": f"{hashlib.sha1(e['line_text'].encode('utf-8', 'surrogatepass')).hexdigest()[:20]}"
                                 f":{e['line_no']}",
                    "file_name": path.name, "_loaded_at": now.isoformat()} for e in segment.rows]
    warehouse.write("raw", "usage_events", events, key=["event_key"], update=[])
    stored = warehouse.read("raw", "usage_events")
    reports = with_customer(warehouse.read("staging", "usage_reports"), crosswalk(warehouse))
    daily, _unknown = usage_daily(stored, reports, customer_lookup(warehouse))
    warehouse.write("analytics", "usage_daily", daily, mode="replace")
    return warehouse.read("analytics", "usage_daily")


def test_the_column_wise_path_gives_the_same_usage_daily(warehouse: Warehouse, tmp_path: Path,
                                                          monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("HUB_HOME", str(tmp_path))
    data = synth.generate(60, seed=11, as_of=dt.datetime.now(dt.UTC).date())
    landing = tmp_path / "landing"
    synth.write_usage_logs(data, landing / "json", fmt="jsonl.gz", bad_lines=40, seed=3)
    synth.write_usage_logs(data, landing / "csv", fmt="csv", bad_lines=10, seed=4)
    _customers(warehouse, sorted(data.usage_events["customer_id"].unique()))

    ingest_usage(warehouse, landing, {"usage": {"stable_seconds": 0}})
    build_usage_daily(warehouse)
    new = warehouse.read("analytics", "usage_daily")
    loaded = len(read_usage_events(warehouse))
    old = _line_by_line_daily(warehouse, landing)

    assert len(new) > 300 and loaded > 2 * len(data.usage_events) * 0.9
    assert set(new["origin"]) == {"usage_log"}
    key = ["customer_id", "date"]
    new, old = (frame.sort_values(key).reset_index(drop=True) for frame in (new, old))
    # Every column equal, counts exactly; cost, a sum of fractions, up to the order of its additions.
    pd.testing.assert_frame_equal(new.drop(columns="cost"), old.drop(columns="cost"), check_exact=True)
    pd.testing.assert_series_equal(new["cost"], old["cost"], check_exact=False, rtol=1e-12, atol=0)
