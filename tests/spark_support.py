"""Local Spark for the tests: classic sessions, Spark Connect servers and Python 3.12 client envs.

Everything here is started by the tests themselves, on this machine, offline:

- ``SparkModes``: one process can hold either a classic pyspark session or a Spark Connect client
  session, not both. pyspark refuses ``builder.remote()`` while a classic SparkContext is alive
  (``SESSION_ALREADY_EXIST``), and once a Connect session has been created it leaves
  ``SPARK_CONNECT_MODE_ENABLED`` set, which routes every later ``builder.getOrCreate()`` and every
  ``pyspark.sql.functions`` call to Connect. ``SparkModes`` switches between the two by stopping
  the other session and clearing that variable. The classic JVM stays up across switches, so
  switching costs ≈0.3–0.5 s, not a new JVM (≈5–7 s).
- ``ConnectServer``: a Spark Connect server started from the installed pyspark's own jars
  (pyspark 4.x ships ``spark-connect_2.13-*.jar``) on a free port, in its own process group,
  stopped (group-wide) when the tests end or the test process dies.
- ``python312`` / ``ensure_venv``: the Python 3.12 environments the Databricks Connect client
  test needs (databricks-connect and pyspark both own the ``pyspark`` package, so the client
  never shares an environment with pyspark).
- ``unavailable``: skip when Spark cannot run here, but fail when ``DDG_REQUIRE_SPARK=1`` (CI).
"""

from __future__ import annotations

import atexit
import ctypes
import glob
import hashlib
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

REQUIRE_SPARK = os.environ.get("DDG_REQUIRE_SPARK") == "1"

# Small and deterministic: two cores, few shuffle partitions, no UI, UTC everywhere, and parquet
# timestamps as TIMESTAMP_MICROS (UTC-adjusted) so Polars reads them as Datetime("us", "UTC")
# (the default INT96 reads back naive, in nanoseconds).
SPARK_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
}

# Records of start-up costs, printed in the terminal summary (see conftest_spark.py).
TIMINGS: dict[str, float] = {}


