"""Single sign-on end to end: a real local OIDC provider (oidc-provider-mock), the dashboard with
an ``[auth]`` section, chromium through the provider's authorisation form and back, signed in with
the role and branch the provider's claims give."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.conftest import serve
from tests.serving import free_port

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """A local OIDC provider that knows one user: a branch president of branch 1."""
    from oidc_provider_mock import User, run_server_in_thread

    wang = User(
        sub="wang-001",
        claims={
            "preferred_username": "wang",
            "name": "王行长",
            "footprint_role": "president",
            "footprint_branch": 1,
        },
    )
    with run_server_in_thread(user_claims=[wang]) as srv:
        yield f"http://127.0.0.1:{srv.server_port}"


@pytest.fixture(scope="module")
def sso_server(provider: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("sso")
    port = free_port()
    secrets = folder / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        'cookie_secret = "a-test-only-secret-0123456789abcdef"\n'
        'client_id = "footprint"\n'
        'client_secret = "footprint-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
        'client_kwargs = { prompt = "login" }\n'
    )
    with serve(folder, ["--secrets.files", str(secrets)], port=port) as base:
        yield base


def test_single_sign_on_maps_the_claims_to_role_and_scope(sso_server: str, browser) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US")
    pg = context.new_page()
    try:
        pg.goto(f"{sso_server}/?lang=en")
        pg.get_by_role("button", name="Sign in with the bank's single sign-on").click()
        pg.locator("input[name='sub']").first.wait_for(timeout=60_000)  # the provider's form
        pg.locator("input[name='sub']").first.fill("wang-001")
        pg.get_by_role("button", name="Authorize").click()
        pg.locator("[data-testid='footprint-watermark']").wait_for(state="attached", timeout=90_000)
        mark = pg.locator("[data-testid='footprint-watermark']").get_attribute("data-text")
        assert "wang" in (mark or "")
        sidebar = pg.locator("[data-testid='stSidebar']").inner_text()
        assert "President" in sidebar
        pg.goto(f"{sso_server}/admin?lang=en")  # a president is no administrator
        pg.get_by_role("heading", name="Not available").wait_for(timeout=60_000)
    finally:
        context.close()
