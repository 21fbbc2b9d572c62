"""Every reliance on Streamlit internals, in one place (checked on the Streamlit in CHECKED_ON).

Streamlit treats an app with a ``pages/`` folder beside its script as a legacy multipage app:
``PagesManager.uses_pages_directory`` (a class attribute) is set by the first PagesManager from
whether that folder exists, and while it is true a switched-to page or a fresh server's first deep
link (/kpis) runs the page's file without the router (``st.navigation`` sets it false only once
the router has run). The design keeps ``dashboard/pages/``, so the launcher turns the mode off
before the server starts, the page context turns it off when a page was run without the router,
and the app tests keep it off because AppTest resets it to None before every run.
``tests/dashboard/test_streamlit_internals.py`` fails loudly when an upgrade changes any of this.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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
