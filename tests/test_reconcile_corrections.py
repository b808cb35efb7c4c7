"""Stable ids, the merge log, overrides, the review queue, survivorship and the checks."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from hub.reconcile import assign_customer_ids, resolve, resolve_entities, survive
from hub.reconcile.checks import customer_checks
from hub.reconcile.ids import resolve_merge_log
from hub.reconcile.overrides import (
    OverridesError,
    combine,
    decided_reviews,
    normalise_overrides,
    read_overrides_file,
    review_queue,
)

COLUMNS = ["record_id", "source", "company", "website", "email", "city", "country",
           "salesforce_account_id", "hubspot_company_id", "application_id"]


def _records(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{c: r.get(c) for c in COLUMNS} for r in rows], columns=COLUMNS)


def _pairs(*pairs: tuple[str, str]) -> pd.DataFrame:
    return pd.DataFrame(pairs, columns=["left_record_id", "right_record_id"])


ACME = [
    {"record_id": "h", "source": "hubspot", "company": "Acme", "website": "acme.com"},
    {"record_id": "s", "source": "salesforce", "company": "Acme Inc", "website": "acme.com"},
    {"record_id": "a", "source": "airtable", "company": "ACME Labs", "email": "jo@gmail.com"},
]


def _ids(clusters: pd.DataFrame, previous: pd.DataFrame | None = None, **kw) -> tuple[dict, pd.DataFrame]:
    walk, merges = assign_customer_ids(clusters, previous, **kw)
    return dict(zip(walk["record_id"], walk["customer_id"], strict=True)), merges


def _walk(ids: dict) -> pd.DataFrame:
    return pd.DataFrame({"record_id": list(ids), "customer_id": list(ids.values())})


# -- overrides ---------------------------------------------------------------------------------


def test_must_link_joins_and_cannot_link_splits() -> None:
    frame = _records(ACME)
    plain = resolve_entities(frame).set_index("record_id")["cluster_id"]
    assert plain["h"] == plain["s"] != plain["a"]
    linked = resolve_entities(frame, must_link=_pairs(("a", "h"))).set_index("record_id")
    assert linked.loc["a", "cluster_id"] == linked.loc["h", "cluster_id"] == linked.loc["s", "cluster_id"]
    assert linked.loc["a", "match_rule"] == "override"
    apart = resolve_entities(frame, cannot_link=_pairs(("h", "s"))).set_index("record_id")["cluster_id"]
    assert apart["h"] != apart["s"]


def test_cannot_link_wins_over_must_link_and_over_a_chain() -> None:
    rows = [{"record_id": "x", "source": "hubspot", "company": "X", "website": "x.com", "application_id": "B-1"},
            {"record_id": "y", "source": "airtable", "company": "X", "application_id": "B-1", "email": "q@y.com"},
            {"record_id": "z", "source": "salesforce", "company": "Y", "website": "y.com"}]
    must, cannot = combine(normalise_overrides(pd.DataFrame(
        {"left_record_id": ["x", "x"], "right_record_id": ["z", "z"], "decision": ["must_link", "cannot-link"]}),
        "test"))
    assert must.empty and len(cannot) == 1
    out = resolve_entities(_records(rows), must_link=must, cannot_link=cannot).set_index("record_id")["cluster_id"]
    # x-y (shared id) and y-z (y's email domain is z's website) chain x to z: the chain breaks
    assert out["x"] != out["z"]


def test_overrides_file_csv_and_yaml(tmp_path: Path) -> None:
    csv = tmp_path / "overrides.csv"
    csv.write_text("left_record_id,right_record_id,decision\nb,a,must_link\nc,d,cannot_link\n")
    frame = read_overrides_file(csv)
    assert frame.values.tolist() == [["a", "b", "must_link"], ["c", "d", "cannot_link"]]
    yml = tmp_path / "overrides.yaml"
    yml.write_text("must_link:\n  - [a, b]\ncannot_link:\n  - [c, d]\n")
    assert read_overrides_file(yml).values.tolist() == frame.values.tolist()
    bad = tmp_path / "bad.csv"
    bad.write_text("left_record_id,right_record_id,decision\na,b,maybe\n")
    with pytest.raises(OverridesError, match="must_link or cannot_link"):
        read_overrides_file(bad)
    with pytest.raises(OverridesError, match="does not exist"):
        read_overrides_file(tmp_path / "missing.csv")


def test_review_decisions_feed_the_overrides() -> None:
    review = pd.DataFrame({"left_record_id": ["a", "c", "e"], "right_record_id": ["b", "d", "f"],
                           "status": ["accepted", "rejected", "pending"]})
    decided = decided_reviews(review)
    assert decided.values.tolist() == [["a", "b", "must_link"], ["c", "d", "cannot_link"]]


def test_review_queue_keeps_decisions_and_first_sightings() -> None:
    records = _records(ACME)
    pairs = pd.DataFrame({"left_record_id": ["a", "h"], "right_record_id": ["h", "s"], "score": [0.8, 0.3],
                          "reason": ["same name, nothing corroborates it", "low"]})
    first = review_queue(pairs, records, None, "2026-01-01T00:00:00+00:00", 0.6)
    assert first["review_id"].tolist() == [first["review_id"].iloc[0]] and first["status"].tolist() == ["pending"]
    assert first.loc[0, "left_company"] == "ACME Labs" and first.loc[0, "right_website"] == "acme.com"
    first.loc[0, ["status", "decided_by"]] = ["rejected", "dana"]
    again = review_queue(pairs.iloc[:0], records, first, "2026-01-02T00:00:00+00:00", 0.6)
    assert again["status"].tolist() == ["rejected"]  # a decided pair stays on record
    third = review_queue(pairs, records, first, "2026-01-03T00:00:00+00:00", 0.6)
    assert third.loc[0, "first_seen_at"] == "2026-01-01T00:00:00+00:00" and third.loc[0, "status"] == "rejected"


# -- stable ids and the merge log ----------------------------------------------------------------


def test_rerun_on_unchanged_input_gives_identical_ids() -> None:
    clusters = resolve_entities(_records(ACME))
    ids, _ = _ids(clusters)
    again, merges = _ids(resolve_entities(_records(ACME)), _walk(ids))
    assert again == ids and merges.empty


def test_a_cluster_that_gains_or_loses_members_keeps_its_id() -> None:
    ids, _ = _ids(pd.DataFrame({"record_id": ["a", "b"], "cluster_id": ["a", "a"]}))
    grown, merges = _ids(pd.DataFrame({"record_id": ["a", "b", "c"], "cluster_id": ["a", "a", "a"]}), _walk(ids))
    assert grown["a"] == grown["c"] == ids["a"] and merges.empty
    # b leaves: a keeps the id, b gets a new one (never a's)
    split, merges = _ids(pd.DataFrame({"record_id": ["a", "b", "c"], "cluster_id": ["a", "b", "a"]}),
                         _walk(grown))
    assert split["a"] == ids["a"] and split["b"] not in (ids["a"],) and merges.empty


def test_a_merge_keeps_the_oldest_id_and_logs_the_other() -> None:
    ids, _ = _ids(pd.DataFrame({"record_id": ["a", "b", "c"], "cluster_id": ["a", "b", "c"]}))
    first_seen = pd.Series({ids["a"]: "2026-03-01", ids["b"]: "2025-01-01", ids["c"]: "2026-01-01"})
    merged, merges = _ids(pd.DataFrame({"record_id": ["a", "b", "c"], "cluster_id": ["a", "a", "c"]}),
                          _walk(ids), first_seen=first_seen)
    assert merged["a"] == merged["b"] == ids["b"]  # b's id is older, though a's record sorts first
    assert merges.values.tolist() == [[ids["a"], ids["b"]]]
    # yesterday's a -> b; today b folds into c (older still): a now resolves to c in one lookup
    log = resolve_merge_log(merges, pd.DataFrame({"old_customer_id": [ids["b"]], "customer_id": [ids["c"]]}))
    assert dict(zip(log["old_customer_id"], log["customer_id"], strict=True)) == {ids["a"]: ids["c"],
                                                                                    ids["b"]: ids["c"]}


def test_retired_ids_are_never_minted_again() -> None:
    ids, _ = _ids(pd.DataFrame({"record_id": ["a"], "cluster_id": ["a"]}))
    fresh, _ = _ids(pd.DataFrame({"record_id": ["a"], "cluster_id": ["a"]}), None, retired={ids["a"]})
    assert fresh["a"] != ids["a"]


# -- survivorship --------------------------------------------------------------------------------


def test_survivorship_priority_then_recency_with_sources() -> None:
    companies = pd.DataFrame({
        "record_id": ["s", "h1", "h2", "a"], "source": ["salesforce", "hubspot", "hubspot", "airtable"],
        "company": ["Acme Corp", "Acme", "ACME", "acme"], "domain": [None, "acme.com", "acme.io", "acme.com"],
        "industry": [None, "Retail", "Software", "E-commerce"], "owner": ["o1", None, None, "o3"],
        "city": [None, "Berlin", "Munich", None], "country": ["DE", None, None, None],
        "created_at": ["2024-01-01", "2023-05-01", "2024-02-01", "2022-01-01"],
        "updated_at": ["2024-01-01", "2024-01-01", "2025-01-01", "2025-06-01"]})
    walk = pd.DataFrame({"record_id": ["s", "h1", "h2", "a"], "customer_id": ["c"] * 4})
    row = survive(companies, walk, ["salesforce", "hubspot", "airtable"]).iloc[0]
    assert (row["name"], row["name_source"]) == ("Acme Corp", "salesforce")
    assert (row["domain"], row["domain_source"]) == ("acme.io", "hubspot")  # newer of the two HubSpot records
    assert (row["city"], row["city_source"]) == ("Munich", "hubspot")
    assert str(pd.Timestamp(row["first_seen_at"]).date()) == "2022-01-01"
    by_field = survive(companies, walk, ["salesforce", "hubspot", "airtable"],
                       {"industry": ["airtable", "hubspot"]}).iloc[0]
    assert (by_field["industry"], by_field["industry_source"]) == ("E-commerce", "airtable")


# -- checks ----------------------------------------------------------------------------------


def test_customer_checks_report_their_numbers() -> None:
    customers = pd.DataFrame({"customer_id": ["c1", "c2"]})
    sources = pd.DataFrame({"source": ["hubspot"] * 3, "source_object": ["companies"] * 3,
                            "source_id": ["1", "2", "3"], "customer_id": ["c1", "c1", "c2"]})
    companies = sources[["source", "source_object", "source_id"]]
    runs = pd.DataFrame({"ran_at": ["2026-01-01", "2026-01-02"], "customers": [2, 2]})
    outcomes = {o.name: o for o in customer_checks(customers, sources, companies, runs, 2, 0.2)}
    assert all(o.passed for o in outcomes.values())
    extra = pd.concat([companies, pd.DataFrame([{"source": "hubspot", "source_object": "companies",
                                                 "source_id": "4"}])])
    jumped = pd.DataFrame({"ran_at": ["2026-01-01", "2026-01-02"], "customers": [10, 2]})
    outcomes = {o.name: o for o in customer_checks(customers, sources, extra, jumped, 1, 0.2)}
    assert not outcomes["every_record_in_one_customer"].passed
    assert outcomes["every_record_in_one_customer"].metadata["not_in_a_customer"] == 1
    assert not outcomes["no_customer_over_guard"].passed
    assert not outcomes["customer_count_stable"].passed and outcomes["customer_count_stable"].warn_only


def test_resolution_reports_skipped_keys_and_a_review_queue() -> None:
    rows = [{"record_id": f"r{i}", "source": "hubspot", "company": f"Shop {i}", "website": "bigreseller.com"}
            for i in range(4)]
    out = resolve(_records(rows), max_cluster_size=3)
    assert out.skipped_keys == 1 and out.clusters["cluster_id"].nunique() == 4
