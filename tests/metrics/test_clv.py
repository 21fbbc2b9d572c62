"""CLV: rfm_summary on literal transactions, hand-worked BG/NBD values, parameter recovery."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date

import numpy as np
import polars as pl
import pytest

from metrics.clv import (
    BetaGeoFit,
    GammaGammaFit,
    bgnbd_log_likelihood,
    bgnbd_objective,
    clv,
    conditional_expected_spend,
    expected_transactions,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_log_likelihood,
    gamma_gamma_objective,
    p_active,
    p_alive,
    rfm_summary,
)

TX = pl.DataFrame(
    {
        "cid": [1, 1, 1, 1, 2, 3, 3, 3],
        "day": [
            date(2026, 1, 1),
            date(2026, 1, 1),  # same day: merged with the one above
            date(2026, 1, 8),
            date(2026, 1, 15),
            date(2026, 1, 10),
            date(2026, 1, 3),
            date(2026, 1, 31),
            date(2026, 2, 5),  # after observation_end: ignored
        ],
        "amount": [10.0, 5.0, 20.0, 40.0, 7.0, 1.0, 3.0, 99.0],
    }
)


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        pytest.param(
            "D",
            {
                "cid": [1, 2, 3],
                "frequency": [2, 0, 1],
                "recency": [14.0, 0.0, 28.0],
                "T": [30.0, 21.0, 28.0],
                "monetary_value": [30.0, 0.0, 3.0],
            },
            id="days",
        ),
        pytest.param(
            "W",
            {
                "cid": [1, 2, 3],
                "frequency": [2, 0, 1],
                "recency": [2.0, 0.0, 4.0],
                "T": [30 / 7, 3.0, 4.0],
                "monetary_value": [30.0, 0.0, 3.0],
            },
            id="weeks",
        ),
    ],
)
def test_rfm_summary(unit: str, expected: dict) -> None:
    out = rfm_summary(
        TX,
        customer_col="cid",
        date_col="day",
        amount_col="amount",
        observation_end=date(2026, 1, 31),
        time_unit=unit,
    )
    for col, values in expected.items():
        assert out[col].to_list() == pytest.approx(values), col


def test_rfm_summary_rejects_unknown_unit() -> None:
    with pytest.raises(ValueError, match="time_unit"):
        rfm_summary(
            TX,
            customer_col="cid",
            date_col="day",
            amount_col="amount",
            observation_end=date(2026, 1, 31),
            time_unit="M",
        )


FIT = BetaGeoFit(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=0.0, customers=0)


def _likelihood_by_hand(
    r: float, alpha: float, a: float, b: float, x: int, tx: float, T: float
) -> float:
    """FHL 2005 eq. 6 written out with math.lgamma, not logs of sums."""
    beta = lambda p, q: math.exp(math.lgamma(p) + math.lgamma(q) - math.lgamma(p + q))  # noqa: E731
    g = math.exp(math.lgamma(r + x) - math.lgamma(r)) * alpha**r
    first = beta(a, b + x) / beta(a, b) * g / (alpha + T) ** (r + x)
    second = 0.0
    if x > 0:
        second = beta(a + 1, b + x - 1) / beta(a, b) * g / (alpha + tx) ** (r + x)
    return first + second


@pytest.mark.parametrize(
    ("x", "tx", "T"),
    [
        pytest.param(0, 0.0, 38.86, id="no-repeat"),
        pytest.param(2, 30.43, 38.86, id="two-repeats"),
        pytest.param(7, 35.0, 38.0, id="seven-recent"),
        pytest.param(1, 1.0, 30.0, id="one-long-ago"),
    ],
)
def test_log_likelihood_matches_closed_form(x: int, tx: float, T: float) -> None:
    ll = bgnbd_log_likelihood(
        (FIT.r, FIT.alpha, FIT.a, FIT.b), np.array([x]), np.array([tx]), np.array([T])
    )
    assert ll[0] == pytest.approx(
        math.log(_likelihood_by_hand(FIT.r, FIT.alpha, FIT.a, FIT.b, x, tx, T)), rel=1e-10
    )


def test_p_alive_hand_worked() -> None:
    summary = pl.DataFrame(
        {"frequency": [0, 2, 1], "recency": [0.0, 30.43, 1.0], "T": [38.86, 38.86, 30.0]}
    )
    expected = [1.0]
    for x, tx, T in [(2, 30.43, 38.86), (1, 1.0, 30.0)]:
        ratio = FIT.a / (FIT.b + x - 1) * ((FIT.alpha + T) / (FIT.alpha + tx)) ** (FIT.r + x)
        expected.append(1 / (1 + ratio))
    assert p_alive(summary, FIT).to_list() == pytest.approx(expected, rel=1e-12)
    # recent repeat buyers are likelier alive than those silent since their one repeat
    assert expected[1] > expected[2]


def _hyp2f1_series(a: float, b: float, c: float, z: float) -> float:
    term, total = 1.0, 1.0
    for k in range(2000):
        term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
        total += term
        if abs(term) < 1e-16:
            break
    return total


@pytest.mark.parametrize(
    ("x", "tx", "T", "t"),
    [
        pytest.param(0, 0.0, 38.86, 39.0, id="no-repeat"),
        pytest.param(2, 30.43, 38.86, 39.0, id="two-repeats"),
    ],
)
@pytest.mark.parametrize(
    "a", [pytest.param(0.793, id="cdnow-a-below-1"), pytest.param(1.793, id="a-above-1")]
)
def test_expected_transactions_eq10(x: int, tx: float, T: float, t: float, a: float) -> None:
    fit = BetaGeoFit(r=0.243, alpha=4.414, a=a, b=2.426, log_likelihood=0.0, customers=0)
    r, al, a, b = fit.r, fit.alpha, fit.a, fit.b
    z = t / (al + T + t)
    num = (
        (a + b + x - 1)
        / (a - 1)
        * (
            1
            - ((al + T) / (al + T + t)) ** (r + x) * _hyp2f1_series(r + x, b + x, a + b + x - 1, z)
        )
    )
    den = 1 + (x > 0) * a / (b + x - 1) * ((al + T) / (al + tx)) ** (r + x)
    summary = pl.DataFrame({"frequency": [x], "recency": [tx], "T": [T]})
    assert expected_transactions(summary, fit, t).item() == pytest.approx(num / den, rel=1e-9)


def test_conditional_spend_shrinks_towards_population_mean() -> None:
    gg = GammaGammaFit(p=6.0, q=4.0, gamma=15.0, log_likelihood=0.0, customers=0)
    summary = pl.DataFrame({"frequency": [0, 1, 10], "monetary_value": [0.0, 100.0, 100.0]})
    out = conditional_expected_spend(summary, gg).to_list()
    population = 6.0 * 15.0 / 3.0
    assert out[0] == pytest.approx(population)
    assert out[1] == pytest.approx(6.0 * (15.0 + 100.0) / (6.0 + 3.0))
    assert population < out[1] < out[2] < 100.0


def _simulate(n: int, r: float, alpha: float, a: float, b: float, seed: int) -> pl.DataFrame:
    """BG/NBD customers observed for 26..104 weeks (continuous time)."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    T = rng.integers(180, 731, n) / 7
    arrivals = rng.poisson(lam * T)
    lifetime = rng.geometric(p)  # repeat transactions before dropping out
    x = np.minimum(arrivals, lifetime)
    # the x-th of `arrivals` uniform arrival times in [0, T]
    tx = np.where(x > 0, T * rng.beta(np.maximum(x, 1), np.maximum(arrivals - x + 1, 1)), 0.0)
    return pl.DataFrame({"frequency": x, "recency": tx, "T": T})


