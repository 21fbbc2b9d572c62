"""Hard footprints: every transaction of two years, generated per chunk of customers.

Each *stream* (payments, withdrawals, salary, pension, remittances ...) has a rate per customer and
week; Poisson counts are expanded into rows with vectorised draws of time, channel, amount, place
and counterparty. Seasonality lives in the weekly profiles (Spring Festival, 春耕, harvest), the
channel shift in each customer's mobile-banking adoption date, churn in a decay of activity and
a rise of transfers out to other banks and internet platforms, dormancy (睡眠户) in a customer who
stops transacting while credits still arrive. Monthly loan instalments are standing debits: not
self-initiated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
SEAT = 0  # place code of the county seat (城关镇), where salaries and pensions are paid
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


@dataclass
class _Chunk:
    """One chunk of customers: what every stream draws on, and the rows the streams add."""

    rng: np.random.Generator
    idx: np.ndarray  # global customer indexes, contiguous
    occ: np.ndarray
    age: np.ndarray
    income: np.ndarray
    aum: np.ndarray
    opened: np.ndarray
    closed: np.ndarray
    alive: np.ndarray  # customers x weeks, inside the relationship
    churn_t: np.ndarray  # customers x weeks, progress of churn (-1 before it starts, up to 1)
    in_churn: np.ndarray
    awake: np.ndarray  # customers x weeks, False once a dormant customer has stopped (睡眠户)
    life: np.ndarray  # alive and awake, damped as churn progresses
    act: np.ndarray  # activity, a column
    sf: np.ndarray  # Spring Festival weeks, a row
    ticket: np.ndarray  # a customer's typical amount multiplier, from income
    home: np.ndarray  # home town
    city: np.ndarray  # the family's city
    batches: list[Rows] = field(default_factory=list)

    def home_place(self, c: np.ndarray, p_seat: float = 0.2) -> np.ndarray:
        """The customer's town, now and then the county seat."""
        pl = self.home[c].astype(np.int16)
        return np.where(self.rng.random(len(c)) < p_seat, SEAT, pl).astype(np.int16)

    def add(
        self,
        c: np.ndarray,
        t: np.ndarray,
        kind: str,
        channel: np.ndarray | str,
        amount: np.ndarray,
        place: np.ndarray | None = None,
        mcat: np.ndarray | None = None,
        cparty: np.ndarray | str | None = None,
    ) -> None:
        """Add rows of one kind; a channel or counterparty given by name applies to every row."""
        n = len(c)
        self.batches.append(
            Rows(
                c,
                t,
                np.full(n, K[kind], dtype=np.int8),
                channel if isinstance(channel, np.ndarray) else _codes(n, CH[channel]),
                amount,
                np.full(n, -1, dtype=np.int16) if place is None else place,
                np.full(n, -1, dtype=np.int16) if mcat is None else mcat,
                cparty if isinstance(cparty, np.ndarray) else _codes(n, CP[cparty or "none"]),
            )
        )

    def add_paid(
        self,
        c: np.ndarray,
        t: np.ndarray,
        kind: str,
        amount: np.ndarray,
        place: np.ndarray | None,
        cparty: str,
    ) -> None:
        """Add rows paid in by an institution through the internet channel (salary, interest…)."""
        self.add(c, t, kind, _codes(len(c), CH["internet"]), amount, place, None, cparty)


