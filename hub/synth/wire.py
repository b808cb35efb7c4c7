"""Record ids and timestamp strings in each API's own format, built for whole arrays at once."""

from __future__ import annotations

import zlib

import numpy as np

_ALNUM = np.frombuffer(
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", dtype="S1"
)
_SF_CHECKSUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def rng_for(seed: int, part: str) -> np.random.Generator:
    """An independent stream per part, so changing one source's draws never shifts another's."""
    return np.random.default_rng([seed, zlib.crc32(part.encode())])


def _seconds_strings(seconds: np.ndarray) -> list[str]:
    """``YYYY-MM-DDTHH:MM:SS`` for epoch seconds."""
    stamps = np.asarray(seconds, dtype="int64").astype("datetime64[s]")
    return np.datetime_as_string(stamps, unit="s").tolist()


def iso_ms(seconds: np.ndarray, millis: np.ndarray | None = None) -> list[str]:
    """``2026-03-01T10:00:00.000Z`` (Airtable createdTime, HubSpot dates)."""
    text = _seconds_strings(seconds)
    if millis is None:
        return [s + ".000Z" for s in text]
    return [f"{s}.{m:03d}Z" for s, m in zip(text, np.asarray(millis).tolist(), strict=True)]


def rfc3339(seconds: np.ndarray) -> list[str]:
    """``2026-03-01T10:00:00Z`` (usage logs)."""
    return [s + "Z" for s in _seconds_strings(seconds)]


def sf_datetime(seconds: np.ndarray) -> list[str]:
    """``2024-05-07T22:07:19.000+0000`` (Salesforce datetimes)."""
    return [s + ".000+0000" for s in _seconds_strings(seconds)]


def day(seconds: np.ndarray) -> list[str]:
    """``YYYY-MM-DD`` of epoch seconds (UTC)."""
    stamps = np.asarray(seconds, dtype="int64").astype("datetime64[s]").astype("datetime64[D]")
    return np.datetime_as_string(stamps, unit="D").tolist()


def epoch_ms(seconds: np.ndarray, millis: np.ndarray) -> list[str]:
    """Epoch milliseconds as strings (HubSpot modified-time properties)."""
    return [str(v) for v in (np.asarray(seconds, dtype="int64") * 1000 + millis).tolist()]


def airtable_ids(rng: np.random.Generator, n: int) -> list[str]:
    """Unique ``rec`` + 14 alphanumerics."""
    ids: dict[str, None] = {}
    while len(ids) < n:
        need = n - len(ids)
        chars = _ALNUM[rng.integers(0, len(_ALNUM), (need, 14))]
        ids.update(dict.fromkeys("rec" + b.decode() for b in chars.view("S14").ravel().tolist()))
    return list(ids)[:n]


def base62(value: int, width: int) -> str:
    """``value`` as ``width`` base-62 digits (0-9, A-Z, a-z), as Salesforce ids spell numbers."""
    digits = []
    for _ in range(width):
        value, rest = divmod(value, 62)
        digits.append(_ALNUM[rest].decode())
    return "".join(reversed(digits))


def salesforce_id(id15: str) -> str:
    """The 18-character case-safe form of a 15-character Salesforce id."""
    suffix = ""
    for chunk in (id15[0:5], id15[5:10], id15[10:15]):
        bits = sum(1 << i for i, c in enumerate(chunk) if "A" <= c <= "Z")
        suffix += _SF_CHECKSUM[bits]
    return id15 + suffix


def salesforce_ids(prefix: str, rng: np.random.Generator, n: int) -> list[str]:
    """``n`` ascending 18-character ids with the object's key prefix ("001" Account, …)."""
    start = int(rng.integers(62**5, 62**6))
    steps = np.cumsum(rng.integers(1, 40, n)) + start
    return [salesforce_id(f"{prefix}Hs0{base62(v, 9)}") for v in steps.tolist()]


def numeric_ids(rng: np.random.Generator, n: int, start: int) -> list[str]:
    """Ascending digit-string ids (HubSpot object ids grow with creation time)."""
    return [str(v) for v in (np.cumsum(rng.integers(1, 400, n)) + start).tolist()]
