"""Single sign-on through Streamlit's ``st.login`` when ``[auth]`` is configured in secrets.toml.

The identity provider's ID token names the role in the claim ``oidc_role_claim`` (setting,
default ``footprint_role``), the branch in ``oidc_branch_claim`` (``footprint_branch``; for a
marketing team a list or "3,5") and the officer in ``oidc_officer_claim`` (``footprint_officer``).
The user is kept as a local user without a password (``users.oidc_subject`` = the token's
``sub``), updated from the claims at each sign-in, and gets an ordinary Footprint session.
"""

from __future__ import annotations

import sqlalchemy as sa
import streamlit as st

from dashboard.db import get_engine
from dashboard.i18n import t
from data_access import auth
from data_access.auth import User
from data_access.errors import InvalidFilter
from data_access.schema import users
from data_access.settings import get_setting


def configured() -> bool:
    """Whether an ``[auth]`` section is present in the app's secrets."""
    try:
        return "auth" in st.secrets
    except Exception:
        return False


def oidc_button() -> None:
    """The single sign-on button on the sign-in page (only when configured)."""
    if configured() and st.button(t("access.sign_in_oidc"), key="oidc_sign_in"):
        st.login()


def _ids(value: object) -> tuple[int, ...]:
    if isinstance(value, list | tuple):
        return tuple(int(v) for v in value if str(v).strip().isdigit())
    return tuple(int(p) for p in str(value or "").split(",") if p.strip().isdigit())


def user_from_claims(engine: sa.Engine, claims: dict) -> User:
    """The local user for these ID-token claims (created or updated; role and scope from them)."""
    subject = str(claims.get("sub") or "")
    if not subject:
        raise InvalidFilter("the identity provider sent no subject (sub)")
    username = str(claims.get("preferred_username") or claims.get("email") or subject)[:64]
    role_code = str(claims.get(get_setting("oidc_role_claim")) or "")
    branches = _ids(claims.get(get_setting("oidc_branch_claim")))
    officer = _ids(claims.get(get_setting("oidc_officer_claim")))
    assignment = {
        "branch_id": branches[0] if len(branches) == 1 else None,
        "officer_id": officer[0] if officer else None,
        "branch_ids": branches if len(branches) > 1 else (),
    }
    with engine.begin() as conn:
        u = users.c
        row = conn.execute(
            sa.select(u.username, u.active, u.role, u.branch_id, u.officer_id, u.branch_ids).where(
                u.oidc_subject == subject
            )
        ).one_or_none()
        if row is None:
            auth.create_user(
                conn,
                username,
                None,
                role_code,
                display_name=str(claims.get("name") or username),
                oidc_subject=subject,
                by="oidc",
                **assignment,
            )
        else:
            if not row.active:
                raise auth.SignInRefused("disabled")
            username = row.username
            held = (row.role, row.branch_id, row.officer_id, row.branch_ids or None)
            claimed = (
                role_code,
                assignment["branch_id"],
                assignment["officer_id"],
                ",".join(map(str, assignment["branch_ids"])) or None,
            )
            if held != claimed:  # audited as a user change only when the claims changed
                auth.assign(conn, username, role_code, by="oidc", end_sessions=False, **assignment)
        user = auth.load_user(conn, username)
    assert user is not None
    return user


def signed_in_with_oidc() -> User | None:
    """After ``st.login``: the Footprint user for the provider's identity, or None."""
    if not configured():
        return None
    try:
        if not st.user.is_logged_in:
            return None
        claims = st.user.to_dict()
    except (AttributeError, KeyError):
        return None
    try:
        return user_from_claims(get_engine(), claims)
    except (InvalidFilter, auth.SignInRefused):
        st.error(t("access.oidc_unknown"))
        st.logout()
        return None
