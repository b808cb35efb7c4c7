"""One industry vocabulary: every source's industry value as one of the seed's industries
(``HUB_CONFIG`` ``industries``: the vocabulary, a mapping per source, what an unmapped value
becomes). HubSpot sends its enum (``RETAIL``), Salesforce its picklist (``Retail``), Airtable the
seed's own words, all compared without case or surrounding spaces."""

from __future__ import annotations

from typing import Any

import pandas as pd


def _key(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = " ".join(str(value).split())
    return text.casefold() or None


def vocabulary_of(source_values: pd.Series, sources: pd.Series, settings: dict[str, Any]) -> pd.Series:
    """Each value in the vocabulary: a vocabulary word as it is (any case), else its source's
    mapping, else ``settings["unmapped"]`` (None keeps the value); a missing value stays None."""
    words = {_key(w): w for w in settings["vocabulary"]}
    mappings = {source: {_key(k): v for k, v in (settings.get(source) or {}).items()}
                for source in ("hubspot", "salesforce", "airtable")}
    unmapped = settings.get("unmapped")

    def one(value: Any, source: Any) -> Any:
        key = _key(value)
        if key is None:
            return None
        found = mappings.get(str(source), {}).get(key) or words.get(key)
        if found is not None:
            return found
        return value if unmapped is None else unmapped

    return pd.Series([one(v, s) for v, s in zip(source_values, sources, strict=True)], index=source_values.index,
                     dtype=object)
