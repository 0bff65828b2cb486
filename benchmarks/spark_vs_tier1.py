# /// script
# requires-python = ">=3.11"
# dependencies = [
#   "polars>=2.1,<2.2",
#   "pyarrow>=17",
# ]
# ///
"""The project's Spark generators on local[2] against its Tier 1 generators, industry by industry.

For each industry and main-table size, the Spark generator (scripts/generators/<x>.py, run as a
user runs it on a local Spark: ``uv run --with "pyspark[connect]>=4.0,<4.1" --with
dbldatagen==0.4.0.post1 --with jmespath --with pyparsing --with mimesis==22.2.0 <x>.py --local
--output DIR``) and the Tier 1 generator (``uv run scripts/generators/polars/<x>.py --output
DIR``) write the same tables, with the same row count per table, as parquet. Each run is a child
process timed from start to exit (wall time), so Spark's JVM start and session are included, as
a user pays them; the CPU seconds and peak memory of everything it starts (uv, Python, the JVM,
Python workers) are sampled from /proc, because on a shared machine CPU time is the steadier
figure: other work stretches wall time, hardly the CPU a run needs.

Child tables are scaled down from the generators' defaults with their own flags (CHILDREN below)
so a 1M-row Spark run takes minutes, not an hour; both sides get the same flags. The planned
counts are compared (--dry-run on both sides) before anything runs, and the written counts are
compared from the two JSON summaries afterwards. Retail line items are drawn (1 + Poisson per
transaction) and differ by a fraction of a percent between the engines; every other count is
exact.

Spark's fixed cost is measured twice: a bare session probe (JVM + session start, first job
``spark.range(1).count()``, stop) and each generator at --tiny rows (default 100 main rows,
children by the same ratios). The marginal cost per million rows is the slope between the two
largest sizes; with it the report gives the size, if any, where Spark on this machine would
overtake Tier 1.

Timed children run with ``uv run --offline`` after one warm-up per environment, so registry
look-ups are not timed (the documented command without --offline re-resolves its ``--with``
requirements on every run: 0.4 s offline, 5-8 s measured online here). The load average is
recorded before and after every run, and so is how the machine's CPU time was shared (other
people's niced work shows up as 'nice'; note that with sched_autogroup on, as here, nice only
ranks processes inside one session, so niced work elsewhere still competes).

Destination matters as much as size, so the report also gives each Tier 1 output's size as
the Arrow data the Unity Catalog bridge would send (scripts/utils/uc_bridge.py: slices of at
most 200,000 rows / 32 MiB, one createDataFrame + commit each), and with --upload measures
Tier 1 + that upload (``--catalog spark_catalog --remote sc://localhost:PORT --table-format
parquet``) into a local Spark Connect server on this machine: the client's and the server's
work without any network. A real workspace adds the network transfer and a commit per slice,
which this machine cannot measure.

    uv run benchmarks/spark_vs_tier1.py                              # 5 industries, 100K and 1M
    uv run benchmarks/spark_vs_tier1.py --industries retail iot --skip-1m
    uv run benchmarks/spark_vs_tier1.py --json out.json --markdown out.md
    uv run benchmarks/spark_vs_tier1.py --upload --skip-1m      # plus Tier 1 + upload over local Connect

With --rounds N, wall times are the best of the N rounds (other work on the machine only adds
wall time; the JSON also keeps the median) and CPU seconds the median. JSON report on stdout
(and --json FILE); the markdown tables on stderr (and --markdown FILE); --from-json FILE redraws
the tables from a saved report's runs without running anything.
Needs uv and Java 17. Results go in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parents[1]

# The documented local Spark command (README.md, SKILL.md), mimesis pinned as in README.md.
SPARK_WITH = ["--with", "pyspark[connect]>=4.0,<4.1", "--with", "dbldatagen==0.4.0.post1", "--with", "jmespath",
              "--with", "pyparsing", "--with", "mimesis==22.2.0"]

# Child tables per main-table row, as each generator's own flags (same flags on both sides).
# Defaults would make 42M (retail), 13.5M (healthcare), 24.6M (financial), 507M (iot at 504
# readings per device) and 2,019M (manufacturing at 2,016 readings per machine) rows at 1M
# main rows; these keep every table and every join, with 3-6 child rows per main row.
CHILDREN = {
    "retail": {
        "main": "customers",
        "flags": lambda n: ["--transactions", str(n)],
        "ratios": "products rows/10, stores 5-50 (default), inventory products x stores, transactions 1 x rows "
                  "(default 10), line items ~3 per transaction (default)",
    },
    "healthcare": {
        "main": "patients",
        "flags": lambda n: ["--encounters", str(n), "--claims", str(n * 3 // 2)],
        "ratios": "providers rows/50 (default, at least 20), encounters 1 x rows (default 5), claims 1.5 x encounters "
                  "(default)",
    },
    "financial": {
        "main": "accounts",
        "flags": lambda n: ["--trades", str(n), "--transactions", str(2 * n)],
        "ratios": "customers 0.625 x rows (default), trades 1 x rows (default 3), transactions 2 x rows (default 20)",
    },
    "iot": {
        "main": "devices",
        "flags": lambda n: ["--days", "1", "--interval-minutes", "1440", "--events", str(n), "--telemetry", str(n)],
        "ratios": "sensor readings 3 per device (--days 1 --interval-minutes 1440; default 504), events 1 x rows "
                  "(default 5), telemetry 1 x rows (default 100)",
    },
    "manufacturing": {
        "main": "equipment",
        "flags": lambda n: ["--readings-per-equipment", "3", "--maintenance", str(n)],
        "ratios": "sensor_data 3 per machine (default 2,016), maintenance 1 x rows (default 2)",
    },
}
INDUSTRIES = list(CHILDREN)
# Tables whose count is drawn, not set: (industry, table) -> relative difference accepted. A small
# table may also differ by 5 standard deviations of its Poisson total (5 x sqrt(rows)).
DRAWN = {("retail", "line_items"): 0.01, ("financial", "account_holders"): 0.01}

# Bare local Spark: what every Spark generator pays before its first table.
SPARK_PROBE = r"""
import json, os, sys, time
started = time.perf_counter()
from pyspark.sql import SparkSession
imported = time.perf_counter()
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
spark = (SparkSession.builder.master("local[*]").appName("probe").config("spark.ui.showConsoleProgress", "false")
         .config("spark.sql.session.timeZone", "UTC").getOrCreate())
