"""``company_records``: only the company-level records matching needs, fast enough for 1M rows.

``generate`` builds every source in wire format plus usage logs, which costs ~44 s and 4.7 GB
at 100k companies. Matching benchmarks need just one row per Airtable application, HubSpot
company and Salesforce account with its true company, so this path draws the same world
(names, legal forms, countries, cities, unique domains, people's emails) and the same per-source
noise (``hub.synth.variants``) with the same probabilities as the full sources, and nothing else.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd

from hub.synth import variants
from hub.synth import variation as var
from hub.synth import vocabulary as vocab
from hub.synth.entities import ENTITY_COLUMNS
from hub.synth.wire import rng_for
from hub.synth.world import _names, _presence, _weighted

# Records per true company the full generator yields (~0.72 + 0.61 + 0.51 with duplicates).
RECORDS_PER_COMPANY = 1.885


def company_records(n_records: int, seed: int = 7,
                    variation: var.CompanyVariation | str = "classic") -> pd.DataFrame:
    """``n_records`` company-level records (``ENTITY_COLUMNS``, ``true_company`` included).

    Same noise model as ``entity_records(generate(...))``: HubSpot and Salesforce duplicates,
    Airtable re-applications, missing websites, free-mail contacts, typos, legal forms, country
    spellings, cross-reference ids. ``variation`` sets how hard (``hub.synth.variation``:
    ``"classic"``, the default and the figures before issue 14; ``"hard"``; or any
    ``CompanyVariation``). Deterministic given the arguments.
    """
    if n_records < 1:
        raise ValueError("n_records must be at least 1")
    n = max(1, int(np.ceil(n_records / RECORDS_PER_COMPANY * 1.01)))
    v = var.variation_of(variation)
    world = _world(n, rng_for(seed, "records world"), v, rng_for(seed, "records variation"))
    extra = rng_for(seed, "records variation per record")
    airtable = _airtable(world, rng_for(seed, "records airtable"), v, extra)
    salesforce = _salesforce(world, rng_for(seed, "records salesforce"), v, extra)  # HubSpot carries its ids
    hubspot = _hubspot(world, rng_for(seed, "records hubspot"), v, extra)
    frame = pd.concat([airtable, hubspot, salesforce], ignore_index=True)
    if len(frame) > n_records:  # trim the ~1% headroom at random, so every source thins alike
        keep = np.sort(rng_for(seed, "records trim").choice(len(frame), n_records, replace=False))
        frame = frame.iloc[keep].reset_index(drop=True)
    return frame[list(ENTITY_COLUMNS)]


def _world(n: int, rng: np.random.Generator, v: var.CompanyVariation,
           vrng: np.random.Generator) -> SimpleNamespace:
    """The attributes of ``hub.synth.world.World`` that company records read."""
    names, _desc = _names(rng, n)
    country = _weighted(rng, [c[2] for c in vocab.COUNTRIES], n)
    # Same-named companies sit in different countries, as in build_world.
    first_of = pd.Series(np.arange(n)).groupby(pd.Series(names)).transform("min").to_numpy()
    clash = (first_of != np.arange(n)) & (country[first_of] == country)
    country[clash] = (country[clash] + 1) % len(vocab.COUNTRIES)
    city = np.empty(n, dtype=np.int64)
    legal_index = np.empty(n, dtype=np.int64)
    forms: list[str] = []
    for c, (code, _spellings, _w, legal_forms, _tlds) in enumerate(vocab.COUNTRIES):
        mask = country == c
        choices = [i for i, row in enumerate(vocab.CITIES) if row[1] == code]
        city[mask] = np.asarray(choices)[_weighted(rng, 1 / np.arange(1, len(choices) + 1), int(mask.sum()))]
        legal_index[mask] = len(forms) + _weighted(rng, [w for _, w in legal_forms], int(mask.sum()))
        forms += [f for f, _ in legal_forms]
    legal = np.asarray(forms, dtype=object)[legal_index].tolist()
    # generic names come after the clash rule: companies sharing one often share a country too
    names = var.generic_names(names, vrng, v)
    domain = _domains(rng, names, country)
    sibling = var.sibling_domains(domain, country, vrng, v)
    people = _people(rng, n, v.freemail)
    return SimpleNamespace(n=n, key=_keys(n), name=names, legal=legal, domain=domain,
                           country=country, city=city, applied_recent=rng.random(n) < 0.92,
                           in_airtable=None, in_hubspot=None, in_salesforce=None, **people,
                           presence=_presence(rng, n), sibling=sibling)


def _keys(n: int) -> np.ndarray:
    width = max(6, len(str(n - 1)))
    return np.char.add("C", np.char.zfill(np.arange(n).astype(str), width)).astype(object)


def _domains(rng: np.random.Generator, names: list[str], country: np.ndarray) -> np.ndarray:
    """Registrable domains from the name and the country's TLDs, unique across companies."""
    n = len(names)
    tld = np.empty(n, dtype=object)
    for c, row in enumerate(vocab.COUNTRIES):
        mask = country == c
        suffixes = [s for s, _ in row[4]]
        tld[mask] = np.asarray(suffixes, dtype=object)[_weighted(rng, [w for _, w in row[4]], int(mask.sum()))]
    words = pd.Series(names).str.lower().str.replace(r"[^a-z0-9 ]", "", regex=True).str.split()
    hyphen = rng.random(n) < 0.15
    base = np.where(hyphen, words.str.join("-"), words.str.join("")).astype(object)
    forms = (lambda b: b, lambda b: "get" + b, lambda b: b + "hq", lambda b: b + "app")
    domain = base + tld
    attempt = np.zeros(n, dtype=np.int64)
    while True:  # later companies move to the next form until every domain is unique
        clash = pd.Series(domain).duplicated().to_numpy()
        if not clash.any():
            return domain
        attempt[clash] += 1
        idx = np.flatnonzero(clash)
        domain[idx] = [
            (forms[a](b) if a < len(forms) else f"{b}{a}") + t
            for a, b, t in zip(attempt[idx].tolist(), base[idx].tolist(), tld[idx].tolist(), strict=True)
        ]


