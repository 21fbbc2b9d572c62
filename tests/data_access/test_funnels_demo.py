"""The funnel queries give the same answers on the demo bank in DuckDB and in PostgreSQL."""

from __future__ import annotations

import polars as pl
import pytest
import sqlalchemy as sa
from polars.testing import assert_frame_equal

from data_access.filters import Scope
from data_access.queries.funnels import fetch_campaigns, fetch_drop_list, fetch_stage_pivot
from data_access.schema import FUNNEL_STAGES
from data_access.selection import Selection
from metrics.funnels import mark_reached, stage_counts


@pytest.fixture(scope="module")
def both(demo_engine: sa.Engine, demo_pg_engine: sa.Engine) -> tuple[sa.Engine, sa.Engine]:
    """The demo bank on DuckDB and on PostgreSQL."""
    return demo_engine, demo_pg_engine


def test_campaigns_and_pivots_agree(both: tuple[sa.Engine, sa.Engine]) -> None:
    frames = []
    for engine in both:
        with engine.connect() as conn:
            camps = fetch_campaigns(conn, Selection())
            pivot = fetch_stage_pivot(conn, Selection(), camps["campaign_id"].to_list())
        frames.append((camps, pivot))
    (duck_c, duck_p), (pg_c, pg_p) = frames
    assert_frame_equal(duck_c, pg_c)
    assert_frame_equal(duck_p, pg_p)
    assert duck_c.height >= 8 and duck_c["targeted"].sum() == duck_p["targeted_at"].count()
    # every demo customer moves through the stages in order inside the window
    counts = stage_counts(mark_reached(duck_p, FUNNEL_STAGES, 45), FUNNEL_STAGES)
    raw = duck_p.select(pl.col(f"{s}_at").count() for s in FUNNEL_STAGES).row(0)
    assert counts["customers"].to_list() == list(raw)


def test_drop_lists_agree(both: tuple[sa.Engine, sa.Engine]) -> None:
    lists = []
    for engine in both:
        with engine.connect() as conn:
            ids = fetch_campaigns(conn, Selection())["campaign_id"].to_list()
            lists.append(fetch_drop_list(conn, Selection(Scope.branch(1)), ids, 2, 30))
    assert lists[0].height > 0
    assert_frame_equal(lists[0], lists[1])