session = time.perf_counter()
spark.range(1).count()
first = time.perf_counter()
spark.range(1).count()
second = time.perf_counter()
spark.stop()
stopped = time.perf_counter()
import dbldatagen, pyspark
print(json.dumps({"import_s": imported - started, "session_s": session - imported, "first_job_s": first - session,
                  "second_job_s": second - first, "stop_s": stopped - second, "in_process_s": stopped - started,
                  "python": sys.version.split()[0], "pyspark": pyspark.__version__,
                  "dbldatagen": getattr(dbldatagen, "__version__", "?"),
                  "default_parallelism_note": "local[*]"}))
"""


def positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def size_list(text: str) -> list[int]:
    return [positive_int(part) for part in text.split(",") if part.strip()]


def spark_command(script: Path, *arguments: str, offline: bool = True) -> list[str]:
    return ["uv", "run", *(["--offline"] if offline else []), *SPARK_WITH, str(script), *arguments]


def tier1_command(script: Path, *arguments: str, offline: bool = True) -> list[str]:
    return ["uv", "run", *(["--offline"] if offline else []), "--quiet", str(script), *arguments]


def scripts(industry: str) -> dict[str, Path]:
    return {"tier1": REPO / "scripts" / "generators" / "polars" / f"{industry}.py",
            "spark": REPO / "scripts" / "generators" / f"{industry}.py"}


def command(side: str, industry: str, rows: int, output: Path, extra: tuple[str, ...] = ()) -> list[str]:
    arguments = ["--rows", str(rows), *CHILDREN[industry]["flags"](rows), "--output", str(output), "--format",
                 "parquet", *extra]
    script = scripts(industry)["spark" if side == "spark" else "tier1"]
    if side == "spark":
        return spark_command(script, *arguments, "--local")
    if side == "upload":  # Tier 1 + the bridge; the pyspark Connect client layered on the script's environment
        return ["uv", "run", "--offline", "--quiet", "--with", "pyspark[connect]>=4.0,<4.1", str(script), *arguments]
    return tier1_command(script, *arguments)


# Slices of the Unity Catalog bridge (scripts/utils/uc_bridge.py ROWS_PER_MESSAGE, MAX_MESSAGE_BYTES).
ROWS_PER_MESSAGE, MAX_MESSAGE_BYTES = 200_000, 32 * 2**20


def arrow_profile(directory: Path, tables: dict[str, int]) -> dict:
    """What the bridge would send for a Tier 1 output: Arrow bytes (as it converts them, large
    strings) and the number of createDataFrame messages."""
    total_bytes = messages = 0
    for table in tables:
        frame = pl.read_parquet(directory / f"{table}.parquet")
        size = frame.to_arrow(compat_level=pl.CompatLevel.oldest()).nbytes
        total_bytes += size
        for start in range(0, frame.height, ROWS_PER_MESSAGE):
            part = frame.slice(start, ROWS_PER_MESSAGE)
            messages += max(1, -(-round(size * part.height / max(frame.height, 1)) // MAX_MESSAGE_BYTES))
    return {"arrow_bytes": total_bytes, "messages": messages}


class ConnectServer:
    """A Spark Connect server from the Spark environment's own pyspark jars, local[2], loopback only,
    in its own process group (stopped by that group's id). A fresh one per upload run, with 4 GiB
    of driver memory: one server with the default 1 GiB, reused across uploads, hit its 1 GiB
    gRPC (Netty) direct-memory cap after roughly 1 GB of 16 MiB Arrow messages, and the client
    then retried for minutes instead of failing."""

    def __init__(self, workdir: Path, memory: str = "4g"):
        self.workdir, self.memory, self.process, self.port = workdir, memory, None, None

    def start(self, timeout: float = 300) -> str:
        import socket

        self.workdir.mkdir(parents=True, exist_ok=True)
        where = subprocess.run(["uv", "run", "--offline", *SPARK_WITH, "python", "-c",
                                "import os, pyspark; print(os.path.dirname(pyspark.__file__))"],
                               capture_output=True, text=True, check=True, cwd=self.workdir)
        home = Path(where.stdout.strip())
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        conf = {"spark.connect.grpc.binding.port": str(self.port), "spark.connect.grpc.binding.address": "127.0.0.1",
                "spark.sql.warehouse.dir": str(self.workdir / "warehouse"), "spark.ui.enabled": "false",
                "spark.sql.session.timeZone": "UTC", "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
                "spark.driver.extraJavaOptions": f"-Dderby.system.home={self.workdir / 'derby'}"}
        argv = [str(home / "bin" / "spark-submit"), "--class", "org.apache.spark.sql.connect.service.SparkConnectServer",
                "--master", "local[2]", "--driver-memory", self.memory]
        for key, value in conf.items():
            argv += ["--conf", f"{key}={value}"]
        log_path = self.workdir / "connect-server.log"
        environment = {k: v for k, v in os.environ.items() if k not in ("SPARK_REMOTE", "PYTHONPATH")}
        environment.update({"SPARK_HOME": str(home), "SPARK_LOCAL_IP": "127.0.0.1"})
        with log_path.open("w") as log:
            self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=environment,
                                            cwd=self.workdir, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"error: the Spark Connect server exited: {log_path.read_text()[-1500:]}")
            if "Spark Connect server started" in log_path.read_text(errors="replace"):
                return f"sc://localhost:{self.port}"
            time.sleep(0.5)
        self.stop()
        raise SystemExit(f"error: the Spark Connect server did not start in {timeout:.0f} s")

    def stop(self) -> None:
        import signal

        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        except ProcessLookupError:
            pass


def load() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def cpu_ticks() -> list[int] | None:
    """The first line of /proc/stat: user, nice, system, idle, iowait, irq, softirq, steal ticks."""
    try:
        return [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return None


def cpu_shares(before: list[int] | None, after: list[int] | None, own_s: float | None = None) -> dict | None:
    """How the machine's CPU time was spent during a run: this benchmark's children run at nice 0
    ('user'), other people's niced work shows up as 'nice'; 'others' is every busy tick that was
    not the run's own (niced or not)."""
    if not before or not after:
        return None
    delta = [b - a for a, b in zip(before, after)]
    total = sum(delta) or 1
    shares = {"user": round(delta[0] / total, 3), "nice": round(delta[1] / total, 3),
              "system": round(delta[2] / total, 3), "idle": round((delta[3] + delta[4]) / total, 3)}
    if own_s is not None:
        busy = total - delta[3] - delta[4]
        shares["others"] = round(max(0.0, busy - own_s * CLOCK_TICKS) / total, 3)
    return shares


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


class SessionSampler:
    """CPU seconds and memory of every process in one session (the child and all it starts: uv,
    Python, the JVM, Python workers), read from /proc every few tenths of a second. CPU time is
    the steadier figure on a shared machine: other work stretches wall time but hardly the CPU
    seconds a run needs. A process's last ticks before it exits may be missed (at most one
    interval each), so the CPU figures are slight underestimates."""

    def __init__(self, session: int):
        self.session, self.ticks, self.peak_rss = session, {}, 0

    def sample(self) -> None:
        rss = 0
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as stat:
                    fields = stat.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue  # exited meanwhile
            if int(fields[3]) != self.session:
                continue
            pid = int(entry.name)
            self.ticks[pid] = max(self.ticks.get(pid, 0), int(fields[11]) + int(fields[12]))
            rss += int(fields[21]) * PAGE_BYTES
        self.peak_rss = max(self.peak_rss, rss)

    def cpu_s(self) -> float:
        return round(sum(self.ticks.values()) / CLOCK_TICKS, 2)


def run_child(argv: list[str], cwd: Path, timeout: float, interval: float = 0.2) -> dict:
    """Wall time of one child process (in a session of its own), the CPU seconds and peak memory of
    everything it started, its stdout as JSON, and the load average and CPU shares around it."""
    before, ticks = load(), cpu_ticks()
    started = time.perf_counter()
    child = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
    sampler = SessionSampler(child.pid)
    stdout = stderr = ""
    while True:
        sampler.sample()
        try:
            stdout, stderr = child.communicate(timeout=interval)
            break
        except subprocess.TimeoutExpired:
            if time.perf_counter() - started > timeout:
                os.killpg(child.pid, 9)  # the group this run created, by its id
                child.communicate()
                return {"ok": False, "error": f"timed out after {timeout:.0f} s", "wall_s": timeout,
                        "load_before": before, "load_after": load(), "cpu": cpu_shares(ticks, cpu_ticks())}
    wall = time.perf_counter() - started
    sampler.sample()
    result = {"ok": child.returncode == 0, "wall_s": round(wall, 3), "cpu_s": sampler.cpu_s(),
              "peak_rss_mib": round(sampler.peak_rss / 2**20), "load_before": before, "load_after": load(),
              "cpu": cpu_shares(ticks, cpu_ticks(), sampler.cpu_s())}
    if child.returncode != 0:
        result["error"] = f"exit {child.returncode}: " + stderr[-1500:]
        return result
    try:
        result["summary"] = json.loads(stdout)
    except json.JSONDecodeError:
        result["ok"], result["error"] = False, "stdout is not JSON: " + stdout[-500:]
    return result


def table_rows(summary: dict) -> dict[str, int]:
    return {name: int(info["rows"]) for name, info in summary["tables"].items()}


def compare_counts(industry: str, tier1: dict[str, int], spark: dict[str, int]) -> list[str]:
    """Differences between the two sides' per-table counts beyond what DRAWN allows."""
    problems = []
    if set(tier1) != set(spark):
        problems.append(f"tables differ: Tier 1 {sorted(tier1)}, Spark {sorted(spark)}")
    for table in sorted(set(tier1) & set(spark)):
        a, b = tier1[table], spark[table]
        allowed = DRAWN.get((industry, table))
        limit = max(allowed * max(a, b), 5 * max(a, b) ** 0.5) if allowed is not None else 0
        if abs(a - b) > limit:
            problems.append(f"{table}: Tier 1 {a:,} rows, Spark {b:,}")
    return problems


def planned(industry: str, rows: int, workdir: Path) -> dict:
    """Both sides' --dry-run plans for this size (no Spark started)."""
    plans = {}
    for side in ("tier1", "spark"):
        out = workdir / f"plan_{side}"
        argv = command(side, industry, rows, out, ("--dry-run",))
        done = subprocess.run(argv, cwd=workdir, capture_output=True, text=True, timeout=300, check=False)
        if done.returncode != 0:
            raise SystemExit(f"error: {side} {industry} --dry-run failed: {done.stderr[-1000:]}")
        plans[side] = table_rows(json.loads(done.stdout))
    return plans


def environment_versions(workdir: Path) -> dict:
    """uv, Java and the Spark environment's versions; warms the Spark environment up (online once)."""
    info = {"cpus": os.cpu_count(), "platform": platform.platform(), "uv": None, "java": None}
    try:
        info["uv"] = subprocess.run(["uv", "--version"], capture_output=True, text=True, check=False).stdout.strip()
        java = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False)
        info["java"] = (java.stderr or java.stdout).splitlines()[0]
    except (OSError, IndexError):
        pass
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_gib"] = round(int(line.split()[1]) / 1024**2, 1)
                break
    except OSError:
        pass
    started = time.perf_counter()
    code = "import sys, pyspark, dbldatagen, mimesis; print(sys.version.split()[0], pyspark.__version__, " \
           "dbldatagen.__version__, mimesis.__version__)"
    done = subprocess.run(["uv", "run", *SPARK_WITH, "python", "-c", code], cwd=workdir, capture_output=True,
                          text=True, timeout=900, check=False)
    if done.returncode != 0:
        raise SystemExit(f"error: the local Spark environment did not resolve: {done.stderr[-1500:]}")
    python, pyspark, dbldatagen, mimesis = done.stdout.split()
    info["spark_env"] = {"python": python, "pyspark": pyspark, "dbldatagen": dbldatagen, "mimesis": mimesis,
                         "resolve_online_s": round(time.perf_counter() - started, 2)}
    started = time.perf_counter()
    subprocess.run(["uv", "run", "--offline", *SPARK_WITH, "python", "-c", "pass"], cwd=workdir, check=True,
                   capture_output=True, timeout=300)
    info["spark_env"]["uv_offline_overhead_s"] = round(time.perf_counter() - started, 2)
    return info


