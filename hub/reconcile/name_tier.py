"""The weakest tier: a company name, only ever with corroboration.

A name alone never links: in a dense name space "Acme" and "Acme Analytics", or two "Acme"s
in two countries, are different companies. A name link needs, between two clusters:

- name evidence: the same normalised name, or one record's name spelling the other cluster's
  domain ("Urban Brook" ~ urbanbrook.com); a name one slip away (``hub.reconcile.typos``:
  "Lunarsrping" read as "Lunarspring") is weaker evidence;
- a fit: a cluster with a website answers to the name only if the website spells it
  ("Goldenway" is not goldenwaytechnologies.com, whose short name it may merely share), or a
  sibling of it (a subsidiary's acme.co.uk, acme-uk.com, acmegroup.com);
- corroboration: the same city and country; for a slipped name, the same city and either the
  same country or a unique name; for an exact name that is unique (no third cluster answers to
  it and neither cluster has another compatible partner), the same city, the same country,
  compatible places (the country a legal form or a country-code domain implies: "Acme GmbH" ~
  acme.de ~ Germany), or, for a name of at least ``SILENT_NAME_LENGTH`` letters, one cluster
  that says nothing about where it is (a free-mail application): nothing contradicts a rare
  name, the evidence a rare exact name is to Splink's term frequencies;
- no conflict: not two different websites (siblings are not different), not two different
  countries, and not a generic name several companies with websites share ("Global Solutions");
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

# What a subsidiary's domain adds to the name besides a two-letter country code ("acme-uk.com").
SIBLING_SUFFIXES = frozenset({"", "group", "global", "international", "intl", "holdings"})
# Names shorter than this (squashed) are shared by chance too often to link on silence.
SILENT_NAME_LENGTH = 8
# Three websites under one name make it a name several companies share (two may be one
# company's sibling domains).
GENERIC_WEBSITES = 3


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


def distinct_rows(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (x, y) pairs of two non-negative code columns, in order of first appearance."""
    width = int(y.max(initial=0)) + 1
    both = pd.unique(x.astype(np.int64) * width + y)  # one int64 hash, not a frame's row hashing
    return both // width, both % width


def _attribute(labels: np.ndarray, values: np.ndarray) -> pd.DataFrame:
    """Distinct (cluster, value) rows of one attribute."""
    has = values >= 0
    c, v = distinct_rows(labels[has], values[has])
    return pd.DataFrame({"c": c, "v": v})