def unavailable(reason: str):
    """Skip the test, or fail it when the environment promises Spark (CI sets DDG_REQUIRE_SPARK=1)."""
    if REQUIRE_SPARK:
        pytest.fail(f"DDG_REQUIRE_SPARK=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def java_problem() -> str | None:
    """Why Java cannot run Spark here, or None."""
    java = Path(os.environ["JAVA_HOME"]) / "bin" / "java" if os.environ.get("JAVA_HOME") else None
    if java is None or not java.exists():
        found = shutil.which("java")
        if found is None:
            return "Java is not installed (Spark needs Java 17)"
        java = Path(found)
    try:
        result = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"java -version failed: {error}"
    if result.returncode != 0:
        return f"java -version failed: {result.stderr.strip()[:200]}"
    return None


def pyspark_home() -> Path | None:
    """The installed pyspark package folder, which is a complete SPARK_HOME (bin/, jars/)."""
    spec = importlib.util.find_spec("pyspark")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent


def spark_problem() -> str | None:
    if pyspark_home() is None:
        return "pyspark is not installed"
    if importlib.util.find_spec("dbldatagen") is None:
        return "dbldatagen is not installed"
    return java_problem()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _die_with_parent() -> None:
    """Runs in the child before exec: the kernel sends SIGTERM when the test process dies, so an
    interrupted or killed pytest leaves no orphan JVM behind."""
    os.setsid()
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass  # not Linux: the atexit handler still stops the server


class ConnectServer:
    """A local Spark Connect server from the installed pyspark, on a port of its own."""

    def __init__(self, workdir: Path, worker_python: str, name: str = "connect"):
        self.workdir = workdir
        self.worker_python = worker_python
        self.name = name
        self.port: int | None = None
        self.process: subprocess.Popen | None = None
        self.log_path = workdir / f"{name}-server.log"

    @property
    def url(self) -> str:
        return f"sc://localhost:{self.port}"

    def start(self, timeout: float = 120.0) -> None:
        home = pyspark_home()
        if home is None:
            raise RuntimeError("pyspark is not installed")
        self.workdir.mkdir(parents=True, exist_ok=True)
        warehouse = self.workdir / f"{self.name}-warehouse"
        self.port = free_port()
        conf = dict(SPARK_CONF)
        conf.update({
            "spark.connect.grpc.binding.port": str(self.port),
            "spark.connect.grpc.binding.address": "127.0.0.1",
            "spark.sql.warehouse.dir": str(warehouse),
            "spark.driver.extraJavaOptions": f"-Dderby.system.home={self.workdir / (self.name + '-derby')}",
        })
        command = [str(home / "bin" / "spark-submit"),
                   "--class", "org.apache.spark.sql.connect.service.SparkConnectServer",
                   "--master", "local[2]", "--name", f"ddg-tests-{self.name}"]
        for key, value in conf.items():
            command += ["--conf", f"{key}={value}"]
        environment = {key: value for key, value in os.environ.items()
                       if key not in ("SPARK_REMOTE", "SPARK_CONNECT_MODE_ENABLED", "SPARK_LOCAL_REMOTE",
                                      "PYSPARK_DRIVER_PYTHON", "SPARK_CONF_DIR", "PYTHONPATH")}
        # Over Connect, UDFs (pandas UDFs behind templates, text and distributions) run in the
        # server's Python workers: that interpreter needs dbldatagen, numpy, pandas and pyarrow,
        # and its minor version must equal the client's.
        environment.update({"SPARK_HOME": str(home), "PYSPARK_PYTHON": self.worker_python,
                            "SPARK_LOCAL_IP": "127.0.0.1"})
        started = time.perf_counter()
        log = self.log_path.open("w")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment,
                                        cwd=self.workdir, preexec_fn=_die_with_parent)
        log.close()
        atexit.register(self.stop)
        deadline = started + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Spark Connect server exited with {self.process.returncode}:\n{self.log_tail()}")
            if "SparkConnectServer: Spark Connect server started" in self.log_path.read_text(errors="replace"):
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                        TIMINGS[f"{self.name} server ready (s)"] = round(time.perf_counter() - started, 1)
                        return
                except OSError:
                    pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"Spark Connect server not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the server and its Python workers: the whole process group we created, by id."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        except ProcessLookupError:
            pass
        # Python workers share the group: give them a moment, then make sure none is left.
        deadline = time.monotonic() + 10
        while live_group_members(process.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if live_group_members(process.pid):
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def live_group_members(group: int) -> list[int]:
    """Processes of a process group that are still running (zombies excluded: in a container
    without an init that reaps, they linger but hold nothing)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":  # fields: state, ppid, pgrp, ...
            members.append(int(stat.parent.name))
    return members


class SparkModes:
    """Hands out the classic session or a Connect client session, switching between them."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self._classic = None
        self._connect = None
        self._connect_url: str | None = None
        self._starts = 0

    def classic(self):
        from pyspark.sql import SparkSession

        self.stop_connect()
        session = self._classic
        if session is not None and session._sc._jsc is not None:
            return session
        self._starts += 1
        # Python workers start from PYSPARK_PYTHON (default: whatever "python3" is on PATH, which
        # lacks dbldatagen): pandas UDFs behind templates, text and distributions need this one.
        os.environ["PYSPARK_PYTHON"] = sys.executable
        # The in-memory catalog dies with the SparkContext but the warehouse folder would not:
        # a fresh folder per start keeps CREATE TABLE from tripping over an old table's files.
        warehouse = self.workdir / f"classic-warehouse-{self._starts}"
        builder = SparkSession.builder.master("local[2]").appName("ddg-tests")
        for key, value in SPARK_CONF.items():
            builder = builder.config(key, value)
        builder = (builder.config("spark.sql.warehouse.dir", str(warehouse))
                   .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={self.workdir / 'derby'}"))
        started = time.perf_counter()
        session = builder.getOrCreate()
        session.sparkContext.setLogLevel("ERROR")
        TIMINGS.setdefault("classic session start, first (s)", round(time.perf_counter() - started, 1))
        if self._starts > 1:
            TIMINGS["classic session restart, last (s)"] = round(time.perf_counter() - started, 1)
        self._classic = session
        return session

    def connect(self, url: str):
        from pyspark.sql import SparkSession

        if self._classic is not None:
            self._classic.stop()
            self._classic = None
        if self._connect is not None and not self._connect.is_stopped and self._connect_url == url:
            return self._connect
        self.stop_connect()
        started = time.perf_counter()
        session = SparkSession.builder.remote(url).getOrCreate()
        TIMINGS.setdefault("connect client session (s)", round(time.perf_counter() - started, 1))
        self._connect, self._connect_url = session, url
        return session

    def stop_connect(self) -> None:
        if self._connect is not None:
            self._connect.stop()
            self._connect = None
        # Left behind by every Connect session; while set, classic pyspark routes to Connect.
        os.environ.pop("SPARK_CONNECT_MODE_ENABLED", None)

    def stop(self) -> None:
        self.stop_connect()
        if self._classic is not None:
            self._classic.stop()
            self._classic = None


def load_spark_script(relative_path: str):
    """``conftest.load_script`` for code whose functions end up inside Spark UDFs.

    Scripts loaded by path live in ``sys.modules`` under a name the Python workers cannot import,
    and cloudpickle pickles module-level functions *by reference* — the worker then fails with
    ``ModuleNotFoundError: ddg_...``. Registering the module for pickling by value ships the code
    itself, as happens when the script runs as ``__main__`` or in a notebook.
    """
    from conftest import load_script
    from pyspark import cloudpickle

    module = load_script(relative_path)
    cloudpickle.register_pickle_by_value(module)
    return module


# --- Python 3.12 environments for the Databricks Connect client ---------------------------------

def python312() -> str | None:
    """A Python 3.12 interpreter: $DDG_PYTHON312, pyenv's 3.12.x, or what ``uv python find`` knows."""
    candidates = [os.environ.get("DDG_PYTHON312")]
    pyenv_root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    candidates += sorted(glob.glob(f"{pyenv_root}/versions/3.12.*/bin/python3.12"), reverse=True)
    if shutil.which("uv"):
        found = subprocess.run(["uv", "python", "find", "--no-project", "3.12"], capture_output=True, text=True)
        if found.returncode == 0:
            candidates.append(found.stdout.strip())
    for candidate in candidates:
        if not candidate or not Path(candidate).exists():
            continue
        version = subprocess.run([candidate, "-c", "import sys; print(sys.version_info[:2] == (3, 12))"],
                                 capture_output=True, text=True)
        if version.stdout.strip() == "True":
            return candidate
    return None


def cache_root() -> Path:
    root = os.environ.get("DDG_TEST_CACHE") or os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "databricks-data-gen-tests"


def ensure_venv(name: str, python: str, requirements: list[str], links: dict[str, Path] | None = None) -> Path:
    """A cached virtual environment keyed by its interpreter and requirements; returns its python.

    ``links`` puts packages into the environment as symlinks (name -> folder), e.g. the server's
    own pure-Python ``pyspark`` for a Python 3.12 worker, instead of building a second copy.
    Built in a temporary folder and renamed into place, so an interrupted install never leaves a
    half-built environment that later runs would trust.
    """
    if shutil.which("uv") is None:
        raise RuntimeError("uv is not installed")
    links = links or {}
    recipe = [python, *requirements, *(f"{k}->{v}" for k, v in sorted(links.items()))]
    key = hashlib.sha256("\n".join(recipe).encode()).hexdigest()[:12]
    target = cache_root() / f"{name}-{key}"
    env_python = target / "bin" / "python"
    if env_python.exists():
        return env_python
    target.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=target.parent))
    try:
        # --relocatable: the environment is built under a temporary name and renamed afterwards.
        subprocess.run(["uv", "venv", "-q", "--relocatable", "--python", python, str(building)],
                       check=True, capture_output=True, text=True)
        subprocess.run(["uv", "pip", "install", "-q", "--python", str(building / "bin" / "python"), *requirements],
                       check=True, capture_output=True, text=True, timeout=900)
        if links:
            site_packages = next((building / "lib").glob("python3*/site-packages"))
            for package, folder in links.items():
                (site_packages / package).symlink_to(folder, target_is_directory=True)
        building.rename(target)
    except subprocess.CalledProcessError as error:
        shutil.rmtree(building, ignore_errors=True)
        raise RuntimeError(f"{' '.join(error.cmd[:4])} … failed:\n{error.stderr[-2000:]}") from error
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return env_python
