"""What each role sees of each kind of personal data: defined once per role (``Role.reveal`` in
``data_access/roles.py``), checked role × field on literal values and on the demo bank's rows.

No role sees a kind of personal data in clear by default (PIPL art. 51, least privilege): seeing
one customer unmasked is the separate ``unmask`` right, asked for with a reason and logged. So
every role × field below expects the masked form; a role given a kind in ``reveal`` gets it clear,
and the test follows from the same definition.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from data_access.auth import _demo_assignment
from data_access.masking import KINDS, PERSONAL_COLUMN_NAMES, protect
from data_access.queries.customer import fetch_profile
from data_access.queries.value import SegmentDefinition, fetch_segment_customers
from data_access.roles import ROLES, scope_for
from data_access.selection import Selection
from tests.conftest import DEMO_END_DATE
from tests.data_access.personal import stored_personal

ROOT = Path(__file__).resolve().parents[2]

# One value of each kind and its masked form (the national practice: mobile 138****1234; an ID
# number keeps at most its first 6 and last 4; short numbers hide at least half).
CASES = {
    "name": [("欧阳娜娜", "欧***"), ("张三", "张*"), ("李", "李*")],
    "phone": [("13812341234", "138****1234"), ("88881234", "****1234"), ("057188881234", "05******1234")],
    "id_number": [("330102199001011234", "3301**********1234"), ("E12345678", "*****5678")],
    "address": [("浙江省杭州市西湖区文三路1号", "浙江省杭州市********")],
    "account": [("6222021234567890123", "62220**********0123"), ("88881234", "****1234")],
}  # fmt: skip
COLUMN_OF = {kind: col for col, kind in PERSONAL_COLUMN_NAMES.items() if col != "customer_name"}


def test_every_kind_has_its_cases_and_a_column() -> None:
    assert set(CASES) == set(KINDS) == set(COLUMN_OF)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("role", sorted(ROLES))
def test_each_role_sees_each_kind_as_its_definition_says(role: str, kind: str) -> None:
    reveal = ROLES[role].reveal
    column = COLUMN_OF[kind]
    raw = pl.DataFrame({column: [v for v, _ in CASES[kind]]})
    shown = protect(raw, reveal, PERSONAL_COLUMN_NAMES)[column].to_list()
    expected = [v if kind in reveal else m for v, m in CASES[kind]]
    assert shown == expected


@pytest.mark.parametrize("kind", ["phone", "id_number", "account"])
def test_a_masked_number_keeps_at_most_six_leading_and_four_trailing_characters(
    kind: str,
) -> None:
    column = COLUMN_OF[kind]
    for value in ("1", "12", "1234", "88881234", "E12345678", "13812341234", "330102199001011234"):
        masked = protect(pl.DataFrame({column: [value]}), (), PERSONAL_COLUMN_NAMES)[column][0]
        kept_head = len(re.match(r"[^*]*", masked).group(0))
        kept_tail = len(re.search(r"[^*]*$", masked).group(0))
        assert len(masked) == len(value) and kept_head <= 6 and kept_tail <= 4, (value, masked)
        if not (kind == "phone" and len(value) == 11):  # a mobile: 138****1234 by convention
            assert masked.count("*") >= len(value) / 2, (value, masked)  # at least half hidden


def test_reveal_is_set_only_by_the_roles_and_the_audited_unmask() -> None:
    """One definition per role: no other code hands a scope clear personal data."""
    setters = []
    for folder in ("dashboard", "data_access"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == ROOT / "data_access" / "roles.py":
                continue  # the one definition, per role
            text = path.read_text(encoding="utf-8")
            for m in re.finditer(r"reveal\s*=\s*(?!\(\)|r\.reveal|reveal\b)([^,)\n]+)", text):
                setters.append((path.relative_to(ROOT).as_posix(), m.group(1).strip()))
    assert setters == [("dashboard/access.py", "KINDS")], setters  # unmask_panel, logged


@pytest.mark.parametrize("role", sorted(ROLES))
def test_the_demo_banks_rows_leave_the_data_layer_masked_for_each_role(
    role: str, demo_engine: sa.Engine
) -> None:
    """Real rows through real fetches (one customer's profile, a segment list) for the role's
    scope: each personal column is the masker's output of the stored value, unless revealed."""
    with demo_engine.connect() as conn:
        where = _demo_assignment(conn).get(role, {})
        scope = scope_for(role, where.get("branch_id"), where.get("officer_id"))
        members = fetch_segment_customers(
            conn, Selection(scope), SegmentDefinition(), DEMO_END_DATE
        )
        first = members["customer_id"].head(1).to_list()
        profile = fetch_profile(conn, scope, first[0]) if first else pl.DataFrame()
        raw = stored_personal(conn)
    if ROLES[role].scope == "none":
        assert members.is_empty() and profile.is_empty()
        return
    assert members.height > 10 and profile.height == 1
    reveal = ROLES[role].reveal
    for shown in (members, profile):
        columns = [c for c in ("name", "phone", "id_number") if c in shown.columns]
        assert "name" in columns and "phone" in columns
        stored = raw.filter(pl.col("customer_id").is_in(shown["customer_id"].implode()))
        expected = protect(stored, reveal, PERSONAL_COLUMN_NAMES)
        got = shown.select("customer_id", *columns).sort("customer_id")
        assert got.equals(expected.select("customer_id", *columns).sort("customer_id"))
        for column in columns:
            if PERSONAL_COLUMN_NAMES[column] not in reveal:
                clear = set(stored[column].drop_nulls()) & set(got[column].drop_nulls())
                assert not clear, f"{role} sees {column} in clear"
