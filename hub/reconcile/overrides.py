"""Corrections the data team makes: must-link / cannot-link pairs and the review queue.

Three places feed the same two lists, applied before clustering:

- the ``match_overrides`` table (``left_record_id, right_record_id, decision``);
- a file named by ``reconcile.overrides_file`` in ``HUB_CONFIG`` (CSV or YAML, same columns);
- decisions in ``match_review``: ``accepted`` becomes must-link, ``rejected`` cannot-link.

Records are named by ``record_id`` (``source:object:source_id``, as in ``customer_sources``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

MUST_LINK, CANNOT_LINK = "must_link", "cannot_link"
_DECISIONS = {"must_link": MUST_LINK, "link": MUST_LINK, "same": MUST_LINK, "accept": MUST_LINK,
              "cannot_link": CANNOT_LINK, "different": CANNOT_LINK, "reject": CANNOT_LINK}
OVERRIDE_COLUMNS = ["left_record_id", "right_record_id", "decision"]
REVIEW_STATUSES = ("pending", "accepted", "rejected")
RECORD_FIELDS = ("source", "company", "website", "email", "city", "country")


class OverridesError(ValueError):
    """The overrides file cannot be used as it is."""


def _decision(value: Any) -> str | None:
    return _DECISIONS.get(str(value or "").strip().lower().replace(" ", "_").replace("-", "_"))


def normalise_overrides(frame: pd.DataFrame | None, origin: str) -> pd.DataFrame:
    """Override rows with a known decision and both record ids, each pair in one order."""
    if frame is None or frame.empty:
        return pd.DataFrame(columns=OVERRIDE_COLUMNS)
    missing = [c for c in OVERRIDE_COLUMNS if c not in frame]
    if missing:
        raise OverridesError(f"{origin}: overrides need columns {OVERRIDE_COLUMNS}; missing {missing}")
    out = frame[OVERRIDE_COLUMNS].copy()
    out["decision"] = out["decision"].map(_decision)
    unknown = out["decision"].isna() & frame["decision"].notna()
    if unknown.any():
        bad = sorted(set(frame.loc[unknown, "decision"].astype(str)))
        raise OverridesError(f"{origin}: decision must be must_link or cannot_link, got {bad}")
    out = out.dropna()
    out = out[out["left_record_id"].astype(str) != out["right_record_id"].astype(str)]
    left, right = out["left_record_id"].astype(str), out["right_record_id"].astype(str)
    out["left_record_id"], out["right_record_id"] = left.where(left < right, right), right.where(left < right, left)
    return out.drop_duplicates().reset_index(drop=True)


def read_overrides_file(path: str | Path | None) -> pd.DataFrame:
    """Must-link / cannot-link pairs from a CSV or YAML file (a list of mappings, or a mapping
    with ``must_link`` / ``cannot_link`` lists of ``[left, right]`` pairs)."""
    if not path:
        return pd.DataFrame(columns=OVERRIDE_COLUMNS)
    path = Path(path).expanduser()
    if not path.is_file():
        raise OverridesError(f"reconcile.overrides_file names {path}, which does not exist: "
                             "fix the path in HUB_CONFIG or remove the key")
    if path.suffix.lower() == ".csv":
        return normalise_overrides(pd.read_csv(path, dtype=str), str(path))
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if isinstance(data, dict):
        rows = [{"left_record_id": pair[0], "right_record_id": pair[1], "decision": decision}
                for decision in (MUST_LINK, CANNOT_LINK) for pair in data.get(decision, []) or []]
    elif isinstance(data, list):
        rows = data
    else:
        raise OverridesError(f"{path}: expected a list of pairs or must_link / cannot_link lists")
    return normalise_overrides(pd.DataFrame(rows), str(path))


def decided_reviews(review: pd.DataFrame | None) -> pd.DataFrame:
    """Review decisions as overrides: accepted -> must-link, rejected -> cannot-link."""
    if review is None or review.empty:
        return pd.DataFrame(columns=OVERRIDE_COLUMNS)
    status = review["status"].astype(str).str.strip().str.lower()
    decided = review[status.isin(["accepted", "rejected"])]
    return normalise_overrides(pd.DataFrame({
        "left_record_id": decided["left_record_id"], "right_record_id": decided["right_record_id"],
        "decision": status[status.isin(["accepted", "rejected"])].map(
            {"accepted": MUST_LINK, "rejected": CANNOT_LINK})}), "match_review")


def combine(*sources: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(must-link pairs, cannot-link pairs); a pair both linked and kept apart stays apart."""
    frames = [s for s in sources if s is not None and not s.empty]
    every = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=OVERRIDE_COLUMNS)
    cannot = every[every["decision"] == CANNOT_LINK][["left_record_id", "right_record_id"]].drop_duplicates()
    must = every[every["decision"] == MUST_LINK][["left_record_id", "right_record_id"]].drop_duplicates()
    must = must.merge(cannot, how="left", indicator=True)
    must = must[must["_merge"] == "left_only"].drop(columns="_merge")
    return must.reset_index(drop=True), cannot.reset_index(drop=True)


def review_id(left: str, right: str) -> str:
    low, high = sorted((left, right))
    return "rv_" + hashlib.sha1(f"{low}|{high}".encode()).hexdigest()[:16]


def review_queue(pairs: pd.DataFrame, records: pd.DataFrame, previous: pd.DataFrame | None,
                 now: str, min_score: float) -> pd.DataFrame:
    """The ``match_review`` table: this run's pairs worth a look (score >= ``min_score``), with
    both records side by side, merged with earlier rows so decisions and first sightings stay.
    Decided rows stay even when the pair no longer comes up: they are the team's record."""
    pairs = pairs[pairs["score"] >= min_score].copy()
    pairs["review_id"] = [review_id(a, b) for a, b in zip(pairs["left_record_id"], pairs["right_record_id"],
                                                          strict=True)]
    fields = records.set_index("record_id")[[c for c in RECORD_FIELDS if c in records]]
    for side in ("left", "right"):
        shown = fields.reindex(pairs[f"{side}_record_id"]).reset_index(drop=True)
        for column in shown:
            pairs[f"{side}_{column}"] = shown[column].to_numpy()
    pairs["status"], pairs["decided_by"], pairs["decided_at"] = "pending", None, None
    pairs["first_seen_at"] = pairs["last_seen_at"] = now
    if previous is not None and not previous.empty:
        kept = previous.set_index("review_id")
        seen = pairs["review_id"].isin(kept.index)
        for column in ("status", "decided_by", "decided_at", "first_seen_at"):
            pairs[column] = pairs[column].astype(object)  # PostgreSQL hands timestamps back as datetimes
            pairs.loc[seen, column] = kept.loc[pairs.loc[seen, "review_id"], column].to_numpy()
        decided = previous[previous["status"].isin(["accepted", "rejected"])
                           & ~previous["review_id"].isin(pairs["review_id"])]
        pairs = pd.concat([pairs, decided], ignore_index=True)
    pairs = pairs.drop_duplicates("review_id")
    pending_first = (pairs["status"] != "pending").to_numpy()
    order = pd.DataFrame({"p": pending_first, "s": -pairs["score"].to_numpy()}).sort_values(["p", "s"], kind="stable")
    return pairs.iloc[order.index.to_numpy()].reset_index(drop=True)
