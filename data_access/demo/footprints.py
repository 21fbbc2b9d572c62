"""Hard footprints: every transaction of two years, generated per chunk of customers.

Each *stream* (payments, withdrawals, salary, pension, remittances ...) has a rate per customer and
week; Poisson counts are expanded into rows with vectorised draws of time, channel, amount, place
and counterparty. Seasonality lives in the weekly profiles (Spring Festival, 春耕, harvest), the
channel shift in each customer's mobile-banking adoption date, churn in a decay of activity and
a rise of transfers out to other banks and internet platforms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from data_access.demo import names
from data_access.demo.calendar import DAY, Calendar
from data_access.demo.holdings import Loans
from data_access.demo.organisation import Organisation
from data_access.demo.population import (
    CIVIL,
    FARMER,
    MERCHANT,
    MIGRANT,
    RETIREE,
    TEACHER,
    Population,
)
from data_access.schema import CHANNELS, COUNTERPARTY_TYPES, FOOTPRINT_KINDS

K = {k: i for i, k in enumerate(FOOTPRINT_KINDS)}
CH = {c: i for i, c in enumerate(CHANNELS)}
CP = {c: i for i, c in enumerate(COUNTERPARTY_TYPES)}
MC = {c: i for i, c in enumerate(names.MERCHANT_CATEGORIES)}
NOT_SELF = {"salary", "pension", "subsidy", "interest", "remittance_in", "transfer_in"}
SELF_BY_KIND = np.array([k not in NOT_SELF for k in FOOTPRINT_KINDS])
DIRECTION_BY_KIND = np.array(
    [
        "in"
        if k
        in {
            "deposit",
            "transfer_in",
            "loan_draw",
            "salary",
            "pension",
            "subsidy",
            "remittance_in",
            "interest",
        }
        else "out"
        for k in FOOTPRINT_KINDS
    ]
)
S_PER_DAY = 86_400
_IS_IN = DIRECTION_BY_KIND == "in"
_IS_LEAVING = np.isin(
    np.arange(len(COUNTERPARTY_TYPES)), (CP["other_bank"], CP["internet_platform"])
)
# Monday..Sunday, weekends a little quieter
_WEEKDAY = np.repeat(np.arange(7), (15, 15, 15, 15, 16, 13, 11))


@dataclass
class Rows:
    """Columns of a batch of footprints, as codes."""

    cust: np.ndarray  # chunk-local index
    t: np.ndarray  # seconds since the calendar's first Monday
    kind: np.ndarray
    channel: np.ndarray
    amount: np.ndarray
    place: np.ndarray  # index into the place vocabulary, -1 = none
    mcat: np.ndarray  # merchant category, -1 = none
    cparty: np.ndarray


@dataclass
class Accumulators:
    """Figures other generators need from the footprints (loan checks, weekly targets)."""

    inflow_month: np.ndarray  # customers x months (float32), money in
    outflow_other_week: np.ndarray  # branches x weeks, money out to other banks / platforms


class FootprintGenerator:
    """Generates footprints for one chunk of customers at a time."""

    def __init__(self, cal: Calendar, org: Organisation, pop: Population, loans: Loans) -> None:
        self.cal, self.org, self.pop, self.loans = cal, org, pop, loans
        self.places = list(org.branch_town) + list(names.CITIES)
        self.n_towns = len(org.branch_town)
        self.t0 = cal.weeks[0].astype("datetime64[s]")
        self.t0_us = cal.weeks[0].astype("datetime64[us]").astype(np.int64)
        self.week_s = (cal.weeks - cal.weeks[0]).astype(np.int64) * S_PER_DAY
        self.week_month = cal.week_months()
        self.sf = cal.spring_festival_weeks(3).astype(float)
        self.trend = cal.week_of_year_fraction()
        months = cal.months
        self.month_s = (months - cal.weeks[0]).astype(np.int64) * S_PER_DAY
        self.acc = Accumulators(
            np.zeros((pop.n, len(months)), dtype=np.float32),
            np.zeros((org.n_branches, cal.n_weeks)),
        )

    # --- helpers -----------------------------------------------------------------------------

    def _expand_weekly(
        self, rng: np.random.Generator, lam: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Poisson events per (customer, week) at rates ``lam``, as rows (customer, seconds).

        Draws each customer's total count, then places the events in weeks by inverse CDF over
        the flattened rate matrix: a few draws per event instead of one per customer-week.
        """
        n_c, n_w = lam.shape
        flat = np.ascontiguousarray(lam, dtype=np.float64).ravel()
        cum = np.cumsum(flat)
        row_end = cum[n_w - 1 :: n_w]
        row_tot = np.diff(row_end, prepend=0.0)
        counts = rng.poisson(np.maximum(row_tot, 0.0))
        c = np.repeat(np.arange(n_c), counts)
        u = (row_end[c] - row_tot[c]) + rng.random(len(c)) * row_tot[c]
        pos = np.searchsorted(cum, u, side="right")
        pos = np.clip(pos, c * n_w, c * n_w + n_w - 1)
        w = pos - c * n_w
        day = _WEEKDAY[rng.integers(0, len(_WEEKDAY), len(c))]
        secs = (7 * 3600 + (rng.random(len(c)) + rng.random(len(c))) * 7.5 * 3600).astype(np.int64)
        return c, self.week_s[w] + day * S_PER_DAY + secs

    def _monthly(self, idx: np.ndarray, day: int, hour: int = 3) -> tuple[np.ndarray, np.ndarray]:
        """One row per customer in ``idx`` and month of the window, on ``day`` of the month."""
        first = self.cal.first_window_month
        ms = self.month_s[first:]
        c = np.repeat(idx, len(ms))
        t = np.tile(ms + (day - 1) * S_PER_DAY + hour * 3600, len(idx))
        return c, t

    def _on_months(
        self, idx: np.ndarray, months: tuple[int, ...], day: int
    ) -> tuple[np.ndarray, np.ndarray]:
        first = self.cal.first_window_month
        mnum = self.cal.months[first:].astype("datetime64[M]").astype(int) % 12 + 1
        ms = self.month_s[first:][np.isin(mnum, months)]
        c = np.repeat(idx, len(ms))
        t = np.tile(ms + (day - 1) * S_PER_DAY + 4 * 3600, len(idx))
        return c, t

    # --- one chunk -----------------------------------------------------------------------------

    def chunk(self, rng: np.random.Generator, idx: np.ndarray) -> tuple[pa.Table, np.ndarray]:
        """Footprints of the customers ``idx`` (global indexes); returns the table and row count."""
        pop, cal = self.pop, self.cal
        if len(idx) == 0 or idx[-1] - idx[0] != len(idx) - 1 or len(idx) >= 1 << 20:
            raise ValueError("a footprint chunk is a contiguous range of < 2**20 customers")
        n_w = cal.n_weeks
        occ = pop.occupation[idx]
        age = pop.age[idx]
        income = pop.income[idx]
        aum = pop.aum[idx]
        week_start = cal.weeks
        week_end = cal.weeks + 7 * DAY
        opened = pop.opened[idx]
        closed = pop.closed[idx]
        alive = (opened[:, None] < week_end[None, :]) & (
            np.isnat(closed)[:, None] | (closed[:, None] > week_start[None, :])
        )
        cs = pop.churn_start[idx]
        has_cs = ~np.isnat(cs)
        churn_t = np.where(
            has_cs[:, None],
            (week_start[None, :] - np.where(has_cs, cs, week_start[0])[:, None]).astype(float)
            / 225.0,
            -1.0,
        )
        churn_t = np.clip(churn_t, -1.0, 1.0)
        in_churn = churn_t > 0
        act_decay = np.where(in_churn, np.clip(1 - churn_t, 0.05, 1.0) ** 1.3, 1.0)
        life = alive * act_decay
        act = pop.activity[idx][:, None]
        sf = self.sf[None, :]
        ticket = np.clip(income / 30_000, 0.2, 20) ** 0.6
        batches: list[Rows] = []

        def rows(c, t, kind, channel, amount, place=None, mcat=None, cparty=None) -> None:
            n = len(c)
            full = lambda v, d: np.full(n, d, dtype=np.int16) if v is None else v  # noqa: E731
            batches.append(
                Rows(
                    c,
                    t,
                    np.full(n, K[kind], dtype=np.int8),
                    channel
                    if isinstance(channel, np.ndarray)
                    else np.full(n, CH[channel], np.int8),
                    amount,
                    full(place, -1) if place is None else place,
                    full(mcat, -1) if mcat is None else mcat,
                    cparty
                    if isinstance(cparty, np.ndarray)
                    else np.full(n, CP[cparty or "none"], np.int8),
                )
            )

        home = pop.town[idx]
        seat = 0  # the county seat (城关镇)
        city = self.n_towns + (idx * 7 + 3) % len(names.CITIES)  # each family's city

        def home_place(c: np.ndarray, p_seat: float = 0.2) -> np.ndarray:
            pl = home[c].astype(np.int16)
            return np.where(rng.random(len(c)) < p_seat, seat, pl).astype(np.int16)

        def self_channel(c, t, mobile_p, offline, offline_p) -> np.ndarray:
            adopted = pop.mobile_adopted[idx[c]]
            ts = self.t0 + t.astype("timedelta64[s]")
            has = ~np.isnat(adopted) & (adopted.astype("datetime64[s]") <= ts)
            frac = (t / (n_w * 7 * S_PER_DAY)).clip(0, 1)
            mob = has & (rng.random(len(c)) < mobile_p + 0.2 * frac)
            off = np.array([CH[o] for o in offline], dtype=np.int8)[
                rng.choice(len(offline), len(c), p=offline_p)
            ]
            # village agent points and ATMs take over from the counter as the years pass
            to_agent = (off == CH["counter"]) & (rng.random(len(c)) < 0.35 * frac)
            off = np.where(to_agent, CH["agent"], off).astype(np.int8)
            return np.where(mob, CH["mobile"], off).astype(np.int8)

        # --- payments (consumption), Spring Festival spending spike --------------------------
        lam = act * 0.2 * life * (1 + 1.3 * sf)
        c, t = self._expand_weekly(rng, lam)
        cat_p = np.array([0.3, 0.06, 0.16, 0.06, 0.07, 0.08, 0.04, 0.03, 0.06, 0.02, 0.1, 0.02])
        mc = rng.choice(len(cat_p), len(c), p=cat_p).astype(np.int16)
        wk = (t // (7 * S_PER_DAY)).clip(0, n_w - 1)
        spring = np.isin(self.week_month[wk], (3, 4))
        mc = np.where(
            (occ[c] == FARMER) & spring & (rng.random(len(c)) < 0.5), MC["agri_supplies"], mc
        )
        mc = np.where(pop.car[idx[c]] & (rng.random(len(c)) < 0.12), MC["fuel"], mc)
        mc = np.where(
            self.sf[wk] > 0, np.where(rng.random(len(c)) < 0.15, MC["jewellery"], mc), mc
        ).astype(np.int16)
        amt = rng.lognormal(np.log(70 * ticket[c]), 0.9) * (1 + 0.8 * self.sf[wk])
        amt = np.where(mc == MC["fuel"], rng.uniform(150, 450, len(c)), amt)
        ch = self_channel(c, t, 0.55, ("pos", "counter", "agent"), (0.85, 0.05, 0.10))
        migrant_here = occ[c] == MIGRANT
        pl = np.where(
            migrant_here & (rng.random(len(c)) < 0.7) & ~self.sf[wk].astype(bool),
            city[c],
            home_place(c, 0.25),
        )
        pl = np.where(mc == MC["online_shopping"], -1, pl)
        rows(
            c,
            t,
            "payment",
            ch,
            amt,
            pl.astype(np.int16),
            mc,
            np.full(len(c), CP["merchant"], np.int8),
        )

        # --- cash withdrawals and deposits ---------------------------------------------------
        lam = act * 0.09 * life * (1 + 0.9 * sf)
        c, t = self._expand_weekly(rng, lam)
        old = age[c] >= 60
        ch = np.where(
            old,
            np.array([CH["counter"], CH["agent"], CH["atm"]], np.int8)[
                rng.choice(3, len(c), p=(0.5, 0.3, 0.2))
            ],
            np.array([CH["atm"], CH["counter"], CH["agent"]], np.int8)[
                rng.choice(3, len(c), p=(0.55, 0.3, 0.15))
            ],
        )
        amt = np.round(rng.lognormal(np.log(600 * ticket[c]), 0.8), -2).clip(100)
        rows(c, t, "withdrawal", ch, amt, home_place(c), None, "none")

        lam = act * 0.05 * life
        c, t = self._expand_weekly(rng, lam)
        ch = np.array([CH["counter"], CH["atm"], CH["agent"]], np.int8)[
            rng.choice(3, len(c), p=(0.6, 0.25, 0.15))
        ]
        amt = np.round(rng.lognormal(np.log(1500 * ticket[c]), 0.9), -2).clip(100)
        rows(c, t, "deposit", ch, amt, home_place(c), None, "none")

        # --- harvest: farmers sell the crop in Sep-Oct and bank the cash ---------------------
        farmer = occ == FARMER
        harvest = np.isin(self.week_month, (9, 10)).astype(float)[None, :]
        lam = np.where(farmer[:, None], 0.4, 0.0) * harvest * alive
        c, t = self._expand_weekly(rng, lam)
        share = income[c] * 0.45 / (0.4 * 8.7)
        amt = np.round(share * rng.lognormal(0, 0.35, len(c)), -1)
        cash = rng.random(len(c)) < 0.45
        ch = np.where(
            cash, np.where(rng.random(len(c)) < 0.5, CH["counter"], CH["agent"]), CH["internet"]
        )
        ch = ch.astype(np.int8)
        rows(c[cash], t[cash], "deposit", ch[cash], amt[cash], home_place(c[cash]), None, "none")
        rows(
            c[~cash],
            t[~cash],
            "transfer_in",
            ch[~cash],
            amt[~cash],
            home_place(c[~cash], 0.4),
            None,
            "merchant",
        )

        # --- the rest of the income arrives in lumps: cash from odd jobs and produce, money
        # from the city, parents' transfers to students (so declared income can be checked)
        gap = np.array([0.35, 0.0, 0.0, 0.0, 0.0, 0.0, 0.8])[occ]
        unsalaried_migrant = (occ == MIGRANT) & ((idx * 2654435761) % 10 >= 7)
        gap = np.where(unsalaried_migrant, 0.7, gap)
        lam = np.where(gap > 0, 5 / 52, 0.0)[:, None] * life
        c, t = self._expand_weekly(rng, lam)
        amt = np.round(income[c] * gap[c] / 5 * rng.lognormal(-0.1, 0.45, len(c)), -1)
        as_cash = rng.random(len(c)) < 0.5
        ch = self_channel(c, t, 0.3, ("counter", "atm", "agent"), (0.5, 0.3, 0.2))
        rows(
            c[as_cash],
            t[as_cash],
            "deposit",
            ch[as_cash],
            amt[as_cash],
            home_place(c[as_cash]),
            None,
            "none",
        )
        pl = np.where(occ[c] == MIGRANT, city[c], home[c]).astype(np.int16)
        rows(
            c[~as_cash],
            t[~as_cash],
            "transfer_in",
            np.full((~as_cash).sum(), CH["mobile"], np.int8),
            amt[~as_cash],
            pl[~as_cash],
            None,
            "individual",
        )

        # --- transfers out: rising to other banks and platforms for churners ------------------
        lam = act * 0.12 * alive * np.where(in_churn, 1 + 3.0 * churn_t, 1.0)
        lam = lam + np.where(in_churn, 0.15 * churn_t, 0.0) * alive  # moving the savings away
        c, t = self._expand_weekly(rng, lam)
        wk = (t // (7 * S_PER_DAY)).clip(0, n_w - 1)
        ct = churn_t[c, wk]
        leaving = ct > 0
        cp_norm = np.array(
            [CP["own_bank"], CP["individual"], CP["other_bank"], CP["internet_platform"]], np.int8
        )[rng.choice(4, len(c), p=(0.3, 0.44, 0.17, 0.09))]
        cp_leave = np.array([CP["other_bank"], CP["internet_platform"], CP["individual"]], np.int8)[
            rng.choice(3, len(c), p=(0.55, 0.3, 0.15))
        ]
        cp = np.where(leaving & (rng.random(len(c)) < 0.35 + 0.6 * ct), cp_leave, cp_norm)
        amt = rng.lognormal(np.log(900 * ticket[c]), 1.0)
        amt = np.where(
            leaving & ((cp == CP["other_bank"]) | (cp == CP["internet_platform"])),
            aum[c] * rng.uniform(0.03, 0.15, len(c)) + amt,
            amt,
        )
        ch = self_channel(c, t, 0.7, ("counter", "internet", "agent"), (0.75, 0.15, 0.1))
        rows(c, t, "transfer_out", ch, amt, home_place(c), None, cp)

        # --- transfers in from people; merchants' takings settle daily ----------------------
        lam = act * 0.035 * life
        c, t = self._expand_weekly(rng, lam)
        amt = rng.lognormal(np.log(700 * ticket[c]), 1.0)
        rows(
            c,
            t,
            "transfer_in",
            np.full(len(c), CH["mobile"], np.int8),
            amt,
            home_place(c, 0.3),
            None,
            "individual",
        )
        merchant = occ == MERCHANT
        lam = np.where(merchant[:, None], 0.35, 0.0) * life
        c, t = self._expand_weekly(rng, lam)
        amt = np.round(income[c] * 3.0 / (0.35 * 52) * rng.lognormal(0, 0.5, len(c)), 2)
        rows(
            c,
            t,
            "transfer_in",
            np.full(len(c), CH["pos"], np.int8),
            amt,
            home[c].astype(np.int16),
            None,
            "merchant",
        )

        # --- bills ---------------------------------------------------------------------------
        lam = np.clip(act, 0, 1.2) * 0.09 * life
        c, t = self._expand_weekly(rng, lam)
        ch = self_channel(c, t, 0.8, ("counter", "agent"), (0.6, 0.4))
        mc = np.where(rng.random(len(c)) < 0.6, MC["telecom"], MC["supermarket"]).astype(np.int16)
        mc = np.where(rng.random(len(c)) < 0.15, MC["education"], mc).astype(np.int16)
        rows(
            c,
            t,
            "bill_payment",
            ch,
            np.round(rng.lognormal(np.log(120), 0.6, len(c)), 2),
            None,
            mc,
            "merchant",
        )

        # --- salary: civil servants and teachers on the 10th; migrant workers from the city --
        sal = np.flatnonzero((occ == CIVIL) | (occ == TEACHER))
        c, t = self._monthly(sal, 10)
        amt = np.round(income[c] * 0.85 / 12 * rng.uniform(0.98, 1.03, len(c)), 2)
        rows(
            c,
            t,
            "salary",
            np.full(len(c), CH["internet"], np.int8),
            amt,
            np.full(len(c), seat, np.int16),
            None,
            "employer",
        )
        mig = np.flatnonzero((occ == MIGRANT) & ((idx * 2654435761) % 10 < 7))
        c, t = self._monthly(mig, 15, 4)
        amt = np.round(income[c] * 0.55 / 12 * rng.uniform(0.8, 1.2, len(c)), 2)
        rows(
            c,
            t,
            "salary",
            np.full(len(c), CH["internet"], np.int8),
            amt,
            city[c].astype(np.int16),
            None,
            "employer",
        )
        # year-end wages paid in the weeks before the Spring Festival
        lam = np.where(occ == MIGRANT, 1.0, 0.0)[:, None] * alive * (self.sf[None, :] / 3.0)
        c, t = self._expand_weekly(rng, lam)
        amt = np.round(income[c] * 0.3 * rng.uniform(0.7, 1.3, len(c)), 2)
        rows(
            c,
            t,
            "salary",
            np.full(len(c), CH["internet"], np.int8),
            amt,
            city[c].astype(np.int16),
            None,
            "employer",
        )

        # --- pensions: retirees (monthly, 15th), rural basic pension for farmers 60+ ---------
        ret = np.flatnonzero(occ == RETIREE)
        c, t = self._monthly(ret, 15)
        amt = np.round(income[c] * 0.9 / 12, 2)
        rows(
            c,
            t,
            "pension",
            np.full(len(c), CH["internet"], np.int8),
            amt,
            np.full(len(c), seat, np.int16),
            None,
            "government",
        )
        rural = np.flatnonzero(farmer & (age >= 60))
        c, t = self._monthly(rural, 20)
        amt = np.round(np.full(len(c), 210.0) + (idx[c] % 5) * 15, 2)
        rows(
            c,
            t,
            "pension",
            np.full(len(c), CH["internet"], np.int8),
            amt,
            np.full(len(c), seat, np.int16),
            None,
            "government",
        )

        # --- farm subsidies: quarterly, plus the farmland subsidy in May ---------------------
        fi = np.flatnonzero(farmer)
        for months, day, low, high in (((3, 6, 9, 12), 25, 300, 1200), ((5,), 18, 800, 3500)):
            c, t = self._on_months(fi, months, day)
            amt = np.round(rng.uniform(low, high, len(c)), 2)
            rows(
                c,
                t,
                "subsidy",
                np.full(len(c), CH["internet"], np.int8),
                amt,
                np.full(len(c), seat, np.int16),
                None,
                "government",
            )

        # --- remittances from children working in cities, peaking before Spring Festival -----
        mf = pop.migrant_family[idx]
        lam = np.where(mf, 0.14, 0.0)[:, None] * alive * (1 + 11.0 * sf)
        c, t = self._expand_weekly(rng, lam)
        wk = (t // (7 * S_PER_DAY)).clip(0, n_w - 1)
        amt = np.round(rng.lognormal(np.log(np.where(self.sf[wk] > 0, 3000, 800)), 0.6), -1)
        rows(
            c,
            t,
            "remittance_in",
            np.full(len(c), CH["mobile"], np.int8),
            amt,
            city[c].astype(np.int16),
            None,
            "individual",
        )

        # --- interest, quarterly on the 21st -------------------------------------------------
        dep = np.flatnonzero(aum >= 5_000)
        c, t = self._on_months(dep, (3, 6, 9, 12), 21)
        amt = np.round(
            aum[c]
            * (pop.demand_share[idx[c]] * 0.001 + (1 - pop.demand_share[idx[c]]) * 0.016)
            / 4,
            2,
        )
        rows(
            c,
            t,
            "interest",
            np.full(len(c), CH["internet"], np.int8),
            np.maximum(amt, 0.01),
            None,
            None,
            "own_bank",
        )

        # --- loans: 春耕 draws in Mar-Apr, repaid after the harvest; business draws; instalments
        loans = self.loans
        ag = np.flatnonzero(loans.agri[idx] > 0)
        spring = np.isin(self.week_month, (3, 4)).astype(float)[None, :]
        lam = np.where(loans.agri[idx] > 0, 1.0 / 8.7, 0.0)[:, None] * spring * alive
        lam *= week_start[None, :] >= loans.agri_open[idx][:, None]
        c, t = self._expand_weekly(rng, lam)
        amt = np.round(loans.agri[idx[c]] * rng.uniform(0.6, 1.0, len(c)), -2)
        ch = self_channel(c, t, 0.3, ("counter",), (1.0,))
        rows(c, t, "loan_draw", ch, amt, home[c].astype(np.int16), None, "own_bank")
        c, t = self._on_months(ag, (11,), 20)
        amt = np.round(loans.agri[idx[c]] * rng.uniform(0.6, 1.05, len(c)), -2)
        rows(
            c,
            t,
            "loan_repayment",
            np.full(len(c), CH["counter"], np.int8),
            amt,
            home[c].astype(np.int16),
            None,
            "own_bank",
        )
        bz = loans.business[idx] > 0
        lam = (
            np.where(bz, 4 / 52, 0.0)[:, None]
            * life
            * (week_start[None, :] >= loans.business_open[idx][:, None])
        )
        c, t = self._expand_weekly(rng, lam)
        amt = np.round(loans.business[idx[c]] * rng.uniform(0.1, 0.4, len(c)), -2)
        ch = self_channel(c, t, 0.3, ("counter",), (1.0,))
        rows(c, t, "loan_draw", ch, amt, home[c].astype(np.int16), None, "own_bank")
        inst = np.flatnonzero(bz | (loans.consumer[idx] > 0))
        c, t = self._monthly(inst, 25, 5)
        lim = loans.business[idx[c]] + loans.consumer[idx[c]]
        amt = np.round(lim * rng.uniform(0.02, 0.04, len(c)), 2)
        rows(
            c,
            t,
            "loan_repayment",
            np.full(len(c), CH["internet"], np.int8),
            amt,
            None,
            None,
            "own_bank",
        )

        # --- assemble, drop rows outside the relationship and the window ---------------------
        cust = np.concatenate([b.cust for b in batches])
        t = np.concatenate([b.t for b in batches])
        # per customer: first and last second (from the calendar's first Monday) of the history
        first_s = ((np.maximum(opened, cal.start64) - cal.weeks[0]).astype(np.int64)) * S_PER_DAY
        last_d = np.where(np.isnat(closed), cal.end64, np.minimum(closed, cal.end64))
        last_s = ((last_d - cal.weeks[0]).astype(np.int64)) * S_PER_DAY
        # Rows go out in time order within a chunk of customers: DuckDB's zone maps then skip
        # most row groups for a period (a few weeks of each chunk per row group), while a
        # customer's rows stay within the chunk's ~20 row groups.
        key = (t << 20) | cust.astype(np.int64)  # chunks hold fewer than 2**20 customers
        keep = (t >= first_s[cust]) & (t < last_s[cust])
        order = np.argsort(key)
        order = order[keep[order]]
        cust, t = cust[order], t[order]
        kind = np.concatenate([b.kind for b in batches])[order]
        channel = np.concatenate([b.channel for b in batches])[order]
        amount = np.concatenate([b.amount for b in batches])[order].astype(np.float64)
        amount = np.maximum(np.round(amount, 2), 0.01)
        place = np.concatenate([b.place for b in batches])[order]
        mcat = np.concatenate([b.mcat for b in batches])[order]
        cparty = np.concatenate([b.cparty for b in batches])[order]
        g = idx[cust]
        branch = pop.branch[g]

        # accumulators: money in per customer-month; money out to other banks per branch-week
        direction_in = _IS_IN[kind]
        m_idx = np.searchsorted(self.month_s, t, side="right") - 1
        n_m = self.acc.inflow_month.shape[1]
        flat = cust[direction_in] * n_m + m_idx[direction_in]
        self.acc.inflow_month[idx[0] : idx[-1] + 1] += (
            np.bincount(flat, weights=amount[direction_in], minlength=len(idx) * n_m)
            .reshape(len(idx), n_m)
            .astype(np.float32)
        )
        out_other = (kind == K["transfer_out"]) & _IS_LEAVING[cparty]
        w_idx = (t // (7 * S_PER_DAY)).clip(0, n_w - 1)
        n_b = self.acc.outflow_other_week.shape[0]
        self.acc.outflow_other_week += np.bincount(
            branch[out_other] * n_w + w_idx[out_other],
            weights=amount[out_other],
            minlength=n_b * n_w,
        ).reshape(n_b, n_w)
        occurred_us = self.t0_us + t * 1_000_000

        table = pa.table(
            {
                "customer_id": pa.array(g + 1, pa.int64()),
                "branch_id": pa.array(branch + 1, pa.int32()),
                "occurred_at": pa.array(occurred_us, pa.timestamp("us")),
                "kind": _dict(kind, FOOTPRINT_KINDS),
                "direction": _dict(np.where(direction_in, 0, 1), ("in", "out")),
                "channel": _dict(channel, CHANNELS),
                "amount": amount,
                "place": _dict(place, self.places),
                "merchant_category": _dict(mcat, names.MERCHANT_CATEGORIES),
                "counterparty_type": _dict(cparty, COUNTERPARTY_TYPES),
                "self_initiated": pa.array(SELF_BY_KIND[kind]),
            }
        )
        return table, len(cust)


def _dict(codes: np.ndarray, vocab) -> pa.Array:
    """A dictionary-encoded string column (nulls where the code is negative)."""
    codes = np.asarray(codes)
    return pa.DictionaryArray.from_arrays(
        pa.array(codes.astype(np.int32), mask=codes < 0), pa.array(list(vocab), pa.string())
    )
