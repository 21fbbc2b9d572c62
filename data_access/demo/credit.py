"""External credit limits (Huabei, Jiebei ...) and loan applications, some of whose declarations
contradict the applicant's footprints."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from data_access.demo import names
from data_access.demo.calendar import DAY, Calendar
from data_access.demo.holdings import Loans
from data_access.demo.population import FARMER, MERCHANT, Population
from data_access.schema import PLATFORMS

LIMIT_MEDIAN = {"huabei": 6_000, "jiebei": 15_000, "jd_baitiao": 5_000, "weilidai": 12_000}
BUSINESS = {
    "loan_agri": ("种植水稻", "养猪", "种柑橘", "养鱼", "种茶叶"),
    "loan_business": ("农资店", "小超市", "建材店", "饭店", "货运", "五金店", "服装店"),
    "loan_consumer": ("装修", "购车", "子女教育", "家电"),
}


def external_limits_table(rng: np.random.Generator, cal: Calendar, pop: Population) -> pa.Table:
    """A minority (younger, on mobile banking) show internet-platform limits, mostly with consent."""
    n = pop.n
    p = np.where(~np.isnat(pop.mobile_adopted) & (pop.age < 55), 0.32, 0.03)
    p = np.where(np.isnat(pop.closed), p, 0.0)
    who = np.flatnonzero(rng.random(n) < p)
    k = rng.integers(1, 4, len(who))
    cust = np.repeat(who, k)
    # k distinct platforms per customer: the first k of a random order
    order = np.argsort(rng.random((len(who), len(PLATFORMS))), axis=1)
    plat = order[np.arange(len(PLATFORMS))[None, :] < k[:, None]]
    med = np.array([LIMIT_MEDIAN[p] for p in PLATFORMS])[plat]
    limit = np.round(
        med * np.sqrt(pop.income[cust] / 40_000) * rng.lognormal(0, 0.5, len(cust)), -2
    )
    limit = np.clip(limit, 500, 200_000)
    as_of = np.datetime64(cal.end, "D") - rng.integers(0, 365, len(cust)) * DAY
    return pa.table(
        {
            "limit_id": pa.array(np.arange(1, len(cust) + 1), pa.int64()),
            "customer_id": pa.array(cust + 1, pa.int64()),
            "branch_id": pa.array(pop.branch[cust] + 1, pa.int32()),
            "platform": pa.array(np.array(PLATFORMS)[plat]),
            "credit_limit": limit,
            "as_of": pa.array(as_of, pa.date32()),
            "consent": pa.array(rng.random(len(cust)) < 0.78),
        }
    )


def loan_applications_table(
    rng: np.random.Generator,
    cal: Calendar,
    pop: Population,
    loans: Loans,
    inflow_month: np.ndarray,
    skill: np.ndarray,
    places: list[str],
    planted: dict[str, set[int]] | None = None,
) -> pa.Table:
    """Applications: the loans opened in the window plus refused and pending ones.

    About 12% contradict the footprints: declared income several times the money that actually
    came in over the year before, or a declared place the customer has never been seen in. When
    ``planted`` is given, it receives the application ids of each kind ('income', 'place'): the
    truth the credit desk's checks are measured against (bench/bench_credit.py); the bank's
    tables never hold it.
    """
    # the application log covers the last year, so twelve months of footprints precede each one
    start = np.datetime64(cal.start, "D") + 335 * DAY
    end = np.datetime64(cal.end, "D")
    cust_l, prod_l, day_l, amt_l = [], [], [], []
    for prod, lim, opened in (
        ("loan_agri", loans.agri, loans.agri_open),
        ("loan_business", loans.business, loans.business_open),
        ("loan_consumer", loans.consumer, loans.consumer_open),
    ):
        m = (lim > 0) & (opened >= start + 30 * DAY)
        c = np.flatnonzero(m)
        cust_l.append(c)
        prod_l.append(np.full(len(c), prod))
        day_l.append(opened[c] - rng.integers(5, 25, len(c)) * DAY)
        amt_l.append(lim[c])
    # extra applications (rejected or pending): farmers before 春耕, merchants any time
    alive = np.isnat(pop.closed) & (pop.opened < start)
    extra = np.flatnonzero(alive & (rng.random(pop.n) < 0.035))
    occ = pop.occupation[extra]
    prod = np.where(
        occ == FARMER, "loan_agri", np.where(occ == MERCHANT, "loan_business", "loan_consumer")
    )
    span = int((end - start).astype(int)) - 40
    day = start + 30 * DAY + rng.integers(0, span, len(extra)) * DAY
    amount = np.round(
        np.where(prod == "loan_agri", 50_000, np.where(prod == "loan_business", 200_000, 60_000))
        * rng.lognormal(0, 0.5, len(extra)),
        -3,
    )
    cust_l.append(extra)
    prod_l.append(prod)
    day_l.append(day)
    amt_l.append(amount)
    cust = np.concatenate(cust_l)
    product = np.concatenate(prod_l)
    applied = np.maximum(np.concatenate(day_l), start)
    amount = np.concatenate(amt_l)
    is_extra = np.zeros(len(cust), dtype=bool)
    is_extra[-len(extra) :] = bool(len(extra))
    n = len(cust)

    # observed money in over the 12 months before the application
    m_idx = np.searchsorted(cal.months, applied, side="right") - 1
    cum = np.concatenate(
        [np.zeros((pop.n, 1), np.float32), np.cumsum(inflow_month, axis=1)], axis=1
    )
    observed = cum[cust, m_idx] - cum[cust, np.maximum(m_idx - 12, 0)]
    honest = np.round(pop.income[cust] * rng.lognormal(0, 0.12, n), -3)
    contradict = rng.random(n) < 0.12
    by_income = contradict & (rng.random(n) < 0.7)
    by_place = contradict & ~by_income
    inflated = np.round(np.maximum(observed, pop.income[cust]) * rng.uniform(2.5, 6.0, n), -3)
    declared = np.where(by_income, inflated, honest)
    home = np.array(places)[pop.town[cust]]
    # a far-away city none of the customer's footprints mention (their own family city excluded)
    n_towns = len(places) - len(names.CITIES)
    own_city = (cust * 7 + 3) % len(names.CITIES)
    other_city = (own_city + 1 + rng.integers(0, len(names.CITIES) - 1, n)) % len(names.CITIES)
    declared_place = np.where(by_place, np.array(places)[n_towns + other_city], home)
    business = np.empty(n, dtype=object)
    for p, choices in BUSINESS.items():
        m = product == p
        business[m] = np.array(choices, dtype=object)[rng.integers(0, len(choices), m.sum())]

    off = pop.officer[cust]
    sk = np.where(off >= 0, skill[np.maximum(off, 0)], 0.3)
    recent = applied > end - 14 * DAY
    u = rng.random(n)
    p_reject = np.where(contradict, 0.25 + 0.6 * sk, 0.1)
    status = np.where(
        is_extra,
        np.where(u < p_reject + 0.55, "rejected", "approved"),
        np.where(contradict & (u < p_reject * 0.5), "approved", "disbursed"),
    )
    status = np.where(is_extra & recent, "submitted", status)
    decided = applied + rng.integers(2, 20, n) * DAY
    decided = np.minimum(decided, end)
    pending = status == "submitted"
    order = np.argsort(applied, kind="stable")
    if planted is not None:
        ids = np.arange(1, n + 1)
        planted["income"] = set(ids[by_income[order]].tolist())
        planted["place"] = set(ids[by_place[order]].tolist())
    return pa.table(
        {
            "application_id": pa.array(np.arange(1, n + 1), pa.int64()),
            "customer_id": pa.array(cust[order] + 1, pa.int64()),
            "officer_id": pa.array(off[order] + 1, pa.int32(), mask=off[order] < 0),
            "branch_id": pa.array(pop.branch[cust[order]] + 1, pa.int32()),
            "applied_on": pa.array(applied[order], pa.date32()),
            "product": pa.array(product[order]),
            "amount": amount[order].astype(float),
            "declared_income": declared[order].astype(float),
            "declared_business": pa.array(business[order]),
            "declared_place": pa.array(declared_place[order]),
            "status": pa.array(status[order]),
            "decided_on": pa.array(decided[order], pa.date32(), mask=pending[order]),
        }
    )
