"""Time to the first chart in Debian's chromium, page by page, on a freshly started server.

``measure_browser(url)`` starts ``python -m dashboard`` on the bank at ``url``, opens each page in a
new tab of one browser profile (cold: the page's data has not been asked for yet on this server)
and again (warm: the server's caches hold it), and records seconds from navigation until the first
visible chart, plus the server process's peak memory (VmHWM) at the end.
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


def measure_browser(
    db_url: str, pages: tuple[str, ...], timeout_s: float = 60.0, log_file: Path | None = None
) -> BrowserFigures:
    """Start a server on ``db_url``; first-chart seconds per page, cold then warm."""
    from playwright.sync_api import sync_playwright

    out = BrowserFigures()
    port = _free_port()
    env = {**os.environ, "FOOTPRINT_DATABASE_URL": db_url}
    cmd = [sys.executable, "-m", "dashboard", "--server.port", str(port)]
    cmd += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    sink = (log_file or Path(os.devnull)).open("w")
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"{base}/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        else:
            out.error = "server did not start"
            return out
        out.server_start_s = time.perf_counter() - t0
        with sync_playwright() as pw:
            chromium = pw.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            try:
                # One browser profile, as a user's: the app's scripts are fetched once, on a
                # customer that does not exist (only the sidebar's small loaders run), then each
                # page is opened in a new tab — cold (first visit on this server), then warm.
                ctx = chromium.new_context(viewport={"width": 1400, "height": 1000})
                tab = ctx.new_page()
                tab.goto(f"{base}/customer?customer=999999999", wait_until="networkidle")
                tab.close()
                for label, store in (("cold", out.cold_s), ("warm", out.warm_s)):
                    for name in pages:
                        tab = ctx.new_page()
                        try:
                            took = _first_chart(
                                tab,
                                f"{base}/{URL_PATHS.get(name, name)}",
                                int(timeout_s * 1000),
                                FIRST.get(name, CHART),
                            )
                            store[name] = round(took, 3)
                            log(f"browser {label} {name}: {took:.2f} s")
                        except Exception as exc:  # record it, go on with the next page
                            store[name] = float("nan")
                            out.error += f"{label} {name}: {str(exc).splitlines()[0]}; "
                        finally:
                            tab.close()
                ctx.close()
            finally:
                chromium.close()
        out.server_peak_rss_mb = _vm_hwm_mb(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        sink.close()
    return out
