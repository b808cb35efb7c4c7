"""Usage logs that are hostile, half-written or growing: each failure once reported, on both backends.

Invariant throughout: nothing raises, every other file still loads, and per file
lines in = lines loaded + lines quarantined (events and quarantine rows counted in the database).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from hub.usage import (
    UsageRules,
    ingest_usage_files,
    list_usage_files,
    live_digests,
    read_usage_events,
)
from hub.usage_store import UsageEventStore
from hub.warehouse import Warehouse

GOOD = {"timestamp": "2026-11-20T10:00:00Z", "customer_id": "BETA-000001", "event": "api_call", "status": "ok"}
NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
RULES = UsageRules(stable_seconds=60)


def _line(**changes: object) -> str:
    return json.dumps({**GOOD, **changes})


def _age(path: Path, seconds: float) -> None:
    """Make the file look last written ``seconds`` before NOW."""
    stamp = NOW.timestamp() - seconds
    os.utime(path, (stamp, stamp))


def _ingest(warehouse: Warehouse, directory: Path):
    return ingest_usage_files(warehouse, list_usage_files(directory), RULES, now=NOW)


def _accounting(warehouse: Warehouse) -> None:
    """Per file: lines in = loaded + quarantined, and the database holds exactly those rows."""
    state = warehouse.read("raw", "usage_file_state")
    assert (state["lines_in"] == state["lines_loaded"] + state["lines_quarantined"]).all(), state
    events = read_usage_events(warehouse)["file_name"].value_counts()
    quarantine = warehouse.read("raw", "quarantine", ["source_object", "record_key"])
    lines = quarantine[quarantine["source_object"] == "usage_log"]["record_key"].str.rsplit(":", n=1).str[0]
    for row in state.itertuples():
        name = Path(row.path).name
        if row.status != "duplicate":
            assert events.get(name, 0) == row.lines_loaded, name
        assert int((lines == name).sum()) == row.lines_quarantined, name


def _write_lines(path: Path, lines: list[str], *, gz: bool = False) -> None:
    data = ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")
    path.write_bytes(gzip.compress(data) if gz else data)
    _age(path, 3600)


HOSTILE_LINES = {
    "400-digit bytes": _line(bytes=int("9" * 400)),
    "400-digit count": _line(count=int("9" * 400)),
    "5000-digit number": '{"timestamp": "2026-11-20T10:00:00Z", "customer_id": "B", "event": "api_call", "bytes": '
                         + "7" * 5000 + "}",
    "nested 100k deep": "[" * 100_000 + "]" * 100_000,
    "lone surrogate": '{"timestamp": "2026-11-20T10:00:00Z", "customer_id": "\\ud800", "event": "api_call"}',
    "NUL in a string": '{"timestamp": "2026-11-20T10:00:00Z", "customer_id": "BETA\\u0000X", "event": "api\\u0000"}',
    "infinite cost": _line(cost="Infinity"),
    "NaN bytes": '{"timestamp": "2026-11-20T10:00:00Z", "customer_id": "B", "event": "api_call", "bytes": NaN}',
    "count above the cap": _line(count=10**9),
    "far future": _line(timestamp="2099-01-01T00:00:00Z"),
    "not an object": "[1, 2, 3]",
}


@pytest.mark.parametrize("kind", list(HOSTILE_LINES))
def test_a_hostile_line_is_quarantined_and_the_rest_loads(warehouse: Warehouse, tmp_path: Path, kind: str) -> None:
    _write_lines(tmp_path / "a.jsonl", [_line(), HOSTILE_LINES[kind], _line(user_id="u2")])
    _write_lines(tmp_path / "b.jsonl", [_line(user_id="u3")])
    stats = _ingest(warehouse, tmp_path)
    assert stats.lines_in == stats.lines_loaded + stats.lines_quarantined == 4
    assert stats.lines_loaded >= 3  # the good lines of a.jsonl and all of b.jsonl
    _accounting(warehouse)


def test_nul_and_surrogates_are_made_storable(warehouse: Warehouse, tmp_path: Path) -> None:
    _write_lines(tmp_path / "a.jsonl", [HOSTILE_LINES["lone surrogate"], HOSTILE_LINES["NUL in a string"]])
    assert _ingest(warehouse, tmp_path).lines_loaded == 2
    refs = set(read_usage_events(warehouse)["customer_ref"])
    assert refs == {"\ufffd", "BETAX"}


def test_bounds_and_time_rules_name_the_setting(warehouse: Warehouse, tmp_path: Path) -> None:
    _write_lines(tmp_path / "a.jsonl", [HOSTILE_LINES["count above the cap"], HOSTILE_LINES["far future"],
                                        _line(timestamp="2026-11-20T10:00:00")])
    stats = _ingest(warehouse, tmp_path)
    reasons = " | ".join(warehouse.read("raw", "quarantine")["reason"])
    assert "usage.max_count" in reasons and "in the future" in reasons
    assert stats.lines_loaded == 1  # a time without a zone is read as UTC (usage.naive_timestamps)
    assert read_usage_events(warehouse)["event_at"].astype(str).str.startswith("2026-11-20").all()


def _corrupt(data: bytes) -> bytes:
    """Gzip data whose deflate stream is damaged in the middle (header and trailer intact)."""
    middle = len(data) // 2
    return data[:middle] + bytes(b ^ 0xFF for b in data[middle:middle + 16]) + data[middle + 16:]


@pytest.mark.parametrize("kind", ["truncated gzip", "corrupt gzip", "plain text named .gz"])
def test_an_unreadable_file_is_quarantined_by_name_and_others_load(warehouse: Warehouse, tmp_path: Path,
                                                                    kind: str) -> None:
    body = ("\n".join(_line(user_id=f"u{n}") for n in range(200)) + "\n").encode()
    bad = tmp_path / "bad.jsonl.gz"
    damaged = {"truncated gzip": gzip.compress(body)[:-40], "corrupt gzip": _corrupt(gzip.compress(body))}
    bad.write_bytes(damaged.get(kind, body))
    _age(bad, 3600)
    _write_lines(tmp_path / "good.jsonl", [_line()])
    stats = _ingest(warehouse, tmp_path)
    assert stats.files_unreadable == 1 and stats.lines_loaded == 1
    file_rows = warehouse.read("raw", "quarantine").query("source_object == 'usage_file'")
    assert file_rows["record_key"].tolist() == ["bad.jsonl.gz"]
    reason = file_rows["reason"].iloc[0]
    assert "bad.jsonl.gz" in reason and ("recompress it" if kind == "plain text named .gz" else "re-export it") in reason
    # Not read again while it stays as it is; read again when it changes.
    assert _ingest(warehouse, tmp_path).files_skipped == 2
    bad.write_bytes(gzip.compress(body))
    _age(bad, 1800)  # a new mtime (the corrupt file has the same size as the good one)
    assert _ingest(warehouse, tmp_path).lines_loaded == 200
    _accounting(warehouse)


def test_a_gzip_still_being_written_waits_instead_of_failing(warehouse: Warehouse, tmp_path: Path) -> None:
    body = ("\n".join(_line(user_id=f"u{n}") for n in range(200)) + "\n").encode()
    path = tmp_path / "live.jsonl.gz"
    path.write_bytes(gzip.compress(body)[:-40])
    _age(path, 1)  # written a second ago: still being written
    stats = _ingest(warehouse, tmp_path)
    assert (stats.files_waiting, stats.lines_loaded, stats.files_unreadable) == (1, 0, 0)
    assert warehouse.count("raw", "quarantine") == 0


def test_a_growing_file_loads_each_line_once(warehouse: Warehouse, tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    first = "\n".join(_line(user_id=f"u{n}") for n in range(3)) + "\n" + _line(user_id="u3")[:25]
    path.write_text(first)
    _age(path, 1)  # the writer is mid-line
    assert _ingest(warehouse, tmp_path).lines_loaded == 3
    with path.open("a") as fh:
        fh.write(_line(user_id="u3")[25:] + "\n" + _line(user_id="u4") + "\n")
    _age(path, 0.5)
    again = _ingest(warehouse, tmp_path)
    assert (again.lines_in, again.lines_loaded) == (2, 2)
    assert len(read_usage_events(warehouse)) == 5
    users = sorted(read_usage_events(warehouse)["user_id"])
    assert users == ["u0", "u1", "u2", "u3", "u4"]
    _accounting(warehouse)


def test_a_quiet_file_without_final_newline_loads_its_last_line(warehouse: Warehouse, tmp_path: Path) -> None:
    path = tmp_path / "done.jsonl"
    path.write_text(_line() + "\n" + _line(user_id="last"))
    _age(path, 3600)
    assert _ingest(warehouse, tmp_path).lines_loaded == 2


def test_the_same_lines_under_another_name_or_compression_load_once(warehouse: Warehouse, tmp_path: Path) -> None:
    lines = [_line(user_id=f"u{n}") for n in range(5)]
    _write_lines(tmp_path / "day.jsonl", lines)
    _write_lines(tmp_path / "day.jsonl.gz", lines, gz=True)
    _write_lines(tmp_path / "copy-of-day.jsonl", lines)
    stats = _ingest(warehouse, tmp_path)
    assert len(read_usage_events(warehouse)) == 5
    assert stats.files_duplicate == 2
    _accounting(warehouse)
    # The copies' events were written while they were read, then discarded: of the three ledgered
    # reads, only the first has events in the store.
    stored = UsageEventStore.of(warehouse).files(live_digests(warehouse))
    assert sum(pq.read_metadata(path).num_rows for path in stored) == 5


def test_a_csv_with_a_byte_order_mark_loads(warehouse: Warehouse, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbftimestamp,customer_id,event\r\n2026-11-20T10:00:00Z,BETA-1,api_call\r\n")
    _age(path, 3600)
    stats = _ingest(warehouse, tmp_path)
    assert (stats.lines_loaded, stats.lines_quarantined) == (1, 0)


def test_the_format_follows_the_suffix_only(warehouse: Warehouse, tmp_path: Path) -> None:
    _write_lines(tmp_path / "x.csv.jsonl", [_line(user_id="first"), _line(user_id="second")])
    stats = _ingest(warehouse, tmp_path)
    assert stats.lines_loaded == 2


def test_files_being_written_by_name_are_not_listed(tmp_path: Path) -> None:
    for name in ("a.jsonl.part", "b.jsonl.tmp", ".c.jsonl", "d.jsonl"):
        (tmp_path / name).write_text(_line() + "\n")
    assert [p.name for p in list_usage_files(tmp_path)] == ["d.jsonl"]


def test_unknown_customer_lines_are_quarantined_not_also_loaded(warehouse: Warehouse, tmp_path: Path) -> None:
    """Reported: unknown-customer lines were counted as loaded and as quarantined."""
    from hub.config import load_config
    from hub.pipeline.unified import build_staging, reconcile_customers
    from hub.pipeline.usage import build_usage_daily
    from hub.raw import RAW_OBJECTS, RawSync

    config = load_config()
    names = config["airtable"]["fields"]["applications"]
    sync = RawSync(warehouse, RAW_OBJECTS["airtable/applications"], config)
    sync.add_page([{"id": "recKNOWN0000000001", "createdTime": "2026-11-01T00:00:00.000Z",
                    "fields": {names["application_id"]: "BETA-000001", names["company"]: "Known Ltd"}}])
    sync.finish()
    build_staging(warehouse, config)
    reconcile_customers(warehouse, config)
    _write_lines(tmp_path / "a.jsonl", [_line(), _line(customer_id="NOBODY-1"), "{broken", _line(user_id="u9")])
    _ingest(warehouse, tmp_path)
    build_usage_daily(warehouse)
    accounting = warehouse.read("raw", "usage_file_accounting").set_index("file_name").loc["a.jsonl"]
    assert (accounting["lines_in"], accounting["lines_loaded"], accounting["lines_quarantined"]) == (4, 2, 2)
    assert accounting["lines_unknown_customer"] == 1
    assert warehouse.read("analytics", "usage_daily")["api_calls"].sum() == 2

    # Rewritten (not appended): read again from the start, its unchanged lines are the same
    # events. The unknown-customer line is still one event, quarantined once.
    _write_lines(tmp_path / "a.jsonl", [_line(), _line(customer_id="NOBODY-1"), _line(status="500"),
                                        _line(customer_id="NOBODY-2", event="sign")])
    _ingest(warehouse, tmp_path)
    assert build_usage_daily(warehouse).metadata["events_unknown_customer"] == 2
    quarantine = warehouse.read("raw", "quarantine")
    unknown = quarantine[quarantine["source_object"] == "usage_event"].sort_values("record_key")
    assert unknown["record_key"].tolist() == ["a.jsonl:2", "a.jsonl:4"]
    assert unknown["reason"].str.contains("NOBODY-1").tolist() == [True, False]
    assert warehouse.read("analytics", "usage_daily")["api_calls"].sum() == 3  # line 1 once, the first read's line 4, the second's line 3


def test_a_hostile_csv_quarantines_lines_not_the_run(warehouse: Warehouse, tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    rows = ["timestamp,customer_id,event", "2026-11-20T10:00:00Z,BETA-1,api_call",
            '2026-11-20T10:00:00Z,BETA-1,"' + "x" * 140_000 + '"', "2026-11-20T10:00:00Z,BE\x00TA-2,api_call"]
    path.write_text("\n".join(rows) + "\n")
    _age(path, 3600)
    stats = ingest_usage_files(warehouse, list_usage_files(tmp_path), UsageRules(max_line_bytes=1_000_000), now=NOW)
    assert (stats.lines_in, stats.lines_loaded, stats.lines_quarantined) == (3, 2, 1)
    assert "not readable CSV" in " ".join(warehouse.read("raw", "quarantine")["reason"])


def test_two_ingests_at_once_take_turns_and_land_each_file_once(warehouse: Warehouse, tmp_path: Path) -> None:
    """The usage sensor's run and the nightly sync can both land usage files: the second waits for
    the first, then finds every file landed (each ingest takes turns; without, both read and land
    every file, and their Parquet writes collide)."""
    import threading

    folder = tmp_path / "landing"
    folder.mkdir()
    for n in range(12):
        _write_lines(folder / f"usage-{n:02d}.jsonl", [_line(user_id=f"u{n}-{i}") for i in range(2000)])
    results: list = []
    errors: list[BaseException] = []

    def ingest() -> None:
        try:
            results.append(_ingest(Warehouse(warehouse.url), folder))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=ingest) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert sorted(r.lines_loaded for r in results) == [0, 24_000]
    assert sorted(r.files_skipped for r in results) == [0, 12]
    assert len(read_usage_events(warehouse)) == 24_000
    _accounting(warehouse)
