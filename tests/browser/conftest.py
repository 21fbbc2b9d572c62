"""Browser tests: a real Streamlit server on a demo bank, driven by Debian's chromium via Playwright.

The server gets its own DuckDB file (DuckDB allows one writing process per file). Every request
the browser makes is recorded; the tests assert that none leaves 127.0.0.1.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from bench.browser import CHROMIUM, CHROMIUM_ARGS  # one definition of the browser and its flags
from tests.serving import free_port, wait_healthy

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "tests" / "artifacts" / "screenshots"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@contextmanager
def serve(folder: Path, extra: Sequence[str] = (), port: int | None = None) -> Iterator[str]:
    """Build a small demo bank in ``folder`` and serve the dashboard on it (``extra``: more
    Streamlit options); the base URL."""
    url = f"duckdb:///{folder / 'fp.duckdb'}"
    env = {**os.environ, "FOOTPRINT_DATABASE_URL": url}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "data_access",
            "init",
            "--url",
            url,
            "--customers",
            "2000",
            "--seed",
            "11",
        ],
        check=True,
        env=env,
        cwd=ROOT,
        capture_output=True,
    )
    port = port or free_port()
    log = (folder / "server.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dashboard",  # the real launcher, as `make run` starts it
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
            *extra,
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, folder / "server.log", seconds=60)
    except BaseException:  # pytest.fail is one: the server must not outlive the failed start
        proc.kill()
        raise
    try:
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a running dashboard on a small demo bank."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            "Debian's chromium is required for browser tests: run `make test` (installs it)",
            pytrace=False,
        )
    with serve(tmp_path_factory.mktemp("browser")) as base:
        yield base


@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
    """One headless chromium for the browser tests (closed after them: Playwright's sync API
    allows one running instance per thread, and other tests start their own)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def script_done(pg) -> None:
    """Wait until Streamlit's running indicator is gone: the script has finished its run."""
    pg.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=90_000
    )


def settled(pg, pause_ms: int = 1_000) -> None:
    """The script has finished its run, and ``pause_ms`` more for the browser to draw it."""
    script_done(pg)
    pg.wait_for_timeout(pause_ms)


def query_of(url: str) -> dict[str, str]:
    """The query parameters of ``url``, one value each."""
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


class Recorder:
    """Requests the page made, and those that would have left this machine."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    @property
    def external(self) -> list[str]:
        """Requests to any host other than 127.0.0.1 / localhost."""
        return [
            u
            for u in self.urls
            if urlparse(u).scheme in ("http", "https", "ws", "wss")
            and urlparse(u).hostname not in LOCAL_HOSTS
        ]


def sign_in(pg, server: str, username: str = "admin") -> None:
    """Sign in through the form as a demo user; the session cookie then serves every address."""
    pg.goto(f"{server}/?lang=en")
    pg.locator("input[aria-label='User name']").wait_for(timeout=60_000)
    pg.locator("input[aria-label='User name']").fill(username)
    pg.locator("input[aria-label='Password']").fill(f"{username}-demo")
    pg.get_by_role("button", name="Sign in", exact=True).click()
    pg.locator("[data-testid='footprint-watermark']").wait_for(state="attached", timeout=60_000)
    pg.wait_for_function("() => document.cookie.includes('footprint_session=')", timeout=30_000)


def _recorded(context) -> tuple[object, Recorder]:
    """A new page of ``context`` whose external requests are recorded and blocked (the network
    is cut)."""
    recorder = Recorder()

    def route(r) -> None:
        recorder.urls.append(r.request.url)
        host = urlparse(r.request.url).hostname
        if host in LOCAL_HOSTS or urlparse(r.request.url).scheme in ("data", "blob"):
            r.continue_()
        else:
            r.abort()

    context.route("**/*", route)
    pg = context.new_page()
    pg.on("websocket", lambda ws: recorder.urls.append(ws.url))
    return pg, recorder


CONTEXT = {"viewport": {"width": 1400, "height": 900}, "locale": "zh-CN"}


@pytest.fixture(scope="package")
def signed_in_state(browser, server: str) -> dict:
    """The demo administrator signed in once through the form (no request leaving 127.0.0.1):
    the browser's cookies, which every ``page`` starts with. One sign-in, not one per test: each
    took a page load, a script run and a password hash (2–4 s, ~50 tests); the form itself is
    tested in test_access.py, and no test that uses ``page`` signs out."""
    context = browser.new_context(**CONTEXT)
    try:
        pg, recorder = _recorded(context)
        sign_in(pg, server)
        assert recorder.external == [], recorder.external
        return context.storage_state()
    finally:
        context.close()


@pytest.fixture
def page(browser, signed_in_state: dict) -> Iterator[tuple[object, Recorder]]:
    """A fresh page (new browser context) of the signed-in demo administrator, whose external
    requests are recorded and blocked (the network is cut)."""
    context = browser.new_context(**CONTEXT, storage_state=signed_in_state)
    yield _recorded(context)
    context.close()


@pytest.fixture(scope="session", autouse=True)
def _screenshot_folder() -> None:
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
