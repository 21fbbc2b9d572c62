"""Information-quality queue (AppTest on the demo bank): the queue, a correction that is validated,
written and audited, and the book's completeness moving."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from data_access.queries.quality_queue import FIXABLE, count_queue
from data_access.schema import audit_log, customers, officers
from data_access.selection import Period, Selection
from metrics.standards import load_standards


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


@pytest.mark.slow
def test_queue_and_a_correction(app_test: Callable[..., AppTest], demo_engine: sa.Engine) -> None:
    at = app_test("quality", lang="en")
    assert not at.exception
    assert at.title[0].value == "Information-quality queue"
    table = at.dataframe[0].value
    assert len(table) > 10
    assert table["Name"].str.contains(r"\*").all()
    aum = table["AUM (CNY)"].dropna().tolist()
    assert aum == sorted(aum, reverse=True)  # most valuable first
    gaps = int(_metric(at, "Customers with gaps").replace(",", ""))

    # the first customer missing a household size gets one
    row = table[table["Missing"].str.contains("Household size", regex=False)].iloc[0]
    link = row["Customer"]  # the number links to the customer's page
    assert link.startswith("/customer?customer=") and link.endswith("&lang=en")
    cid = int(link.removeprefix("/customer?customer=").split("&")[0])
    with demo_engine.connect() as conn:
        updated = conn.execute(
            sa.select(customers.c.profile_updated_on).where(customers.c.customer_id == cid)
        ).scalar_one()
    at.selectbox(key="qq_pick").set_value(cid).run()
    at.number_input(key=f"qq_{cid}_household_size").set_value(0)
    next(b for b in at.button if b.label == "Save correction").click().run()
    assert not at.exception
    assert any("Household size" in e.value for e in at.error)  # 0 is refused: nothing written
    at.number_input(key=f"qq_{cid}_household_size").set_value(4)
    next(b for b in at.button if b.label == "Save correction").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["1 field saved (audited)."]
    with demo_engine.connect() as conn:
        size = conn.execute(
            sa.select(customers.c.household_size).where(customers.c.customer_id == cid)
        ).scalar_one()
        audited = conn.execute(
            sa.select(sa.func.count()).where(
                audit_log.c.action == "profile_fix", audit_log.c.target == f"customer {cid}"
            )
        ).scalar_one()
    assert (size, audited) == (4, 1)
    if "," not in str(row["Missing"]):  # the only gap was filled: one customer fewer in the queue
        at.run()
        assert int(_metric(at, "Customers with gaps").replace(",", "")) <= gaps
    # the app tests share one demo bank: put it back as it was
    with demo_engine.begin() as conn:
        conn.execute(
            customers.update()
            .where(customers.c.customer_id == cid)
            .values(household_size=None, profile_updated_on=updated)
        )
        conn.execute(audit_log.delete().where(audit_log.c.action == "profile_fix"))


@pytest.mark.slow
def test_gaps_counts_every_customer_and_officers_are_named(
    app_test: Callable[..., AppTest], demo_engine: sa.Engine
) -> None:
    at = app_test("quality", lang="en")
    assert not at.exception
    with demo_engine.connect() as conn:
        names = set(conn.execute(sa.select(officers.c.name)).scalars())
        fields = tuple(f for f in load_standards().profile_fields if f in FIXABLE)
        gaps = count_queue(
            conn, Period(date(2026, 11, 16), date(2026, 11, 22)), Selection(), fields
        )
    assert gaps > 200  # more than the list shows: the card counted the list (200)
    assert int(_metric(at, "Customers with gaps").replace(",", "")) == gaps
    assert any(f"{gaps:,} customers have gaps" in c.value for c in at.caption)
    progress = at.dataframe[-1].value
    assert set(progress["Officer"]) <= names  # names, not officer ids
