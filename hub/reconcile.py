"""Identity resolution: which source records are the same real company, under a stable id.

Tiers, strongest first: cross-reference ids (a HubSpot company holding the Salesforce account
id, the Airtable Application ID carried by a CRM record) -> registrable website domain -> the
email domain when it is not free-mail. Names alone never link records. A key shared by more
records than the cluster-size guard allows is not used (a reseller's or hosting domain).
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd

from hub.names import company_email_domains_of, registrable_domains_of
from hub.timeparse import timestamps

XREF_COLUMNS = ("salesforce_account_id", "hubspot_company_id", "application_id")
RULE_SCORES = {"xref": 1.0, "domain": 0.95, "email_domain": 0.9, "singleton": 1.0}
DEFAULT_MAX_CLUSTER = 50


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


def _key_edges(keys: pd.Series, max_group: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Edges joining every record to the first record sharing its key; oversized keys skipped."""
    frame = pd.DataFrame({"key": keys.to_numpy(), "pos": np.arange(len(keys))}).dropna(subset=["key"])
    if frame.empty:
        return np.array([], dtype=int), np.array([], dtype=int), 0
    sizes = frame.groupby("key")["pos"].transform("size")
    skipped = int(frame.loc[sizes > max_group, "key"].nunique())
    frame = frame[(sizes > 1) & (sizes <= max_group)]
    first = frame.groupby("key")["pos"].transform("min")
    return frame["pos"].to_numpy(), first.to_numpy(), skipped


def resolve_entities(records: pd.DataFrame, *, max_cluster_size: int = DEFAULT_MAX_CLUSTER) -> pd.DataFrame:
    """A cluster id per record.

    ``records`` has ``record_id, source, company, website, email, city, country`` (nullable) and
    optionally the cross-reference id columns ``salesforce_account_id``, ``hubspot_company_id``,
    ``application_id``. Returns ``record_id, cluster_id, match_rule, match_score`` in input
    order; ``cluster_id`` is the smallest ``record_id`` of the cluster.
    """
    n = len(records)
    if n == 0:
        return pd.DataFrame(columns=["record_id", "cluster_id", "match_rule", "match_score"])
    domains = registrable_domains_of(records["website"]) if "website" in records else pd.Series([None] * n)
    email_domains = company_email_domains_of(records["email"]) if "email" in records else pd.Series([None] * n)
    rule = np.full(n, "singleton", dtype=object)
    lefts, rights = [], []
    tiers: list[tuple[str, pd.Series]] = []
    for column in XREF_COLUMNS:
        if column in records:
            tiers.append(("xref", records[column].astype(object).where(records[column].notna(), None)
                          .map(lambda v, c=column: f"{c}:{v}" if v not in (None, "") else None)))
    tiers.append(("domain", domains.map(_domain_key)))
    # An email domain links to websites of the same domain too: one key space for both.
    tiers.append(("email_domain", email_domains.map(_domain_key)))
    domain_keys = pd.concat([tiers[-2][1], tiers[-1][1]], ignore_index=True)
    domain_left, domain_right, _ = _key_edges(domain_keys, max_cluster_size)
    for name, keys in tiers[:-2]:
        left, right, _skipped = _key_edges(keys, max_cluster_size)
        lefts.append(left)
        rights.append(right)
        _mark(rule, left, right, name)
    # Domain edges over the doubled index space: position i (website) and n + i (email).
    d_left, d_right = domain_left % n, domain_right % n
    lefts.append(d_left)
    rights.append(d_right)
    is_email = (domain_left >= n) | (domain_right >= n)
    _mark(rule, d_left[~is_email], d_right[~is_email], "domain")
    _mark(rule, d_left[is_email], d_right[is_email], "email_domain")
    labels = connected_components(n, np.concatenate(lefts), np.concatenate(rights))
    ids = records["record_id"].astype(str).to_numpy()
    frame = pd.DataFrame({"record_id": ids, "label": labels})
    cluster_id = frame.groupby("label")["record_id"].transform("min")
    out = pd.DataFrame({"record_id": ids, "cluster_id": cluster_id.to_numpy(), "match_rule": rule})
    out["match_score"] = out["match_rule"].map(RULE_SCORES).astype(float)
    return out


def _domain_key(domain: object) -> str | None:
    return f"domain:{domain}" if isinstance(domain, str) and domain else None


def _mark(rule: np.ndarray, left: np.ndarray, right: np.ndarray, name: str) -> None:
    """Record the strongest rule that linked each record (earlier tiers win)."""
    for side in (left, right):
        unset = rule[side] == "singleton"
        rule[side[unset]] = name


def mint_customer_id(record_ids: list[str]) -> str:
    return "cus_" + hashlib.sha1(min(record_ids).encode()).hexdigest()[:12]


