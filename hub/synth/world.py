"""The true state of the world the sources describe: companies, their people and beta journeys."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np

from hub.synth import vocabulary as vocab

DAY = 86_400

# The seed's nine deal stages: (HubSpot stage id, label, probability, closed).
STAGES = (
    ("new_application", "New Application", 0.1, False),
    ("qualified_lead", "Qualified Lead", 0.2, False),
    ("technical_review", "Technical Review", 0.3, False),
    ("beta_accepted", "Beta Accepted", 0.4, False),
    ("onboarding", "Onboarding", 0.5, False),
    ("active_beta", "Active Beta", 0.6, False),
    ("conversion_opportunity", "Conversion Opportunity", 0.8, False),
    ("closed_won", "Closed Won", 1.0, True),
    ("closed_lost", "Closed Lost", 0.0, True),
)
ONBOARDING, ACTIVE_BETA, CLOSED_WON, CLOSED_LOST = 4, 5, 7, 8

# Usage shapes over the last weeks, so health scores and alerts have something to find.
STEADY, COLLAPSING, GROWING, INACTIVE = 0, 1, 2, 3

# Journey outcome by days since application: stages 0..7, then rejected, then churned.
_OUTCOME_BY_AGE = (
    (3, (0.7, 0.3, 0, 0, 0, 0, 0, 0, 0, 0)),
    (14, (0.25, 0.3, 0.2, 0.1, 0, 0, 0, 0, 0.15, 0)),
    (45, (0.03, 0.1, 0.12, 0.15, 0.15, 0.08, 0, 0, 0.27, 0.1)),
    (10**9, (0.05, 0.05, 0.06, 0.08, 0.04, 0.2, 0.08, 0.09, 0.25, 0.1)),
)


@dataclass
class World:
    """Everything true about the companies; sources show noisy, partial views of it."""

    as_of: dt.date
    now: int  # as_of 00:00 UTC, epoch seconds: every record time is before it
    key: list[str]  # company_key, "C000123"
    name: list[str]  # canonical name without legal form
    legal: list[str]  # legal form, a key of vocabulary.LEGAL_SPELLINGS
    domain: list[str]  # registrable domain, unique per company
    country: np.ndarray  # index into vocabulary.COUNTRIES
    city: np.ndarray  # index into vocabulary.CITIES
    industry: np.ndarray  # index into vocabulary.INDUSTRIES
    employees: np.ndarray
    stage: np.ndarray  # index into STAGES
    churned: np.ndarray  # closed lost after having been active (else rejected)
    applied: np.ndarray  # application / first-touch time
    activated: np.ndarray  # go-live time, -1 if never live
    closed: np.ndarray  # time the journey ended (won, lost), -1 if open
    trajectory: np.ndarray  # STEADY / COLLAPSING / GROWING / INACTIVE (active companies)
    engagement: np.ndarray  # 0..1, drives sentiment, satisfaction and ticket tone
    owner: np.ndarray  # index into vocabulary.OWNERS
    in_airtable: np.ndarray
    in_hubspot: np.ndarray
    in_salesforce: np.ndarray
    people_start: np.ndarray  # first person of each company; person 0 is the main contact
    people_count: np.ndarray
    person_company: np.ndarray
    first_name: list[str]
    last_name: list[str]
    email: list[str]  # canonical, lower case
    title: list[str]
    phone: list[str]  # E.164

    @property
    def n(self) -> int:
        return len(self.key)

    @property
    def active(self) -> np.ndarray:
        """Companies live in the beta: onboarding, active beta, converting or won."""
        return (self.stage >= ONBOARDING) & (self.stage <= CLOSED_WON)


def _weighted(rng: np.random.Generator, weights, n: int) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def _names(rng: np.random.Generator, n: int) -> tuple[list[str], list[int]]:
    """Mostly distinct names, ~30% a bare stem, plus a few deliberate look-alikes."""
    stems, descriptors = vocab.name_stems(), vocab.DESCRIPTORS
    n_bare = min(int(round(0.3 * n)), len(stems) // 2)
    bare = rng.choice(len(stems), size=n_bare, replace=False)
    space = len(stems) * len(descriptors)
    pairs = rng.choice(space, size=n - n_bare, replace=n - n_bare > space)
    stem = np.concatenate([bare, pairs // len(descriptors)])
    desc = np.concatenate([np.full(n_bare, -1), pairs % len(descriptors)])
    order = rng.permutation(n)
    stem, desc = stem[order], desc[order]
    if n >= 10:
        # "Acme" vs "Acme Analytics": same stem, different company and domain.
        k = max(2, n // 50)
        who, like = rng.choice(n, size=k, replace=False), rng.integers(0, n, k)
        stem[who] = stem[like]
        desc[who] = np.where(desc[like] >= 0, -1, rng.integers(0, len(descriptors), k))
        # Exactly the same name, a different company (another country, another domain).
        k = max(1, n // 200)
        who, like = rng.choice(n, size=k, replace=False), rng.integers(0, n, k)
        stem[who], desc[who] = stem[like], desc[like]
    names = [
        stems[s] if d < 0 else f"{stems[s]} {descriptors[d][0]}"
        for s, d in zip(stem.tolist(), desc.tolist(), strict=True)
    ]
    return names, desc.tolist()


def _domains(rng: np.random.Generator, names: list[str], country: np.ndarray) -> list[str]:
    """Registrable domains from the name and the country's TLDs, unique across companies."""
    tld_draw = rng.random(len(names)).tolist()
    hyphen = (rng.random(len(names)) < 0.15).tolist()
    used: dict[str, None] = {}
    out = []
    for name, c, u, h in zip(names, country.tolist(), tld_draw, hyphen, strict=True):
        tlds = vocab.COUNTRIES[c][4]
        cumulative, tld = 0.0, tlds[-1][0]
        for suffix, weight in tlds:
            cumulative += weight
            if u < cumulative:
                tld = suffix
                break
        words = re.sub(r"[^a-z0-9 ]", "", name.lower()).split()
        base = "-".join(words) if h else "".join(words)
        candidates = [base, "get" + base, base + "hq", base + "app"]
        candidate, extra = candidates[0], 1
        while candidate + tld in used:
            candidate = candidates[extra] if extra < len(candidates) else f"{base}{extra}"
            extra += 1
        used[candidate + tld] = None
        out.append(candidate + tld)
    return out


