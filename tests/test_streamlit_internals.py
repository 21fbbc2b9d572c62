"""Fails loudly when a Streamlit upgrade changes the internals dashboard/streamlit_internals.py uses."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
import streamlit
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from dashboard import streamlit_internals
from dashboard.streamlit_internals import (
    route_through_the_router,
    router_always_in_charge,
    static_files,
    wrap_the_server_app,
)

ROOT = (
    Path(__file__).resolve().parents[1]
)  # outside tests/dashboard: its conftest keeps the patch on
APP = ROOT / "dashboard" / "app.py"
MESSAGE = (
    "Streamlit's pages-folder handling or server is not what dashboard/streamlit_internals.py "
    "was written for: re-check that module, dashboard/frontend.py and the README's notes on the "
    "launcher against this Streamlit"
)


def _fresh_manager_mode() -> bool | None:
    """What a new PagesManager for dashboard/app.py decides, from an unset class attribute."""
    PagesManager.uses_pages_directory = None
    PagesManager(str(APP))
    return PagesManager.uses_pages_directory


def test_the_streamlit_in_use_is_the_one_checked() -> None:
    pinned = next(
        line.split("==")[1].strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.startswith("streamlit==")
    )
    assert streamlit.__version__ == pinned == streamlit_internals.CHECKED_ON, MESSAGE


def test_a_pages_folder_still_turns_the_legacy_mode_on() -> None:
    saved = PagesManager.uses_pages_directory
    try:
        assert (APP.parent / "pages").is_dir()
        assert _fresh_manager_mode() is True, MESSAGE  # the behaviour the patch exists for
        route_through_the_router()
        PagesManager(str(APP))
        assert PagesManager.uses_pages_directory is False, MESSAGE
        with router_always_in_charge():
            assert _fresh_manager_mode() is False, MESSAGE
        assert _fresh_manager_mode() is True, "router_always_in_charge must restore Streamlit's"
    finally:
        PagesManager.uses_pages_directory = saved


def test_the_legacy_mode_still_decides_how_a_page_is_run() -> None:
    """Streamlit's script runner and AppTest still read and reset the attribute we set."""
    from streamlit.runtime.scriptrunner import script_runner

    assert "PagesManager.uses_pages_directory" in inspect.getsource(script_runner), MESSAGE
    assert "PagesManager.uses_pages_directory = None" in inspect.getsource(AppTest), MESSAGE


def test_no_other_module_touches_the_pages_manager() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for folder in ("dashboard", "data_access", "metrics", "tests", "bench")
        for p in (ROOT / folder).rglob("*.py")
        if "PagesManager" in p.read_text()
        and p.name not in ("streamlit_internals.py", "test_streamlit_internals.py")
    ]
    assert offenders == []


def test_the_server_app_is_still_built_through_the_name_the_launcher_wraps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``streamlit run`` builds its ASGI app by calling ``starlette_server.create_starlette_app``
    from ``UvicornServer.start``: the name ``wrap_the_server_app`` replaces."""
    from streamlit.web.server.starlette import starlette_server

    assert "create_starlette_app(self._runtime)" in inspect.getsource(
        starlette_server.UvicornServer.start
    ), MESSAGE
    monkeypatch.setattr(starlette_server, "create_starlette_app", lambda runtime: ("app", runtime))
    wrap_the_server_app(lambda app: ("wrapped", app))
    assert starlette_server.create_starlette_app("rt") == ("wrapped", ("app", "rt"))


def test_the_frontend_is_where_and_as_the_middleware_expects() -> None:
    """Streamlit's frontend folder holds the page HTML (with ``</head>`` to put preloads before,
    its own chunks named relatively), the element chunks the pages draw, importing their chunks
    statically; the hashed files' cache header is Streamlit's; and Streamlit still leaves its
    static files uncompressed (if it compressed them, dashboard/frontend.py would be moot)."""
    from streamlit.web.server.starlette import starlette_gzip_middleware, starlette_static_routes

    from dashboard.frontend import chunk_names, element_chunks

    static_dir, base_url, cache = static_files()
    html = (static_dir / "index.html").read_text()
    assert "</head>" in html and 'src="./static/js/index.' in html, MESSAGE
    js_dir = static_dir / "static" / "js"
    for element in ("PlotlyChart", "DataFrame", "Metric", "Selectbox", "Multiselect"):
        assert len(chunk_names(js_dir, element)) == 1, (element, MESSAGE)
    assert len(element_chunks(static_dir)) > 20, MESSAGE  # the elements and what they import
    assert base_url == "" and cache == "public, immutable, max-age=31536000", MESSAGE
    assert "public, immutable, max-age=" in inspect.getsource(starlette_static_routes), MESSAGE
    assert starlette_gzip_middleware._should_bypass_gzip("/static/js/x.js"), MESSAGE