def assign_customer_ids(clusters: pd.DataFrame, previous: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stable ``customer_id`` per record: a cluster keeps the previous id most of its members had.

    ``clusters``: ``record_id, cluster_id``; ``previous``: ``record_id, customer_id`` of the last
    run. Returns (``record_id -> customer_id``, merges ``old_customer_id -> customer_id``) where a
    merge is a previous id whose records now all live under another id.
    """
    frame = clusters[["record_id", "cluster_id"]].copy()
    prev = previous[["record_id", "customer_id"]] if previous is not None and len(previous) else \
        pd.DataFrame(columns=["record_id", "customer_id"])
    frame = frame.merge(prev.rename(columns={"customer_id": "previous_id"}), on="record_id", how="left")
    votes = (frame.dropna(subset=["previous_id"]).groupby(["cluster_id", "previous_id"]).size()
             .reset_index(name="members").sort_values(["members", "previous_id"], ascending=[False, True]))
    chosen: dict[str, str] = {}
    taken: set[str] = set()
    for cluster, previous_id in zip(votes["cluster_id"], votes["previous_id"], strict=True):
        if cluster not in chosen and previous_id not in taken:
            chosen[cluster] = previous_id
            taken.add(previous_id)
    members = frame.groupby("cluster_id")["record_id"].apply(list)
    for cluster, record_ids in members.items():
        if cluster in chosen:
            continue
        candidate = mint_customer_id(record_ids)
        salt = 0
        while candidate in taken:
            salt += 1
            candidate = mint_customer_id([f"{min(record_ids)}#{salt}"])
        chosen[cluster] = candidate
        taken.add(candidate)
    frame["customer_id"] = frame["cluster_id"].map(chosen)
    moved = frame.dropna(subset=["previous_id"])
    moved = moved[moved["previous_id"] != moved["customer_id"]]
    merges = (moved[~moved["previous_id"].isin(taken)][["previous_id", "customer_id"]]
              .drop_duplicates().rename(columns={"previous_id": "old_customer_id"}))
    return frame[["record_id", "customer_id"]], merges.reset_index(drop=True)


def survive(companies: pd.DataFrame, crosswalk: pd.DataFrame, source_priority: list[str]) -> pd.DataFrame:
    """One row per customer: each field from the highest-priority source holding a value, then
    the most recently updated record; the winning source of each field is kept beside it."""
    frame = companies.merge(crosswalk, on="record_id")
    rank = {source: i for i, source in enumerate(source_priority)}
    frame["_rank"] = frame["source"].map(rank).fillna(len(rank))
    frame["_updated"] = timestamps(frame["updated_at"])
    frame = frame.sort_values(["customer_id", "_rank", "_updated"], ascending=[True, True, False],
                              na_position="last", kind="mergesort")
    out = frame.groupby("customer_id", sort=True).agg(
        source_count=("source", "nunique"),
        sources=("source", lambda s: ",".join(sorted(set(s)))),
        first_seen_at=("created_at", "min"),
    )
    for field in ("name", "domain", "industry", "owner", "city", "country"):
        column = "company" if field == "name" else field
        present = frame.dropna(subset=[column])
        present = present[present[column].astype(str).str.strip() != ""]
        first = present.groupby("customer_id").first()
        out[field] = first[column]
        if field in ("name", "domain", "industry", "owner"):
            out[f"{field}_source"] = first["source"]
    return out.reset_index()


def mrr_by_customer(deals: pd.DataFrame, source_priority: list[str]) -> pd.Series:
    """MRR from won deals, taking deal amounts as annual contract values (÷ 12).

    The same deal is often in both CRMs: per customer, only the highest-priority source that has
    won deals counts, so a deal is never summed twice.
    """
    won = deals[deals["is_won"].fillna(False).astype(bool) & deals["customer_id"].notna()]
    if won.empty:
        return pd.Series(dtype=float)
    rank = {source: i for i, source in enumerate(source_priority)}
    totals = won.groupby(["customer_id", "source"])["amount"].sum().reset_index()
    totals["_rank"] = totals["source"].map(rank).fillna(len(rank))
    best = totals.sort_values(["customer_id", "_rank"]).groupby("customer_id").first()
    return (best["amount"] / 12.0).round(2)


def contacts(people: pd.DataFrame, crosswalk: pd.DataFrame, source_priority: list[str]) -> pd.DataFrame:
    """People de-duplicated by normalised email (people without one stay as they are)."""
    frame = people.merge(crosswalk.rename(columns={"record_id": "company_record_id"}),
                         on="company_record_id", how="left")
    frame["email_key"] = frame["email"].str.strip().str.lower()
    frame["contact_key"] = frame["email_key"].where(frame["email_key"].notna(), frame["record_id"])
    rank = {source: i for i, source in enumerate(source_priority)}
    frame["_rank"] = frame["source"].map(rank).fillna(len(rank))
    frame = frame.sort_values(["contact_key", "_rank"], kind="mergesort")
    grouped = frame.groupby("contact_key", sort=True)
    out = grouped.agg(
        customer_id=("customer_id", "first"), email=("email_key", "first"), name=("name", "first"),
        title=("title", "first"), phone=("phone", "first"),
        sources=("source", lambda s: ",".join(sorted(set(s)))),
    ).reset_index()
    out["contact_id"] = "ct_" + out["contact_key"].map(lambda k: hashlib.sha1(k.encode()).hexdigest()[:16])
    return out.drop(columns=["contact_key"])


def records_for_matching(companies: pd.DataFrame) -> pd.DataFrame:
    """Staging companies in the shape ``resolve_entities`` takes."""
    columns: dict[str, Any] = {c: companies[c] for c in
                               ("record_id", "source", "company", "website", "email", "city", "country")}
    for column in XREF_COLUMNS:
        columns[column] = companies[column]
    return pd.DataFrame(columns)
