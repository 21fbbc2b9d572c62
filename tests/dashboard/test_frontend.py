"""The launcher's frontend middleware (dashboard/frontend.py), spoken to as an ASGI app: static
files gzipped from memory with the year-long cache header, the page HTML with its preloads,
everything else handed to Streamlit untouched."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import pytest

from dashboard.frontend import Assets, FrontendMiddleware
from dashboard.streamlit_internals import static_files

Message = MutableMapping[str, Any]
HTML = b"<html><head><title>x</title></head><body></body></html>"


@pytest.fixture(scope="module")
def assets() -> Assets:
    prepared = Assets(static_files()[0], preload=True)
    prepared.prepare_links()
    prepared.compress()
    return prepared


class Inner:
    """Streamlit's app, as the middleware sees it: records what it was asked, answers HTML for
    a page and a plain body for anything else."""

    def __init__(self) -> None:
        self.scopes: list[MutableMapping[str, Any]] = []

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        self.scopes.append(scope)
        page = not scope["path"].startswith(("/static/", "/_stcore/"))
        kind = b"text/html; charset=utf-8" if page else b"application/javascript"
        body = HTML if page else b"plain"
        headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body[:10], "more_body": True})
        await send({"type": "http.response.body", "body": body[10:]})


def _ask(
    assets: Assets, path: str, headers: dict[str, str], method: str = "GET"
) -> tuple[Inner, int, dict[bytes, bytes], bytes]:
    inner = Inner()
    app = FrontendMiddleware(inner, assets, "public, immutable, max-age=31536000", "")
    sent: list[Message] = []
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return inner, start["status"], dict(start["headers"]), body


def _plotly(assets: Assets) -> str:
    return next(rel for rel in assets._first if Path(rel).name.startswith("PlotlyChart."))


def test_a_static_file_is_served_gzipped_from_memory_with_the_year_long_header(
    assets: Assets,
) -> None:
    rel = _plotly(assets)
    inner, status, headers, body = _ask(assets, f"/{rel}", {"Accept-Encoding": "gzip, br"})
    assert inner.scopes == [] and status == 200  # Streamlit not asked
    original = (assets.static_dir / rel).read_bytes()
    assert gzip.decompress(body) == original and len(body) < len(original) / 2
    assert headers[b"content-encoding"] == b"gzip"
    assert headers[b"content-length"] == str(len(body)).encode()
    assert headers[b"cache-control"] == b"public, immutable, max-age=31536000"
    assert headers[b"vary"] == b"Accept-Encoding"
    assert headers[b"content-type"].split(b";")[0] in (
        b"text/javascript",
        b"application/javascript",
    )
    head = _ask(assets, f"/{rel}", {"Accept-Encoding": "gzip"}, method="HEAD")
    assert head[3] == b"" and head[2][b"content-length"] == str(len(body)).encode()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Accept-Encoding": "br"},
        {"Accept-Encoding": "gzip;q=0"},
        {"Accept-Encoding": "gzip", "Range": "bytes=0-9"},
    ],
)
def test_a_browser_that_takes_no_gzip_gets_streamlits_own_answer(
    assets: Assets, headers: dict[str, str]
) -> None:
    inner, _, _, body = _ask(assets, f"/{_plotly(assets)}", headers)
    assert len(inner.scopes) == 1 and body == b"plain"


def test_a_file_not_compressed_is_streamlits_answer(assets: Assets) -> None:
    inner, _, _, body = _ask(assets, "/static/js/not-there.js", {"Accept-Encoding": "gzip"})
    assert len(inner.scopes) == 1 and body == b"plain"


def test_the_page_html_names_the_pages_chunks_as_preloads(assets: Assets) -> None:
    inner, status, headers, body = _ask(assets, "/kpis", {"Accept-Encoding": "gzip"})
    # asked uncompressed, so that it can be rewritten
    assert dict(inner.scopes[0]["headers"]).get(b"accept-encoding") is None
    assert status == 200 and headers[b"content-length"] == str(len(body)).encode()
    assert body.startswith(b'<html><head><title>x</title><link rel="modulepreload"')
    assert f'href="./{_plotly(assets)}"'.encode() in body
    assert body.endswith(b"</head><body></body></html>")
    for rel in assets._first:  # every preloaded chunk is there to be served
        assert (assets.static_dir / rel).is_file()


def test_other_requests_pass_untouched(assets: Assets) -> None:
    inner, _, _, body = _ask(assets, "/_stcore/health", {"Accept-Encoding": "gzip"})
    assert body == b"plain"
    assert dict(inner.scopes[0]["headers"])[b"accept-encoding"] == b"gzip"


def test_by_default_the_html_is_streamlits(assets: Assets) -> None:
    plain = Assets(assets.static_dir)
    plain.prepare_links()
    assert _ask(plain, "/kpis", {})[3] == HTML


@pytest.mark.parametrize(("mode", "put"), [("", True), ("off", False), ("gzip", True), ("preload", True)])  # fmt: skip
def test_the_setting_decides_whether_the_launcher_puts_it(
    monkeypatch: pytest.MonkeyPatch, mode: str, put: bool
) -> None:
    from streamlit.web.server.starlette import starlette_server

    from dashboard import frontend

    if mode:
        monkeypatch.setenv("FOOTPRINT_FRONTEND_TUNING", mode)
    else:
        monkeypatch.delenv("FOOTPRINT_FRONTEND_TUNING", raising=False)
    monkeypatch.setattr(starlette_server, "create_starlette_app", lambda runtime: Inner())
    assert frontend.install() is put
    app = starlette_server.create_starlette_app(None)
    assert isinstance(app, FrontendMiddleware) is put
    if put:
        assert app.assets.preload is (mode == "preload")