def test_bgnbd_recovers_parameters() -> None:
    truth = (1.5, 3.0, 2.0, 6.0)
    fit = fit_bgnbd(_simulate(50_000, *truth, seed=7))
    for got, want, name in zip(
        (fit.r, fit.alpha, fit.a, fit.b), truth, ["r", "alpha", "a", "b"], strict=True
    ):
        assert got == pytest.approx(want, rel=0.05), name
    assert fit.customers == 50_000
    assert fit.log_likelihood < 0


def test_gamma_gamma_recovers_parameters() -> None:
    p, q, gamma = 6.0, 4.0, 15.0
    rng = np.random.default_rng(1)
    x = rng.integers(1, 6, 50_000)
    nu = rng.gamma(q, 1 / gamma, x.size)
    m = rng.gamma(p * x, 1 / (nu * x))  # mean of x Gamma(p, nu) spends
    summary = pl.DataFrame(
        {
            "frequency": np.concatenate([x, [0, 0]]),
            "monetary_value": np.concatenate([m, [0.0, 0.0]]),
        }
    )
    fit = fit_gamma_gamma(summary)
    assert fit.customers == 50_000  # frequency-0 rows left out
    for got, want in zip((fit.p, fit.q, fit.gamma), (p, q, gamma), strict=True):
        assert got == pytest.approx(want, rel=0.05)


