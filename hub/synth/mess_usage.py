"""Usage-log lines and files that are messy but valid: every line still parses and names a
known customer, so a loader must load all of them (hostile lines are ``bad_lines``' job)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import TYPE_CHECKING

import numpy as np

from hub.synth.usage import USAGE_COLUMNS

if TYPE_CHECKING:
    from hub.synth.mess import Mess

_NUMBERS = ("bytes", "latency_ms", "cost", "count")
_EXTRA = {"region": ("eu-west-1", "us-east-1", "ap-southeast-2"), "sdk": ("python/2.3.1", "node/1.9.0"),
          "host": ("api-3", "api-7")}


def _time_form(stamp: str, u: float) -> str:
    """The same instant, written another way RFC 3339 / ISO 8601 allow."""
    moment = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    plain = stamp.removesuffix("Z")
    forms = (
        plain + "+00:00",
        plain + ".000Z",
        plain.replace("T", " ") + "Z",
        moment.astimezone(dt.timezone(dt.timedelta(hours=1))).isoformat(),
        moment.astimezone(dt.timezone(dt.timedelta(hours=-5))).isoformat(),
    )
    return forms[int(u * len(forms))]


def _timestamps(stamps: list[str], mess: Mess, rng: np.random.Generator) -> list[str]:
    draws = rng.random((len(stamps), 2)).tolist()
    out = []
    for stamp, (kind, u) in zip(stamps, draws, strict=True):
        if kind < mess.usage_naive_time:
            stamp = stamp.removesuffix("Z")  # no zone: the writer meant UTC and did not say so
        elif kind < mess.usage_naive_time + mess.usage_time_forms:
            stamp = _time_form(stamp, u)
        out.append(stamp)
    return out


def json_lines(columns: dict[str, list], rows: list[int], mess: Mess, rng: np.random.Generator) -> list[str]:
    """JSON lines with other timestamp forms, numbers as strings and unknown fields mixed in."""
    stamps = _timestamps([columns["timestamp"][i] for i in rows], mess, rng)
    draws = rng.random((len(rows), 3)).tolist()
    lines = []
    for i, stamp, (as_text, extra, u) in zip(rows, stamps, draws, strict=True):
        record = {name: columns[name][i] for name in USAGE_COLUMNS if columns[name][i] is not None}
        record["timestamp"] = stamp
        if as_text < mess.usage_string_numbers:
            record.update({k: str(record[k]) for k in _NUMBERS if k in record})
        if extra < mess.usage_extra_fields:
            names = list(_EXTRA)[: 1 + int(u * len(_EXTRA))]
            record.update({k: _EXTRA[k][int(u * 997) % len(_EXTRA[k])] for k in names})
        lines.append(json.dumps(record, separators=(",", ":")))
    return lines


def csv_lines(columns: dict[str, list], rows: list[int], mess: Mess, rng: np.random.Generator,
              *, extra_column: bool) -> tuple[str, list[str]]:
    """(header, rows) of a CSV file with other timestamp forms and maybe a column nobody asked for."""
    stamps = _timestamps([columns["timestamp"][i] for i in rows], mess, rng)
    region = rng.integers(0, len(_EXTRA["region"]) + 1, len(rows)).tolist()
    header = list(USAGE_COLUMNS) + (["region"] if extra_column else [])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for i, stamp, r in zip(rows, stamps, region, strict=True):
        row = ["" if columns[name][i] is None else columns[name][i] for name in USAGE_COLUMNS]
        row[0] = stamp
        if extra_column:
            row.append(_EXTRA["region"][r] if r < len(_EXTRA["region"]) else "")
        writer.writerow(row)
    return ",".join(header), buffer.getvalue().splitlines()


def file_text(body: str, fmt: str, *, crlf: bool, bom: bool) -> str:
    """The file as a Windows tool or an Excel export leaves it: CRLF line ends, a byte-order mark."""
    if crlf:
        body = body.replace("\n", "\r\n")
    if bom and fmt == "csv":
        body = "\ufeff" + body
    return body