def _people(rng: np.random.Generator, n: int, freemail: float) -> dict[str, np.ndarray]:
    """Per person: company, name indices, and how their address is spelled (as world._people)."""
    count = 1 + np.minimum(rng.poisson(1.1, n), 5)
    start = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
    m = int(count.sum())
    return {
        "people_count": count, "people_start": start,
        "first": rng.integers(0, len(vocab.FIRST_NAMES), m),
        "last": rng.integers(0, len(vocab.LAST_NAMES), m),
        "pattern": _weighted(rng, (0.5, 0.2, 0.1, 0.1, 0.1), m),
        "freemail": rng.random(m) < freemail,
        "free_domain": _weighted(rng, vocab.FREEMAIL_WEIGHTS, m),
        "digits": rng.integers(1, 9999, m),
        "with_digits": rng.random(m) < 0.7,
    }


def _emails(world: SimpleNamespace, rng: np.random.Generator, people: np.ndarray) -> list[str | None]:
    """Addresses of ``people`` (-1: nobody), 15% typed with capitals, as variants.emails."""
    recase = (rng.random(len(people)) < 0.15).tolist()
    company = np.repeat(np.arange(world.n), world.people_count)
    out: list[str | None] = []
    for p, r in zip(people.tolist(), recase, strict=True):
        if p < 0:
            out.append(None)
            continue
        f = vocab.FIRST_NAMES[world.first[p]].lower()
        la = re.sub(r"[^a-z]", "", vocab.LAST_NAMES[world.last[p]].lower())
        if world.freemail[p]:
            local = (f"{f}.{la}" if world.pattern[p] < 2 else f"{f}{la}") + (
                str(world.digits[p]) if world.with_digits[p] else "")
            domain = vocab.FREEMAIL_DOMAINS[world.free_domain[p]]
        else:
            local = (f"{f}.{la}", f"{f[0]}{la}", f, f"{f}_{la}", f"{f}{la[0]}")[world.pattern[p]]
            domain = world.domain[company[p]]
        if r:
            local, domain = ".".join(part.capitalize() for part in local.split(".")), domain.capitalize()
        out.append(f"{local}@{domain}")
    return out


