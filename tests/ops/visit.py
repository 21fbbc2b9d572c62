"""Wait for a dashboard, load one page in chromium, print its heading (run inside a namespace).

python tests/ops/visit.py http://127.0.0.1:8501/kpis?lang=en [USER]   (password USER-demo)
"""

from __future__ import annotations

import sys
from urllib.parse import urlsplit

from tests.ops.conftest import open_page
from tests.serving import wait_healthy


def main(url: str, username: str = "admin") -> None:
    parts = urlsplit(url)
    wait_healthy(f"{parts.scheme}://{parts.netloc}", None, seconds=180)
    print(open_page(url, username))


if __name__ == "__main__":
    main(*sys.argv[1:3])
