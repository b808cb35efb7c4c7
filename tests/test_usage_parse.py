"""The column-wise path reads every line exactly as the line-by-line rules do: same events (fields,
keys, line numbers), same quarantined lines with the same reasons, same digest and counts."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub import usage_parse
from hub.usage_files import BLOCK_BYTES, UsageRules, read_segment

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
STAMPS = ["2026-11-20T10:00:00Z", "2026-11-20T10:00:00", "2026-11-20 10:00:00Z", "2026-11-20T10:00:00.5Z",
          "2026-11-20T10:00:00.123456+05:30", "2026-11-20T10:00:00.1234567Z", "2026-11-20T24:00:00Z",
          "2026-11-20T10:00:60Z", "2026-02-29T10:00:00Z", "2024-02-29T10:00:00-23:59", "2026-11-20T10:00Z",
          "2026-11-20t10:00:00z", "1899-12-31T23:30:00-01:00", "1900-01-01T00:30:00+01:00", "0000-01-01T00:00:00Z",
          "2026-11-30T12:59:59Z", "2026-11-30T13:00:01Z", "2099-01-01T00:00:00Z", " 2026-11-20T10:00:00Z",
          "2026-11-20T10:00:00+0100", "2026-11-20", "yesterday", "", 1700000000, None]
TEXTS = ["BETA-000001", " BETA-1 ", "", "   ", "x" * 30, "café", "a\\u0000b", "\\ud800", 'q\\"uote', "tab\\there",
         123, 1.5, True, None, [], ["BETA-2"], {"a": 1}, "count", "timestamp"]
NUMBERS = [0, 5, -1, 1.5, 1e15, 1e16, "12", "1,200", " 12", "", "$3.50", "12%", "1e3", "abc", True, None, [1], -0.0,
           "NaN", "Infinity", 10**9, 2.5, 7, "007", 1e-7]


GOOD = {"timestamp": ["2026-11-20T10:00:00Z", "2026-11-21T23:59:59.250+01:00", "2026-11-20 08:00:00Z"],
        "customer_id": ["BETA-000001", "001X"], "event": ["api_call", "sign", "verify"],
        "status": ["ok", "500", "error", None], "user_id": ["u1", "u2", None],
        "bytes": [100, 2.5, "12"], "latency_ms": [12.5, None], "cost": [0.01, 0.1], "count": [1, 3, "2"]}
ODD = {"timestamp": STAMPS, "customer_id": TEXTS, "event": TEXTS, "status": TEXTS, "user_id": TEXTS,
       "bytes": NUMBERS, "latency_ms": NUMBERS, "cost": NUMBERS, "count": NUMBERS}


@pytest.fixture(params=["c", "duckdb"])
def scanner(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each fast path in turn: the compiled scanner (hub/_usage_scan.c) and DuckDB, the one used
    where the scanner could not be built. CI requires the scanner (HUB_REQUIRE_SCANNER=1)."""
    if request.param == "c" and usage_parse._usage_scan is None:
        if os.environ.get("HUB_REQUIRE_SCANNER") == "1":
            pytest.fail("hub._usage_scan was not built: pip install -e . with a C compiler")
        pytest.skip("hub._usage_scan was not built (no C compiler at install): DuckDB reads the lines")
    monkeypatch.setenv("HUB_USAGE_SCANNER", request.param)
    assert usage_parse.scanner() == request.param
    return request.param