def warm_up(industries: list[str], upload: bool, workdir: Path) -> None:
    """Resolve the Tier 1 scripts' environments online once, so the timed runs can be --offline."""
    for industry in industries:
        script = scripts(industry)["tier1"]
        extras = [[], ["--with", "pyspark[connect]>=4.0,<4.1"]] if upload else [[]]
        for extra in extras:
            done = subprocess.run(["uv", "run", "--quiet", *extra, str(script), "--help"], cwd=workdir,
                                  capture_output=True, text=True, timeout=900, check=False)
            if done.returncode != 0:
                raise SystemExit(f"error: could not prepare {script.name}'s environment: {done.stderr[-1500:]}")


def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def others_of(run: dict, cpus: int) -> float | None:
    """Share of the machine's CPU time that other work took during a run (reports written before
    'others' was recorded: busy share minus the run's own CPU over cpus x wall)."""
    shares = run.get("cpu") or {}
    if shares.get("others") is not None:
        return shares["others"]
    if "idle" not in shares or run.get("cpu_s") is None:
        return None
    return round(max(0.0, 1 - shares["idle"] - run["cpu_s"] / (cpus * run["wall_s"])), 3)


def summarise(runs: list[dict], industries: list[str], sizes: list[int], tiny: int, cpus: int | None = None) -> dict:
    """Per (industry, size, side): the best wall time over the rounds (and the median), the median
    CPU seconds; rates, ratios, fixed and marginal costs from those."""
    cpus = cpus or os.cpu_count() or 1
    results = {}
    for industry in industries:
        by_size = {}
        for rows in [tiny, *sizes]:
            cell = {}
            for side in ("tier1", "spark", "upload"):
                ok = [r for r in runs if (r["industry"], r["rows"], r["side"]) == (industry, rows, side) and r["ok"]]
                if not ok:
                    cell[side] = None
                    continue
                # Other people's work only ever adds wall time, so the best round is the one nearest
                # to this machine unshared: wall, table times and load come from that run; CPU
                # seconds hardly depend on sharing (median over the rounds).
                best = min(ok, key=lambda r: r["wall_s"])
                wall, total = best["wall_s"], best["total_rows"]
                cell[side] = {"wall_s": wall, "median_wall_s": median([r["wall_s"] for r in ok]), "rows": total,
                              "rows_per_s": round(total / wall) if wall else None, "tables_s": best["tables_s"],
                              "outside_tables_s": round(wall - best["tables_s"], 3), "tables": best["tables"],
                              "rounds": len(ok), "load_1min": [best["load_before"][0], best["load_after"][0]],
                              "niced_cpu_share": (best["cpu"] or {}).get("nice"),
                              "others_cpu_share": others_of(best, cpus),
                              "cpu_s": median([r["cpu_s"] for r in ok if "cpu_s" in r]),
                              "peak_rss_mib": max((r.get("peak_rss_mib", 0) for r in ok), default=None)}
                for key in ("arrow_bytes", "messages"):
                    if key in ok[0]:
                        cell[side][key] = ok[0][key]
            if cell["tier1"] and cell["upload"]:
                cell["upload"]["upload_s"] = round(cell["upload"]["wall_s"] - cell["tier1"]["wall_s"], 3)
            if cell["tier1"] and cell["spark"]:
                cell["spark_over_tier1"] = round(cell["spark"]["wall_s"] / cell["tier1"]["wall_s"], 1)
                if cell["tier1"]["cpu_s"] and cell["spark"]["cpu_s"]:
                    cell["spark_over_tier1_cpu"] = round(cell["spark"]["cpu_s"] / cell["tier1"]["cpu_s"], 1)
            by_size[rows] = cell
        fixed, marginal, fixed_cpu, marginal_cpu = {}, {}, {}, {}
        measured = [rows for rows in sizes if all(by_size[rows].get(s) for s in ("tier1", "spark"))]
        for side in ("tier1", "spark"):
            small = by_size[tiny].get(side)
            fixed[side], fixed_cpu[side] = (small["wall_s"], small["cpu_s"]) if small else (None, None)
            points = [by_size[rows][side] for rows in measured[-2:]]
            if len(points) < 2 and small:
                points = [small, *points]
            marginal[side] = marginal_cpu[side] = None
            if len(points) == 2 and points[1]["rows"] > points[0]["rows"]:
                added = points[1]["rows"] - points[0]["rows"]
                marginal[side] = round((points[1]["wall_s"] - points[0]["wall_s"]) / added * 1e6, 3)
                if points[0]["cpu_s"] is not None and points[1]["cpu_s"] is not None:
                    marginal_cpu[side] = round((points[1]["cpu_s"] - points[0]["cpu_s"]) / added * 1e6, 3)
        crossover = None
        if all(marginal.values()) and all(fixed.values()):
            if min(marginal.values()) <= 0:
                crossover = "not measurable: a marginal cost came out at or below zero (noise; use larger sizes)"
            elif marginal["spark"] < marginal["tier1"]:
                crossover = round((fixed["spark"] - fixed["tier1"]) / (marginal["tier1"] - marginal["spark"]) * 1e6)
            else:
                crossover = "none: Spark's marginal cost per row is not lower"
        results[industry] = {"main_table": CHILDREN[industry]["main"], "children": CHILDREN[industry]["ratios"],
                             "sizes": {str(k): v for k, v in by_size.items()}, "fixed_s": fixed,
                             "marginal_s_per_million_rows": marginal, "fixed_cpu_s": fixed_cpu,
                             "marginal_cpu_s_per_million_rows": marginal_cpu, "spark_overtakes_at_total_rows": crossover}
    return results


