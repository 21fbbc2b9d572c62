"""Customer lifetime value: BG/NBD (Fader, Hardie & Lee 2005) and Gamma-Gamma (Fader & Hardie 2013).

Fitting maximises the log-likelihood over log-parameters with scipy; identical customer rows
are grouped and weighted, so a million customers fit in seconds. Scoring also runs on the
distinct rows and is joined back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl
from scipy.optimize import minimize
from scipy.special import betaln, digamma, gammaln, hyp2f1

from metrics.standards import Clv

DAYS_PER = {"D": 1.0, "W": 7.0}
DAYS_PER_MONTH = 365.25 / 12
SUMMARY_COLS = ("frequency", "recency", "T")


@dataclass(frozen=True)
class BetaGeoFit:
    """BG/NBD parameters: purchase rate ~ Gamma(r, alpha), dropout ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    customers: int


@dataclass(frozen=True)
class GammaGammaFit:
    """Gamma-Gamma parameters of the value of a transaction (day)."""

    p: float
    q: float
    gamma: float
    log_likelihood: float
    customers: int


def rfm_summary(
    transactions: pl.DataFrame | pl.LazyFrame,
    *,
    customer_col: str,
    date_col: str,
    amount_col: str,
    observation_end: date,
    time_unit: str = "D",
) -> pl.DataFrame:
    """Transactions -> (customer_col, frequency, recency, T, monetary_value), one row per customer.

    Transactions on the same day are merged into one transaction day; transactions after
    ``observation_end`` are ignored. frequency = transaction days - 1; recency = last - first
    day; T = observation_end - first day (both in days, or weeks for ``time_unit="W"``);
    monetary_value = mean amount of the repeat days (0 when frequency is 0).
    """
    if time_unit not in DAYS_PER:
        raise ValueError(f"time_unit must be 'D' or 'W', not {time_unit!r}")
    unit = DAYS_PER[time_unit]
    end = pl.lit(observation_end, dtype=pl.Date)
    days = (
        transactions.lazy()
        .select(
            pl.col(customer_col),
            pl.col(date_col).cast(pl.Date).alias("_day"),
            pl.col(amount_col).cast(pl.Float64).alias("_amount"),
        )
        .filter(pl.col("_day") <= end)
        .group_by(customer_col, "_day")
        .agg(pl.col("_amount").sum())
    )
    return (
        days.group_by(customer_col)
        .agg(
            (pl.len() - 1).cast(pl.Int64).alias("frequency"),
            pl.col("_day").min().alias("_first"),
            pl.col("_day").max().alias("_last"),
            pl.col("_amount").sort_by("_day").slice(1).sum().alias("_repeat_sum"),
        )
        .select(
            pl.col(customer_col),
            pl.col("frequency"),
            ((pl.col("_last") - pl.col("_first")).dt.total_days() / unit).alias("recency"),
            ((end - pl.col("_first")).dt.total_days() / unit).alias("T"),
            pl.when(pl.col("frequency") > 0)
            .then(pl.col("_repeat_sum") / pl.col("frequency"))
            .otherwise(0.0)
            .alias("monetary_value"),
        )
        .sort(customer_col)
        .collect()
    )


def _wsum(w: np.ndarray, v: np.ndarray) -> float:
    """Weighted sum without BLAS: np.dot's threaded ddot spins badly on a shared, loaded machine."""
    return float(np.multiply(w, v).sum())


def _grouped(summary: pl.DataFrame, cols: tuple[str, ...]) -> tuple[list[np.ndarray], np.ndarray]:
    """Distinct rows of ``cols`` (sorted) and how many customers share each.

    Sorted because polars' group_by returns groups in no fixed order: the likelihood, summed in
    another order, ends in other last digits, and the optimiser follows them, so the same
    customers gave a CLV a few units in the ninth digit apart from one refresh to the next."""
    g = summary.group_by(list(cols)).agg(pl.len().alias("_w")).sort(list(cols))
    return [g[c].cast(pl.Float64).to_numpy() for c in cols], g["_w"].cast(pl.Float64).to_numpy()


