"""A real multi-process Spark cluster on 127.0.0.1 from the pip ``pyspark`` package.

A standalone master, one worker (its own executor JVM) and the Thrift JDBC/ODBC server, each a
separate Java process, all on free ports, with memory kept modest (the test machine is shared).
``sbin/start-thriftserver.sh`` is not in the pip package: the server starts through
``spark-submit --class``. Used by tests/spark (fixture) and bench/bench_spark.py.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

START_TIMEOUT_S = 180.0
# For a short-lived test cluster (tests/spark): every JVM (master, worker, executor, the Thrift
# server's driver) compiles with C1 only and collects with one thread. It lives a few minutes on two
# shared cores and runs hundreds of small jobs: C2's compiler threads and parallel GC threads cost
# more CPU than their code saves. tests/spark (36 tests): 403 → 267 CPU s, 333 → 241 s wall.
# The bench (bench/spark.py) keeps the JVMs' defaults, as a bank's cluster runs.
SHORT_LIVED_JVM = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


class SparkUnavailable(RuntimeError):
    """Java or pyspark is missing, or the cluster did not come up."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spark_home() -> Path:
    """The Spark distribution inside the installed pyspark package."""
    try:
        import pyspark
    except ImportError as exc:
        raise SparkUnavailable("pyspark is not installed (make test installs it)") from exc
    return Path(pyspark.__file__).parent


def java_version() -> str:
    """``java -version``'s first line; SparkUnavailable when there is no Java."""
    java = shutil.which("java")
    if java is None:
        raise SparkUnavailable("no java on PATH (make java installs openjdk-17-jre-headless)")
    out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    return (out.stderr or out.stdout).splitlines()[0]


def _wait_for(path: Path, text: str, procs: list[subprocess.Popen], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        dead = [p for p in procs if p.poll() is not None]
        if dead:
            raise SparkUnavailable(f"a Spark process exited early; see {path.parent}")
        time.sleep(0.25)
    raise SparkUnavailable(f"'{text}' not seen in {path} within {timeout:.0f} s")


@dataclass
class SparkCluster:
    """Master + worker + Thrift server; ``url`` is the SQLAlchemy URL of the Thrift server."""

    workdir: Path
    worker_cores: int = 2
    memory: str = "1g"
    shuffle_partitions: int = 4
    jvm_options: str = ""  # for every JVM of the cluster, e.g. SHORT_LIVED_JVM
    procs: list[subprocess.Popen] = field(default_factory=list)
    thrift_port: int = 0
    master_port: int = 0

    @property
    def url(self) -> str:
        return f"hive://ci@127.0.0.1:{self.thrift_port}/default"

    @property
    def warehouse(self) -> Path:
        return self.workdir / "warehouse"

    def _env(self, daemon: bool) -> dict[str, str]:
        env = dict(os.environ)
        if daemon:  # master and worker; the launcher also gives it to the Thrift server's driver
            env["SPARK_DAEMON_MEMORY"] = "256m"
            if self.jvm_options:
                env["SPARK_DAEMON_JAVA_OPTS"] = self.jvm_options
        env.update(
            SPARK_HOME=str(spark_home()),
            SPARK_LOCAL_IP="127.0.0.1",
            SPARK_LOG_DIR=str(self.workdir / "logs"),
            SPARK_WORKER_DIR=str(self.workdir / "work"),
            PYSPARK_PYTHON=env.get("PYSPARK_PYTHON", "python3"),
        )
        return env

    def _spawn(self, args: list[str], log: str, daemon: bool = True) -> Path:
        path = self.workdir / "logs" / log
        with path.open("wb") as fh:
            proc = subprocess.Popen(
                args,
                cwd=self.workdir,
                env=self._env(daemon),
                stdout=fh,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: stop() ends the JVM's children
            )
        self.procs.append(proc)
        return path

    def start(self) -> SparkCluster:
        """Start master, worker and Thrift server; returns when the server accepts queries."""
        java_version()
        home = spark_home()
        (self.workdir / "logs").mkdir(parents=True, exist_ok=True)
        self.warehouse.mkdir(parents=True, exist_ok=True)
        cls = str(home / "bin" / "spark-class")
        self.master_port = free_port()
        master = f"spark://127.0.0.1:{self.master_port}"
        try:
            log = self._spawn(
                [
                    cls,
                    "org.apache.spark.deploy.master.Master",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.master_port),
                    "--webui-port",
                    str(free_port()),
                ],
                "master.log",
            )
            _wait_for(log, "I have been elected leader", self.procs, START_TIMEOUT_S)
            log = self._spawn(
                [
                    cls,
                    "org.apache.spark.deploy.worker.Worker",
                    master,
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(free_port()),
                    "--webui-port",
                    str(free_port()),
                    "--cores",
                    str(self.worker_cores),
                    "--memory",
                    self.memory,
                ],
                "worker.log",
            )
            _wait_for(log, "Successfully registered with master", self.procs, START_TIMEOUT_S)
            self.thrift_port = free_port()
            metastore = self.workdir / "metastore_db"
            executor_options = (
                {"spark.executor.extraJavaOptions": self.jvm_options} if self.jvm_options else {}
            )
            log = self._spawn(
                [str(home / "bin" / "spark-submit"), "--master", master]
                + ["--driver-memory", self.memory, "--executor-memory", self.memory]
                + ["--total-executor-cores", str(self.worker_cores)]
                + (["--driver-java-options", self.jvm_options] if self.jvm_options else [])
                + [
                    f"--conf={k}={v}"
                    for k, v in {
                        "spark.sql.warehouse.dir": self.warehouse,
                        "spark.driver.bindAddress": "127.0.0.1",
                        "spark.driver.host": "127.0.0.1",
                        "spark.ui.enabled": "false",
                        "spark.sql.shuffle.partitions": self.shuffle_partitions,
                        "spark.sql.session.timeZone": "UTC",
                        "spark.sql.adaptive.enabled": "true",
                        # one session for every connection: a mart rewritten by INSERT OVERWRITE
                        # is seen by the other connections (else their cached file lists go stale)
                        "spark.sql.hive.thriftServer.singleSession": "true",
                        "spark.hadoop.javax.jdo.option.ConnectionURL": (
                            f"jdbc:derby:;databaseName={metastore};create=true"
                        ),
                        **executor_options,
                    }.items()
                ]
                + ["--class", "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2"]
                + ["--name", "footprint-thrift", "spark-internal"]
                # --hiveconf must follow spark-internal
                + ["--hiveconf", "hive.server2.thrift.bind.host=127.0.0.1"]
                + ["--hiveconf", f"hive.server2.thrift.port={self.thrift_port}"],
                "thrift.log",
                daemon=False,
            )
            _wait_for(log, "HiveThriftServer2 started", self.procs, START_TIMEOUT_S)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """End the three processes (Thrift server first), each by its own process group."""
        for proc in reversed(self.procs):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        self.procs.clear()
