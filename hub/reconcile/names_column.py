"""``hub.names.name_and_places`` on a whole column of distinct company names at once.

Per name in Python that was the largest single cost of ``resolve_entities`` at a million
records (some 3.5 µs a name). Here an ASCII name takes cleanco's rule as ``_name_parts`` applies
it on the bytes of all names together (numpy): case folded, "." and "-" dropped, any other
character that is not a letter or digit separating words; trailing legal forms are cut the way
``_name_parts`` cuts them, a few rounds over all names. Other names (accents, other scripts)
go through ``hub.names`` itself. ``tests/test_reconcile_names_column.py`` holds the two side by
side on generated and random names.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from hub.names import _LEGAL_SIZES, _LEGAL_TERMS, _legal_places, name_and_places
from hub.reconcile.text_bytes import Parts, arrow_strings

# Per byte: its lower-case self (a letter or digit), a space (anything else), 0 (dropped).
_BYTES = np.array([ord(chr(b).lower()) if chr(b).isascii() and chr(b).isalnum() else 32
                   for b in range(256)], np.uint8)
_BYTES[[ord("."), ord("-")]] = 0


def names_and_places(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per distinct name (``str``): its normalised name and legal-form countries (None: none)."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:  # the same, one name at a time
        return _one_by_one(values)
    n = len(values)
    if n == 0:
        return np.empty(0, dtype=object), np.empty(0, dtype=object)
    text = arrow_strings(values, pa)
    if text is None:
        return _one_by_one(values)
    plain = np.asarray(pc.fill_null(pc.string_is_ascii(text), False))
    raw = Parts.of(text, 0, pa)
    words = Parts(*_words(raw.data, raw.offsets), ord(" "), pa)
    stop = words.offsets[1:]
    end = stop.copy()  # where each name's remaining words end
    count = words.count.copy()  # how many words remain
    _cut_legal_forms(words, end, count, np.flatnonzero(plain & (count > 1)), pc)
    names = words.text(words.offsets[:-1], end)
    places = np.full(n, None, dtype=object)
    has_legal = np.flatnonzero(end < stop)
    places[has_legal] = [_places(t) for t in words.text(end[has_legal] + 1, stop[has_legal]).tolist()]
    names[names == ""] = None
    other = np.flatnonzero(~plain)
    if len(other):
        names[other], places[other] = _one_by_one(values[other])
    return names, places


def _one_by_one(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    names, places = np.empty(len(values), dtype=object), np.empty(len(values), dtype=object)
    for i, v in enumerate(values.tolist()):
        names[i], places[i] = name_and_places(v)
    return names, places


@cache  # a few hundred distinct legal-form tails
def _places(tail: str) -> frozenset[str] | None:
    return _legal_places(tail.split()) or None


def _words(raw: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every name's words joined by single spaces: (bytes, offsets)."""
    n = len(offsets) - 1
    row = np.repeat(np.arange(n, dtype=np.int32), np.diff(offsets))
    data = _BYTES[raw]
    keep = data != 0
    data, row = data[keep], row[keep]
    # a space only between two words: not first in its name, not after another space ...
    space = data == 32
    keep = ~(space & _shifted(space, row, fill=True))
    data, row, space = data[keep], row[keep], space[keep]
    # ... and not last in its name
    keep = ~(space & _shifted(space, row, fill=True, ahead=True))
    data, row = data[keep], row[keep]
    return data, np.r_[0, np.cumsum(np.bincount(row, minlength=n))]


def _shifted(flag: np.ndarray, row: np.ndarray, *, fill: bool, ahead: bool = False) -> np.ndarray:
    """Per byte: ``flag`` of the byte before it (``ahead``: after it) in the same name, else ``fill``."""
    out = np.full(len(flag), fill)
    if len(flag) > 1:
        same = row[1:] == row[:-1]
        if ahead:
            out[:-1] = np.where(same, flag[1:], fill)
        else:
            out[1:] = np.where(same, flag[:-1], fill)
    return out


_TERMS = {size: sorted(" ".join(t) for t in terms) for size, terms in _LEGAL_TERMS.items()}
_LAST = sorted({t[-1] for terms in _LEGAL_TERMS.values() for t in terms})


def _cut_legal_forms(words: Parts, end: np.ndarray, count: np.ndarray, rows: np.ndarray, pc: Any) -> None:
    """``_name_parts``' loop, on many names at once: while a name of several words ends in a
    legal form's last word, cut the longest legal form it ends with that leaves a word, or stop."""
    pa = words.pa
    last = pa.array(_LAST, type=pa.large_string())
    terms = {size: pa.array(t, type=pa.large_string()) for size, t in _TERMS.items()}
    while len(rows):
        tail = words.arrow(words.before_last(rows, count[rows], 1), end[rows])
        rows = rows[np.asarray(pc.is_in(tail, value_set=last))]
        cut = np.zeros(len(rows), bool)
        for size in _LEGAL_SIZES:
            can = np.flatnonzero(~cut & (count[rows] > size))
            if len(can) == 0:
                continue
            at = rows[can]
            start = words.before_last(at, count[at], size)
            hit = np.asarray(pc.is_in(words.arrow(start, end[at]), value_set=terms[size]))
            end[at[hit]] = start[hit] - 1  # the space before the form
            count[at[hit]] -= size
            cut[can[hit]] = True
        rows = rows[cut & (count[rows] > 1)]