def human(rows: int) -> str:
    if rows >= 1_000_000:
        return f"{rows / 1e6:.1f}M".replace(".0M", "M")
    if rows >= 1_000:
        return f"{rows / 1e3:.0f}K"
    return str(rows)


def markdown(report: dict) -> str:
    lines = [("| industry | main rows | rows written (all tables) | Tier 1 wall | CPU | rows/s | Spark local[2] wall "
              "| CPU | rows/s | Spark / Tier 1 wall | CPU | best Spark run: 1-min load, others' CPU share |"),
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]

    rounds = report.get("rounds", 1)
    lines.insert(0, (f"Wall times are the best of {rounds} rounds, CPU seconds the median; " if rounds > 1 else
                     "One round; ") + "CPU counts every process of the run (uv, Python, JVM, workers).\n")

    def others_share(side):
        if side.get("others_cpu_share") is not None:
            return f"{side['others_cpu_share']:.0%}"
        return f"≥{side['niced_cpu_share'] or 0:.0%} niced"

    def side_cells(side):
        if not side:
            return "failed | – | – | "
        cpu = f"{side['cpu_s']:.1f} s" if side.get("cpu_s") is not None else "–"
        return f"{side['wall_s']:.1f} s | {cpu} | {side['rows_per_s']:,} | "

    for industry, result in report["results"].items():
        for rows, cell in result["sizes"].items():
            if int(rows) == report["tiny_rows"]:
                continue
            t, s = cell.get("tier1"), cell.get("spark")
            total = (t or s or {}).get("rows")
            lines.append(f"| {industry} | {human(int(rows))} | {f'{total:,}' if total else '–'} | " + side_cells(t)
                         + side_cells(s)
                         + (f"**{cell['spark_over_tier1']}×** | " if "spark_over_tier1" in cell else "– | ")
                         + (f"{cell['spark_over_tier1_cpu']}× | " if "spark_over_tier1_cpu" in cell else "– | ")
                         + (f"{s['load_1min'][0]}→{s['load_1min'][1]}, {others_share(s)} |" if s else "– |"))
    lines += ["", (f"| industry | fixed cost (--rows {report['tiny_rows']}), wall: Tier 1 | Spark | Spark CPU | "
                   "Spark outside tables (JVM, session, plan) | per 1M rows written, wall: Tier 1 | Spark | CPU: Tier 1 | "
                   "Spark | Spark overtakes at (wall) |"),
              "|---|---|---|---|---|---|---|---|---|---|"]
    for industry, result in report["results"].items():
        fixed, marginal = result["fixed_s"], result["marginal_s_per_million_rows"]
        tiny = result["sizes"][str(report["tiny_rows"])].get("spark") or {}
        crossover = result["spark_overtakes_at_total_rows"]
        crossover = f"{crossover:,} rows" if isinstance(crossover, int) else (crossover or "–").split(":")[0]

        def seconds(value):
            return f"{value:.2f} s" if isinstance(value, (int, float)) else "–"

        cpu = result["marginal_cpu_s_per_million_rows"]
        lines.append(f"| {industry} | {seconds(fixed['tier1'])} | {seconds(fixed['spark'])} | "
                     f"{seconds(result['fixed_cpu_s']['spark'])} | {seconds(tiny.get('outside_tables_s'))} | "
                     f"{seconds(marginal['tier1'])} | {seconds(marginal['spark'])} | {seconds(cpu['tier1'])} | "
                     f"{seconds(cpu['spark'])} | {crossover} |")
    uploads = [(industry, rows, cell) for industry, result in report["results"].items()
               for rows, cell in result["sizes"].items() if cell.get("upload") and cell.get("tier1")]
    if uploads:
        lines += ["", ("| industry | main rows | rows | Arrow data sent | messages | Tier 1 files only | Tier 1 + upload to "
                       "local Connect (loopback) | upload part | upload rows/s |"),
                  "|---|---|---|---|---|---|---|---|---|"]
        for industry, rows, cell in uploads:
            t, u = cell["tier1"], cell["upload"]
            rate = f"{round(t['rows'] / u['upload_s']):,}" if u["upload_s"] > 0 else "–"
            lines.append(f"| {industry} | {human(int(rows))} | {t['rows']:,} | {t.get('arrow_bytes', 0) / 2**20:.0f} MiB | "
                         f"{u.get('messages', '–')} | {t['wall_s']:.1f} s | {u['wall_s']:.1f} s | {u['upload_s']:.1f} s | "
                         f"{rate} |")
    probe = report.get("spark_probe") or {}
    if probe:
        lines += ["", "Bare local Spark (no generator): process wall {wall:.1f} s = session start {session:.1f} s, "
                  "first job {first:.1f} s (second job {second:.2f} s), import, stop and JVM exit.".format(
                      wall=probe["wall_s"], session=probe["session_s"], first=probe["first_job_s"],
                      second=probe["second_job_s"])]
    return "\n".join(lines)


