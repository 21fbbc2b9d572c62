"""Benchmark: signal features, the signals mart and one customer's page queries at county scale.

Usage: ``python -m bench.bench_customer [customers] [footprints] [duckdb-file] [page]`` (defaults
1,000,000 customers, 20,000,000 footprints over two years). Builds the file once with DuckDB's own
generators (synthetic rows: the shapes and sizes matter here, not the story). Prints figures.
"""

from __future__ import annotations

import sys
import time
from datetime import date
from functools import partial
from pathlib import Path

import polars as pl

from bench.common import timed
from data_access.engine import connect, create_schema, make_engine
from data_access.filters import Scope
from data_access.marts.signals import refresh_signals
from data_access.queries import customer as q
from data_access.queries.signals import SignalQuery, fetch_signal_features
from data_access.selection import Selection
from metrics.recommend import held_products, next_best_products
from metrics.signals import compute_signals, signal_evidence
from metrics.standards import load_standards

AS_OF = date(2026, 11, 22)

# Static statements (no values formatted in): sizes are bound parameters.
FILL = [
    """insert into branches select i, 'B' || i, '网点' || i, 'Branch ' || i, '城关镇',
       date '2000-01-01' from range(1, 61) t(i)""",
    """insert into officers select i, i % 60 + 1, '经理' || i, 'F', date '2015-01-01',
       'customer_manager', true from range(1, 601) t(i)""",
    """insert into customers select i, (i % 600 + 1) % 60 + 1, i % 600 + 1, '张' || (i % 97), 'M', 1950 + i % 50, 'farmer', '城关镇', null,
       date '2012-01-01', 60000, null, 'married', 3, '138' || lpad((i % 100000000)::varchar, 8,
       '0'), null, date '2025-01-01', null from range(1, $n + 1) t(i)""",
    """insert into footprints select i, (i * 7919) % $n + 1,
       (((i * 7919) % $n + 1) % 600 + 1) % 60 + 1, timestamp '2024-11-23' +
       to_seconds((i * 104729) % 63072000), (['deposit','withdrawal','transfer_in',
       'transfer_out','payment','loan_draw','loan_repayment','salary','pension','subsidy',
       'remittance_in','bill_payment','interest'])[i % 13 + 1], case when i % 13 in (1,3,4,6,11)
       then 'out' else 'in' end, (['counter','atm','mobile','internet','pos','agent'])[i % 6 + 1],
       (i % 5000) + 10.0, null, null, (['own_bank','other_bank','internet_platform','merchant',
       'employer','government','individual','none'])[i % 8 + 1], true from range(1, $f + 1) t(i)""",
    """insert into soft_footprints select 10000000 + i, (i * 31) % $n + 1, null,
       (((i * 31) % $n + 1) % 600 + 1) % 60 + 1,
       timestamp '2025-06-01' + to_seconds(i * 17 % 40000000), (['fuel_receipt','vehicle',
       'business_circle','friend_circle','family_event','frequent_place','interest'])[i % 7 + 1],
       'counter', case when i % 7 = 0 then [92, 95, 98][i % 3 + 1] end, case when i % 7 = 0 then
       20 + i % 60 end, null, null, null, 0.8 from range(1, $n // 2 + 1) t(i)""",
    """insert into product_holdings select i, (i - 1) % $n + 1, 1, (['demand_deposit',
       'time_deposit','wealth','loan_agri','loan_business','loan_consumer','credit_card',
       'mobile_banking','internet_banking','pos_merchant'])[i % 10 + 1], date '2015-01-01',
       null, 1000.0, null from range(1, 3 * $n + 1) t(i)""",
    """insert into external_credit_limits select i, (i * 13) % $n + 1, 1, 'huabei', 20000,
       date '2026-09-01', i % 2 = 0 from range(1, $n // 10 + 1) t(i)""",
    "insert into bank_meta values ('data_as_of', '2026-11-22')",
]


