"""The offline bundle as a bank's IT desk uses it, in a network namespace with no route out.

Two bundles are built with each one's own build script: the previous release (the commit named in
packaging/previous-release, exported with ``git archive``) and this tree. Inside the namespace:
the previous release is installed and given a bank; the new one is installed over it (the data
is backed up, migrated, intact); its service serves a page to chromium and a backup while it
serves; then ``install.sh --rollback --with-data`` brings back the previous release and its data.
Building needs the package index and root (for ``ip netns``): under FOOTPRINT_CI=1 a missing
one is a failure, elsewhere a skip.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from dashboard.i18n import catalog
from data_access.backup import digests
from tests.ops.conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CI = os.environ.get("FOOTPRINT_CI") == "1"
PYTHON = sys.executable


def _need(ok: object, why: str) -> None:
    if not ok:
        if CI:
            pytest.fail(why, pytrace=False)
        pytest.skip(why)


def _run(cmd: list[str], *, timeout: float = 900, **kw) -> subprocess.CompletedProcess:
    kw.setdefault("text", True)
    return subprocess.run(cmd, capture_output=True, timeout=timeout, **kw)


def _ok(proc: subprocess.CompletedProcess, what: str) -> str:
    assert proc.returncode == 0, (
        f"{what} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
    return proc.stdout


@pytest.fixture(scope="module")
def netns() -> Iterator[str]:
    """A network namespace holding only a loopback interface."""
    _need(os.geteuid() == 0 and shutil.which("ip"), "needs root and iproute2 (`ip netns`)")
    name = f"fp-test-{uuid.uuid4().hex[:8]}"
    _ok(_run(["ip", "netns", "add", name]), "ip netns add")
    try:
        _ok(_run(["ip", "-n", name, "link", "set", "lo", "up"]), "loopback up")
        yield name
    finally:
        _run(["ip", "netns", "del", name])


def _in(ns: str, *cmd: str | Path, **kw) -> subprocess.CompletedProcess:
    """Run ``cmd`` inside namespace ``ns``, as a shell on the server would: from /, with no
    PYTHONPATH (no module or egg-info of this tree may stand in for the installed release's)."""
    kw.setdefault("cwd", "/")
    kw.setdefault("env", {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")})
    return _run(["ip", "netns", "exec", ns, *map(str, cmd)], **kw)


def _build(src: Path, dist: Path, version: str | None) -> subprocess.Popen:
    env = {**os.environ, "PYTHON": PYTHON, "DIST": str(dist)}
    if version:
        env["FOOTPRINT_VERSION"] = version
    log = (dist / f"build-{version or 'new'}.log").open("w")
    return subprocess.Popen(
        ["bash", str(src / "packaging" / "build-bundle.sh")],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The previous release's bundle and this tree's, built side by side and unpacked."""
    work = tmp_path_factory.mktemp("bundles")
    dist = work / "dist"
    dist.mkdir()
    commit = (ROOT / "packaging" / "previous-release").read_text().split()[0]
    old_src = work / "previous-src"
    old_src.mkdir()
    archive = _run(["git", "-C", str(ROOT), "archive", "--format=tar", commit], text=False)
    if archive.returncode != 0:  # a shallow clone: fetch the release's commit from where it came
        _run(["git", "-C", str(ROOT), "fetch", "--quiet", "--unshallow"])
        _run(["git", "-C", str(ROOT), "fetch", "--quiet", "origin", commit])
        archive = _run(["git", "-C", str(ROOT), "archive", "--format=tar", commit], text=False)
    _need(archive.returncode == 0, f"the previous release {commit} is not in this clone's history")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(old_src, filter="data")
    old_version = f"previous-{commit[:7]}"
    builds = [_build(old_src, dist, old_version), _build(ROOT, dist, None)]
    for proc in builds:
        proc.wait(timeout=1800)
    for proc, name in zip(builds, (old_version, "new"), strict=True):
        log = (dist / f"build-{name}.log").read_text()
        _need(
            proc.returncode == 0,
            f"building the {name} bundle failed (index reachable?):\n{log[-3000:]}",
        )
    tars = sorted(dist.glob("footprint-*-linux-x86_64.tar.gz"))
    assert len(tars) == 2, tars
    unpacked = work / "unpacked"
    for tar in tars:
        with tarfile.open(tar) as t:
            t.extractall(unpacked, filter="tar")
    old = unpacked / f"footprint-{old_version}"
    new = next(p for p in unpacked.iterdir() if p != old)
    return old, new


def _db_state(path: Path) -> dict[str, object]:
    """Per table: rows, checksum, columns; and the sequences."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        catalog_name = con.execute("select current_database()").fetchone()[0]
        cols: dict[str, list[str]] = {}
        for table, column in con.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'main' order by table_name, ordinal_position"
        ).fetchall():
            cols.setdefault(table, []).append(column)
        seqs = con.execute("select sequence_name, last_value from duckdb_sequences() order by 1")
        return {
            "tables": digests(con, catalog_name),
            "columns": cols,
            "sequences": seqs.fetchall(),
        }
    finally:
        con.close()


def test_every_data_file_of_the_packages_is_in_the_wheel(bundles: tuple[Path, Path]) -> None:
    _, new = bundles
    wheel = next((new / "wheels").glob("footprint-*.whl"))
    packed = set(zipfile.ZipFile(wheel).namelist())
    tracked = _run(["git", "-C", str(ROOT), "ls-files", "dashboard", "data_access", "metrics"])
    data_files = [f for f in _ok(tracked, "git ls-files").split() if not f.endswith(".py")]
    assert data_files, "no data files found: the check would be empty"
    assert [f for f in data_files if f not in packed] == []


def test_offline_install_upgrade_service_and_rollback(
    bundles: tuple[Path, Path], netns: str, tmp_path: Path
) -> None:
    old, new = bundles
    site = tmp_path / "server"
    dirs = {"prefix": site / "opt", "data": site / "data", "config": site / "etc"}
    opts = [a for k, v in dirs.items() for a in (f"--{k}", str(v))]
    opts += ["--log-dir", str(site / "log"), "--user", "root"]
    prefix, data = dirs["prefix"], dirs["data"]
    db = data / "footprint.duckdb"
    admin = prefix / "current" / "bin" / "footprint-admin"

    # nothing leaves this namespace
    probe = _in(netns, PYTHON, "-c", "import socket; socket.create_connection(('1.1.1.1', 443), 3)")
    assert probe.returncode != 0 and "unreachable" in probe.stderr, probe.stderr

    # 1. the previous release, installed offline and given a bank
    first = _ok(_in(netns, "bash", old / "install.sh", *opts), "installing the previous release")
    assert "installed" in first
    _ok(_in(netns, admin, "init", "--customers", "300", "--seed", "3", "--replace", "--url",
            f"duckdb:///{db}"), "loading a bank")  # fmt: skip
    con = duckdb.connect(str(db))
    con.execute(
        "insert into saved_segments (segment_id, name, owner, definition, created_at) values "
        "(nextval('saved_segments_id_seq'), '升级前的名单', 'it-desk', '{}', now())"
    )
    con.close()
    before = _db_state(db)
    old_release = os.readlink(prefix / "current")

    # 2. the new release over it: backed up, migrated, data intact
    upgrade = _ok(_in(netns, "bash", new / "install.sh", *opts), "upgrading to the new release")
    assert "backing up the database before the upgrade" in upgrade
    new_release = os.readlink(prefix / "current")
    assert new_release == f"releases/{(new / 'VERSION').read_text().strip()}"
    assert os.readlink(prefix / "previous") == old_release != new_release
    after = _db_state(db)
    for table, (rows, checksum) in before["tables"].items():
        if table == "alembic_version":  # the one row that must change when revisions apply
            continue
        assert after["tables"][table][0] == rows, f"{table}: rows changed by the upgrade"
        if after["columns"][table] == before["columns"][table]:
            assert after["tables"][table][1] == checksum, f"{table}: data changed by the upgrade"
    schema = _in(netns, prefix / "current" / "venv" / "bin" / "python", "-c",
                 "import json; from data_access.schema import metadata; print(json.dumps("
                 "{t.name: [c.name for c in t.columns] for t in metadata.sorted_tables}))")  # fmt: skip
    for table, columns in json.loads(_ok(schema, "reading the new schema")).items():
        assert set(columns) <= set(after["columns"].get(table, [])), f"{table}: not migrated"
    if (ROOT / "data_access" / "migrations").is_dir():  # at the new release's head revision
        head = _in(netns, prefix / "current" / "venv" / "bin" / "python", "-c",
                   "from data_access.migrate import head; print(head())")  # fmt: skip
        con = duckdb.connect(str(db), read_only=True)
        versions = con.execute("select version_num from alembic_version").fetchall()
        con.close()
        assert versions == [(_ok(head, "reading the head revision").strip(),)]

    # 3. the first admin, created as the README and the installer say (the previous release's
    # bank had no users), then the service, as the unit starts it, serves chromium in the namespace
    first = _in(netns, admin, "users", "create", "it_admin", "--role", "admin",
                "--password-stdin", input="it_admin-demo\n")  # fmt: skip
    _ok(first, "creating the first admin")
    log = site / "log" / "footprint.log"
    with log.open("a") as out:
        server = subprocess.Popen(
            ["ip", "netns", "exec", netns, str(prefix / "current" / "bin" / "footprint")],
            cwd="/",
            env={k: v for k, v in os.environ.items() if not k.startswith("PYTHON")},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        page = _in(netns, PYTHON, ROOT / "tests" / "ops" / "visit.py",
                   "http://127.0.0.1:8501/kpis?lang=en", "it_admin", env=env, cwd=ROOT)  # fmt: skip
        assert catalog()["kpis.title"]["en"] in _ok(page, "loading a page in chromium")
        live = _in(netns, admin, "backup", "--to", data / "backups" / "while-serving.fpbak")
        assert "snapshot taken by the running dashboard" in _ok(live, "backup while serving")
    finally:
        server.terminate()  # `ip netns exec` and the launcher exec: this is the server's PID
        server.wait(timeout=60)
    text = log.read_text()
    assert "Uvicorn server started" in text or "You can now view" in text, text[-2000:]
    con = duckdb.connect(str(db), read_only=True)
    names = [r[0] for r in con.execute("select name from customers limit 50").fetchall()]
    con.close()
    assert [n for n in names if n in text] == []  # no personal data in the service's log

    # 4. rollback with the data as it was before the upgrade
    back = _ok(_in(netns, "bash", new / "install.sh", "--rollback", "--with-data", *opts),
               "rolling back")  # fmt: skip
    assert "rolled back" in back
    assert os.readlink(prefix / "current") == old_release
    assert os.readlink(prefix / "previous") == new_release
    assert _db_state(db) == before
    _ok(_in(netns, admin, "info"), "the previous release reading its data")