def _line(rng: random.Random) -> str:
    record: dict[str, object] = {}
    for name, good in GOOD.items():
        if rng.random() < 0.93:
            record[name] = rng.choice(good if rng.random() < 0.9 else ODD[name])
    if rng.random() < 0.1:
        record["extra"] = {"nested": [1, 2, {"deep": None}]}
    text = json.dumps(record, ensure_ascii=rng.random() < 0.7).replace("\\\\", "\\")
    roll = rng.random()
    if roll < 0.03:
        text = text[:-1] + ', "event": "dup"}'  # a field repeated: the last one counts
    elif roll < 0.06:
        text = text[:-1] + ",}"  # a trailing comma
    elif roll < 0.08:
        text = text.replace(": ", ":\t", 1)
    elif roll < 0.10:
        text = text[: len(text) // 2]
    elif roll < 0.12:
        text = text.replace("1.5", "NaN")
    elif roll < 0.14:
        text = "   "
    elif roll < 0.16:
        text = "[" * 600 + "]" * 600
    elif roll < 0.18:
        text = text + "\r"
    return text


def _segments(path: Path, rules: UsageRules) -> tuple:
    block = read_segment(path, None, rules, NOW)
    line = read_segment(path, None, rules, NOW, per_line=True)
    return block, line


def _same(block, line) -> None:
    assert (block.lines_in, block.start_line) == (line.lines_in, line.start_line)
    assert block.quarantined == line.quarantined
    assert block.state == line.state
    ours, theirs = (s.events().sort_by("line_no") for s in (block, line))
    assert ours.schema == theirs.schema
    assert ours.to_pylist() == theirs.to_pylist()


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("rules", [UsageRules(), UsageRules(naive_timestamps="reject", max_count=100,
                                                            max_number=1e6, max_future_minutes=0)])
def test_block_and_line_by_line_agree_on_odd_lines(tmp_path: Path, seed: int, rules: UsageRules, scanner: str) -> None:
    rng = random.Random(seed)
    lines = [_line(rng) for _ in range(1500)]
    path = tmp_path / "odd.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" * (seed % 2) + ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass"))
    block, line = _segments(path, rules)
    assert block.lines_in > 1000 and len(block.quarantined) > 100 and len(line.rows) > 100
    assert sum(len(t) for t in block.tables) > 100  # the fast path took its share
    _same(block, line)


# Lines near the fast path's edge: a good line's text with a few bytes changed (JSON's own
# characters, spaces, digits, escapes, control and non-ASCII bytes), and lines built from odd values.
_GOOD_LINES = [
    json.dumps({"timestamp": "2026-11-20T10:00:00.123+05:30", "customer_id": "B1", "event": "api_call",
                "status": "ok", "user_id": "u1", "bytes": 12, "latency_ms": "1.5e2", "cost": 0.01, "count": "3",
                "x": [1, "a", None], "y": {"a": 1}}),
    '{"timestamp":"2026-11-20 10:00:00","event":"e","anonymous_id":"a","count":1,"bytes":0.000123}',
    '{ "timestamp" : "2026-11-20T23:59:59Z" , "customer_id" : "C 1" , "event" : "sign" , "cost" : -0 }',
]
_EDIT_BYTES = st.sampled_from(list(b'{}[]":, -+.0123456789eEtrufalsnTZ\\\t\r\x00\x7f') + [0xC3, 0xFF])
_EDIT = st.tuples(st.sampled_from(["insert", "delete", "replace"]), st.integers(0, 300), _EDIT_BYTES)
_VALUE = st.one_of(st.none(), st.booleans(), st.integers(-10, 10**17), st.floats(allow_nan=True),
                   st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30),
                   st.from_regex(r"-?[0-9]{1,20}(\.[0-9]{1,30})?([eE][+-]?[0-9]{1,3})?", fullmatch=True),
                   st.sampled_from(["2026-11-20T10:00:00Z", "2026-11-20T10:00:00.1234567Z", "2026-02-29 10:00:00",
                                    "1e400", "-0.0", "0" * 70 + "1", "1" * 17, "0.1e-2", "12.50", " B ", "B ",
                                    "0." + "0" * 25 + "1", 0.1 ** 25, 123456789012345.6, 2 ** 53 + 1]))


def _edited(line: str, edits: list[tuple[str, int, int]]) -> bytes:
    data = bytearray(line.encode())
    for op, at, byte in edits:
        at = min(at, len(data))
        if op == "insert":
            data.insert(at, byte)
        elif data:
            at = min(at, len(data) - 1)
            if op == "delete":
                del data[at]
            else:
                data[at] = byte
    return bytes(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edited=st.lists(st.tuples(st.sampled_from(_GOOD_LINES), st.lists(_EDIT, max_size=4)), min_size=1, max_size=12),
       built=st.lists(st.dictionaries(st.sampled_from([*usage_parse.FIELDS, "extra"]), _VALUE, max_size=3), max_size=8))
def test_block_and_line_by_line_agree_on_fuzzed_lines(tmp_path: Path, scanner: str,
                                                      edited: list[tuple[str, list]], built: list[dict]) -> None:
    lines = [_edited(line, edits) for line, edits in edited]
    # A good record with a few fields given odd values (most such lines are still good, or nearly).
    lines += [json.dumps({**json.loads(_GOOD_LINES[0]), **odd}, allow_nan=True).encode() for odd in built]
    path = tmp_path / "fuzz.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    os.utime(path, (NOW.timestamp() - 3600,) * 2)
    _same(*_segments(path, UsageRules()))


