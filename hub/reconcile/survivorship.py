"""Survivorship: each customer field from the best source, money per customer, contacts."""

from __future__ import annotations

import hashlib
from typing import Any

import pandas as pd

from hub.reconcile.features import XREF_COLUMNS
from hub.timeparse import timestamps

SURVIVING_FIELDS = ("name", "domain", "industry", "owner", "city", "country")


def survive(companies: pd.DataFrame, crosswalk: pd.DataFrame, source_priority: list[str],
            field_priority: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """One row per customer: each field from the highest-priority source holding a value, then
    the most recently updated record; ``<field>_source`` says which source won.

    ``field_priority`` overrides ``source_priority`` per field (``industry: [hubspot, ...]``):
    the CRM a team curates industries in is not always the one it trusts for names.
    """
    frame = companies.merge(crosswalk, on="record_id")
    frame["_updated"] = timestamps(frame["updated_at"])
    out = frame.groupby("customer_id", sort=True).agg(
        source_count=("source", "nunique"),
        sources=("source", lambda s: ",".join(sorted(set(s)))),
        first_seen_at=("created_at", "min"),
    )
    for field in SURVIVING_FIELDS:
        column = "company" if field == "name" else field
        priority = (field_priority or {}).get(field) or source_priority
        rank = {source: i for i, source in enumerate(priority)}
        present = frame[frame[column].notna()]
        present = present[present[column].astype(str).str.strip() != ""]
        present = present.assign(_rank=present["source"].map(rank).fillna(len(rank)))
        present = present.sort_values(["customer_id", "_rank", "_updated"], ascending=[True, True, False],
                                      na_position="last", kind="mergesort")
        first = present.groupby("customer_id").first()
        out[field] = first[column]
        out[f"{field}_source"] = first["source"]
    return out.reset_index()


def mrr_by_customer(deals: pd.DataFrame, source_priority: list[str], term_months: float = 12.0) -> pd.Series:
    """MRR from won deals: a deal's own MRR when the CRM states it (HubSpot ``hs_mrr``, column
    ``mrr``), else its amount as a contract value over ``term_months`` (12: an annual contract).

    Only customers whose MRR is known are in the result: a customer without a won deal, or
    whose won deals carry no amount, is unknown (NULL downstream), not 0; a won deal with an
    amount of 0 is a known zero. The same deal is often in both CRMs: per customer, only the
    highest-priority source with a won deal of known amount counts, so a deal is never summed
    twice; its won deals without an amount add nothing.
    """
    own = pd.to_numeric(deals["mrr"], errors="coerce") if "mrr" in deals else pd.Series(float("nan"), deals.index)
    monthly = own.fillna(pd.to_numeric(deals["amount"], errors="coerce") / float(term_months))
    won = deals.assign(monthly=monthly)
    won = won[won["is_won"].fillna(False).astype(bool) & won["customer_id"].notna() & won["monthly"].notna()]
    if won.empty:
        return pd.Series(dtype=float)
    rank = {source: i for i, source in enumerate(source_priority)}
    totals = won.groupby(["customer_id", "source"])["monthly"].sum().reset_index()
    totals["_rank"] = totals["source"].map(rank).fillna(len(rank))
    best = totals.sort_values(["customer_id", "_rank"]).groupby("customer_id").first()
    return best["monthly"].round(2)


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


def records_for_matching(companies: pd.DataFrame, people: pd.DataFrame | None = None) -> pd.DataFrame:
    """Staging companies in the shape ``resolve_entities`` takes.

    CRM companies carry no email of their own: each takes its first contact's (by record id),
    so a contact's company address or a free-mail address shared with an application can link.
    """
    columns: dict[str, Any] = {c: companies[c] for c in
                               ("record_id", "source", "company", "website", "email", "city", "country")}
    for column in XREF_COLUMNS:
        columns[column] = companies[column]
    frame = pd.DataFrame(columns)
    if people is not None and len(people):
        known = people.dropna(subset=["company_record_id", "email"]).sort_values("record_id", kind="stable")
        first = known.drop_duplicates("company_record_id").set_index("company_record_id")["email"]
        missing = frame["email"].isna()
        frame.loc[missing, "email"] = frame.loc[missing, "record_id"].map(first)
    return frame
