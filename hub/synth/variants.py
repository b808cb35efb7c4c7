"""How each source misspells the truth: names, websites, emails, places, phones, industries."""

from __future__ import annotations

import numpy as np

from hub.synth import vocabulary as vocab
from hub.synth.world import World

# QWERTY neighbours, for slips of the finger.
_KEYBOARD_NEIGHBOURS = {
    "a": "qsz",
    "b": "vn",
    "c": "xv",
    "d": "sf",
    "e": "wr",
    "f": "dg",
    "g": "fh",
    "h": "gj",
    "i": "uo",
    "j": "hk",
    "k": "jl",
    "l": "k",
    "m": "n",
    "n": "bm",
    "o": "ip",
    "p": "o",
    "q": "w",
    "r": "et",
    "s": "ad",
    "t": "ry",
    "u": "yi",
    "v": "cb",
    "w": "qe",
    "x": "zc",
    "y": "tu",
    "z": "x",
}


def typo(text: str, u: float, v: float) -> str:
    """One realistic typing slip (swap, drop, double, neighbour key) at a letter chosen by ``u``."""
    letters = [i for i, c in enumerate(text) if c.isalpha()]
    if len(letters) < 4:
        return text
    i = letters[1 + int(u * (len(letters) - 2))]  # keep the first letter, as people usually do
    kind = int(v * 4)
    if kind == 0 and i + 1 < len(text) and text[i + 1].isalpha():
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if kind == 1:
        return text[:i] + text[i + 1 :]
    if kind == 2:
        return text[:i] + text[i] + text[i:]
    near = _KEYBOARD_NEIGHBOURS.get(text[i].lower(), "e")
    swapped = near[int(v * 7) % len(near)]
    return text[:i] + (swapped.upper() if text[i].isupper() else swapped) + text[i + 1 :]


def company_names(
    world: World,
    rng: np.random.Generator,
    companies: np.ndarray,
    *,
    p_legal: float,
    p_typo: float = 0.1,
    p_case: float = 0.08,
    p_stem_only: float = 0.0,
) -> list[str]:
    """A company name as one source holds it: legal form or not, case, typos, short forms."""
    draws = rng.random((len(companies), 7)).tolist()
    out = []
    for c, (legal, spelling, case, slip, u, v, short) in zip(
        companies.tolist(), draws, strict=True
    ):
        name = world.name[c]
        if short < p_stem_only and " " in name:
            name = name.split(" ")[0]
        if slip < p_typo:
            name = typo(name, u, v)
        if legal < p_legal:
            spellings = vocab.LEGAL_SPELLINGS[world.legal[c]]
            name += spellings[int(spelling * len(spellings))]
        if case < p_case:
            name = name.upper() if case < p_case / 2 else name.lower()
        out.append(name)
    return out


def websites(
    world: World, rng: np.random.Generator, companies: np.ndarray, *, p_missing: float
) -> list[str | None]:
    """The website field: scheme, www, trailing paths and app subdomains vary; some are empty."""
    forms = (
        (0.30, "https://www.{d}"),
        (0.12, "http://{d}/"),
        (0.15, "{d}"),
        (0.10, "www.{d}"),
        (0.15, "https://{d}"),
        (0.06, "https://{d}/about"),
        (0.04, "app.{d}/login"),
        (0.03, "https://app.{d}/"),
        (0.05, "https://www.{D}"),
    )
    cumulative = np.cumsum([w for w, _ in forms])
    pick = np.searchsorted(cumulative / cumulative[-1], rng.random(len(companies)), side="right")
    missing = (rng.random(len(companies)) < p_missing).tolist()
    out: list[str | None] = []
    for c, f, gone in zip(companies.tolist(), pick.tolist(), missing, strict=True):
        domain = world.domain[c]
        template = forms[min(f, len(forms) - 1)][1]
        out.append(None if gone else template.format(d=domain, D=domain.capitalize()))
    return out


