"""Stable customer ids: a cluster keeps the id its records had; a merge keeps the oldest id.

Every previous id has an heir: the cluster now holding most of its records. A cluster that is
heir to one id keeps it, whatever members it gained or lost. A cluster heir to several ids (a
merge) keeps the oldest (earliest ``first_seen_at``); the others are written to the merge log so
yesterday's ids in a BI report still resolve. A cluster heir to none gets a new id.
"""

from __future__ import annotations

import hashlib

import pandas as pd

MERGE_COLUMNS = ["old_customer_id", "customer_id"]


def mint_customer_id(record_ids: list[str]) -> str:
    """A new id from the cluster's smallest record id: the same cluster mints the same id."""
    return "cus_" + hashlib.sha1(min(record_ids).encode()).hexdigest()[:12]


def assign_customer_ids(clusters: pd.DataFrame, previous: pd.DataFrame | None = None,
                        first_seen: pd.Series | None = None,
                        retired: set[str] | frozenset[str] = frozenset()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stable ``customer_id`` per record.

    ``clusters``: ``record_id, cluster_id``; ``previous``: ``record_id, customer_id`` of the last
    run; ``first_seen``: ``customer_id -> first_seen_at`` (which id is oldest); ``retired``: ids
    already in the merge log, never minted again. Returns (``record_id, customer_id``, merges
    ``old_customer_id, customer_id``).
    """
    frame = clusters[["record_id", "cluster_id"]].copy()
    if previous is not None and len(previous):
        prev = previous[["record_id", "customer_id"]].rename(columns={"customer_id": "previous_id"})
    else:
        prev = pd.DataFrame({"record_id": pd.Series(dtype=object), "previous_id": pd.Series(dtype=object)})
    frame = frame.merge(prev, on="record_id", how="left")
    votes = (frame.dropna(subset=["previous_id"]).groupby(["previous_id", "cluster_id"]).size()
             .reset_index(name="members"))
    # each previous id's heir: the cluster holding most of its records (ties: smallest cluster id)
    heirs = votes.sort_values(["previous_id", "members", "cluster_id"], ascending=[True, False, True],
                              kind="stable").drop_duplicates("previous_id")
    seen = pd.to_datetime(heirs["previous_id"].map(first_seen), utc=True, errors="coerce") \
        if first_seen is not None else pd.Series(pd.NaT, index=heirs.index)
    heirs = heirs.assign(_seen=seen).sort_values(["cluster_id", "_seen", "members", "previous_id"],
                                                 ascending=[True, True, False, True], na_position="last",
                                                 kind="stable")
    chosen = dict(zip(heirs.drop_duplicates("cluster_id")["cluster_id"],
                      heirs.drop_duplicates("cluster_id")["previous_id"], strict=True))
    taken = set(prev["previous_id"].dropna()) | set(retired)
    members = frame[~frame["cluster_id"].isin(chosen)].groupby("cluster_id")["record_id"].apply(list)
    for cluster, record_ids in members.items():
        candidate, salt = mint_customer_id(record_ids), 0
        while candidate in taken:  # a retired or still-used id is never handed to someone else
            salt += 1
            candidate = mint_customer_id([f"{min(record_ids)}#{salt}"])
        chosen[cluster] = candidate
        taken.add(candidate)
    frame["customer_id"] = frame["cluster_id"].map(chosen)
    merged = heirs[heirs["cluster_id"].map(chosen) != heirs["previous_id"]]
    merges = pd.DataFrame({"old_customer_id": merged["previous_id"].to_numpy(),
                           "customer_id": merged["cluster_id"].map(chosen).to_numpy()})
    return frame[["record_id", "customer_id"]], merges.sort_values("old_customer_id").reset_index(drop=True)


def resolve_merge_log(log: pd.DataFrame, merges: pd.DataFrame) -> pd.DataFrame:
    """The merge log with this run's merges added and every old id pointing at today's id
    (A -> B yesterday and B -> C today: A -> C), so one lookup resolves any old id."""
    combined = pd.concat([log[MERGE_COLUMNS], merges[MERGE_COLUMNS]], ignore_index=True) \
        .drop_duplicates("old_customer_id", keep="last")
    target = dict(zip(combined["old_customer_id"], combined["customer_id"], strict=True))

    def final(customer_id: str) -> str:
        hops = 0
        while customer_id in target and hops < len(target):  # hops bound a (corrupt) cycle
            customer_id = target[customer_id]
            hops += 1
        return customer_id

    combined["customer_id"] = combined["customer_id"].map(final)
    return combined[combined["old_customer_id"] != combined["customer_id"]].reset_index(drop=True)
