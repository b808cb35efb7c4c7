"""Owners resolved to people: the CRMs' owner ids and Airtable's "Assigned To" names as the
person they are (name, email, still on the team), for BI and for routing alerts.

``people`` turns ``staging.owners`` (one row per owner a source lists) into ``analytics.owners``:
rows of one person share a ``person_id`` — the same email, or, for a row without an email (an
Airtable name, a Salesforce user without one), the same name as exactly one person with an
email. ``OwnerDirectory`` finds the person behind whatever an alert carries (an owner id, an
email, a name) and ``route`` decides where that person's alerts go.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

OWNER_COLUMNS = ["source", "owner_id", "name", "email", "active", "person_id", "person_email"]


def name_key(value: Any) -> str | None:
    """A name or email as compared: emails lower-cased, names case-folded with spaces collapsed."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = re.sub(r"\s+", " ", str(value)).strip()
    if not text:
        return None
    return text.lower() if "@" in text else text.casefold()


def people(owners: pd.DataFrame) -> pd.DataFrame:
    """``analytics.owners`` from ``staging.owners``: each owner with its ``person_id`` and the
    ``person_email`` the person is reached at (their own email, else another source's for the
    same person; an inactive owner's email is used only when nothing active has one)."""
    frame = owners.reindex(columns=["source", "owner_id", "name", "email", "active"]).copy()
    frame = frame[frame["owner_id"].notna()].drop_duplicates(["source", "owner_id"], keep="last")
    email = frame["email"].map(name_key)
    email = email.where(email.str.contains("@", na=False))
    name = frame["name"].map(name_key)
    # A name belongs to the one email-holding person who carries it; a name two people share links nothing.
    holders = pd.DataFrame({"name": name, "email": email}).dropna().drop_duplicates()
    counts = holders["name"].value_counts()
    unique = holders[holders["name"].map(counts) == 1].set_index("name")["email"]
    person = email.fillna(name.map(unique))
    frame["person_id"] = person.fillna("name:" + name.fillna("")).where(person.notna() | name.notna(),
                                                                        "owner:" + frame["source"] + ":" + frame["owner_id"])
    frame["email"] = frame["email"].where(email.notna())
    ranked = frame.assign(_inactive=frame["active"].astype("boolean").eq(False).fillna(False).astype(int))
    ranked = ranked[ranked["email"].notna()].sort_values(["person_id", "_inactive"], kind="mergesort")
    reach = ranked.groupby("person_id")["email"].first()
    frame["person_email"] = frame["person_id"].map(reach)
    frame["active"] = frame["active"].astype("boolean")
    return frame[OWNER_COLUMNS].sort_values(["source", "owner_id"]).reset_index(drop=True)


@dataclass(frozen=True)
class Person:
    name: str | None
    email: str | None
    active: bool | None  # False: every owner row of the person is inactive (they left)
    keys: frozenset[str]  # every id, email and name key the person is known by


class OwnerDirectory:
    """The people of ``analytics.owners``, found by owner id, email or name."""

    def __init__(self, owners: pd.DataFrame | None = None) -> None:
        self._by_key: dict[str, Person] = {}
        if owners is None or owners.empty:
            return
        for _, rows in owners.groupby("person_id", sort=True):
            active = rows["active"].astype("boolean")
            keys = {str(i) for i in rows["owner_id"]}
            keys |= {k for k in (*rows["email"].map(name_key), *rows["name"].map(name_key)) if k}
            names = rows.sort_values("active", ascending=False, na_position="last")["name"].dropna()
            emails = rows["person_email"].dropna()
            person = Person(name=str(names.iloc[0]) if len(names) else None,
                            email=str(emails.iloc[0]) if len(emails) else None,
                            active=None if active.isna().all() else bool(active.fillna(False).any()),
                            keys=frozenset(keys))
            for k in keys:
                self._by_key.setdefault(k, person)

    def find(self, owner: Any) -> Person | None:
        if owner is None or (not isinstance(owner, str) and pd.isna(owner)):
            return None
        return self._by_key.get(str(owner)) or self._by_key.get(name_key(owner) or "")


def _config_entry(owner: str, person: Person | None, owners: Mapping[str, Any]) -> dict[str, Any]:
    """The ``alerts.owners`` entry for this owner: keyed by its raw id, or by the person's email,
    name or any of their ids (emails and names compared without case)."""
    wanted = {owner, name_key(owner) or ""} | (set(person.keys) if person else set())
    for key, entry in owners.items():
        if str(key) in wanted or name_key(key) in wanted:
            return dict(entry or {})
    return {}


def route(owner: Any, owners: Mapping[str, Any], directory: OwnerDirectory | None = None) -> dict[str, Any]:
    """Where an owner's alerts go. ``alerts.owners`` (by id, email or name) decides first; else the
    person's email from the CRMs while they are active; else an owner that is itself an address.
    With nowhere personal to go — an unknown owner, one who left, one without an email — the alert
    goes to the team channel only (``team: true`` with the reason)."""
    if owner is None or (not isinstance(owner, str) and pd.isna(owner)) or str(owner).strip() == "":
        return {}
    owner = str(owner)
    person = directory.find(owner) if directory else None
    entry = _config_entry(owner, person, owners)
    routed: dict[str, Any] = {"owner": owner}
    emails = entry.get("email")
    if not emails and person and person.active is not False and person.email:
        emails = person.email
    if not emails and "@" in owner:
        emails = owner
    if emails:
        routed["email"] = emails if isinstance(emails, list) else [emails]
    if entry.get("slack"):
        routed["slack"] = str(entry["slack"])
    name = entry.get("name") or (person.name if person else None)
    if name:
        routed["name"] = str(name)
    if "email" not in routed and "slack" not in routed:
        routed["team"] = True
        routed["reason"] = ("unknown owner" if person is None and not entry
                            else "owner is no longer active" if person and person.active is False
                            else "owner has no email or Slack id")
    return routed
