"""On the demo bank the officer metrics find what the generator planted: trained officers visit
and record more afterwards, and missing profile fields concentrate in some officers' books."""

from __future__ import annotations

import polars as pl
import pytest
import sqlalchemy as sa

from data_access.filters import Scope
from data_access.queries import officers as q
from data_access.queries import org
from data_access.queries import quality as qq
from data_access.selection import Period, Selection
from metrics import officers as om
from metrics import quality as qm
from metrics.calendar import weeks_ending
from metrics.standards import load_standards
from tests.conftest import DEMO_END_DATE

END = DEMO_END_DATE
BOOK_ROLES = ("customer_manager", "credit_officer")
HISTORY = weeks_ending(END, 104)
PERIOD = Period(HISTORY[0], END)


@pytest.fixture(params=["duckdb", "postgresql"])
def demo(request: pytest.FixtureRequest) -> sa.Engine:
    return request.getfixturevalue("demo_engine" if request.param == "duckdb" else "demo_pg_engine")


def _panels(engine: sa.Engine) -> tuple[dict[str, pl.DataFrame], pl.DataFrame, pl.DataFrame]:
    with engine.connect() as conn:
        officers = om.officers_in_view(org.fetch_officers(conn, Scope.bank()), roles=BOOK_ROLES)
        activity = q.fetch_activity_weekly(conn, PERIOD, Selection())
        soft = q.fetch_soft_weekly(conn, PERIOD, Selection())
        trainings = q.fetch_trainings(conn)
        attendance = q.fetch_attendance(conn, Selection())
    ids = officers["officer_id"].to_list()
    panels = {
        "visits": om.weekly_panel(activity, ids, HISTORY, ("visit",)),
        "soft": om.weekly_panel(soft, ids, HISTORY),
    }
    return panels, attendance, trainings


@pytest.mark.parametrize("measure", ["visits", "soft"])
def test_training_uplift_is_found_with_confidence(demo: sa.Engine, measure: str) -> None:
    panels, attendance, trainings = _panels(demo)
    effect = om.training_effect(panels[measure], attendance, trainings, window_weeks=4, as_of=END)
    pooled = effect.pooled
    # planted: attendees' visits and soft capture rise ~45% after a training (fading over months)
    assert pooled["n_trainings"] >= 4
    assert pooled["did"] > 0.25  # measured 0.59 visits and 0.75 soft footprints a week
    assert pooled["ci_low"] > 0  # the 95% interval excludes 0
    per = effect.per_training
    assert (per["did"] > 0).mean() >= 0.8


def test_untrained_comparison_barely_moves(demo_engine: sa.Engine) -> None:
    panels, attendance, trainings = _panels(demo_engine)
    pooled = om.training_effect(
        panels["visits"], attendance, trainings, window_weeks=4, as_of=END
    ).pooled
    assert abs(pooled["control_change"]) < 0.25  # measured -0.12 (a little seasonal drift)
    assert pooled["treated_change"] > pooled["control_change"] + 0.25  # measured +0.48


def test_completeness_differs_across_books(demo_engine: sa.Engine) -> None:
    fields = load_standards().profile_fields
    with demo_engine.connect() as conn:
        fill = qq.fetch_profile_fill(conn, PERIOD, Selection(), fields)
    books = qm.officer_completeness(fill)
    assert books.height >= 30
    assert books["completeness"].is_between(0, 1).all()
    # missing fields concentrate in some books: the spread is wide, not sampling noise
    assert books["completeness"].max() - books["completeness"].min() > 0.25
    assert books["completeness"].std() > 0.05
