"""Campaigns and their funnels: targeted → contacted → interested → applied → converted.

Each targeted customer moves through the stages in order, inside the campaign's conversion window;
contact depends on the officer's diligence, interest and application on how well the product fits
the customer, and closing on the officer's skill.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pyarrow as pa

from data_access.demo.calendar import DAY, SPRING_FESTIVALS, Calendar
from data_access.demo.holdings import Holdings, P
from data_access.demo.organisation import Organisation
from data_access.demo.population import CIVIL, FARMER, MERCHANT, RETIREE, TEACHER, Population
from metrics.codes import FUNNEL_STAGES, OCCUPATIONS


@dataclass(frozen=True)
class Template:
    code: str
    name: str
    name_en: str
    product: str
    month: int  # start month each year (0 = relative to the Spring Festival)
    day: int
    window: int
    definition: dict


TEMPLATES = (
    Template(
        "CHUNGENG",
        "春耕贷",
        "Spring-planting loan",
        "loan_agri",
        2,
        20,
        45,
        {"occupation": ["farmer"], "age": [25, 68], "without_product": "loan_agri"},
    ),
    Template(
        "MOBILE",
        "手机银行推广",
        "Mobile banking drive",
        "mobile_banking",
        4,
        8,
        30,
        {"age": [18, 65], "without_product": "mobile_banking"},
    ),
    Template(
        "CARD",
        "信用卡开卡礼",
        "Credit card welcome gift",
        "credit_card",
        6,
        10,
        30,
        {
            "age": [22, 55],
            "tiers": ["affluent", "vip", "private"],
            "occupation_any": ["civil_servant", "teacher", "merchant"],
            "without_product": "credit_card",
        },
    ),
    Template(
        "WEALTH",
        "稳健理财季",
        "Steady wealth season",
        "wealth",
        9,
        1,
        30,
        {"tiers": ["affluent", "vip", "private"], "without_product": "wealth"},
    ),
    Template(
        "ETC",
        "车主ETC信用卡",
        "ETC credit card for car owners",
        "credit_card",
        7,
        15,
        30,
        {"signals": ["car_owner"], "without_product": "credit_card"},
    ),
    Template(
        "GOLD",
        "新春金饰",
        "Spring Festival gold",
        "precious_metals",
        0,
        -35,
        35,
        {"tiers": ["affluent", "vip", "private"], "without_product": "precious_metals"},
    ),
    Template(
        "SSCARD",
        "社保卡激活",
        "Social-security card activation",
        "social_security_card",
        11,
        5,
        30,
        {"age": [58, 100], "without_product": "social_security_card"},
    ),
    Template(
        "DEPOSIT",
        "岁末存款季",
        "Year-end deposit season",
        "time_deposit",
        10,
        20,
        45,
        {"age": [30, 85], "without_product": "time_deposit"},
    ),
    Template(
        "INSURE",
        "惠农保",
        "Farm household insurance",
        "insurance",
        5,
        12,
        30,
        {"occupation": ["farmer", "merchant"], "without_product": "insurance"},
    ),
)
TIER_BARS = (0.0, 50_000.0, 500_000.0, 6_000_000.0)
TIER_CODES = ("mass", "affluent", "vip", "private")


@dataclass
class Marketing:
    campaigns: pa.Table
    events: pa.Table
    converted_customer: np.ndarray
    converted_product: np.ndarray
    converted_at: np.ndarray  # datetime64[D]


def _campaign_dates(cal: Calendar) -> list[tuple[Template, date, int]]:
    out = []
    lo = cal.start + timedelta(days=14)
    hi = cal.end - timedelta(days=30)
    for t in TEMPLATES:
        for year in range(cal.start.year, cal.end.year + 1):
            if t.month == 0:
                sf = next((d for d in SPRING_FESTIVALS if d.year == year), None)
                if sf is None:
                    continue
                d = sf + timedelta(days=t.day)
            else:
                d = date(year, t.month, t.day)
            if lo <= d <= hi:
                out.append((t, d, year))
    # about ten campaigns: keep the latest runs (a president reads the recent weeks), dropping
    # older repeats of the less important ones
    out.sort(key=lambda x: x[1], reverse=True)
    keep: list[tuple[Template, date, int]] = []
    seen: dict[str, int] = {}
    for t, d, y in out:
        if seen.get(t.code, 0) >= (2 if t.code in ("CHUNGENG", "GOLD", "MOBILE") else 1):
            continue
        seen[t.code] = seen.get(t.code, 0) + 1
        keep.append((t, d, y))
    keep.sort(key=lambda x: x[1])
    return keep


def _fit(t: Template, pop: Population, idx: np.ndarray, at: np.datetime64) -> np.ndarray:
    """How well the product suits each customer, 0..1 (hidden truth, not the rule that targets)."""
    occ, age, aum, inc = pop.occupation[idx], pop.age[idx], pop.aum[idx], pop.income[idx]
    lg = np.log10(np.maximum(aum, 100))
    if t.product == "loan_agri":
        return np.clip(0.25 + 0.5 * (occ == FARMER) * (age < 62) + 0.1 * (inc > 30_000), 0, 1)
    if t.product == "mobile_banking":
        return np.clip(1.0 - (age - 20) / 55, 0.05, 0.95)
    if t.product == "credit_card":
        return np.clip(
            0.15
            + 0.3 * pop.car[idx]
            + 0.2 * ((occ == CIVIL) | (occ == TEACHER) | (occ == MERCHANT))
            + 0.1 * (lg - 4.5),
            0.02,
            0.95,
        )
    if t.product == "wealth":
        return np.clip(0.1 + 0.25 * (lg - 4.7) + 0.15 * (age > 45), 0.02, 0.95)
    if t.product == "precious_metals":
        return np.clip(0.15 + 0.2 * (lg - 4.7) + 0.2 * pop.migrant_family[idx], 0.02, 0.9)
    if t.product == "social_security_card":
        return np.clip(0.4 + 0.4 * (occ == RETIREE), 0, 0.9)
    if t.product == "time_deposit":
        return np.clip(
            0.15 + 0.12 * (lg - 4.0) + 0.15 * (age > 50) + 0.1 * (occ == RETIREE), 0.02, 0.9
        )
    if t.product == "insurance":
        return np.clip(0.2 + 0.2 * (occ == MERCHANT) + 0.1 * (age > 40), 0, 0.7)
    return np.full(len(idx), 0.3)


def _eligible(t: Template, pop: Population, hold: np.ndarray, at: np.datetime64) -> np.ndarray:
    d = t.definition
    m = pop.alive_between(at, at + DAY) & ~hold
    if "age" in d:
        m &= (pop.age >= d["age"][0]) & (pop.age <= d["age"][1])
    if "occupation" in d:
        m &= np.isin(pop.occupation, [OCCUPATIONS.index(o) for o in d["occupation"]])
    ok = np.ones(pop.n, dtype=bool)
    if "tiers" in d:
        tier = np.searchsorted(TIER_BARS, pop.aum, side="right") - 1
        ok = np.isin(tier, [TIER_CODES.index(x) for x in d["tiers"]])
    if "occupation_any" in d:  # either the tier or one of these occupations
        ok |= np.isin(pop.occupation, [OCCUPATIONS.index(o) for o in d["occupation_any"]])
    m &= ok
    if "signals" in d and "car_owner" in d["signals"]:
        m &= pop.car
    return m


def build_marketing(
    rng: np.random.Generator,
    cal: Calendar,
    org: Organisation,
    pop: Population,
    holdings: Holdings,
) -> Marketing:
    """Campaign rows and funnel events; conversions are returned so products can be opened."""
    plan = _campaign_dates(cal)
    stage_frames = []
    conv_c, conv_p, conv_t = [], [], []
    camp_rows = []
    for cid, (t, start, year) in enumerate(plan, start=1):
        at = np.datetime64(start, "D")
        hold = holdings.holds(pop.n, P[t.product], at)
        elig = np.flatnonzero(_eligible(t, pop, hold, at))
        share = rng.uniform(0.25, 0.5)
        targeted = (
            np.sort(rng.choice(elig, int(len(elig) * share), replace=False)) if len(elig) else elig
        )
        n = len(targeted)
        end = start + timedelta(days=t.window + 14)
        camp_rows.append(
            {
                "campaign_id": cid,
                "code": f"{t.code}{year}",
                "name": f"{year}{t.name}",
                "name_en": f"{t.name_en} {year}",
                "product": t.product,
                "start_date": start,
                "end_date": min(end, cal.end),
                "conversion_window_days": t.window,
                "target_definition": json.dumps(
                    {**t.definition, "product": t.product}, ensure_ascii=False, sort_keys=True
                ),
            }
        )
        if n == 0:
            continue
        fit = _fit(t, pop, targeted, at)
        off = pop.officer[targeted]
        has_off = off >= 0
        dil = np.where(has_off, org.diligence[np.maximum(off, 0)], 0.25)
        skill = np.where(has_off, org.skill[np.maximum(off, 0)], 0.3)
        p_next = np.stack(
            [
                np.ones(n),
                0.3 + 0.6 * dil,
                0.1 + 0.7 * fit,
                0.25 + 0.45 * fit + 0.2 * skill,
                0.35 + 0.35 * skill + 0.25 * fit,
            ],
            axis=1,
        )
        reached = np.cumprod(rng.random((n, 5)) < np.clip(p_next, 0, 0.98), axis=1).astype(bool)
        gaps = np.concatenate(
            [
                rng.integers(0, 3 * 86_400, (n, 1)),
                rng.exponential(np.array([3, 4, 5, 4]) * 86_400, (n, 4)),
            ],
            axis=1,
        ).astype(np.int64)
        t0 = at.astype("datetime64[s]") + np.timedelta64(9 * 3600, "s")
        times = t0 + np.cumsum(gaps, axis=1).astype("timedelta64[s]")
        limit = t0 + np.timedelta64(t.window * 86_400, "s")
        hi = np.datetime64(cal.end + timedelta(days=1), "s")
        reached &= (times < limit) & (times < hi)
        reached = np.cumprod(reached, axis=1).astype(bool)
        ci, si = np.nonzero(reached)
        ev_c = targeted[ci]
        ev_off = off[ci]
        stage_frames.append((np.full(len(ci), cid), ev_c, ev_off, si, times[ci, si]))
        conv = reached[:, 4]
        who = targeted[conv]
        when = times[conv, 4].astype("datetime64[D]")
        conv_c.append(who)
        conv_p.append(np.full(conv.sum(), P[t.product]))
        conv_t.append(when)
        # the product is opened; mobile banking converts change how the customer transacts
        if t.product == "mobile_banking":
            # the conversion is their sign-up: it replaces a natural adoption planned for later
            holdings.drop_opened_after(who, P[t.product], at)
            pop.mobile_adopted[who] = when
        holdings.add(who, P[t.product], when, pop.closed[who])
    campaigns = pa.table(
        {
            "campaign_id": pa.array([r["campaign_id"] for r in camp_rows], pa.int32()),
            **{
                k: pa.array([r[k] for r in camp_rows])
                for k in ("code", "name", "name_en", "product", "start_date", "end_date")
            },
            "conversion_window_days": pa.array(
                [r["conversion_window_days"] for r in camp_rows], pa.int32()
            ),
            "target_definition": pa.array([r["target_definition"] for r in camp_rows]),
        }
    )
    if stage_frames:
        cid = np.concatenate([f[0] for f in stage_frames])
        cust = np.concatenate([f[1] for f in stage_frames])
        off = np.concatenate([f[2] for f in stage_frames])
        stage = np.concatenate([f[3] for f in stage_frames])
        ts = np.concatenate([f[4] for f in stage_frames])
    else:
        cid = cust = off = stage = np.zeros(0, dtype=np.int64)
        ts = np.zeros(0, dtype="datetime64[s]")
    events = pa.table(
        {
            "event_id": pa.array(np.arange(1, len(cid) + 1), pa.int64()),
            "campaign_id": pa.array(cid, pa.int32()),
            "customer_id": pa.array(cust + 1, pa.int64()),
            "officer_id": pa.array(off + 1, pa.int32(), mask=off < 0),
            "branch_id": pa.array(pop.branch[cust] + 1, pa.int32()),
            "stage": pa.array(np.array(FUNNEL_STAGES)[stage]),
            "occurred_at": pa.array(ts.astype("datetime64[us]")),
        }
    )
    cat = lambda xs, dt: np.concatenate(xs) if xs else np.zeros(0, dtype=dt)  # noqa: E731
    return Marketing(
        campaigns,
        events,
        cat(conv_c, np.int64),
        cat(conv_p, np.int64),
        cat(conv_t, "datetime64[D]"),
    )
