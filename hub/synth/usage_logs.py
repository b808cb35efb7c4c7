"""Usage events written as the daily files that land in HUB_USAGE_LOG_DIR: messy but valid lines
and files unless ``tidy``, and optionally broken lines."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd

from hub.sourcedata import SourceData
from hub.synth import mess_usage
from hub.synth.mess import Mess
from hub.synth.usage import USAGE_COLUMNS
from hub.synth.wire import rng_for

FORMATS = ("jsonl", "jsonl.gz", "csv")
BAD_KINDS = ("unparseable", "bad timestamp", "unknown customer")


def _columns(events: pd.DataFrame) -> dict[str, list]:
    """Each column as a plain list, missing values as None."""
    out = {}
    for name in USAGE_COLUMNS:
        column = events[name]
        out[name] = column.astype(object).where(column.notna(), None).tolist()
    return out


def _json_lines(columns: dict[str, list], rows: list[int]) -> list[str]:
    lines = []
    for i in rows:
        record = {name: columns[name][i] for name in USAGE_COLUMNS if columns[name][i] is not None}
        lines.append(json.dumps(record, separators=(",", ":")))
    return lines


def _csv_lines(columns: dict[str, list], rows: list[int]) -> list[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(
        [
            ["" if columns[name][i] is None else columns[name][i] for name in USAGE_COLUMNS]
            for i in rows
        ]
    )
    return buffer.getvalue().splitlines()


def _broken_line(kind: str, fmt: str, template: dict, rng: np.random.Generator) -> str:
    """A line the loader must quarantine, with the reason ``kind``."""
    record = {name: value for name, value in template.items() if value is not None}
    if kind == "unparseable":
        if fmt == "csv":
            return f"#corrupted-{int(rng.integers(0, 16**8)):08x}"  # one field where eight belong
        text = json.dumps(record, separators=(",", ":"))
        return text[: len(text) // 2]
    if kind == "bad timestamp":
        record["timestamp"] = ("yesterday", "2026-13-45T25:61:00Z", "20/11/2026 10:00")[
            int(rng.integers(0, 3))
        ]
    else:
        # Application IDs are BETA- plus a number that never starts with 0, so this is nobody.
        record["customer_id"] = f"BETA-0{int(rng.integers(0, 100_000)):05d}"
    if fmt == "csv":
        return _csv_lines({k: [record.get(k)] for k in USAGE_COLUMNS}, [0])[0]
    return json.dumps(record, separators=(",", ":"))


def write_usage_logs(
    data: SourceData,
    directory: Path,
    *,
    fmt: str = "jsonl.gz",
    bad_lines: int = 0,
    seed: int = 7,
    tidy: bool = False,
    mess: Mess | None = None,
) -> list[Path]:
    """Write one file per UTC day (``usage-2026-11-20.jsonl.gz``) and return their paths in date order.

    Unless ``tidy``, lines and files are messy but valid at the shares of ``mess`` (default
    ``Mess()``): timestamps without a zone or in other RFC 3339 forms, numbers as strings and
    unknown fields in JSON lines, an extra column or a byte-order mark in CSV files, CRLF line
    ends. ``bad_lines`` extra lines — unparseable, with a bad timestamp, or naming an unknown
    customer, in turn — are spread over the files at random positions.
    """
    if tidy and mess is not None:
        raise ValueError("pass either tidy=True or a Mess, not both")
    messy = None if tidy else (mess or Mess())
    if fmt not in FORMATS:
        raise ValueError(f"usage log format {fmt!r} is not one of {', '.join(FORMATS)}")
    events = data.usage_events
    if events.empty:
        if bad_lines:
            raise ValueError(
                "there are no usage events to hide bad lines among: generate with usage_days > 0"
            )
        return []
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    columns = _columns(events)
    days, which = np.unique(np.array([t[:10] for t in columns["timestamp"]]), return_inverse=True)
    rows_of_day = np.split(np.argsort(which, kind="stable"), np.cumsum(np.bincount(which))[:-1])
    rng = rng_for(seed, "bad usage lines")
    bad_file = rng.integers(0, len(days), bad_lines)
    mess_rng = rng_for(seed, "messy usage lines")
    paths = []
    for d, (day, rows) in enumerate(zip(days.tolist(), rows_of_day, strict=True)):
        rows = rows.tolist()
        header = ",".join(USAGE_COLUMNS)
        if messy is None:
            lines = _csv_lines(columns, rows) if fmt == "csv" else _json_lines(columns, rows)
        else:
            crlf, bom, extra = (mess_rng.random(3) < (messy.usage_crlf, messy.usage_bom,
                                                      messy.usage_extra_column)).tolist()
            if fmt == "csv":
                header, lines = mess_usage.csv_lines(columns, rows, messy, mess_rng, extra_column=extra)
            else:
                lines = mess_usage.json_lines(columns, rows, messy, mess_rng)
        for b in np.flatnonzero(bad_file == d).tolist():
            template = {
                name: columns[name][rows[int(rng.integers(0, len(rows)))]] for name in USAGE_COLUMNS
            }
            line = _broken_line(BAD_KINDS[b % len(BAD_KINDS)], fmt, template, rng)
            lines.insert(int(rng.integers(0, len(lines) + 1)), line)
        body = "\n".join(lines) + "\n"
        if fmt == "csv":
            body = header + "\n" + body
        if messy is not None:
            body = mess_usage.file_text(body, fmt, crlf=crlf, bom=bom)
        path = directory / f"usage-{day}.{fmt}"
        if fmt == "jsonl.gz":
            with (
                open(path, "wb") as raw,
                gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as gz,
            ):
                gz.write(body.encode())  # mtime=0: the same data gives byte-identical files
        else:
            path.write_bytes(body.encode("utf-8"))
        paths.append(path)
    return paths
