"""Load test: many concurrent Streamlit sessions on one server, each on its own page and filters.

Each session is a websocket client speaking Streamlit's own protocol (the browser's): it asks for
its page with its query string, and reads what the server sends back. Per session we measure the
seconds from connecting to the first chart (``plotly_chart``; a metric for one customer's page),
count errors (an exception element, an error alert, no chart within the time limit), and check
that the query string the server sends back is the session's own (no session sees another's
week, branches or tiers).

    python -m bench.load --url duckdb:////abs/county.duckdb --sessions 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import time
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.browser import _free_port, _Server
from bench.common import ROOT, log
from dashboard.access import COOKIE

PAGES = ("kpis", "loyalty", "funnels", "officers", "segments", "customer")
# Two demo roles per page (sessions alternate): different users, scopes and filters at once.
ROLE_OF_PAGE = {
    "kpis": ("admin", "president"),
    "loyalty": ("marketing", "admin"),
    "funnels": ("marketing", "president"),
    "officers": ("training", "admin"),
    "segments": ("marketing", "president"),
    "customer": ("admin", "admin"),
}
ALERT_ERROR = 1  # Alert.Format.ERROR


@dataclass
class Session:
    """What one session asked for and what it saw."""

    page: str
    query: dict[str, str]
    expected: dict[str, list[str]] = field(default_factory=dict)  # sidebar labels it must see
    user: str = "admin"  # the demo user this session signs in as
    token: str = ""  # its session token, sent as the browser's cookie
    first_chart_s: float | None = None
    error: str = ""
    seen: dict[str, list[str]] = field(default_factory=dict)
    seen_user: str = ""  # whose name the page's watermark carried

    @property
    def own_state(self) -> bool:
        """The sidebar the server drew for this session shows its own week, branch and tier."""
        week = self.seen.get("w_week", [""])
        return (
            self.seen_user == self.user
            and len(week) == 1
            and week[0].startswith(self.query["week"])
            and self.seen.get("w_branches") == self.expected["w_branches"]
            and self.seen.get("w_tiers") == self.expected["w_tiers"]
        )


@dataclass
class LoadFigures:
    """The run's figures."""

    sessions: int = 0
    errors: int = 0
    crossed: int = 0  # sessions whose page came back with someone else's filters
    p50_s: float = float("nan")
    p95_s: float = float("nan")
    max_s: float = float("nan")
    wall_s: float = 0.0
    server_peak_rss_mb: float = 0.0
    details: list[str] = field(default_factory=list)


