"""Rows for the literal banks of the query and page tests: the columns a branch, an officer and a
campaign need, written once; each test still chooses its own names, dates and ids. ``insert_staff``
writes a bank's branches and officers in one call."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa

from data_access import schema


def branch_rows(
    ids: Iterable[int],
    *,
    code: str = "B{}",
    name: str = "{}号支行",
    name_en: str = "Branch {}",
    town: str = "城关镇",
) -> list[dict[str, object]]:
    """One branch per id, opened 2000-01-01; ``{}`` in code, name and name_en is the id."""
    return [
        {
            "branch_id": b,
            "code": code.format(b),
            "name": name.format(b),
            "name_en": name_en.format(b),
            "town": town,
            "opened_on": date(2000, 1, 1),
        }
        for b in ids
    ]


def officer_rows(
    officers: Iterable[tuple[int, int] | tuple[int, int, str]],
    *,
    name: str = "经理{}",
    hired: date = date(2015, 1, 1),
) -> list[dict[str, object]]:
    """One active female customer manager per (officer id, branch id[, name]); ``{}`` in name is
    the officer id."""
    rows: list[dict[str, object]] = []
    for officer_id, branch_id, *given in officers:
        rows.append(
            {
                "officer_id": officer_id,
                "branch_id": branch_id,
                "name": given[0] if given else name.format(officer_id),
                "gender": "F",
                "hire_date": hired,
                "role": "customer_manager",
                "active": True,
            }
        )
    return rows


def insert_staff(
    conn: sa.Connection,
    branch_ids: Iterable[int],
    officers: Iterable[tuple[int, int] | tuple[int, int, str]],
    *,
    officer_name: str = "经理{}",
    hired: date = date(2015, 1, 1),
    **branch: str,
) -> None:
    """Insert the branches (``branch``: code, name, name_en, town as in ``branch_rows``) and the
    officers (``officer_name`` is ``officer_rows``' name) a bank's rows hang from."""
    conn.execute(sa.insert(schema.branches), branch_rows(branch_ids, **branch))
    conn.execute(sa.insert(schema.officers), officer_rows(officers, name=officer_name, hired=hired))


def insert_li_staff(conn: sa.Connection) -> None:
    """Branches 10 and 20 (支行10, B10; 支行20, B20), officers 李1 and 李2 in branch 10 and 李3
    in branch 20, hired 2020: the staff of the officer and information-quality query tests."""
    insert_staff(
        conn,
        (10, 20),
        ((1, 10), (2, 10), (3, 20)),
        officer_name="李{}",
        hired=date(2020, 1, 1),
        name="支行{}",
        name_en="B{}",
    )


def campaign_row(
    campaign_id: int,
    code: str,
    names: tuple[str, str],
    product: str,
    dates: tuple[date, date],
    window_days: int,
) -> dict[str, object]:
    """A campaign with no target definition: (Chinese, English) names, (start, end) dates."""
    return {
        "campaign_id": campaign_id,
        "code": code,
        "name": names[0],
        "name_en": names[1],
        "product": product,
        "start_date": dates[0],
        "end_date": dates[1],
        "conversion_window_days": window_days,
        "target_definition": "{}",
    }
