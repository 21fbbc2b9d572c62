"""Product holdings, monthly balance snapshots and the branches' weekly ledger balances."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from data_access.demo.calendar import DAY, Calendar
from data_access.demo.population import (
    CIVIL,
    FARMER,
    MERCHANT,
    MIGRANT,
    NAT,
    RETIREE,
    TEACHER,
    Population,
)
from data_access.schema import PRODUCTS

P = {p: i for i, p in enumerate(PRODUCTS)}


@dataclass
class Loans:
    """Loan facilities per customer (0 = none): limit of the agri / business / consumer loan."""

    agri: np.ndarray
    business: np.ndarray
    consumer: np.ndarray
    agri_open: np.ndarray
    business_open: np.ndarray
    consumer_open: np.ndarray


@dataclass
class Holdings:
    """Product holdings as parallel arrays (extended by campaign conversions before output)."""

    customer: list[np.ndarray] = field(default_factory=list)
    product: list[np.ndarray] = field(default_factory=list)
    opened: list[np.ndarray] = field(default_factory=list)
    closed: list[np.ndarray] = field(default_factory=list)

    def add(
        self, customer: np.ndarray, product: int, opened: np.ndarray, closed: np.ndarray
    ) -> None:
        self.customer.append(customer.astype(np.int64))
        self.product.append(np.full(len(customer), product, dtype=np.int8))
        self.opened.append(opened.astype("datetime64[D]"))
        self.closed.append(closed.astype("datetime64[D]"))

    def holds(self, n: int, product: int, at: np.datetime64) -> np.ndarray:
        """Boolean per customer: holds ``product`` open at ``at``."""
        out = np.zeros(n, dtype=bool)
        for c, p, o, cl in zip(self.customer, self.product, self.opened, self.closed, strict=True):
            m = (p == product) & (o <= at) & (np.isnat(cl) | (cl > at))
            out[c[m]] = True
        return out

    def drop_opened_after(self, customer: np.ndarray, product: int, after: np.datetime64) -> None:
        """Forget the holdings of ``product`` that ``customer`` would open after ``after``.

        A campaign conversion replaces the customer's later natural opening of the same product:
        a customer signs up for mobile banking once, not once per reason.
        """
        who = np.zeros(max((int(c.max()) for c in self.customer if len(c)), default=0) + 1, bool)
        who[customer[customer < len(who)]] = True
        for i, (c, p, o) in enumerate(zip(self.customer, self.product, self.opened, strict=True)):
            keep = ~((p == product) & (o > after) & who[c])
            if not keep.all():
                self.customer[i], self.product[i] = c[keep], p[keep]
                self.opened[i], self.closed[i] = o[keep], self.closed[i][keep]


def _between(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    span = np.maximum((hi - lo).astype(np.int64), 1)
    return lo + (rng.random(len(lo)) * span).astype(np.int64) * DAY


def draw_loans(rng: np.random.Generator, pop: Population, cal: Calendar) -> Loans:
    """Who holds which loan facility, its limit and when it was opened."""
    n = pop.n
    occ, age = pop.occupation, pop.age
    end = np.datetime64(cal.end, "D")
    p_agri = np.where((occ == FARMER) & (age < 70), 0.36, 0.0)
    p_bus = np.where(occ == MERCHANT, 0.45, 0.015)
    p_con = np.select([(occ == CIVIL) | (occ == TEACHER), occ == MIGRANT], [0.16, 0.05], 0.02)
    p_con = np.where(age > 65, 0.0, p_con)
    scale = np.sqrt(pop.income / 30_000)
    agri = np.where(
        rng.random(n) < p_agri, np.round(50_000 * scale * rng.lognormal(0, 0.45, n), -3), 0.0
    )
    business = np.where(
        rng.random(n) < p_bus, np.round(250_000 * scale * rng.lognormal(0, 0.7, n), -4), 0.0
    )
    consumer = np.where(
        rng.random(n) < p_con, np.round(80_000 * scale * rng.lognormal(0, 0.4, n), -3), 0.0
    )
    lo = pop.opened
    opened = [_between(rng, lo, np.maximum(lo + DAY, end - 30 * DAY)) for _ in range(3)]
    return Loans(agri, business, consumer, opened[0], opened[1], opened[2])


def base_holdings(
    rng: np.random.Generator, pop: Population, cal: Calendar, loans: Loans
) -> Holdings:
    """Every customer's products before campaigns add theirs."""
    n = pop.n
    idx = np.arange(n)
    end = np.datetime64(cal.end, "D")
    h = Holdings()
    closed = pop.closed
    later = lambda: _between(rng, pop.opened, np.maximum(pop.opened + DAY, end))  # noqa: E731

    def add(
        mask: np.ndarray, product: str, opened: np.ndarray, closed_: np.ndarray | None = None
    ) -> None:
        cl = closed if closed_ is None else closed_
        h.add(idx[mask], P[product], opened[mask], cl[mask])

    add(np.ones(n, dtype=bool), "demand_deposit", pop.opened)
    time_share = 1 - pop.demand_share - pop.wealth_share
    add((time_share > 0.05) & (pop.aum > 3_000), "time_deposit", later())
    # churners close their wealth products as the money leaves
    wealth_closed = np.where(
        np.isnat(pop.churn_start), closed, pop.churn_start + rng.integers(30, 150, n) * DAY
    )
    wealth_closed = np.where(wealth_closed > end, NAT, wealth_closed)
    add(pop.wealth_share > 0, "wealth", later(), wealth_closed)
    add(loans.agri > 0, "loan_agri", loans.agri_open)
    add(loans.business > 0, "loan_business", loans.business_open)
    consumer_end = loans.consumer_open + 36 * 30 * DAY
    consumer_closed = np.where(consumer_end <= end, consumer_end, closed)
    add(loans.consumer > 0, "loan_consumer", loans.consumer_open, consumer_closed)
    rich = pop.aum >= 50_000
    young = pop.age < 60
    p_cc = 0.04 + 0.22 * rich + 0.16 * ((pop.occupation == CIVIL) | (pop.occupation == TEACHER))
    p_cc = np.where(young, p_cc, p_cc * 0.2)
    cc_closed = np.where(rng.random(n) < 0.06, later(), closed)
    add(rng.random(n) < p_cc, "credit_card", later(), cc_closed)
    has_mobile = ~np.isnat(pop.mobile_adopted)
    add(has_mobile, "mobile_banking", pop.mobile_adopted)
    p_ib = 0.05 + 0.12 * ((pop.occupation == MERCHANT) | (pop.occupation == CIVIL))
    add(rng.random(n) < p_ib, "internet_banking", later())
    add((pop.occupation == MERCHANT) & (rng.random(n) < 0.72), "pos_merchant", later())
    p_pm = np.select([pop.aum >= 6e6, pop.aum >= 5e5, rich], [0.3, 0.16, 0.05], 0.003)
    add(rng.random(n) < p_pm, "precious_metals", later())
    add(rng.random(n) < 0.05 + 0.1 * rich, "insurance", later())
    p_ss = np.where((pop.age >= 60) | (pop.occupation == RETIREE), 0.86, 0.33)
    add(rng.random(n) < p_ss, "social_security_card", later())
    return h


