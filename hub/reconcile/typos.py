"""Names one slip apart: which distinct normalised names are typos of one another.

Blocking that survives one edit: every name (squashed, at least ``MIN_LENGTH`` letters) is keyed
by itself and by each of its one-letter deletions, so two names meet when they differ by one
substitution, insertion, deletion or transposition of neighbours ("lunarspring" and
"lunarsrping" both become "lunarsping" by losing one letter). Candidate pairs are confirmed with the
optimal-string-alignment distance.

A name whose only close neighbour is one other name is read as a spelling of it, and takes the
code of the more frequent of the two. Names with several close neighbours keep their own code:
which one they misspell is a guess. The name tier still treats a pair whose spellings differ as
weaker evidence than an exact name (``hub.reconcile.name_tier``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from rapidfuzz import process
from rapidfuzz.distance import OSA

# Shorter names are one slip away from too many other names to tell a typo from another company.
MIN_LENGTH = 6
# A deletion key shared by more names than this is a crowded neighbourhood: no evidence either way.
MAX_NEIGHBOURS = 8


# Polynomial hashes over code points, wrapping in uint64: a deletion's hash comes from prefix
# sums in numpy (``_deletion_keys``) instead of a Python string per deletion.
_BASE = np.uint64(1_000_003)
_INVERSE = np.uint64(pow(1_000_003, -1, 2**64))
_CHUNK = 65_536


def _deletion_keys(names: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(key, name index) rows: each name of ``MIN_LENGTH`` letters or more, by itself and by
    each of its one-letter deletions, as 64-bit hashes (a collision only adds a candidate)."""
    lengths = np.fromiter((len(v) if isinstance(v, str) else 0 for v in names.tolist()), np.int64, len(names))
    eligible = np.flatnonzero(lengths >= MIN_LENGTH)
    # by length, so each chunk is only as wide as its longest name
    eligible = eligible[np.argsort(lengths[eligible], kind="stable")]
    keys, index = [np.empty(0, np.uint64)], [np.empty(0, np.int64)]
    for start in range(0, len(eligible), _CHUNK):
        rows = eligible[start:start + _CHUNK]
        text = np.array(names[rows].tolist(), dtype=str)
        width = text.dtype.itemsize // 4
        points = text.view(np.uint32).reshape(len(rows), width).astype(np.uint64)
        with np.errstate(over="ignore"):
            powers = np.cumprod(np.concatenate([[np.uint64(1)], np.full(width - 1, _BASE, np.uint64)]))
            prefix = np.zeros((len(rows), width + 1), np.uint64)
            np.cumsum(points * powers, axis=1, out=prefix[:, 1:])
            whole = prefix[:, width:]
            # deleting letter t: the letters before it as they are, the ones after one place down
            deleted = prefix[:, :width] + (whole - prefix[:, 1:]) * _INVERSE
        valid = np.arange(width) < lengths[rows][:, None]
        keys += [whole[:, 0], deleted[valid]]
        index += [rows, np.broadcast_to(rows[:, None], valid.shape)[valid]]
    return np.concatenate(keys).view(np.int64), np.concatenate(index)


def _mixed(keys: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: a polynomial hash's top bits hardly depend on its first letters,
    and ``deletion_pairs`` keeps only the top bits."""
    x = keys.view(np.uint64).copy()
    with np.errstate(over="ignore"):
        x ^= x >> np.uint64(30)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    return x


def deletion_pairs(names: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i < j) of distinct ``names`` at optimal-string-alignment distance 1."""
    keys, index_of = _deletion_keys(names)
    if len(keys) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    # One sort of (key, name) packed into 64 bits: the key's top bits above the name index.
    # Sorting values is several times faster than argsort; fewer key bits only add candidates.
    width = max(1, int(len(names) - 1).bit_length())
    packed = np.sort((_mixed(keys) >> np.uint64(width) << np.uint64(width)) | index_of.astype(np.uint64))
    keys, index_of = packed >> np.uint64(width), (packed & np.uint64((1 << width) - 1)).astype(np.int64)
    # sorted keys: names sharing a key sit next to each other, pairs at a fixed offset in a run
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    sizes = np.diff(np.append(starts, len(keys)))
    size = np.repeat(sizes, sizes)
    keep = (size > 1) & (size <= MAX_NEIGHBOURS)
    keys, index_of = keys[keep], index_of[keep]
    lefts, rights = [np.empty(0, np.int64)], [np.empty(0, np.int64)]
    for offset in range(1, MAX_NEIGHBOURS):
        same = keys[offset:] == keys[:-offset]
        if not same.any():
            break
        lefts.append(index_of[:-offset][same])
        rights.append(index_of[offset:][same])
    left, right = np.concatenate(lefts), np.concatenate(rights)
    # "bookkeeper" loses either "o" the same way: a name may meet itself, or a pair meet twice
    differ = left != right
    pair = np.sort(pd.unique(np.minimum(left, right)[differ] * len(names) + np.maximum(left, right)[differ]))
    left, right = pair // len(names), pair % len(names)
    if len(left) == 0:
        return left, right
    close = process.cpdist(names[left], names[right], scorer=OSA.distance, processor=None,
                           score_cutoff=1, workers=2) <= 1
    return left[close], right[close]


def canonical_names(names: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Per distinct name, the index of the name it is read as (itself unless it is a typo)."""
    canon = np.arange(len(names))
    left, right = deletion_pairs(names)
    if len(left) == 0:
        return canon
    ends = np.concatenate([left, right])
    degree = np.bincount(ends, minlength=len(names))
    # Only a name with exactly one neighbour is read as a typo of that neighbour, and only when
    # that neighbour is not itself crowded.
    for a, b in ((left, right), (right, left)):
        only = (degree[a] == 1) & (degree[b] <= 2)
        # the rarer spelling is the typo; on a tie the pair still needs one code: the lower index
        rarer = (counts[a] < counts[b]) | ((counts[a] == counts[b]) & (a > b))
        move = only & rarer
        canon[a[move]] = b[move]
    # No chains: a name moves only when its one neighbour is the more frequent spelling, and
    # that neighbour, if it has no other neighbour either, cannot be the rarer one too.
    return canon
