"""Mobile-banking sign-ups count customers who had none and now have one, not product rows."""

from __future__ import annotations

from datetime import date

import polars as pl
import sqlalchemy as sa

from data_access import schema as s
from data_access.queries import kpis as q
from data_access.queries._frames import frame
from data_access.selection import Period, Selection

W = date(2026, 11, 16)  # Monday


def _holding(hid: int, cid: int, opened: date, closed: date | None = None) -> dict:
    return {
        "holding_id": hid,
        "customer_id": cid,
        "branch_id": 1,
        "product": "mobile_banking",
        "opened_on": opened,
        "closed_on": closed,
    }


def test_a_second_open_mobile_product_is_not_a_second_signup(empty_engine: sa.Engine) -> None:
    rows = [
        _holding(1, 1, date(2026, 11, 16)),  # customer 1 signs up on Monday …
        _holding(2, 1, date(2026, 11, 18)),  # … and a second product on Wednesday: no sign-up
        _holding(3, 2, date(2026, 3, 1)),  # customer 2 has had it since March …
        _holding(4, 2, date(2026, 11, 17)),  # … a second product now is not a sign-up
        _holding(5, 3, date(2025, 1, 1), date(2026, 6, 30)),  # customer 3 closed it in June …
        _holding(6, 3, date(2026, 11, 19)),  # … and signs up again: a sign-up
        _holding(7, 4, date(2026, 11, 20)),  # two rows on one day: one sign-up
        _holding(8, 4, date(2026, 11, 20)),
    ]
    with empty_engine.begin() as conn:
        conn.execute(sa.insert(s.product_holdings), rows)
    period = Period(W, date(2026, 11, 22))
    with empty_engine.connect() as conn:
        out = frame(conn, q.select_mobile_signups(period, Selection()), q.WEEKLY_SCHEMA)
    assert out.filter(pl.col("week_start") == W)["value"].to_list() == [3.0]
