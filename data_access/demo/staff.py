"""Officers' work: trainings and attendance, weekly visits / calls / counter service / follow-ups,
and the soft footprints they capture — more after a training, for those who attended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pyarrow as pa

from data_access.demo import names
from data_access.demo.calendar import DAY, Calendar
from data_access.demo.organisation import Organisation
from data_access.demo.population import MERCHANT, Population
from data_access.schema import ACTIVITY_KINDS, SOFT_KINDS

TRAININGS = (
    ("足迹思维与客户画像", "Footprint thinking and customer profiles", "footprint_thinking"),
    ("软信息采集实务", "Capturing soft information", "soft_information"),
    ("走访营销技巧", "Visiting and selling", "marketing"),
    ("贷前调查与交叉验证", "Pre-loan checks against footprints", "credit_risk"),
    ("手机银行推广", "Promoting mobile banking", "digital"),
    ("客户档案规范", "Keeping customer records complete", "data_quality"),
    ("财富客户经营", "Serving wealth customers", "wealth"),
)
SEC_PER_DAY = 86_400


@dataclass
class Staff:
    """Trainings, attendance and each officer's weekly uplift factor."""

    trainings: pa.Table
    attendance: pa.Table
    uplift: np.ndarray  # officers x weeks multiplier on visits and soft capture
    training_weeks: np.ndarray
    attended: np.ndarray  # officers x trainings


def build_trainings(rng: np.random.Generator, cal: Calendar, org: Organisation) -> Staff:
    """About six trainings; a random subset of officers invited, most of them attend."""
    n_t = 6
    # spread over the two years, leaving 12 weeks before and 8 after for before/after comparisons
    wk = np.linspace(12, cal.n_weeks - 10, n_t).astype(int) + rng.integers(-2, 3, n_t)
    wk = np.clip(wk, 8, cal.n_weeks - 6)
    held = cal.weeks[wk] + rng.integers(1, 4, n_t) * DAY  # Tue-Thu
    order = rng.permutation(len(TRAININGS))[:n_t]
    trainings = pa.table(
        {
            "training_id": pa.array(np.arange(1, n_t + 1), pa.int32()),
            "title": [TRAININGS[i][0] for i in order],
            "title_en": [TRAININGS[i][1] for i in order],
            "topic": [TRAININGS[i][2] for i in order],
            "held_on": pa.array(held, pa.date32()),
        }
    )
    n_o = org.n_officers
    invited = rng.random((n_o, n_t)) < 0.35  # not chosen by diligence: a fair comparison
    attended = invited & (rng.random((n_o, n_t)) < 0.85)
    o_idx, t_idx = np.nonzero(invited)
    attendance = pa.table(
        {
            "training_id": pa.array(t_idx + 1, pa.int32()),
            "officer_id": pa.array(o_idx + 1, pa.int32()),
            "branch_id": pa.array(org.officer_branch[o_idx] + 1, pa.int32()),
            "attended": pa.array(attended[o_idx, t_idx]),
        }
    )
    weeks = np.arange(cal.n_weeks)
    uplift = np.ones((n_o, cal.n_weeks))
    for t in range(n_t):
        after = weeks[None, :] > wk[t]
        boost = 0.55 * np.exp(-(weeks[None, :] - wk[t]) / 40.0)
        uplift += np.where(attended[:, t : t + 1] & after, boost, 0.0)
    uplift = np.minimum(uplift, 2.2)
    return Staff(trainings, attendance, uplift, wk, attended)


@dataclass
class Activities:
    officer: np.ndarray
    customer: np.ndarray  # -1 when none
    kind: np.ndarray
    at: np.ndarray  # datetime64[s]
    week: np.ndarray


