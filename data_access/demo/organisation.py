"""Outlets and officers, with the hidden traits (skill, diligence, data care) that drive outcomes."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa

from data_access.demo import names
from data_access.demo.calendar import Calendar
from data_access.demo.text import person_names
from metrics.codes import OFFICER_ROLES

ROLES = OFFICER_ROLES


def branch_count(customers: int) -> int:
    """30 outlets up to 20,000 customers, 50 at 1,000,000, at most 80."""
    if customers <= 20_000:
        return 30
    n = 30 + 20 * math.log10(customers / 20_000) / math.log10(50)
    return int(min(80, round(n)))


def officer_count(customers: int, n_branches: int) -> int:
    """About one officer per 2,000 customers, at least three per outlet."""
    return max(3 * n_branches, round(customers / 2_000))


@dataclass
class Organisation:
    """Branches and officers as arrays (index = id - 1) plus the hidden officer traits."""

    branch_town: list[str]
    branch_town_en: list[str]
    branch_weight: np.ndarray  # share of customers per branch
    officer_branch: np.ndarray  # branch index (0-based) per officer
    officer_role: np.ndarray  # index into ROLES
    officer_active: np.ndarray
    skill: np.ndarray  # 0..1, converts interest into sales
    diligence: np.ndarray  # 0..1, visits and calls per week
    data_care: np.ndarray  # 0..1, profile completeness and correctness
    branches: pa.Table
    officers: pa.Table

    @property
    def n_branches(self) -> int:
        return len(self.branch_town)

    @property
    def n_officers(self) -> int:
        return len(self.officer_branch)

    def book_officers(self, branch: int) -> np.ndarray:
        """Officer indexes that keep a customer book at ``branch`` (managers and credit officers)."""
        return np.flatnonzero(
            (self.officer_branch == branch) & (self.officer_role != 2) & self.officer_active
        )


def build_organisation(rng: np.random.Generator, customers: int, cal: Calendar) -> Organisation:
    """Outlets in towns with Chinese names; officers with roles, hire dates and hidden traits."""
    n_b = branch_count(customers)
    n_cg = max(2, n_b // 8)  # outlets in the county seat
    towns = names.TOWNS
    rows: list[tuple[str, str, str, str]] = []
    for i in range(n_cg):
        sfx, sfx_en = names.BRANCH_SUFFIXES[i % len(names.BRANCH_SUFFIXES)]
        rows.append((towns[0][0], towns[0][1], sfx, sfx_en))
    other = 1
    second = 0
    while len(rows) < n_b:
        if other < len(towns):
            rows.append((towns[other][0], towns[other][1], "", ""))
            other += 1
        else:  # a second outlet in the larger towns
            t = towns[1 + second % (len(towns) - 1)]
            rows.append((t[0], t[1], "新区", "New District"))
            second += 1
    weight = rng.lognormal(0.0, 0.45, n_b)
    weight[:n_cg] *= 1.8
    weight /= weight.sum()
    start_year = rng.integers(1952, 2012, n_b)
    start_year[0] = 1952
    b_names = [
        f"{t.removesuffix('镇')}{s}{'支行' if w > 1.0 / n_b * 0.7 else '分理处'}"
        for (t, _, s, _), w in zip(rows, weight, strict=True)
    ]
    b_names_en = [
        f"{en}{' ' + s_en if s_en else ''} {'Branch' if '支行' in zh else 'Sub-branch'}"
        for (_, en, _, s_en), zh in zip(rows, b_names, strict=True)
    ]
    branches = pa.table(
        {
            "branch_id": pa.array(np.arange(1, n_b + 1), pa.int32()),
            "code": [f"B{i + 1:02d}" for i in range(n_b)],
            "name": b_names,
            "name_en": b_names_en,
            "town": [r[0] for r in rows],
            "opened_on": pa.array(
                [
                    date(int(y), int(m), 1)
                    for y, m in zip(start_year, rng.integers(1, 13, n_b), strict=True)
                ],
                pa.date32(),
            ),
        }
    )

    n_o = officer_count(customers, n_b)
    # three per branch first (a teller, a manager, a credit officer), the rest by branch size
    per_branch = np.full(n_b, 3)
    extra = n_o - 3 * n_b
    if extra > 0:
        per_branch += rng.multinomial(extra, weight)
    officer_branch = np.repeat(np.arange(n_b), per_branch)
    role = np.empty(n_o, dtype=np.int8)
    pos = 0
    for b in range(n_b):
        k = per_branch[b]
        r = np.empty(k, dtype=np.int8)
        r[:3] = (0, 1, 2)
        if k > 3:
            r[3:] = rng.choice(3, size=k - 3, p=(0.62, 0.2, 0.18))
        role[pos : pos + k] = r
        pos += k
    gender = rng.random(n_o) < 0.55
    end_ord = cal.end.toordinal()
    hire = rng.integers(date(1995, 1, 1).toordinal(), end_ord - 60, n_o)
    active = rng.random(n_o) > 0.04
    first3 = np.concatenate([[0], np.cumsum(per_branch)[:-1]])
    for k in range(3):
        active[first3 + k] = True  # every outlet keeps a working teller, manager, credit officer
    skill = rng.beta(2.2, 2.2, n_o)
    diligence = rng.beta(2.0, 2.0, n_o)
    # data care is spread wide: some books are 40% incomplete, others 5%
    data_care = rng.beta(0.9, 0.9, n_o)
    officers = pa.table(
        {
            "officer_id": pa.array(np.arange(1, n_o + 1), pa.int32()),
            "branch_id": pa.array(officer_branch + 1, pa.int32()),
            "name": person_names(rng, np.where(gender, 1, 0)),
            "gender": ["M" if g else "F" for g in gender],
            "hire_date": pa.array([date.fromordinal(int(h)) for h in hire], pa.date32()),
            "role": [ROLES[r] for r in role],
            "active": pa.array(active),
        }
    )
    return Organisation(
        branch_town=[r[0] for r in rows],
        branch_town_en=[r[1] for r in rows],
        branch_weight=weight,
        officer_branch=officer_branch,
        officer_role=role,
        officer_active=active,
        skill=skill,
        diligence=diligence,
        data_care=data_care,
        branches=branches,
        officers=officers,
    )
