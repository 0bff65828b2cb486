# /// script
# requires-python = ">=3.11"
# dependencies = [
#   "polars>=2.1,<2.2",
#   "numpy>=2.2,<2.5",
#   "mimesis>=22.2,<23",
#   "pyarrow>=17",
#   "deltalake>=1.1,<2",
# ]
# ///
"""Tier 1 speed, measured as ratios on this machine.

Three ways to write the same 12-column retail customers table, each timed inside its own
process step (generation + one zstd parquet file), interleaved round by round:

- per-row:  the specification's pattern: one Mimesis call per value, random.choices,
            random.gammavariate, a Python list per column;
- project:  scripts/generators/polars/retail.py's own customers table (pools + NumPy + Polars);
- floor:    no realism at all: random digits of the same lengths and cardinalities, written the
            same way (write_table in 1M-row chunks), the fastest this table can be written.

Then the full retail set at --rows 1,000,000 (42M rows over six tables) as a separate process:
wall time, rows and peak memory (max RSS of the child).

    uv run benchmarks/tier1_bench.py                 # 1M rows, 3 rounds (about 3 minutes)
    uv run benchmarks/tier1_bench.py --rows 200000 --rounds 1 --skip-full   # a quick look

Targets (issue 2): project >= 20x per-row; project within 1.25x of the floor; full retail at
1M customers under 60 s and under 2 GiB. Results go in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from functools import partial
from pathlib import Path

import numpy as np
import polars as pl

REPO = Path(__file__).resolve().parents[1]
RETAIL = REPO / "scripts" / "generators" / "polars" / "retail.py"


def load_retail():
    spec = importlib.util.spec_from_file_location("retail_generator", RETAIL)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def per_row_customers(rows: int, path: Path) -> None:
    """The specification's pattern, with the same 12 columns as the project's table."""
    from mimesis import Address, Locale, Person

    random.seed(42)
    person = Person(Locale.EN, seed=42)
    address = Address(Locale.EN, seed=42)
    frame = pl.DataFrame({
        "customer_id": list(range(1_000_000, 1_000_000 + rows)),
        "first_name": [person.first_name() for _ in range(rows)],
        "last_name": [person.last_name() for _ in range(rows)],
        "email": [person.email() for _ in range(rows)],
        "phone": [person.telephone() for _ in range(rows)],
        "street_address": [address.address() for _ in range(rows)],
        "city": [address.city() for _ in range(rows)],
        "state": [address.state(abbr=True) for _ in range(rows)],
        "postal_code": [address.postal_code() for _ in range(rows)],
        "loyalty_tier": random.choices(["Bronze", "Silver", "Gold", "Platinum"], weights=[50, 30, 15, 5], k=rows),
        "signup_date": [date(2020, 1, 1) + timedelta(days=random.randint(0, 1826)) for _ in range(rows)],
        "lifetime_value": [round(random.gammavariate(2.0, 250.0), 2) for _ in range(rows)],
    })
    frame.write_parquet(path, compression="zstd")


def project_customers(retail, rows: int, directory: Path) -> None:
    """The retail generator's customers table, exactly as its main() writes it."""
    # One transaction: the plan's basket sizes for 10 x rows transactions belong to the
    # line_items table, not to customers, which depend only on the seed and the window.
    plan = retail.make_plan(42, rows, None, None, 1, retail.DEFAULT_LINES_PER_TRANSACTION)
    plan.pools = retail.build_pools("en", 42)
    retail.write_table(directory, "customers", "parquet", retail.table_chunks("customers", plan),
                       retail.SCHEMAS["customers"])


def floor_customers(retail, rows: int, directory: Path) -> None:
    """No realism: random digits with the project's lengths and cardinalities."""
    schema = retail.SCHEMAS["customers"]

    def digits(rng, n, width):
        return pl.Series(rng.integers(10 ** (width - 1), 10**width, n)).cast(pl.String)

    def make(start: int, n: int) -> pl.DataFrame:
        rng = np.random.default_rng([7, start])
        first_pool, last_pool = digits(rng, 3_500, 6), digits(rng, 3_000, 7)
        street_pool, place_pool = digits(rng, 8_000, 18), digits(rng, 305, 9)
        first = first_pool.gather(rng.integers(0, first_pool.len(), n))
        last = last_pool.gather(rng.integers(0, last_pool.len(), n))
        place = rng.integers(0, place_pool.len(), n)
        ids = np.arange(start, start + n, dtype=np.int64) + 1_000_000
        return pl.DataFrame({
            "customer_id": ids,
            "first_name": first,
            "last_name": last,
            "name": first + " " + last,
            "email": first + "." + last + pl.Series(ids).cast(pl.String) + "@example.com",
            "phone": digits(rng, n, 14),
            "street_address": street_pool.gather(rng.integers(0, street_pool.len(), n)),
            "city": place_pool.gather(place),
            "state": place_pool.gather(place).str.slice(0, 2),
            "postal_code": digits(rng, n, 5),
            "region": place_pool.gather(place).str.slice(0, 5),
            "loyalty_tier": digits(rng, 4, 6).gather(rng.integers(0, 4, n)),
            "signup_date": pl.Series(rng.integers(18262, 20089, n).astype(np.int32)).cast(pl.Date),
            "lifetime_value": pl.Series(rng.integers(0, 10**6, n)).cast(pl.Decimal(12, 2)) / 100,
        }).cast(schema)

    chunks = [partial(make, start, n) for start, n in retail.chunk_bounds(rows)]
    retail.write_table(directory, "customers_floor", "parquet", chunks, schema)