def emails(
    rng: np.random.Generator, world: World, people: np.ndarray, *, p_case: float = 0.15
) -> list[str]:
    """People's emails, some typed with capitals ("John.Smith@Acme.com")."""
    recase = (rng.random(len(people)) < p_case).tolist()
    out = []
    for p, r in zip(people.tolist(), recase, strict=True):
        email = world.email[p]
        if r:
            local, _, domain = email.partition("@")
            email = (
                ".".join(part.capitalize() for part in local.split(".")) + "@" + domain.capitalize()
            )
        out.append(email)
    return out


def phones(
    rng: np.random.Generator, world: World, people: np.ndarray, *, p_missing: float
) -> list[str | None]:
    """Phone numbers written the way people type them."""
    draws = rng.random((len(people), 2)).tolist()
    country = world.country[world.person_company[people]].tolist()
    out: list[str | None] = []
    for p, c, (gone, style) in zip(people.tolist(), country, draws, strict=True):
        if gone < p_missing:
            out.append(None)
            continue
        e164 = world.phone[p]
        calling = vocab.PHONE_PLANS[vocab.COUNTRIES[c][0]][0]
        national = e164[1 + len(calling) :]
        if style < 0.4:
            out.append(e164)
        elif style < 0.7 or calling != "1":
            out.append(f"+{calling} {national[:3]} {national[3:6]} {national[6:]}")
        else:
            out.append(f"({national[:3]}) {national[3:6]}-{national[6:]}")
    return out


def industries(
    rng: np.random.Generator,
    world: World,
    companies: np.ndarray,
    spellings,
    *,
    p_conflict: float = 0.1,
) -> list[str]:
    """Industry in a source's own vocabulary; ``p_conflict`` of records disagree with the truth."""
    draws = rng.random((len(companies), 3)).tolist()
    out = []
    for c, (conflict, other, spelling) in zip(companies.tolist(), draws, strict=True):
        industry = int(world.industry[c])
        if conflict < p_conflict:
            industry = (industry + 1 + int(other * (len(spellings) - 1))) % len(spellings)
        options = spellings[industry]
        out.append(options[int(spelling * len(options))])
    return out


def cities(
    rng: np.random.Generator,
    world: World,
    companies: np.ndarray,
    *,
    p_conflict: float = 0.08,
    p_missing: float = 0.1,
) -> list[str | None]:
    """City: mostly the true one, sometimes another office or another spelling."""
    draws = rng.random((len(companies), 3)).tolist()
    out: list[str | None] = []
    for c, (u, v, gone) in zip(companies.tolist(), draws, strict=True):
        city = int(world.city[c])
        if gone < p_missing:
            out.append(None)
            continue
        if u < p_conflict:
            code = vocab.CITIES[city][1]
            same_country = [i for i, row in enumerate(vocab.CITIES) if row[1] == code]
            city = same_country[int(v * len(same_country))]
        name, _code, alternatives = vocab.CITIES[city]
        if alternatives and u > 1 - 0.15:
            name = alternatives[int(v * len(alternatives))]
        out.append(name)
    return out


def countries(
    rng: np.random.Generator,
    world: World,
    companies: np.ndarray,
    *,
    p_short: float,
    p_missing: float = 0.05,
) -> list[str | None]:
    """Country: the full name, or with probability ``p_short`` a code or other spelling."""
    draws = rng.random((len(companies), 2)).tolist()
    out: list[str | None] = []
    for c, (u, v) in zip(companies.tolist(), draws, strict=True):
        spellings = vocab.COUNTRIES[int(world.country[c])][1]
        if v < p_missing:
            out.append(None)
        else:
            out.append(
                spellings[1 + int(u / p_short * (len(spellings) - 1))]
                if u < p_short
                else spellings[0]
            )
    return out


def pick_people(
    rng: np.random.Generator,
    world: World,
    companies: np.ndarray,
    *,
    p_primary: float,
    p_other: float,
) -> np.ndarray:
    """Indices of the people of ``companies`` a source knows about."""
    counts = world.people_count[companies]
    people = np.repeat(
        world.people_start[companies] - np.cumsum(counts) + counts, counts
    ) + np.arange(counts.sum())
    primary = np.isin(people, world.people_start[companies])
    keep = rng.random(len(people)) < np.where(primary, p_primary, p_other)
    return people[keep]
