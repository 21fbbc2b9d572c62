"""``python -m dashboard [streamlit options]``: run the dashboard server.

Streamlit treats an app with a ``pages/`` folder beside it as a legacy multipage app until the
router has run once, so a fresh server's first deep link (/kpis) would bypass the router. The
design card keeps ``dashboard/pages/``; this launcher switches the legacy mode off up front
(``dashboard.streamlit_internals``), and imports the pages' modules before the server listens
(``dashboard.preload``), and can serve Streamlit's frontend gzipped and preloaded
(``dashboard.frontend``, setting ``FOOTPRINT_FRONTEND_TUNING``). For the embedded DuckDB file it also answers ``python -m data_access backup`` (``data_access.backup``): DuckDB lets
no other process read the file while this one has it. Its log never quotes an exception's
message, which may hold customer data (``dashboard.logsafe``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from streamlit.web import cli

from dashboard import frontend, logsafe
from dashboard.preload import preload
from dashboard.streamlit_internals import route_through_the_router
from data_access.backup import serve_snapshots
from data_access.settings import database_url


def main() -> None:
    """Start ``streamlit run dashboard/app.py`` in this process with the router always in charge."""
    logsafe.install()
    route_through_the_router()
    frontend.install()
    preload(database_url())
    serve_snapshots(database_url())
    app = Path(__file__).with_name("app.py")
    sys.argv = ["streamlit", "run", str(app), *sys.argv[1:]]
    cli.main()


if __name__ == "__main__":
    main()
