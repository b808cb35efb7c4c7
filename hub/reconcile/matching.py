"""``resolve_entities``: which source records are the same real company.

Tiers, strongest first, each adding edges between records:

1. overrides: must-link pairs the data team decided (``match_review`` accepts, the overrides file);
2. cross-reference ids: a HubSpot company holding the Salesforce account id, an Application ID;
3. registrable website domain, and the email domain when it is not free-mail (one key space);
4. the same email address (a person) when the two names agree;
5. a company name, exact or one slip away (``hub.reconcile.typos``), only with corroboration
   (``hub.reconcile.name_tier``).

Any null (None, NaN, pd.NA, blank text) in any column, and any pandas string dtype (object,
``string``, pyarrow strings) is accepted: ``hub.reconcile.features`` codes every column once.

A key shared by more records than the cluster-size guard is not used, and clusters are built so
that none exceeds the guard or joins a cannot-link pair.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from hub.reconcile.features import XREF_COLUMNS, Features, matching_features
from hub.reconcile.graph import Edges, connected_components, guarded_components, key_edges
from hub.reconcile.name_tier import group_pairs, name_pairs

RULES = ("override", "xref", "domain", "email_domain", "email_address", "name", "singleton")
RULE_SCORES = {"override": 1.0, "xref": 1.0, "domain": 0.95, "email_domain": 0.9,
               "email_address": 0.9, "singleton": 1.0}
DEFAULT_MAX_CLUSTER = 50
# Two records sharing one person's address are one company only when their names agree this much.
EMAIL_NAME_AGREEMENT = 80
CLUSTER_COLUMNS = ["record_id", "cluster_id", "match_rule", "match_score"]
REVIEW_COLUMNS = ["left_record_id", "right_record_id", "score", "reason"]


@dataclass
class Resolution:
    clusters: pd.DataFrame  # CLUSTER_COLUMNS, one row per input record, in input order
    review: pd.DataFrame  # REVIEW_COLUMNS: mid-confidence pairs left apart
    skipped_keys: int  # keys not used because more records than the guard shared them


def resolve_entities(records: pd.DataFrame, *, max_cluster_size: int = DEFAULT_MAX_CLUSTER,
                     must_link: pd.DataFrame | None = None,
                     cannot_link: pd.DataFrame | None = None) -> pd.DataFrame:
    """A cluster id per record.

    ``records`` has ``record_id, source, company, website, email, city, country`` (nullable) and
    optionally the cross-reference id columns ``salesforce_account_id``, ``hubspot_company_id``,
    ``application_id``. ``must_link`` / ``cannot_link`` hold ``left_record_id, right_record_id``
    pairs. Returns ``record_id, cluster_id, match_rule, match_score`` in input order;
    ``cluster_id`` is the smallest ``record_id`` of the cluster.
    """
    return resolve(records, max_cluster_size=max_cluster_size, must_link=must_link,
                   cannot_link=cannot_link).clusters


def resolve(records: pd.DataFrame, *, max_cluster_size: int = DEFAULT_MAX_CLUSTER,
            must_link: pd.DataFrame | None = None, cannot_link: pd.DataFrame | None = None) -> Resolution:
    """``resolve_entities`` plus the review queue and guard statistics."""
    # Normalising a million distinct values allocates millions of small objects and no cycles:
    # Python's cyclic collector would rescan them all, again and again (5x slower).
    with paused_gc():
        return _resolve(records, max_cluster_size, must_link, cannot_link)


@contextmanager
def paused_gc() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _resolve(records: pd.DataFrame, max_cluster_size: int, must_link: pd.DataFrame | None,
             cannot_link: pd.DataFrame | None) -> Resolution:
    if len(records) == 0:
        return Resolution(pd.DataFrame(columns=CLUSTER_COLUMNS), pd.DataFrame(columns=REVIEW_COLUMNS), 0)
    f = matching_features(records)
    position = pd.Series(np.arange(f.n), index=f.record_id)
    parts, skipped = [], 0
    must = _pairs_at(must_link, position)
    parts.append(Edges.of(must[0], must[1], RULES.index("override"), 1.0))
    for column in XREF_COLUMNS:
        if column in f.xrefs:
            left, right, s = key_edges(f.xrefs[column], max_cluster_size)
            parts.append(Edges.of(left, right, RULES.index("xref"), 1.0))
            skipped += s
    domain_edges, s = _domain_edges(f, max_cluster_size)
    parts.append(domain_edges)
    skipped += s
    parts.append(_email_address_edges(f, max_cluster_size))
    strong = Edges.concat(parts)
    labels = connected_components(f.n, strong.left, strong.right)
    names = name_pairs(f, labels, max_cluster_size)
    ok = names.accepted
    edges = Edges.concat([strong, Edges(names.left[ok], names.right[ok],
                                        np.full(int(ok.sum()), RULES.index("name"), np.int8),
                                        names.score[ok])])
    cannot = _pairs_at(cannot_link, position)
    labels = guarded_components(f.n, edges, max_cluster_size, cannot)
    clusters = _clusters(f, labels, edges)
    review = pd.DataFrame({
        "left_record_id": f.record_id[names.left[~ok]], "right_record_id": f.record_id[names.right[~ok]],
        "score": names.score[~ok], "reason": names.reason[~ok]})
    # A pair the guard or a cannot-link kept apart although the name tier accepted it is reviewable too.
    split = ok & (labels[names.left] != labels[names.right])
    if split.any():
        review = pd.concat([review, pd.DataFrame({
            "left_record_id": f.record_id[names.left[split]], "right_record_id": f.record_id[names.right[split]],
            "score": names.score[split], "reason": "name corroborated, kept apart by an override or the guard"})],
            ignore_index=True)
    review = review[labels[position.loc[review["left_record_id"]].to_numpy()]
                    != labels[position.loc[review["right_record_id"]].to_numpy()]]
    return Resolution(clusters, review.reset_index(drop=True), skipped)


def _pairs_at(pairs: pd.DataFrame | None, position: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Record positions of override pairs whose both records are in this input."""
    if pairs is None or len(pairs) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    known = pairs["left_record_id"].isin(position.index) & pairs["right_record_id"].isin(position.index)
    pairs = pairs[known]
    return (position.loc[pairs["left_record_id"]].to_numpy(np.int64),
            position.loc[pairs["right_record_id"]].to_numpy(np.int64))


