"""Each demo role signs in and is offered exactly its pages; the sidebar holds only its scope."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from dashboard.i18n import catalog
from data_access.roles import ROLES
from data_access.schema import officers


@pytest.mark.parametrize("role", sorted(ROLES))
def test_home_offers_only_the_roles_pages(
    app_test: Callable[..., AppTest], demo_engine: sa.Engine, role: str
) -> None:
    at = app_test("home", user=role, lang="en")
    assert not at.exception, at.exception
    links = {link.label for link in at.get("page_link")}
    expected = {catalog()[f"{p}.title"]["en"] for p in ROLES[role].pages if p != "home"}
    assert links == expected
    caption = " ".join(c.value for c in at.sidebar.caption)
    assert "(演示)" in caption  # who is signed in
    branches = at.multiselect(key="w_branches").options
    officer_opts = at.multiselect(key="w_officers").options
    with demo_engine.connect() as conn:
        first = conn.execute(sa.select(sa.func.min(officers.c.branch_id))).scalar_one()
    if role in ("president", "credit", "officer"):
        assert len(branches) == 1  # only the own branch
    if role == "officer":
        assert len(officer_opts) == 1
    if role == "auditor":
        assert branches == [] and officer_opts == []
    if role in ("admin", "marketing", "training"):
        assert len(branches) > 1
    assert first is not None


def test_a_forged_scope_in_session_state_is_ignored(
    app_test: Callable[..., AppTest],
) -> None:
    from data_access.filters import Scope

    at = app_test("home", user="officer", lang="en")
    at.session_state["scope"] = Scope.bank()  # the router sets the scope from the session
    at.run()
    assert len(at.multiselect(key="w_officers").options) == 1
