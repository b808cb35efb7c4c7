"""What the customers asset checks verify, as plain functions over the tables they read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass
class CheckOutcome:
    name: str
    passed: bool
    metadata: dict[str, Any] = field(default_factory=dict)
    warn_only: bool = False  # a warning the data team reads, not a reason to stop downstream assets


def customer_checks(customers: pd.DataFrame, sources: pd.DataFrame, companies: pd.DataFrame,
                    runs: pd.DataFrame, max_cluster_size: int, max_count_change: float) -> list[CheckOutcome]:
    """``customers`` (customer_id), ``sources`` (customer_sources), ``companies`` (staging record
    ids: source, source_object, source_id), ``runs`` (reconcile_runs, any order)."""
    duplicates = int(customers["customer_id"].duplicated().sum())
    orphans = int((~sources["customer_id"].isin(customers["customer_id"])).sum())
    empty = int((~customers["customer_id"].isin(sources["customer_id"])).sum())
    key = ["source", "source_object", "source_id"]
    placed = sources[key].astype(str).agg(":".join, axis=1) if len(sources) else pd.Series(dtype=str)
    staged = companies[key].astype(str).agg(":".join, axis=1) if len(companies) else pd.Series(dtype=str)
    unplaced = int((~staged.isin(placed)).sum())
    unknown = int((~placed.isin(staged)).sum())
    twice = int(placed.duplicated().sum())
    sizes = sources.groupby("customer_id").size()
    largest = int(sizes.max()) if len(sizes) else 0
    over = int((sizes > max_cluster_size).sum())
    ordered = runs.sort_values("ran_at") if len(runs) else runs
    change: float | None = None
    if len(ordered) >= 2:
        before, after = int(ordered["customers"].iloc[-2]), int(ordered["customers"].iloc[-1])
        change = abs(after - before) / before if before else (0.0 if after == 0 else 1.0)
    return [
        CheckOutcome("customer_id_unique", duplicates == 0 and orphans == 0 and empty == 0,
                     {"duplicate_ids": duplicates, "records_without_customer": orphans,
                      "customers_without_records": empty}),
        CheckOutcome("every_record_in_one_customer", unplaced == 0 and unknown == 0 and twice == 0,
                     {"source_records": len(staged), "not_in_a_customer": unplaced,
                      "in_more_than_one_customer": twice, "unknown_records": unknown}),
        CheckOutcome("no_customer_over_guard", over == 0,
                     {"largest_cluster": largest, "max_cluster_size": max_cluster_size, "over_guard": over}),
        CheckOutcome("customer_count_stable", change is None or change <= max_count_change,
                     {"customers": int(ordered["customers"].iloc[-1]) if len(ordered) else len(customers),
                      "previous_customers": int(ordered["customers"].iloc[-2]) if len(ordered) >= 2 else None,
                      "change_share": None if change is None else round(change, 4),
                      "max_change_share": max_count_change}, warn_only=True),
    ]
