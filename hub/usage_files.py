"""Reading usage-log files that may be hostile, half-written or growing.

The rules (README "Usage logs"):
- The format follows the suffix only: ``.jsonl`` / ``.ndjson`` are JSON Lines, ``.csv`` is CSV,
  either optionally ``.gz``. Names ending ``.part`` or ``.tmp``, or starting with a dot, are files
  still being written and are not listed.
- A file is read to its last complete line. A last line without its newline waits for the next run
  unless the file has been quiet for ``usage.stable_seconds``; a truncated gzip waits the same way
  and, once quiet, the file is quarantined whole with its reason.
- A file that grows by appends loads only its new lines: the state remembers how far it was read
  and a digest of that prefix (a rewritten file is read again from the start).
- Every line is loaded or quarantined with a reason; one bad line never stops the file, and one bad
  file never stops the others. A byte-order mark is honoured.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import io
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
from isal import igzip, isal_zlib

from hub import usage_parse
from hub.values import number, text

if TYPE_CHECKING:
    import duckdb

USAGE_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".csv", ".csv.gz")
WRITING_SUFFIXES = (".part", ".tmp")
REQUIRED = ("timestamp", "customer_id", "event")  # customer_id may be left out by a line naming an anonymous_id
NUMERIC = ("bytes", "latency_ms", "cost")
BOM = b"\xef\xbb\xbf"
BLOCK_BYTES = 1 << 24


@dataclass(frozen=True)
class UsageRules:
    """``usage`` in HUB_CONFIG: bounds and timing rules for usage lines."""

    stable_seconds: float = 60.0
    max_line_bytes: int = 65536
    max_count: float = 1_000_000
    max_number: float = 1e15
    naive_timestamps: str = "utc"  # or "reject"
    max_future_minutes: float = 60.0

    @classmethod
    def from_config(cls, config: dict[str, Any] | None) -> UsageRules:
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in (config or {}).items() if k in known})


def is_usage_file(path: Path) -> bool:
    name = path.name
    return (path.is_file() and name.endswith(USAGE_SUFFIXES) and not name.startswith(".")
            and not name.endswith(WRITING_SUFFIXES))


def list_usage_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.rglob("*") if is_usage_file(p))


def is_csv(path: Path) -> bool:
    return path.name.endswith((".csv", ".csv.gz"))


@dataclass
class FileState:
    """How far a file has been read (``raw.usage_file_state``)."""

    path: str
    size_bytes: int = 0
    mtime: float = 0.0
    bytes_read: int = 0          # of the decompressed content
    lines_read: int = 0
    prefix_digest: str = ""      # sha256 of the first ``bytes_read`` decompressed bytes
    content_digest: str | None = None  # set once the whole file has been read
    status: str = "new"
    reason: str | None = None


@dataclass
class Segment:
    """What one read of one file produced."""

    path: Path
    start_line: int
    lines_in: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)  # events read line by line
    tables: list[pa.Table] = field(default_factory=list)      # events read a block at a time
    quarantined: list[tuple[int, str, str]] = field(default_factory=list)  # (line, reason, text)
    suppressed: int = 0             # lines of erased people or customers (hub.usage_suppression)
    state: FileState | None = None
    file_reason: str | None = None  # the file as a whole could not be read
    waiting: str | None = None      # nothing read yet: the file is still being written

    def events(self) -> pa.Table:
        """Every event read, as ``hub.usage_parse.EVENT_SCHEMA`` rows."""
        return pa.concat_tables([*self.tables, rows_table(self.rows)])


def _open(path: Path) -> IO[bytes]:
    # ISA-L's gzip reader (python-isal): the same format and errors as gzip's, decompressed ~4× faster.
    return igzip.open(path, "rb") if path.name.endswith(".gz") else path.open("rb")


def read_segment(path: Path, state: FileState | None, rules: UsageRules, now: dt.datetime,
                 duck: duckdb.DuckDBPyConnection | None = None, *, per_line: bool = False) -> Segment:
    """Read ``path`` from where ``state`` left it: new complete lines, parsed and validated
    (JSON Lines a block at a time through the scanner, or DuckDB — ``duck``, or a connection of
    its own — where it was not built; CSV, or everything when ``per_line``, line by line — the
    reference the block path is tested against)."""
    stat = path.stat()
    quiet = now.timestamp() - stat.st_mtime >= rules.stable_seconds
    previous = state or FileState(path=str(path))
    digest = hashlib.sha256()
    new = FileState(path=str(path), size_bytes=stat.st_size, mtime=stat.st_mtime)
    segment = Segment(path=path, start_line=0)
    try:
        with _open(path) as stream:
            header = _resume(stream, previous, digest, new)
            segment.start_line = new.lines_read
            if per_line or is_csv(path):
                _read_lines(stream, path, header, segment, new, digest, rules, now, quiet)
            else:
                _read_blocks(stream, path, segment, new, digest, rules, now, quiet,
                             duck if duck is not None or usage_parse.scanner() == "c" else usage_parse.connect())
    except (EOFError, OSError, zlib.error, isal_zlib.error) as exc:
        reason = _unreadable(path, exc)
        if not quiet:
            return Segment(path=path, start_line=previous.lines_read, waiting=f"{reason}; waiting until it is "
                           f"quiet for {rules.stable_seconds:g} s")
        new.status, new.reason = "unreadable", reason
        return Segment(path=path, start_line=previous.lines_read, state=new, file_reason=reason)
    new.prefix_digest = digest.hexdigest()
    new.status = "complete" if new.content_digest else "reading"
    segment.state = new
    return segment


def _resume(stream: IO[bytes], previous: FileState, digest: Any, new: FileState) -> list[str] | None:
    """Skip what was read before when the file only grew; return the CSV header seen on the way."""
    header = None
    if previous.bytes_read:
        prefix = stream.read(previous.bytes_read)
        check = hashlib.sha256(prefix)
        if len(prefix) == previous.bytes_read and check.hexdigest() == previous.prefix_digest:
            digest.update(prefix)
            new.bytes_read, new.lines_read = previous.bytes_read, previous.lines_read
            first = prefix.split(b"\n", 1)[0]
            header = _csv_header(first)
            return header
        stream.seek(0)  # rewritten, not appended: read it again from the start
    return header


def _csv_header(first: bytes) -> list[str]:
    try:
        row = next(csv.reader([first.removeprefix(BOM).decode("utf-8", "replace").rstrip("\r\n")]), [])
    except csv.Error:
        return []  # every row is then quarantined as "CSV file has no header line"
    return [h.strip() for h in row]


def _read_lines(stream: IO[bytes], path: Path, header: list[str] | None, segment: Segment, state: FileState,
                digest: Any, rules: UsageRules, now: dt.datetime, quiet: bool) -> None:
    """Line by line: CSV files, and JSON Lines files from a line longer than ``max_line_bytes`` on."""
    csv_file = is_csv(path)
    waiting = False
    for raw, taken, hashed in _raw_lines(stream, rules.max_line_bytes, digest):
        if not hashed:
            if not raw.endswith(b"\n") and not quiet:
                waiting = True  # the writer is mid-line: this line waits for the next run
                break
            digest.update(raw)
        state.bytes_read += taken
        state.lines_read += 1
        if csv_file and state.lines_read == 1:
            header = _csv_header(raw.removeprefix(BOM))
            continue
        take_line(segment, raw, state.lines_read, hashed, (header or []) if csv_file else None, rules, now)
    # Read to the end: the digest of everything read names the content (a copy has the same one).
    state.content_digest = None if waiting else digest.copy().hexdigest()


def take_line(segment: Segment, raw: bytes, number_: int, hashed: bool, header: list[str] | None,
              rules: UsageRules, now: dt.datetime) -> None:
    """One line (newline kept; cut to ``max_line_bytes + 1`` when ``hashed``): an event, a
    quarantined line with its reason, or nothing when it is blank. ``header`` for a CSV file."""
    if number_ == 1:
        raw = raw.removeprefix(BOM)
    line = raw.decode("utf-8", "replace").rstrip("\r\n")
    if not line.strip():
        return
    segment.lines_in += 1
    if hashed:
        segment.quarantined.append((number_, f"line longer than {rules.max_line_bytes} bytes", line[:200]))
        return
    row, reason = _parse_csv(line, header) if header is not None else _parse_json(line)
    if row is not None:
        clean, reason = validate(row, rules, now)
        if clean is not None:
            clean["line_no"] = number_
            clean["line_text"] = line
            segment.rows.append(clean)
            return
    segment.quarantined.append((number_, reason or "unreadable line", line))


def _read_blocks(stream: IO[bytes], path: Path, segment: Segment, state: FileState, digest: Any,
                 rules: UsageRules, now: dt.datetime, quiet: bool, duck: duckdb.DuckDBPyConnection | None) -> None:
    """JSON Lines a block of complete lines at a time: the same lines, numbers, digest and outcome
    as ``_read_lines``, which takes over from a line longer than ``max_line_bytes`` still unfinished
    at a block's end (it hashes such a line chunk by chunk instead of holding it)."""
    limit = rules.max_line_bytes
    carry = b""
    while True:
        chunk = stream.read(BLOCK_BYTES)
        data = carry + chunk if carry else chunk
        cut = data.rfind(b"\n") + 1 if chunk else len(data)
        if len(data) - cut > limit:  # an unfinished line already too long: line by line from here
            _take_block(data[:cut], segment, state, digest, rules, now, duck)
            _read_lines(_Rejoined(data[cut:], stream), path, None, segment, state, digest, rules, now, quiet)
            return
        if not chunk and data and not data.endswith(b"\n") and not quiet:
            state.content_digest = None  # the writer is mid-line: this line waits for the next run
            return
        _take_block(data[:cut], segment, state, digest, rules, now, duck)
        carry = data[cut:]
        if not chunk:
            state.content_digest = digest.copy().hexdigest()
            return