def _compare(pairs: pd.DataFrame, attr: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per cluster pair: (share a value, both have values and share none)."""
    shared = pairs[["a", "b"]].merge(attr.rename(columns={"c": "a"}), on="a").merge(
        attr.rename(columns={"c": "b"}), on=["b", "v"])[["a", "b"]].drop_duplicates()
    same = np.zeros(len(pairs), bool)
    if len(shared):
        same = pd.MultiIndex.from_frame(pairs[["a", "b"]]).isin(pd.MultiIndex.from_frame(shared))
    a, b = pairs["a"].to_numpy(), pairs["b"].to_numpy()
    has = np.zeros(int(max(a.max(initial=-1), b.max(initial=-1), attr["c"].max() if len(attr) else -1)) + 1, bool)
    has[attr["c"].to_numpy()] = True
    return same, has[a] & has[b] & ~same


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
                          "key": np.where(f.name[left] >= 0, f.name[left], f.label[left])[apart],
                          # two spellings read as one name (``hub.reconcile.typos``): weaker evidence
                          "typo": np.where(spells_domain, f.retyped[left],
                                           f.spelling[left] != f.spelling[right])[apart]})
    frame["generic"] = _generic(f)[frame["key"].to_numpy()]
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
        fits=("fits_a", "any"), fits_b=("fits_b", "any"), typo=("typo", "all"),
        generic=("generic", "all")).reset_index()
    pairs["fits"] &= pairs.pop("fits_b")
    same_city, _ = _compare(pairs, _attribute(labels, f.city))
    countries = _attribute(labels, f.country)
    same_country, other_country = _compare(pairs, countries)
    domains = _attribute(labels, f.any_domain)
    _, other_domain = _compare(pairs, domains)
    # A subsidiary on a sibling domain (acme.com ~ acme.co.uk, acme-uk.com, acmegroup.com) is
    # neither another company's website nor a short form of one.
    sibling, other_tld = _siblings(f, pairs, domains, other_domain | ~pairs["fits"].to_numpy())
    other_domain &= ~sibling
    pairs["fits"] |= sibling
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
    typo, generic = pairs["typo"].to_numpy(), pairs["generic"].to_numpy()
    # A cluster that says nothing about where it is (a free-mail application) cannot contradict:
    # an exact name no third company answers to is then the evidence, as a rare name is to Splink.
    # Short names and the same name on another TLD are what two companies in two countries
    # look like, so neither counts on silence.
    placed = _placed(f, labels)
    silent = ~placed[pairs["a"].to_numpy()] | ~placed[pairs["b"].to_numpy()]
    length = np.char.str_len(f.spellings[f.spelling[pairs["left"].to_numpy()]].astype(str))
    silent &= ~other_tld & (length >= SILENT_NAME_LENGTH)
    # A typo'd name needs the same city, and the same country unless the name is unique.
    corroborated = fits & ((same_city & same_country) | (same_city & unique & typo)
                           | ((same_city | same_country | same_place | silent) & unique & ~typo & ~other_tld))
    accepted = corroborated & ~conflict & ~generic
    # sibling domains are one company's, so the ambiguity check reads them as one website
    accepted &= _unambiguous(pairs, accepted & ~sibling, domains, countries) | (accepted & sibling)
    accepted &= ~sibling | _only_partners(pairs, accepted)
    score = np.round(0.5 + 0.1 * spells + 0.1 * fits + 0.1 * unique + 0.05 * same_city
                     + 0.05 * same_country + 0.05 * same_place - 0.3 * other_domain
                     - 0.3 * (other_country | other_place) - 0.1 * typo - 0.2 * generic, 3)
    reason = np.select(
        [accepted & typo, accepted, other_domain, other_country | other_place, generic, ~fits,
         typo & ~corroborated, ~unique, ~corroborated],
        ["name one slip apart, same city", "name corroborated",
         "same name, different websites", "same name, different countries",
         "generic name several companies share", "name is short for another website",
         "name one slip apart, not in the same city",
         "more than two companies answer to the name", "same name, nothing corroborates it"],
        "same name, would join different websites or countries")
    return NamePairs(pairs["left"].to_numpy(), pairs["right"].to_numpy(), score, accepted,
                     reason.astype(object))


def _placed(f: Features, labels: np.ndarray) -> np.ndarray:
    """Per cluster: any record says where it is (city, country, legal form or country-code TLD)."""
    out = np.zeros(f.n, bool)
    out[labels[(f.city >= 0) | (f.country >= 0) | (f.place != 0)]] = True
    return out


def _sibling_label(label: str, name: str) -> bool:
    rest = label[len(name):] if label.startswith(name) else None
    return rest is not None and (rest in SIBLING_SUFFIXES or (len(rest) == 2 and rest.isalpha()))


def _siblings(f: Features, pairs: pd.DataFrame, domains: pd.DataFrame,
              candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per cluster pair: every domain either cluster holds is the pair's name on some suffix;
    and of those, the pairs whose labels all equal the name (the domains differ in TLD alone)."""
    out, bare = np.zeros(len(pairs), bool), np.zeros(len(pairs), bool)
    idx = np.flatnonzero(candidates & ~pairs["typo"].to_numpy())
    if len(idx) == 0:
        return out, bare
    name = np.maximum(f.spelling[pairs["left"].to_numpy()[idx]], 0)
    ends = pd.DataFrame({"i": np.concatenate([idx, idx]), "name": np.concatenate([name, name]),
                         "c": np.concatenate([pairs["a"].to_numpy()[idx], pairs["b"].to_numpy()[idx]])})
    ends = ends.merge(domains, on="c")
    # each (domain, name) once: many pairs share a name and a website
    combo, first = pd.factorize(ends["v"].to_numpy() * len(f.spellings) + ends["name"].to_numpy())
    domain, spelling = f.domains[first // len(f.spellings)], f.spellings[first % len(f.spellings)]
    labels = [d.split(".", 1)[0].replace("-", "") for d in domain.tolist()]
    ok = np.array([_sibling_label(label, n) for label, n in zip(labels, spelling.tolist(), strict=True)], bool)
    ends["ok"] = ok[combo]
    ends["bare"] = (np.asarray(labels, dtype=object) == spelling)[combo]
    every = ends.groupby("i")[["ok", "bare"]].all()
    out[every.index[every["ok"].to_numpy()]] = True
    bare[every.index[(every["ok"] & every["bare"]).to_numpy()]] = True
    return out, bare


def _generic(f: Features) -> np.ndarray:
    """Per name code: held by records of several different websites ("Global Solutions"), so
    the name says nothing about which company a record without a website is."""
    size = int(max(f.name.max(initial=-1), f.label.max(initial=-1))) + 1
    d = f.any_domain
    k, d = np.concatenate([f.name, f.label]), np.concatenate([d, d])
    both = (k >= 0) & (d >= 0)
    websites = np.bincount(distinct_rows(k[both], d[both])[0], minlength=size)
    return websites >= GENERIC_WEBSITES


def _clusters_per_name(f: Features, labels: np.ndarray) -> np.ndarray:
    """Per record: how many clusters answer to its name (as a name or as a domain label)."""
    # a typo'd spelling read as this name is no other company answering to it
    keys = np.concatenate([np.where(f.retyped, -1, f.name), f.label])
    held = keys >= 0
    count = np.bincount(distinct_rows(keys[held], np.concatenate([labels, labels])[held])[0],
                        minlength=int(max(keys.max(initial=-1), f.name.max(initial=-1))) + 1)
    return np.where(f.name >= 0, count[np.maximum(f.name, 0)], 0)


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
