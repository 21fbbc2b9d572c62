"""Streamlit's frontend served for a first visit: compressed, cached for a year, preloaded.

Streamlit serves its JavaScript uncompressed (it leaves compression to a proxy) and fetches each
element's code only once the page's first message names the element: plotly's 4.7 MB chunk was
requested 1.8 s after navigation on this machine. ``FrontendMiddleware`` can sit in front of
Streamlit's server (``python -m dashboard``; ``dashboard.streamlit_internals``), by the setting
``FOOTPRINT_FRONTEND_TUNING``:

- ``gzip`` (the default): a static file the browser accepts gzipped is answered from memory,
  compressed once in a background thread at start (the 8.8 MB a page uses become 2.3 MB), with
  Streamlit's own content type and year-long ``immutable`` cache header (the file names carry a
  hash). Behind an emulated 20 Mbit/s, 40 ms intranet link the first chart of /kpis came 7.67 →
  6.32 s and 7.44 → 5.62 s (two runs); on the server's own machine it is the same (bytes do not
  count there). Runs that served the scripts as ``…; charset=utf-8``, where Streamlit sends
  none, showed no gain (bench/README.md);
- ``preload``: the page's HTML also names, as ``modulepreload``, the chunks of the elements
  Footprint's pages draw (plotly, tables, cards, the sidebar's widgets) and the chunks those
  import, so the browser fetches them while the app starts instead of after the first message.
  Not the default: over HTTP/1.1 (six connections) its 70 extra fetches queue ahead of the app's
  own first requests, and the first chart came no sooner;
- ``off``: Streamlit's own answers. A proxy (packaging/nginx-footprint.conf) gzips and caches
  the frontend too.

Nothing leaves the machine, and the pages, their figures and Streamlit's answers to every other
request are unchanged.
"""

from __future__ import annotations

import gzip
import logging
import re
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from dashboard.streamlit_internals import static_files, wrap_the_server_app
from data_access.settings import get_setting

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# The element chunks Footprint's pages draw on their first view (Streamlit names each chunk
# after its element: PlotlyChart.<hash>.js); a name that is not there is skipped.
ELEMENTS = (
    "PlotlyChart",
    "DataFrame",
    "Metric",
    "Selectbox",
    "Multiselect",
    "ButtonGroup",
    "Html",
    "DownloadButton",
    "TextInput",
    "Checkbox",
    "PageLink",
)
MIN_SIZE = 1024
# a static import in a chunk: import{a as b}from"./x.js" or import"./x.js" (not import("…"))
_IMPORT = re.compile(rb'(?:\bfrom|\bimport)\s*"\./([\w.\-]+\.js)"')
_LOG = logging.getLogger(__name__)


def chunk_names(js_dir: Path, element: str) -> list[str]:
    """File names of ``element``'s chunk in Streamlit's js folder (``Element.<hash>.js``)."""
    pattern = re.compile(re.escape(element) + r"\.[\w-]+\.js")
    return sorted(p.name for p in js_dir.glob(f"{element}.*.js") if pattern.fullmatch(p.name))


def static_imports(js_dir: Path, names: list[str]) -> list[str]:
    """``names`` and every chunk they import statically, transitively, in discovery order."""
    seen: dict[str, None] = {}
    todo = list(names)
    while todo:
        name = todo.pop(0)
        if name in seen or not (js_dir / name).is_file():
            continue
        seen[name] = None
        todo += [m.decode() for m in _IMPORT.findall((js_dir / name).read_bytes())]
    return list(seen)


def element_chunks(static_dir: Path, elements: tuple[str, ...] = ELEMENTS) -> list[str]:
    """The elements' chunks and every chunk they import, as ``static/js/<name>`` paths."""
    js_dir = static_dir / "static" / "js"
    entries = [n for e in elements for n in chunk_names(js_dir, e)]
    return [f"static/js/{name}" for name in static_imports(js_dir, entries)]


def preload_links(chunks: list[str], html: str) -> str:
    """``modulepreload`` links for the ``chunks`` that ``html`` does not already name."""
    return "".join(
        f'<link rel="modulepreload" crossorigin href="./{rel}">'
        for rel in chunks
        if rel not in html
    )


