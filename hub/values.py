"""Reading values the sources send, whatever shape they arrive in.

Real APIs omit empty fields (Airtable), send ``null`` or leave properties out (HubSpot), send
``null`` for unset fields (Salesforce), write numbers as text ("1,200", "12%") and may carry text
no database stores (a NUL byte; a lone UTF-16 surrogate). Every reader here takes *anything* and
returns the wanted type or ``None``: staging computes with what is there and never crashes on a
shape it did not expect.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

# Code points PostgreSQL refuses in text (NUL) or that cannot be encoded as UTF-8 (surrogates).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_NUMBER_NOISE = re.compile(r"[\s,_$€£\u00a0\u202f]")
TRUE_WORDS = frozenset({"true", "yes", "y", "1", "on", "checked", "x"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "off", "unchecked", ""})


def safe_text(value: str) -> str:
    """``value`` storable in both warehouses: NUL bytes dropped, lone surrogates as U+FFFD."""
    if "\x00" in value or not value.isascii():
        return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", value)
    return value


def escape_unstorable(value: str) -> str:
    """``value`` with NUL and lone surrogates spelled out (``\\u0000``), for the raw payload copy:
    faithful to what the source sent, yet storable in a PostgreSQL JSONB or TEXT column."""
    if "\x00" in value or not value.isascii():
        return _UNSTORABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", value)
    return value


_SPELLED_OUT = re.compile(r"\\u(0000|d[89a-f][0-9a-f]{2})")


def read_escaped(value: str) -> str:
    """The storable reading of a string :func:`escape_unstorable` spelled out: a spelled-out NUL is
    dropped, a spelled-out surrogate is U+FFFD (what :func:`safe_text` makes of the original)."""
    if "\\u" not in value:
        return value
    return _SPELLED_OUT.sub(lambda m: "" if m.group(1) == "0000" else "\ufffd", value)


def read_escaped_record(value: Any) -> Any:
    """A stored payload as staging reads it (see :func:`read_escaped`)."""
    if isinstance(value, str):
        return read_escaped(value)
    if isinstance(value, dict):
        return {k: read_escaped_record(v) for k, v in value.items()}
    if isinstance(value, list):
        return [read_escaped_record(v) for v in value]
    return value


def escape_record(value: Any) -> Any:
    """A JSON-like value with every string (and key) passed through :func:`escape_unstorable`, and
    NaN and infinities (which Python's JSON reader accepts from a wire but no JSON column stores)
    as null: they read as missing everywhere anyway."""
    if isinstance(value, str):
        return escape_unstorable(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {escape_unstorable(k) if isinstance(k, str) else k: escape_record(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [escape_record(v) for v in value]
    return value


def text(value: Any) -> str | None:
    """A scalar as trimmed, storable text; ``None`` for missing, empty or structured values
    (a list yields its first element: Airtable sends linked records and lookups as lists)."""
    if isinstance(value, list):
        return text(value[0]) if value else None
    if value is None or isinstance(value, dict):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return None
    out = safe_text(str(value)).strip()
    return out or None


def number(value: Any) -> float | None:
    """A finite number from a number or its spellings: ``"1,200"``, ``" 42 "``, ``"$3.50"``,
    ``"1.2e3"``; ``"12%"`` is 12. Booleans, structures and anything unreadable are ``None``."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        result = float(value) if not isinstance(value, int) or abs(value) < 1e300 else math.inf
    elif isinstance(value, str):
        cleaned = _NUMBER_NOISE.sub("", value).removesuffix("%")
        if not cleaned or len(cleaned) > 64:  # no real figure has 64 digits; refuse the hostile ones
            return None
        try:
            result = float(cleaned)
        except ValueError:
            return None
    else:
        return None
    return result if math.isfinite(result) else None


def flag(value: Any) -> bool:
    """A checkbox or yes/no: Airtable omits an unchecked box, so missing is ``False``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0 and not (isinstance(value, float) and math.isnan(value))
    if isinstance(value, str):
        return value.strip().lower() in TRUE_WORDS
    return bool(value)


def first_id(value: Any) -> str | None:
    """The first id of an Airtable link (a list of ``rec…`` ids) or a plain id."""
    return text(value)


def lower(value: Any) -> str | None:
    out = text(value)
    return out.lower() if out else None


def timestamp_text(value: Any) -> str | None:
    """An ISO 8601 UTC timestamp from the spellings the APIs use (``…Z``, ``….000+0000``, a date,
    epoch milliseconds as a number or string); ``None`` when it is none of them."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
        millis = number(value)
        if millis is None or not 0 <= millis < 4e12:  # epoch ms up to the year 2096
            return None
        return dt.datetime.fromtimestamp(millis / 1000, dt.UTC).isoformat()
    raw = text(value)
    if raw is None or len(raw) > 40:
        return None
    try:
        parsed = dt.datetime.fromisoformat(raw)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC).isoformat()


def day_text(value: Any) -> str | None:
    """A calendar day ``YYYY-MM-DD`` from any timestamp spelling :func:`timestamp_text` reads."""
    stamp = timestamp_text(value)
    return stamp[:10] if stamp else None
