"""Single sign-on through Streamlit's ``st.login`` when ``[auth]`` is configured in secrets.toml.

The identity provider's claim named by ``[footprint] oidc_role_claim`` (default ``footprint_role``)
gives the role, ``oidc_branch_claim`` (default ``footprint_branch``) the branch, and
``oidc_officer_claim`` (default ``footprint_officer``) the officer. A user signed in this way is
created (or updated) as a local user without a password, and gets an ordinary session.
"""

from __future__ import annotations

import streamlit as st

from dashboard.i18n import t


def configured() -> bool:
    """Whether an ``[auth]`` section is present in the app's secrets."""
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, KeyError, st.errors.StreamlitSecretNotFoundError):
        return False


def oidc_button() -> None:
    """The single sign-on button on the sign-in page (only when configured)."""
    if configured() and st.button(t("access.sign_in_oidc"), key="oidc_sign_in"):
        st.login()
