"""The credit desk's checks against the contradictions the demo generator planted: every check has
planted truth, the plants are what they claim in the footprints, and the bench scores all four."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench.bench_credit import build_with_truth, run
from data_access.engine import make_engine
from data_access.schema import customers, footprints, loan_applications, product_holdings
from metrics.credit import CHECKS

LOANS = ("loan_agri", "loan_business", "loan_consumer")


@pytest.fixture(scope="module")
def planted_bank(tmp_path_factory: pytest.TempPathFactory) -> tuple[sa.Engine, dict]:
    path = Path(tmp_path_factory.mktemp("credit")) / "demo.duckdb"
    planted = build_with_truth(path, 1_500, 7)
    engine = make_engine(f"duckdb:///{path}")
    yield engine, planted
    engine.dispose()


def _apps(engine: sa.Engine, ids: set[int]) -> list[sa.Row]:
    la = loan_applications.c
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(la.application_id, la.customer_id, la.product, la.applied_on)
                .where(la.application_id.in_(sorted(ids)))
                .order_by(la.application_id)
            )
        )


def test_every_check_has_planted_truth(planted_bank) -> None:
    _, planted = planted_bank
    assert set(planted) == set(CHECKS)
    assert all(planted[c] for c in CHECKS)
    # 30 and 20 per 10,000 customers, and a defaulter's own applications once 90 days overdue
    assert len(planted["business"]) == 4 and len(planted["debt"]) >= 3
    for other in ("income", "place", "debt"):
        assert not planted["business"] & planted[other]  # a planted business is its own row


def test_a_planted_business_is_declared_by_someone_who_runs_none(planted_bank) -> None:
    engine, planted = planted_bank
    f, c = footprints.c, customers.c
    for app in _apps(engine, planted["business"]):
        assert app.product in ("loan_business", "loan_agri")
        with engine.connect() as conn:
            occupation = conn.execute(
                sa.select(c.occupation).where(c.customer_id == app.customer_id)
            ).scalar_one()
            pos = conn.execute(
                sa.select(sa.func.count()).where(
                    f.customer_id == app.customer_id, f.channel == "pos", f.direction == "in"
                )
            ).scalar_one()
        assert occupation in ("migrant_worker", "retiree", None)  # None: left blank in the profile
        assert pos == 0


def test_a_planted_defaulter_holds_a_loan_and_has_stopped_repaying(planted_bank) -> None:
    engine, planted = planted_bank
    f, h = footprints.c, product_holdings.c
    for app in _apps(engine, planted["debt"]):
        with engine.connect() as conn:
            held = conn.execute(
                sa.select(sa.func.count()).where(
                    h.customer_id == app.customer_id,
                    h.product.in_(LOANS),
                    h.opened_on <= app.applied_on - timedelta(days=120),
                )
            ).scalar_one()
            # repayments stop at least 90 days before the application and never resume
            late = conn.execute(
                sa.select(sa.func.count()).where(
                    f.customer_id == app.customer_id,
                    f.kind == "loan_repayment",
                    f.occurred_at >= app.applied_on - timedelta(days=90),
                )
            ).scalar_one()
        assert held >= 1
        assert late == 0


@pytest.mark.slow
def test_the_bench_scores_all_four_checks() -> None:
    res = run(1_500, 7)
    meta = res.pop("_meta")
    assert meta["applications"] > 100
    assert list(res) == [*CHECKS, "any check"]
    for name, r in res.items():
        assert r["planted"] > 0, name
        assert not math.isnan(r["precision"]) and not math.isnan(r["recall"]), name
    assert res["any check"]["planted"] <= sum(res[c]["planted"] for c in CHECKS)
    assert res["any check"]["planted"] >= max(res[c]["planted"] for c in CHECKS)
