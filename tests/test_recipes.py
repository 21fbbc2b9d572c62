"""The README's "Where to change what" recipes, followed on a scratch copy of the code.

Each test copies the packages to a temporary folder, makes exactly the edits the recipe lists, and
checks in a fresh interpreter that the change arrives where the recipe promises.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from data_access.migrate import head
from metrics.rfm import rfm_scores
from metrics.standards import load_standards
from tests.conftest import duckdb_copy

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A scratch copy of the product's packages (not tests, not the virtualenv)."""
    root = tmp_path / "footprint"
    for package in ("dashboard", "data_access", "metrics"):
        shutil.copytree(
            ROOT / package, root / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    return root


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"recipe anchor {old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def _run(copy: Path, script: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(copy)}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _migration(copy: Path, name: str, doc: str, upgrade: str) -> None:
    """The migration file ``name`` (its revision the number it starts with) after today's head in
    the scratch copy; ``upgrade`` is the body of its ``upgrade()``."""
    revision = name.split("_", 1)[0]
    body = textwrap.indent(textwrap.dedent(upgrade).strip("\n"), "    ")
    text = (
        f'"""{doc}"""\n\nimport sqlalchemy as sa\nfrom alembic import op\n\n'
        f'revision = "{revision}"\ndown_revision = "{head()}"\n\n\n'
        f"def upgrade() -> None:\n{body}\n"
    )
    (copy / "data_access" / "migrations" / "versions" / f"{name}.py").write_text(text, "utf-8")


def test_recipe_change_an_rfm_rule(tmp_path: Path) -> None:
    """Edit the standard's rule table: the same customer lands in another segment, no code."""
    customers = pl.DataFrame(
        {
            "customer_id": list(range(1, 11)),
            "recency_days": [1, 2, 3, 4, 5, 100, 200, 300, 330, 360],
            "frequency": [50, 40, 30, 20, 10, 9, 8, 7, 6, 5],
            "monetary": [9e5, 8e5, 7e5, 6e5, 5e5, 4e4, 3e4, 2e4, 1e4, 5e3],
        }
    )
    before = rfm_scores(customers, load_standards().rfm)
    assert before.filter(pl.col("customer_id") == 4)["rfm_segment"].item() == "champions"

    bank = tmp_path / "standards.toml"
    shutil.copy(ROOT / "metrics" / "standards.toml", bank)
    shutil.copy(ROOT / "metrics" / "rules.toml", tmp_path / "rules.toml")
    # the bank narrows champions to R = 5 and widens loyal to R 3-4
    _edit(bank, 'code = "champions"\nr = [4, 5]', 'code = "champions"\nr = [5, 5]')
    _edit(bank, 'code = "loyal"\nr = [3, 3]', 'code = "loyal"\nr = [3, 4]')
    after = rfm_scores(customers, load_standards(bank).rfm)

    assert after.filter(pl.col("customer_id") == 4)["rfm_segment"].item() == "loyal"
    assert after.filter(pl.col("customer_id") == 1)["rfm_segment"].item() == "champions"


def test_recipe_add_a_table(copy: Path, tmp_path: Path) -> None:
    _edit(
        copy / "data_access" / "schema.py",
        "# --- the app's own records",
        'branch_notes = sa.Table(\n    "branch_notes",\n    metadata,\n'
        '    sa.Column("branch_id", sa.Integer, primary_key=True, autoincrement=False),\n'
        '    sa.Column("note", sa.Text, nullable=False),\n)\n\n# --- the app\'s own records',
    )
    _migration(
        copy,
        "9001_branch_notes",
        "branch_notes.",
        """
        op.create_table(
            "branch_notes",
            sa.Column("branch_id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("note", sa.Text, nullable=False),
        )
        """,
    )
    out = _run(
        copy,
        f"""
        import sqlalchemy as sa
        from data_access import migrate
        from data_access.engine import make_engine
        old = make_engine("duckdb:///{tmp_path / "old.duckdb"}")
        migrate.upgrade(old, "{head()}")          # a bank at today's head
        print(migrate.heads(), migrate.upgrade(old))
        with old.begin() as conn:
            conn.execute(sa.text("INSERT INTO branch_notes VALUES (1, '城关')"))
            print(conn.execute(sa.text("SELECT note FROM branch_notes")).scalar())
        """,
    )
    assert out.splitlines() == [f"('9001',) ('{head()}', '9001')", "城关"]


def test_recipe_add_a_footprint_signal(copy: Path, tmp_path: Path) -> None:
    signal = textwrap.dedent("""
        [[signals]]
        code = "night_owl"
        label_zh = "夜间活跃"
        label_en = "Night owl"
        description = "Uses mobile banking often."
        when = [
          { measure = "vehicles", op = ">", value = 1, evidence_zh = "车辆 {vehicles:.0f}", evidence_en = "{vehicles:.0f} vehicles" },
        ]
        """)
    _append(copy / "metrics" / "rules.toml", signal)
    label = '\n[[signals]]\ncode = "night_owl"\nlabel_zh = "夜间活跃"\nlabel_en = "Night owl"\n'
    _append(
        copy / "metrics" / "standards.toml", label + 'description = "Uses mobile banking often."\n'
    )
    _migration(
        copy,
        "9002_night_owl",
        "customer_signals.night_owl.",
        """
        op.add_column(
            "customer_signals",
            sa.Column("night_owl", sa.Boolean, nullable=False, server_default=sa.false()),
        )
        """,
    )
    out = _run(
        copy,
        f"""
        from data_access import migrate
        from data_access.engine import make_engine
        from data_access.schema import customer_signals
        from metrics.standards import load_standards
        old = make_engine("duckdb:///{tmp_path / "old.duckdb"}")
        migrate.upgrade(old, "{head()}")
        print(migrate.upgrade(old)[1], "night_owl" in customer_signals.c)
        print([s.code for s in load_standards().signals][-1])
        """,
    )
    assert out.split() == ["9002", "True", "night_owl"]


def test_recipe_add_a_kpi(copy: Path) -> None:
    """Registry entry and labels: the page's card order, the flags and the report carry it."""
    _edit(
        copy / "metrics" / "codes.py",
        "KPI_CODES = tuple(",
        'KPIS = (*KPIS, Kpi("card_activations", False, False, "mart_weekly", "activations"))\n'
        "KPI_CODES = tuple(",
    )
    _append(
        copy / "dashboard" / "locales" / "kpis.toml",
        'kpi_card_activations = { zh = "激活卡片", en = "Card activations" }\n'
        'help_card_activations = { zh = "本周激活。", en = "Activated this week." }\n'
        'reason_activations_drop = { zh = "激活减少", en = "Few activations" }\n'
        'reason_activations_spike = { zh = "激活增多", en = "Many activations" }\n',
    )
    out = _run(
        copy,
        """
        from datetime import date
        import polars as pl
        from dashboard.report import KPI_ORDER, WeeklyReport, build_weekly_report
        from metrics.kpis import FLOW_KPIS, REASON_STEMS, bank_kpis
        week = date(2026, 11, 16)
        weekly = pl.DataFrame({"branch_id": [1, 1], "week_start": [date(2026, 11, 9), week],
                               "kpi": ["card_activations"] * 2, "value": [3.0, 5.0]})
        targets = pl.DataFrame({"branch_id": [1], "week_start": [week],
                                "kpi": ["card_activations"], "target": [4.0]})
        bank = bank_kpis(weekly, targets, week=week)
        empty = pl.DataFrame()
        report = WeeklyReport("en", week, week, "all", bank, empty, empty, empty, weekly, targets)
        html = build_weekly_report(report)
        print(KPI_ORDER[-1], "card_activations" in FLOW_KPIS, REASON_STEMS["card_activations"])
        print("Card activations" in html)
        """,
    )
    assert out.split() == ["card_activations", "True", "activations", "True"]


def test_recipe_add_a_page(copy: Path, tmp_path: Path, demo_engine: sa.Engine) -> None:
    """Page script, registry row, the roles that get it, labels: signed in, a president finds the
    page in the navigation and sees it draw from the bank; marketing gets the polite refusal."""
    # sign-ins write sessions and audit rows: into a copy
    demo_app_url = duckdb_copy(demo_engine, tmp_path / "bank.duckdb")
    (copy / "dashboard" / "pages" / "branch_notes.py").write_text(
        textwrap.dedent('''\
            """Branch notes: one line per branch in scope."""

            import streamlit as st

            from dashboard.i18n import t
            from dashboard.loaders.common import load_branches
            from dashboard.state import page_context

            ctx = page_context()
            st.title(t("branch_notes.title"))
            st.metric(t("branch_notes.branches"), load_branches(ctx.scope).height)
            '''),
        encoding="utf-8",
    )
    _edit(
        copy / "dashboard" / "nav.py",
        '    "president": {"kpis": "📊"},\n',
        '    "president": {"kpis": "📊", "branch_notes": "📒"},\n',
    )
    _edit(
        copy / "data_access" / "roles.py",
        '    "credit",\n)',
        '    "credit",\n    "branch_notes",\n)',
    )
    (copy / "dashboard" / "locales" / "branch_notes.toml").write_text(
        'title = { zh = "网点备忘", en = "Branch notes" }\n'
        'branches = { zh = "网点数", en = "Branches" }\n',
        encoding="utf-8",
    )
    app = copy / "dashboard" / "app.py"
    out = _run(
        copy,
        f"""
        import os
        os.environ["FOOTPRINT_DATABASE_URL"] = "{demo_app_url}"
        from streamlit.testing.v1 import AppTest
        from data_access import auth
        from data_access.demo.app_records import DEMO_PASSWORD_SUFFIX
        from data_access.engine import make_engine
        engine = make_engine("{demo_app_url}")
        for role in ("president", "marketing"):
            at = AppTest.from_file("{app}", default_timeout=120)
            user = auth.authenticate(engine, role, role + DEMO_PASSWORD_SUFFIX)
            at.session_state["_session_token"] = auth.open_session(engine, user)
            at.query_params["lang"] = "en"
            at.run()
            links = [p.label for p in at.get("page_link")]  # home links every page one may open
            print(role, "Branch notes" in links)
            if role == "president":
                at.switch_page("pages/branch_notes.py").run()
                print(not at.exception, at.title[-1].value, at.metric[-1].value, sep="|")
        """,
    )
    lines = out.strip().splitlines()
    assert lines[0] == "president True"
    drawn, title, branches = lines[1].split("|")
    assert (drawn, title) == ("True", "Branch notes")
    assert int(branches.replace(",", "")) > 0  # the bank's branches, read through the scope
    assert lines[2] == "marketing False"  # the role does not grant it: not in its navigation
