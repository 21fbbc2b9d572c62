"""A dashboard server under test: a free port to start it on, and the wait until it answers."""

from __future__ import annotations

import socket
import time
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(base: str, log: Path | None, seconds: float = 90) -> None:
    """Wait for Streamlit's health endpoint; fail with the server's log."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{base}/_stcore/health", timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    tail = log.read_text()[-3000:] if log is not None else ""
    pytest.fail(f"the dashboard did not start at {base}: {tail}", pytrace=False)