def _check_summary(summary: pl.DataFrame) -> None:
    missing = [c for c in SUMMARY_COLS if c not in summary.columns]
    if missing:
        raise ValueError(f"summary lacks columns {missing}")
    if summary.is_empty():
        raise ValueError("cannot fit on an empty summary")
    bad = summary.filter(
        (pl.col("frequency") < 0)
        | (pl.col("recency") < 0)
        | (pl.col("recency") > pl.col("T"))
        | ((pl.col("frequency") == 0) & (pl.col("recency") != 0))
    )
    if not bad.is_empty():
        raise ValueError(
            f"{bad.height} summary rows are inconsistent (need 0 <= recency <= T, recency 0 when frequency 0)"
        )


def bgnbd_log_likelihood(
    params: tuple[float, float, float, float],
    frequency: np.ndarray,
    recency: np.ndarray,
    T: np.ndarray,
) -> np.ndarray:
    """Per-row BG/NBD log-likelihood (FHL 2005, eq. 6) at params (r, alpha, a, b)."""
    r, alpha, a, b = params
    x, tx = frequency, recency
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b)
    a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(
            x > 0,
            np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * np.log(alpha + tx),
            -np.inf,
        )
    return a1 + a2 + np.logaddexp(a3, a4)


def bgnbd_objective(
    x: np.ndarray, tx: np.ndarray, T: np.ndarray, w: np.ndarray
) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    """Mean negative log-likelihood and its gradient in log(r, alpha, a, b), for weighted rows."""
    total = w.sum()
    # the gamma / beta functions depend on x only: evaluate them on the few distinct x
    ux, inv = np.unique(x, return_inverse=True)
    wx = np.bincount(inv, weights=w)  # customers per distinct x
    repeat = x > 0
    shift = np.maximum(x, 1) - 1

    def nll_and_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
        r, alpha, a, b = np.exp(theta)
        per_x = gammaln(r + ux) - gammaln(r) + r * np.log(alpha) + betaln(a, b + ux) - betaln(a, b)
        rx = r + x
        log_t = np.log(alpha + T)
        log_tx = np.log(alpha + tx)
        a3 = -rx * log_t
        with np.errstate(divide="ignore"):
            a4 = np.where(repeat, np.log(a) - np.log(b + shift) - rx * log_tx, -np.inf)
        ll_tail = np.logaddexp(a3, a4)
        w4 = np.exp(a4 - ll_tail)  # weight of the "dropped out after t_x" branch
        w3 = 1.0 - w4
        ll = float(_wsum(wx, per_x) + _wsum(w, ll_tail))
        # gradient in (r, alpha, a, b), then by the chain rule in the log-parameters
        d_r = _wsum(wx, digamma(r + ux) - digamma(r) + np.log(alpha)) - _wsum(
            w, w3 * log_t + w4 * log_tx
        )
        d_alpha = total * r / alpha - _wsum(w, rx * (w3 / (alpha + T) + w4 / (alpha + tx)))
        d_a = _wsum(wx, digamma(a + b) - digamma(a + b + ux)) + _wsum(w, w4) / a
        d_b = _wsum(
            wx, digamma(b + ux) - digamma(a + b + ux) - digamma(b) + digamma(a + b)
        ) - _wsum(w, np.where(repeat, w4 / (b + shift), 0.0))
        grad = -np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b]) / total
        if not np.isfinite(ll) or not np.all(np.isfinite(grad)):
            return 1e100, np.zeros(4)
        return -ll / total, grad

    return nll_and_grad


