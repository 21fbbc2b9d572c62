"""A private PostgreSQL server for the fault tests: initdb + pg_ctl in a temporary folder, on a
free port, so that stopping it never disturbs the shared server at 5432."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

INITDB = shutil.which("initdb")
PG_CTL = shutil.which("pg_ctl")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgInstance:
    """initdb, start, stop (immediate: as if the machine lost the server), start again."""

    def __init__(self) -> None:
        if INITDB is None or PG_CTL is None:
            pytest.fail("initdb / pg_ctl are needed for the fault tests", pytrace=False)
        self.root = Path(tempfile.mkdtemp(prefix="fp-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.user: pwd.struct_passwd | None = None
        if os.geteuid() == 0:  # initdb refuses to run as root: run the server as 'postgres'
            self.user = pwd.getpwnam("postgres")
            os.chown(self.root, self.user.pw_uid, self.user.pw_gid)
        self._run(INITDB, "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--no-sync")  # fmt: skip
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *cmd: str) -> None:
        prefix = []
        if self.user is not None:
            prefix = ["setpriv", f"--reuid={self.user.pw_uid}", f"--regid={self.user.pw_gid}",
                      "--clear-groups"]  # fmt: skip
        subprocess.run([*prefix, *cmd], check=True, capture_output=True, timeout=120,
                       cwd=self.root)  # fmt: skip

    def start(self) -> None:
        opts = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(PG_CTL, "-D", str(self.data), "-o", opts, "-l", str(self.root / "log"),
                  "-w", "-t", "60", "start")  # fmt: skip

    def stop(self, mode: str = "immediate") -> None:
        self._run(PG_CTL, "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def running(self) -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def destroy(self) -> None:
        try:
            if self.running():
                self.stop()
        finally:
            time.sleep(0.2)
            shutil.rmtree(self.root, ignore_errors=True)