def test_clv_is_discounted_margin_on_expected_spend() -> None:
    fit = BetaGeoFit(r=1.5, alpha=3.0, a=2.0, b=6.0, log_likelihood=0.0, customers=0)
    gg = GammaGammaFit(p=6.0, q=4.0, gamma=15.0, log_likelihood=0.0, customers=0)
    summary = pl.DataFrame(
        {
            "frequency": [0, 5, 5],
            "recency": [0.0, 50.0, 5.0],
            "T": [52.0, 52.0, 52.0],
            "monetary_value": [0.0, 200.0, 200.0],
        }
    )
    out = clv(
        summary, fit, gg, horizon_months=12, monthly_discount_rate=0.0, margin=0.01, time_unit="W"
    )
    # with no discounting CLV is exactly expected transactions x spend x margin
    assert out["clv"].to_list() == pytest.approx(
        (out["expected_transactions"] * out["expected_spend"] * 0.01).to_list()
    )
    discounted = clv(
        summary, fit, gg, horizon_months=12, monthly_discount_rate=0.01, margin=0.01, time_unit="W"
    )
    assert (discounted["clv"] < out["clv"]).all()
    # the recent buyer is worth more than the one silent for 47 weeks
    assert out["clv"][1] > out["clv"][2]
    assert out["p_alive"].to_list()[0] == 1.0


def test_fit_rejects_inconsistent_summary() -> None:
    with pytest.raises(ValueError, match="inconsistent"):
        fit_bgnbd(pl.DataFrame({"frequency": [1], "recency": [5.0], "T": [3.0]}))


def test_cdnow_published_example() -> None:
    """FHL 2005: with the CDNOW parameters, a customer with x=2, t_x=30.43, T=38.86 (weeks)
    is expected to make 1.226 repeat purchases in the next 39 weeks."""
    summary = pl.DataFrame({"frequency": [2], "recency": [30.43], "T": [38.86]})
    assert expected_transactions(summary, FIT, 39.0).item() == pytest.approx(1.226, abs=1e-3)


def _assert_gradient(
    objective: Callable[[np.ndarray], tuple[float, np.ndarray]],
    direct: Callable[[np.ndarray], float],
    point: np.ndarray,
) -> None:
    """The objective's value is ``direct``'s, and its gradient the central finite difference."""
    value, grad = objective(point)
    assert value == pytest.approx(direct(point), rel=1e-12)
    eps = 1e-6
    numeric = [
        (direct(point + eps * e) - direct(point - eps * e)) / (2 * eps) for e in np.eye(len(point))
    ]
    assert grad == pytest.approx(numeric, rel=1e-5, abs=1e-8)


@pytest.mark.parametrize(
    "theta",
    [
        pytest.param((1.0, 3.0, 2.0, 6.0), id="moderate"),
        pytest.param((0.243, 4.414, 0.793, 2.426), id="cdnow"),
    ],
)
def test_bgnbd_gradient_matches_finite_differences(theta: tuple[float, ...]) -> None:
    x = np.array([0.0, 1.0, 3.0, 5.0, 2.0])
    tx = np.array([0.0, 2.0, 10.0, 20.0, 3.0])
    T = np.array([30.0, 25.0, 30.0, 40.0, 10.0])
    w = np.array([3.0, 1.0, 2.0, 1.0, 1.0])
    objective = bgnbd_objective(x, tx, T, w)
    point = np.log(theta)

    def direct(th: np.ndarray) -> float:
        ll = bgnbd_log_likelihood(tuple(np.exp(th)), x, tx, T)
        return -float(np.dot(w, ll)) / w.sum()

    _assert_gradient(objective, direct, point)


def test_gamma_gamma_gradient_matches_finite_differences() -> None:
    x, m, w = np.array([1.0, 2.0, 5.0]), np.array([10.0, 20.0, 5.0]), np.array([1.0, 2.0, 1.0])
    objective = gamma_gamma_objective(x, m, w)
    point = np.log([2.0, 3.0, 7.0])

    def direct(th: np.ndarray) -> float:
        return -float(np.dot(w, gamma_gamma_log_likelihood(tuple(np.exp(th)), x, m))) / w.sum()

    _assert_gradient(objective, direct, point)


