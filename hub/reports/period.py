"""Report periods: ISO weeks (``2026-W48``) and calendar months (``2026-11``), in UTC dates as the
KPI catalogue counts them, and the partition keys Dagster gives them."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from hub.kpi_catalogue import Period, last_complete

WEEK = re.compile(r"(\d{4})-W(\d{2})")
MONTH = re.compile(r"(\d{4})-(\d{2})")


def parse_period(label: str) -> Period:
    """``2026-W48`` -> the ISO week Monday 2026-11-23 to Sunday 2026-11-29; ``2026-11`` -> November."""
    if match := WEEK.fullmatch(label):
        try:
            monday = dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
        except ValueError:
            raise ValueError(f"{label!r} is not an ISO week: the year has no week {match[2]}") from None
        start = pd.Timestamp(monday, tz="UTC")
        return Period("week", label, start, start + pd.Timedelta(days=7))
    if (match := MONTH.fullmatch(label)) and 1 <= int(match[2]) <= 12:
        start = pd.Timestamp(f"{label}-01", tz="UTC")
        return Period("month", label, start, start + pd.offsets.MonthBegin(1))
    raise ValueError(f"period {label!r}: expected an ISO week like 2026-W48 or a month like 2026-11")


def from_partition_key(key: str, grain: str) -> Period:
    """Dagster's weekly (Monday's date) or monthly (the 1st's date) partition key as a period."""
    start = pd.Timestamp(key[:10])
    if grain == "week":
        year, week, _ = start.isocalendar()
        return parse_period(f"{year}-W{week:02d}")
    return parse_period(start.strftime("%Y-%m"))


def partition_key(period: Period) -> str:
    return period.start.strftime("%Y-%m-%d")


def last_complete_period(grain: str, today: pd.Timestamp | None = None) -> Period:
    return last_complete(grain, pd.Timestamp.now(tz="UTC") if today is None else today)


def trailing(period: Period, count: int) -> list[Period]:
    """The ``count`` periods of the same grain ending with ``period``, oldest first."""
    out = [period]
    while len(out) < count:
        out.append(last_complete(period.grain, out[-1].start))
    return out[::-1]
