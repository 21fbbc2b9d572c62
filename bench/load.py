"""Load test: many concurrent Streamlit sessions on one server, each on its own page and filters.

Each session is a websocket client speaking Streamlit's own protocol (the browser's): it asks for
its page with its query string, and reads what the server sends back. Per session we measure the
seconds from connecting to the first chart (``plotly_chart``; a metric for one customer's page),
count errors (an exception element, an error alert, no chart within the time limit), and check
that what the server draws for it is its own: the watermark's user, the sidebar's week, branches
and tiers as its URL asked, and the sidebar's branch (and, for an officer, officer) choices
exactly its user's scope — no session sees another's user, scope or filters.

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

PAGES = ("kpis", "loyalty", "funnels", "officers", "segments", "customer", "audit")
# Demo roles per page (sessions alternate): every role, with the bank's, a branch's and an
# officer's scope at once. The demo's president, officer and credit user work at the first branch.
ROLE_OF_PAGE = {
    "kpis": ("admin", "president"),
    "loyalty": ("marketing", "admin"),
    "funnels": ("marketing", "officer"),
    "officers": ("training", "credit"),
    "segments": ("president", "officer"),
    "customer": ("credit", "officer"),
    "audit": ("auditor", "admin"),
}
# What the page draws first, timed as its first chart (the audit log is a table).
FIRST = {"customer": "metric", "audit": "dataframe"}
ALERT_ERROR = 1  # Alert.Format.ERROR


@dataclass
class Session:
    """What one session asked for and what it saw."""

    page: str
    query: dict[str, str]
    expected: dict[str, list[str]] = field(default_factory=dict)  # sidebar labels it must see
    scope_options: dict[str, list[str]] = field(default_factory=dict)  # the choices its scope gives
    user: str = "admin"  # the demo user this session signs in as
    token: str = ""  # its session token, sent as the browser's cookie
    first_chart_s: float | None = None
    error: str = ""
    seen: dict[str, list[str]] = field(default_factory=dict)
    seen_options: dict[str, list[str]] = field(default_factory=dict)  # the sidebar's choices
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
            and all(
                sorted(self.seen_options.get(k, [])) == sorted(v)
                for k, v in self.scope_options.items()
            )
        )


@dataclass
class LoadFigures:
    """The run's figures."""

    sessions: int = 0
    users: list[str] = field(default_factory=list)  # the demo users signed in (one per role)
    errors: int = 0
    crossed: int = 0  # sessions whose page came back with someone else's filters
    p50_s: float = float("nan")
    p95_s: float = float("nan")
    max_s: float = float("nan")
    wall_s: float = 0.0
    server_peak_rss_mb: float = 0.0
    details: list[str] = field(default_factory=list)


@dataclass
class Reach:
    """What one demo user's scope reaches: its branches (None: all), its officer's name when it
    is an officer's book, and some open customers inside it."""

    branch_ids: tuple[int, ...] | None
    officer_name: str | None
    customers: list[int]


def reach_of_demo_users(url: str) -> dict[str, Reach]:
    """Each demo user's reach, read with the data layer's own scoping (before the server starts)."""
    from data_access import auth
    from data_access.demo.app_records import demo_accounts
    from data_access.filters import apply_scope
    from data_access.migrate import upgrade
    from data_access.schema import customers, officers

    engine = sa.create_engine(url)
    out = {}
    try:
        upgrade(engine)  # a bank built before sign-in existed gets its tables
        auth.ensure_demo_accounts(engine)
        with engine.connect() as conn:
            for name, _, _ in demo_accounts():
                user = auth.load_user(conn, name)
                assert user is not None, name
                c = customers.c
                stmt = sa.select(c.customer_id).where(c.closed_on.is_(None))
                stmt = apply_scope(stmt, user.scope, c.branch_id, c.officer_id)
                mine = list(conn.execute(stmt.order_by(c.customer_id).limit(50)).scalars())
                officer = None
                if user.officer_id is not None:
                    officer = conn.execute(
                        sa.select(officers.c.name).where(officers.c.officer_id == user.officer_id)
                    ).scalar_one()
                visible = user.scope.visible_branch_ids
                out[name] = Reach(None if visible is None else tuple(visible), officer, mine)
    finally:
        engine.dispose()
    return out


