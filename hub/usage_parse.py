"""Usage-log JSON lines parsed and validated column-wise in DuckDB, a block of lines at a time.

The fast path takes only the lines whose result it can prove equal to the line-by-line rules of
``hub.usage_files.validate``: printable-ASCII JSON objects of at most 1,000 bytes (too short to nest
deeply enough or to hold a number long enough for Python's ``json`` to refuse), without
backslashes, tabs, trailing commas or a repeated field of ours, whose fields are strings, plain
numbers or null and whose timestamp is a plain RFC 3339 time within the rules' bounds. Every other
line — bad, odd or merely unusual — goes back to the line-by-line rules, which give it its reason.
``tests/test_usage_parse.py`` holds the two side by side on hostile lines.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

if TYPE_CHECKING:
    import duckdb

    from hub.usage_files import UsageRules

FAST_MAX_BYTES = 1000
FIELDS = ("timestamp", "customer_id", "event", "status", "user_id", "bytes", "latency_ms", "cost", "count",
          "anonymous_id", "source")
TEXT_FIELDS = ("customer_id", "event", "status", "user_id", "anonymous_id", "source")
NUMBER_FIELDS = ("bytes", "latency_ms", "cost")
# What datetime.fromisoformat reads exactly as DuckDB does: ranges spelled out (DuckDB reads 24:00).
TIMESTAMP = (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?"
             r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?$")
PLAIN_NUMBER = r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$"
EVENT_SCHEMA = pa.schema([
    ("line_no", pa.int64()), ("event_key", pa.string()), ("event_at", pa.timestamp("us", tz="UTC")),
    ("customer_ref", pa.string()), ("event", pa.string()), ("status", pa.string()), ("user_id", pa.string()),
    ("bytes", pa.float64()), ("latency_ms", pa.float64()), ("cost", pa.float64()), ("event_count", pa.float64()),
    ("anonymous_id", pa.string()), ("source", pa.string()),
])


def connect(parent: duckdb.DuckDBPyConnection | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection (``parent``'s database, for another thread) that reads times as UTC."""
    import duckdb

    conn = parent.cursor() if parent is not None else duckdb.connect()
    conn.execute("SET TimeZone = 'UTC'")  # a cursor does not inherit it: a zone-less time is UTC
    return conn


def line_table(block: bytes, first_line: int, max_line_bytes: int) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """The complete lines of ``block`` (it ends with a newline, or is a last line without one).

    Returns a table of ``line_no`` and ``line`` (without its LF or CR LF, as Arrow string views
    into the block: nothing copied), each line's start and length in bytes, and the lines left
    to the line-by-line rules without a look (shown to the fast path as empty): longer than
    ``max_line_bytes``, not ASCII, ending in one more CR (the rules strip every trailing CR and LF)
    or starting the file with a byte-order mark."""
    view = np.frombuffer(block, dtype=np.uint8)
    ends = np.flatnonzero(view == 10) + 1
    if not len(ends) or ends[-1] != len(block):
        ends = np.append(ends, len(block))
    starts = np.concatenate([[0], ends[:-1]]).astype(np.int64)
    lengths = ends - starts
    size = lengths - (view[ends - 1] == 10)
    size -= (size > 0) & (view[np.maximum(starts + size - 1, 0)] == 13)
    slow = (lengths > max_line_bytes + 1) | ((size > 0) & (view[np.maximum(starts + size - 1, 0)] == 13))
    if first_line == 1 and block.startswith(b"\xef\xbb\xbf"):
        slow[0] = True
    if not block.isascii():
        slow[np.searchsorted(starts, np.flatnonzero(view >= 0x80), side="right") - 1] = True
    numbers = np.arange(first_line, first_line + len(ends), dtype=np.int64)
    line = _string_views(view, starts, np.where(slow, 0, size))
    return pa.table({"line_no": numbers, "line": line}), np.stack([starts, lengths]), slow


def _string_views(view: np.ndarray, starts: np.ndarray, size: np.ndarray) -> pa.Array:
    """Arrow's 16-byte string views: length, then up to 12 bytes inline, or a 4-byte prefix and
    the offset into the one data buffer (the block: fewer than 2 GiB by ``BLOCK_BYTES``)."""
    count = len(starts)
    views = np.zeros((count, 16), dtype=np.uint8)
    views[:, 0:4] = size.astype(np.int32).view(np.uint8).reshape(count, 4)
    head = view[np.minimum(starts[:, None] + np.arange(12), len(view) - 1)] if len(view) else views[:, 4:16]
    head = np.where(np.arange(12) < size[:, None], head, 0).astype(np.uint8)
    small = size <= 12
    views[small, 4:16] = head[small]
    views[~small, 4:8] = head[~small, :4]
    views[~small, 12:16] = starts[~small].astype(np.int32).view(np.uint8).reshape(-1, 4)
    return pa.Array.from_buffers(pa.string_view(), count, [None, pa.py_buffer(views), pa.py_buffer(view)])