class FootprintGenerator:
    """Generates footprints for one chunk of customers at a time."""

    def __init__(
        self,
        cal: Calendar,
        org: Organisation,
        pop: Population,
        loans: Loans,
        repayments_stop: np.ndarray | None = None,
    ) -> None:
        self.cal, self.org, self.pop, self.loans = cal, org, pop, loans
        # per customer, the second (from the first Monday) their loan repayments stop: borrowers
        # planted to default (data_access.demo.credit.choose_credit_plants); -1 = never
        stop = np.full(pop.n, np.datetime64("NaT"), "datetime64[D]")
        if repayments_stop is not None:
            stop = repayments_stop
        self.repay_stop_s = np.where(
            np.isnat(stop),
            np.iinfo(np.int64).max,
            (stop - cal.weeks[0]).astype(np.int64) * S_PER_DAY,
        )
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

    def _self_channel(
        self,
        cx: _Chunk,
        c: np.ndarray,
        t: np.ndarray,
        mobile_p: float,
        offline: tuple[str, ...],
        offline_p: tuple[float, ...],
    ) -> np.ndarray:
        """Channel of self-initiated rows: mobile once adopted, else an offline channel."""
        rng = cx.rng
        adopted = self.pop.mobile_adopted[cx.idx[c]]
        ts = self.t0 + t.astype("timedelta64[s]")
        has = ~np.isnat(adopted) & (adopted.astype("datetime64[s]") <= ts)
        frac = (t / (self.cal.n_weeks * 7 * S_PER_DAY)).clip(0, 1)
        mob = has & (rng.random(len(c)) < mobile_p + 0.2 * frac)
        off = np.array([CH[o] for o in offline], dtype=np.int8)[
            rng.choice(len(offline), len(c), p=offline_p)
        ]
        # village agent points and ATMs take over from the counter as the years pass
        to_agent = (off == CH["counter"]) & (rng.random(len(c)) < 0.35 * frac)
        off = np.where(to_agent, CH["agent"], off).astype(np.int8)
        return np.where(mob, CH["mobile"], off).astype(np.int8)

    def _week_of(self, t: np.ndarray) -> np.ndarray:
        """Week index of each row's time."""
        return (t // (7 * S_PER_DAY)).clip(0, self.cal.n_weeks - 1)

    # --- one chunk -----------------------------------------------------------------------------

    def chunk(self, rng: np.random.Generator, idx: np.ndarray) -> tuple[pa.Table, np.ndarray]:
        """Footprints of the customers ``idx`` (global indexes); returns the table and row count."""
        if len(idx) == 0 or idx[-1] - idx[0] != len(idx) - 1 or len(idx) >= 1 << 20:
            raise ValueError("a footprint chunk is a contiguous range of < 2**20 customers")
        cx = self._context(rng, idx)
        # the streams draw from one generator in this order: reordering them changes the demo bank
        for stream in (
            self._payments,
            self._cash,
            self._harvest,
            self._lump_income,
            self._transfers_out,
            self._transfers_in,
            self._bills,
            self._salaries,
            self._pensions,
            self._subsidies,
            self._remittances,
            self._interest,
            self._loans,
        ):
            stream(cx)
        return self._assemble(cx)

    def _context(self, rng: np.random.Generator, idx: np.ndarray) -> _Chunk:
        """The chunk's customers, their weekly life and activity, as every stream needs them."""
        pop, cal = self.pop, self.cal
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
        # a dormant customer (睡眠户) stops transacting: only credits arrive from then on
        dormant = pop.dormant_from[idx]
        awake = np.isnat(dormant)[:, None] | (week_start[None, :] < dormant[:, None])
        income = pop.income[idx]
        return _Chunk(
            rng=rng,
            idx=idx,
            occ=pop.occupation[idx],
            age=pop.age[idx],
            income=income,
            aum=pop.aum[idx],
            opened=opened,
            closed=closed,
            alive=alive,
            churn_t=churn_t,
            in_churn=in_churn,
            awake=awake,
            life=alive * act_decay * awake,
            act=pop.activity[idx][:, None],
            sf=self.sf[None, :],
            ticket=np.clip(income / 30_000, 0.2, 20) ** 0.6,
            home=pop.town[idx],
            city=self.n_towns + (idx * 7 + 3) % len(names.CITIES),  # each family's city
        )

    # --- the streams, each adds its rows to the chunk ---------------------------------------

    def _payments(self, cx: _Chunk) -> None:
        """Payments (consumption), with the Spring Festival spending spike."""
        rng, occ = cx.rng, cx.occ
        lam = cx.act * 0.2 * cx.life * (1 + 1.3 * cx.sf)
        c, t = self._expand_weekly(rng, lam)
        cat_p = np.array([0.3, 0.06, 0.16, 0.06, 0.07, 0.08, 0.04, 0.03, 0.06, 0.02, 0.1, 0.02])
        mc = rng.choice(len(cat_p), len(c), p=cat_p).astype(np.int16)
        wk = self._week_of(t)
        spring = np.isin(self.week_month[wk], (3, 4))
        mc = np.where(
            (occ[c] == FARMER) & spring & (rng.random(len(c)) < 0.5), MC["agri_supplies"], mc
        )
        mc = np.where(self.pop.car[cx.idx[c]] & (rng.random(len(c)) < 0.12), MC["fuel"], mc)
        mc = np.where(
            self.sf[wk] > 0, np.where(rng.random(len(c)) < 0.15, MC["jewellery"], mc), mc
        ).astype(np.int16)
        amt = rng.lognormal(np.log(70 * cx.ticket[c]), 0.9) * (1 + 0.8 * self.sf[wk])
        amt = np.where(mc == MC["fuel"], rng.uniform(150, 450, len(c)), amt)
        ch = self._self_channel(cx, c, t, 0.55, ("pos", "counter", "agent"), (0.85, 0.05, 0.10))
        migrant_here = occ[c] == MIGRANT
        pl = np.where(
            migrant_here & (rng.random(len(c)) < 0.7) & ~self.sf[wk].astype(bool),
            cx.city[c],
            cx.home_place(c, 0.25),
        )
        pl = np.where(mc == MC["online_shopping"], -1, pl)
        cx.add(c, t, "payment", ch, amt, pl.astype(np.int16), mc, _codes(len(c), CP["merchant"]))

    def _cash(self, cx: _Chunk) -> None:
        """Cash withdrawals (the old at the counter) and deposits."""
        rng = cx.rng
        lam = cx.act * 0.09 * cx.life * (1 + 0.9 * cx.sf)
        c, t = self._expand_weekly(rng, lam)
        old = cx.age[c] >= 60
        ch = np.where(
            old,
            np.array([CH["counter"], CH["agent"], CH["atm"]], np.int8)[
                rng.choice(3, len(c), p=(0.5, 0.3, 0.2))
            ],
            np.array([CH["atm"], CH["counter"], CH["agent"]], np.int8)[
                rng.choice(3, len(c), p=(0.55, 0.3, 0.15))
            ],
        )
        amt = np.round(rng.lognormal(np.log(600 * cx.ticket[c]), 0.8), -2).clip(100)
        cx.add(c, t, "withdrawal", ch, amt, cx.home_place(c), None, "none")

        lam = cx.act * 0.05 * cx.life
        c, t = self._expand_weekly(rng, lam)
        ch = np.array([CH["counter"], CH["atm"], CH["agent"]], np.int8)[
            rng.choice(3, len(c), p=(0.6, 0.25, 0.15))
        ]
        amt = np.round(rng.lognormal(np.log(1500 * cx.ticket[c]), 0.9), -2).clip(100)
        cx.add(c, t, "deposit", ch, amt, cx.home_place(c), None, "none")

    def _harvest(self, cx: _Chunk) -> None:
        """Harvest: farmers sell the crop in Sep-Oct and bank the cash."""
        rng = cx.rng
        harvest = np.isin(self.week_month, (9, 10)).astype(float)[None, :]
        lam = np.where((cx.occ == FARMER)[:, None], 0.4, 0.0) * harvest * cx.alive * cx.awake
        c, t = self._expand_weekly(rng, lam)
        share = cx.income[c] * 0.45 / (0.4 * 8.7)
        amt = np.round(share * rng.lognormal(0, 0.35, len(c)), -1)
        cash = rng.random(len(c)) < 0.45
        ch = np.where(
            cash, np.where(rng.random(len(c)) < 0.5, CH["counter"], CH["agent"]), CH["internet"]
        ).astype(np.int8)
        cx.add(c[cash], t[cash], "deposit", ch[cash], amt[cash], cx.home_place(c[cash]))
        card = ~cash
        pl = cx.home_place(c[card], 0.4)
        cx.add(c[card], t[card], "transfer_in", ch[card], amt[card], pl, None, "merchant")

    def _lump_income(self, cx: _Chunk) -> None:
        """The rest of the income in lumps: odd jobs and produce, money from the city, parents'
        transfers to students (so declared income can be checked)."""
        rng, occ, idx = cx.rng, cx.occ, cx.idx
        gap = np.array([0.35, 0.0, 0.0, 0.0, 0.0, 0.0, 0.8])[occ]
        unsalaried_migrant = (occ == MIGRANT) & ((idx * 2654435761) % 10 >= 7)
        gap = np.where(unsalaried_migrant, 0.7, gap)
        lam = np.where(gap > 0, 5 / 52, 0.0)[:, None] * cx.life
        c, t = self._expand_weekly(rng, lam)
        amt = np.round(cx.income[c] * gap[c] / 5 * rng.lognormal(-0.1, 0.45, len(c)), -1)
        as_cash = rng.random(len(c)) < 0.5
        ch = self._self_channel(cx, c, t, 0.3, ("counter", "atm", "agent"), (0.5, 0.3, 0.2))
        cx.add(
            c[as_cash], t[as_cash], "deposit", ch[as_cash], amt[as_cash], cx.home_place(c[as_cash])
        )
        pl = np.where(occ[c] == MIGRANT, cx.city[c], cx.home[c]).astype(np.int16)
        sent = ~as_cash
        mobile = _codes(sent.sum(), CH["mobile"])
        cx.add(c[sent], t[sent], "transfer_in", mobile, amt[sent], pl[sent], None, "individual")

    def _transfers_out(self, cx: _Chunk) -> None:
        """Transfers out, rising to other banks and platforms for churners."""
        rng, in_churn, churn_t = cx.rng, cx.in_churn, cx.churn_t
        lam = cx.act * 0.12 * cx.alive * cx.awake * np.where(in_churn, 1 + 3.0 * churn_t, 1.0)
        lam = lam + np.where(in_churn, 0.15 * churn_t, 0.0) * cx.alive  # moving the savings away
        c, t = self._expand_weekly(rng, lam)
        ct = churn_t[c, self._week_of(t)]
        leaving = ct > 0
        cp_norm = np.array(
            [CP["own_bank"], CP["individual"], CP["other_bank"], CP["internet_platform"]], np.int8
        )[rng.choice(4, len(c), p=(0.3, 0.44, 0.17, 0.09))]
        cp_leave = np.array([CP["other_bank"], CP["internet_platform"], CP["individual"]], np.int8)[
            rng.choice(3, len(c), p=(0.55, 0.3, 0.15))
        ]
        cp = np.where(leaving & (rng.random(len(c)) < 0.35 + 0.6 * ct), cp_leave, cp_norm)
        amt = rng.lognormal(np.log(900 * cx.ticket[c]), 1.0)
        amt = np.where(
            leaving & ((cp == CP["other_bank"]) | (cp == CP["internet_platform"])),
            cx.aum[c] * rng.uniform(0.03, 0.15, len(c)) + amt,
            amt,
        )
        ch = self._self_channel(cx, c, t, 0.7, ("counter", "internet", "agent"), (0.75, 0.15, 0.1))
        cx.add(c, t, "transfer_out", ch, amt, cx.home_place(c), None, cp)

    def _transfers_in(self, cx: _Chunk) -> None:
        """Transfers in from people; merchants' takings settle daily."""
        rng = cx.rng
        lam = cx.act * 0.035 * cx.life
        c, t = self._expand_weekly(rng, lam)
        amt = rng.lognormal(np.log(700 * cx.ticket[c]), 1.0)
        mobile = _codes(len(c), CH["mobile"])
        cx.add(c, t, "transfer_in", mobile, amt, cx.home_place(c, 0.3), None, "individual")
        lam = np.where((cx.occ == MERCHANT)[:, None], 0.35, 0.0) * cx.life
        c, t = self._expand_weekly(rng, lam)
        amt = np.round(cx.income[c] * 3.0 / (0.35 * 52) * rng.lognormal(0, 0.5, len(c)), 2)
        pos, pl = _codes(len(c), CH["pos"]), cx.home[c].astype(np.int16)
        cx.add(c, t, "transfer_in", pos, amt, pl, None, "merchant")

    def _bills(self, cx: _Chunk) -> None:
        """Bills: telephone, supermarket accounts, school fees."""
        rng = cx.rng
        lam = np.clip(cx.act, 0, 1.2) * 0.09 * cx.life
        c, t = self._expand_weekly(rng, lam)
        ch = self._self_channel(cx, c, t, 0.8, ("counter", "agent"), (0.6, 0.4))
        mc = np.where(rng.random(len(c)) < 0.6, MC["telecom"], MC["supermarket"]).astype(np.int16)
        mc = np.where(rng.random(len(c)) < 0.15, MC["education"], mc).astype(np.int16)
        amt = np.round(rng.lognormal(np.log(120), 0.6, len(c)), 2)
        cx.add(c, t, "bill_payment", ch, amt, None, mc, "merchant")

    def _salaries(self, cx: _Chunk) -> None:
        """Salary: civil servants and teachers on the 10th; migrant workers from the city."""
        rng, occ, idx = cx.rng, cx.occ, cx.idx
        sal = np.flatnonzero((occ == CIVIL) | (occ == TEACHER))
        c, t = self._monthly(sal, 10)
        amt = np.round(cx.income[c] * 0.85 / 12 * rng.uniform(0.98, 1.03, len(c)), 2)
        cx.add_paid(c, t, "salary", amt, _codes(len(c), SEAT, np.int16), "employer")
        mig = np.flatnonzero((occ == MIGRANT) & ((idx * 2654435761) % 10 < 7))
        c, t = self._monthly(mig, 15, 4)
        amt = np.round(cx.income[c] * 0.55 / 12 * rng.uniform(0.8, 1.2, len(c)), 2)
        cx.add_paid(c, t, "salary", amt, cx.city[c].astype(np.int16), "employer")
        # year-end wages paid in the weeks before the Spring Festival
        lam = np.where(occ == MIGRANT, 1.0, 0.0)[:, None] * cx.alive * (self.sf[None, :] / 3.0)
        c, t = self._expand_weekly(rng, lam)
        amt = np.round(cx.income[c] * 0.3 * rng.uniform(0.7, 1.3, len(c)), 2)
        cx.add_paid(c, t, "salary", amt, cx.city[c].astype(np.int16), "employer")

    def _pensions(self, cx: _Chunk) -> None:
        """Pensions: retirees monthly on the 15th, the rural basic pension for farmers 60+."""
        c, t = self._monthly(np.flatnonzero(cx.occ == RETIREE), 15)
        amt = np.round(cx.income[c] * 0.9 / 12, 2)
        cx.add_paid(c, t, "pension", amt, _codes(len(c), SEAT, np.int16), "government")
        c, t = self._monthly(np.flatnonzero((cx.occ == FARMER) & (cx.age >= 60)), 20)
        amt = np.round(np.full(len(c), 210.0) + (cx.idx[c] % 5) * 15, 2)
        cx.add_paid(c, t, "pension", amt, _codes(len(c), SEAT, np.int16), "government")

    def _subsidies(self, cx: _Chunk) -> None:
        """Farm subsidies: quarterly, plus the farmland subsidy in May."""
        fi = np.flatnonzero(cx.occ == FARMER)
        for months, day, low, high in (((3, 6, 9, 12), 25, 300, 1200), ((5,), 18, 800, 3500)):
            c, t = self._on_months(fi, months, day)
            amt = np.round(cx.rng.uniform(low, high, len(c)), 2)
            cx.add_paid(c, t, "subsidy", amt, _codes(len(c), SEAT, np.int16), "government")

    def _remittances(self, cx: _Chunk) -> None:
        """Remittances from children working in cities, peaking before the Spring Festival."""
        rng = cx.rng
        mf = self.pop.migrant_family[cx.idx]
        lam = np.where(mf, 0.14, 0.0)[:, None] * cx.alive * (1 + 11.0 * cx.sf)
        c, t = self._expand_weekly(rng, lam)
        wk = self._week_of(t)
        amt = np.round(rng.lognormal(np.log(np.where(self.sf[wk] > 0, 3000, 800)), 0.6), -1)
        mobile, pl = _codes(len(c), CH["mobile"]), cx.city[c].astype(np.int16)
        cx.add(c, t, "remittance_in", mobile, amt, pl, None, "individual")

    def _interest(self, cx: _Chunk) -> None:
        """Interest, quarterly on the 21st, on demand and time deposits."""
        dep = np.flatnonzero(cx.aum >= 5_000)
        c, t = self._on_months(dep, (3, 6, 9, 12), 21)
        demand = self.pop.demand_share[cx.idx[c]]
        amt = np.round(cx.aum[c] * (demand * 0.001 + (1 - demand) * 0.016) / 4, 2)
        cx.add_paid(c, t, "interest", np.maximum(amt, 0.01), None, "own_bank")

    def _loans(self, cx: _Chunk) -> None:
        """Loans: 春耕 draws in Mar-Apr repaid after the harvest; business draws; instalments."""
        rng, idx, loans, week_start = cx.rng, cx.idx, self.loans, self.cal.weeks
        home = cx.home
        ag = np.flatnonzero(loans.agri[idx] > 0)
        spring = np.isin(self.week_month, (3, 4)).astype(float)[None, :]
        lam = np.where(loans.agri[idx] > 0, 1.0 / 8.7, 0.0)[:, None] * spring * cx.alive * cx.awake
        lam *= week_start[None, :] >= loans.agri_open[idx][:, None]
        c, t = self._expand_weekly(rng, lam)
        amt = np.round(loans.agri[idx[c]] * rng.uniform(0.6, 1.0, len(c)), -2)
        ch = self._self_channel(cx, c, t, 0.3, ("counter",), (1.0,))
        cx.add(c, t, "loan_draw", ch, amt, home[c].astype(np.int16), None, "own_bank")
        c, t = self._on_months(ag, (11,), 20)
        amt = np.round(loans.agri[idx[c]] * rng.uniform(0.6, 1.05, len(c)), -2)
        counter = _codes(len(c), CH["counter"])
        cx.add(c, t, "loan_repayment", counter, amt, home[c].astype(np.int16), None, "own_bank")
        bz = loans.business[idx] > 0
        lam = (
            np.where(bz, 4 / 52, 0.0)[:, None]
            * cx.life
            * (week_start[None, :] >= loans.business_open[idx][:, None])
        )
        c, t = self._expand_weekly(rng, lam)
        amt = np.round(loans.business[idx[c]] * rng.uniform(0.1, 0.4, len(c)), -2)
        ch = self._self_channel(cx, c, t, 0.3, ("counter",), (1.0,))
        cx.add(c, t, "loan_draw", ch, amt, home[c].astype(np.int16), None, "own_bank")
        inst = np.flatnonzero(bz | (loans.consumer[idx] > 0))
        c, t = self._monthly(inst, 25, 5)
        lim = loans.business[idx[c]] + loans.consumer[idx[c]]
        amt = np.round(lim * rng.uniform(0.02, 0.04, len(c)), 2)
        cx.add_paid(c, t, "loan_repayment", amt, None, "own_bank")

    # --- assembly ------------------------------------------------------------------------------

    def _assemble(self, cx: _Chunk) -> tuple[pa.Table, int]:
        """One table of the chunk's rows inside each relationship and the window, in time order;
        also adds the chunk to the accumulators."""
        cal, idx, batches = self.cal, cx.idx, cx.batches
        cust = np.concatenate([b.cust for b in batches])
        t = np.concatenate([b.t for b in batches])
        # per customer: first and last second (from the calendar's first Monday) of the history
        first_s = ((np.maximum(cx.opened, cal.start64) - cal.weeks[0]).astype(np.int64)) * S_PER_DAY
        last_d = np.where(np.isnat(cx.closed), cal.end64, np.minimum(cx.closed, cal.end64))
        last_s = ((last_d - cal.weeks[0]).astype(np.int64)) * S_PER_DAY
        # Rows go out in time order within a chunk of customers: DuckDB's zone maps then skip
        # most row groups for a period (a few weeks of each chunk per row group), while a
        # customer's rows stay within the chunk's ~20 row groups.
        key = (t << 20) | cust.astype(np.int64)  # chunks hold fewer than 2**20 customers
        keep = (t >= first_s[cust]) & (t < last_s[cust])
        kinds = np.concatenate([b.kind for b in batches])
        keep &= (kinds != K["loan_repayment"]) | (t < self.repay_stop_s[idx[cust]])
        order = np.argsort(key)
        order = order[keep[order]]
        cust, t = cust[order], t[order]
        kind = kinds[order]
        channel = np.concatenate([b.channel for b in batches])[order]
        amount = np.concatenate([b.amount for b in batches])[order].astype(np.float64)
        amount = np.maximum(np.round(amount, 2), 0.01)
        place = np.concatenate([b.place for b in batches])[order]
        mcat = np.concatenate([b.mcat for b in batches])[order]
        cparty = np.concatenate([b.cparty for b in batches])[order]
        g = idx[cust]
        branch = self.pop.branch[g]
        direction_in = _IS_IN[kind]
        self._accumulate(cx, cust, t, kind, amount, cparty, branch, direction_in)
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
                # the monthly instalment is a standing debit, not the customer's own act
                "self_initiated": pa.array(
                    SELF_BY_KIND[kind]
                    & ~((kind == K["loan_repayment"]) & (channel == CH["internet"]))
                ),
            }
        )
        return table, len(cust)

    def _accumulate(
        self,
        cx: _Chunk,
        cust: np.ndarray,
        t: np.ndarray,
        kind: np.ndarray,
        amount: np.ndarray,
        cparty: np.ndarray,
        branch: np.ndarray,
        direction_in: np.ndarray,
    ) -> None:
        """Money in per customer-month; money out to other banks per branch-week."""
        idx, n_w = cx.idx, self.cal.n_weeks
        m_idx = np.searchsorted(self.month_s, t, side="right") - 1
        n_m = self.acc.inflow_month.shape[1]
        flat = cust[direction_in] * n_m + m_idx[direction_in]
        self.acc.inflow_month[idx[0] : idx[-1] + 1] += (
            np.bincount(flat, weights=amount[direction_in], minlength=len(idx) * n_m)
            .reshape(len(idx), n_m)
            .astype(np.float32)
        )
        out_other = (kind == K["transfer_out"]) & _IS_LEAVING[cparty]
        w_idx = self._week_of(t)
        n_b = self.acc.outflow_other_week.shape[0]
        self.acc.outflow_other_week += np.bincount(
            branch[out_other] * n_w + w_idx[out_other],
            weights=amount[out_other],
            minlength=n_b * n_w,
        ).reshape(n_b, n_w)


def _codes(n: int, code: int, dtype: type = np.int8) -> np.ndarray:
    """``n`` copies of one channel or counterparty code (places: ``dtype=np.int16``)."""
    return np.full(n, code, dtype)


def _dict(codes: np.ndarray, vocab) -> pa.Array:
    """A dictionary-encoded string column (nulls where the code is negative)."""
    codes = np.asarray(codes)
    return pa.DictionaryArray.from_arrays(
        pa.array(codes.astype(np.int32), mask=codes < 0), pa.array(list(vocab), pa.string())
    )
