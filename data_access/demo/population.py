"""Customers: an older rural population with occupations, income, heavy-tailed wealth and a life story.

The arrays in ``Population`` (index = customer_id - 1) hold the hidden truth that the other
generators read: true income, wealth, churn dates, car ownership, migrant family, mobile adoption.
The ``customers`` table is what the bank's records show: profile fields go missing, stale and
wrong at rates that depend on the officer's data care.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from scipy.special import ndtri

from data_access.demo import names
from data_access.demo.calendar import DAY, Calendar
from data_access.demo.organisation import Organisation
from data_access.demo.text import id_numbers, person_names, phones
from metrics.codes import EDUCATION, MARITAL, OCCUPATIONS, PROFILE_FIELDS

NAT = np.datetime64("NaT", "D")
FARMER, MERCHANT, MIGRANT, CIVIL, TEACHER, RETIREE, STUDENT = range(7)
# AUM is lognormal with these parameters (by rank of a latent wealth score), so that tiers by
# month-average AUM hold about mass 85% / affluent 12% / VIP 2.7% / private 0.3%.
AUM_MU, AUM_SIGMA = 8.0, 2.72
# yearly income, median CNY by occupation
INCOME_MEDIAN = np.array([28_000, 85_000, 52_000, 88_000, 76_000, 30_000, 6_000], dtype=float)
# self-initiated transactions per week, by occupation
ACTIVITY = np.array([0.25, 0.9, 0.36, 0.42, 0.42, 0.2, 0.32])
# the profile fields the demo leaves blank at times (an id number is always recorded)
BLANKABLE_FIELDS = tuple(f for f in PROFILE_FIELDS if f != "id_number")
# how much more (or less) often each field is left blank than the book's rate
FIELD_FACTOR = (0.25, 0.35, 0.9, 0.6, 1.1, 1.5, 1.4, 1.2, 1.4, 0.7)


@dataclass
class Population:
    """The hidden truth per customer (index = customer_id - 1)."""

    n: int
    branch: np.ndarray  # int, 0-based
    officer: np.ndarray  # int, 0-based, -1 = none
    male: np.ndarray
    age: np.ndarray  # at end_date
    occupation: np.ndarray
    income: np.ndarray  # true yearly income
    aum: np.ndarray  # base month-average AUM
    demand_share: np.ndarray
    wealth_share: np.ndarray
    opened: np.ndarray  # datetime64[D]
    closed: np.ndarray  # datetime64[D] or NaT
    churn_start: np.ndarray  # datetime64[D] or NaT: money starts to leave
    dormant_from: np.ndarray  # datetime64[D] or NaT: stops transacting, the account left open
    migrant_family: np.ndarray  # receives remittances from children working in cities
    car: np.ndarray  # owns a car (fuel receipts, vehicles)
    mobile_adopted: np.ndarray  # datetime64[D] or NaT
    activity: np.ndarray  # self-initiated transactions per week when fully active
    village: np.ndarray  # index into villages
    villages: list[str]
    town: np.ndarray  # index into org.branch_town
    declared_income: np.ndarray  # what the bank's profile says (NaN when missing)
    care: np.ndarray  # data care of the book the customer sits in (0..1)
    customers: pa.Table

    def alive_between(self, lo: np.datetime64, hi: np.datetime64) -> np.ndarray:
        """Customers with an open relationship at some point in [lo, hi)."""
        return (self.opened < hi) & (np.isnat(self.closed) | (self.closed >= lo))


def _villages(rng: np.random.Generator, n_towns: int, per_town: int) -> list[str]:
    heads = list(names.VILLAGE_HEADS)
    out = []
    seen: set[str] = set()
    for _ in range(n_towns * per_town):
        while True:
            v = "".join(rng.choice(heads, 2)) + str(rng.choice(names.VILLAGE_TAILS))
            if v not in seen:
                seen.add(v)
                out.append(v)
                break
    return out


def _choice_rows(rng: np.random.Generator, probs: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """For each row i, draw a category from probs[idx[i]] (rows of a probability table)."""
    cdf = np.cumsum(probs, axis=1)
    cdf /= cdf[:, -1:]
    u = rng.random(len(idx))
    return (u[:, None] > cdf[idx]).sum(axis=1)


def build_population(
    rng: np.random.Generator, n: int, cal: Calendar, org: Organisation
) -> Population:
    """Draw ``n`` customers of the county: who they are, what they earn and hold, how they behave."""
    end = np.datetime64(cal.end, "D")
    start = cal.start64
    branch = rng.choice(org.n_branches, n, p=org.branch_weight)
    male = rng.random(n) < 0.5

    # age at end_date: about a quarter are 60+ (the young went to the cities)
    group = rng.choice(4, n, p=(0.07, 0.34, 0.34, 0.25))
    lo = np.array([18, 23, 45, 60])[group]
    hi = np.array([23, 45, 60, 61])[group]
    age = rng.integers(lo, hi)
    old = group == 3
    age[old] = 60 + np.minimum(rng.exponential(9.0, old.sum()), 34).astype(int)

    # occupation by age group
    occ_p = np.array(
        [
            # farmer merchant migrant civil teacher retiree student
            [0.05, 0.05, 0.27, 0.01, 0.01, 0.00, 0.61],
            [0.26, 0.19, 0.38, 0.09, 0.07, 0.00, 0.01],
            [0.46, 0.15, 0.22, 0.06, 0.05, 0.06, 0.00],
            [0.52, 0.04, 0.02, 0.00, 0.00, 0.42, 0.00],
        ]
    )
    occupation = _choice_rows(rng, occ_p, group)

    income = INCOME_MEDIAN[occupation] * rng.lognormal(0.0, 0.5, n)
    # wealth: rank of a latent score (income, age, luck) mapped onto a fixed lognormal
    score = 0.9 * np.log(income) + 0.025 * age + rng.normal(0.0, 1.15, n)
    score[occupation == MERCHANT] += 0.7
    rank = (np.argsort(np.argsort(score)) + 0.5) / n
    aum = np.exp(AUM_MU + AUM_SIGMA * ndtri(rank))

    # how the money sits: the rich hold time deposits and wealth products
    rich = aum >= 50_000
    demand_share = np.where(rich, rng.uniform(0.12, 0.45, n), rng.uniform(0.45, 1.0, n))
    demand_share = np.where(age >= 55, demand_share * 0.8, demand_share)
    p_wealth = np.select([aum >= 6_000_000, aum >= 500_000, rich], [0.92, 0.68, 0.33], 0.01)
    has_wealth = rng.random(n) < p_wealth
    wealth_share = np.where(has_wealth, rng.uniform(0.15, 0.6, n) * (1 - demand_share), 0.0)

    # opened: spread over decades; 14% joined in the two years
    new = rng.random(n) < 0.14
    years_back = np.minimum(rng.exponential(9.0, n), 36.0)
    opened = start - (years_back * 365.25).astype(int) * DAY - rng.integers(1, 30, n) * DAY
    span = (end - start).astype(int)
    opened = np.where(new, start + rng.integers(0, span, n) * DAY, opened)
    birth = end - (age * 365.25).astype(int) * DAY - rng.integers(0, 365, n) * DAY
    adult = birth + int(16 * 365.25) * DAY
    opened = np.maximum(opened, adult)

    # churners: money leaves over 6-9 months; some close, some are still leaving at end_date
    closed = np.full(n, NAT)
    churn_start = np.full(n, NAT)
    old_enough = opened < start - 180 * DAY
    u = rng.random(n)
    leaving = old_enough & (u < 0.05)
    gone = old_enough & (u >= 0.05) & (u < 0.08)
    dead = old_enough & (u >= 0.08) & (u < 0.10)  # closed long before the window
    churn_len = rng.integers(180, 275, n) * DAY
    churn_start[leaving] = end - churn_len[leaving]
    last_start = max(1, span - 275)
    churn_start[gone] = start + rng.integers(0, last_start, gone.sum()) * DAY
    closed[gone] = churn_start[gone] + churn_len[gone]
    dead_span = np.maximum((start - opened[dead]).astype(int) - 365, 30)
    closed[dead] = opened[dead] + (365 + rng.integers(0, 1 << 30, dead.sum()) % dead_span) * DAY

    migrant_family = ((occupation == FARMER) | (occupation == RETIREE)) & (age >= 42)
    migrant_family &= rng.random(n) < 0.45
    p_car = 1 / (1 + np.exp(-(np.log10(aum + 1) - 4.9) * 2.4))
    p_car = np.where(occupation == MERCHANT, np.minimum(p_car * 1.6, 0.95), p_car)
    p_car = np.where(age >= 70, p_car * 0.4, p_car)
    car = rng.random(n) < p_car

    # mobile banking: most of the young, few of the old; many adopt during the two years
    p_mobile = np.clip(0.95 - 0.0145 * np.maximum(age - 25, 0), 0.05, 0.95)
    adopter = rng.random(n) < p_mobile
    before = rng.random(n) < 0.5
    mobile_adopted = np.full(n, NAT)
    when = np.where(
        before,
        np.maximum(opened, start - rng.integers(1, 2000, n) * DAY),
        np.maximum(opened, start + rng.integers(0, span, n) * DAY),
    )
    mobile_adopted[adopter] = when[adopter]

    wealth_boost = np.clip(1 + 0.18 * np.log10(np.maximum(aum, 100) / 5_000), 0.6, 2.0)
    activity = ACTIVITY[occupation] * rng.lognormal(-0.18, 0.6, n) * wealth_boost

    n_towns = org.n_branches
    per_town = 12
    villages = _villages(rng, n_towns, per_town)
    village = branch * per_town + rng.integers(0, per_town, n)
    town = branch.copy()

    # officer: a manager or credit officer of the customer's outlet; 8% have none
    officer = np.full(n, -1)
    for b in range(org.n_branches):
        idx = np.flatnonzero(branch == b)
        book = org.book_officers(b)
        if len(book) == 0 or len(idx) == 0:
            continue
        w = rng.lognormal(0, 0.35, len(book))
        officer[idx] = book[rng.choice(len(book), len(idx), p=w / w.sum())]
    officer[rng.random(n) < 0.08] = -1
    care = np.where(officer >= 0, org.data_care[np.maximum(officer, 0)], 0.35)

    # --- what the records show ---------------------------------------------------------------
    p_blank = 0.03 + 0.42 * (1 - care) ** 2.2
    blank = {
        f: rng.random(n) < np.clip(p_blank * k, 0, 0.95)
        for f, k in zip(BLANKABLE_FIELDS, FIELD_FACTOR, strict=True)
    }
    contradicts = rng.random(n) < 0.01 + 0.22 * (1 - care) ** 2
    declared = np.round(income * rng.lognormal(0.0, 0.18, n), -3)
    declared = np.where(contradicts, np.round(income * rng.uniform(5, 12, n), -4), declared)
    declared = np.maximum(declared, 1000.0)
    declared_rec = np.where(blank["declared_income"], np.nan, declared)

    edu_p = np.array(
        [
            [0.35, 0.45, 0.14, 0.05, 0.01, 0.00],  # farmer
            [0.08, 0.40, 0.30, 0.12, 0.07, 0.03],  # merchant
            [0.05, 0.45, 0.25, 0.20, 0.04, 0.01],  # migrant
            [0.00, 0.00, 0.05, 0.05, 0.35, 0.55],  # civil servant
            [0.00, 0.00, 0.02, 0.08, 0.40, 0.50],  # teacher
            [0.45, 0.35, 0.12, 0.04, 0.03, 0.01],  # retiree
            [0.00, 0.00, 0.20, 0.35, 0.25, 0.20],  # student
        ]
    )
    education = _choice_rows(rng, edu_p, occupation)
    mar_group = np.select([age < 25, age < 60], [0, 1], 2)
    marital = _choice_rows(
        rng,
        np.array([[0.82, 0.17, 0.01, 0.0], [0.07, 0.85, 0.06, 0.02], [0.02, 0.70, 0.03, 0.25]]),
        mar_group,
    )
    household = np.clip(rng.poisson(np.where(age >= 65, 1.6, 3.4)) + 1, 1, 9)
    last_update_age = rng.exponential(150 + 1600 * (1 - care) ** 1.5, n).astype(int)
    updated = np.maximum(end - last_update_age * DAY, opened)
    updated_null = rng.random(n) < 0.4 * (1 - care) ** 3

    occ_names = np.array(OCCUPATIONS)
    towns = np.array(org.branch_town)
    village_arr = np.array(villages)

    def masked(values: np.ndarray, field: str, type_: pa.DataType | None = None) -> pa.Array:
        return pa.array(values, type_, mask=blank[field])

    customers = pa.table(
        {
            "customer_id": pa.array(np.arange(1, n + 1), pa.int64()),
            "branch_id": pa.array(branch + 1, pa.int32()),
            "officer_id": pa.array(officer + 1, pa.int32(), mask=officer < 0),
            "name": pa.array(person_names(rng, male)),
            "gender": masked(np.where(male, "M", "F"), "gender"),
            "birth_year": masked(
                birth.astype("datetime64[Y]").astype(int) + 1970, "birth_year", pa.int32()
            ),
            "occupation": masked(occ_names[occupation], "occupation"),
            "town": masked(towns[town], "town"),
            "village": masked(village_arr[village], "village"),
            "opened_on": pa.array(opened, pa.date32()),
            "declared_income": pa.array(declared_rec, pa.float64(), from_pandas=True),
            "education": masked(np.array(EDUCATION)[education], "education"),
            "marital_status": masked(np.array(MARITAL)[marital], "marital_status"),
            "household_size": masked(household, "household_size", pa.int32()),
            "phone": masked(phones(rng, n), "phone"),
            "id_number": pa.array(id_numbers(rng, birth, male, names.COUNTY_REGION_CODE)),
            "profile_updated_on": pa.array(updated, pa.date32(), mask=updated_null),
            "closed_on": pa.array(closed, pa.date32(), mask=np.isnat(closed)),
        }
    )
    # dormant (睡眠户): 5% of the older customers who are not leaving stop transacting themselves
    # at some day of the window and leave the account open (credits still arrive). Drawn from a
    # child generator after everything else, so the rest of the population is what it was.
    drng = np.random.default_rng(rng.integers(0, 1 << 62))
    dormant = old_enough & (u >= 0.10) & (drng.random(n) < 0.05)
    dormant_from = np.full(n, NAT)
    dormant_from[dormant] = start + drng.integers(0, max(1, span), dormant.sum()) * DAY
    return Population(
        n=n,
        branch=branch,
        officer=officer,
        male=male,
        age=age,
        occupation=occupation,
        income=income,
        aum=aum,
        demand_share=demand_share,
        wealth_share=wealth_share,
        opened=opened,
        closed=closed,
        churn_start=churn_start,
        dormant_from=dormant_from,
        migrant_family=migrant_family,
        car=car,
        mobile_adopted=mobile_adopted,
        activity=activity,
        village=village,
        villages=villages,
        town=town,
        declared_income=declared_rec,
        care=care,
        customers=customers,
    )