def timed(action) -> tuple[float, float]:
    """Wall seconds and CPU seconds (all threads of this process) of one action. CPU time is the
    steadier figure on a shared machine: other processes' load stretches wall time, not work."""
    started, cpu_started = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - started, time.process_time() - cpu_started


def full_retail(rows: int, directory: Path) -> dict:
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, str(RETAIL), "--rows", str(rows), "--output", str(directory)],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    stdout, _ = child.communicate()
    wall = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"retail.py failed with exit code {child.returncode}")
    summary = json.loads(stdout)
    return {"wall_s": wall, "rows": sum(t["rows"] for t in summary["tables"].values())}


def peak_rss_mib_of_children() -> float:
    """Largest resident set of any finished child process: here, only the full retail run."""
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description="Tier 1 speed as ratios: per-row pattern, project, no-realism floor.")
    parser.add_argument("--rows", type=int, default=1_000_000, help="customers rows for the three-way comparison")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians are reported)")
    parser.add_argument("--full-rows", type=int, default=1_000_000, help="--rows of the full retail run")
    parser.add_argument("--skip-full", action="store_true", help="skip the full retail run")
    args = parser.parse_args()

    retail = load_retail()
    times = {"per-row": [], "project": [], "floor": []}
    cpu_times = {name: [] for name in times}
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for round_number in range(1, args.rounds + 1):
            actions = {
                "per-row": lambda: per_row_customers(args.rows, folder / "per_row.parquet"),
                "project": lambda: project_customers(retail, args.rows, folder),
                "floor": lambda: floor_customers(retail, args.rows, folder),
            }
            for name, action in actions.items():
                wall, cpu = timed(action)
                times[name].append(wall)
                cpu_times[name].append(cpu)
            print(f"round {round_number}: " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in times.items()), file=sys.stderr)
        full = None
        if not args.skip_full:
            full = full_retail(args.full_rows, folder / "full")
            full["peak_rss_mib"] = peak_rss_mib_of_children()

    median = {name: statistics.median(values) for name, values in times.items()}
    median_cpu = {name: statistics.median(values) for name, values in cpu_times.items()}
    rate = {name: args.rows / seconds for name, seconds in median.items()}
    report = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "polars": pl.__version__, "numpy": np.__version__},
        "customers_rows": args.rows,
        "rounds": args.rounds,
        "median_seconds": {k: round(v, 3) for k, v in median.items()},
        "rows_per_second": {k: round(v) for k, v in rate.items()},
        "project_vs_per_row": round(rate["project"] / rate["per-row"], 1),
        "project_vs_floor_time": round(median["project"] / median["floor"], 2),
        "median_cpu_seconds": {k: round(v, 3) for k, v in median_cpu.items()},
        "project_vs_per_row_cpu": round(median_cpu["per-row"] / median_cpu["project"], 1),
        "project_vs_floor_cpu": round(median_cpu["project"] / median_cpu["floor"], 2),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "full_retail": full and {**full, "wall_s": round(full["wall_s"], 1), "peak_rss_mib": round(full["peak_rss_mib"])},
    }
    print(json.dumps(report, indent=2))
    print(f"\nproject is {report['project_vs_per_row']}x the per-row pattern (target >= 20x); "
          f"{report['project_vs_floor_time']}x the no-realism floor's time (target <= 1.25x); "
          f"in CPU seconds {report['project_vs_per_row_cpu']}x and {report['project_vs_floor_cpu']}x", file=sys.stderr)
    if full:
        print(f"full retail --rows {args.full_rows:,}: {full['rows']:,} rows in {full['wall_s']:.1f}s, "
              f"peak {full['peak_rss_mib']:.0f} MiB (targets < 60 s, < 2048 MiB)", file=sys.stderr)


if __name__ == "__main__":
    main()
