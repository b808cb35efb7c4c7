"""Owners resolved to people: HubSpot's owners API and Salesforce's User land raw through the
real clients (paged, archived owners too), staging and analytics.owners make them people, and
customers carry their owner's name and email; alerts route by id, email or name, and fall back
to the team channel when the owner is unknown, gone or unreachable."""

from __future__ import annotations

import pandas as pd
from sync_support import fast_config, run_sync

from hub.emulators import start_emulators
from hub.owners import OwnerDirectory, people, route
from hub.pipeline.unified import build_customers, build_owners, build_staging, reconcile_customers
from hub.raw import RAW_OBJECTS
from hub.synth import generate
from hub.synth.owners import LEFT, NO_SALESFORCE_EMAIL, SHARED_INBOX
from hub.synth.salesforce import USER_IDS
from hub.synth.vocabulary import OWNERS
from hub.warehouse import Warehouse


def test_owners_land_from_both_crms_and_customers_show_names(warehouse: Warehouse) -> None:
    data = generate(40, seed=11)
    config = fast_config(hubspot={"page_size": 2})  # owners come three to a listing: pages and `after`
    with start_emulators(data, rate_limits=False) as running:
        env = running.env()
        reports = {key: run_sync(obj.source, obj.source_object, warehouse, env, config)
                   for key, obj in RAW_OBJECTS.items()}
        assert reports["hubspot/owners"].stats.inserted == len(OWNERS) + 1  # archived one and the inbox too
        assert reports["salesforce/User"].stats.inserted == len(OWNERS)
        hubspot = warehouse.read("raw", "hubspot_owners").set_index("source_id")
        assert bool(hubspot.loc[OWNERS[LEFT][1], "archived"]) is True
        assert hubspot.loc[OWNERS[0][1], ["email", "first_name", "last_name"]].tolist() == [
            "maya.chen@credlink.example", "Maya", "Chen"]
        users = warehouse.read("raw", "salesforce_users").set_index("source_id")
        assert pd.isna(users.loc[USER_IDS[NO_SALESFORCE_EMAIL], "email"])
        assert bool(users.loc[USER_IDS[LEFT], "is_active"]) is False

        # An owner HubSpot no longer lists is marked deleted by the next full listing.
        running.hubspot.owners = [o for o in running.hubspot.owners if o["id"] != SHARED_INBOX["id"]]
        again = run_sync("hubspot", "owners", warehouse, env, config)
    assert again.stats.deleted == 1

    build_staging(warehouse, config)
    reconcile_customers(warehouse, config)
    build_owners(warehouse, config)
    owners = warehouse.read("analytics", "owners").set_index(["source", "owner_id"])
    sam = owners.loc[("salesforce", USER_IDS[NO_SALESFORCE_EMAIL])]
    # Sam's Salesforce user has no email: he is reached at his HubSpot one, as one person.
    assert pd.isna(sam["email"]) and sam["person_email"] == "sam.okafor@credlink.example"
    assert sam["person_id"] == owners.loc[("hubspot", OWNERS[NO_SALESFORCE_EMAIL][1]), "person_id"]
    assert owners.loc[("airtable", OWNERS[0][0]), "person_email"] == "maya.chen@credlink.example"
    assert bool(owners.loc[("hubspot", OWNERS[LEFT][1]), "active"]) is False

    build_customers(warehouse, config)
    customers = warehouse.read("analytics", "customers")
    owned = customers[customers["owner"].notna()]
    assert len(owned) and owned["owner_name"].notna().all()
    names = {name for name, _ in OWNERS}
    assert set(owned["owner_name"]) <= names
    crm = owned[owned["owner_source"].isin(["hubspot", "salesforce"])]
    assert len(crm) and not crm["owner_name"].isin(crm["owner"]).any()  # names, not ids
    assert set(customers.loc[customers["owner"].isna(), "owner_name"].dropna()) == set()


def _directory() -> OwnerDirectory:
    return OwnerDirectory(people(pd.DataFrame([
        {"source": "hubspot", "owner_id": "71203404", "name": "Elena Rossi", "email": "elena@example.com",
         "active": True},
        {"source": "salesforce", "owner_id": "005Hs0000gUhb2iIAB", "name": "Elena Rossi", "email": None,
         "active": True},
        {"source": "airtable", "owner_id": "Elena Rossi", "name": "Elena Rossi", "email": None, "active": None},
        {"source": "hubspot", "owner_id": "71203405", "name": "Chris Nakamura", "email": "chris@example.com",
         "active": False},
        {"source": "salesforce", "owner_id": "005NOEMAIL", "name": "Sam Okafor", "email": None, "active": True},
    ])))


def test_alerts_owners_accepts_an_email_or_a_name_for_any_id_of_the_person() -> None:
    directory = _directory()
    by_email = {"ELENA@example.com": {"slack": "U0ELENA"}}
    by_name = {"elena  rossi": {"email": "elena.rossi@work.example", "slack": "U0ELENA"}}
    for owner in ("71203404", "005Hs0000gUhb2iIAB", "Elena Rossi"):
        assert route(owner, by_email, directory) == {"owner": owner, "email": ["elena@example.com"],
                                                     "slack": "U0ELENA", "name": "Elena Rossi"}
        assert route(owner, by_name, directory) == {"owner": owner, "email": ["elena.rossi@work.example"],
                                                    "slack": "U0ELENA", "name": "Elena Rossi"}
    # The raw id still works, and without any entry the CRM's email reaches the person.
    assert route("71203404", {"71203404": {"slack": "U1"}}, directory)["slack"] == "U1"
    assert route("005Hs0000gUhb2iIAB", {}, directory) == {
        "owner": "005Hs0000gUhb2iIAB", "email": ["elena@example.com"], "name": "Elena Rossi"}


def test_routing_falls_back_to_the_team_when_the_owner_is_unknown_gone_or_unreachable() -> None:
    directory = _directory()
    assert route("99999999", {}, directory) == {"owner": "99999999", "team": True, "reason": "unknown owner"}
    assert route("71203405", {}, directory) == {"owner": "71203405", "name": "Chris Nakamura", "team": True,
                                                "reason": "owner is no longer active"}
    assert route("005NOEMAIL", {}, directory) == {"owner": "005NOEMAIL", "name": "Sam Okafor", "team": True,
                                                  "reason": "owner has no email or Slack id"}
    # A configured route wins over "gone": the team decides where a leaver's customers go.
    assert route("Chris Nakamura", {"chris nakamura": {"email": "successor@example.com"}}, directory)["email"] == [
        "successor@example.com"]
    assert route(None, {}, directory) == {} and route("", {}, directory) == {}
    assert route("nobody@example.com", {}, directory)["email"] == ["nobody@example.com"]
    assert route("12345", {}, None) == {"owner": "12345", "team": True, "reason": "unknown owner"}