def fit_bgnbd(summary: pl.DataFrame) -> BetaGeoFit:
    """Maximum-likelihood BG/NBD parameters from (frequency, recency, T)."""
    _check_summary(summary)
    (x, tx, T), w = _grouped(summary, SUMMARY_COLS)
    total = w.sum()
    scale = max(float(np.average(T, weights=w)), 1e-9)
    start = np.log([1.0, scale, 1.0, 1.0])
    res = minimize(
        bgnbd_objective(x, tx, T, w),
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[(-12.0, 12.0)] * 4,
        options={"ftol": 1e-14, "gtol": 1e-9, "maxiter": 2000},
    )
    r, alpha, a, b = (float(v) for v in np.exp(res.x))
    return BetaGeoFit(r, alpha, a, b, -res.fun * total, int(total))


def gamma_gamma_log_likelihood(
    params: tuple[float, float, float], frequency: np.ndarray, monetary: np.ndarray
) -> np.ndarray:
    """Per-row Gamma-Gamma log-likelihood of the mean spend ``monetary`` over ``frequency`` days."""
    p, q, gamma = params
    x, m = frequency, monetary
    return (
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(gamma)
        + (p * x - 1) * np.log(m)
        + p * x * np.log(x)
        - (p * x + q) * np.log(gamma + m * x)
    )


def gamma_gamma_objective(
    x: np.ndarray, m: np.ndarray, w: np.ndarray
) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    """Mean negative log-likelihood and its gradient in log(p, q, gamma), for weighted rows."""
    total = w.sum()
    log_m, log_x, mx = np.log(m), np.log(x), m * x

    def nll_and_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
        p, q, gamma = np.exp(theta)
        px = p * x
        log_gm = np.log(gamma + mx)
        ll_rows = (
            gammaln(px + q)
            - gammaln(px)
            - gammaln(q)
            + q * np.log(gamma)
            + (px - 1) * log_m
            + px * log_x
            - (px + q) * log_gm
        )
        dg_pq = digamma(px + q)
        d_p = _wsum(w, x * (dg_pq - digamma(px) + log_m + log_x - log_gm))
        d_q = _wsum(w, dg_pq - digamma(q) + np.log(gamma) - log_gm)
        d_gamma = _wsum(w, q / gamma - (px + q) / (gamma + mx))
        ll = float(_wsum(w, ll_rows))
        grad = -np.array([d_p * p, d_q * q, d_gamma * gamma]) / total
        if not np.isfinite(ll) or not np.all(np.isfinite(grad)):
            return 1e100, np.zeros(3)
        return -ll / total, grad

    return nll_and_grad


def fit_gamma_gamma(summary: pl.DataFrame) -> GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma parameters from customers with frequency > 0."""
    repeat = summary.filter((pl.col("frequency") > 0) & (pl.col("monetary_value") > 0))
    if repeat.is_empty():
        raise ValueError("Gamma-Gamma needs customers with frequency > 0 and positive spend")
    (x, m), w = _grouped(repeat, ("frequency", "monetary_value"))
    total = w.sum()
    mean_m = float(np.average(m, weights=w))
    start = np.log([2.0, 3.0, mean_m])
    res = minimize(
        gamma_gamma_objective(x, m, w),
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[(-12.0, 20.0)] * 3,
        options={"ftol": 1e-14, "gtol": 1e-9, "maxiter": 2000},
    )
    p, q, gamma = (float(v) for v in np.exp(res.x))
    return GammaGammaFit(p, q, gamma, -res.fun * total, int(total))


def p_alive_np(fit: BetaGeoFit, x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> np.ndarray:
    """P(alive | x, t_x, T) (FHL 2005, eq. 11); 1 when x = 0."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        log_ratio = (
            np.log(fit.a)
            - np.log(fit.b + np.maximum(x, 1) - 1)
            + (fit.r + x) * (np.log(fit.alpha + T) - np.log(fit.alpha + tx))
        )
    return np.where(x > 0, 1.0 / (1.0 + np.exp(log_ratio)), 1.0)