def build(path: Path, n_customers: int, n_footprints: int) -> None:
    """Create the schema and fill it with synthetic rows."""
    engine = make_engine(f"duckdb:///{path}")
    create_schema(engine)
    with engine.begin() as conn:
        for stmt in FILL:
            text = stmt.replace("$n", str(int(n_customers))).replace("$f", str(int(n_footprints)))
            t0 = time.perf_counter()
            conn.exec_driver_sql(text)
            print(f"  {text.split()[2]:<24} {time.perf_counter() - t0:6.1f} s")
    engine.dispose()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    f = int(sys.argv[2]) if len(sys.argv) > 2 else 20_000_000
    path = Path(sys.argv[3] if len(sys.argv) > 3 else f"/tmp/bench_customer_{n}_{f}.duckdb")
    if not path.exists():
        print(f"building {path} ({n:,} customers, {f:,} footprints)")
        build(path, n, f)
    if sys.argv[4:] == ["page"]:
        page_render(path, n // 2 + 1)
        return
    engine = make_engine(f"duckdb:///{path}")
    std = load_standards()
    bank = Scope.bank()

    with connect(engine) as conn:
        took = timed(lambda: fetch_signal_features(conn, SignalQuery(Selection(bank), AS_OF)), 1)
    feats = took.result
    print(f"signal features, whole bank ({feats.height:,} rows): {took.median:.2f} s")
    took = timed(lambda: compute_signals(feats, std), 1)
    print(f"compute_signals, whole bank: {took.median:.2f} s")
    took = timed(lambda: refresh_signals(engine, std, AS_OF, lambda *_: None), 1)
    print(
        "refresh customer_signals (features + signals + bulk write, "
        f"{took.result:,} rows): {took.median:.2f} s"
    )
    with connect(engine) as conn:
        took = timed(
            lambda: fetch_signal_features(conn, SignalQuery(Selection(Scope.branch(7)), AS_OF)), 1
        )
    print(f"signal features, one branch: {took.median:.2f} s")

    cid = n // 2 + 1

    def one_customer() -> None:
        with connect(engine) as conn:
            q.fetch_profile(conn, bank, cid)
            held = q.fetch_holdings(conn, bank, cid)
            q.fetch_monthly_balances(conn, bank, cid)
            q.fetch_marts(conn, bank, cid)
            q.fetch_external_limits(conn, bank, cid)
            q.fetch_loan_applications(conn, bank, cid)
            q.fetch_weekly_footprints(conn, bank, cid, date(2025, 11, 23), AS_OF)
            q.fetch_recent_footprints(conn, bank, cid, 20, until=AS_OF)
            q.fetch_soft_footprints(conn, bank, cid)
            feats = fetch_signal_features(
                conn, SignalQuery(Selection(bank), AS_OF, customer_ids=(cid,))
            )
        signal_evidence(feats, std)
        next_best_products(
            compute_signals(feats, std),
            held_products(held.with_columns(customer_id=pl.lit(cid, pl.Int64)), AS_OF),
            feats.select("customer_id").with_columns(
                tier=pl.lit(None, pl.String), occupation=pl.lit(None, pl.String)
            ),
            AS_OF,
        )

    took = timed(one_customer, 5)
    print(
        f"one customer, every query and metric of the page (median of 5): {took.median * 1000:.0f} ms"
    )
    for what, text in (("phone last 4", "1234"), ("surname prefix", "张1")):
        with connect(engine) as conn:
            took = timed(partial(q.search_customers, conn, Selection(bank), text), 3)
        print(f"search by {what} ({took.result.height} shown): {took.median * 1000:.0f} ms")
    engine.dispose()
    page_render(path, cid)


def page_render(path: Path, cid: int) -> None:
    """The customer page rendered by AppTest on this file, signed in: cold (no cache) and warm."""
    import os

    import streamlit as st

    import dashboard.charts.customer  # noqa: F401  (imports are per process, not per render)
    from bench.pages import open_app

    url = f"duckdb:///{path}"
    os.environ["FOOTPRINT_DATABASE_URL"] = url
    st.cache_data.clear()
    st.cache_resource.clear()
    at = open_app("customer", url)  # router and default page: engine and sidebar lists cached
    at.query_params["lang"] = "en"
    at.query_params["customer"] = str(cid)
    t0 = time.perf_counter()
    at.switch_page("pages/customer.py").run()
    cold = time.perf_counter() - t0
    assert not at.exception, at.exception
    t0 = time.perf_counter()
    at.run()
    warm = time.perf_counter() - t0
    print(f"customer page (AppTest): first render {cold * 1000:.0f} ms, warm {warm * 1000:.0f} ms")


if __name__ == "__main__":
    main()