def run_rounds(args: argparse.Namespace, sizes: list[int], workdir: Path, upload: bool, runs: list[dict],
               probes: list[dict]) -> None:
    """Timed runs. Without upload: per round a bare Spark probe, then per industry and size Tier 1
    and Spark (alternating which goes first). With it: Tier 1 + the bridge only, each into a fresh
    local Connect server (a second pass, so no server JVM is even idle during the first)."""
    for round_number in range(1, args.rounds + 1):
        probe = {"ok": False} if upload or args.upload_only else run_child(
            ["uv", "run", "--offline", *SPARK_WITH, "python", "-c", SPARK_PROBE], workdir, args.timeout)
        if probe["ok"]:
            probes.append({**probe.pop("summary"), **probe})
            print(f"round {round_number}: bare Spark session + first job {probes[-1]['wall_s']:.1f} s wall "
                  f"(load {probe['load_before'][0]} -> {probe['load_after'][0]})", file=sys.stderr)
        for industry in args.industries:
            for rows in [args.tiny, *sizes]:
                # Alternate which side goes first, so neither always runs on a warmer machine.
                order = ("tier1", "spark") if round_number % 2 else ("spark", "tier1")
                if args.upload_only:
                    order = ("tier1",)
                if upload:
                    order = ("upload",)
                pair = {}
                for side in order:
                    out = workdir / f"{side}_{industry}_{rows}_r{round_number}"
                    if side == "upload":
                        server = ConnectServer(workdir / f"server_{industry}_{rows}_r{round_number}")
                        try:
                            extra = ("--catalog", "spark_catalog", "--schema", "bench", "--remote", server.start(),
                                     "--table-format", "parquet")
                            run = run_child(command(side, industry, rows, out, extra), workdir, args.timeout)
                        finally:
                            server.stop()
                            shutil.rmtree(server.workdir, ignore_errors=True)
                    else:
                        run = run_child(command(side, industry, rows, out), workdir, args.timeout)
                    run.update({"industry": industry, "rows": rows, "side": side, "round": round_number})
                    if run["ok"]:
                        summary = run.pop("summary")
                        run["tables"] = table_rows(summary)
                        run["total_rows"] = sum(run["tables"].values())
                        run["tables_s"] = round(sum(float(t.get("seconds", 0)) for t in summary["tables"].values()), 3)
                        run["bytes"] = sum(int(t.get("bytes") or 0) for t in summary["tables"].values())
                        if side == "tier1":
                            run.update(arrow_profile(out, run["tables"]))
                        if side == "upload":
                            sent = summary.get("unity_catalog", {}).get("tables", {})
                            run["messages"] = sum(t.get("messages", 0) for t in sent.values())
                            run["uploaded_rows"] = sum(t.get("rows", 0) for t in sent.values())
                        pair[side] = run
                        print(f"round {round_number}: {industry:13} {side:6} --rows {rows:>9,}: "
                              f"{run['total_rows']:>11,} rows in {run['wall_s']:7.1f} s, CPU {run['cpu_s']:6.1f} s "
                              f"(load {run['load_before'][0]} -> {run['load_after'][0]}, "
                              f"others {(run['cpu'] or {}).get('others', 0):.0%} of CPU)", file=sys.stderr)
                    else:
                        print(f"round {round_number}: {industry} {side} --rows {rows:,} FAILED: "
                              f"{run['error'][-600:]}", file=sys.stderr)
                    runs.append(run)
                    shutil.rmtree(out, ignore_errors=True)
                if "tier1" in pair and "spark" in pair:
                    problems = compare_counts(industry, pair["tier1"]["tables"], pair["spark"]["tables"])
                    for run in pair.values():
                        run["count_problems"] = problems
                    if problems:
                        print("  warning: written counts differ: " + "; ".join(problems), file=sys.stderr)


