"""First visit on a new browser: seconds from navigation to the page's first visible chart, each
visit in a fresh browser profile (empty HTTP and code caches), signed in through the cookie.

``python -m bench.first_visit --url duckdb:////abs/bank.duckdb --page kpis --repeat 5`` starts
``python -m dashboard`` on the bank, visits the page ``repeat`` times and prints the first visit
(the server's first run of the page too) and the median of the later ones (a new browser on a
warm server), with the machine's load beside them.

``--compare`` measures the frontend as Streamlit serves it (``FOOTPRINT_FRONTEND_TUNING=off``)
and as the launcher serves it (``dashboard/frontend.py``: gzipped) in the same run, the two
servers' visits interleaved so that both see the same load (``--arms streamlit,footprint,preload``
adds the preloads). ``--link MBIT,MS`` puts the
browser behind a network of that bandwidth and round-trip latency (Chromium's own throttling), as
a branch on the bank's intranet sees the server; without it the browser is on the server's
machine. ``bench.browser`` measures every page.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from bench.browser import CHART, CHROMIUM, CHROMIUM_ARGS, FIRST, URL_PATHS, _first_chart, _Server
from bench.browser import _free_port as free_port

ARMS = {
    "streamlit": {"FOOTPRINT_FRONTEND_TUNING": "off"},
    "footprint": {"FOOTPRINT_FRONTEND_TUNING": "gzip"},
    "preload": {"FOOTPRINT_FRONTEND_TUNING": "preload"},
}
LABELS = {
    "streamlit": "as Streamlit serves it",
    "footprint": "served by the launcher (gzip)",
    "preload": "gzip and preloads",
}


@dataclass(frozen=True)
class Visit:
    """One new browser's visit: seconds to the first chart, the seconds the page's main thread
    was busy until then (Chrome's TaskDuration), and the MB that crossed the network."""

    seconds: float
    main_thread_s: float
    wire_mb: float


# bytes on the wire: the page and every resource it fetched (0 for those from a cache)
_WIRE_BYTES = """() => performance.getEntriesByType('navigation').concat(
    performance.getEntriesByType('resource')).reduce((n, e) => n + (e.transferSize || 0), 0)"""


def _throttle(cdp: object, link: tuple[float, float] | None) -> None:
    """Chromium's network emulation through ``cdp``: ``link`` = (Mbit/s, round-trip ms)."""
    if link is None:
        return
    mbit, rtt_ms = link
    rate = mbit * 1e6 / 8  # bytes per second
    cdp.send(  # type: ignore[attr-defined]
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": rtt_ms, "downloadThroughput": rate, "uploadThroughput": rate},
    )


def _own_copy(db_url: str, stack: ExitStack) -> str:
    """A DuckDB bank copied for a second server (DuckDB lets one process open a file); any
    other database is shared."""
    if not db_url.startswith("duckdb:///"):
        return db_url
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="first-visit-")))
    source = Path(db_url.removeprefix("duckdb:///"))
    shutil.copy(source, folder / source.name)
    return f"duckdb:///{folder / source.name}"


def first_visits(
    db_url: str,
    page: str,
    repeat: int,
    timeout_s: float = 120.0,
    arms: tuple[str, ...] = ("footprint",),
    link: tuple[float, float] | None = None,
) -> dict[str, list[Visit]]:
    """The visits to ``page`` of ``repeat`` new browsers per arm, in visit order (the first on
    that arm's freshly started server)."""
    from playwright.sync_api import sync_playwright

    from bench.pages import _bench_session
    from dashboard.access import COOKIE

    token = _bench_session(db_url)
    out: dict[str, list[Visit]] = {arm: [] for arm in arms}
    with sync_playwright() as pw, ExitStack() as stack:
        servers = {
            arm: stack.enter_context(
                _Server(
                    db_url if i == 0 else _own_copy(db_url, stack), free_port(), None, ARMS[arm]
                )
            )
            for i, arm in enumerate(arms)
        }
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for _ in range(repeat):
                for arm, server in servers.items():
                    ctx = chromium.new_context(viewport={"width": 1400, "height": 1000})
                    ctx.add_cookies([{"name": COOKIE, "value": token, "url": server.base}])
                    tab = ctx.new_page()
                    cdp = ctx.new_cdp_session(tab)
                    cdp.send("Performance.enable")
                    _throttle(cdp, link)
                    url = f"{server.base}/{URL_PATHS.get(page, page)}"
                    took = _first_chart(tab, url, int(timeout_s * 1000), FIRST.get(page, CHART))
                    metrics = {
                        m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]
                    }
                    wire = tab.evaluate(_WIRE_BYTES) / 1e6
                    out[arm].append(Visit(took, metrics.get("TaskDuration", float("nan")), wire))
                    ctx.close()
        finally:
            chromium.close()
    return out


def _line(label: str, visits: list[Visit]) -> str:
    took = [v.seconds for v in visits]
    later = statistics.median(took[1:]) if len(took) > 1 else float("nan")
    return (
        f"{label}: {took[0]:.2f} s on a fresh server; new browsers after it: median {later:.2f} s "
        f"({', '.join(f'{s:.2f}' for s in took[1:])}); main thread "
        f"busy {statistics.median(v.main_thread_s for v in visits):.2f} s, "
        f"{statistics.median(v.wire_mb for v in visits):.1f} MB over the network"
    )


def main() -> None:
    """Print the figures."""
    p = argparse.ArgumentParser(
        prog="python -m bench.first_visit", description=__doc__.split("\n")[0]
    )
    p.add_argument("--url", required=True, help="the bank's database URL")
    p.add_argument("--page", default="kpis")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument(
        "--compare", action="store_true", help="the frontend as Streamlit serves it, and tuned"
    )
    p.add_argument("--link", default="", help="MBIT,MS: the browser behind such a network")
    p.add_argument("--arms", default="", help="some of: " + ",".join(ARMS))
    args = p.parse_args()
    link = tuple(float(x) for x in args.link.split(",")) if args.link else None
    arms = tuple(args.arms.split(",")) if args.arms else ("footprint",)
    if args.compare and not args.arms:
        arms = ("streamlit", "footprint")
    took = first_visits(args.url, args.page, args.repeat, arms=arms, link=link)  # type: ignore[arg-type]
    where = f"behind {link[0]:g} Mbit/s, {link[1]:g} ms" if link else "on the server's machine"
    print(f"first visit to /{args.page}, browser {where}; load {os.getloadavg()[0]:.1f}")
    for arm, seconds in took.items():
        print("  " + _line(LABELS[arm], seconds))
    if "streamlit" in took and "footprint" in took:
        before, after = (
            statistics.median(v.seconds for v in took[a]) for a in ("streamlit", "footprint")
        )
        print(f"  median of all visits: {before:.2f} s before, {after:.2f} s after")


if __name__ == "__main__":
    main()