def _journeys(rng: np.random.Generator, n: int, now: int):
    """Application time, stage, activation and end of each company's beta journey."""
    age = 1 + np.minimum(rng.exponential(120, n).astype(np.int64), 539)
    # A few applications yesterday, so the daily KPIs have data.
    yesterday = rng.choice(n, size=min(n, int(rng.integers(2, 6))), replace=False)
    age[yesterday] = 1
    applied = now - age * DAY + rng.integers(0, DAY, n)
    outcome = np.zeros(n, dtype=np.int64)
    low = 0
    for high, p in _OUTCOME_BY_AGE:
        mask = (age > low) & (age <= high)
        outcome[mask] = _weighted(rng, p, int(mask.sum()))
        low = high
    churned = outcome == 9
    stage = np.minimum(outcome, CLOSED_LOST)
    if n and not ((stage >= ONBOARDING) & (stage <= CLOSED_WON)).any():
        oldest = int(np.argmax(age))  # someone must be live for usage to exist
        stage[oldest], churned[oldest] = ACTIVE_BETA, False
    span = now - applied
    live = ((stage >= ONBOARDING) & (stage <= CLOSED_WON)) | churned
    activated = np.where(live, applied + (span * rng.uniform(0.15, 0.5, n)).astype(np.int64), -1)
    recent = stage == ONBOARDING
    onboard_gap = (np.minimum(span, 21 * DAY) * rng.uniform(0.05, 0.9, n)).astype(np.int64)
    activated = np.where(recent, now - onboard_gap, activated)
    ended = (stage == CLOSED_WON) | (stage == CLOSED_LOST)
    start = np.where(activated > 0, activated, applied)
    closed = np.where(
        ended, start + ((now - start) * rng.uniform(0.3, 0.95, n)).astype(np.int64), -1
    )
    return applied, stage, churned, activated, closed, yesterday