def _take_block(block: bytes, segment: Segment, state: FileState, digest: Any, rules: UsageRules,
                now: dt.datetime, duck: duckdb.DuckDBPyConnection | None) -> None:
    """Complete lines: the fast path takes what it can prove good, ``take_line`` the rest."""
    if not block:
        return
    digest.update(block)
    first = state.lines_read + 1
    state.bytes_read += len(block)
    if usage_parse.scanner() == "c":
        fast, spans, taken = usage_parse.scanned_events(block, first, rules, now)
    else:
        assert duck is not None  # read_segment connects when the scanner is not there
        lines, spans, slow = usage_parse.line_table(block, first, rules.max_line_bytes)
        fast = usage_parse.fast_events(duck, lines, rules, now)
        taken = np.zeros(len(slow), dtype=bool)
        taken[fast["line_no"].to_numpy() - first] = True
    state.lines_read += len(taken)
    segment.tables.append(fast)
    segment.lines_in += len(fast)
    for i in np.flatnonzero(~taken).tolist():
        raw = block[spans[0, i]:spans[0, i] + spans[1, i]]
        hashed = len(raw) > rules.max_line_bytes + 1
        take_line(segment, raw[:rules.max_line_bytes + 1] if hashed else raw, first + i, hashed, None, rules, now)