def holdings_table(
    rng: np.random.Generator,
    h: Holdings,
    pop: Population,
    loans: Loans,
    latest: dict[str, np.ndarray],
    cal: Calendar,
) -> pa.Table:
    """The product_holdings table; balances at end_date, limits for loans and cards."""
    cust = np.concatenate(h.customer)
    prod = np.concatenate(h.product)
    opened = np.concatenate(h.opened)
    closed = np.concatenate(h.closed)
    closed = np.where(~np.isnat(closed) & (closed < opened), opened, closed)
    n = len(cust)
    balance = np.full(n, np.nan)
    limit = np.full(n, np.nan)
    live = np.isnat(closed)
    end = np.datetime64(cal.end, "D")
    for name in ("demand_deposit", "time_deposit", "wealth"):
        m = prod == P[name]
        balance[m] = np.where(live[m], latest[name][cust[m]], 0.0)
    in_season = cal.end.month in (3, 4, 5, 6, 7, 8, 9, 10)
    for name, lim, frac in (
        ("loan_agri", loans.agri, 0.85 if in_season else 0.0),
        ("loan_business", loans.business, 0.7),
    ):
        m = prod == P[name]
        limit[m] = np.maximum(lim[cust[m]], 10_000)
        balance[m] = np.where(live[m], limit[m] * frac * rng.uniform(0.8, 1.0, m.sum()), 0.0)
    m = prod == P["loan_consumer"]
    limit[m] = np.maximum(loans.consumer[cust[m]], 10_000)
    age_m = (end - loans.consumer_open[cust[m]]).astype(float) / 30.4
    balance[m] = np.where(live[m], limit[m] * np.clip(1 - age_m / 36, 0, 1), 0.0)
    m = prod == P["credit_card"]
    limit[m] = np.round(np.clip(pop.income[cust[m]] * 0.4, 5_000, 200_000), -3)
    balance[m] = np.where(live[m], limit[m] * rng.beta(1.2, 4.0, m.sum()), 0.0)
    for name in ("precious_metals", "insurance"):
        m = prod == P[name]
        balance[m] = np.where(
            live[m],
            np.round(np.maximum(pop.aum[cust[m]], 5_000) * rng.uniform(0.02, 0.1, m.sum()), -2),
            0.0,
        )
    order = np.lexsort((prod, cust))
    products = np.array(PRODUCTS)
    return pa.table(
        {
            "holding_id": pa.array(np.arange(1, n + 1), pa.int64()),
            "customer_id": pa.array(cust[order] + 1, pa.int64()),
            "branch_id": pa.array(pop.branch[cust[order]] + 1, pa.int32()),
            "product": pa.array(products[prod[order]]),
            "opened_on": pa.array(opened[order], pa.date32()),
            "closed_on": pa.array(closed[order], pa.date32(), mask=np.isnat(closed[order])),
            "balance": pa.array(np.round(balance[order], 2), pa.float64(), from_pandas=True),
            "credit_limit": pa.array(limit[order], pa.float64(), from_pandas=True),
        }
    )


