"""Meta-tests: every code list is defined once, every place that lists or labels a code agrees.

The lists the bank does not decide are in metrics/codes.py; the bank's decisions in the standard
(metrics/standards.toml) and the rules file (metrics/rules.toml). Labels live in
dashboard/locales/ under the prefixes of ``codes.LABEL_PREFIXES``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from dashboard.i18n import LANGS, catalog
from data_access import schema
from metrics import codes
from metrics.footprint_rules import load_rules
from metrics.standards import load_standards

ROOT = Path(__file__).resolve().parent.parent
LISTS = {name: getattr(codes, name) for name in codes.LABEL_PREFIXES}


@pytest.mark.parametrize("name", sorted(LISTS))
def test_every_code_has_a_label_in_both_languages(name: str) -> None:
    known = catalog()
    missing = [
        f"{prefix}{code} ({lang})"
        for prefix in codes.LABEL_PREFIXES[name]
        for code in LISTS[name]
        for lang in LANGS
        if not known.get(f"{prefix}{code}", {}).get(lang, "").strip()
    ]
    assert missing == [], f"{name}: add these labels to dashboard/locales/"


@pytest.mark.parametrize("name", sorted(set(LISTS) - {"KPI_CODES"}))
def test_no_page_labels_a_code_again(name: str) -> None:
    """A page's own product_<code> (say) beside codes.product_<code> is a second label: it once
    said 涉农贷款 where the others said 农户贷款. (KPI cards are labelled on the KPI page only;
    segments.kpi_* are the segment summary's own figures.)"""
    known = catalog()
    stems = {prefix.split(".", 1)[1] for prefix in codes.LABEL_PREFIXES[name]}
    disagree = []
    for code in LISTS[name]:
        texts = {
            key: (v["zh"], v["en"])
            for key, v in known.items()
            if any(key.split(".", 1)[1] == f"{stem}{code}" for stem in stems)
        }
        if len(texts) > 1:
            disagree.append(sorted(texts))
    assert disagree == []


def test_every_kpi_has_its_reason_labels() -> None:
    known = catalog()
    missing = [
        key
        for k in codes.KPIS
        for key in (f"kpis.reason_{k.stem}_drop", f"kpis.reason_{k.stem}_spike")
        if key not in known
    ]
    assert missing == []


def test_the_signals_agree_across_standard_rules_and_schema() -> None:
    standard = [s.code for s in load_standards().signals]
    rules = [s.code for s in load_rules().signals]
    columns = [c.name for c in schema.customer_signals.columns][3:]
    assert set(standard) == set(rules) == set(schema.SIGNAL_CODES) == set(columns)


def test_the_loyalty_components_agree_across_standard_and_schema() -> None:
    standard = {c.code for c in load_standards().loyalty.components}
    skip = {"customer_id", "branch_id", "officer_id", "as_of", "loyalty", "churn_risk"}
    columns = {c.name for c in schema.customer_loyalty.columns} - skip
    assert standard == columns


def test_the_default_funnel_is_the_stage_order_the_schema_and_demo_use() -> None:
    assert tuple(s.code for s in load_standards().funnel.stages) == codes.FUNNEL_STAGES


def test_the_kpi_mart_and_targets_can_hold_every_kpi_code() -> None:
    width = schema.kpi_facts.c.kpi.type.length
    assert width == schema.weekly_targets.c.kpi.type.length
    assert max(len(k) for k in codes.KPI_CODES) <= width
    assert len(set(codes.KPI_CODES)) == len(codes.KPIS)
    assert len({k.stem for k in codes.KPIS}) == len(codes.KPIS)


def _string_sequences(path: Path) -> list[tuple[int, frozenset[str]]]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Tuple | ast.List | ast.Set) and len(node.elts) >= 3:
            items = [e.value for e in node.elts if isinstance(e, ast.Constant)]
            if len(items) == len(node.elts) and all(isinstance(v, str) for v in items):
                out.append((node.lineno, frozenset(items)))
    return out


def test_no_module_writes_a_code_list_again() -> None:
    """A literal holding a whole code list is a second definition: import it from metrics.codes."""
    whole = {frozenset(v): k for k, v in LISTS.items()} | {
        frozenset(codes.FUNNEL_STAGES): "FUNNEL_STAGES"
    }
    offenders = []
    for folder in ("dashboard", "data_access", "metrics", "bench"):
        for path in (ROOT / folder).rglob("*.py"):
            if path == ROOT / "metrics" / "codes.py" or "migrations" in path.parts:
                continue
            for line, items in _string_sequences(path):
                if items in whole:
                    offenders.append(f"{path.relative_to(ROOT)}:{line} repeats {whole[items]}")
    assert offenders == []
