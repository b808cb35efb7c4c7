"""Usage-log JSON lines parsed and validated a block of lines at a time: by the compiled scanner
(``hub/_usage_scan.c``, ``scanned_events``) when it was built, else column-wise in DuckDB
(``line_table`` + ``fast_events``). ``scanner()`` says which.

Either fast path takes only the lines whose result it can prove equal to the line-by-line rules
of ``hub.usage_files.validate``: printable-ASCII JSON objects of at most 1,000 bytes, spaces
between tokens, no escapes, trailing commas, NaN or nesting past flat arrays and objects of
scalars (in DuckDB one regex, ``LINE``, proves it and knows each field's type: no second parse to
check), without a repeated field of ours, whose fields are strings (text fields with no space at
either end: the rules' trimming would change them), plain numbers or null and whose timestamp is a
plain RFC 3339 time within the rules' bounds. Every other line — bad, odd or merely unusual — goes
back to the line-by-line rules, which give it its reason. ``tests/test_usage_parse.py`` holds
each fast path and the rules side by side on hostile lines.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

try:  # the compiled line scanner (hub/_usage_scan.c), built with the package when a C compiler is there
    from hub import _usage_scan
except ImportError:
    _usage_scan = None

if TYPE_CHECKING:
    import duckdb

    from hub.usage_files import UsageRules

FAST_MAX_BYTES = 1000
FIELDS = ("timestamp", "customer_id", "event", "status", "user_id", "bytes", "latency_ms", "cost", "count",
          "anonymous_id", "source")
TEXT_FIELDS = ("customer_id", "event", "status", "user_id", "anonymous_id", "source")
NUMBER_FIELDS = ("bytes", "latency_ms", "cost")
# What datetime.fromisoformat reads exactly as DuckDB does: ranges spelled out (DuckDB reads 24:00).
TIMESTAMP = (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,6})?"
             r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?$")
PLAIN_NUMBER = r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$"
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
# hub._usage_scan's fields, in its order (its NTEXT text fields, then its NNUM numbers).
SCAN_TEXT = TEXT_FIELDS
SCAN_NUMBERS = (*NUMBER_FIELDS, "count")
EVENT_SCHEMA = pa.schema([
    ("line_no", pa.int64()), ("event_key", pa.string()), ("event_at", pa.timestamp("us", tz="UTC")),
    ("customer_ref", pa.string()), ("event", pa.string()), ("status", pa.string()), ("user_id", pa.string()),
    ("bytes", pa.float64()), ("latency_ms", pa.float64()), ("cost", pa.float64()), ("event_count", pa.float64()),
    ("anonymous_id", pa.string()), ("source", pa.string()),
])


def scanner() -> str:
    """Which fast path reads a block: ``c`` (``hub._usage_scan``, built with the package) or
    ``duckdb`` (when it could not be built, or ``HUB_USAGE_SCANNER=duckdb`` asks for it)."""
    if _usage_scan is None or os.environ.get("HUB_USAGE_SCANNER", "").lower() == "duckdb":
        return "duckdb"
    return "c"


def scanned_events(block: bytes, first_line: int, rules: UsageRules,
                   now: dt.datetime) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """``block``'s complete lines read by ``hub._usage_scan``: the events of the lines it could
    take (``EVENT_SCHEMA``), each line's start and length in bytes, and which lines it took (the
    others are for the line-by-line rules). Same contract as ``line_table`` + ``fast_events``.
    The scanner writes Arrow's own buffers (string views into ``block``, validity bitmaps, the
    keys' offsets and text): they are wrapped, not copied, until the cast to ``EVENT_SCHEMA``."""
    assert _usage_scan is not None
    latest = now + dt.timedelta(minutes=rules.max_future_minutes)
    taken, rows, spans, flags, *buffers = _usage_scan.scan(
        block, first_line, rules.max_line_bytes, float(rules.max_number), float(rules.max_count),
        _micros(EARLIEST), _micros(latest), rules.naive_timestamps == "utc")
    line_no, event_at, views, text_valid, numbers, number_valid, key_offsets, keys = map(pa.py_buffer, buffers)
    count, data = len(flags), pa.py_buffer(block)
    bitmap = (rows + 7) // 8  # the per-taken-line buffers have room for `rows` rows
    columns = {
        "line_no": pa.Array.from_buffers(pa.int64(), taken, [None, line_no.slice(0, taken * 8)]),
        "event_key": pa.Array.from_buffers(pa.string(), taken, [None, key_offsets.slice(0, (taken + 1) * 4), keys]),
        "event_at": pa.Array.from_buffers(pa.timestamp("us", tz="UTC"), taken, [None, event_at.slice(0, taken * 8)]),
    }
    for i, name in enumerate(SCAN_TEXT):
        columns[name] = pa.Array.from_buffers(pa.string_view(), taken, [
            text_valid.slice(i * bitmap, bitmap), views.slice(i * rows * 16, taken * 16), data])
    for i, name in enumerate(SCAN_NUMBERS):
        columns[name] = pa.Array.from_buffers(pa.float64(), taken, [
            number_valid.slice(i * bitmap, bitmap), numbers.slice(i * rows * 8, taken * 8)])
    table = pa.table(columns).rename_columns({"customer_id": "customer_ref", "count": "event_count"})
    return (table.select(EVENT_SCHEMA.names).cast(EVENT_SCHEMA),
            np.frombuffer(spans, np.int64).reshape(2, count), np.frombuffer(flags, np.bool_))


