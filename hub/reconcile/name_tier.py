"""The weakest tier: a company name, only ever with corroboration.

A name alone never links: in a dense name space "Acme" and "Acme Analytics", or two "Acme"s
in two countries, are different companies. A name link needs, between two clusters:

- name evidence: the same normalised name, or one record's name spelling the other cluster's
  domain ("Urban Brook" ~ urbanbrook.com);
- a fit: a cluster with a website answers to the name only if the website spells it
  ("Goldenway" is not goldenwaytechnologies.com, whose short name it may merely share);
- corroboration: the same city and country; or, when the name is unique (no third cluster
  answers to it and neither cluster has another compatible partner), the same city, the same
  country, or compatible places (the country a legal form or a country-code domain implies:
  "Acme GmbH" ~ acme.de ~ Germany);
- no conflict: not two different websites, not two different countries;
- no ambiguity: the links a name makes may not bring two websites or two countries together.

Pairs with name evidence that fail a condition are the mid-confidence pairs the data team
reviews (``match_review``), scored so the likeliest come first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hub.reconcile.features import Features
from hub.reconcile.graph import connected_components


@dataclass
class NamePairs:
    """Cluster pairs with name evidence: the records that showed it, a score and the decision."""

    left: np.ndarray  # record positions
    right: np.ndarray
    score: np.ndarray
    accepted: np.ndarray  # bool: link now; the rest go to review
    reason: np.ndarray  # object: why a pair is (or is not) linked


def group_pairs(keys: np.ndarray, items: np.ndarray, max_group: int) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of ``items`` sharing a key (-1: none); keys over ``max_group`` items are skipped."""
    keep = keys >= 0
    keys, items = keys[keep], items[keep]
    order = np.argsort(keys, kind="stable")
    keys, items = keys[order], items[order]
    if len(keys):
        sizes = np.bincount(keys)[keys]
        keys, items = keys[sizes <= max_group], items[sizes <= max_group]
    lefts, rights = [], []
    offset = 1
    while offset < len(keys):  # sorted keys: pairs sit at a fixed offset inside a key's run
        same = keys[offset:] == keys[:-offset]
        if not same.any():
            break
        lefts.append(items[:-offset][same])
        rights.append(items[offset:][same])
        offset += 1
    if not lefts:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(lefts), np.concatenate(rights)


def _attribute(labels: np.ndarray, values: np.ndarray) -> pd.DataFrame:
    """Distinct (cluster, value) rows of one attribute."""
    has = values >= 0
    return pd.DataFrame({"c": labels[has], "v": values[has]}).drop_duplicates()


