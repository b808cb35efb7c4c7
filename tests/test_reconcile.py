"""Identity resolution v1: cross-reference ids, registrable domains, company email domains."""

from __future__ import annotations

import pandas as pd

from hub.names import company_domain_from_email, normalised_name, registrable_domain
from hub.reconcile import assign_customer_ids, resolve_entities


def _records(rows: list[dict]) -> pd.DataFrame:
    columns = ["record_id", "source", "company", "website", "email", "city", "country",
               "salesforce_account_id", "hubspot_company_id", "application_id"]
    return pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], columns=columns)


def _clusters(frame: pd.DataFrame) -> dict[str, str]:
    out = resolve_entities(frame)
    return dict(zip(out["record_id"], out["cluster_id"], strict=True))


def test_registrable_domain_and_free_mail() -> None:
    assert registrable_domain("http://app.acme.co.uk/login") == "acme.co.uk"
    assert registrable_domain("WWW.Acme.com") == "acme.com"
    assert registrable_domain("acme.github.io") == "acme.github.io"  # private suffix stays distinct
    assert registrable_domain("not a url") is None
    assert company_domain_from_email("jo@gmail.com") is None
    assert company_domain_from_email("Jo@Sales.Acme.com") == "acme.com"
    assert normalised_name("ACME, Inc.") == normalised_name("Acme Corporation") == "acme"


def test_domain_variants_link_across_sources() -> None:
    c = _clusters(_records([
        {"record_id": "a", "source": "airtable", "company": "Acme Inc", "website": "https://www.acme.com/"},
        {"record_id": "h", "source": "hubspot", "company": "ACME", "website": "acme.com"},
        {"record_id": "s", "source": "salesforce", "company": "Acme Corporation", "website": "http://app.acme.com"},
    ]))
    assert c["a"] == c["h"] == c["s"]


def test_cross_reference_ids_link_records_without_websites() -> None:
    c = _clusters(_records([
        {"record_id": "h", "source": "hubspot", "company": "Globex", "salesforce_account_id": "001A",
         "application_id": "BETA-1"},
        {"record_id": "s", "source": "salesforce", "company": "Globex Ltd", "salesforce_account_id": "001A"},
        {"record_id": "a", "source": "airtable", "company": "Globex", "application_id": "BETA-1"},
    ]))
    assert c["h"] == c["s"] == c["a"]


def test_company_email_domain_links_but_free_mail_never_does() -> None:
    c = _clusters(_records([
        {"record_id": "a1", "source": "airtable", "company": "Initech", "email": "bill@initech.io"},
        {"record_id": "s1", "source": "salesforce", "company": "Initech LLC", "website": "initech.io"},
        {"record_id": "a2", "source": "airtable", "company": "Hooli", "email": "gavin@gmail.com"},
        {"record_id": "a3", "source": "airtable", "company": "Pied Piper", "email": "richard@gmail.com"},
    ]))
    assert c["a1"] == c["s1"]
    assert c["a2"] != c["a3"]


def test_same_name_alone_never_links() -> None:
    c = _clusters(_records([
        {"record_id": "x", "source": "hubspot", "company": "Acme", "website": "acme.com"},
        {"record_id": "y", "source": "salesforce", "company": "Acme", "website": "acme-analytics.com"},
        {"record_id": "z", "source": "airtable", "company": "Acme"},
    ]))
    assert len({c["x"], c["y"], c["z"]}) == 3


def test_oversized_key_is_not_used_to_link() -> None:
    rows = [{"record_id": f"r{i}", "source": "hubspot", "company": f"Shop {i}", "website": f"shop{i}.myhost.com"}
            for i in range(5)]
    rows += [{"record_id": f"q{i}", "source": "airtable", "company": f"Q {i}", "email": f"x{i}@bigreseller.com"}
             for i in range(5)]
    out = resolve_entities(_records(rows), max_cluster_size=3)
    assert out["cluster_id"].nunique() == 10


def test_customer_ids_are_stable_and_a_merge_keeps_one_previous_id() -> None:
    first = pd.DataFrame({"record_id": ["a", "b", "c"], "cluster_id": ["a", "b", "c"]})
    ids, merges = assign_customer_ids(first, None)
    again, _ = assign_customer_ids(first, ids)
    assert again.equals(ids)
    # b and c turn out to be one company: one of their ids survives, the other is a merge.
    merged = pd.DataFrame({"record_id": ["a", "b", "c"], "cluster_id": ["a", "b", "b"]})
    after, merges = assign_customer_ids(merged, ids)
    old = dict(zip(ids["record_id"], ids["customer_id"], strict=True))
    new = dict(zip(after["record_id"], after["customer_id"], strict=True))
    assert new["a"] == old["a"]
    assert new["b"] == new["c"] and new["b"] in {old["b"], old["c"]}
    assert len(merges) == 1 and merges.iloc[0]["customer_id"] == new["b"]