def plan(
    n: int, weeks: list[date], branches: list[tuple[int, str, str]], reach: dict[str, Reach]
) -> list[Session]:
    """``n`` sessions spread over the pages and roles, each with its own language, week, branch
    and tier, and the sidebar choices its user's scope must give."""
    from dashboard.i18n import catalog

    tiers = ("mass", "affluent")  # in every branch: each page has something to draw
    out = []
    for i in range(n):
        page = PAGES[i % len(PAGES)]
        lang = "zh" if i % 2 else "en"
        user = ROLE_OF_PAGE[page][(i // len(PAGES)) % 2]
        r = reach[user]
        own = [b for b in branches if r.branch_ids is None or b[0] in r.branch_ids]
        label = {b[0]: b[1] if lang == "zh" else b[2] for b in branches}
        # a link to a branch of the scope (the auditor's scope has none: the link is ignored)
        branch_id = own[i % len(own)][0] if own else branches[i % len(branches)][0]
        tier = tiers[i % len(tiers)]
        query = {
            "lang": lang,
            "week": weeks[i % len(weeks)].isoformat(),
            "branches": str(branch_id),
            "tiers": tier,
        }
        if page == "customer":
            query["customer"] = str(r.customers[i % len(r.customers)])
        expected = {
            "w_branches": [label[branch_id]] if own else [],
            "w_tiers": [catalog()[f"common.tier_{tier}"][lang]],
        }
        options = {"w_branches": [label[b[0]] for b in own]}
        if r.officer_name is not None:
            options["w_officers"] = [r.officer_name]
        out.append(Session(page, query, expected, options, user))
    return out


def sign_in(url: str, sessions: list[Session]) -> None:
    """Give each session a real session token of its demo user (before the server holds the file)."""
    from data_access import auth
    from data_access.demo.app_records import DEMO_PASSWORD_SUFFIX

    engine = sa.create_engine(url)
    try:
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
    keys = ("w_week", "w_branches", "w_officers", "w_tiers")
    key = next((k for k in keys if widget.id.endswith(k)), None)
    if key is None:
        return
    options = list(widget.options)
    session.seen_options[key] = options
    if hasattr(widget, "raw_values"):
        chosen = (
            list(widget.raw_values) if widget.set_value else [options[i] for i in widget.default]
        )
    else:
        chosen = [widget.raw_value] if widget.set_value else [options[i] for i in widget.default]
    session.seen[key] = chosen


async def _visit(base_ws: str, session: Session, timeout_s: float) -> None:
    """One session: connect, ask for the page, read until the script finishes."""
    first = FIRST.get(session.page, "plotly_chart")
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


def _sample(url: str) -> tuple[list[date], list[tuple[int, str, str]]]:
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
    engine.dispose()
    last = as_of - timedelta(days=(as_of.weekday() + 1) % 7 + 6)  # Monday of the last full week
    weeks = [last - timedelta(weeks=i) for i in range(8)]
    return weeks, branches


def measure_load(
    db_url: str, sessions: int = 50, timeout_s: float = 180.0, log_file: Path | None = None
) -> LoadFigures:
    """Start one server on the bank, run ``sessions`` concurrent sessions, return the figures."""
    weeks, branches = _sample(db_url)
    todo = plan(sessions, weeks, branches, reach_of_demo_users(db_url))
    sign_in(db_url, todo)
    port = _free_port()
    out = LoadFigures(sessions=sessions, users=sorted({s.user for s in todo}))
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
        f"{s.user} {s.page} {s.query}: "
        + (s.error or f"crossed {s.seen_user} {s.seen} {s.seen_options}")
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
