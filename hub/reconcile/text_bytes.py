"""Many short texts as one byte array cut into parts by a separator byte: what the column-wise
normalisations (``names_column``, ``domains_column``) share. Arrow carries the bytes in and
out (``pyarrow`` is passed in: it is optional for the rest of ``hub.reconcile``)."""

from __future__ import annotations

from typing import Any

import numpy as np


def arrow_strings(values: np.ndarray, pa: Any) -> Any | None:
    """``values`` (``str``) as an Arrow string array; None when one is no UTF-8 (a lone surrogate
    from a bad decode): the caller then takes the values one by one, as ``hub.names`` would."""
    try:
        return pa.array(values, type=pa.large_string())
    except UnicodeEncodeError:
        return None


class Parts:
    """Texts ``data[offsets[i]:offsets[i + 1]]``, each cut into parts at ``separator``."""

    def __init__(self, data: np.ndarray, offsets: np.ndarray, separator: int, pa: Any) -> None:
        self.data, self.offsets, self.pa = data, offsets, pa
        self.separators = np.flatnonzero(data == separator)  # positions, in order
        row = np.searchsorted(offsets, self.separators, side="right") - 1
        per_text = np.bincount(row, minlength=len(offsets) - 1)
        self.first = np.r_[0, np.cumsum(per_text)[:-1]]  # per text: its first separator's index
        self.count = np.where(np.diff(offsets) > 0, per_text + 1, 0)  # per text: how many parts
        # a part that is empty: a separator first, last or twice in a row
        row_start = np.zeros(len(data) + 1, bool)
        row_start[offsets] = True
        empty = row_start[self.separators] | row_start[self.separators + 1]
        empty[1:] |= np.diff(self.separators) == 1
        self.has_empty = np.zeros(len(offsets) - 1, bool)
        self.has_empty[row[empty]] = True

    @classmethod
    def of(cls, text: Any, separator: int, pa: Any) -> Parts:
        """The parts of an Arrow ``large_string`` array without nulls."""
        n = len(text)
        offsets = np.frombuffer(text.buffers()[1], np.int64)[text.offset: text.offset + n + 1]
        data = (np.frombuffer(text.buffers()[2], np.uint8)[: offsets[-1]] if n and offsets[-1]
                else np.zeros(0, np.uint8))
        return cls(data, offsets, separator, pa)

    def before_last(self, rows: np.ndarray, count: np.ndarray, k: int | np.ndarray) -> np.ndarray:
        """Per row: where its last ``k`` parts (of the first ``count``) start."""
        if len(self.separators) == 0:
            return self.offsets[rows].copy()
        at = self.first[rows] + count - 1 - k
        return np.where(k < count, self.separators[np.maximum(at, 0)] + 1, self.offsets[rows])

    def arrow(self, start: np.ndarray, stop: np.ndarray) -> Any:
        """The bytes ``start[i]:stop[i]`` as an Arrow string array; the ranges lie in increasing
        order (rows in order), so they and the gaps between them are one array over the same
        bytes, and every other element of it is the answer."""
        if len(start) == 0:
            return self.pa.array([], type=self.pa.large_string())
        bounds = np.empty(2 * len(start), np.int64)
        bounds[0::2], bounds[1::2] = start, np.maximum(stop, start)
        both = self.pa.LargeStringArray.from_buffers(
            len(bounds) - 1, self.pa.py_buffer(bounds), self.pa.py_buffer(self.data))
        return both.take(self.pa.array(np.arange(0, len(bounds), 2)))

    def text(self, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
        """The bytes ``start[i]:stop[i]`` as an object array of ``str``."""
        return self.arrow(start, stop).to_numpy(zero_copy_only=False).astype(object, copy=False)
