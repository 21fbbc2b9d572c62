"""Backups of the embedded DuckDB file: a consistent snapshot, verified when taken and restored.

DuckDB lets one process open a file for writing, and while it has the file no other process may
read it, even read-only. A running dashboard holds its file, so the snapshot is taken *inside*
the process that holds it: the launcher (``python -m dashboard``) listens on a Unix socket beside
the database (``serve_snapshots``) and, when ``python -m data_access backup`` asks, copies the
database in one transaction (``COPY FROM DATABASE``) into a new file next to it. With no
dashboard running the command opens the file read-only and does the same itself.

A backup is one DuckDB file: the bank's tables, plus a manifest (schema ``footprint_backup``)
with every table's row count and checksum as they were in the snapshot. ``restore`` copies it
into place only after the copy's counts and checksums match the manifest.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import socket
import socketserver
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import sqlalchemy as sa

from data_access.errors import DatabaseBusy, FootprintError

MANIFEST_SCHEMA = "footprint_backup"
SOCKET_TIMEOUT_S = 3600.0  # a county-scale snapshot takes minutes, not hours


class BackupError(FootprintError):
    """A backup or restore that cannot be done or does not verify; nothing was replaced."""


class BackupRefused(BackupError):
    """Refused to overwrite an existing file without ``--force``."""


@dataclass(frozen=True)
class Manifest:
    """What a backup holds: per table (rows, checksum), the sequences' last values, when, how."""

    tables: dict[str, tuple[int, str]]
    sequences: dict[str, int | None]
    taken_at: str
    duckdb_version: str
    source: str

    def to_json(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        data["tables"] = {k: (int(n), str(c)) for k, (n, c) in data["tables"].items()}
        return cls(**data)


def duckdb_path(url: str) -> Path:
    """The file behind a ``duckdb:///…`` URL; BackupError for any other database."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "duckdb":
        raise BackupError(
            f"backup/restore handle the embedded DuckDB file; for {parsed.get_backend_name()} use "
            "the database's own tools (PostgreSQL: pg_dump -Fc / pg_restore, see the README)"
        )
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("an in-memory DuckDB database has nothing to back up")
    return Path(parsed.database).expanduser().resolve()


def socket_path(db: Path) -> Path:
    """Where the dashboard holding ``db`` listens for snapshot requests."""
    beside = db.with_name(f".{db.name}.backup.sock")
    if len(str(beside)) < 100:  # AF_UNIX paths are limited to 108 bytes
        return beside
    digest = hashlib.sha256(str(db).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"footprint-{digest}.sock"


# DuckDB binds no parameters for identifiers or ATTACH paths: these two quote them.
def _q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _attach(path: Path, alias: str, *, read_only: bool = False) -> str:
    """ATTACH statement for ``path`` (a quoted string literal) as ``alias``."""
    mode = " (read_only)" if read_only else ""
    return "attach '" + str(path).replace("'", "''") + "' as " + _q(alias) + mode


def digests(con: Any, catalog: str, schema: str = "main") -> dict[str, tuple[int, str]]:
    """Row count and an order-independent checksum (MD5 of each row's text) of every table."""
    names = [
        r[0]
        for r in con.execute(
            "select table_name from duckdb_tables() where database_name = ? and schema_name = ? "
            "order by table_name",
            [catalog, schema],
        ).fetchall()
    ]
    out: dict[str, tuple[int, str]] = {}
    for name in names:
        # xor and sum of the row hashes: xor alone would cancel two identical rows
        n, xor, total = con.execute(
            "select count(*), coalesce(bit_xor(md5_number(t::varchar)), 0)::varchar, "
            "coalesce(sum(md5_number_lower(t::varchar)), 0)::varchar "
            f"from {_q(catalog)}.{_q(schema)}.{_q(name)} t"
        ).fetchone()
        out[name] = (int(n), f"{xor}:{total}")
    return out


def _sequences(con: Any, catalog: str) -> dict[str, int | None]:
    rows = con.execute(
        "select sequence_name, last_value from duckdb_sequences() where database_name = ?",
        [catalog],
    ).fetchall()
    return {name: (None if last is None else int(last)) for name, last in rows}


def snapshot(con: Any, catalog: str, target: Path, source: str) -> Manifest:
    """Copy database ``catalog`` of connection ``con`` into the new file ``target``, in one transaction."""
    con.execute(_attach(target, "footprint_snapshot"))
    try:
        con.execute("begin transaction")
        try:
            con.execute("copy from database " + _q(catalog) + " to footprint_snapshot")
            manifest = Manifest(
                tables=digests(con, catalog),
                sequences=_sequences(con, catalog),
                taken_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                duckdb_version=duckdb.__version__,
                source=source,
            )
        finally:
            con.execute("commit")
        con.execute("create schema footprint_snapshot." + MANIFEST_SCHEMA)
        con.execute("create table footprint_snapshot." + MANIFEST_SCHEMA + ".manifest (body text)")
        con.execute(
            "insert into footprint_snapshot." + MANIFEST_SCHEMA + ".manifest values (?)",
            [manifest.to_json()],
        )
    finally:
        con.execute("detach footprint_snapshot")
    return manifest


def read_manifest(backup: Path) -> Manifest:
    """The manifest stored in a backup file; BackupError if it is not a Footprint backup."""
    try:
        con = duckdb.connect(str(backup), read_only=True)
    except duckdb.Error as exc:
        raise BackupError(f"{backup} is not a DuckDB file: {str(exc).splitlines()[0]}") from exc
    try:
        row = con.execute("select body from " + MANIFEST_SCHEMA + ".manifest").fetchone()
    except duckdb.Error as exc:
        raise BackupError(f"{backup} is not a Footprint backup (no manifest)") from exc
    finally:
        con.close()
    return Manifest.from_json(row[0])


def _compare(expected: Manifest, con: Any, catalog: str, what: str) -> None:
    """BackupError naming the first table whose count or checksum differs from the manifest."""
    found = digests(con, catalog)
    if set(found) != set(expected.tables):
        missing = sorted(set(expected.tables) - set(found))
        extra = sorted(set(found) - set(expected.tables))
        raise BackupError(f"{what}: tables differ (missing {missing}, unexpected {extra})")
    for name, (n, digest) in expected.tables.items():
        got_n, got_digest = found[name]
        if got_n != n:
            raise BackupError(f"{what}: table {name} has {got_n:,} rows, the backup had {n:,}")
        if got_digest != digest:
            raise BackupError(f"{what}: table {name} differs from the backup (checksum)")
    if _sequences(con, catalog) != expected.sequences:
        raise BackupError(f"{what}: sequence values differ from the backup")


# --- taking a backup --------------------------------------------------------------------------


def _ask_server(db: Path) -> tuple[Path, Manifest] | None:
    """Ask a running dashboard for a snapshot; None when none listens for ``db``."""
    path = socket_path(db)
    if not path.exists():
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(SOCKET_TIMEOUT_S)
    try:
        sock.connect(str(path))
    except OSError:
        sock.close()
        return None  # a socket left by a dashboard that was killed
    with sock, sock.makefile("rw", encoding="utf-8") as stream:
        stream.write(json.dumps({"op": "snapshot"}) + "\n")
        stream.flush()
        reply = json.loads(stream.readline() or "{}")
    if "error" in reply or "path" not in reply:
        raise BackupError(f"the dashboard could not take the snapshot: {reply.get('error', '?')}")
    return Path(reply["path"]), Manifest.from_json(reply["manifest"])


def _snapshot_directly(db: Path, target: Path) -> Manifest:
    """Open ``db`` read-only in this process and snapshot it into ``target``."""
    con = duckdb.connect()
    try:
        try:
            con.execute(_attach(db, "footprint_source", read_only=True))
        except duckdb.IOException as exc:
            from data_access.engine import lock_holder

            holder = lock_holder(exc)
            if holder is not None:
                raise DatabaseBusy(holder) from exc
            raise
        return snapshot(con, "footprint_source", target, str(db))
    finally:
        con.close()


def _partial(final: Path) -> Path:
    return final.with_name(f".{final.name}.partial-{uuid.uuid4().hex[:8]}")


def _remove(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


@dataclass(frozen=True)
class Report:
    """What a backup or restore did."""

    path: Path
    manifest: Manifest
    via: str  # "dashboard" (snapshot taken by the running dashboard) or "file"
    seconds: float
    size: int


def backup(url: str, to: Path, *, force: bool = False) -> Report:
    """Snapshot the DuckDB database at ``url`` into ``to`` and verify the copy."""
    t0 = time.monotonic()
    db = duckdb_path(url)
    to = to.expanduser().resolve()
    if to == db:
        raise BackupError("the backup file cannot be the database itself")
    if to.exists() and not force:
        raise BackupRefused(f"{to} exists; pass --force to overwrite it")
    if not to.parent.is_dir():
        raise BackupError(f"folder {to.parent} does not exist")
    partial = _partial(to)
    try:
        served = _ask_server(db)
        if served is not None:
            made, manifest = served
            try:
                shutil.move(made, partial)
            finally:
                _remove(made)
            via = "dashboard"
        else:
            if not db.exists():
                raise BackupError(f"no database at {db}")
            manifest = _snapshot_directly(db, partial)
            via = "file"
        verify(partial, manifest, what="backup copy")
        os.replace(partial, to)
    finally:
        _remove(partial)
    return Report(to, manifest, via, time.monotonic() - t0, to.stat().st_size)


def verify(path: Path, manifest: Manifest | None = None, *, what: str = "backup") -> Manifest:
    """Check the tables in backup file ``path`` against its (or the given) manifest."""
    expected = manifest or read_manifest(path)
    con = duckdb.connect(str(path), read_only=True)
    try:
        catalog = con.execute("select current_database()").fetchone()[0]
        _compare(expected, con, catalog, what)
    finally:
        con.close()
    return expected


# --- restoring --------------------------------------------------------------------------------


def _not_held(db: Path) -> None:
    """DatabaseBusy when another process has ``db`` open (the dashboard must be stopped first)."""
    if not db.exists():
        return
    from data_access.engine import lock_holder

    try:
        duckdb.connect(str(db)).close()
    except duckdb.Error as exc:
        holder = lock_holder(exc)
        if holder is not None:
            raise DatabaseBusy(holder) from exc
        raise BackupError(f"{db} is not a DuckDB file: {str(exc).splitlines()[0]}") from exc


def restore(backup_file: Path, url: str, *, force: bool = False) -> Report:
    """Put the backup in place of the DuckDB database at ``url``, verified before it replaces it."""
    t0 = time.monotonic()
    db = duckdb_path(url)
    backup_file = backup_file.expanduser().resolve()
    if not backup_file.is_file():
        raise BackupError(f"no backup file at {backup_file}")
    manifest = read_manifest(backup_file)
    if db.exists() and not force:
        raise BackupRefused(f"{db} exists; pass --force to replace it with the backup")
    if not db.parent.is_dir():
        raise BackupError(f"folder {db.parent} does not exist")
    _not_held(db)
    partial = _partial(db)
    try:
        shutil.copyfile(backup_file, partial)
        con = duckdb.connect(str(partial))
        try:
            catalog = con.execute("select current_database()").fetchone()[0]
            _compare(manifest, con, catalog, "restored copy")
            con.execute("drop schema " + MANIFEST_SCHEMA + " cascade")
            con.execute("checkpoint")
        finally:
            con.close()
        _not_held(db)
        with contextlib.suppress(FileNotFoundError):
            db.with_name(db.name + ".wal").unlink()  # an old log must not replay onto the backup
        os.replace(partial, db)
    finally:
        _remove(partial)
    return Report(db, manifest, "file", time.monotonic() - t0, db.stat().st_size)


# --- the dashboard's side ---------------------------------------------------------------------


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        server: _SnapshotServer = self.server  # type: ignore[assignment]
        try:
            request = json.loads(self.rfile.readline() or b"{}")
            if request.get("op") != "snapshot":
                raise BackupError(f"unknown request {request.get('op')!r}")
            made, manifest = server.take()
            reply = {"path": str(made), "manifest": manifest.to_json()}
        except Exception as exc:  # the reply carries it; the server keeps serving
            reply = {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0]}"}
        self.wfile.write((json.dumps(reply) + "\n").encode())


class _SnapshotServer(socketserver.UnixStreamServer):
    def __init__(self, path: Path, url: str, db: Path) -> None:
        self.url, self.db = url, db
        super().__init__(str(path), _Handler)

    def take(self) -> tuple[Path, Manifest]:
        """A snapshot of the served database in a new file beside it."""
        from data_access.engine import make_engine

        # A second engine on the same URL shares the process's open DuckDB database; it must be
        # configured as the app's engine (dashboard/db.py opens a file it cannot write read-only),
        # or DuckDB refuses it.
        read_only = self.db.is_file() and not os.access(self.db, os.W_OK)
        engine = make_engine(self.url, read_only=read_only)
        made = self.db.with_name(f".{self.db.name}.snapshot-{uuid.uuid4().hex[:8]}")
        try:
            raw = engine.raw_connection()
            try:
                con = raw.driver_connection
                catalog = con.execute("select current_database()").fetchone()[0]
                manifest = snapshot(con, catalog, made, str(self.db))
            finally:
                raw.close()
        except BaseException:
            _remove(made)
            raise
        finally:
            engine.dispose()
        return made, manifest


def serve_snapshots(url: str) -> socketserver.BaseServer | None:
    """Start answering backup requests for the DuckDB file at ``url`` (no-op for other databases)."""
    try:
        db = duckdb_path(url)
    except BackupError:
        return None
    path = socket_path(db)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()  # left by a dashboard that did not stop cleanly
    old = os.umask(0o077)  # only the service's user (and root) may ask
    try:
        server = _SnapshotServer(path, url, db)
    finally:
        os.umask(old)
    threading.Thread(target=server.serve_forever, name="backup-socket", daemon=True).start()
    import atexit

    atexit.register(lambda: path.unlink(missing_ok=True))
    return server
