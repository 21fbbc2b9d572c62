"""Audit of what a customer is worth to the bank and how loyal: the segments page's CLV (segment
total and by tier) and the loyalty page's overview (customers, average score, each component's
mean, the score bands, customers at churn risk and the value at stake), at the three audit dates.

For the officer's book it also checks the customer page's own figures of one customer (CLV,
P(alive), and the loyalty score where the loyalty mart is, at the data's end).

Both rest on model outputs, recomputed here from the published definitions and parameters: BG/NBD
(Fader, Hardie & Lee 2005, eq. 6 fitted by maximum likelihood, P(alive) by eq. 11) on days with a
self-initiated transaction, in weeks (``[clv]``); CLV = P(alive) x monthly margin on the last full
month's balances and the products' annual fees x sum of ((1 - attrition) / (1 + discount))^i over
the horizon; loyalty = 100 x sum of weight x component (``[loyalty]``, docs/customer-value.md).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import numpy as np
import pytest
import sqlalchemy as sa
from scipy.optimize import minimize
from scipy.special import betaln, gammaln

from dashboard.loaders.customer import load_record
from dashboard.loaders.loyalty import load_overview
from dashboard.loaders.segments import load_breakdown, load_summary
from data_access.filters import Scope
from data_access.queries.value import SegmentDefinition
from data_access.selection import Selection
from metrics.standards import load_standards
from tests.audit.conftest import DATA_END
from tests.audit.test_value_audit import (
    OPEN,
    RFM,
    TIERS,
    _last_full_month,
    _month_back,
    _scope_sql,
    _segment,
)
from tests.conftest import sql_rows as rows

STD = load_standards()

# BG/NBD's summary: frequency = transaction days - 1, recency and T in days (to weeks below)
SUMMARY = """
WITH days AS (
  SELECT customer_id, CAST(occurred_at AS DATE) AS d FROM footprints
  WHERE self_initiated AND occurred_at < :hi GROUP BY 1, 2
)
SELECT customer_id, count(*) - 1, max(d) - min(d), :as_of - min(d) FROM days GROUP BY customer_id"""

BALANCES = """
SELECT c.customer_id, c.branch_id, c.officer_id,
  coalesce(s.demand_avg, 0), coalesce(s.time_avg, 0), coalesce(s.wealth_avg, 0),
  coalesce(s.loan_avg, 0)
FROM customers c
LEFT JOIN balance_snapshots s ON s.customer_id = c.customer_id AND s.month = :m_last
WHERE {open}"""

FEES = """
SELECT h.customer_id, h.product FROM product_holdings h JOIN customers c
  ON c.customer_id = h.customer_id
WHERE h.opened_on <= :as_of AND (h.closed_on IS NULL OR h.closed_on > :as_of) AND {open}"""

LOYALTY = """
SELECT c.customer_id, c.branch_id, c.officer_id, c.opened_on,
  (SELECT count(DISTINCT h.product) FROM product_holdings h WHERE h.customer_id = c.customer_id
     AND h.opened_on <= :as_of AND (h.closed_on IS NULL OR h.closed_on > :as_of)),
  (SELECT min(h.opened_on) FROM product_holdings h WHERE h.customer_id = c.customer_id
     AND h.opened_on <= :as_of),
  (SELECT count(*) FROM footprints f WHERE f.customer_id = c.customer_id AND f.direction = 'in'
     AND f.kind IN ('salary', 'pension', 'subsidy') AND f.occurred_at >= :look AND f.occurred_at < :hi),
  (SELECT count(*) FROM footprints f WHERE f.customer_id = c.customer_id
     AND f.kind = 'bill_payment' AND f.occurred_at >= :look AND f.occurred_at < :hi),
  (SELECT count(*) FROM footprints f WHERE f.customer_id = c.customer_id
     AND f.channel = 'mobile' AND f.occurred_at >= :look AND f.occurred_at < :hi),
  (SELECT count(*) FROM footprints f WHERE f.customer_id = c.customer_id AND f.self_initiated
     AND f.occurred_at >= :recent AND f.occurred_at < :hi),
  (SELECT count(*) FROM footprints f WHERE f.customer_id = c.customer_id AND f.self_initiated
     AND f.occurred_at >= :prior AND f.occurred_at < :recent),
  (SELECT coalesce(sum(f.amount), 0) FROM footprints f WHERE f.customer_id = c.customer_id
     AND f.direction = 'out' AND f.counterparty_type IN ('other_bank', 'internet_platform')
     AND f.occurred_at >= :look AND f.occurred_at < :hi),
  (SELECT coalesce(sum(f.amount), 0) FROM footprints f WHERE f.customer_id = c.customer_id
     AND f.direction = 'out' AND f.occurred_at >= :look AND f.occurred_at < :hi)
