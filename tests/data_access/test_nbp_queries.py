"""Peer counts in SQL (DuckDB, PostgreSQL) equal the polars path on the same rows."""

from __future__ import annotations

from datetime import date

import polars as pl
import sqlalchemy as sa
from polars.testing import assert_frame_equal

from data_access.filters import Scope
from data_access.queries.nbp import fetch_holding_history, fetch_peer_counts, fetch_peer_profile
from data_access.schema import customer_tier_months
from metrics.nbp import AGE_BAND_YEARS, peer_profile, peer_shares, shares_from_counts
from metrics.recommend import held_products
from tests.data_access.customer_seed import AS_OF, seed

KEYS = ["tier", "occupation", "age_band", "product"]


def test_peer_counts_sql_equal_polars(empty_engine: sa.Engine) -> None:
    seed(empty_engine)
    with empty_engine.begin() as conn:  # customer 1 affluent in October; the rest has no tier row
        conn.execute(
            customer_tier_months.insert(),
            [
                {
                    "customer_id": 1,
                    "month": date(2026, 10, 1),
                    "branch_id": 1,
                    "aum": 70000.0,
                    "tier": "affluent",
                }
            ],
        )
    with empty_engine.connect() as conn:
        sizes, holders = fetch_peer_counts(conn, AS_OF, AGE_BAND_YEARS)
        prof = fetch_peer_profile(conn, Scope.bank(), AS_OF)
        hist = fetch_holding_history(conn, Scope.bank())
    sql = shares_from_counts(sizes, holders).sort(KEYS)
    pol = peer_shares(held_products(hist, AS_OF), peer_profile(prof, AS_OF)).sort(KEYS)
    assert_frame_equal(sql, pol, check_dtypes=False)
    assert prof.filter(pl.col("customer_id") == 1)["tier"].to_list() == ["affluent"]
    # 4 customers: 1 (affluent farmer, 50s), 2 (retiree), 3 (farmer), 4 (nothing known)
    assert sizes["group_size"].sum() == 4
    assert set(holders["product"]) == {"pos_merchant", "demand_deposit"}
