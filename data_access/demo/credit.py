"""External credit limits (Huabei, Jiebei ...) and loan applications, some of whose declarations
contradict the applicant's footprints."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from data_access.demo import names
from data_access.demo.calendar import DAY, Calendar
from data_access.demo.holdings import Loans
from data_access.demo.population import FARMER, MERCHANT, MIGRANT, RETIREE, Population
from data_access.schema import PLATFORMS

LIMIT_MEDIAN = {"huabei": 6_000, "jiebei": 15_000, "jd_baitiao": 5_000, "weilidai": 12_000}
BUSINESS = {
    "loan_agri": ("种植水稻", "养猪", "种柑橘", "养鱼", "种茶叶"),
    "loan_business": ("农资店", "小超市", "建材店", "饭店", "货运", "五金店", "服装店"),
    "loan_consumer": ("装修", "购车", "子女教育", "家电"),
}
# planted per 10,000 customers: applications declaring a business or farm the applicant does not
# run, and applications by borrowers whose repayments on a loan here have stopped
BUSINESS_PLANTS_PER_10K = 30
DEBT_PLANTS_PER_10K = 20
# a stopped loan is 90 days (non-performing, 逾期90天以上) to 18 months overdue when they apply
OVERDUE_DAYS = (90, 540)


@dataclass(frozen=True)
class CreditPlants:
    """Applications planted to contradict the footprints in ways the log's own draws do not.

    One entry per planted application (customer index, product, day applied, amount, status,
    days to the decision, income noise, business choice); ``kind`` is 'business' or 'debt', and
    ``stop`` (debt only, NaT otherwise) is the day the applicant's loan repayments stop.
    """

    cust: np.ndarray
    kind: np.ndarray
    product: np.ndarray
    applied: np.ndarray
    stop: np.ndarray
    amount: np.ndarray
    status: np.ndarray
    decide_days: np.ndarray
    income_noise: np.ndarray
    business_pick: np.ndarray

    def repayments_stop(self, n: int) -> np.ndarray:
        """Per customer of ``n``: the day their loan repayments stop (NaT: they never do)."""
        out = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
        debt = self.kind == "debt"
        out[self.cust[debt]] = self.stop[debt]
        return out


def _log_start(cal: Calendar) -> np.datetime64:
    """First day of the application log (the last year, after twelve months of footprints)."""
    return np.datetime64(cal.start, "D") + 335 * DAY


def choose_credit_plants(
    rng: np.random.Generator, cal: Calendar, pop: Population, loans: Loans
) -> CreditPlants:
    """Plant business and debt contradictions, chosen before the footprints are drawn.

    Business: a migrant worker or retiree (under 65, no loan here) applies for a business loan
    declaring a shop, or for a farm loan declaring farming, that they do not run; their footprints
    are whatever their real life makes. Debt: a borrower (a loan here, opened a month or more
    before) whose repayments stop 90 days to 18 months before they apply for another loan; the
    footprint generator drops their repayments from that day (``repayments_stop``).
    """
    start, end = _log_start(cal) + 30 * DAY, np.datetime64(cal.end, "D") - 10 * DAY
    span = int((end - start).astype(int))
    alive = np.isnat(pop.closed) & (pop.opened < start - 365 * DAY)
    no_loan = (loans.agri == 0) & (loans.business == 0) & (loans.consumer == 0)
    occ = pop.occupation
    may_pretend = alive & no_loan & ((occ == MIGRANT) | (occ == RETIREE)) & (pop.age < 65)
    k_biz = round(pop.n * BUSINESS_PLANTS_PER_10K / 10_000)
    biz = np.sort(rng.choice(np.flatnonzero(may_pretend), k_biz, replace=False))
    biz_product = np.where(rng.random(k_biz) < 0.5, "loan_business", "loan_agri")
    biz_applied = start + rng.integers(0, span, k_biz) * DAY

    # borrowers with a loan opened a month or more before the stop and still open when they apply
    n = pop.n
    applied = start + rng.integers(0, span, n) * DAY
    nat = np.datetime64("NaT", "D")
    stop = applied - rng.integers(OVERDUE_DAYS[0], OVERDUE_DAYS[1] + 1, n) * DAY
    paid_a_while = stop - 30 * DAY
    consumer_open = loans.consumer_open + 36 * 30 * DAY > applied
    has_loan = (
        ((loans.agri > 0) & (loans.agri_open <= paid_a_while))
        | ((loans.business > 0) & (loans.business_open <= paid_a_while))
        | ((loans.consumer > 0) & (loans.consumer_open <= paid_a_while) & consumer_open)
    )
    may_default = alive & has_loan
    k_debt = min(round(n * DEBT_PLANTS_PER_10K / 10_000), int(may_default.sum()))
    debt = np.sort(rng.choice(np.flatnonzero(may_default), k_debt, replace=False))
    debt_product = np.where(
        occ[debt] == FARMER,
        "loan_agri",
        np.where(occ[debt] == MERCHANT, "loan_business", "loan_consumer"),
    )

    cust = np.concatenate([biz, debt])
    product = np.concatenate([biz_product, debt_product])
    k = len(cust)
    base = np.where(
        product == "loan_agri", 50_000, np.where(product == "loan_business", 200_000, 60_000)
    )
    days = np.concatenate([biz_applied, applied[debt]])
    recent = days > np.datetime64(cal.end, "D") - 14 * DAY
    return CreditPlants(
        cust=cust,
        kind=np.array(["business"] * k_biz + ["debt"] * k_debt),
        product=product,
        applied=days,
        stop=np.concatenate([np.full(k_biz, nat), stop[debt]]),
        amount=np.round(base * rng.lognormal(0, 0.5, k), -3),
        # like the other applications contradicting footprints: mostly refused, some still open
        status=np.where(recent, "submitted", np.where(rng.random(k) < 0.6, "rejected", "approved")),
        decide_days=rng.integers(2, 20, k),
        income_noise=rng.lognormal(0, 0.12, k),
        business_pick=rng.integers(0, 1 << 30, k),
    )


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
    plants: CreditPlants,
    planted: dict[str, set[int]] | None = None,
) -> pa.Table:
    """Applications: the loans opened in the window plus refused and pending ones.

    About 12% contradict the footprints: declared income several times the money that actually
    came in over the year before, or a declared place the customer has never been seen in; the
    ``plants`` (``choose_credit_plants``) add declared businesses the applicant does not run and
    applications by borrowers who stopped repaying. When ``planted`` is given, it receives the
    application ids of each kind ('income', 'place', 'business', 'debt'): the truth the credit
    desk's checks are measured against (bench/bench_credit.py); the bank's tables never hold it.
    """
    # the application log covers the last year, so twelve months of footprints precede each one
    start = _log_start(cal)
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

    # the planted applications, honest in income and place, after the log's own draws
    pc = plants.cust
    k = len(pc)
    pbiz = np.empty(k, dtype=object)
    for p, choices in BUSINESS.items():
        m = plants.product == p
        pbiz[m] = np.array(choices, dtype=object)[plants.business_pick[m] % len(choices)]
    poff = pop.officer[pc]
    cust = np.concatenate([cust, pc])
    off = np.concatenate([off, poff])
    applied = np.concatenate([applied, plants.applied])
    product = np.concatenate([product, plants.product])
    amount = np.concatenate([amount, plants.amount])
    declared = np.concatenate([declared, np.round(pop.income[pc] * plants.income_noise, -3)])
    business = np.concatenate([business, pbiz])
    declared_place = np.concatenate([declared_place, np.array(places)[pop.town[pc]]])
    status = np.concatenate([status, plants.status])
    decided = np.concatenate([decided, plants.applied + plants.decide_days * DAY])
    no = np.zeros(k, dtype=bool)
    by_income, by_place = np.concatenate([by_income, no]), np.concatenate([by_place, no])
    by_business = np.concatenate([np.zeros(n, dtype=bool), plants.kind == "business"])
    # the log's own applications by a planted defaulter, once 90 days overdue, contradict too
    stop = plants.repayments_stop(pop.n)[cust[:n]]
    overdue = ~np.isnat(stop) & (applied[:n] - stop >= OVERDUE_DAYS[0] * DAY)
    by_debt = np.concatenate([overdue, plants.kind == "debt"])
    n += k

    decided = np.minimum(decided, end)
    pending = status == "submitted"
    order = np.argsort(applied, kind="stable")
    if planted is not None:
        ids = np.arange(1, n + 1)
        planted["income"] = set(ids[by_income[order]].tolist())
        planted["place"] = set(ids[by_place[order]].tolist())
        planted["business"] = set(ids[by_business[order]].tolist())
        planted["debt"] = set(ids[by_debt[order]].tolist())
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
