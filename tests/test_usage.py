"""Usage logs: every line loaded or quarantined, files never counted twice, daily roll-up."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd

from hub.usage import ingest_usage_files, list_usage_files, read_usage_events, usage_daily
from hub.warehouse import Warehouse


def _write(directory: Path) -> None:
    lines = [
        {"timestamp": "2026-11-20T10:00:00Z", "customer_id": "BETA-000001", "event": "api_call", "status": "ok",
         "user_id": "u1", "bytes": 100, "cost": 0.01},
        {"timestamp": "2026-11-20T11:00:00Z", "customer_id": "BETA-000001", "event": "sign", "status": "error",
         "user_id": "u2"},
        {"timestamp": "2026-11-20T12:00:00+01:00", "customer_id": "001X", "event": "verify", "status": "500"},
        {"timestamp": "yesterday", "customer_id": "BETA-000001", "event": "api_call"},
        {"customer_id": "BETA-000001", "event": "api_call"},
        {"timestamp": "2026-11-20T10:00:00Z", "customer_id": "BETA-000009", "event": "api_call"},
    ]
    text = "\n".join(json.dumps(line) for line in lines) + "\n{not json\n"
    with gzip.open(directory / "usage-2026-11-20.jsonl.gz", "wt") as fh:
        fh.write(text)
    (directory / "usage.csv").write_text(
        "timestamp,customer_id,event,status,user_id,bytes\n"
        "2026-11-21T09:00:00Z,BETA-000001,api_call,ok,u1,5\n"
        "2026-11-21T09:00:00Z,BETA-000001,api_call,ok\n"
        "2026-11-21T09:05:00Z,BETA-000001,verify,ok,u3,abc\n")


def test_every_line_is_loaded_or_quarantined_once(warehouse: Warehouse, tmp_path: Path) -> None:
    _write(tmp_path)
    files = list_usage_files(tmp_path)
    stats = ingest_usage_files(warehouse, files)
    assert stats.lines_in == 10
    assert stats.lines_in == stats.lines_loaded + stats.lines_quarantined
    assert (stats.lines_loaded, stats.lines_quarantined) == (5, 5)
    reasons = " | ".join(warehouse.read("raw", "quarantine")["reason"])
    for expected in ("not RFC 3339", "missing required field 'timestamp'", "not valid JSON",
                     "expected 6 CSV columns", "'bytes' is not a number"):
        assert expected in reasons
    again = ingest_usage_files(warehouse, files)
    assert (again.files_read, again.files_skipped) == (0, 2)
    assert len(read_usage_events(warehouse)) == 5


def test_daily_rollup_counts_calls_errors_and_unknown_customers(warehouse: Warehouse, tmp_path: Path) -> None:
    _write(tmp_path)
    ingest_usage_files(warehouse, list_usage_files(tmp_path))
    events = read_usage_events(warehouse)
    daily, unknown = usage_daily(events, pd.DataFrame(), {"BETA-000001": "cus_a", "001X": "cus_b"})
    day = daily.set_index(["customer_id", "date"])
    assert day.loc[("cus_a", "2026-11-20"), "api_calls"] == 2
    assert day.loc[("cus_a", "2026-11-20"), "sign_operations"] == 1
    assert day.loc[("cus_a", "2026-11-20"), "errors"] == 1
    assert day.loc[("cus_a", "2026-11-20"), "active_users"] == 2
    assert day.loc[("cus_b", "2026-11-20"), "errors"] == 1  # HTTP 500 status
    assert unknown["customer_ref"].tolist() == ["BETA-000009"]