def plan(
    n: int, weeks: list[date], branches: list[tuple[int, str, str]], customers: list[int]
) -> list[Session]:
    """``n`` sessions spread over the pages, each with its own language, week, branch and tier."""
    from dashboard.i18n import catalog

    tiers = ("mass", "affluent")  # in every branch: each page has something to draw
    out = []
    for i in range(n):
        page = PAGES[i % len(PAGES)]
        lang = "zh" if i % 2 else "en"
        user = ROLE_OF_PAGE[page][(i // len(PAGES)) % 2]
        # the demo president runs the first branch: a link to another branch is not theirs
        branch_id, name_zh, name_en = branches[0 if user == "president" else i % len(branches)]
        tier = tiers[i % len(tiers)]
        query = {
            "lang": lang,
            "week": weeks[i % len(weeks)].isoformat(),
            "branches": str(branch_id),
            "tiers": tier,
        }
        if page == "customer":
            query["customer"] = str(customers[i % len(customers)])
        expected = {
            "w_branches": [name_zh if lang == "zh" else name_en],
            "w_tiers": [catalog()[f"common.tier_{tier}"][lang]],
        }
        out.append(Session(page, query, expected, user))
    return out


def sign_in(url: str, sessions: list[Session]) -> None:
    """Give each session a real session token of its demo user (before the server holds the file)."""
    from data_access import auth
    from data_access.demo.app_records import DEMO_PASSWORD_SUFFIX
    from data_access.migrate import upgrade

    engine = sa.create_engine(url)
    try:
        upgrade(engine)  # a bank built before sign-in existed gets its tables
        auth.ensure_demo_accounts(engine)
        users = {
            name: auth.authenticate(engine, name, name + DEMO_PASSWORD_SUFFIX)
            for name in {s.user for s in sessions}
        }
        for s in sessions:
            s.token = auth.open_session(engine, users[s.user])
    finally:
        engine.dispose()


def _rerun(session: Session) -> bytes:
    msg = BackMsg()
    state = msg.rerun_script
    state.query_string = "&".join(f"{k}={v}" for k, v in session.query.items())
    state.page_name = session.page
    state.page_script_hash = ""
    return msg.SerializeToString()


def _remember(session: Session, widget: object) -> None:
    """Keep the labels a sidebar filter shows as chosen (week, branches, tiers)."""
    key = next((k for k in ("w_week", "w_branches", "w_tiers") if widget.id.endswith(k)), None)
    if key is None:
        return
    options = list(widget.options)
    if hasattr(widget, "raw_values"):
        chosen = (
            list(widget.raw_values) if widget.set_value else [options[i] for i in widget.default]
        )
    else:
        chosen = [widget.raw_value] if widget.set_value else [options[i] for i in widget.default]
    session.seen[key] = chosen


async def _visit(base_ws: str, session: Session, timeout_s: float) -> None:
    """One session: connect, ask for the page, read until the script finishes."""
    first = "metric" if session.page == "customer" else "plotly_chart"
    t0 = time.perf_counter()
    try:
        async with websockets.connect(
            f"{base_ws}/_stcore/stream",
            subprotocols=["streamlit"],
            max_size=2**26,
            additional_headers={"Cookie": f"{COOKIE}={session.token}"},
        ) as ws:
            await ws.send(_rerun(session))
            while True:
                raw = await asyncio.wait_for(ws.recv(), timeout=timeout_s)
                msg = ForwardMsg.FromString(raw)
                kind = msg.WhichOneof("type")
                if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                    element = msg.delta.new_element
                    etype = element.WhichOneof("type")
                    if etype in ("selectbox", "multiselect"):
                        _remember(session, getattr(element, etype))
                    elif etype == "html" and "footprint-watermark" in element.html.body:
                        match = re.search(r"data-text='[^']*? (\S+) \d{4}-", element.html.body)
                        session.seen_user = match.group(1) if match else "?"
                    elif etype == first and session.first_chart_s is None:
                        session.first_chart_s = time.perf_counter() - t0
                    elif etype == "exception":
                        session.error = f"exception: {element.exception.message[:120]}"
                    elif etype == "alert" and element.alert.format == ALERT_ERROR:
                        session.error = f"error: {element.alert.body[:120]}"
                elif kind == "script_finished":
                    if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                        continue  # the page asked for a rerun: its next run follows
                    if session.first_chart_s is None and not session.error:
                        session.error = "the page finished without a chart"
                    break
                elif kind == "page_not_found":
                    session.error = "page not found"
                    break
    except (TimeoutError, OSError, websockets.WebSocketException) as exc:
        session.error = session.error or f"{type(exc).__name__}: {exc}"[:160]
    if session.first_chart_s is None and not session.error:
        session.error = "no chart"


async def _all(base_ws: str, sessions: list[Session], timeout_s: float) -> None:
    await asyncio.gather(*(_visit(base_ws, s, timeout_s) for s in sessions))


def _sample(url: str) -> tuple[list[date], list[tuple[int, str, str]], list[int]]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        as_of = date.fromisoformat(
            conn.execute(sa.text("select value from bank_meta where key = 'data_as_of'")).scalar()
        )
        branches = [
            tuple(r)
            for r in conn.execute(
                sa.text("select branch_id, name, name_en from branches order by 1")
            )
        ]
        customers = list(
            conn.execute(
                sa.text(
                    "select customer_id from customers where closed_on is null order by 1 limit 50"
                )
            ).scalars()
        )
    engine.dispose()
    last = as_of - timedelta(days=(as_of.weekday() + 1) % 7 + 6)  # Monday of the last full week
    weeks = [last - timedelta(weeks=i) for i in range(8)]
    return weeks, branches, customers


def measure_load(
    db_url: str, sessions: int = 50, timeout_s: float = 180.0, log_file: Path | None = None
) -> LoadFigures:
    """Start one server on the bank, run ``sessions`` concurrent sessions, return the figures."""
    weeks, branches, customers = _sample(db_url)
    todo = plan(sessions, weeks, branches, customers)
    sign_in(db_url, todo)
    port = _free_port()
    out = LoadFigures(sessions=sessions)
    with _Server(db_url, port, log_file) as server:
        t0 = time.perf_counter()
        asyncio.run(_all(f"ws://127.0.0.1:{port}", todo, timeout_s))
        out.wall_s = round(time.perf_counter() - t0, 2)
        out.server_peak_rss_mb = round(server.peak_rss_mb(), 1)
    times = sorted(s.first_chart_s for s in todo if s.first_chart_s is not None)
    out.errors = sum(1 for s in todo if s.error)
    out.crossed = sum(1 for s in todo if not s.error and not s.own_state)
    if times:
        out.p50_s = round(statistics.median(times), 3)
        out.p95_s = round(times[min(len(times) - 1, int(0.95 * len(times)))], 3)
        out.max_s = round(times[-1], 3)
    out.details = [
        f"{s.user} {s.page} {s.query}: {s.error or f'crossed {s.seen_user} {s.seen}'}"
        for s in todo
        if s.error or not s.own_state
    ]
    return out


def main(argv: list[str] | None = None) -> None:
    """Command line: print the figures (and write them as JSON with --out)."""
    p = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    p.add_argument("--url", default=f"duckdb:///{ROOT / 'data' / 'bench' / 'county.duckdb'}")
    p.add_argument("--sessions", type=int, default=50)
    p.add_argument("--timeout", type=float, default=300.0)
    p.add_argument("--out", default="", help="JSON file for the figures")
    a = p.parse_args(argv)
    log(f"load: {a.sessions} concurrent sessions on {a.url}")
    fig = measure_load(a.url, a.sessions, a.timeout, ROOT / "data" / "bench" / "load-server.log")
    print(
        f"{fig.sessions} concurrent sessions on one server: {fig.errors} errors, "
        f"{fig.crossed} saw another session's state; time to first chart "
        f"p50 {fig.p50_s:.2f} s, p95 {fig.p95_s:.2f} s, max {fig.max_s:.2f} s; "
        f"all done in {fig.wall_s:.1f} s; server peak memory {fig.server_peak_rss_mb:,.0f} MB"
    )
    for line in fig.details[:20]:
        print("  " + line)
    if a.out:
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        Path(a.out).write_text(json.dumps(asdict(fig), indent=1))


if __name__ == "__main__":
    main()
