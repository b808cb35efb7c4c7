"""Matching features of company records, as integer codes so tiers can work in numpy.

Every normalisation runs once per *distinct* value (``hub.names``), and results are carried as
codes: a million rows are factorised once per input column, never re-hashed as strings.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from hub.names import (
    FREE_MAIL_DOMAINS,
    city_key,
    country_code,
    domain_country,
    domain_label,
)
from hub.reconcile.domains_column import email_parts, registrable_domains, website_hosts
from hub.reconcile.names_column import names_and_places
from hub.reconcile.typos import canonical_names

XREF_COLUMNS = ("salesforce_account_id", "hubspot_company_id", "application_id")


@dataclass
class Features:
    """Per record (position i): codes, -1 where the value is missing.

    ``domain`` (website) and ``email_domain`` (company email, never free-mail) share one code
    space, so a website and an email domain can meet; ``name`` (the normalised name without
    spaces) and ``label`` (the name part of the record's domain) share another, so a name can
    meet a domain: "Urban Brook" and urbanbrook.com.
    """

    record_id: np.ndarray
    domain: np.ndarray
    email_domain: np.ndarray
    email: np.ndarray  # a person: the address, a company address without its TLD (``_people``)
    name: np.ndarray
    label: np.ndarray
    country: np.ndarray
    city: np.ndarray
    place: np.ndarray  # bitmask of countries the record can be in (country, legal form, ccTLD); 0: no hint
    xrefs: dict[str, np.ndarray]
    name_text: np.ndarray  # normalised names, for similarity scores and the review queue
    spelling: np.ndarray  # the squashed name exactly as spelled; ``name`` reads a lone typo as its neighbour
    retyped: np.ndarray  # bool: ``name`` is another spelling than the record's own
    domains: np.ndarray  # registrable domain per ``domain`` / ``email_domain`` code
    spellings: np.ndarray  # squashed name per ``spelling`` code

    @property
    def n(self) -> int:
        return len(self.record_id)

    @property
    def any_domain(self) -> np.ndarray:
        """The record's website domain, else its company email domain (-1: neither)."""
        return np.where(self.domain >= 0, self.domain, self.email_domain)


@dataclass
class Coded:
    """A column as codes into ``values`` (-1: missing)."""

    codes: np.ndarray
    values: np.ndarray

    @classmethod
    def of(cls, column: pd.Series | np.ndarray, *, raw: bool = False) -> Coded:
        """Codes of ``column``; ``raw``: an input column, where blank text is missing too."""
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        values = np.asarray(uniques, dtype=object)
        if not raw:  # normalised values are text or None already
            return cls(codes.astype(np.int64), values)
        # factorize already codes None, NaN and pd.NA as missing; blank text is missing too, and
        # any other scalar (an id typed as a number) is read as its text.
        odd = _odd(uniques, values)
        if odd:
            usable = np.ones(len(values) + 1, bool)
            usable[-1] = False
            for i in odd:
                v = values[i]
                if isinstance(v, str):
                    usable[i] = False
                else:
                    values[i] = str(v)
            codes = np.where(usable[codes], codes, -1)
        return cls(codes.astype(np.int64), values)

    def map(self, fn: Callable[[Any], Any]) -> Coded:
        """``fn`` once per distinct value; equal results share a code, None becomes -1."""
        return Coded(self.codes, _objects([fn(v) for v in self.values.tolist()])).merged()

    def merged(self) -> Coded:
        """The same column with equal values under one code (None: -1)."""
        results = Coded.of(pd.Series(self.values, dtype=object))
        return Coded(np.append(results.codes, -1)[self.codes], results.values)

    def lookup(self, fn: Callable[[Any], Any], missing: Any = None) -> np.ndarray:
        """``fn`` of each row's value, computed once per distinct value."""
        table = np.array([fn(v) for v in self.values] + [missing], dtype=object)
        return table[self.codes]


def _odd(uniques: pd.Index | np.ndarray, values: np.ndarray) -> list[int]:
    """Positions of distinct input values that are not plain text: blank, or not a string."""
    if isinstance(getattr(uniques, "array", None), pd.arrays.ArrowStringArray):  # pyarrow is there
        import pyarrow as pa
        import pyarrow.compute as pc

        # all strings: only one not starting with a letter or digit can be blank
        first = pc.utf8_slice_codeunits(pa.array(uniques.array), 0, 1)
        maybe = np.flatnonzero(~np.asarray(pc.fill_null(pc.utf8_is_alnum(first), True)))
        return [i for i in maybe.tolist() if not values[i] or values[i].isspace()]
    return [i for i, v in enumerate(values.tolist()) if type(v) is not str or not v or v.isspace()]


def _objects(items: list[Any]) -> np.ndarray:
    out = np.empty(len(items), dtype=object)  # np.array would read tuples as rows
    out[:] = items
    return out


def shared(*columns: Coded) -> tuple[list[np.ndarray], np.ndarray]:
    """Codes of several columns in one space (a website and an email domain, say)."""
    joined = Coded.of(pd.Series(np.concatenate([c.values for c in columns]), dtype=object))
    out, start = [], 0
    for c in columns:
        remap = np.append(joined.codes[start:start + len(c.values)], -1)
        out.append(remap[c.codes])
        start += len(c.values)
    return out, joined.values


def _column(records: pd.DataFrame, name: str) -> Coded:
    if name in records:
        return Coded.of(records[name].reset_index(drop=True), raw=True)
    return Coded(np.full(len(records), -1, np.int64), np.empty(0, dtype=object))


def matching_features(records: pd.DataFrame) -> Features:
    """Normalise each distinct value once (``hub.names``) and code the results."""
    web_hosts = _website_hosts(records)
    emails, mail_hosts, local = _emails(records)
    (web_host, mail_host), hosts = shared(web_hosts, mail_hosts)
    registrable = Coded(np.arange(len(hosts)), registrable_domains(hosts)).merged()
    to_domain = np.append(registrable.codes, -1)
    domain, mail = to_domain[web_host], to_domain[mail_host]
    domains = registrable.values
    free = np.array([d in FREE_MAIL_DOMAINS for d in domains] + [False])  # np.isin on objects is quadratic
    email_domain = np.where(free[mail], -1, mail)

    name_codes, normalised, legal_places = _names(records)
    name_text = np.append(normalised, None)[name_codes]
    squashed = Coded(name_codes, _objects([v and v.replace(" ", "") for v in normalised.tolist()]))
    label_of = Coded(np.where(domain >= 0, domain, email_domain), domains)
    label_table = Coded(np.arange(len(domains)), domains).map(domain_label)  # once per domain
    spelled = squashed.merged()
    labels = Coded(np.append(label_table.codes, -1)[label_of.codes], label_table.values)
    # a spelling some website spells is the right one, however few records use it
    counts = np.bincount(spelled.codes[spelled.codes >= 0], minlength=len(spelled.values))
    counts += pd.Index(spelled.values, dtype=object).isin(labels.values) * (len(records) + 1)
    canon = np.append(canonical_names(spelled.values, counts), -1)
    read_as = Coded(canon[spelled.codes], spelled.values)
    (name, label), _ = shared(read_as, labels)

    countries = _column(records, "country").map(country_code)
    city = _column(records, "city").map(city_key).codes
    stated = np.append(np.array([_mask(c) for c in countries.values], dtype=np.int64), 0)[countries.codes]
    by_legal = np.array([_mask(p) for p in legal_places.tolist()] + [0], dtype=np.int64)[name_codes]
    by_tld = np.append(np.array([_tld_mask(d.rpartition(".")[2]) for d in domains.tolist()], dtype=np.int64),
                       0)[label_of.codes]
    xrefs = {}
    for column in XREF_COLUMNS:
        if column in records:
            xrefs[column] = _column(records, column).codes
    return Features(
        record_id=records["record_id"].astype(str).to_numpy(dtype=object),
        domain=domain, email_domain=email_domain, email=_people(emails, local, np.append(label_table.codes, -1)[mail], email_domain),
        name=name, label=label,
        country=countries.codes, city=city, place=_place(stated, by_legal, by_tld), xrefs=xrefs,
        name_text=name_text, spelling=spelled.codes,
        retyped=np.append(canon[:-1] != np.arange(len(spelled.values)), False)[spelled.codes],
        domains=domains, spellings=spelled.values,
    )


# Each input column's own text lives only as long as its normalisation: a million of them each.


def _website_hosts(records: pd.DataFrame) -> Coded:
    websites = _column(records, "website")
    return Coded(websites.codes, website_hosts(websites.values)).merged()


def _emails(records: pd.DataFrame) -> tuple[Coded, Coded, np.ndarray]:
    """Normalised addresses, their hosts, and codes of the part before the "@"."""
    raw = _column(records, "email")
    address, host, local = email_parts(raw.values)
    return (Coded(raw.codes, address).merged(), Coded(raw.codes, host).merged(),
            Coded(raw.codes, local).merged().codes)


def _names(records: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Codes of the input names, and per code its normalised name and legal-form countries."""
    names = _column(records, "company")
    return (names.codes, *names_and_places(names.values))


def _people(emails: Coded, local: np.ndarray, label: np.ndarray, email_domain: np.ndarray) -> np.ndarray:
    """One code per person: the address, except that a company address is read without its
    TLD, so one person at a subsidiary's sibling domain (jo@acme.com, jo@acme.co.uk) is one.
    ``local``: codes of the part before the "@"."""
    company = (email_domain >= 0) & (local >= 0) & (label >= 0)
    width = int(label.max(initial=0)) + 1
    key = np.where(company, local * width + label, -2 - emails.codes)  # -1 stays "no address"
    key = np.where(emails.codes < 0, -1, key)
    codes, _ = pd.factorize(key)
    return np.where(emails.codes < 0, -1, codes).astype(np.int64)


def _bit(country: str) -> int:
    # 63 bits: distinct countries beyond that share bits, which only makes the hint weaker
    return 1 << (zlib.crc32(country.encode()) % 63)


@cache  # a handful of distinct countries and legal-form sets, asked a million times
def _mask(countries: frozenset[str] | str | None) -> int:
    if not countries:
        return 0
    if isinstance(countries, str):
        return _bit(countries)
    mask = 0
    for country in countries:
        mask |= _bit(country)
    return mask


@cache  # a few hundred top-level domains, asked once per domain
def _tld_mask(tld: str) -> int:
    return _mask(domain_country(tld))


def _place(stated: np.ndarray, by_legal: np.ndarray, by_tld: np.ndarray) -> np.ndarray:
    """Where each record can be: its country when given, else what its legal form and its
    domain's country code agree on (either alone when the other says nothing)."""
    both = by_legal & by_tld
    hinted = np.where(both != 0, both, by_legal | by_tld)
    hinted = np.where((by_legal != 0) & (by_tld != 0) & (both == 0), 0, hinted)  # they disagree: no hint
    return np.where(stated != 0, stated, hinted)