PROBE_KEYS = ("wall_s", "import_s", "session_s", "first_job_s", "second_job_s", "stop_s", "in_process_s")


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Wall time of the Spark generators on local[2] against the Tier 1 generators, same tables and "
                    "row counts, parquet; JSON report on stdout, markdown tables on stderr.")
    parser.add_argument("--industries", nargs="+", choices=INDUSTRIES, default=INDUSTRIES, metavar="INDUSTRY",
                        help=f"industries to run (default all: {' '.join(INDUSTRIES)})")
    parser.add_argument("--sizes", type=size_list, default=[100_000, 1_000_000], metavar="N,N",
                        help="main-table rows, comma-separated (default 100000,1000000)")
    parser.add_argument("--skip-1m", action="store_true", help="leave out sizes of 1,000,000 main rows or more")
    parser.add_argument("--rounds", type=positive_int, default=1, help="rounds; medians are reported (default 1)")
    parser.add_argument("--tiny", type=positive_int, default=100,
                        help="main rows of the fixed-cost run (default 100; children by the same ratios)")
    parser.add_argument("--timeout", type=positive_int, default=1200, help="seconds before a run is abandoned "
                        "(default 1200)")
    parser.add_argument("--upload", action="store_true",
                        help="also time Tier 1 + the Unity Catalog bridge into a local Spark Connect server (loopback: "
                             "no network, so a lower bound for a workspace)")
    parser.add_argument("--upload-only", action="store_true",
                        help="only Tier 1 and the --upload runs (no Spark generator runs)")
    parser.add_argument("--from-json", type=Path, metavar="FILE",
                        help="recompute the summary and tables from a saved report's runs; run nothing")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the JSON report here")
    parser.add_argument("--markdown", type=Path, metavar="FILE", help="also write the markdown tables here")
    args = parser.parse_args(argv)

    if args.from_json:
        try:
            report = json.loads(args.from_json.read_text())
        except (OSError, json.JSONDecodeError) as error:
            parser.error(f"--from-json: {error}")
        industries = list(dict.fromkeys(run["industry"] for run in report["runs"]))
        report["results"] = summarise(report["runs"], industries, report["sizes"], report["tiny_rows"],
                                      report.get("machine", {}).get("cpus"))
        probes = report.get("spark_probe", {}).get("runs", [])
        if probes:
            report["spark_probe"] = {**{key: min(probes, key=lambda p: p["wall_s"])[key] for key in PROBE_KEYS},
                                     "runs": probes}
        publish(report, args)
        return
    sizes = sorted({size for size in args.sizes if not (args.skip_1m and size >= 1_000_000)})
    if not sizes:
        parser.error("no size left to run (every --sizes value is at least 1M and --skip-1m is given)")
    if args.tiny in sizes:
        parser.error(f"--tiny {args.tiny} is also in --sizes; pick a smaller --tiny")
    if shutil.which("uv") is None:
        raise SystemExit("error: uv is not on PATH (https://docs.astral.sh/uv/)")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise SystemExit("error: Java 17 is needed for local Spark (set JAVA_HOME or put java on PATH)")

    report = {"started": datetime.now(UTC).isoformat(timespec="seconds"), "uptime_before": load(),
              "rounds": args.rounds, "sizes": sizes, "tiny_rows": args.tiny}
    with tempfile.TemporaryDirectory(prefix="spark_vs_tier1_") as scratch:
        workdir = Path(scratch)
        print("resolving the local Spark environment (online, once) ...", file=sys.stderr)
        report["machine"] = environment_versions(workdir)
        warm_up(args.industries, args.upload or args.upload_only, workdir)

        print("checking planned row counts on both sides (--dry-run) ...", file=sys.stderr)
        report["plans"] = {}
        for industry in args.industries:
            for rows in [args.tiny, *sizes]:
                plans = planned(industry, rows, workdir)
                problems = compare_counts(industry, plans["tier1"], plans["spark"])
                report["plans"][f"{industry}/{rows}"] = {**plans, "problems": problems}
                if problems:
                    print(f"  warning: {industry} --rows {rows}: " + "; ".join(problems), file=sys.stderr)

        runs, probes = [], []
        run_rounds(args, sizes, workdir, False, runs, probes)
        if args.upload or args.upload_only:
            print("upload runs, each into a fresh local Spark Connect server ...", file=sys.stderr)
            run_rounds(args, sizes, workdir, True, runs, probes)

    report["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    report["uptime_after"] = load()
    if probes:
        report["spark_probe"] = {**{key: min(probes, key=lambda p: p["wall_s"])[key] for key in PROBE_KEYS},
                                 "runs": probes}
    report["results"] = summarise(runs, args.industries, sizes, args.tiny)
    report["runs"] = runs
    publish(report, args)


def publish(report: dict, args: argparse.Namespace) -> None:
    """JSON on stdout (and --json), markdown on stderr (and --markdown); exit 1 if a run failed."""
    runs = report["runs"]
    text = json.dumps(report, indent=2)
    table = markdown(report)
    if args.json:
        write_atomically(args.json, text + "\n")
    if args.markdown:
        write_atomically(args.markdown, table + "\n")
    print(text)
    print("\n" + table, file=sys.stderr)
    failed = [r for r in runs if not r["ok"]]
    if failed:
        print(f"\n{len(failed)} run(s) failed; see 'runs' in the JSON report", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