FROM customers c WHERE {open} AND {scope}"""


def fit_bgnbd(x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> tuple[float, ...]:
    """Maximum-likelihood (r, alpha, a, b) of FHL 2005 eq. 6, over log-parameters."""
    keys, w = np.unique(np.stack([x, tx, T], axis=1), axis=0, return_counts=True)
    x, tx, T = keys.T

    def nll(theta: np.ndarray) -> float:
        r, alpha, a, b = np.exp(theta)
        head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x) - betaln(a, b)
        stay = -(r + x) * np.log(alpha + T)
        with np.errstate(divide="ignore"):
            left = np.where(
                x > 0,
                np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * np.log(alpha + tx),
                -np.inf,
            )
        return -float(np.sum(w * (head + np.logaddexp(stay, left)))) / w.sum()

    start = np.log([1.0, float(np.average(T, weights=w)), 1.0, 1.0])
    res = minimize(
        nll, start, method="Nelder-Mead", options={"maxiter": 8000, "xatol": 1e-9, "fatol": 1e-12}
    )
    res = minimize(nll, res.x, method="L-BFGS-B", options={"ftol": 1e-15, "gtol": 1e-10})
    return tuple(float(v) for v in np.exp(res.x))


def p_alive(params: tuple[float, ...], x: float, tx: float, T: float) -> float:
    """FHL 2005 eq. 11; 1 for a customer with a single transaction day."""
    r, alpha, a, b = params
    if x == 0:
        return 1.0
    return 1.0 / (1.0 + a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x))


def _params(as_of: date) -> dict[str, object]:
    last = _last_full_month(as_of)
    end = datetime.combine(as_of + timedelta(days=1), time.min)
    return {
        "as_of": as_of,
        "m0": _month_back(last, 12),
        "m_last": last,
        "m_force": as_of.replace(day=1),
        "lo": datetime.combine(as_of - timedelta(days=364), time.min),
        "hi": end,
        "look": end - timedelta(days=int(STD.loyalty.params.get("lookback_days", 180))),
        "recent": end - timedelta(days=90),
        "prior": end - timedelta(days=180),
    }


def _in_scope(scope: Scope, branch: int, officer: int | None) -> bool:
    if scope.level == "bank":
        return True
    if branch != scope.branch_id:
        return False
    return scope.level == "branch" or officer == scope.officer_id


def test_clv_and_loyalty_overview(
    bank: sa.Engine, largest_branch: int, busiest_officer: Scope, as_of: date
) -> None:
    params = _params(as_of)
    cfg = STD.clv
    unit = {"W": 7.0, "D": 1.0}[cfg.time_unit]
    # P(alive): BG/NBD fitted on every customer with a self-initiated day up to as_of
    summary = {
        cid: (float(x), float(r) / unit, float(t) / unit)
        for cid, x, r, t in rows(bank, SUMMARY, **params)
    }
    arr = np.array(list(summary.values()))
    fit = fit_bgnbd(arr[:, 0], arr[:, 1], arr[:, 2])
    alive = {cid: p_alive(fit, *s) for cid, s in summary.items()}
    # CLV of every open customer
    fees: dict[int, float] = {}
    for cid, product in rows(bank, FEES.format(open=OPEN), **params):
        fees[cid] = fees.get(cid, 0.0) + float(cfg.annual_fees.get(product, 0.0))
    g = (1 - cfg.monthly_attrition) / (1 + cfg.monthly_discount_rate)
    factor = sum(g**i for i in range(1, cfg.horizon_months + 1))
    clv: dict[int, tuple[int, int | None, float]] = {}
    for cid, br, off, dem, tim, wea, loan in rows(bank, BALANCES.format(open=OPEN), **params):
        yearly = (
            float(dem) * (cfg.transfer_price - cfg.demand_deposit_rate)
            + float(tim) * (cfg.transfer_price - cfg.time_deposit_rate)
            + float(wea) * cfg.wealth_fee_rate
            + float(loan) * (cfg.loan_rate - cfg.transfer_price - cfg.loan_loss_rate)
            + fees.get(cid, 0.0)
        )
        clv[cid] = (br, off, alive.get(cid, 1.0) * yearly / 12 * factor)
    tiers = dict(rows(bank, TIERS.format(open=OPEN, scope="1 = 1"), **params))
    rfm = {
        cid: _segment(r, fm)
        for cid, r, fm in rows(
            bank, RFM.format(open=OPEN, scope_all="1 = 1", scope="1 = 1"), **params
        )
    }
    aum = {
        cid: float(d) + float(t) + float(w)
        for cid, _, _, d, t, w, _ in rows(bank, BALANCES.format(open=OPEN), **params)
    }
    everyone = SegmentDefinition()
    weights = STD.loyalty.weights()
    depth_sat = next(c for c in STD.loyalty.components if c.code == "product_depth").params[
        "saturation"
    ]
    tenure_sat = next(c for c in STD.loyalty.components if c.code == "tenure").params["saturation"]
    for scope in (Scope.bank(), Scope.branch(largest_branch), busiest_officer):
        where = f"{scope.level} as of {as_of}"
        mine = {cid: v for cid, (b, o, v) in clv.items() if _in_scope(scope, b, o)}
        summary_row = load_summary(Selection(scope), everyone, as_of).row(0, named=True)
        assert summary_row["clv"] == pytest.approx(sum(mine.values()), rel=1e-5), where
        by_tier: dict[str, float] = {}
        for cid, v in mine.items():
            by_tier[tiers[cid]] = by_tier.get(tiers[cid], 0.0) + v
        got_tier: dict[str, float] = {}
        for r in load_breakdown(Selection(scope), everyone, as_of).iter_rows(named=True):
            got_tier[r["tier"]] = got_tier.get(r["tier"], 0.0) + r["clv"]
        assert got_tier == pytest.approx(by_tier, rel=1e-5), f"{where}: CLV by tier"

        # the loyalty overview
        scores: dict[int, tuple[float, ...]] = {}
        for (
            cid,
            _,
            _,
            opened,
            types,
            first_held,
            income,
            bills,
            mobile,
            recent,
            prior,
            ext,
            out,
        ) in rows(bank, LOYALTY.format(open=OPEN, scope=_scope_sql(scope)), **params):
            first = min(opened, first_held) if first_held else opened
            prior, recent, out = float(prior), float(recent), float(out)
            comps = {
                "product_depth": min(types / depth_sat, 1.0),
                "tenure": min((as_of - first).days / 365.25 / tenure_sat, 1.0),
                "primary_bank": ((income > 0) + (bills > 0) + (mobile > 0)) / 3,
                "activity_trend": min(recent / prior / 2, 1.0) if prior else float(recent > 0),
                "outflow": 1 - min(float(ext) / out, 1.0) if out > 0 else 1.0,
                "p_alive": alive.get(cid, 0.5),
            }
            score = min(max(100 * sum(weights[k] * comps[k] for k in weights), 0.0), 100.0)
            scores[cid] = (score, *(comps[k] for k in weights))
        ov = load_overview(Selection(scope), as_of, 10_000)
        assert ov.customers == len(scores), where
        assert ov.average == pytest.approx(np.mean([s[0] for s in scores.values()]), rel=1e-6)
        for i, code in enumerate(weights, start=1):
            want = np.mean([s[i] for s in scores.values()])
            assert ov.means[code] == pytest.approx(want, rel=1e-5, abs=1e-9), f"{where} {code}"
        bands = [0] * 10
        for s in scores.values():
            bands[min(int(s[0] // 10), 9)] += 1
        assert ov.bands["customers"].to_list() == bands, f"{where}: bands"
        below = STD.loyalty.params["churn_risk_below"]
        # the churn-risk list: worth a call (AUM bar) and a reason, the first that holds
        at_risk = {}
        for cid, s in scores.items():
            if aum.get(cid, 0.0) < STD.loyalty.params["churn_min_aum"]:
                continue
            seg = rfm.get(cid)
            if seg in ("cant_lose", "at_risk"):
                at_risk[cid] = f"rfm_{seg}"
            elif s[0] < below:
                at_risk[cid] = "low_loyalty"
        assert ov.at_risk == len(at_risk), where
        assert ov.value_at_stake == pytest.approx(sum(aum[c] for c in at_risk)), where
        listed = dict(zip(ov.churn["customer_id"], ov.churn["churn_reason"], strict=True))
        assert listed == at_risk, f"{where}: who is on the churn list, and why"
        if scope.level == "officer":  # the customer page: one customer's own figures
            book = sorted(mine)
            for cid in book[:: max(len(book) // 20, 1)]:
                marts = load_record(scope, cid, as_of)["marts"]
                value = marts["value"]
                # the refit's optimum agrees to ~2e-5 of a customer's figure (its sum to 1e-5)
                assert value["clv"] == pytest.approx(mine[cid], rel=1e-4, abs=1e-6), cid
                assert value["p_alive"] == pytest.approx(alive.get(cid, 1.0), rel=1e-4), cid
                if as_of == DATA_END:  # the loyalty mart is as of the data's end
                    got = marts["loyalty"]["loyalty"]
                    # its P(alive) component carries the refit's difference; shown to 0 decimals
                    assert got == pytest.approx(scores[cid][0], abs=0.01), cid
