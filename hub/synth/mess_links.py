"""Messy records as a whole: parents deleted under their children, and double imports."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import numpy as np

from hub.sourcedata import SourceData
from hub.synth import wire
from hub.synth.wire import rng_for

if TYPE_CHECKING:
    from hub.synth.mess import Mess

# Airtable tables linking to "Beta Applications", and the link field.
_AIRTABLE_CHILDREN = {"Customer Interactions": "Application ID", "Usage Analytics": "Customer ID",
                      "Feedback & Surveys": "Customer ID"}
_SF_PREFIX = {"Account": "001", "Contact": "003", "Opportunity": "006", "Case": "500"}
Key = tuple[str, str, str]


def _doomed(rng: np.random.Generator, ids: list[str], share: float, keep_ids: set) -> set[str]:
    draws = rng.random(len(ids))
    return {i for i, u in zip(ids, draws.tolist(), strict=True) if u < share and i not in keep_ids}


def delete_parents(data: SourceData, mess: Mess, seed: int, *, keep_ids: set) -> set[Key]:
    """Delete ``mess.deleted_parent`` of applications, HubSpot companies and Salesforce accounts
    (never one whose id ``keep_ids`` holds: the usage logs name those) and keep their children.

    A child read before the deletion reached it still names the parent (``orphan_link_kept``);
    the others show the link emptied as each API does: Airtable drops the linked id (an empty link
    leaves the field out), HubSpot drops the association, Salesforce sends the lookup as null.
    Returns the deleted records' keys.
    """
    gone: set[Key] = set()
    apps = data.airtable.get("Beta Applications", [])
    doomed = _doomed(rng_for(seed, "mess deleted applications"), [r["id"] for r in apps],
                     mess.deleted_parent, {r["id"] for r in apps if r["fields"].get("Application ID") in keep_ids})
    data.airtable["Beta Applications"] = [r for r in apps if r["id"] not in doomed]
    gone |= {("airtable", "Beta Applications", i) for i in doomed}
    for table, link in _AIRTABLE_CHILDREN.items():
        records = data.airtable.get(table, [])
        draws = rng_for(seed, f"mess orphans airtable {table}").random(len(records)).tolist()
        for record, u in zip(records, draws, strict=True):
            linked = record["fields"].get(link)
            if not linked or not doomed.intersection(linked) or u < mess.orphan_link_kept:
                continue
            kept = [i for i in linked if i not in doomed]
            if kept:
                record["fields"][link] = kept
            else:
                del record["fields"][link]

    companies = data.hubspot.get("companies", [])
    doomed = _doomed(rng_for(seed, "mess deleted companies"), [c["id"] for c in companies],
                     mess.deleted_parent, keep_ids)
    data.hubspot["companies"] = [c for c in companies if c["id"] not in doomed]
    gone |= {("hubspot", "companies", i) for i in doomed}
    for pair, links in data.hubspot_associations.items():
        if pair[1] != "companies":
            continue
        draws = rng_for(seed, f"mess orphans hubspot {pair[0]}").random(len(links)).tolist()
        data.hubspot_associations[pair] = [
            link for link, u in zip(links, draws, strict=True)
            if link[1] not in doomed or u < mess.orphan_link_kept
        ]

    accounts = data.salesforce.get("Account", [])
    doomed = _doomed(rng_for(seed, "mess deleted accounts"), [a["Id"] for a in accounts],
                     mess.deleted_parent, keep_ids)
    data.salesforce["Account"] = [a for a in accounts if a["Id"] not in doomed]
    gone |= {("salesforce", "Account", i) for i in doomed}
    for sobject in ("Contact", "Opportunity", "Case"):
        records = data.salesforce.get(sobject, [])
        draws = rng_for(seed, f"mess orphans salesforce {sobject}").random(len(records)).tolist()
        for record, u in zip(records, draws, strict=True):
            if record.get("AccountId") in doomed and u >= mess.orphan_link_kept:
                record["AccountId"] = None
    return gone


def _airtable_ids(rng: np.random.Generator, n: int, taken: set[str]) -> list[str]:
    fresh = [i for i in wire.airtable_ids(rng, n + 8) if i not in taken]
    return fresh[:n]


def duplicate_records(data: SourceData, mess: Mess, seed: int) -> list[tuple[str, str, str, str]]:
    """Import ``mess.duplicate`` of every table's records a second time: same content, a new id
    (and for HubSpot the same associations). Returns (source, object, original id, copy's id)."""
    copies: list[tuple[str, str, str, str]] = []
    for table, records in data.airtable.items():
        rng = rng_for(seed, f"mess duplicates airtable {table}")
        chosen = np.flatnonzero(rng.random(len(records)) < mess.duplicate).tolist()
        new_ids = _airtable_ids(rng, len(chosen), {r["id"] for r in records})
        for i, new_id in zip(chosen, new_ids, strict=True):
            records.append({**copy.deepcopy(records[i]), "id": new_id})
            copies.append(("airtable", table, records[i]["id"], new_id))

    for kind, items in data.hubspot.items():
        rng = rng_for(seed, f"mess duplicates hubspot {kind}")
        chosen = np.flatnonzero(rng.random(len(items)) < mess.duplicate).tolist()
        top = max((int(o["id"]) for o in items), default=0)
        new_ids = [str(v) for v in (top + np.cumsum(rng.integers(1, 400, len(chosen)))).tolist()]
        links = data.hubspot_associations.get((kind, "companies"))
        linked: dict[str, list[str]] = {}
        if links is not None:
            wanted = {items[i]["id"] for i in chosen}
            for from_id, to_id in links:
                if from_id in wanted:
                    linked.setdefault(from_id, []).append(to_id)
        for i, new_id in zip(chosen, new_ids, strict=True):
            original = items[i]
            twin = copy.deepcopy(original)
            twin["id"] = new_id
            twin["properties"]["hs_object_id"] = new_id
            items.append(twin)
            copies.append(("hubspot", kind, original["id"], new_id))
            if links is not None:
                links.extend((new_id, to_id) for to_id in linked.get(original["id"], []))

    for sobject, records in data.salesforce.items():
        if sobject not in _SF_PREFIX:  # users are people of the team, not imported records
            continue
        rng = rng_for(seed, f"mess duplicates salesforce {sobject}")
        chosen = np.flatnonzero(rng.random(len(records)) < mess.duplicate).tolist()
        start = int(rng.integers(62**5, 62**6))
        steps = (start + np.cumsum(rng.integers(1, 40, len(chosen)))).tolist()
        prefix = _SF_PREFIX.get(sobject, records[0]["Id"][:3] if records else "a00")
        for i, step in zip(chosen, steps, strict=True):
            # "Hs1" where the generator's ids have "Hs0": a copy's id never meets an original's.
            new_id = wire.salesforce_id(f"{prefix}Hs1{wire.base62(step, 9)}")
            twin = copy.deepcopy(records[i])
            twin["Id"] = new_id
            twin["attributes"] = {**twin["attributes"], "url": twin["attributes"]["url"].rsplit("/", 1)[0]
                                  + "/" + new_id}
            records.append(twin)
            copies.append(("salesforce", sobject, records[i]["Id"], new_id))
    return copies
