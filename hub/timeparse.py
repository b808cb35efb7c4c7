"""One parser for the many spellings of time the sources and backends hand us."""

from __future__ import annotations

import pandas as pd


def timestamps(values: pd.Series | object) -> pd.Series:
    """Any ISO 8601 spelling (``…Z``, ``…+0000``, dates, PostgreSQL datetimes) -> UTC; unreadable -> NaT."""
    return pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")