@dataclass
class BranchMonthly:
    """Sums per (branch, month) accumulated while snapshots are written."""

    deposit: np.ndarray
    loan: np.ndarray
    wealth: np.ndarray
    effective: np.ndarray


def _season(cal: Calendar, pop: Population, idx: np.ndarray) -> np.ndarray:
    """Multiplicative seasonal profile of AUM per customer and month."""
    cm = cal.months.astype("datetime64[M]").astype(int) % 12 + 1
    occ = pop.occupation[idx]
    farmer = (occ == FARMER)[:, None]
    migrant = (pop.migrant_family[idx] | (occ == MIGRANT))[:, None]
    harvest = np.isin(cm, (10, 11, 12, 1))[None, :]
    planting = np.isin(cm, (3, 4, 5))[None, :]
    sf = np.isin(cm, (1, 2))[None, :]
    s = np.ones((len(idx), len(cm)))
    s = s * np.where(farmer & harvest, 1.22, 1.0) * np.where(farmer & planting, 0.88, 1.0)
    s = s * np.where(migrant & sf, 1.18, 1.0)
    return s


def snapshot_chunks(
    rng_for: Callable[[int], np.random.Generator],
    pop: Population,
    cal: Calendar,
    loans: Loans,
    n_branches: int,
    chunk: int,
) -> Iterator[tuple[pa.Table, BranchMonthly, dict[str, np.ndarray]]]:
    """Yield balance_snapshots tables per chunk of customers, with branch sums and latest balances."""
    months = cal.months
    n_m = len(months)
    month_end = cal.month_ends()
    cm = months.astype("datetime64[M]").astype(int) % 12 + 1
    for k, lo in enumerate(range(0, pop.n, chunk)):
        rng = rng_for(k)
        idx = np.arange(lo, min(lo + chunk, pop.n))
        c = len(idx)
        alive = (pop.opened[idx, None] < month_end[None, :]) & (
            np.isnat(pop.closed[idx])[:, None] | (pop.closed[idx, None] >= months[None, :])
        )
        steps = rng.normal(rng.normal(0.002, 0.004, c)[:, None], 0.045, (c, n_m))
        walk = np.cumsum(steps, axis=1)
        walk -= walk.mean(axis=1, keepdims=True)
        level = pop.aum[idx, None] * np.exp(walk) * _season(cal, pop, idx)
        # churners: money leaves over the months after churn_start
        cs = pop.churn_start[idx]
        has = ~np.isnat(cs)
        t = np.where(
            has[:, None],
            (months[None, :] - np.where(has, cs, months[0])[:, None]).astype(float) / 225.0,
            -1,
        )
        decay = np.where(t > 0, np.clip(1 - t, 0.04, 1) ** 1.6, 1.0)
        level *= decay
        # new customers build up their balance over the first months
        age_m = (months[None, :] - pop.opened[idx, None]).astype(float) / 30.0
        level *= np.clip(0.25 + age_m / 8, 0.25, 1.0)
        noise = rng.uniform(0.9, 1.1, (c, n_m))
        demand = level * pop.demand_share[idx, None] * noise
        wealth = level * pop.wealth_share[idx, None] * np.where(decay < 0.6, 0.3, 1.0)
        time_ = np.maximum(level - demand - wealth, 0.0)
        # loans: agri drawn in Mar-Apr (春耕), repaid after the harvest; business revolving;
        # consumer amortised over 36 months
        started_a = months[None, :] >= loans.agri_open[idx, None]
        agri_on = np.isin(cm, (3, 4, 5, 6, 7, 8, 9, 10))[None, :] & started_a
        agri_on &= (cm[None, :] != 3) | (rng.random((c, 1)) < 0.5)
        loan = np.where(agri_on, loans.agri[idx, None] * rng.uniform(0.75, 1.0, (c, 1)), 0.0)
        util = np.clip(0.7 + np.cumsum(rng.normal(0, 0.05, (c, n_m)), axis=1), 0.3, 1.0)
        loan += np.where(
            months[None, :] >= loans.business_open[idx, None], loans.business[idx, None] * util, 0.0
        )
        con_age = (months[None, :] - loans.consumer_open[idx, None]).astype(float) / 30.4
        loan += np.where(
            (con_age >= 0) & (con_age < 36), loans.consumer[idx, None] * (1 - con_age / 36), 0.0
        )
        loan = np.where(decay < 0.2, loan * 0.5, loan)
        deposit_end = (demand + time_) * rng.uniform(0.96, 1.04, (c, n_m))
        loan_end = loan * rng.uniform(0.98, 1.0, (c, n_m))

        ci, mi = np.nonzero(alive)
        cust = idx[ci]
        br = pop.branch[cust]
        table = pa.table(
            {
                "customer_id": pa.array(cust + 1, pa.int64()),
                "month": pa.array(months[mi], pa.date32()),
                "branch_id": pa.array(br + 1, pa.int32()),
                "demand_avg": np.round(demand[ci, mi], 2),
                "time_avg": np.round(time_[ci, mi], 2),
                "wealth_avg": np.round(wealth[ci, mi], 2),
                "loan_avg": np.round(loan[ci, mi], 2),
                "deposit_end": np.round(deposit_end[ci, mi], 2),
                "loan_end": np.round(loan_end[ci, mi], 2),
            }
        )
        cell = br * n_m + mi  # (branch, month) as one index for bincount
        size = n_branches * n_m

        def total(weights: np.ndarray, cell: np.ndarray = cell, size: int = size) -> np.ndarray:
            return np.bincount(cell, weights=weights, minlength=size).reshape(n_branches, n_m)

        aum = demand[ci, mi] + time_[ci, mi] + wealth[ci, mi]
        loan_cm = loan[ci, mi]
        sums = BranchMonthly(
            deposit=total(demand[ci, mi] + time_[ci, mi]),
            loan=total(loan_cm),
            wealth=total(wealth[ci, mi]),
            effective=total(((aum >= 5_000) | (loan_cm > 0)).astype(float)),
        )
        last_alive = alive[:, -1]
        latest = {
            "demand_deposit": np.where(last_alive, demand[:, -1], 0.0),
            "time_deposit": np.where(last_alive, time_[:, -1], 0.0),
            "wealth": np.where(last_alive, wealth[:, -1], 0.0),
            "idx": idx,
        }
        yield table, sums, latest