def _compare(pairs: pd.DataFrame, attr: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per cluster pair: (share a value, both have values and share none)."""
    shared = pairs[["a", "b"]].merge(attr.rename(columns={"c": "a"}), on="a").merge(
        attr.rename(columns={"c": "b"}), on=["b", "v"])[["a", "b"]].drop_duplicates()
    same = np.zeros(len(pairs), bool)
    if len(shared):
        same = pd.MultiIndex.from_frame(pairs[["a", "b"]]).isin(pd.MultiIndex.from_frame(shared))
    has = np.unique(attr["c"].to_numpy())
    both = np.isin(pairs["a"].to_numpy(), has) & np.isin(pairs["b"].to_numpy(), has)
    return same, both & ~same


def name_pairs(f: Features, labels: np.ndarray, max_group: int) -> NamePairs:
    """Name-evidence pairs between the clusters ``labels`` describes, scored and decided."""
    n = f.n
    # Occurrences in one key space: names at positions 0..n-1, domain labels at n..2n-1.
    left, right = group_pairs(np.concatenate([f.name, f.label]), np.arange(2 * n), max_group)
    names_meet = (left < n) | (right < n)  # two domain labels meeting is the domain tier's business
    left, right = left[names_meet], right[names_meet]
    spells_domain = (left >= n) | (right >= n)
    left, right = left % n, right % n
    a, b = labels[left], labels[right]
    apart = a != b
    if not apart.any():
        empty = np.empty(0, np.int64)
        return NamePairs(empty, empty, np.empty(0), np.empty(0, bool), np.empty(0, object))
    frame = pd.DataFrame({"a": np.minimum(a, b)[apart], "b": np.maximum(a, b)[apart],
                          "left": left[apart], "right": right[apart], "spells": spells_domain[apart],
                          "key": np.where(f.name[left] >= 0, f.name[left], f.label[left])[apart]})
    # A cluster with a website whose name part is not this name: the name is likely a short
    # form of another company's ("Goldenway" for goldenwaytechnologies.com).
    held = _attribute(labels, f.label).rename(columns={"v": "key"})
    has_site = np.zeros(n, bool)
    has_site[labels[f.any_domain >= 0]] = True
    for side in ("a", "b"):
        spelled = frame[[side, "key"]].merge(held.rename(columns={"c": side}).assign(hit=True),
                                             on=[side, "key"], how="left")["hit"].notna().to_numpy()
        frame[f"fits_{side}"] = spelled | ~has_site[frame[side].to_numpy()]
    frame = frame.sort_values(["a", "b", "spells"], ascending=[True, True, False], kind="stable")
    pairs = frame.groupby(["a", "b"], sort=False).agg(
        left=("left", "first"), right=("right", "first"), spells=("spells", "any"),
        fits=("fits_a", "any"), fits_b=("fits_b", "any")).reset_index()
    pairs["fits"] &= pairs.pop("fits_b")
    same_city, _ = _compare(pairs, _attribute(labels, f.city))
    countries = _attribute(labels, f.country)
    same_country, other_country = _compare(pairs, countries)
    domains = _attribute(labels, f.any_domain)
    _, other_domain = _compare(pairs, domains)
    place = np.zeros(n, np.int64)
    np.bitwise_or.at(place, labels, f.place)
    pa, pb = place[pairs["a"].to_numpy()], place[pairs["b"].to_numpy()]
    same_place, other_place = (pa & pb) != 0, (pa != 0) & (pb != 0) & ((pa & pb) == 0)
    spells = pairs["spells"].to_numpy()
    conflict = other_domain | other_country | other_place
    # "unique": no third cluster answers to the name, and neither cluster has another partner
    # it is compatible with (an "Acme" in another country does not count)
    unique = _only_partners(pairs, ~conflict) & (_clusters_per_name(f, labels)[pairs["left"].to_numpy()] <= 2)
    fits = pairs["fits"].to_numpy()
    corroborated = fits & ((same_city & same_country) | ((same_city | same_country | same_place) & unique))
    accepted = corroborated & ~conflict
    accepted &= _unambiguous(pairs, accepted, domains, countries)
    score = np.round(0.5 + 0.1 * spells + 0.1 * fits + 0.1 * unique + 0.05 * same_city
                     + 0.05 * same_country + 0.05 * same_place - 0.3 * other_domain
                     - 0.3 * (other_country | other_place), 3)
    reason = np.select(
        [accepted, other_domain, other_country | other_place, ~fits, ~unique, ~corroborated],
        ["name corroborated", "same name, different websites", "same name, different countries",
         "name is short for another website", "more than two companies answer to the name",
         "same name, nothing corroborates it"],
        "same name, would join different websites or countries")
    return NamePairs(pairs["left"].to_numpy(), pairs["right"].to_numpy(), score, accepted,
                     reason.astype(object))


def _clusters_per_name(f: Features, labels: np.ndarray) -> np.ndarray:
    """Per record: how many clusters answer to its name (as a name or as a domain label)."""
    keys = np.concatenate([f.name, f.label])
    held = pd.DataFrame({"k": keys, "c": np.concatenate([labels, labels])})[keys >= 0].drop_duplicates()
    count = held.groupby("k").size()
    out = np.zeros(f.n, np.int64)
    has = f.name >= 0
    out[has] = count.reindex(f.name[has]).fillna(0).to_numpy()
    return out


def _only_partners(pairs: pd.DataFrame, compatible: np.ndarray) -> np.ndarray:
    """Per cluster pair: neither cluster has another name partner it is compatible with, so the
    name cannot mean some third company (two "Acme"s in other countries do not count)."""
    ends = np.concatenate([pairs["a"].to_numpy()[compatible], pairs["b"].to_numpy()[compatible]])
    clusters, count = np.unique(ends, return_counts=True)
    partners = pd.Series(count, index=clusters)
    a = partners.reindex(pairs["a"].to_numpy()).fillna(0).to_numpy()
    b = partners.reindex(pairs["b"].to_numpy()).fillna(0).to_numpy()
    return (a <= 1) & (b <= 1)


def _unambiguous(pairs: pd.DataFrame, accepted: np.ndarray, domains: pd.DataFrame,
                 countries: pd.DataFrame) -> np.ndarray:
    """False for accepted pairs whose name links, taken together, would join clusters holding
    two different websites or two different countries: which one the name means is a guess."""
    if not accepted.any():
        return np.ones(len(pairs), bool)
    a, b = pairs["a"].to_numpy()[accepted], pairs["b"].to_numpy()[accepted]
    clusters, codes = np.unique(np.concatenate([a, b]), return_inverse=True)
    group = connected_components(len(clusters), codes[: len(a)], codes[len(a):])
    group_of = pd.Series(group, index=clusters)
    bad = np.zeros(len(clusters), bool)
    for attr in (domains, countries):
        held = attr[attr["c"].isin(clusters)]
        per_group = held.assign(g=group_of.loc[held["c"]].to_numpy()).groupby("g")["v"].nunique()
        bad[np.isin(group, per_group.index[per_group > 1])] = True
    out = np.ones(len(pairs), bool)
    out[np.flatnonzero(accepted)] = ~bad[codes[: len(a)]]
    return out
