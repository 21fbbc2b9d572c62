"""Vectorised Chinese names, phone numbers and 18-digit ID numbers."""

from __future__ import annotations

import numpy as np

from data_access.demo import names

_SURNAMES = np.array(list(names.SURNAMES))
# Common surnames are much more common: Zipf-like weights.
_SURNAME_P = 1.0 / np.arange(1, len(_SURNAMES) + 1) ** 0.9
_SURNAME_P /= _SURNAME_P.sum()
_MALE = np.array(list(names.GIVEN_MALE))
_FEMALE = np.array(list(names.GIVEN_FEMALE))
_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_ID_CHECK = np.array(list("10X98765432"))


def person_names(rng: np.random.Generator, male: np.ndarray) -> np.ndarray:
    """Chinese full names (surname + one or two characters) for a 0/1 male array."""
    n = len(male)
    sur = _SURNAMES[rng.choice(len(_SURNAMES), n, p=_SURNAME_P)]
    male = np.asarray(male, dtype=bool)
    g1 = np.where(
        male, _MALE[rng.integers(0, len(_MALE), n)], _FEMALE[rng.integers(0, len(_FEMALE), n)]
    )
    g2 = np.where(
        male, _MALE[rng.integers(0, len(_MALE), n)], _FEMALE[rng.integers(0, len(_FEMALE), n)]
    )
    two = rng.random(n) < 0.7
    g2 = np.where(two, g2, "")
    return np.char.add(np.char.add(sur, g1), g2)


def phones(rng: np.random.Generator, n: int) -> np.ndarray:
    """Mainland mobile numbers (11 digits, 13x/15x/18x prefixes)."""
    prefix = rng.choice(
        np.array(
            [
                130,
                131,
                132,
                135,
                136,
                137,
                138,
                139,
                150,
                151,
                152,
                158,
                159,
                181,
                186,
                187,
                188,
                199,
            ]
        ),
        n,
    )
    rest = rng.integers(0, 100_000_000, n)
    return (prefix.astype(np.int64) * 100_000_000 + rest).astype(str)


def id_numbers(
    rng: np.random.Generator, birth: np.ndarray, male: np.ndarray, region: int
) -> np.ndarray:
    """18-digit resident ID numbers: region, birth date (datetime64[D]), sequence, check digit."""
    n = len(birth)
    days = birth.astype("datetime64[D]")
    y = days.astype("datetime64[Y]").astype(np.int64) + 1970
    m = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    d = (days - days.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    seq = rng.integers(0, 1000, n)
    seq = np.where(male, seq | 1, seq & ~1)  # odd for men, even for women
    body = np.int64(region) * 10**11 + y * 10**7 + m * 10**5 + d * 10**3 + seq  # 17 digits
    digits = (body[:, None] // (10 ** np.arange(16, -1, -1, dtype=np.int64))) % 10
    check = _ID_CHECK[(digits * _ID_WEIGHTS).sum(axis=1) % 11]
    return np.char.add(body.astype(str), check)