def _number(rng: random.Random) -> str:
    """A plain number's text: up to 20 integer digits, up to 30 fraction digits (leading zeros
    too), sometimes an exponent -- around the edges where a fast conversion goes wrong."""
    whole = rng.choice(["0", str(rng.randrange(1, 10)) + "".join(rng.choices("0123456789", k=rng.randrange(20)))])
    text = whole
    if rng.random() < 0.7:
        text += "." + "0" * rng.randrange(0, 25) + "".join(rng.choices("0123456789", k=rng.randrange(1, 18)))
    if rng.random() < 0.2:
        text += rng.choice("eE") + rng.choice(["", "+", "-"]) + str(rng.randrange(0, 320))
    return text


def test_numbers_read_as_python_reads_them(tmp_path: Path, scanner: str) -> None:
    rng = random.Random(5)
    lines = []
    for _ in range(6000):
        fields = {name: _number(rng) for name in ("bytes", "latency_ms", "cost")}
        body = ", ".join(f'"{k}": "{v}"' if rng.random() < 0.3 else f'"{k}": {v}' for k, v in fields.items())
        lines.append(f'{{"timestamp": "2026-11-20T10:00:00Z", "customer_id": "B", "event": "api_call", {body}}}')
    for size in range(60, 70):  # the rules read no number from a string of more than 64 characters
        figure = "0." + "0" * (size - 3) + "1"
        lines += [f'{{"timestamp": "2026-11-20T10:00:00Z", "customer_id": "B", "event": "e", "cost": "{figure}"}}',
                  f'{{"timestamp": "2026-11-20T10:00:00Z", "customer_id": "B", "event": "e", "cost": {figure}}}']
    path = tmp_path / "numbers.jsonl"
    path.write_text("\n".join(lines) + "\n")
    os.utime(path, (NOW.timestamp() - 3600,) * 2)
    block, line = _segments(path, UsageRules(max_number=1e299))
    assert sum(len(t) for t in block.tables) > 4000  # the fast path read most of them
    _same(block, line)


def test_invalid_utf8_long_lines_and_an_unfinished_line_agree(tmp_path: Path, scanner: str) -> None:
    good = json.dumps({"timestamp": "2026-11-20T10:00:00Z", "customer_id": "B", "event": "api_call"})
    rules = UsageRules(max_line_bytes=300)
    body = b"\n".join([good.encode(), b'{"timestamp": "\xff\xfe", "customer_id": "B", "event": "x"}',
                       b"x" * 5000, good.encode() + b" " * 250, good.encode() + b" " * 260, good.encode()])
    path = tmp_path / "odd.jsonl"
    path.write_bytes(body + b"\n" + good.encode()[:20])
    stamp = NOW.timestamp() - 1  # still being written: the unfinished last line waits
    os.utime(path, (stamp, stamp))
    block, line = _segments(path, rules)
    assert block.state.content_digest is None and block.lines_in == 6
    _same(block, line)
    stamp = NOW.timestamp() - 3600
    os.utime(path, (stamp, stamp))
    _same(*_segments(path, rules))


def test_a_long_unfinished_line_at_a_block_end_is_read_line_by_line(tmp_path: Path, scanner: str) -> None:
    good = json.dumps({"timestamp": "2026-11-20T10:00:00Z", "customer_id": "B", "event": "api_call"}) + "\n"
    count = BLOCK_BYTES // len(good)
    path = tmp_path / "big.jsonl"
    path.write_text(good * count + "y" * 200_000 + "\n" + good * 3)
    stamp = NOW.timestamp() - 3600
    os.utime(path, (stamp, stamp))
    block, line = _segments(path, UsageRules())
    assert block.lines_in == count + 4 and len(block.quarantined) == 1
    _same(block, line)
    assert isinstance(block.events(), pa.Table)


def test_a_time_without_a_zone_is_utc_whatever_the_machine_zone(tmp_path: Path) -> None:
    """DuckDB reads zone-less times in the process's zone unless told: every connection is told."""
    script = f"""
import datetime as dt, json, os
from pathlib import Path
from hub.usage import ingest_usage_files, list_usage_files, read_usage_events, UsageRules
from hub.warehouse import Warehouse
folder = Path({str(tmp_path)!r})
for n in range(4):
    (folder / f"{{n}}.jsonl").write_text(json.dumps({{"timestamp": "2026-11-20T23:30:00", "customer_id": "B",
                                                     "event": "api_call"}}) + "\\n")
warehouse = Warehouse(f"sqlite:///{{folder / 'w.db'}}")
warehouse.migrate()
ingest_usage_files(warehouse, list_usage_files(folder), UsageRules(stable_seconds=0))
print(sorted({{str(t) for t in read_usage_events(warehouse)["event_at"]}}))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                          env={**os.environ, "TZ": "America/New_York"}, cwd=Path(__file__).parent.parent)
    assert done.stdout.strip() == "['2026-11-20 23:30:00+00:00']", done.stdout + done.stderr