class _Rejoined:
    """Bytes already read, then the rest of the stream, as one stream to read lines from."""

    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        self._head, self._stream = io.BytesIO(head), stream

    def readline(self, size: int = -1) -> bytes:
        line = self._head.readline(size)
        if line.endswith(b"\n") or (size >= 0 and len(line) >= size):
            return line
        return line + self._stream.readline(size - len(line) if size >= 0 else -1)


def rows_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Events read line by line as ``EVENT_SCHEMA`` rows (their key: line content and number)."""
    return pa.Table.from_pylist([{
        **row, "event_at": dt.datetime.fromisoformat(row["event_at"]),
        "event_key": f"{hashlib.sha1(row['line_text'].encode('utf-8', 'surrogatepass')).hexdigest()[:20]}"
                     f":{row['line_no']}",
    } for row in rows], schema=usage_parse.EVENT_SCHEMA)


def _raw_lines(stream: IO[bytes], limit: int, digest: Any) -> Iterator[tuple[bytes, int, bool]]:
    """(line, bytes it took, hashed already) per line, newline kept. A line longer than ``limit`` is
    hashed here chunk by chunk and yielded cut to ``limit + 1`` bytes: one endless line cannot
    exhaust memory (it is quarantined, and consumed even when it has no newline yet)."""
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if len(line) <= limit or line.endswith(b"\n"):
            yield line, len(line), False
            continue
        digest.update(line)
        taken = len(line)
        rest = stream.readline(1 << 20)
        while rest:
            digest.update(rest)
            taken += len(rest)
            if rest.endswith(b"\n"):
                break
            rest = stream.readline(1 << 20)
        yield line[:limit + 1], taken, True


def _unreadable(path: Path, exc: BaseException) -> str:
    if isinstance(exc, gzip.BadGzipFile):
        return f"{path.name} is named .gz but is not gzip data ({exc}): rename or recompress it"
    if isinstance(exc, EOFError):
        return f"{path.name} is a truncated gzip file (ended before its end-of-stream marker): re-export it"
    if isinstance(exc, zlib.error | isal_zlib.error):
        return f"{path.name} holds corrupt gzip data ({exc}): re-export it"
    return f"{path.name} cannot be read: {type(exc).__name__}: {exc}"


def _parse_json(line: str) -> tuple[dict[str, Any] | None, str | None]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON ({exc.msg} at column {exc.colno})"
    except RecursionError:
        return None, "JSON nested too deeply"
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        return None, f"not readable JSON ({str(exc)[:80]})"
    if not isinstance(row, dict):
        return None, "a JSON object was expected on each line"
    return row, None


def _parse_csv(line: str, header: list[str] | None) -> tuple[dict[str, Any] | None, str | None]:
    if not header:
        return None, "CSV file has no header line"
    try:
        values = next(csv.reader([line]), [])
    except csv.Error as exc:  # e.g. a field over csv.field_size_limit when max_line_bytes is raised
        return None, f"not readable CSV ({exc})"
    if len(values) != len(header):
        return None, f"expected {len(header)} CSV columns, found {len(values)}"
    return {k: (v if v != "" else None) for k, v in zip(header, values, strict=True)}, None


def _timestamp(value: Any, rules: UsageRules, now: dt.datetime) -> tuple[str | None, str | None]:
    raw = text(value)
    if raw is None or len(raw) > 40:
        return None, f"timestamp {str(value)[:40]!r} is not RFC 3339"
    try:
        when = dt.datetime.fromisoformat(raw)
    except ValueError:
        return None, f"timestamp {raw[:40]!r} is not RFC 3339"
    if when.tzinfo is None:
        if rules.naive_timestamps == "reject":
            return None, f"timestamp {raw!r} has no time zone (usage.naive_timestamps: reject)"
        when = when.replace(tzinfo=dt.UTC)  # the documented rule: a time without a zone is UTC
    when = when.astimezone(dt.UTC)
    if when.year < 1900:
        return None, f"timestamp {raw!r} is before 1900"
    if when > now + dt.timedelta(minutes=rules.max_future_minutes):
        return None, (f"timestamp {raw!r} is in the future (more than {rules.max_future_minutes:g} minutes "
                      "ahead of the loader's clock)")
    return when.isoformat(), None


def validate(row: dict[str, Any], rules: UsageRules, now: dt.datetime) -> tuple[dict[str, Any] | None, str | None]:
    """One parsed line as a usage event, or the reason it cannot be one."""
    for name in REQUIRED:
        if text(row.get(name)) is None and not (name == "customer_id" and text(row.get("anonymous_id"))):
            return None, f"missing required field '{name}'"
    event_at, reason = _timestamp(row.get("timestamp"), rules, now)
    if event_at is None:
        return None, reason
    clean: dict[str, Any] = {"event_at": event_at, "customer_ref": text(row.get("customer_id")),
                             "event": text(row["event"]), "status": text(row.get("status")),
                             "user_id": text(row.get("user_id")), "anonymous_id": text(row.get("anonymous_id")),
                             "source": text(row.get("source"))}
    count = row.get("count")
    if text(count) is None:
        clean["event_count"] = 1.0
    else:
        value = number(count)
        if value is None:
            return None, f"field 'count' is not a number: {str(count)[:40]!r}"
        if value < 1 or value != int(value):
            return None, f"field 'count' must be a whole number of at least 1, got {str(count)[:40]!r}"
        if value > rules.max_count:
            return None, f"field 'count' is {value:.3g}, above usage.max_count ({rules.max_count:g})"
        clean["event_count"] = value
    for name in NUMERIC:
        value = row.get(name)
        if text(value) is None:
            clean[name] = None
            continue
        parsed = number(value)
        if parsed is None:
            return None, f"field '{name}' is not a number: {str(value)[:40]!r}"
        if parsed < 0 or parsed > rules.max_number:
            return None, f"field '{name}' must be between 0 and usage.max_number ({rules.max_number:g}), got {parsed:.3g}"
        clean[name] = parsed
    return clean, None
