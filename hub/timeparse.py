"""One parser for the many spellings of time the sources and backends hand us."""

from __future__ import annotations

import pandas as pd

# No customer event happened before 1900 or after 2200: outside, a "date" is a typo or garbage
# (and outside Python's datetime range, years 0 or 10000, no driver can bind it).
EARLIEST = pd.Timestamp("1900-01-01", tz="UTC")
LATEST = pd.Timestamp("2200-01-01", tz="UTC")


def timestamps(values: pd.Series | object) -> pd.Series:
    """Any ISO 8601 spelling (``…Z``, ``…+0000``, dates, PostgreSQL datetimes) -> UTC; unreadable
    or implausible (before 1900, after 2200) -> NaT."""
    parsed = pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")
    if isinstance(parsed, pd.Series):
        return parsed.where((parsed >= EARLIEST) & (parsed < LATEST))
    return parsed