def branch_weekly_table(
    rng: np.random.Generator, cal: Calendar, sums: BranchMonthly
) -> tuple[pa.Table, dict[str, np.ndarray]]:
    """Weekly ledger balances per branch interpolated from the customers' month averages.

    Quarter-end weeks carry the familiar deposit push (冲时点) and the weeks before the Spring
    Festival the remittance bulge.
    """
    mid = cal.months.astype("datetime64[D]") + 14 * DAY
    week_end = cal.weeks + 6 * DAY
    x = week_end.astype(np.int64)
    xp = mid.astype(np.int64)
    n_b = sums.deposit.shape[0]
    qend = np.isin(week_end.astype("datetime64[M]").astype(int) % 12 + 1, (3, 6, 9, 12)) & (
        (week_end + 7 * DAY).astype("datetime64[M]") != week_end.astype("datetime64[M]")
    )
    sf = cal.spring_festival_weeks(3)
    out: dict[str, np.ndarray] = {}
    for name, arr in (
        ("deposit_balance", sums.deposit),
        ("loan_balance", sums.loan),
        ("wealth_balance", sums.wealth),
    ):
        w = np.stack([np.interp(x, xp, arr[b]) for b in range(n_b)])
        w *= rng.normal(1.0, 0.004, w.shape)
        if name == "deposit_balance":
            w *= np.where(qend, 1.03, 1.0)[None, :] * np.where(sf, 1.02, 1.0)[None, :]
        out[name] = np.round(w, 2)
    b_idx, w_idx = np.meshgrid(np.arange(n_b), np.arange(cal.n_weeks), indexing="ij")
    table = pa.table(
        {
            "branch_id": pa.array(b_idx.ravel() + 1, pa.int32()),
            "week_start": pa.array(cal.weeks[w_idx.ravel()], pa.date32()),
            **{k: v.ravel() for k, v in out.items()},
        }
    )
    return table, out
