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

import numpy as np

from hub.names import _LEGAL_SIZES, _LEGAL_TERMS, _legal_places, name_and_places

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
    text = pa.array(values, type=pa.large_string())
    plain = np.asarray(pc.fill_null(pc.string_is_ascii(text), False))
    offsets = np.frombuffer(text.buffers()[1], np.int64)[: n + 1]
    data = np.frombuffer(text.buffers()[2], np.uint8)[: offsets[-1]] if offsets[-1] else np.zeros(0, np.uint8)
    words = _Words.of(data, offsets)
    end = words.offsets[1:].copy()  # where each name's remaining words end
    count = words.count.copy()  # how many words remain
    _cut_legal_forms(words, end, count, np.flatnonzero(plain & (count > 1)), pa, pc)
    names = words.text(words.offsets[:-1], end, pa)
    tails = words.text(np.minimum(end + 1, words.offsets[1:]), words.offsets[1:], pa)
    places = np.full(n, None, dtype=object)
    has_legal = np.flatnonzero(end < words.offsets[1:])
    places[has_legal] = [_places(t) for t in tails[has_legal].tolist()]
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


class _Words:
    """Every name as its words joined by single spaces, in one byte array."""

    def __init__(self, data: np.ndarray, offsets: np.ndarray, spaces: np.ndarray, first_space: np.ndarray,
                 count: np.ndarray) -> None:
        self.data, self.offsets = data, offsets
        self.spaces = spaces  # positions of the spaces, in order
        self.first_space = first_space  # per name: index in ``spaces`` of its first space
        self.count = count  # per name: number of words

    @classmethod
    def of(cls, raw: np.ndarray, offsets: np.ndarray) -> _Words:
        n = len(offsets) - 1
        row = np.repeat(np.arange(n), np.diff(offsets))
        data = _BYTES[raw]
        keep = data != 0
        data, row = data[keep], row[keep]
        # a space only between two words: not first in its name, not after another space ...
        space = data == 32
        after_space = _shifted(space, row, fill=True)
        keep = ~(space & after_space)
        data, row, space = data[keep], row[keep], space[keep]
        # ... and not last in its name
        keep = ~(space & _shifted(space, row, fill=True, ahead=True))
        data, row, space = data[keep], row[keep], space[keep]
        lengths = np.bincount(row, minlength=n)
        spaces = np.flatnonzero(space)
        per_name = np.bincount(row[spaces], minlength=n)
        first_space = np.r_[0, np.cumsum(per_name)[:-1]]
        return cls(data, np.r_[0, np.cumsum(lengths)], spaces, first_space,
                   np.where(lengths > 0, per_name + 1, 0))

    def space_before_last(self, rows: np.ndarray, count: np.ndarray, k: int) -> np.ndarray:
        """Per row: the position of the space before its last ``k`` words (of ``count`` left)."""
        return self.spaces[self.first_space[rows] + count - 1 - k]

    def text(self, start: np.ndarray, stop: np.ndarray, pa: object) -> np.ndarray:
        """The bytes ``start[i]:stop[i]`` of each row as text (an object array)."""
        return self.arrow(start, stop, pa).to_numpy(zero_copy_only=False).astype(object)

    def arrow(self, start: np.ndarray, stop: np.ndarray, pa: object) -> object:
        lengths = np.maximum(stop - start, 0)
        offsets = np.r_[0, np.cumsum(lengths)]
        index = np.arange(offsets[-1]) + np.repeat(start - offsets[:-1], lengths)
        return pa.LargeStringArray.from_buffers(  # type: ignore[attr-defined]
            len(start), pa.py_buffer(offsets.astype(np.int64)),  # type: ignore[attr-defined]
            pa.py_buffer(self.data[index].tobytes()))  # type: ignore[attr-defined]


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


def _cut_legal_forms(words: _Words, end: np.ndarray, count: np.ndarray, rows: np.ndarray,
                     pa: object, pc: object) -> None:
    """``_name_parts``' loop, on many names at once: while a name of several words ends in a
    legal form's last word, cut the longest legal form it ends with that leaves a word, or stop."""
    last = pa.array(_LAST, type=pa.large_string())  # type: ignore[attr-defined]
    terms = {size: pa.array(t, type=pa.large_string()) for size, t in _TERMS.items()}  # type: ignore[attr-defined]
    while len(rows):
        tail = words.arrow(words.space_before_last(rows, count[rows], 1) + 1, end[rows], pa)
        rows = rows[np.asarray(pc.is_in(tail, value_set=last))]  # type: ignore[attr-defined]
        cut = np.zeros(len(rows), bool)
        for size in _LEGAL_SIZES:
            can = np.flatnonzero(~cut & (count[rows] > size))
            if len(can) == 0:
                continue
            at = rows[can]
            space = words.space_before_last(at, count[at], size)
            form = words.arrow(space + 1, end[at], pa)
            hit = np.asarray(pc.is_in(form, value_set=terms[size]))  # type: ignore[attr-defined]
            end[at[hit]] = space[hit]
            count[at[hit]] -= size
            cut[can[hit]] = True
        rows = rows[cut & (count[rows] > 1)]
