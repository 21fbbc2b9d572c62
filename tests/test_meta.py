"""Meta-tests that keep the project's registries and rules honest."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dashboard.i18n import LANGS, catalog
from dashboard.nav import PAGE_TABLE, PAGES_DIR

ROOT = Path(__file__).resolve().parent.parent


def _py(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("folder", ["metrics", "data_access"])
def test_no_streamlit_below_the_dashboard(folder: str) -> None:
    offenders = [
        p for p in _py(folder) if re.search(r"^\s*(import|from)\s+streamlit", p.read_text(), re.M)
    ]
    assert offenders == []


def test_metrics_never_import_data_access() -> None:
    offenders = [
        p
        for p in _py("metrics")
        if re.search(r"^\s*(import|from)\s+(data_access|sqlalchemy)", p.read_text(), re.M)
    ]
    assert offenders == []


def test_every_registered_page_exists_and_has_an_app_test() -> None:
    tests = {p.name for p in (ROOT / "tests" / "dashboard").glob("test_*.py")}
    for _, file, url_path, _, _ in PAGE_TABLE:
        assert (PAGES_DIR / file).exists(), file
        assert any(name.startswith(f"test_{url_path}") for name in tests), f"no app test for {file}"


def test_every_label_has_chinese_and_english() -> None:
    for key, texts in catalog().items():
        for lang in LANGS:
            assert isinstance(texts.get(lang), str) and texts[lang].strip(), f"{key} lacks {lang}"
        assert set(texts) <= set(LANGS), key


def test_no_plural_fudges_in_english() -> None:
    """ "3 field(s)" reads as a machine's; a sentence about n things has a ``<key>_one`` form and
    is shown through ``tn`` (Babel's plural rule)."""
    fudges = sorted(key for key, texts in catalog().items() if "(s)" in texts["en"])
    assert fudges == []


def test_every_literal_translation_key_in_the_code_exists() -> None:
    keys = set(catalog())
    used: set[tuple[str, str]] = set()
    for path in _py("dashboard"):
        for key in re.findall(r"""\bt\(\s*["']([a-z_]+\.[A-Za-z0-9_]+)["']""", path.read_text()):
            used.add((path.name, key))
    missing = sorted(f"{name}: {key}" for name, key in used if key not in keys)
    assert missing == []


def test_no_web_fonts_icons_or_cdn_in_the_app() -> None:
    for path in _py("dashboard"):
        text = path.read_text()
        assert ":material/" not in text, path
        assert not re.search(r"https?://(?!127\.0\.0\.1|localhost)", text), path


def test_no_sql_built_by_string_formatting() -> None:
    """Values go in as bound parameters and names are quoted by the dialect: no statement is an
    f-string. Spark's statements SQLAlchemy lacks (INSERT OVERWRITE, CREATE TABLE … AS, views,
    partitions) are constructs compiled per dialect (data_access/dialects.py)."""
    pattern = re.compile(r"(text|execute|exec_driver_sql)\(\s*f[\"']")
    offenders = [
        f"{path}:{text.count(chr(10), 0, match.start()) + 1}"
        for folder in ("dashboard", "data_access", "metrics")
        for path in _py(folder)
        for text in [path.read_text()]
        for match in pattern.finditer(text)
    ]
    assert offenders == []


def test_the_product_never_points_into_the_shared_notes() -> None:
    """The notes beside the repository are not part of the product: facts live in docs/."""
    pattern = re.compile(r"\.\./shared|shared/notes")
    files = [ROOT / "README.md", ROOT / "Makefile"] + [
        p
        for folder in ("dashboard", "data_access", "metrics", "tests", "bench", "docs")
        for p in (ROOT / folder).rglob("*")
        if p.suffix in {".py", ".md", ".toml", ".json", ".sh"} and p != Path(__file__).resolve()
    ]
    offenders = [str(p.relative_to(ROOT)) for p in files if pattern.search(p.read_text())]
    assert offenders == []


def test_the_spark_and_browser_packages_each_run_in_one_worker() -> None:
    """`make test`'s two workers get whole units: a module, or the Spark and browser packages
    whole (their cluster and server start once); tests/conftest.py's scheduler splits by these."""
    from tests.conftest import unit_of

    assert unit_of("tests/spark/test_pages_on_spark.py::test_page[home-]") == "tests/spark"
    assert unit_of("tests/spark/test_dialect.py::test_ddl") == "tests/spark"
    assert unit_of("tests/browser/test_drill.py::test_two_clicks") == "tests/browser"
    assert unit_of("tests/dashboard/test_kpis_page.py::test_x[a::b]") == (
        "tests/dashboard/test_kpis_page.py"
    )
    assert unit_of("tests/test_codes.py::test_y") == "tests/test_codes.py"


def test_the_longest_units_are_handed_out_first() -> None:
    """The scheduler hands the units out in collection order (long packages first, as
    pytest_collection_modifyitems sorts them), not by their number of tests."""
    from types import SimpleNamespace

    from tests.conftest import pytest_xdist_make_scheduler

    class Node:
        def __init__(self, name: str) -> None:
            self.gateway = SimpleNamespace(id=name)
            self.shutting_down = False
            self.sent: list[list[int]] = []

        def send_runtest_some(self, indices: list[int]) -> None:
            self.sent.append(indices)

        def shutdown(self) -> None:
            self.shutting_down = True

    collection = [f"tests/spark/test_s.py::test_{i}" for i in range(3)] + [
        f"tests/metrics/test_m.py::test_{i}" for i in range(9)
    ]
    option = SimpleNamespace(loadscopereorder=True, tx=["popen", "popen"])
    config = SimpleNamespace(option=option, getvalue=lambda name: getattr(option, name))
    sched = pytest_xdist_make_scheduler(config, None)
    first, second = Node("gw0"), Node("gw1")
    for node in (first, second):
        sched.add_node(node)
        sched.add_node_collection(node, collection)
    sched.schedule()
    assert first.sent[0] == [0, 1, 2]  # the Spark package, though it has fewer tests
    assert second.sent[0] == list(range(3, 12))


def _card_labels() -> dict[str, list[str]]:
    """file -> the label keys of every card (``st.metric``) the pages and their views draw.

    A label is ``t("key")``; the KPI page's cards are labelled per KPI (``card_label(kpi, …)``,
    ``kpi_labels[kpi]``), which stands for every ``kpis.kpi_<code>``; any other label is returned
    as its source text, which the inventory cannot list, so the test below fails on it.
    """
    import ast

    from dashboard.report import KPI_ORDER

    out: dict[str, list[str]] = {}
    for path in [*_py("dashboard/pages"), *_py("dashboard/views")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "metric"
                and node.args
            ):
                continue
            arg = node.args[0]
            keys = [f"<{ast.unparse(arg)}>"]
            if (
                isinstance(arg, ast.Call)
                and isinstance(arg.func, ast.Name)
                and arg.func.id == "t"
                and isinstance(arg.args[0], ast.Constant)
            ):
                keys = [arg.args[0].value]
            elif ast.unparse(arg) in ("card_label(kpi, lang)", "kpi_labels[kpi]"):
                keys = [f"kpis.kpi_{k}" for k in KPI_ORDER]
            out.setdefault(path.relative_to(ROOT).as_posix(), []).extend(keys)
    return out


def test_every_card_is_in_the_figure_inventory() -> None:
    """docs/figure-tests.md names every card a page shows, and every test it cites exists."""
    inventory = (ROOT / "docs" / "figure-tests.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"`([a-z_]+\.[a-z_]+)`", inventory))
    cards = _card_labels()
    assert sum(len(v) for v in cards.values()) >= 40  # the scan finds the pages' cards
    missing = {f: [k for k in keys if k not in listed] for f, keys in cards.items()}
    assert not {f: k for f, k in missing.items() if k}, "cards missing from docs/figure-tests.md"
    for path, name in re.findall(r"`(tests/[\w/]+\.py)::(test_\w+)`", inventory):
        source = ROOT / path
        assert source.exists(), path
        assert re.search(rf"^def {name}\(", source.read_text(encoding="utf-8"), re.M), name