def build_activities(
    rng: np.random.Generator, cal: Calendar, org: Organisation, pop: Population, staff: Staff
) -> Activities:
    """Weekly activity counts per officer by role, diligence and training uplift."""
    n_o, n_w = org.n_officers, cal.n_weeks
    dil = org.diligence[:, None]
    role = org.officer_role[:, None]
    book = role != 2
    sf_week = cal.spring_festival_weeks(1)[None, :]
    holiday = np.where(sf_week, 0.35, 1.0)
    # officers who left stop working at some week
    stop = np.where(org.officer_active, n_w, rng.integers(n_w // 3, n_w, n_o))
    hired = org.officers.column("hire_date").to_numpy().astype("datetime64[D]")
    start_week = np.searchsorted(cal.weeks, hired)  # no work before the hire date
    weeks = np.arange(n_w)[None, :]
    working = (weeks < stop[:, None]) & (weeks >= start_week[:, None])
    up = staff.uplift
    # small books (a small demo bank) mean fewer contacts; tellers serve the outlet's walk-ins
    book_size = np.bincount(pop.officer[pop.officer >= 0], minlength=n_o)
    scale = np.clip(book_size / 150.0, 0.3, 1.0)[:, None]
    branch_size = np.bincount(pop.branch, minlength=org.n_branches)
    tellers = np.bincount(org.officer_branch[org.officer_role == 2], minlength=org.n_branches)
    walk_ins = np.clip(0.05 * branch_size / np.maximum(tellers, 1), 2.0, 40.0)
    counter = walk_ins[org.officer_branch][:, None] * (0.8 + 0.4 * dil)
    rates = {
        "visit": np.where(book, 0.8 + 5.0 * dil, 0.1) * up * scale,
        "call": np.where(book, 1.5 + 6.0 * dil, 0.3) * (1 + 0.5 * (up - 1)) * scale,
        "counter_service": np.where(book, 2.5 * scale, counter),
        "follow_up": np.where(book, 0.5 + 2.5 * dil * org.skill[:, None], 0.1) * up * scale,
    }
    off_l, kind_l, week_l = [], [], []
    for k, name in enumerate(ACTIVITY_KINDS):
        lam = rates[name] * holiday * working
        cnt = rng.poisson(lam)
        o, w = np.nonzero(cnt)
        reps = cnt[o, w]
        off_l.append(np.repeat(o, reps))
        week_l.append(np.repeat(w, reps))
        kind_l.append(np.full(reps.sum(), k, dtype=np.int8))
    officer = np.concatenate(off_l)
    week = np.concatenate(week_l)
    kind = np.concatenate(kind_l)
    n = len(officer)
    # the customer: from the officer's own book (visits, calls) or anyone at the outlet (counter)
    customer = np.full(n, -1, dtype=np.int64)
    for b in range(org.n_branches):
        in_branch = np.flatnonzero(pop.branch == b)
        rows = np.flatnonzero(org.officer_branch[officer] == b)
        if len(in_branch) == 0 or len(rows) == 0:
            continue
        customer[rows] = in_branch[rng.integers(0, len(in_branch), len(rows))]
    order = np.argsort(pop.officer, kind="stable")
    sorted_off = pop.officer[order]
    starts = np.searchsorted(sorted_off, np.arange(org.n_officers))
    ends = np.searchsorted(sorted_off, np.arange(org.n_officers), side="right")
    size = ends - starts
    own = (kind != ACTIVITY_KINDS.index("counter_service")) & (size[officer] > 0)
    pick = starts[officer[own]] + (rng.random(own.sum()) * size[officer[own]]).astype(np.int64)
    customer[own] = order[pick]
    day = rng.choice(6, n, p=(0.19, 0.19, 0.19, 0.19, 0.17, 0.07))
    secs = rng.integers(int(8.5 * 3600), 18 * 3600, n)
    at = (cal.weeks[week] + day * DAY).astype("datetime64[s]") + secs.astype("timedelta64[s]")
    lo = np.datetime64(cal.start, "s")
    hi = np.datetime64(cal.end + timedelta(days=1), "s")
    ok = (at >= lo) & (at < hi)
    # no activity with a customer before the relationship or after it ended
    has_c = customer >= 0
    cust = np.maximum(customer, 0)
    ok &= ~has_c | (pop.opened[cust].astype("datetime64[s]") <= at)
    ok &= ~has_c | np.isnat(pop.closed[cust]) | (pop.closed[cust].astype("datetime64[s]") > at)
    return Activities(officer[ok], customer[ok], kind[ok], at[ok], week[ok])


def activities_table(act: Activities, org: Organisation) -> pa.Table:
    order = np.argsort(act.at, kind="stable")
    c = act.customer[order]
    return pa.table(
        {
            "activity_id": pa.array(np.arange(1, len(order) + 1), pa.int64()),
            "officer_id": pa.array(act.officer[order] + 1, pa.int32()),
            "branch_id": pa.array(org.officer_branch[act.officer[order]] + 1, pa.int32()),
            "customer_id": pa.array(c + 1, pa.int64(), mask=c < 0),
            "kind": pa.array(np.array(ACTIVITY_KINDS)[act.kind[order]]),
            "occurred_at": pa.array(act.at[order].astype("datetime64[us]")),
        }
    )


_VEHICLES = (
    "大众朗逸",
    "丰田卡罗拉",
    "比亚迪宋",
    "五菱宏光",
    "哈弗H6",
    "别克GL8",
    "奥迪A6L",
    "宝马5系",
    "长安CS75",
    "吉利博越",
)
_BUSINESS = (
    "开小卖部",
    "经营农资店",
    "做建材生意",
    "开饭店",
    "跑货运",
    "养猪场",
    "种植大户(柑橘)",
    "开五金店",
    "做电商卖土特产",
    "开理发店",
)
_FRIENDS = (
    "与村支书交好",
    "常和镇上的个体户打牌",
    "同学在县城当老师",
    "亲戚在深圳开厂",
    "与养殖大户来往密切",
)
_EVENTS = ("儿子结婚", "女儿考上大学", "新房装修", "孙子满月", "父亲住院", "子女出国读书")
_PLACES = ("常去县城菜市场", "每周去城关镇赶集", "常在镇卫生院", "常去县城汽车站", "常在村委会")
_INTERESTS = ("喜欢钓鱼", "爱打麻将", "广场舞", "喜欢买金饰", "关注理财", "爱看戏曲")
FUEL_PRICE = {92: 7.6, 95: 8.1, 98: 9.0}


def soft_footprints_table(
    rng: np.random.Generator, act: Activities, org: Organisation, pop: Population, staff: Staff
) -> pa.Table:
    """Soft footprints captured during activities, at rates set by diligence and training uplift.

    Fuel receipts are left by car owners; their grade and litres grow with the customer's wealth.
    """
    base = np.array([0.22, 0.07, 0.035, 0.10])[act.kind]  # visit, call, counter, follow-up
    p = base * (0.3 + 1.4 * org.diligence[act.officer]) * staff.uplift[act.officer, act.week] ** 0.6
    take = (rng.random(len(p)) < np.minimum(p, 0.95)) & (act.customer >= 0)
    c = act.customer[take]
    o = act.officer[take]
    at = act.at[take] + rng.integers(0, 3600, take.sum()).astype("timedelta64[s]")
    src = np.array(["visit", "call", "counter", "visit"])[act.kind[take]]
    # customers also show things at the counter themselves (a receipt, a wedding invitation)
    n = len(c)
    car = pop.car[c]
    merchant = pop.occupation[c] == MERCHANT
    u = rng.random(n)
    kinds = np.array(SOFT_KINDS)
    # fuel_receipt, vehicle, business_circle, friend_circle, family_event, frequent_place, interest
    probs = np.tile([0.02, 0.0, 0.04, 0.22, 0.2, 0.27, 0.25], (n, 1))
    probs[car] = [0.42, 0.14, 0.04, 0.1, 0.1, 0.1, 0.1]
    probs[merchant] += np.array([0.0, 0.0, 0.45, 0.0, 0.0, 0.0, 0.0])
    cdf = np.cumsum(probs, axis=1)
    cdf /= cdf[:, -1:]
    kind = (u[:, None] > cdf).sum(axis=1)
    aum = pop.aum[c]
    lg = np.log10(np.maximum(aum, 100))
    is_fuel = kind == 0
    # grade: the wealthy buy 98#, the mass 92# (motorbikes and small vans too)
    p98 = np.clip(0.03 + 0.3 * (lg - 4.7), 0.02, 0.8)
    p95 = np.clip(0.3 + 0.08 * (lg - 4.0), 0.2, 0.5)
    g = rng.random(n)
    grade = np.where(g < p98, 98, np.where(g < p98 + p95, 95, 92))
    litres = np.clip(rng.lognormal(np.log(np.clip(14 + 12 * (lg - 3.5), 8, 80)), 0.3), 5, 120)
    litres = np.where(car, litres, np.minimum(litres * 0.35, 15))
    litres = np.round(litres, 1)
    fuel_amount = np.round(litres * np.vectorize(FUEL_PRICE.get)(grade), 2) if n else np.zeros(0)
    vehicle_value = np.round(np.clip(aum * rng.uniform(0.05, 0.3, n), 40_000, 900_000), -3)
    event_value = np.round(rng.lognormal(np.log(30_000), 0.8, n), -2)
    amount = np.select(
        [is_fuel, kind == 1, kind == 4], [fuel_amount, vehicle_value, event_value], np.nan
    )
    town = np.array(org.branch_town)[pop.town[c]]
    detail = np.empty(n, dtype=object)
    pick = lambda seq: np.array(seq, dtype=object)[rng.integers(0, len(seq), n)]  # noqa: E731
    veh, bus, fri, evt, plc, intr = (
        pick(s) for s in (_VEHICLES, _BUSINESS, _FRIENDS, _EVENTS, _PLACES, _INTERESTS)
    )
    for i in range(n):
        k = kind[i]
        if k == 0:
            detail[i] = f"加油小票 {grade[i]}# {litres[i]:g}升"
        elif k == 1:
            detail[i] = f"开{veh[i]}"
        elif k == 2:
            detail[i] = bus[i] if merchant[i] else "帮亲戚看店"
        elif k == 3:
            detail[i] = fri[i]
        elif k == 4:
            detail[i] = evt[i]
        elif k == 5:
            detail[i] = plc[i]
        else:
            detail[i] = intr[i]
    source = np.where((kind == 0) & (rng.random(n) < 0.5), "counter", src)
    source = np.where((kind == 4) & (rng.random(n) < 0.2), "customer", source)
    order = np.argsort(at, kind="stable")
    return pa.table(
        {
            "soft_id": pa.array(np.arange(1, n + 1), pa.int64()),
            "customer_id": pa.array(c[order] + 1, pa.int64()),
            "officer_id": pa.array(o[order] + 1, pa.int32()),
            "branch_id": pa.array(pop.branch[c[order]] + 1, pa.int32()),
            "captured_at": pa.array(at[order].astype("datetime64[us]")),
            "kind": pa.array(kinds[kind[order]]),
            "source": pa.array(source[order]),
            "fuel_grade": pa.array(grade[order], pa.int32(), mask=~is_fuel[order]),
            "litres": pa.array(litres[order], pa.float64(), mask=~is_fuel[order]),
            "amount": pa.array(amount[order], pa.float64(), from_pandas=True),
            "place": pa.array(town[order]),
            "detail": pa.array(detail[order].tolist(), pa.string()),
            "confidence": np.round(rng.uniform(0.55, 0.95, n)[order], 2),
        }
    )


def town_names(org: Organisation) -> list[str]:
    return list(org.branch_town) + list(names.CITIES)
