"""First visit on a new browser: seconds from navigation to the page's first visible chart, each
visit in a fresh browser profile (empty HTTP and code caches), signed in through the cookie.

``python -m bench.first_visit --url duckdb:///bank.duckdb --page kpis --repeat 5`` starts
``python -m dashboard`` on the bank, visits the page ``repeat`` times and prints the first visit
(the server's first run of the page too) and the median of the later ones (a new browser on a
warm server), with the machine's load beside them. ``bench.browser`` measures every page.
"""

from __future__ import annotations

import argparse
import os
import statistics

from bench.browser import CHART, CHROMIUM, CHROMIUM_ARGS, FIRST, URL_PATHS, _first_chart, _Server
from bench.browser import _free_port as free_port


def first_visits(db_url: str, page: str, repeat: int, timeout_s: float = 90.0) -> list[float]:
    """Seconds to the first chart of ``page`` for ``repeat`` new browsers, in visit order."""
    from playwright.sync_api import sync_playwright

    from bench.pages import _bench_session
    from dashboard.access import COOKIE

    token = _bench_session(db_url)
    port = free_port()
    out: list[float] = []
    with sync_playwright() as pw, _Server(db_url, port, None) as server:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for _ in range(repeat):
                ctx = chromium.new_context(viewport={"width": 1400, "height": 1000})
                ctx.add_cookies([{"name": COOKIE, "value": token, "url": server.base}])
                tab = ctx.new_page()
                url = f"{server.base}/{URL_PATHS.get(page, page)}"
                out.append(_first_chart(tab, url, int(timeout_s * 1000), FIRST.get(page, CHART)))
                ctx.close()
        finally:
            chromium.close()
    return out


def main() -> None:
    """Print the figures."""
    p = argparse.ArgumentParser(
        prog="python -m bench.first_visit", description=__doc__.split("\n")[0]
    )
    p.add_argument("--url", required=True, help="the bank's database URL")
    p.add_argument("--page", default="kpis")
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args()
    took = first_visits(args.url, args.page, args.repeat)
    load = os.getloadavg()[0]
    later = statistics.median(took[1:]) if len(took) > 1 else float("nan")
    print(
        f"first visit to /{args.page}: {took[0]:.2f} s on a fresh server; new browsers after it: "
        f"median {later:.2f} s ({', '.join(f'{s:.2f}' for s in took[1:])}); load {load:.1f}"
    )


if __name__ == "__main__":
    main()