def _trajectories(
    rng: np.random.Generator, active: np.ndarray, activated: np.ndarray, now: int
) -> np.ndarray:
    trajectory = np.where(active, _weighted(rng, (0.76, 0.10, 0.10, 0.04), len(active)), STEADY)
    # Collapsing or going quiet needs a few weeks of history first.
    seasoned = activated < now - 21 * DAY
    trajectory[~seasoned & ((trajectory == COLLAPSING) | (trajectory == INACTIVE))] = STEADY
    live = np.flatnonzero(active)
    if len(live) >= 8:  # small worlds still get one of each shape
        for shape in (COLLAPSING, GROWING, INACTIVE):
            candidates = live[(trajectory[live] == STEADY) & (seasoned[live] | (shape == GROWING))]
            if not (trajectory == shape).any() and len(candidates):
                trajectory[candidates[int(rng.integers(0, len(candidates)))]] = shape
    return trajectory


def _presence(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """~70% Airtable, ~60% HubSpot, ~50% Salesforce, at least one each."""
    draws = rng.random((n, 3)) < np.array([0.7, 0.6, 0.5])
    nowhere = ~draws.any(axis=1)
    draws[np.flatnonzero(nowhere), _weighted(rng, (0.7, 0.6, 0.5), int(nowhere.sum()))] = True
    return draws[:, 0], draws[:, 1], draws[:, 2]


def _people(rng: np.random.Generator, domain: list[str], country: np.ndarray):
    n = len(domain)
    count = 1 + np.minimum(rng.poisson(1.1, n), 5)
    start = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
    company = np.repeat(np.arange(n), count)
    m = len(company)
    first = [vocab.FIRST_NAMES[i] for i in rng.integers(0, len(vocab.FIRST_NAMES), m).tolist()]
    last = [vocab.LAST_NAMES[i] for i in rng.integers(0, len(vocab.LAST_NAMES), m).tolist()]
    is_primary = np.zeros(m, dtype=bool)
    is_primary[start] = True
    titles = np.where(
        is_primary,
        rng.integers(0, len(vocab.PRIMARY_TITLES), m),
        rng.integers(0, len(vocab.JOB_TITLES), m) + len(vocab.PRIMARY_TITLES),
    )
    title_pool = vocab.PRIMARY_TITLES + vocab.JOB_TITLES
    pattern = _weighted(rng, (0.5, 0.2, 0.1, 0.1, 0.1), m).tolist()
    freemail = (rng.random(m) < 0.25).tolist()
    free_domain = _weighted(rng, vocab.FREEMAIL_WEIGHTS, m).tolist()
    digits = rng.integers(1, 9999, m).tolist()
    with_digits = (rng.random(m) < 0.7).tolist()
    emails = []
    for i in range(m):
        f, la = first[i].lower(), re.sub(r"[^a-z]", "", last[i].lower())
        if freemail[i]:
            local = f"{f}.{la}" if pattern[i] < 2 else f"{f}{la}"
            local += str(digits[i]) if with_digits[i] else ""
            emails.append(f"{local}@{vocab.FREEMAIL_DOMAINS[free_domain[i]]}")
        else:
            local = (f"{f}.{la}", f"{f[0]}{la}", f, f"{f}_{la}", f"{f}{la[0]}")[pattern[i]]
            emails.append(f"{local}@{domain[company[i]]}")
    phones = _phones(rng, country[company])
    return (
        count,
        start,
        company,
        first,
        last,
        emails,
        [title_pool[t] for t in titles.tolist()],
        phones,
    )


def _phones(rng: np.random.Generator, country: np.ndarray) -> list[str]:
    codes = [vocab.COUNTRIES[c][0] for c in range(len(vocab.COUNTRIES))]
    draws = rng.random((len(country), 2)).tolist()
    out = []
    for c, (u, v) in zip(country.tolist(), draws, strict=True):
        calling, prefixes, length = vocab.PHONE_PLANS[codes[c]]
        prefix = prefixes[int(u * len(prefixes))]
        rest = length - len(prefix)
        out.append(f"+{calling}{prefix}{int(v * 10**rest):0{rest}d}")
    return out


def build_world(n: int, rng: np.random.Generator, as_of: dt.date) -> World:
    """Draw ``n`` companies and their people, deterministically from ``rng``."""
    now = int(dt.datetime(as_of.year, as_of.month, as_of.day, tzinfo=dt.UTC).timestamp())
    names, desc = _names(rng, n)
    country = _weighted(rng, [c[2] for c in vocab.COUNTRIES], n)
    # Same-named companies sit in different countries, so their domains differ.
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen and country[seen[name]] == country[i]:
            country[i] = (country[i] + 1) % len(vocab.COUNTRIES)
        seen.setdefault(name, i)
    city = np.empty(n, dtype=np.int64)
    for c, (code, *_rest) in enumerate(vocab.COUNTRIES):
        choices = [i for i, city_row in enumerate(vocab.CITIES) if city_row[1] == code]
        mask = country == c
        weights = 1 / np.arange(1, len(choices) + 1)
        city[mask] = np.asarray(choices)[_weighted(rng, weights, int(mask.sum()))]
    legal_draw = rng.random(n).tolist()
    legal = []
    for c, u in zip(country.tolist(), legal_draw, strict=True):
        forms, cumulative = vocab.COUNTRIES[c][3], 0.0
        form = forms[-1][0]
        for candidate, weight in forms:
            cumulative += weight
            if u < cumulative:
                form = candidate
                break
        legal.append(form)
    hinted = np.array([vocab.DESCRIPTORS[d][1] if d >= 0 else -1 for d in desc], dtype=np.int64)
    industry = _weighted(rng, vocab.INDUSTRY_WEIGHTS, n)
    industry = np.where((hinted >= 0) & (rng.random(n) < 0.8), hinted, industry)
    applied, stage, churned, activated, closed, yesterday = _journeys(rng, n, now)
    active = (stage >= ONBOARDING) & (stage <= CLOSED_WON)
    trajectory = _trajectories(rng, active, activated, now)
    engagement = rng.uniform(0.2, 0.9, n)
    for shape, low, high in (
        (STEADY, 0.5, 1.0),
        (GROWING, 0.6, 1.0),
        (COLLAPSING, 0.15, 0.5),
        (INACTIVE, 0.0, 0.3),
    ):
        mask = active & (trajectory == shape)
        engagement[mask] = rng.uniform(low, high, int(mask.sum()))
    engagement[churned] = rng.uniform(0.0, 0.4, int(churned.sum()))
    in_airtable, in_hubspot, in_salesforce = _presence(rng, n)
    in_airtable[yesterday] = True  # yesterday's applications are Airtable applications
    domain = _domains(rng, names, country)
    count, start, company, first, last, emails, titles, phones = _people(rng, domain, country)
    return World(
        as_of=as_of,
        now=now,
        key=[f"C{i:06d}" for i in range(n)],
        name=names,
        legal=legal,
        domain=domain,
        country=country,
        city=city,
        industry=industry,
        employees=np.clip(rng.lognormal(3.3, 1.3, n), 1, 50_000).astype(np.int64),
        stage=stage,
        churned=churned,
        applied=applied,
        activated=activated,
        closed=closed,
        trajectory=trajectory,
        engagement=engagement,
        owner=rng.integers(0, len(vocab.OWNERS), n),
        in_airtable=in_airtable,
        in_hubspot=in_hubspot,
        in_salesforce=in_salesforce,
        people_start=start,
        people_count=count,
        person_company=company,
        first_name=first,
        last_name=last,
        email=emails,
        title=titles,
        phone=phones,
    )