class Assets:
    """Streamlit's static folder: the page HTML with the preloads, and gzipped copies of files."""

    def __init__(self, static_dir: Path, preload: bool = False) -> None:
        self.static_dir, self.preload = static_dir, preload
        self._gzipped: dict[str, bytes] = {}
        self._links = ""
        self._first: list[str] = []

    def prepare_links(self) -> None:
        """Work out the chunks to preload and compress (before the server listens: 0.1 s)."""
        try:
            html = (self.static_dir / "index.html").read_text(encoding="utf-8")
            chunks = element_chunks(self.static_dir)
            self._links = preload_links(chunks, html) if self.preload else ""
            self._first = re.findall(r"static/(?:js|css)/[\w.\-]+", html) + chunks
        except OSError:  # a frontend we cannot read is served as Streamlit serves it
            _LOG.warning("Streamlit's index.html not readable; no preloads")

    def compress(self) -> None:
        """Gzip the files the page HTML names and preloads (about 10 MB: a few CPU seconds).

        Streamlit's other chunks (maps, graphs, code highlighting) are left as they are: no page
        of Footprint draws them, and compressing them too would double the work at start."""
        try:
            for rel in dict.fromkeys(self._first):
                data = (self.static_dir / rel).read_bytes()
                if len(data) >= MIN_SIZE:
                    # zlib releases the GIL: the server answers meanwhile
                    self._gzipped[rel] = gzip.compress(data, compresslevel=6, mtime=0)
        except OSError:  # what is not compressed is served as Streamlit serves it
            _LOG.warning("static files not compressed; serving them as they are")

    def start(self) -> threading.Thread:
        """Work out the preloads now and compress in a background thread (the server starts)."""
        self.prepare_links()
        thread = threading.Thread(target=self.compress, name="footprint-frontend", daemon=True)
        thread.start()
        return thread

    def gzipped(self, rel: str) -> bytes | None:
        """The gzipped bytes of static file ``rel`` (e.g. ``static/js/x.js``), if compressed yet."""
        return self._gzipped.get(rel)

    def page_html(self, html: bytes) -> bytes:
        """Streamlit's page HTML with the preload links before ``</head>``."""
        if not self._links or b"</head>" not in html:
            return html
        return html.replace(b"</head>", self._links.encode() + b"</head>", 1)


def _header(scope: Scope, name: bytes) -> bytes:
    return b", ".join(v for k, v in scope.get("headers", ()) if k.lower() == name)


def _accepts_gzip(scope: Scope) -> bool:
    accepted = _header(scope, b"accept-encoding").lower()
    return any(
        part.split(b";")[0].strip() == b"gzip" and b"q=0" not in part.replace(b" ", b"")
        for part in accepted.split(b",")
    )


def _content_type(rel: str) -> bytes:
    import mimetypes

    kind = mimetypes.guess_type(rel)[0] or "application/octet-stream"
    if kind == "text/javascript":  # Streamlit registers .js as application/javascript
        kind = "application/javascript"
    if kind.startswith("text/"):  # as Starlette, which serves the files uncompressed, says it
        kind += "; charset=utf-8"
    return kind.encode()


# Streamlit's own answers, by the first segment of the path: anything else is the page's HTML
# (Streamlit answers every page address with index.html).
_NOT_A_PAGE = ("static", "_stcore", "media", "component", "app", "favicon.png", "manifest.json")


class FrontendMiddleware:
    """ASGI middleware in front of Streamlit's app: gzipped static files, preloads in the HTML."""

    def __init__(self, app: ASGIApp, assets: Assets, cache_control: str, base_url: str) -> None:
        self.app, self.assets, self.cache_control = app, assets, cache_control.encode()
        self.base = "/" + base_url.strip("/") if base_url.strip("/") else ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a static file or rewrite a page's HTML; hand everything else to Streamlit."""
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if self.base and path.startswith(self.base):
            path = path[len(self.base) :]
        rel = path.lstrip("/")
        if rel.startswith("static/"):
            body = self.assets.gzipped(rel)
            if body is None or not _accepts_gzip(scope) or _header(scope, b"range"):
                await self.app(scope, receive, send)
                return
            await self._send_gzipped(scope, send, rel, body)
            return
        if rel.split("/", 1)[0] in _NOT_A_PAGE or not self.assets.preload:
            await self.app(scope, receive, send)
            return
        await self._page(scope, receive, send)

    async def _send_gzipped(self, scope: Scope, send: Send, rel: str, body: bytes) -> None:
        headers = [
            (b"content-type", _content_type(rel)),
            (b"content-encoding", b"gzip"),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", self.cache_control),
            (b"vary", b"Accept-Encoding"),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )

    async def _page(self, scope: Scope, receive: Receive, send: Send) -> None:
        # asked uncompressed, so that the HTML can be read and rewritten (it is 6 kB)
        inner = dict(scope)
        inner["headers"] = [(k, v) for k, v in scope.get("headers", ()) if k != b"accept-encoding"]
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", ()))
                html = headers.get(b"content-type", b"").startswith(b"text/html")
                if not html or message.get("status") != 200 or scope["method"] != "GET":
                    start = None
                    await send(message)
                    return
                start = message
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = self.assets.page_html(b"".join(chunks))
            headers = [(k, v) for k, v in start.get("headers", ()) if k != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(inner, receive, capture)


def install() -> bool:
    """Put the middleware in front of the server ``python -m dashboard`` starts when the setting
    ``FOOTPRINT_FRONTEND_TUNING`` is ``gzip`` or ``preload``; whether it was put."""
    mode = get_setting("frontend_tuning").strip().lower()
    if mode not in ("gzip", "preload"):
        return False

    def wrap(app: ASGIApp) -> ASGIApp:
        static_dir, base_url, cache_control = static_files()  # read once the options are set
        assets = Assets(static_dir, preload=mode == "preload")
        assets.start()
        return FrontendMiddleware(app, assets, cache_control, base_url)

    wrap_the_server_app(wrap)
    return True