def _text(field: str) -> str:
    """A JSON string's text (no escapes on the fast path), trimmed; NULL when missing, null or empty."""
    return f"nullif(trim(j_{field}[2:-2]), '')"


def _number(field: str) -> str:
    """A JSON number, or a string holding a plain number (``hub.values.number`` reads both the same)."""
    return (f"(CASE WHEN starts_with(j_{field}, '\"') THEN (CASE WHEN regexp_full_match(j_{field}, "
            f"'\"{PLAIN_NUMBER[1:-1]}\"') THEN TRY_CAST(j_{field}[2:-2] AS DOUBLE) END) "
            f"ELSE TRY_CAST(j_{field} AS DOUBLE) END)")


def _missing(field: str) -> str:
    return f"(j_{field} IS NULL OR j_{field} = 'null')"


def fast_events(conn: duckdb.DuckDBPyConnection, lines: pa.Table, rules: UsageRules, now: dt.datetime) -> pa.Table:
    """The events of the lines the fast path can take (``EVENT_SCHEMA``); every line not returned
    is for the line-by-line rules."""
    schema = "{" + ", ".join(f'"{f}": "JSON"' for f in FIELDS) + "}"
    keys = "|".join(f'"{f}".*"{f}"' for f in FIELDS)
    zone = "" if rules.naive_timestamps == "utc" else " AND regexp_matches(ts, '(Z|[+-][0-9:]{5})$')"
    checks = " AND ".join([
        "starts_with(j_timestamp, '\"') AND starts_with(j_event, '\"')",
        *(f"({_missing(t)} OR starts_with(j_{t}, '\"'))" for t in ("customer_id", "status", "user_id", "anonymous_id",
                                                                    "source")),
        f"regexp_full_match(ts, '{TIMESTAMP}'){zone}",
        "(customer_id IS NOT NULL OR anonymous_id IS NOT NULL) AND event IS NOT NULL",
        *(f"(no_{n} OR {n} BETWEEN 0 AND $max_number)" for n in NUMBER_FIELDS),
        "(no_count OR (count >= 1 AND count = floor(count) AND count <= $max_count))",
        "event_at >= TIMESTAMPTZ '1900-01-01 00:00:00+00' AND event_at <= $latest::TIMESTAMPTZ",
    ])
    # No filter after the parse: DuckDB would repeat a projection's expressions in each filter
    # using them; one projection computes them once, and the good rows are picked in Arrow.
    sql = f"""
    WITH fields AS (
        SELECT line_no, sha1(line)[1:20] AS key, {", ".join(f"f.{n}::VARCHAR AS j_{n}" for n in FIELDS)}
        FROM (SELECT line_no, line, from_json(line, '{schema}') AS f FROM lines
              WHERE strlen(line) <= {FAST_MAX_BYTES} AND starts_with(line, '{{') AND NOT contains(line, '\\')
                AND NOT contains(line, chr(9)) AND NOT contains(line, chr(13))
                AND NOT regexp_matches(line, ',\\s*[}}\\]]|{keys}') AND json_valid(line))
    ), typed AS (
        SELECT *, j_timestamp[2:-2] AS ts, {", ".join(f"{_text(t)} AS {t}" for t in TEXT_FIELDS)},
               {", ".join(f"{_number(n)} AS {n}, {_missing(n)} AS no_{n}" for n in (*NUMBER_FIELDS, "count"))}
        FROM fields
    ), timed AS (
        SELECT *, TRY_CAST(ts AS TIMESTAMPTZ) AS event_at FROM typed
    )
    SELECT line_no, key || ':' || line_no AS event_key, event_at,
           customer_id AS customer_ref, event, status, user_id, bytes, latency_ms, cost,
           CASE WHEN no_count THEN 1.0 ELSE count END AS event_count, anonymous_id, source,
           coalesce({checks}, false) AS ok
    FROM timed
    """
    conn.register("lines", lines)
    try:
        table = conn.sql(sql, params={"latest": now + dt.timedelta(minutes=rules.max_future_minutes),
                                      "max_number": float(rules.max_number),
                                      "max_count": float(rules.max_count)}).to_arrow_table()
    finally:
        conn.unregister("lines")
    return table.filter(table["ok"]).drop_columns(["ok"]).cast(EVENT_SCHEMA)
