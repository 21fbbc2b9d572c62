"""The README's screenshots, taken anew from the running dashboard in Debian's chromium.

``python -m bench.screenshots [--url URL] [--out docs]`` starts ``python -m dashboard`` on the bank
at URL (default: the demo bank of ``make run``), signs in as a president (bank scope; the account
``readme_president`` is created on first use) and writes:

- ``screenshot-kpis.png``: Weekly KPIs in Chinese, 1400 × 1000;
- ``screenshot-segments.png``: Value segments in English, 1400 × 1000;
- ``screenshot-drill.png``: the weakest branch's bar clicked in the ranking, its officers' league;
- ``screenshot-phone.png``: Weekly KPIs at 390 × 844, as on a president's phone.

Run it after a change that alters what these pages show, so the README's figures stay the
dashboard's own.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.browser import CHROMIUM, CHROMIUM_ARGS, _free_port, _Server
from bench.common import ROOT, log
from bench.pages import _bench_session
from dashboard.access import COOKIE

USER = "readme_president"
WIDE = {"width": 1400, "height": 1000}
PHONE = {"width": 390, "height": 844}
RANKING = ".st-key-kpis_ranking_chart .js-plotly-plot"


def _settle(page: object, selector: str, pause_ms: int = 2_500) -> None:
    """Wait for ``selector``, for the script run to end, then for charts to finish drawing."""
    page.locator(selector).first.wait_for(timeout=120_000)  # type: ignore[attr-defined]
    page.locator("[data-testid='stStatusWidget']").wait_for(state="detached", timeout=120_000)  # type: ignore[attr-defined]
    page.wait_for_timeout(pause_ms)  # type: ignore[attr-defined]


def _drill(page: object, base: str) -> None:
    """Click the weakest branch's bar in the ranking; leave the officers' league in view."""
    page.goto(f"{base}/kpis?lang=zh&tab=rank")  # type: ignore[attr-defined]
    _settle(page, RANKING)
    chart = page.locator(RANKING)  # type: ignore[attr-defined]
    scores = chart.evaluate("el => el.data[0].x")
    bars = page.locator(".st-key-kpis_ranking_chart .bars .point path")  # type: ignore[attr-defined]
    bars.nth(scores.index(min(scores))).click(force=True)
    page.wait_for_url("**tab=league**", timeout=60_000)  # type: ignore[attr-defined]
    _settle(page, ".st-key-kpis_league_table")
    # the league's last row at the bottom edge, the branch's cards above it
    page.locator(".st-key-kpis_league_table").scroll_into_view_if_needed()  # type: ignore[attr-defined]
    page.mouse.wheel(0, 60)  # type: ignore[attr-defined]
    page.wait_for_timeout(800)  # type: ignore[attr-defined]


def take(url: str, out: Path, week: str | None = None) -> list[Path]:
    """Start the dashboard on ``url`` and write the four screenshots into ``out`` (the KPI pages
    at ``week``, a Monday, when given; else the last full week)."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    token = _bench_session(url, USER, "president")
    port = _free_port()
    written: list[Path] = []
    with _Server(url, port, ROOT / "data" / "screenshots.log") as server:
        cookie = {"name": COOKIE, "value": token, "url": server.base}
        with sync_playwright() as pw:
            chromium = pw.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            try:
                kpis = f"kpis?lang=zh&week={week}" if week else "kpis?lang=zh"
                for name, viewport, path in (
                    ("screenshot-kpis.png", WIDE, kpis),
                    ("screenshot-segments.png", WIDE, "segments?lang=en"),
                    ("screenshot-phone.png", PHONE, kpis),
                    ("screenshot-drill.png", {"width": 1400, "height": 900}, None),
                ):
                    ctx = chromium.new_context(viewport=viewport, locale="zh-CN")
                    ctx.add_cookies([cookie])
                    page = ctx.new_page()
                    if path is None:
                        _drill(page, server.base)
                    else:
                        page.goto(f"{server.base}/{path}")
                        _settle(page, "[data-testid='stMetricValue'], .js-plotly-plot")
                    page.screenshot(path=str(out / name))
                    written.append(out / name)
                    log(f"wrote {out / name}")
                    ctx.close()
            finally:
                chromium.close()
    return written


def main(argv: list[str] | None = None) -> int:
    """Command line: ``--url`` (default the demo bank), ``--out`` (default docs/)."""
    from data_access.settings import database_url

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--url", default=None, help="the bank's database URL (default: the demo bank)")
    p.add_argument("--out", type=Path, default=ROOT / "docs")
    p.add_argument(
        "--week", help="the KPI pages' week (a Monday, YYYY-MM-DD); one with flags shows them"
    )
    args = p.parse_args(argv)
    take(args.url or database_url(), args.out, args.week)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