def p_active_np(
    fit: BetaGeoFit, t: float, x: np.ndarray, tx: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """P(at least one transaction in (T, T + t] | x, t_x, T): alive, and then not silent for t.

    Alive, the rate's posterior is Gamma(r + x, alpha + T), so P(no transaction in t) =
    ((alpha + T) / (alpha + T + t))^(r + x).
    """
    silent = np.exp((fit.r + x) * (np.log(fit.alpha + T) - np.log(fit.alpha + T + t)))
    return p_alive_np(fit, x, tx, T) * (1.0 - silent)


def _population_part(fit: BetaGeoFit, t: float, x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Eq. 10's numerator (depends on x and T only, not on t_x): the costly hypergeometric part."""
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    z = t / (alpha + T + t)
    hyp = hyp2f1(r + x, b + x, a + b + x - 1, z)
    first = (a + b + x - 1) / (a - 1)
    return first * (1.0 - np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t))) * hyp)


def expected_transactions_np(
    fit: BetaGeoFit, t: float, x: np.ndarray, tx: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """E[transactions in (T, T + t] | x, t_x, T] (FHL 2005, eq. 10); a = 1 exactly is singular."""
    if t <= 0:
        return np.zeros_like(np.asarray(x, dtype=np.float64))
    if fit.a == 1:
        raise ValueError("expected transactions: eq. 10 is singular at a = 1")
    # eq. 10's denominator is the one of P(alive) (eq. 11)
    return _population_part(fit, t, x, T) * p_alive_np(fit, x, tx, T)


def conditional_expected_spend_np(fit: GammaGammaFit, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """E[value of a transaction day | x, m]: population mean shrunk towards the customer's mean."""
    if fit.q <= 1:
        raise ValueError(f"expected spend is unbounded for q <= 1 (q = {fit.q:.4f})")
    m = np.where(x > 0, m, 0.0)
    return fit.p * (fit.gamma + x * m) / (fit.p * x + fit.q - 1)


def _score(summary: pl.DataFrame, cols: tuple[str, ...], fn) -> pl.Series:  # type: ignore[no-untyped-def]
    """Apply ``fn`` to the distinct rows of ``cols`` and return the values in summary order."""
    distinct = summary.select(cols).unique()
    arrays = [distinct[c].cast(pl.Float64).to_numpy() for c in cols]
    scored = distinct.with_columns(pl.Series("_v", fn(*arrays), dtype=pl.Float64))
    return summary.select(cols).join(scored, on=list(cols), how="left", maintain_order="left")["_v"]


def p_alive(summary: pl.DataFrame, fit: BetaGeoFit) -> pl.Series:
    """P(alive) per summary row."""
    return _score(summary, SUMMARY_COLS, lambda x, tx, T: p_alive_np(fit, x, tx, T)).alias(
        "p_alive"
    )


def p_active(summary: pl.DataFrame, fit: BetaGeoFit, horizon: float) -> pl.Series:
    """P(at least one transaction in the next ``horizon`` time units), per summary row."""
    return _score(
        summary, SUMMARY_COLS, lambda x, tx, T: p_active_np(fit, horizon, x, tx, T)
    ).alias("p_active")


def expected_transactions(summary: pl.DataFrame, fit: BetaGeoFit, horizon: float) -> pl.Series:
    """Expected transaction days in the next ``horizon`` time units, per summary row."""
    if fit.a == 1:
        raise ValueError("expected transactions: eq. 10 is singular at a = 1")
    if horizon <= 0:
        return pl.Series("expected_transactions", [0.0] * summary.height, dtype=pl.Float64)
    part = _score(summary, ("frequency", "T"), lambda x, T: _population_part(fit, horizon, x, T))
    return (part * p_alive(summary, fit)).alias("expected_transactions")


def conditional_expected_spend(summary: pl.DataFrame, fit: GammaGammaFit) -> pl.Series:
    """Expected value of a future transaction day, per summary row."""
    return _score(
        summary,
        ("frequency", "monetary_value"),
        lambda x, m: conditional_expected_spend_np(fit, x, m),
    ).alias("expected_spend")


def clv(
    summary: pl.DataFrame,
    bgnbd: BetaGeoFit,
    gamma_gamma: GammaGammaFit,
    *,
    horizon_months: int,
    monthly_discount_rate: float,
    margin: float,
    time_unit: str = "D",
) -> pl.DataFrame:
    """Summary -> + (p_alive, expected_transactions, expected_spend, clv).

    CLV = sum over months i of (E[transactions in month i]) * expected spend * margin /
    (1 + rate)^i; ``time_unit`` is the unit of recency and T in the summary.
    """
    if time_unit not in DAYS_PER:
        raise ValueError(f"time_unit must be 'D' or 'W', not {time_unit!r}")
    month = DAYS_PER_MONTH / DAYS_PER[time_unit]

    if bgnbd.a == 1:
        raise ValueError("expected transactions: eq. 10 is singular at a = 1")

    def discounted(x: np.ndarray, T: np.ndarray) -> np.ndarray:
        # month i adds E[Y(i months)] - E[Y(i - 1 months)]; P(alive) multiplies every term
        total = np.zeros_like(x)
        prev = np.zeros_like(x)
        for i in range(1, horizon_months + 1):
            cum = _population_part(bgnbd, i * month, x, T)
            total += (cum - prev) / (1.0 + monthly_discount_rate) ** i
            prev = cum
        return total

    alive = p_alive(summary, bgnbd)
    spend = conditional_expected_spend(summary, gamma_gamma)
    horizon = _score(
        summary,
        ("frequency", "T"),
        lambda x, T: _population_part(bgnbd, horizon_months * month, x, T),
    )
    value = _score(summary, ("frequency", "T"), discounted) * alive * spend * margin
    return summary.with_columns(
        alive,
        (horizon * alive).alias("expected_transactions"),
        spend,
        value.alias("clv"),
    )


BANK_CLV_INPUTS = ("demand_avg", "time_avg", "wealth_avg", "loan_avg", "annual_fees", "p_alive")


def monthly_margin(clv_standard: Clv) -> pl.Expr:
    """The bank's expected margin in a month on the customer's balances and products (CNY).

    Deposits earn the transfer price less the rate paid; wealth balances earn their fee rate; loans
    earn their rate less the transfer price and the expected loss; products earn their annual fees.
    """
    s = clv_standard
    yearly = (
        pl.col("demand_avg").fill_null(0.0) * (s.transfer_price - s.demand_deposit_rate)
        + pl.col("time_avg").fill_null(0.0) * (s.transfer_price - s.time_deposit_rate)
        + pl.col("wealth_avg").fill_null(0.0) * s.wealth_fee_rate
        + pl.col("loan_avg").fill_null(0.0) * (s.loan_rate - s.transfer_price - s.loan_loss_rate)
        + pl.col("annual_fees").fill_null(0.0)
    )
    return yearly / 12.0


def survival_discount_factor(clv_standard: Clv) -> float:
    """Sum over months i = 1..horizon of (1 - attrition)^i / (1 + rate)^i (P(alive) aside)."""
    g = (1.0 - clv_standard.monthly_attrition) / (1.0 + clv_standard.monthly_discount_rate)
    n = clv_standard.horizon_months
    return n if g == 1.0 else g * (1.0 - g**n) / (1.0 - g)


def bank_clv(frame: pl.DataFrame, clv_standard: Clv) -> pl.DataFrame:
    """(customer_id, demand_avg, time_avg, wealth_avg, loan_avg, annual_fees, p_alive) -> + (monthly_margin, clv).

    CLV = sum over the horizon's months of P(alive) x (1 - attrition)^i x monthly margin /
    (1 + rate)^i. A customer without a P(alive) (no self-initiated transaction to fit) keeps the
    survival of the attrition rate alone: the balances are still on the books.
    """
    missing = [c for c in BANK_CLV_INPUTS if c not in frame.columns]
    if missing:
        raise ValueError(f"bank_clv needs columns {missing}")
    factor = survival_discount_factor(clv_standard)
    return frame.with_columns(monthly_margin(clv_standard).alias("monthly_margin")).with_columns(
        (pl.col("p_alive").fill_null(1.0) * pl.col("monthly_margin") * factor).alias("clv")
    )
