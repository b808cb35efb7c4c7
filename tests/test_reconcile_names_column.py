"""The column-wise company-name normalisation gives what ``hub.names`` gives, name for name."""

import random

import numpy as np
import pytest

from hub.names import name_and_places
from hub.reconcile.names_column import names_and_places
from hub.synth import company_records

WORDS = ["Acme", "acme", "ACME", "Lunar", "Spring", "Global", "Solutions", "Co", "co", "Inc", "Inc.",
         "inc", "LLC", "L.L.C.", "Ltd", "Ltd.", "Limited", "Pty", "Pty.", "GmbH", "& Co.", "KG", "AG",
         "S.A.", "SA", "B.V.", "BV", "Corp", "Corporation", "PLC", "Pvt", "Private", "AS", "Oy", "AB",
         "S.L.", "SRL", "SpA", "K.K.", "Holdings", "Group", "3M", "A1", "X-Ray", "Q.E.D.", "&", "and"]
SEPARATORS = [" ", "  ", ", ", ",", " - ", "-", ".", "/", " & ", "\t", " (", ") ", "'"]
ODD = ["Acmé", "東京", "Straße", "Ørsted", "İstanbul", "naïve", "\u00a0"]


def _reference(values):
    parts = [name_and_places(v) for v in values]
    return [p[0] for p in parts], [p[1] for p in parts]


def _check(values):
    names, places = names_and_places(np.array(values, dtype=object))
    expected_names, expected_places = _reference(values)
    assert list(names) == expected_names
    assert list(places) == expected_places


def test_edge_cases_match_hub_names():
    _check(["Acme", "Acme Inc", "ACME, Inc.", "Acme Inc Inc", "Inc", "Inc Ltd", "Co Co", "Ltd Ltd Ltd",
            "Acme Pty Ltd", "Acme Pty. Ltd.", "Acme GmbH & Co. KG", "Acme Private Limited", "A.B.C.",
            "  Acme  Corp  ", "-", "...", "  .  ", "Acme -", "- Acme", "Acme\tLLC", "X-Ray Co",
            "Acme Holdings Pty Ltd", "The Limited Company Ltd", "a", "Acme Oy AB", "Acmé GmbH", "東京 Corp"])


def test_generated_names_match_hub_names():
    records = company_records(3000, 11, "hard")
    _check(sorted(set(records["company"].dropna())))


@pytest.mark.parametrize("seed", range(3))
def test_random_names_match_hub_names(seed):
    rng = random.Random(seed)
    values = []
    for _ in range(3000):
        parts = []
        for _ in range(rng.randint(1, 6)):
            word = rng.choice(WORDS) if rng.random() < 0.7 else "".join(
                rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")
                for _ in range(rng.randint(1, 9)))
            if rng.random() < 0.05:
                word += rng.choice(ODD)
            parts += [word, rng.choice(SEPARATORS)]
        values.append("".join(parts[:-1] if rng.random() < 0.8 else parts))
    _check(values)


def test_a_name_that_is_no_utf8_is_taken_alone():
    _check(["Acme Inc", "Bad\ud800 Name Ltd", "Other GmbH"])


def test_no_names():
    names, places = names_and_places(np.array([], dtype=object))
    assert len(names) == 0 and len(places) == 0
