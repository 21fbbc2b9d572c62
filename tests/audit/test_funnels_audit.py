"""Audit of the Marketing funnels page: stage counts per campaign and for all campaigns together
(each campaign in its own conversion window), how many are still inside their window, and the
matured conversion — recomputed in plain SQL from the raw events."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
import sqlalchemy as sa

from dashboard.loaders.funnels import load_campaigns, load_funnel_report
from data_access.filters import Scope
from data_access.schema import FUNNEL_STAGES
from data_access.selection import Selection
from tests.audit.conftest import AS_OF_DATES
from tests.conftest import sql_rows as rows

# one row per campaign and customer with the first time of each stage, from the events in view;
# a stage counts when every earlier one was reached, in order, within the campaign's own window
REACHED = """
WITH firsts AS (
  SELECT e.campaign_id, e.customer_id,
    min(CASE WHEN e.stage = 'targeted' THEN e.occurred_at END) AS t0,
    min(CASE WHEN e.stage = 'contacted' THEN e.occurred_at END) AS t1,
    min(CASE WHEN e.stage = 'interested' THEN e.occurred_at END) AS t2,
    min(CASE WHEN e.stage = 'applied' THEN e.occurred_at END) AS t3,
    min(CASE WHEN e.stage = 'converted' THEN e.occurred_at END) AS t4
  FROM marketing_events e
  WHERE e.campaign_id IN ({ids}) AND {scope}
  GROUP BY e.campaign_id, e.customer_id
), windowed AS (
  SELECT f.*, f.t0 + c.conversion_window_days * INTERVAL '1 day' AS ends
  FROM firsts f JOIN campaigns c ON c.campaign_id = f.campaign_id
), reached AS (
  SELECT w.*,
    (t0 IS NOT NULL) AS r0,
    (t0 IS NOT NULL AND t1 >= t0 AND t1 <= ends) AS r1,
    (t0 IS NOT NULL AND t1 >= t0 AND t1 <= ends AND t2 >= t1 AND t2 <= ends) AS r2,
    (t0 IS NOT NULL AND t1 >= t0 AND t1 <= ends AND t2 >= t1 AND t2 <= ends
      AND t3 >= t2 AND t3 <= ends) AS r3,
    (t0 IS NOT NULL AND t1 >= t0 AND t1 <= ends AND t2 >= t1 AND t2 <= ends
      AND t3 >= t2 AND t3 <= ends AND t4 >= t3 AND t4 <= ends) AS r4
  FROM windowed w
)"""
FUNNEL = (
    REACHED
    + """
SELECT
  sum(CASE WHEN r0 THEN 1 ELSE 0 END), sum(CASE WHEN r1 THEN 1 ELSE 0 END),
  sum(CASE WHEN r2 THEN 1 ELSE 0 END), sum(CASE WHEN r3 THEN 1 ELSE 0 END),
  sum(CASE WHEN r4 THEN 1 ELSE 0 END),
  sum(CASE WHEN r0 AND CAST(ends AS DATE) > :as_of THEN 1 ELSE 0 END) AS in_window,
  sum(CASE WHEN r0 AND CAST(ends AS DATE) <= :as_of THEN 1 ELSE 0 END) AS matured,
  sum(CASE WHEN r4 AND CAST(ends AS DATE) <= :as_of THEN 1 ELSE 0 END) AS matured_converted
FROM reached"""
)
# the converted customers' first targeting and conversion times (days to convert, to the second)
CONVERTED = REACHED + " SELECT t0, t4 FROM reached WHERE r4"


def _cond(scope: Scope) -> str:
    cond = "1 = 1"
    if scope.level != "bank":
        cond = f"e.branch_id = {scope.branch_id}"
    if scope.level == "officer":
        cond += f" AND e.officer_id = {scope.officer_id}"
    return cond


def sql_median_days(engine: sa.Engine, ids: list[int], scope: Scope) -> float | None:
    """Median days from targeted to converted over the converted customers (None: nobody)."""
    sql = CONVERTED.format(ids=", ".join(map(str, ids)), scope=_cond(scope))
    days = [(t4 - t0).total_seconds() / 86_400 for t0, t4 in rows(engine, sql)]
    return float(np.median(days)) if days else None


def sql_funnel(engine: sa.Engine, ids: list[int], scope: Scope, as_of: date) -> tuple[int, ...]:
    """(5 stage counts, still in window, matured targeted, matured converted)."""
    sql = FUNNEL.format(ids=", ".join(map(str, ids)), scope=_cond(scope))
    got = rows(engine, sql, as_of=as_of)[0]
    return tuple(int(x or 0) for x in got)


@pytest.mark.parametrize("as_of", AS_OF_DATES, ids=[f"{d}" for d in AS_OF_DATES])
def test_funnel_per_campaign_and_all_together(
    bank: sa.Engine, largest_branch: int, busiest_officer: Scope, as_of: date
) -> None:
    stages = tuple(FUNNEL_STAGES)
    for scope in (Scope.bank(), Scope.branch(largest_branch), busiest_officer):
        campaigns = load_campaigns(Selection(scope))
        ids = [int(c) for c in campaigns["campaign_id"].to_list()]
        targeted = dict(zip(ids, campaigns["targeted"].to_list(), strict=True))
        views: list[tuple[list[int], int | None]] = [
            ([c], int(w))
            for c, w in zip(ids, campaigns["conversion_window_days"].to_list(), strict=True)
        ]
        views.append((ids, None))  # all campaigns: each in its own window
        for view_ids, window in views:
            report = load_funnel_report(Selection(scope), tuple(view_ids), stages, window, as_of, 3)
            expected = sql_funnel(bank, view_ids, scope, as_of)
            where = f"{scope.level} campaigns {view_ids} as of {as_of}"
            got_counts = report.counts.sort("step")["customers"].to_list()
            if window is not None:  # the campaign picker's count of customers targeted
                assert targeted[view_ids[0]] == expected[0], where
            if expected[0] == 0:
                assert sum(got_counts) == 0, where
                continue
            assert tuple(got_counts) == expected[:5], where
            m = report.maturity
            assert (m["in_window"], m["matured_targeted"], m["matured_converted"]) == expected[
                5:
            ], where
            assert m["matured_conversion"] == (
                pytest.approx(expected[7] / expected[6]) if expected[6] else None
            ), where
