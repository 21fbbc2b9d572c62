"""Every reliance on Streamlit internals, in one place (checked on the Streamlit in CHECKED_ON).

Streamlit treats an app with a ``pages/`` folder beside its script as a legacy multipage app:
``PagesManager.uses_pages_directory`` (a class attribute) is set by the first PagesManager from
whether that folder exists, and while it is true a switched-to page or a fresh server's first deep
link (/kpis) runs the page's file without the router (``st.navigation`` sets it false only once
the router has run). The design keeps ``dashboard/pages/``, so the launcher turns the mode off
before the server starts, the page context turns it off when a page was run without the router,
and the app tests keep it off because AppTest resets it to None before every run.

``streamlit run`` builds its ASGI app in ``starlette_server.UvicornServer.start`` through the
module's name ``create_starlette_app``; ``wrap_the_server_app`` puts a middleware around that app
(``dashboard.frontend``), and ``static_files`` says where Streamlit's frontend lies, under which
base path, and the cache header Streamlit gives its hashed files.
``tests/test_streamlit_internals.py`` fails loudly when an upgrade changes any of this.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from streamlit.runtime.pages_manager import PagesManager

CHECKED_ON = "1.67.0"  # the Streamlit version this module was verified against


def route_through_the_router() -> None:
    """Switch Streamlit's legacy pages-folder mode off: every page runs through the router."""
    PagesManager.uses_pages_directory = False


@contextmanager
def router_always_in_charge() -> Iterator[None]:
    """While open, every new PagesManager (AppTest makes one per run) keeps the legacy mode off."""
    original = PagesManager.__init__

    def init(self: PagesManager, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)
        route_through_the_router()

    PagesManager.__init__ = init  # type: ignore[method-assign]
    try:
        yield
    finally:
        PagesManager.__init__ = original  # type: ignore[method-assign]


def wrap_the_server_app(wrap: Callable[[Any], Any]) -> None:
    """Have ``streamlit run`` serve ``wrap(app)`` instead of Streamlit's ASGI app ``app``."""
    from streamlit.web.server.starlette import starlette_server

    original = starlette_server.create_starlette_app

    def create(runtime: object) -> object:
        return wrap(original(runtime))

    starlette_server.create_starlette_app = create  # type: ignore[assignment]


def static_files() -> tuple[Path, str, str]:
    """Streamlit's frontend folder, the server's base URL path, and its hashed files' header."""
    from streamlit import config, file_util
    from streamlit.web.server.starlette.starlette_server_config import (
        STATIC_ASSET_CACHE_MAX_AGE_SECONDS,
    )

    cache = f"public, immutable, max-age={STATIC_ASSET_CACHE_MAX_AGE_SECONDS}"
    return Path(file_util.get_static_dir()), config.get_option("server.baseUrlPath") or "", cache