def test_bank_clv_worked_example() -> None:
    """docs/customer-value.md: the margin on balances and fees, survival-weighted, discounted."""
    from metrics.clv import bank_clv, survival_discount_factor
    from metrics.standards import load_standards

    std = load_standards().clv
    frame = pl.DataFrame(
        {
            "customer_id": [1, 2],
            "demand_avg": [40_000.0, 40_000.0],
            "time_avg": [60_000.0, 60_000.0],
            "wealth_avg": [20_000.0, 20_000.0],
            "loan_avg": [100_000.0, 100_000.0],
            "annual_fees": [80.0, 80.0],
            "p_alive": [0.9, None],
        }
    )
    out = bank_clv(frame, std)
    # 40,000 x 2.05% + 60,000 x 0.55% + 20,000 x 0.4% + 100,000 x 2.2% + 80 = 3,510 a year
    assert out["monthly_margin"].to_list() == pytest.approx([292.5, 292.5])
    factor = sum((0.992 / 1.004) ** i for i in range(1, 37))
    assert survival_discount_factor(std) == pytest.approx(factor)
    assert out["clv"].to_list() == pytest.approx([0.9 * 292.5 * factor, 292.5 * factor])
    assert out["clv"][0] == pytest.approx(7_646.21, abs=0.01)


def test_p_active_hand_worked() -> None:
    """P(a transaction in the next t) = P(alive) x (1 - ((alpha + T) / (alpha + T + t))^(r + x))."""
    summary = pl.DataFrame({"frequency": [0, 2], "recency": [0.0, 30.43], "T": [38.86, 38.86]})
    alive = p_alive(summary, FIT).to_list()
    expected = [
        a * (1 - ((FIT.alpha + 38.86) / (FIT.alpha + 38.86 + 13.0)) ** (FIT.r + x))
        for a, x in zip(alive, (0, 2), strict=True)
    ]
    assert p_active(summary, FIT, 13.0).to_list() == pytest.approx(expected, rel=1e-12)
    # never above P(alive); longer horizons make a transaction likelier
    assert all(p < a for p, a in zip(expected, alive, strict=True))
    assert p_active(summary, FIT, 52.0)[1] > expected[1]


def test_p_alive_separates_who_stopped_only_when_the_fit_sees_them() -> None:
    """40 customers transacting to the end of 40 weeks and 12 who stopped after week 10-13 (the
    shape of a bank with dormant customers): fitted on everyone, P(alive) tells them apart; fitted
    on the survivors alone (as the old calibration did), the fit finds no dropout at all."""
    regular = [(20, 38.0 + (i % 3) * 0.5, 40.0) for i in range(40)]
    stopped = [(8 + i % 5, 10.0 + i % 4, 40.0) for i in range(12)]
    summary = pl.DataFrame(regular + stopped, schema=["frequency", "recency", "T"], orient="row")
    fit = fit_bgnbd(summary)
    alive = p_alive(summary, fit).to_list()
    assert min(alive[:40]) > 0.9
    assert max(alive[40:]) < 0.01
    survivors = fit_bgnbd(summary.head(40))
    assert fit.a / (fit.a + fit.b) > 0.01  # mean dropout probability after a transaction day
    assert survivors.a / (survivors.a + survivors.b) < 1e-6


def test_the_fits_do_not_depend_on_row_order() -> None:
    """The same customers in another order give the same parameters to the last bit: a refresh
    that reads its rows in another order (an incremental one, a parallel scan) must not move the
    CLV on a page. polars' group_by hands its groups back in no fixed order, and a sum taken in
    another order ends in other last digits, which the optimiser then follows."""
    summary = _simulate(5_000, 1.5, 3.0, 2.0, 6.0, seed=3).with_columns(
        monetary_value=pl.Series(np.random.default_rng(4).gamma(4.0, 5.0, 5_000))
    )
    fits = {
        (fit_bgnbd(s), fit_gamma_gamma(s))
        for s in [summary] + [summary.sample(fraction=1.0, shuffle=True, seed=i) for i in range(8)]
    }
    assert len(fits) == 1, fits
