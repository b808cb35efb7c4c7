"""Issue 14: typo-tolerant names that stay safe, generic names, sibling domains, nulls of every
kind and string dtype, and the harder company variation of the generator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hub.reconcile import resolve, resolve_entities
from hub.reconcile.typos import canonical_names, deletion_pairs
from hub.synth import company_records
from hub.synth.variation import CLASSIC, HARD, variation_of

COLUMNS = ["record_id", "source", "company", "website", "email", "city", "country",
           "salesforce_account_id", "hubspot_company_id", "application_id"]


def _records(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{c: r.get(c) for c in COLUMNS} for r in rows], columns=COLUMNS)


def _clusters(frame: pd.DataFrame) -> dict[str, str]:
    out = resolve_entities(frame)
    return dict(zip(out["record_id"], out["cluster_id"], strict=True))


def _lunarspring(city: str) -> pd.DataFrame:
    return _records([
        {"record_id": "h1", "source": "hubspot", "company": "Lunarspring Media",
         "website": "https://lunarspringmedia.com", "city": "Boston", "country": "United States"},
        {"record_id": "s1", "source": "salesforce", "company": "Lunarspring Media Inc",
         "email": "kim@lunarspringmedia.com", "city": "Boston", "country": "US"},
        # no website, a free-mail contact: a slipped name and a place are all it has
        {"record_id": "s2", "source": "salesforce", "company": "Lunarsrping Media, Inc.",
         "email": "jo.smith77@gmail.com", "city": city, "country": "USA"},
    ])


def test_one_slip_names_are_found_and_two_are_not() -> None:
    names = np.array(["lunarspring", "lunarsrping", "lunarsprin", "lunarspxing", "lunrasrping", "acme"],
                     dtype=object)
    left, right = deletion_pairs(names)
    pairs = set(zip(left.tolist(), right.tolist(), strict=True))
    assert {(0, 1), (0, 2), (0, 3)} <= pairs  # transposition, dropped letter, wrong key
    assert (0, 4) not in pairs  # two slips
    assert all(5 not in p for p in pairs)  # short names are never read as typos


def test_a_lone_typo_is_read_as_its_more_frequent_neighbour() -> None:
    names = np.array(["lunarspring", "lunarsrping", "calaramedia", "caloramedia", "calaromedia"], dtype=object)
    canon = canonical_names(names, np.array([5, 1, 2, 2, 2]))
    assert canon[1] == 0 and canon[0] == 0
    # "calaramedia" has two neighbours: which one it would misspell is a guess, so it keeps its
    # own code (its two neighbours, one slip from it alone, are read as it)
    assert canon[2] == 2 and canon[3] == canon[4] == 2


def test_typo_name_with_the_same_city_and_country_links() -> None:
    c = _clusters(_lunarspring("Boston"))
    assert c["h1"] == c["s1"] == c["s2"]


def test_the_same_typo_in_another_city_stays_apart_and_is_reviewed() -> None:
    result = resolve(_lunarspring("Chicago"))
    c = dict(zip(result.clusters["record_id"], result.clusters["cluster_id"], strict=True))
    assert c["h1"] == c["s1"] != c["s2"]
    review = result.review
    pair = review[["left_record_id", "right_record_id"]].apply(frozenset, axis=1)
    assert pair.isin([frozenset({"h1", "s2"}), frozenset({"s1", "s2"})]).any()
    assert review["reason"].str.contains("slip apart").any()


def test_generic_names_several_companies_share_stay_apart() -> None:
    rows = [{"record_id": f"w{i}", "source": "hubspot", "company": "Global Solutions", "website": site,
             "city": city, "country": "US"}
            for i, (site, city) in enumerate([("globalsolutions.com", "New York"),
                                              ("getglobalsolutions.com", "Boston"),
                                              ("globalsolutionshq.com", "Austin")])]
    rows += [{"record_id": "n1", "source": "salesforce", "company": "Global Solutions LLC",
              "email": "amy@gmail.com", "city": "New York", "country": "United States"},
             {"record_id": "n2", "source": "salesforce", "company": "Global Solutions Inc",
              "email": "bo@yahoo.com", "city": "New York", "country": "USA"}]
    result = resolve(_records(rows))
    sizes = result.clusters.groupby("cluster_id").size()
    assert (sizes == 1).all()
    assert result.review["reason"].str.contains("generic").any()


def test_a_subsidiary_on_a_sibling_domain_links_and_a_namesake_abroad_does_not() -> None:
    c = _clusters(_records([
        {"record_id": "a", "source": "hubspot", "company": "Brightpath Analytics",
         "website": "brightpathanalytics.com", "city": "Boston", "country": "US"},
        {"record_id": "b", "source": "salesforce", "company": "Brightpath Analytics Inc",
         "website": "https://brightpathanalytics-us.com", "city": "Boston", "country": "USA"},
        {"record_id": "x", "source": "hubspot", "company": "Brightpath Analytics GmbH",
         "email": "anna@web.de", "city": "Berlin", "country": "Germany"},
    ]))
    assert c["a"] == c["b"] != c["x"]


NULLS = [None, np.nan, pd.NA, "", "   "]


# pandas 3's default text dtype is "str" (Arrow-backed, NaN for missing); in pandas 2 "str" means object
STRING_DTYPES = [object, "string", "string[python]", "string[pyarrow]"] + (
    ["str"] if int(pd.__version__.split(".")[0]) >= 3 else [])


@pytest.mark.parametrize("dtype", STRING_DTYPES)
def test_nulls_of_every_kind_in_every_column_and_any_string_dtype(dtype: object) -> None:
    base = _lunarspring("Boston")
    base.loc[3] = ["e1", "airtable", "Zenora Labs", None, None, None, None, None, None, None]
    messy = base.copy()
    for i, column in enumerate(COLUMNS[2:]):  # every column but the ids gets every kind of null
        for j, null in enumerate(NULLS):
            row = (i + j) % len(messy)
            if messy.at[row, column] is None:
                messy.at[row, column] = null
    messy = messy.astype({c: dtype for c in COLUMNS})
    out = resolve_entities(messy)
    assert out["record_id"].astype(str).tolist() == base["record_id"].tolist()
    expected = resolve_entities(base)
    assert out["cluster_id"].astype(str).tolist() == expected["cluster_id"].tolist()
    blank = base.assign(company="", website=np.nan, email=pd.NA).astype({c: dtype for c in COLUMNS})
    assert resolve_entities(blank)["cluster_id"].nunique() == len(blank)  # nothing left to link on


def test_hard_variation_is_harder_and_classic_is_unchanged() -> None:
    classic = company_records(4000, seed=2)
    assert company_records(4000, seed=2, variation="classic").equals(classic)
    assert company_records(4000, seed=2, variation=CLASSIC).equals(classic)
    hard = company_records(4000, seed=2, variation="hard")
    assert len(hard) == len(classic)
    assert hard["website"].isna().mean() > classic["website"].isna().mean() + 0.03
    free = hard["email"].str.contains("@(?:gmail|yahoo|outlook|hotmail)", case=False, na=False)
    assert free.sum() / hard["email"].notna().sum() > 0.27
    # different companies share a generic name; some companies show two domains
    per_name = hard.groupby(hard["company"].str.lower().str.replace(r"[^a-z ]", "", regex=True))["true_company"]
    assert (per_name.nunique() >= 3).any()
    hosts = hard["website"].str.lower().str.extract(r"([a-z0-9-]+\.[a-z.]+)")[0]
    assert (hosts.groupby(hard["true_company"]).nunique() >= 2).any()


def test_variation_rates_are_configurable() -> None:
    none_missing = company_records(2000, seed=4, variation=HARD.but(website_missing=0.0))
    # only HubSpot-less... every source's website is there unless its company has none at all
    assert none_missing["website"].isna().mean() < 0.01
    with pytest.raises(ValueError, match="unknown variation"):
        variation_of("harder")


def test_one_person_at_a_sibling_domain_is_one_company() -> None:
    c = _clusters(_records([
        {"record_id": "a", "source": "hubspot", "company": "Falico Collective PLC",
         "website": "falicocollective.com", "email": "kenneth.price@falicocollective.com"},
        {"record_id": "b", "source": "salesforce", "company": "Falico Collective",
         "website": "falicocollective.co.uk", "email": "Kenneth.Price@Falicocollective.co.uk"},
        {"record_id": "x", "source": "salesforce", "company": "Falico Collective",
         "website": "falicocollective.de", "email": "anna.berg@falicocollective.de"},
    ]))
    assert c["a"] == c["b"] != c["x"]


def test_a_rare_name_links_to_a_record_that_says_nothing_about_place_and_a_short_one_does_not() -> None:
    c = _clusters(_records([
        {"record_id": "h", "source": "hubspot", "company": "Silveranchor Pictures",
         "website": "silveranchorpictures.com", "city": "Denver", "country": "US"},
        {"record_id": "a", "source": "airtable", "company": "SILVERANCHOR PICTURES", "email": "jo@gmail.com"},
        {"record_id": "h2", "source": "hubspot", "company": "Aten", "website": "aten.io", "city": "Denver",
         "country": "US"},
        {"record_id": "a2", "source": "airtable", "company": "Aten", "email": "al@gmail.com"},
    ]))
    assert c["h"] == c["a"]
    assert c["h2"] != c["a2"]
