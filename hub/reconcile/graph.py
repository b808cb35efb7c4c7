"""Records as nodes, evidence as edges: components, key groups and the cluster-size guard."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Edges:
    """Pairs of record positions, each with the rule that produced it and its score."""

    left: np.ndarray
    right: np.ndarray
    rule: np.ndarray  # index into the caller's rule names; lower is stronger
    score: np.ndarray

    @classmethod
    def empty(cls) -> Edges:
        return cls(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int8), np.empty(0))

    @classmethod
    def of(cls, left: np.ndarray, right: np.ndarray, rule: int, score: float | np.ndarray) -> Edges:
        left, right = np.asarray(left, np.int64), np.asarray(right, np.int64)
        return cls(left, right, np.full(len(left), rule, np.int8),
                   np.broadcast_to(np.asarray(score, float), left.shape).copy())

    @classmethod
    def concat(cls, parts: list[Edges]) -> Edges:
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.empty()
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("left", "right", "rule", "score")))

    def __len__(self) -> int:
        return len(self.left)


def connected_components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Component label (smallest member index) of each of ``n`` nodes joined by the edges."""
    labels = np.arange(n)
    if len(left) == 0:
        return labels
    while True:
        low = np.minimum(labels[left], labels[right])
        before = labels.copy()
        np.minimum.at(labels, left, low)
        np.minimum.at(labels, right, low)
        labels = labels[labels]  # pointer jumping: halves the remaining path each round
        if np.array_equal(labels, before):
            return labels


def key_edges(codes: np.ndarray, max_group: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Edges joining each record to the first record sharing its key code (-1: no key).

    A key held by more than ``max_group`` records links nothing: a reseller's domain or a
    shared inbox says nothing about which company a record is. Returns (left, right, keys
    skipped as oversized).
    """
    pos = np.flatnonzero(codes >= 0)
    if len(pos) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), 0
    keys = codes[pos]
    order = np.argsort(keys, kind="stable")
    keys, pos = keys[order], pos[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    sizes = np.diff(np.r_[starts, len(keys)])
    size_of = np.repeat(sizes, sizes)
    first = np.repeat(pos[starts], sizes)
    usable = (size_of > 1) & (size_of <= max_group) & (pos != first)
    return pos[usable], first[usable], int((sizes > max_group).sum())


def component_sizes(labels: np.ndarray) -> np.ndarray:
    """Size of each node's component."""
    return np.bincount(labels, minlength=len(labels))[labels]


def guarded_components(n: int, edges: Edges, max_size: int,
                       cannot: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Components, except that none grows past ``max_size`` or joins a cannot-link pair.

    Components are found on all edges at once (numpy); only the few that break a rule are
    rebuilt edge by edge, strongest rule and score first, refusing the unions that would break
    it, so chained weak evidence is what gets dropped.
    """
    labels = connected_components(n, edges.left, edges.right)
    bad_label = np.bincount(labels, minlength=n) > max_size
    if cannot is not None and len(cannot[0]):
        same = labels[cannot[0]] == labels[cannot[1]]
        bad_label[labels[cannot[0][same]]] = True
    bad = bad_label[labels]
    if not bad.any():
        return labels
    members = np.flatnonzero(bad)
    inside = bad[edges.left] & bad[edges.right]
    order = np.lexsort((-edges.score[inside], edges.rule[inside]))
    lefts, rights = edges.left[inside][order], edges.right[inside][order]
    parent = {int(m): int(m) for m in members}
    size = dict.fromkeys(parent, 1)
    forbidden: dict[int, set[int]] = {}
    if cannot is not None:
        for a, b in zip(cannot[0].tolist(), cannot[1].tolist(), strict=True):
            if a in parent and b in parent:
                forbidden.setdefault(a, set()).add(b)
                forbidden.setdefault(b, set()).add(a)
    groups = {m: {m} for m in parent}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(lefts.tolist(), rights.tolist(), strict=True):
        ra, rb = find(a), find(b)
        if ra == rb or size[ra] + size[rb] > max_size:
            continue
        small, large = (ra, rb) if size[ra] < size[rb] else (rb, ra)
        if any(forbidden.get(x, set()) & groups[large] for x in groups[small]):
            continue
        parent[small] = large
        size[large] += size[small]
        groups[large] |= groups.pop(small)
    out = labels.copy()
    for m in parent:
        out[m] = min(groups[find(m)])
    return out