def _domain_edges(f: Features, max_group: int) -> tuple[Edges, int]:
    """Websites and company email domains in one key space: position i is record i's website,
    n + i its email domain; an email domain links to the same website too."""
    n = f.n
    left, right, skipped = key_edges(np.concatenate([f.domain, f.email_domain]), max_group)
    by_email = (left >= n) | (right >= n)
    return Edges.concat([Edges.of(left[~by_email] % n, right[~by_email] % n, RULES.index("domain"), 0.95),
                         Edges.of(left[by_email] % n, right[by_email] % n, RULES.index("email_domain"), 0.9)]), skipped


def _email_address_edges(f: Features, max_group: int) -> Edges:
    """One person's address on two records (a free-mail applicant who is also a CRM contact),
    when the two company names agree and the websites do not disagree."""
    left, right = group_pairs(f.email, np.arange(f.n), max_group)
    if len(left) == 0:
        return Edges.empty()
    names_l, names_r = f.name_text[left], f.name_text[right]
    agree = process.cpdist(names_l, names_r, scorer=fuzz.ratio, processor=None,
                           score_cutoff=EMAIL_NAME_AGREEMENT) > 0
    # One name holding all the other's words is the short form ("Primemark" ~ "Primemark Times"):
    # a trap for names alone, fine beside one person's address.
    agree |= process.cpdist(names_l, names_r, scorer=fuzz.token_set_ratio, processor=None,
                            score_cutoff=100) > 0
    agree |= (f.name[left] >= 0) & (f.name[left] == f.name[right])
    # websites on sibling domains (acme.com, acme.co.uk) are no disagreement beside one person
    dl, dr = f.domain[left], f.domain[right]
    agree &= ~((dl >= 0) & (dr >= 0) & (dl != dr) & (f.label[left] != f.label[right]))
    return Edges.of(left[agree], right[agree], RULES.index("email_address"), RULE_SCORES["email_address"])


def _clusters(f: Features, labels: np.ndarray, edges: Edges) -> pd.DataFrame:
    """Cluster id, and per record the strongest rule among its edges kept inside its cluster."""
    inside = labels[edges.left] == labels[edges.right]
    pos = np.concatenate([edges.left[inside], edges.right[inside]])
    rules, scores = np.tile(edges.rule[inside], 2), np.tile(edges.score[inside], 2)
    order = np.lexsort((-scores, rules, pos))  # per record, strongest rule then highest score first
    pos, rules, scores = pos[order], rules[order], scores[order]
    first = np.r_[True, pos[1:] != pos[:-1]] if len(pos) else np.empty(0, bool)
    rule = np.full(f.n, RULES.index("singleton"), np.int8)
    score = np.ones(f.n)
    rule[pos[first]] = rules[first]
    score[pos[first]] = scores[first]
    # the smallest record id of each cluster, by each record's rank among the ids
    by_id = _id_order(f.record_id)
    rank = np.empty(f.n, np.int64)
    rank[by_id] = np.arange(f.n)
    smallest = np.full(f.n, f.n, np.int64)
    np.minimum.at(smallest, labels, rank)
    names = np.asarray(RULES, dtype=object)[rule]
    return pd.DataFrame({"record_id": f.record_id, "cluster_id": f.record_id[by_id[smallest[labels]]],
                         "match_rule": names, "match_score": np.round(score, 3)})


def _id_order(record_id: np.ndarray) -> np.ndarray:
    """Positions of ``record_id`` (text) in sorted order."""
    try:  # Arrow sorts a million ids in C++; Python compares them one by one
        import pyarrow as pa
        import pyarrow.compute as pc

        return pc.sort_indices(pa.array(record_id, type=pa.large_string())).to_numpy().astype(np.int64)
    except (ImportError, UnicodeEncodeError):  # no pyarrow, or an id that is no UTF-8
        return np.argsort(record_id, kind="stable")
