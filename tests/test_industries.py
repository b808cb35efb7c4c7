"""Industry is one vocabulary, the seed's, whatever source it came from, overridable in
HUB_CONFIG (issue 11, item 3)."""

from __future__ import annotations

import pandas as pd

from hub.config import load_config, merge
from hub.config_schema import problems
from hub.staging import companies as staging_companies


def _payloads() -> dict[str, list[dict]]:
    def hubspot(i: int, industry: str | None) -> dict:
        return {"id": str(i), "properties": {"name": f"H{i}", "industry": industry},
                "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z"}

    def salesforce(i: int, industry: str | None) -> dict:
        return {"Id": f"001{i:015d}", "Name": f"S{i}", "Industry": industry,
                "SystemModstamp": "2026-01-01T00:00:00.000+0000"}

    def airtable(i: int, industry: str | None) -> dict:
        fields = {"Company": f"A{i}"} | ({"Industry": industry} if industry is not None else {})
        return {"id": f"rec{i:014d}", "createdTime": "2026-01-01T00:00:00.000Z", "fields": fields}

    return {
        "hubspot/companies": [hubspot(1, "RETAIL"), hubspot(2, "PHOTOGRAPHY"), hubspot(3, "ONLINE_MEDIA"),
                              hubspot(4, "AIRLINES_AVIATION"), hubspot(5, None), hubspot(6, "")],
        "salesforce/Account": [salesforce(1, "Media"), salesforce(2, "Retail"), salesforce(3, "Education"),
                               salesforce(4, None)],
        "airtable/applications": [airtable(1, "E-commerce"), airtable(2, "  stock photos "), airtable(3, None)],
    }


def _industries(config: dict) -> dict[str, str | None]:
    frame = staging_companies(_payloads(), config)
    return {name: (None if pd.isna(value) else value) for name, value in zip(frame["company"], frame["industry"],
                                                                            strict=True)}


def test_industry_is_one_vocabulary_across_sources() -> None:
    assert _industries(load_config()) == {
        "A1": "E-commerce", "A2": "Stock Photos", "A3": None,
        "H1": "E-commerce", "H2": "Stock Photos", "H3": "News", "H4": "Other", "H5": None, "H6": None,
        "S1": "News", "S2": "E-commerce", "S3": "Research", "S4": None,
    }


def test_industry_mapping_is_overridable_and_checked() -> None:
    config = merge(load_config(), {"industries": {"hubspot": {"ONLINE_MEDIA": "Creator Platform",
                                                              "AIRLINES_AVIATION": "Other"},
                                                  "unmapped": None}})
    assert not problems(config)
    found = _industries(config)
    assert found["H3"] == "Creator Platform" and found["H1"] == "E-commerce"  # one key changed, the rest kept
    assert found["H4"] == "Other"
    unmapped = merge(load_config(), {"industries": {"unmapped": None}})
    assert _industries(unmapped)["H4"] == "AIRLINES_AVIATION"  # null: the source's value as it is
    wrong = merge(load_config(), {"industries": {"salesforce": {"Media": "Press"}}})
    assert any("press" in p.lower() and "vocabulary" in p for p in problems(wrong))
