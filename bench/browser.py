"""Time to the first chart in Debian's chromium, page by page, on a freshly started server.

``measure_browser(url)`` starts ``python -m dashboard`` on the bank at ``url`` and records seconds
from navigation until the first visible chart of each page: on a first visit ever (empty browser
cache), then for a returning browser on a freshly restarted server (cold: nothing of the bank
cached on the server) and once more (warm), plus the server process's peak memory (VmHWM).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import ROOT, log

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CHART = "[data-testid='stPlotlyChart'], [data-testid='stVegaLiteChart']"
URL_PATHS = {"customer": "customer?customer=42", "customer_book": "customer"}
# One customer's page opens on its overview tab, whose first figures are metrics; its charts
# are in the other tabs. For it the first visible metric value counts.
FIRST = {"customer": "[data-testid='stMetricValue']"}


@dataclass
class BrowserFigures:
    """Seconds to the first visible chart per page, and the server's peak memory."""

    cold_s: dict[str, float] = field(default_factory=dict)
    warm_s: dict[str, float] = field(default_factory=dict)
    first_visit_s: dict[str, float] = field(default_factory=dict)
    server_peak_rss_mb: float = 0.0
    server_start_s: float = 0.0
    error: str = ""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _first_chart(page: object, url: str, timeout_ms: int, selector: str = CHART) -> float:
    t0 = time.perf_counter()
    page.goto(url, wait_until="commit")  # type: ignore[attr-defined]
    # the first chart that is visible: charts in a tab that is not open stay hidden
    visible = page.locator(f"{selector} >> visible=true").first  # type: ignore[attr-defined]
    visible.wait_for(state="visible", timeout=timeout_ms)
    return time.perf_counter() - t0


class _Server:
    """``python -m dashboard`` on a bank, on a given port, for the length of a ``with`` block."""

    def __init__(
        self, db_url: str, port: int, log_file: Path | None, env: dict[str, str] | None = None
    ) -> None:
        self.db_url, self.port, self.log_file = db_url, port, log_file
        self.env = env or {}
        self.base = f"http://127.0.0.1:{port}"
        self.start_s = 0.0

    def __enter__(self) -> _Server:
        env = {**os.environ, "FOOTPRINT_DATABASE_URL": self.db_url, **self.env}
        cmd = [sys.executable, "-m", "dashboard", "--server.port", str(self.port)]
        cmd += ["--server.address", "127.0.0.1", "--server.headless", "true"]
        if self.log_file is not None:  # the bank may live elsewhere: its log folder may not exist
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.sink = (self.log_file or Path(os.devnull)).open("a")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            cmd, env=env, cwd=ROOT, stdout=self.sink, stderr=subprocess.STDOUT
        )
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"{self.base}/_stcore/health", timeout=2)
                self.start_s = time.perf_counter() - t0
                return self
            except OSError:
                time.sleep(0.3)
        self.__exit__()
        raise RuntimeError("server did not start")

    def peak_rss_mb(self) -> float:
        return _vm_hwm_mb(self.proc.pid)

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.sink.close()


def measure_browser(
    db_url: str, pages: tuple[str, ...], timeout_s: float = 60.0, log_file: Path | None = None
) -> BrowserFigures:
    """First-chart seconds per page: first visit ever, then cold and warm for a returning browser.

    1. *first visit*: a fresh server, and for each page a new browser profile with an empty cache
       (the worst case: the first time anyone opens the page on this machine).
    2. One profile visits every page twice on that server, so that its HTTP cache and V8's code
       cache hold the app's scripts, as a user's browser does after the first day.
    3. *cold*: a second fresh server on the same port (same origin, so the profile's cache
       applies; nothing of the bank cached on the server), each page once; *warm*: again.
    """
    from playwright.sync_api import sync_playwright

    from bench.pages import _bench_session
    from dashboard.access import COOKIE

    out = BrowserFigures()
    port = _free_port()
    timeout_ms = int(timeout_s * 1000)
    # Every profile is signed in as the benchmark's administrator, through the session cookie the
    # sign-in form would have written (the token is opened before the server holds the file):
    # the figures are a signed-in user's, the sign-in form is not what is measured.
    token = _bench_session(db_url)

    def signed_in(ctx: object) -> object:
        ctx.add_cookies([{"name": COOKIE, "value": token, "url": f"http://127.0.0.1:{port}"}])  # type: ignore[attr-defined]
        return ctx

    def visit(ctx: object, base: str, name: str, store: dict[str, float], label: str) -> None:
        tab = ctx.new_page()  # type: ignore[attr-defined]
        try:
            took = _first_chart(
                tab, f"{base}/{URL_PATHS.get(name, name)}", timeout_ms, FIRST.get(name, CHART)
            )
            store[name] = round(took, 3)
            log(f"browser {label} {name}: {took:.2f} s")
        except Exception as exc:  # record it, go on with the next page
            store[name] = float("nan")
            out.error += f"{label} {name}: {str(exc).splitlines()[0]}; "
        finally:
            tab.close()

    def the_app_once(ctx: object, base: str) -> None:
        # the app's own scripts, on a customer that does not exist (only the sidebar's loaders run)
        tab = ctx.new_page()  # type: ignore[attr-defined]
        tab.goto(f"{base}/customer?customer=999999999", wait_until="commit")
        tab.locator("[data-testid='stAlert']").first.wait_for(timeout=timeout_ms)
        tab.close()

    try:
        with sync_playwright() as pw:
            chromium = pw.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            try:
                viewport = {"width": 1400, "height": 1000}
                user = signed_in(chromium.new_context(viewport=viewport))  # returning user
                with _Server(db_url, port, log_file) as server:
                    for name in pages:
                        fresh = signed_in(chromium.new_context(viewport=viewport))
                        visit(fresh, server.base, name, out.first_visit_s, "first visit")
                        fresh.close()
                    the_app_once(user, server.base)
                    for _ in range(2):
                        for name in pages:
                            visit(user, server.base, name, {}, "to fill the cache")
                with _Server(db_url, port, log_file) as server:
                    out.server_start_s = server.start_s
                    the_app_once(user, server.base)
                    for label, store in (("cold", out.cold_s), ("warm", out.warm_s)):
                        for name in pages:
                            visit(user, server.base, name, store, label)
                    out.server_peak_rss_mb = server.peak_rss_mb()
                user.close()
            finally:
                chromium.close()
    except RuntimeError as exc:
        out.error += str(exc)
    return out
