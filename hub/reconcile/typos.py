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


def deletion_pairs(names: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i < j) of distinct ``names`` at optimal-string-alignment distance 1."""
    keys, index_of = _deletion_keys(names)
    if len(keys) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    # sorted keys: names sharing a key sit next to each other, pairs at a fixed offset in a run
    order = np.argsort(keys)
    keys, index_of = keys[order], index_of[order]
    run = np.cumsum(np.concatenate([[True], keys[1:] != keys[:-1]])) - 1
    size = np.bincount(run)[run]
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
    pair = np.unique(np.minimum(left, right)[left != right] * len(names)
                     + np.maximum(left, right)[left != right])
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