def _first_contact(world: SimpleNamespace, rng: np.random.Generator, companies: np.ndarray,
                   p_primary: float, p_other: float, p_linked: float) -> np.ndarray:
    """The person whose address a CRM company shows: a random linked contact, or -1."""
    counts = world.people_count[companies]
    person = np.repeat(world.people_start[companies] - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
    owner = np.repeat(np.arange(len(companies)), counts)
    primary = np.isin(person, world.people_start[companies])
    linked = (rng.random(len(person)) < np.where(primary, p_primary, p_other)) & (rng.random(len(person)) < p_linked)
    # contacts arrive in random order, so the first linked one is a random one
    order = np.lexsort((rng.random(len(person)), ~linked, owner))
    first = pd.Series(order).groupby(owner[order]).first()
    out = np.full(len(companies), -1, dtype=np.int64)
    chosen = first.to_numpy()
    out[first.index.to_numpy()] = np.where(linked[chosen], person[chosen], -1)
    return out


def _names_of(world: SimpleNamespace, rng: np.random.Generator, rows: np.ndarray, v: var.CompanyVariation,
              extra: np.random.Generator, *, p_legal: float, p_typo: float, p_case: float,
              p_stem_only: float) -> list[str]:
    names = variants.company_names(world, rng, rows, p_legal=p_legal, p_typo=v.typo_rate(p_typo),
                                   p_case=v.case_rate(p_case), p_stem_only=p_stem_only)
    return var.second_typos(names, extra, v)


def _company_fields(world: SimpleNamespace, rng: np.random.Generator, rows: np.ndarray,
                    v: var.CompanyVariation, extra: np.random.Generator, people: np.ndarray, *,
                    p_legal: float, p_typo: float, p_case: float, p_missing: float,
                    p_stem_only: float = 0.0) -> dict[str, list[str | None] | list[str]]:
    """Name, website and email of a source's records, in the classic draw order; a subsidiary's
    records show its sibling domain."""
    company = _names_of(world, rng, rows, v, extra, p_legal=p_legal, p_typo=p_typo, p_case=p_case,
                        p_stem_only=p_stem_only)
    website = variants.websites(world, rng, rows, p_missing=v.missing_website(p_missing))
    email = _emails(world, rng, people)
    sibling = var.on_sibling(rows, world.sibling, extra, v)
    own = np.asarray(world.domain, dtype=object)[rows]
    return {"company": company, "website": var.swap_domain(website, own, sibling),
            "email": var.swap_domain(email, own, sibling)}


def _frame(source: str, obj: str, ids: list[str], rows: np.ndarray, world: SimpleNamespace,
           **columns: object) -> pd.DataFrame:
    frame = pd.DataFrame({"source": source, "source_object": obj, "source_id": ids, **columns})
    frame.insert(0, "record_id", f"{source}:{obj}:" + frame["source_id"])
    frame["true_company"] = world.key[rows]
    return frame


def _airtable(world: SimpleNamespace, rng: np.random.Generator, v: var.CompanyVariation,
              extra: np.random.Generator) -> pd.DataFrame:
    main = np.flatnonzero(world.presence[0])
    again = main[(rng.random(len(main)) < 0.03) & world.applied_recent[main]]
    rows = np.concatenate([main, again])
    latest = np.concatenate([np.ones(len(main), bool), np.zeros(len(again), bool)])
    second = (~latest) & (world.people_count[rows] > 1)  # a re-application names someone else
    person = world.people_start[rows] + second
    width = 6 if len(rows) <= 900_000 else 7
    numbers = rng.choice(9 * 10 ** (width - 1), size=len(rows), replace=False) + 10 ** (width - 1)
    app_id = np.char.add("BETA-", numbers.astype(str)).astype(object)
    world.application_id = np.full(world.n, None, dtype=object)
    world.application_id[main] = app_id[: len(main)]
    ids = [f"rec{i:014d}" for i in range(len(rows))]
    return _frame(
        "airtable", "Beta Applications", ids, rows, world,
        **_company_fields(world, rng, rows, v, extra, person,
                          p_legal=0.35, p_typo=0.1, p_case=0.1, p_stem_only=0.03, p_missing=0.15),
        city=None, country=None,
        salesforce_account_id=None, hubspot_company_id=None, application_id=app_id)


def _crm_rows(world: SimpleNamespace, rng: np.random.Generator, present: np.ndarray,
              p_dup: float) -> tuple[np.ndarray, np.ndarray]:
    main = np.flatnonzero(present)
    dup = main[rng.random(len(main)) < p_dup]  # the same company entered twice
    return np.concatenate([main, dup]), np.concatenate([np.zeros(len(main), bool), np.ones(len(dup), bool)])


def _salesforce(world: SimpleNamespace, rng: np.random.Generator, v: var.CompanyVariation,
                extra: np.random.Generator) -> pd.DataFrame:
    rows, is_dup = _crm_rows(world, rng, world.presence[2], 0.015)
    ids = [f"001Hs{i:010d}AAA" for i in range(len(rows))]
    world.account_id = np.full(world.n, None, dtype=object)
    world.account_id[rows[~is_dup]] = np.asarray(ids, dtype=object)[~is_dup]
    contact = _first_contact(world, rng, rows, 0.8, 0.55, 0.97)
    contact[is_dup] = -1  # contacts hang off the account the team uses, never the duplicate
    app = np.where(~is_dup & (rng.random(len(rows)) < 0.3), world.application_id[rows], None)
    return _frame(
        "salesforce", "Account", ids, rows, world,
        **_company_fields(world, rng, rows, v, extra, contact,
                          p_legal=0.7, p_typo=0.08, p_case=0.05, p_missing=0.25),
        city=variants.cities(rng, world, rows, p_missing=v.city_missing),
        country=variants.countries(rng, world, rows, p_short=0.5),
        salesforce_account_id=ids, hubspot_company_id=None, application_id=app)


def _hubspot(world: SimpleNamespace, rng: np.random.Generator, v: var.CompanyVariation,
             extra: np.random.Generator) -> pd.DataFrame:
    rows, is_dup = _crm_rows(world, rng, world.presence[1], 0.02)
    ids = [str(5_100_000_000 + i) for i in range(len(rows))]
    website = np.asarray(variants.websites(world, rng, rows, p_missing=v.missing_website(0.2)), dtype=object)
    # The domain property fills in for 30% of missing websites (entity_records reads either).
    fill = (website == None) & (rng.random(len(rows)) < 0.3)  # noqa: E711
    website[fill] = np.asarray(world.domain, dtype=object)[rows[fill]]
    contact = _first_contact(world, rng, rows, 0.85, 0.6, 0.95)
    contact[is_dup] = -1
    draws = rng.random((len(rows), 2))
    company = _names_of(world, rng, rows, v, extra, p_legal=0.25, p_typo=0.1, p_case=0.08, p_stem_only=0.0)
    sibling = var.on_sibling(rows, world.sibling, extra, v)
    own = np.asarray(world.domain, dtype=object)[rows]
    return _frame(
        "hubspot", "companies", ids, rows, world, company=company,
        website=var.swap_domain(website.tolist(), own, sibling),
        email=var.swap_domain(_emails(world, rng, contact), own, sibling),
        city=variants.cities(rng, world, rows, p_missing=v.city_missing),
        country=variants.countries(rng, world, rows, p_short=0.1),
        salesforce_account_id=np.where(~is_dup & (draws[:, 0] < 0.4), world.account_id[rows], None),
        hubspot_company_id=ids,
        application_id=np.where(~is_dup & (draws[:, 1] < 0.3), world.application_id[rows], None))
