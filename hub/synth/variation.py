"""How hard ``company_records`` makes matching: the rates of its content variation.

``CLASSIC`` is the variation the benchmark figures before issue 14 were measured on (each
source's own typo, case and missing-website rates; a quarter of people on free-mail); with it
``company_records`` returns exactly the records it always did. ``HARD`` is what a CRM export of
companies nobody here generated shows: more typos (some names with two slips), case variants,
a quarter of records without a website, a third of contacts on free-mail, one record in ten
without a city, subsidiaries on sibling domains, and different companies sharing a generic name.

The extra variation draws from its own random streams, so turning one rate up does not
reshuffle the rest of the records.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from hub.synth import vocabulary as vocab
from hub.synth.variants import typo

_GENERIC_FIRST = ("Global National United General Premier First Advanced Pacific Atlantic Central "
                  "Continental Allied Integrated Universal Strategic Modern Professional Standard "
                  "Superior Metro").split()
_GENERIC_SECOND = ("Solutions Services Consulting Systems Group Holdings Partners Technologies "
                   "Industries Logistics Trading Enterprises Resources Management Associates "
                   "Ventures Networks Supplies Marketing Engineering").split()
_GENERIC_THIRD = ("", " International", " Worldwide", " Group", " Partners")


@dataclass(frozen=True)
class CompanyVariation:
    """Rates of the content variation; ``None`` keeps each source's own classic rate."""

    name_typo: float | None = None  # share of names with one slip (swap, drop, double, neighbour key)
    second_typo: float = 0.0  # of the slipped names, the share with a second slip
    name_case: float | None = None  # share of names in upper or lower case
    website_missing: float | None = None  # share of records without a website
    freemail: float = 0.25  # share of people whose address is on free-mail
    city_missing: float = 0.1  # share of CRM records without a city (Airtable never has one)
    sibling_domain: float = 0.0  # share of companies with a subsidiary on a sibling domain
    sibling_use: float = 0.5  # of such a company's records, the share showing the sibling domain
    generic_name: float = 0.0  # share of companies named from a small pool of generic names
    per_generic_name: int = 5  # companies sharing one generic name, on average

    def typo_rate(self, classic: float) -> float:
        return classic if self.name_typo is None else self.name_typo

    def case_rate(self, classic: float) -> float:
        return classic if self.name_case is None else self.name_case

    def missing_website(self, classic: float) -> float:
        return classic if self.website_missing is None else self.website_missing

    def but(self, **rates: float | int | None) -> CompanyVariation:
        """This variation with some rates changed: ``HARD.but(generic_name=0.05)``."""
        return replace(self, **rates)


CLASSIC = CompanyVariation()
HARD = CompanyVariation(name_typo=0.15, second_typo=0.1, name_case=0.15, website_missing=0.28,
                        freemail=0.36, city_missing=0.1, sibling_domain=0.06, generic_name=0.03)
PRESETS = {"classic": CLASSIC, "hard": HARD}


def variation_of(variation: CompanyVariation | str) -> CompanyVariation:
    if isinstance(variation, CompanyVariation):
        return variation
    try:
        return PRESETS[variation]
    except KeyError:
        raise ValueError(f"unknown variation {variation!r}; presets: {', '.join(PRESETS)}") from None


def generic_names(names: list[str], rng: np.random.Generator, v: CompanyVariation) -> list[str]:
    """Some companies renamed from a pool of generic names several companies share
    ("Global Solutions"): same name, often the same country, a different company."""
    if v.generic_name <= 0:
        return names
    chosen = np.flatnonzero(rng.random(len(names)) < v.generic_name)
    pool = [f"{a} {b}{c}" for c in _GENERIC_THIRD for a in _GENERIC_FIRST for b in _GENERIC_SECOND]
    size = min(len(pool), max(2, len(chosen) // max(1, v.per_generic_name)))
    picks = rng.integers(0, size, len(chosen))
    out = list(names)
    for c, p in zip(chosen.tolist(), picks.tolist(), strict=True):
        out[c] = pool[p]
    return out


def sibling_domains(domain: np.ndarray, country: np.ndarray, rng: np.random.Generator,
                    v: CompanyVariation) -> np.ndarray:
    """Per company, a subsidiary's sibling domain (acme.com -> acme.co.uk, acme-de.com) or None."""
    out = np.full(len(domain), None, dtype=object)
    if v.sibling_domain <= 0:
        return out
    taken = set(domain.tolist())
    chosen = np.flatnonzero(rng.random(len(domain)) < v.sibling_domain)
    style = rng.random(len(chosen)).tolist()
    for c, s in zip(chosen.tolist(), style, strict=True):
        label, _, tld = str(domain[c]).partition(".")
        code = vocab.COUNTRIES[int(country[c])][0].lower()
        local = ".co.uk" if code == "gb" else f".{code}"
        if s < 0.4:
            sibling = f"{label}{local if tld == 'com' else '.com'}"
        elif s < 0.7:
            sibling = f"{label}-{code}.{tld}"
        else:
            sibling = f"{label}group.{tld}"
        if sibling not in taken:
            taken.add(sibling)
            out[c] = sibling
    return out


def on_sibling(rows: np.ndarray, sibling: np.ndarray, rng: np.random.Generator,
               v: CompanyVariation) -> np.ndarray:
    """Per record: the sibling domain it shows instead of the company's own, or None."""
    if v.sibling_domain <= 0:
        return np.full(len(rows), None, dtype=object)
    use = rng.random(len(rows)) < v.sibling_use
    return np.where(use, sibling[rows], None)


def swap_domain(values: list[str | None], own: np.ndarray, sibling: np.ndarray) -> list[str | None]:
    """Websites or emails with the company's own domain replaced by the record's sibling one."""
    out = list(values)
    for i in np.flatnonzero(pd.notna(sibling)).tolist():
        if out[i] is not None:
            text = out[i]
            at = text.lower().rfind(own[i])
            if at >= 0:
                out[i] = text[:at] + sibling[i] + text[at + len(own[i]):]
    return out


def second_typos(names: list[str], rng: np.random.Generator, v: CompanyVariation) -> list[str]:
    """A second slip in some names (the first came from ``variants.company_names``)."""
    if v.second_typo <= 0 or v.name_typo is None:
        return names
    p = v.name_typo * v.second_typo
    draws = rng.random((len(names), 3)).tolist()
    return [typo(name, u, w) if d < p else name for name, (d, u, w) in zip(names, draws, strict=True)]