def _micros(moment: dt.datetime) -> int:
    return (moment - EPOCH) // dt.timedelta(microseconds=1)


def connect(parent: duckdb.DuckDBPyConnection | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection (``parent``'s database, for another thread) that reads times as UTC."""
    import duckdb

    conn = parent.cursor() if parent is not None else duckdb.connect()
    conn.execute("SET TimeZone = 'UTC'")  # a cursor does not inherit it: a zone-less time is UTC
    return conn


def line_table(block: bytes, first_line: int, max_line_bytes: int) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """The complete lines of ``block`` (it ends with a newline, or is a last line without one).

    Returns a table of ``line_no``, ``line`` (without its LF or CR LF, as Arrow string views
    into the block: nothing copied) and ``colons`` (how many ``:`` it holds: a bound on its JSON
    keys), each line's start and length in bytes, and the lines left to the line-by-line rules
    without a look (shown to the fast path as empty): longer than ``max_line_bytes``, not ASCII,
    ending in one more CR (the rules strip every trailing CR and LF) or starting the file with a
    byte-order mark."""
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
    colons = np.flatnonzero(view == 58)
    per_line = np.diff(np.searchsorted(colons, starts), append=len(colons)).astype(np.int32)
    line = _string_views(view, starts, np.where(slow, 0, size))
    return pa.table({"line_no": numbers, "line": line, "colons": per_line}), np.stack([starts, lengths]), slow


def _string_views(view: np.ndarray, starts: np.ndarray, size: np.ndarray) -> pa.Array:
    """Arrow's 16-byte string views: length, then up to 12 bytes inline, or a 4-byte prefix, the
    buffer's index (0) and the offset into the one data buffer (the block: fewer than 2 GiB by
    ``BLOCK_BYTES``)."""
    count = len(starts)
    views = np.zeros((count, 16), dtype=np.uint8)
    if len(view) >= 12:  # each line's first 12 bytes, read through a sliding window (no index matrix)
        views[:, 4:16] = np.lib.stride_tricks.sliding_window_view(view, 12)[np.minimum(starts, len(view) - 12)]
    near_end = np.flatnonzero(starts > len(view) - 12)
    for i in near_end.tolist():
        tail = view[starts[i]:]
        views[i, 4:16] = 0
        views[i, 4:4 + len(tail)] = tail
    short = np.flatnonzero(size < 12)  # inline bytes past the length are zero
    views[short, 4:16] *= np.arange(12) < size[short, None]
    words = views.view(np.int32)
    words[:, 0] = size
    long = size > 12
    words[:, 2] = np.where(long, 0, words[:, 2])
    words[:, 3] = np.where(long, starts.astype(np.int32), words[:, 3])
    return pa.Array.from_buffers(pa.string_view(), count, [None, pa.py_buffer(views), pa.py_buffer(view)])


def _chars(excluded: str = "") -> str:
    """A regex class of the printable ASCII a JSON string holds as is (no quote, no backslash)."""
    keep = [n for n in range(0x20, 0x7F) if chr(n) not in '"\\' + excluded]
    runs = np.split(np.array(keep), np.flatnonzero(np.diff(keep) > 1) + 1)
    return "[" + "".join(f"\\x{r[0]:02x}" + (f"-\\x{r[-1]:02x}" if len(r) > 1 else "") for r in runs) + "]"


def _other_key(words: tuple[str, ...], prefix: str = "") -> str:
    """Any key text but ``words``: the trie of the words, leaving it anywhere but at a word's end."""
    nexts = sorted({w[len(prefix)] for w in words if w.startswith(prefix) and len(w) > len(prefix)})
    ways = [] if prefix in words else [""]
    ways.append(_chars("".join(nexts)) + _chars() + "*")
    ways += [f"{c}(?:{_other_key(words, prefix + c)})" for c in nexts]
    return "|".join(ways)


_STRING = f'"{_chars()}*"'
# A string with no space at either end (or empty): what trimming leaves as it is.
_TRIMMED = f'"(?:{_chars(" ")}(?:{_chars()}*{_chars(" ")})?)?"'
_NUMBER = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
_SCALAR = f"(?:{_STRING}|{_NUMBER}|true|false|null)"
_FLAT = (rf"(?:\[ *(?:{_SCALAR}(?: *, *{_SCALAR})*)? *\]"
         rf"|\{{ *(?:{_STRING} *: *{_SCALAR}(?: *, *{_STRING} *: *{_SCALAR})*)? *\}})")
_MEMBER = ("(?:"
           f'"(?:{"|".join(TEXT_FIELDS)})" *: *(?:{_TRIMMED}|null)'
           f'|"timestamp" *: *(?:"{TIMESTAMP[1:-1]}"|null)'
           f'|"(?:{"|".join(NUMBER_FIELDS)}|count)" *: *(?:"{PLAIN_NUMBER[1:-1]}"|{_NUMBER}|null)'
           f'|"(?:{_other_key(FIELDS)})" *: *(?:{_SCALAR}|{_FLAT})'
           ")")
# The lines the fast path reads: a JSON object of printable ASCII, spaces between tokens, whose
# fields of ours are strings (text: none with a space at either end, so none needs trimming; the
# timestamp: of TIMESTAMP's form; numbers: numbers or strings of a plain number) or null, and whose
# other fields are scalars or flat arrays and objects of scalars. Valid JSON to DuckDB and Python
# alike (no trailing comma, NaN, escape or nesting), each field's type known: one regex pass.
LINE = rf"\{{ *(?:{_MEMBER}(?: *, *{_MEMBER})*)? *\}}"


def fast_events(conn: duckdb.DuckDBPyConnection, lines: pa.Table, rules: UsageRules, now: dt.datetime) -> pa.Table:
    """The events of the lines the fast path can take (``EVENT_SCHEMA``); every line not returned
    is for the line-by-line rules."""
    schema = "{" + ", ".join(f'"{f}": "VARCHAR"' for f in FIELDS) + "}"  # a number's own text
    repeated = "|".join(f'"{f}".*"{f}"' for f in FIELDS)
    present = " + ".join(f"(f.{f} IS NOT NULL)::INTEGER" for f in FIELDS)
    zone = "" if rules.naive_timestamps == "utc" else " AND regexp_matches(ts, '(Z|[+-][0-9:]{5})$')"
    checks = " AND ".join([
        f"ts IS NOT NULL{zone}",  # of the form TIMESTAMP: LINE proves it
        "(customer_id IS NOT NULL OR anonymous_id IS NOT NULL) AND event IS NOT NULL",
        *(f"(no_{n} OR {n} BETWEEN 0 AND $max_number)" for n in NUMBER_FIELDS),
        "(no_count OR (count >= 1 AND count = floor(count) AND count <= $max_count))",
        # The rules read no number from a string of more than 64 characters; LINE cannot tell a
        # string from a number here, so any such figure goes to the rules, which can.
        " AND ".join(f"long_{n} <= 64" for n in (*NUMBER_FIELDS, "count")),
        "event_at >= TIMESTAMPTZ '1900-01-01 00:00:00+00' AND event_at <= $latest::TIMESTAMPTZ",
        # A line's colons bound its keys plus the timestamp's own (two at least): no more keys than
        # fields of ours present proves none repeated (Python reads the last, DuckDB the first);
        # only the other lines pay for the regex.
        f"(CASE WHEN colons - 2 <= present THEN true ELSE NOT regexp_matches(line, '{repeated}') END)",
    ])
    # No filter after the parse: DuckDB would repeat a projection's expressions in each filter
    # using them; one projection computes them once, and the good rows are picked in Arrow.
    sql = f"""
    WITH typed AS (
        SELECT line_no, line, colons, {present} AS present, f.timestamp AS ts,
               TRY_CAST(f.timestamp AS TIMESTAMPTZ) AS event_at,
               {", ".join(f"nullif(f.{t}, '') AS {t}" for t in TEXT_FIELDS)},
               {", ".join(f"TRY_CAST(f.{n} AS DOUBLE) AS {n}, f.{n} IS NULL AS no_{n}, "
                          f"coalesce(strlen(f.{n}), 0) AS long_{n}" for n in (*NUMBER_FIELDS, "count"))}
        FROM (SELECT line_no, line, colons, from_json(line, '{schema}') AS f FROM lines
              WHERE strlen(line) <= {FAST_MAX_BYTES} AND regexp_full_match(line, '{LINE}'))
    )
    SELECT line_no, left(sha1(line), 20) AS key_hash, event_at,
           customer_id AS customer_ref, event, status, user_id, bytes, latency_ms, cost,
           CASE WHEN no_count THEN 1.0 ELSE count END AS event_count, anonymous_id, source, coalesce({checks}, false) AS ok
    FROM typed
    """
    conn.register("lines", lines)
    try:
        table = conn.sql(sql, params={"latest": now + dt.timedelta(minutes=rules.max_future_minutes),
                                      "max_number": float(rules.max_number),
                                      "max_count": float(rules.max_count)}).to_arrow_table()
    finally:
        conn.unregister("lines")
    table = table.filter(table["ok"]).drop_columns(["ok"])
    # The key's text (hash:line number) is joined in Arrow, for the good rows only.
    key = pc.binary_join_element_wise(table["key_hash"], pc.cast(table["line_no"], pa.string()), ":")
    return table.set_column(1, "event_key", key).cast(EVENT_SCHEMA)
