"""The marts run in an explicit order: each after the marts it reads (checked on the SQL it sends)."""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa

from data_access.demo import build_demo
from data_access.engine import make_engine
from data_access.marts import MARTS
from data_access.refresh import refresh_all
from data_access.schema import metadata
from metrics.standards import load_standards

END = date(2026, 11, 22)


def test_each_mart_table_is_written_by_one_mart_and_is_in_the_schema() -> None:
    written = [t for m in MARTS for t in m.writes]
    assert len(written) == len(set(written))
    assert set(written) <= set(metadata.tables)


def test_each_mart_runs_after_every_mart_it_reads(tmp_path) -> None:
    engine = make_engine(f"duckdb:///{tmp_path / 'fp.duckdb'}")
    build_demo(engine, customers=300, seed=3, end_date=END)
    running: dict[str, str | None] = {"mart": None}
    sent: dict[str, list[str]] = {m.name: [] for m in MARTS}

    def progress(stage: str, _: float) -> None:
        name = stage.removeprefix("refresh ")
        if name in sent:
            running["mart"] = name

    @sa.event.listens_for(engine, "before_cursor_execute")
    def capture(conn, cursor, statement, parameters, context, executemany) -> None:
        if running["mart"]:
            sent[running["mart"]].append(statement)

    refresh_all(engine, load_standards(), END, progress)
    engine.dispose()

    owner = {table: m.name for m in MARTS for table in m.writes}
    for i, mart in enumerate(MARTS):
        sql = "\n".join(sent[mart.name])
        assert sql, f"no SQL captured for {mart.name}"
        read = {owner[t] for t in owner if re.search(rf"\b{t}\b", sql)} - {mart.name}
        assert read == set(mart.reads), (mart.name, read)
        assert set(mart.reads) <= {m.name for m in MARTS[:i]}, mart.name
