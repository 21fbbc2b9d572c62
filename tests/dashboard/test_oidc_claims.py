"""Single sign-on claims → a local user (dashboard.oidc.user_from_claims), on DuckDB and PostgreSQL:
created once, updated (and audited) only when the claims change, refused when disabled."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from dashboard.oidc import user_from_claims
from data_access import auth
from data_access.errors import InvalidFilter
from data_access.roles import scope_for
from data_access.schema import audit_log
from tests.data_access.test_auth import bank  # noqa: F401  (two branches, officers 10 and 20)

CLAIMS = {"sub": "kc-42", "preferred_username": "wang.li", "name": "王立", "footprint_role": "credit",
          "footprint_branch": "2"}  # fmt: skip


def _changes(engine: sa.Engine) -> list[str]:
    a = audit_log.c
    stmt = sa.select(a.detail).where(a.action == "user_change", a.target == "wang.li")
    with engine.connect() as conn:
        return list(conn.execute(stmt.order_by(a.audit_id)).scalars())


def test_claims_make_a_user_once_and_change_it_only_when_they_change(bank: sa.Engine) -> None:  # noqa: F811
    first = user_from_claims(bank, CLAIMS)
    assert (first.username, first.role, first.scope) == (
        "wang.li",
        "credit",
        scope_for("credit", 2, None),
    )
    again = user_from_claims(bank, CLAIMS)  # the next sign-in, the same claims
    assert again == first
    assert len(_changes(bank)) == 1 and '"create"' in _changes(bank)[0]
    moved = user_from_claims(bank, CLAIMS | {"footprint_branch": "1"})
    assert moved.scope == scope_for("credit", 1, None)
    assert len(_changes(bank)) == 2 and '"assign"' in _changes(bank)[1]
    marketing = user_from_claims(bank, CLAIMS | {"footprint_role": "marketing",
                                                 "footprint_branch": [1, 2]})  # fmt: skip
    assert marketing.scope == scope_for("marketing", None, None, (1, 2))
    user_from_claims(bank, CLAIMS | {"footprint_role": "marketing", "footprint_branch": "1,2"})
    assert len(_changes(bank)) == 3


def test_a_disabled_or_roleless_identity_is_refused(bank: sa.Engine) -> None:  # noqa: F811
    with pytest.raises(InvalidFilter):
        user_from_claims(bank, CLAIMS | {"footprint_role": "janitor"})
    user_from_claims(bank, CLAIMS)
    with bank.begin() as conn:
        auth.set_active(conn, "wang.li", False)
    with pytest.raises(auth.SignInRefused, match="disabled"):
        user_from_claims(bank, CLAIMS)
