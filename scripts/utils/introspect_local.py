# /// script
# requires-python = ">=3.11"
# dependencies = [
#   "polars>=2.1,<2.2",
#   "numpy>=2.4,<2.5",
#   "pyarrow>=17",
#   "deltalake>=1.1,<2",
#   "jsonschema>=4.18,<5",
# ]
# ///
"""Profile a local table file into a contract, and generate look-alike rows from a contract.

    uv run scripts/utils/introspect_local.py orders.parquet --contract contracts/custom_orders.json
    uv run scripts/utils/introspect_local.py orders.csv --generate 100000 --output out/orders --seed 7
    uv run scripts/utils/introspect_local.py --from-contract contracts/custom_orders.json \\
        --generate 1000000 --output out/orders --format delta
    uv run scripts/utils/validate.py out/orders --schemas out/orders/_contracts

Reads parquet, CSV, JSON Lines (``.json``/``.jsonl``/``.ndjson``), a Delta folder (with
``_delta_log``) or a folder of Spark part files, with Polars; no Spark, no workspace.

Profile → contract (the ``assets/schemas`` format, checked against ``_contract.schema.json``
before it is written), per column:

- type as a Spark SQL name (Int64 → bigint, Decimal(12,2) → decimal(12,2), UTC Datetime →
  timestamp, naive → timestamp_ntz, List(Float64) → array<double> …); CSV and JSON text is typed
  by its look (integers without leading zeros, fixed-scale decimals, ISO dates, timestamps with
  an offset → timestamp, without → timestamp_ntz, true/false); ``--as-string`` keeps columns text.
- ``nullable`` and ``null_rate``.
- categories (at most ``--max-categories`` distinct values, each seen on average at least 5
  times; booleans always) → ``values`` + ``weights`` (shares).
- numbers, dates, timestamps → ``min``/``max`` and ``distribution: {name: empirical,
  quantiles: [101 points, 0%..100%], mean, stddev}`` (dates/timestamps as ISO strings, with the
  time resolution seen).
- other strings → their shape: each value split into runs of digits, upper/lower-case letters
  and punctuation; the commonest shapes (covering at least 95% of values, at most 12) keep, per
  run, the characters seen at each position (fixed-length runs), the length mix (variable runs)
  or the few values it takes (e.g. an email's domain). That becomes a ``pattern`` the validator
  checks (a ZIP → ``^[0-9]{5}$``) and ``distribution: {name: empirical, shapes: [...]}``.
- keys: unique integer or text columns named like identifiers (``id``, ``*_id``, ``*_key``,
  ``*_number``, ``email``, ``sku``, ``uuid`` …; not phones or postal codes), evenly spaced unique integers and
  ``PREFIX000123`` texts. The first non-null one, preferring ``*_id`` and integers, is the
  ``primary_key``, the others ``unique: true``; integer and ``PREFIX000123`` keys are stored as
  sequences (start, step). Other columns that are merely unique in the sample (names, phones)
  are not declared unique. With no key, a ``row_id`` bigint key is added (the summary says so).
Column names are snake-cased when they break the contract's ``^[a-z][a-z0-9_]*$`` (the
description names the source column).

Generate (``--generate ROWS --output DIR``) from the contract just written, or from any contract
with ``--from-contract`` (bundled ones too: values/weights, sequences, min/max, the named
distributions gamma/normal/lognormal/exponential/beta/poisson/uniform, and ``pattern`` regexes
are followed; foreign keys are dropped, a single table has no parent): NumPy + Polars,
vectorised, in chunks of 1M rows, seeded from ``(--seed, column, chunk)`` so the same seed gives
the same data. Categories by weight, numbers and dates by inverse-CDF interpolation of the
stored quantiles (the shape is kept, within min/max), keys as sequences, strings with the same
shapes, null rates kept. Writes ``DIR/<table>.<format>``, ``DIR/_contracts/`` (the contract and
the meta-schema, for ``validate.py DIR --schemas DIR/_contracts``) and ``DIR/_manifest.json``.

Each column is drawn on its own: relationships between columns (city ↔ state, a total equal
to its parts, one date after another) are not kept; adapt a bundled generator for those.

Privacy: the contract copies category values and frequent string pieces (an email domain, a
code prefix) from the data, plus quantiles of every number and date: review it before it leaves
the machine. No other string value is copied; generated strings are random in the same shape,
so a phone or ID shape can produce numbers that exist: replace PII columns with safe values
(example.com emails, 555-01XX phones).

stdout: a JSON summary (columns and how each is modelled, the key, files written).
Exit 2 with a message for unreadable input or bad options.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import re
import shutil
import sys
import time
import zlib
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path

import numpy as np
import polars as pl

SCRIPT = "scripts/utils/introspect_local.py"
META_SCHEMA_NAME = "_contract.schema.json"
# The bundled meta-schema, when this file runs from the skill's folder.
META_SCHEMA_PATH = Path(__file__).resolve().parents[2] / "assets" / "schemas" / META_SCHEMA_NAME
INPUT_FORMATS = {".parquet": "parquet", ".csv": "csv", ".json": "json", ".jsonl": "json", ".ndjson": "json"}

# Quantiles stored per numeric/date column: every percentile, so inverse-CDF interpolation keeps
# the shape to within about 1% of probability (the fidelity test measures KS < 0.1).
QUANTILE_POINTS = 101
# A column is categorical with at most this many distinct values, each seen on average at least
# MIN_ROWS_PER_CATEGORY times (otherwise the "categories" are a sample of a larger set).
MAX_CATEGORIES = 100
MIN_ROWS_PER_CATEGORY = 5
# String shapes: the commonest shapes covering SHAPE_COVERAGE of the values, at most MAX_SHAPES.
MAX_SHAPES = 12
SHAPE_COVERAGE = 0.95
# A run of a shape is stored as its values (an email domain, a code prefix) when it takes at most
# MAX_RUN_CHOICES values, each seen at least MIN_CHOICE_COUNT times (so no rare real value is copied).
MAX_RUN_CHOICES = 20
MIN_CHOICE_COUNT = 5
# Length mixes with more distinct lengths than this are stored as quantiles instead.
MAX_LENGTH_VALUES = 40
# Unbounded regex repeats (+, *, {n,}) draw at most this many extra repetitions.
REPEAT_EXTRA = 8
# Strings are built in batches of this many rows (a character matrix per run).
STRING_BATCH = 100_000
# Attempts to redraw duplicates of a unique string column before giving up.
UNIQUE_ROUNDS = 40
# Fixed window when a contract gives no bounds for a date or timestamp (never today's date).
DEFAULT_WINDOW = ("2024-01-01", "2024-12-31")
CONTRACT_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# Unique columns named like identifiers are candidate keys; other columns that happen to be
# unique in the sample (names, phones, addresses) are not declared unique.
KEY_NAME = re.compile(r"(^|_)(id|key|num|number|uuid|guid|email|sku|serial|username|login|handle)$|id$")
NOT_KEY_NAME = re.compile(r"phone|mobile|fax|zip|postal")
# Characters with a meaning in a regex outside / inside a character class (Python re and Rust
# regex alike); everything else is written as is (Rust refuses some needless escapes).
REGEX_META = set(r"\.+*?()|[]{}^$#&~")
CLASS_META = set("\\]-[^&~")
# Character classes of string runs, as written in a shape's run mask.
RUN_CLASSES = {"9": "[0-9]", "A": r"\p{Lu}", "a": r"\p{Ll}", "W": r"[\p{L}\p{N}&&[^\p{Lu}\p{Ll}0-9]]"}


class InputError(Exception):
    """The input cannot be read or used; the message says what to change."""


class GenerationError(Exception):
    """A contract cannot be generated as asked; the message says what to change."""

# --- copied verbatim from scripts/utils/local_output.py (tests keep it identical) ---
FORMATS = ("parquet", "csv", "json", "delta")
# One million rows per chunk: large enough for Polars to parallelise each column, small enough
# that a chunk of the widest table stays well under 1 GiB. Chunk size is part of the
# reproducibility contract: changing it changes the data a seed produces.
CHUNK_ROWS = 1_000_000


def table_path(directory: Path, table: str, fmt: str) -> Path:
    """Where a table lands: DIR/<table>.<fmt> for files, DIR/<table>/ for Delta."""
    return directory / table if fmt == "delta" else directory / f"{table}.{fmt}"


def chunk_bounds(rows: int, chunk_rows: int = CHUNK_ROWS) -> list[tuple[int, int]]:
    """(first row, row count) of each chunk; an empty table still gets one empty chunk."""
    return [(start, min(chunk_rows, rows - start)) for start in range(0, rows, chunk_rows)] or [(0, 0)]


def _path_bytes(path: Path) -> int:
    if path.is_dir():
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return path.stat().st_size


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


def write_table(
    directory: Path,
    table: str,
    fmt: str,
    chunks: Iterable[Callable[[], pl.DataFrame]],
    schema: dict[str, pl.DataType],
) -> dict:
    """Write one table from its chunks, atomically, and return its rows, file name and bytes.

    ``chunks`` are zero-argument functions, each returning the next slice of the table (build
    them with ``functools.partial(make_table, start, n)`` over ``chunk_bounds``). They are called
    lazily, in order, so only a chunk or two is in memory at a time; a chunk may hold any number
    of rows (line items per transaction chunk, say). ``schema`` is the table's Polars schema
    (the generator's copy of its contract); every chunk is checked against it.
    """
    final = table_path(directory, table, fmt)
    # The table is written inside a private staging folder next to its final place (same file
    # system, so the swap is a rename). Removing the folder on failure also defeats a writer
    # thread that is still flushing when the error arrives: it cannot recreate a file there.
    staging = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    _remove(staging)
    staging.mkdir()
    temporary = staging / final.name
    heights: list[int] = []

    failures: list[BaseException] = []

    def counted(make_chunk: Callable[[], pl.DataFrame]) -> pl.DataFrame:
        try:
            frame = make_chunk()
        except BaseException as error:  # remembered: deltalake re-raises it as a DeltaError
            failures.append(error)
            raise
        heights.append(frame.height)
        return frame

    try:
        if fmt == "delta":
            import pyarrow as pa
            from deltalake import write_deltalake

            arrow_schema = pl.DataFrame(schema=schema).to_arrow().schema
            batches = (
                batch
                for make_chunk in chunks
                for batch in counted(make_chunk).to_arrow().cast(arrow_schema).to_batches()
            )
            write_deltalake(temporary, pa.RecordBatchReader.from_batches(arrow_schema, batches))
        else:
            frame = pl.concat(
                [pl.defer(partial(counted, make_chunk), schema=schema) for make_chunk in chunks]
                or [pl.LazyFrame(schema=schema)]
            )
            if fmt == "parquet":
                frame.sink_parquet(temporary, compression="zstd")
            elif fmt == "csv":
                frame.sink_csv(temporary)
            elif fmt == "json":
                frame.sink_ndjson(temporary, check_extension=False)
            else:
                raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
        # Swap in: a file is replaced in one step; a Delta folder in two renames, the old one
        # moved aside first so that a failure between them leaves it recoverable, never mixed.
        if final.is_dir() and not final.is_symlink():
            aside = final.with_name(f".{final.name}.old-{os.getpid()}")
            _remove(aside)
            os.rename(final, aside)
            os.rename(temporary, final)
            _remove(aside)
        else:
            os.replace(temporary, final)
    except BaseException as error:
        _remove(staging)
        if failures and failures[0] is not error:
            raise failures[0] from error
        raise
    _remove(staging)
    return {"rows": sum(heights), "path": final.name, "bytes": _path_bytes(final)}


def write_manifest(directory: Path, manifest: dict) -> Path:
    """Write DIR/_manifest.json atomically; call it after every table is written."""

    def readable(value):
        # What json cannot write itself, as data another tool can read: dataclasses (a parsed
        # --campaign, say) as objects, dates as ISO 8601, anything else as its text.
        if hasattr(value, "__dataclass_fields__"):
            return {name: getattr(value, name) for name in value.__dataclass_fields__}
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return str(value)

    final = directory / "_manifest.json"
    temporary = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    temporary.write_text(json.dumps(manifest, indent=2, default=readable) + "\n")
    os.replace(temporary, final)
    return final


def library_versions() -> dict[str, str]:
    """Versions of the libraries whose upgrades can change the values a seed produces."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": sys.version.split()[0]}
    for package in ("polars", "numpy", "mimesis", "deltalake"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            pass
    return versions


def positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1 (underscores allowed: 1_000_000)."""
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def non_negative_int(text: str) -> int:
    """argparse type: a whole number of at least 0."""
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def parse_arguments(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line, or use the defaults when pasted into a notebook.

    A notebook kernel's own argv (``-f kernel.json``) is not ours to parse: in a Jupyter or
    Databricks notebook, call ``main(["--rows", "5000"])`` to pass options.
    """
    if argv is None and "ipykernel" in sys.modules:
        argv = []
    return parser.parse_args(argv)


def prepare_output_dir(parser: argparse.ArgumentParser, directory: Path) -> Path:
    """Create the output folder, or stop with a clear message when it cannot be used."""
    if directory.exists() and not directory.is_dir():
        parser.error(f"--output {directory} is a file, not a folder")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / f".write-test-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as error:
        parser.error(f"--output {directory} cannot be written: {error.strerror or error}")
    return directory


# --- copied verbatim from scripts/utils/validate.py (tests keep it identical) ---
INTEGER_TYPES = {"bigint": pl.Int64, "int": pl.Int32, "smallint": pl.Int16, "tinyint": pl.Int8}
FLOAT_TYPES = {"double": pl.Float64, "float": pl.Float32}
DECIMAL_TYPE = re.compile(r"^decimal\((\d+),(\d+)\)$")
ARRAY_TYPE = re.compile(r"^array<(.+)>$")


def polars_type(spark_type: str) -> pl.DataType:
    """The canonical Polars dtype of a contract type (CONTRIBUTING.md's table)."""
    if spark_type in INTEGER_TYPES:
        return INTEGER_TYPES[spark_type]()
    if spark_type in FLOAT_TYPES:
        return FLOAT_TYPES[spark_type]()
    if match := DECIMAL_TYPE.match(spark_type):
        return pl.Decimal(int(match[1]), int(match[2]))
    if match := ARRAY_TYPE.match(spark_type):
        return pl.List(polars_type(match[1]))
    return {
        "string": pl.String(),
        "boolean": pl.Boolean(),
        "date": pl.Date(),
        "timestamp": pl.Datetime("us", "UTC"),
        "timestamp_ntz": pl.Datetime("us"),
    }[spark_type]


# ---------------------------------------------------------------------------------------------
# Reading


def _part_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*")
                  if p.is_file() and not p.name.startswith(("_", ".")) and not p.name.endswith(".crc")
                  and not any(part.startswith(("_", ".")) for part in p.relative_to(folder).parts[:-1]))


def _input_format(path: Path) -> str | None:
    for suffix in reversed([s.lower() for s in path.suffixes if s.lower() not in (".snappy", ".zstd", ".gz")]):
        if suffix in INPUT_FORMATS:
            return INPUT_FORMATS[suffix]
    return None


def _int96_columns(files: list[Path]) -> set[str]:
    # Spark's default timestamp encoding: naive in Polars, but UTC instants ("timestamp").
    import pyarrow.parquet as pq

    schema = pq.ParquetFile(files[0]).schema
    return {schema.column(i).path for i in range(len(schema)) if schema.column(i).physical_type == "INT96"}


def read_source(path: Path, as_string: Iterable[str] = ()) -> tuple[pl.DataFrame, str, set[str]]:
    """The table at ``path`` as a typed frame, its format, and its INT96 (UTC) timestamp columns."""
    if not path.exists():
        raise InputError(f"{path} does not exist")
    int96: set[str] = set()
    fmt = "a table"
    try:
        if path.is_dir() and (path / "_delta_log").is_dir():
            fmt, files = "delta", []
        elif path.is_dir():
            parts = _part_files(path)
            formats = {_input_format(p) for p in parts} - {None}
            if len(formats) != 1:
                raise InputError(f"{path} is a folder without _delta_log and without part files of one format "
                                 f"(found {', '.join(sorted(formats)) or 'none'}): pass a file, a Delta folder or a folder of part files")
            fmt = formats.pop()
            files = [p for p in parts if _input_format(p) == fmt and p.stat().st_size]
            if not files:
                raise InputError(f"{path} holds no data")
        else:
            fmt = _input_format(path)
            if fmt is None:
                raise InputError(f"{path.name}: unknown file type; expected .parquet, .csv, .json/.jsonl/.ndjson (JSON Lines) or a Delta folder")
            files = [path]
        if fmt == "delta":
            frame = pl.read_delta(str(path))
        elif fmt == "parquet":
            int96 = _int96_columns(files)
            frame = pl.read_parquet([str(f) for f in files])
        elif fmt == "csv":
            # All text: types are decided from the values (keeps ZIPs like 02134 as text).
            frame = pl.concat([pl.read_csv(f, infer_schema=False) for f in files], how="diagonal")
        else:
            frame = pl.concat([pl.read_ndjson(f, infer_schema_length=None) for f in files], how="diagonal_relaxed")
    except InputError:
        raise
    except ImportError as error:
        raise InputError(f"reading {fmt} needs {error.name or 'a missing package'}: run with `uv run`, which installs it") from None
    except Exception as error:  # Polars, Arrow, Delta and OS errors alike: say which file and why
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InputError(f"cannot read {path} as {fmt}: {first}") from None
    unknown = sorted(set(as_string) - set(frame.columns))
    if unknown:
        raise InputError(f"--as-string names columns {path.name} does not have: {', '.join(unknown)}")
    if fmt in ("csv", "json"):
        keep = set(as_string)
        frame = frame.with_columns(
            _typed_text(frame[name], from_json=fmt == "json") for name in frame.columns
            if frame[name].dtype == pl.String and name not in keep)
    if as_string:
        try:
            frame = frame.with_columns(pl.col(name).cast(pl.String) for name in as_string)
        except pl.exceptions.PolarsError as error:
            raise InputError(f"--as-string: {str(error).splitlines()[0]}") from None
    return frame, fmt, int96


INTEGER_TEXT = r"^[+-]?(0|[1-9][0-9]{0,17})$"
DECIMAL_TEXT = r"^[+-]?[0-9]+\.([0-9]+)$"
FLOAT_TEXT = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$|^(NaN|nan|[+-]?inf|[+-]?Infinity)$"
DATE_TEXT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
TIMESTAMP_TEXT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?"
OFFSET_TEXT = r"([Zz]|[+-][0-9]{2}:?[0-9]{2})$"


def _typed_text(text: pl.Series, from_json: bool) -> pl.Series:
    """A text column as the type its values look like; unchanged when they look like nothing else.

    JSON quotes are intent: a quoted integer (a ZIP, an ID) stays text, but quoted fixed-scale
    decimals, dates and timestamps are how Polars and Spark write those types to JSON.
    """
    values = text.drop_nulls()
    if values.len() == 0:
        return text
    stripped = values.str.strip_chars()

    def every(pattern: str) -> bool:
        return bool(stripped.str.contains(pattern).all())

    try:
        if every("(?i)^(true|false)$"):
            return text.str.strip_chars().str.to_lowercase().replace_strict({"true": True, "false": False}, return_dtype=pl.Boolean)
        if every(r"^[0-9]+$") and not every(INTEGER_TEXT):
            return text  # digits with leading zeros (ZIPs, codes): text
        if not from_json and every(INTEGER_TEXT):
            return text.str.strip_chars().cast(pl.Int64)
        if every(DECIMAL_TEXT):
            scales = stripped.str.extract(DECIMAL_TEXT, 1).str.len_chars()
            scale = int(scales.max())
            if scales.min() == scale and scale <= 18:
                digits = int(stripped.str.replace(r"^[+-]", "").str.replace(".", "", literal=True).str.len_chars().max())
                precision = min(38, max(10, digits + 2))  # room above the largest value seen
                return text.str.strip_chars().str.to_decimal(scale=scale).cast(pl.Decimal(precision, scale))
            if not from_json:
                return text.str.strip_chars().cast(pl.Float64)
        if not from_json and every(FLOAT_TEXT):
            return text.str.strip_chars().cast(pl.Float64)
        if every(DATE_TEXT):
            return text.str.strip_chars().str.to_date("%Y-%m-%d")
        if every(TIMESTAMP_TEXT + OFFSET_TEXT):
            return text.str.strip_chars().str.to_datetime(time_unit="us", time_zone="UTC")
        if every(TIMESTAMP_TEXT + "$"):
            return text.str.strip_chars().str.to_datetime(time_unit="us")
    except pl.exceptions.PolarsError:
        pass  # looked like a type but did not parse (a 13th month, say): keep it text
    return text


# ---------------------------------------------------------------------------------------------
# Types


def spark_type_of(dtype: pl.DataType, int96: bool = False) -> str | None:
    """The contract (Spark SQL) type of a Polars dtype, or None when no contract type fits."""
    if isinstance(dtype, pl.Decimal):
        precision = dtype.precision or 38
        return f"decimal({precision},{dtype.scale})" if precision <= 38 else None
    if isinstance(dtype, pl.Datetime):
        return "timestamp" if dtype.time_zone or int96 else "timestamp_ntz"
    if isinstance(dtype, (pl.List, pl.Array)):
        inner = spark_type_of(dtype.inner)
        return f"array<{inner}>" if inner in ("bigint", "int", "string", "double", "float") else None
    simple = {pl.Int64: "bigint", pl.Int32: "int", pl.Int16: "smallint", pl.Int8: "tinyint",
              pl.UInt8: "smallint", pl.UInt16: "int", pl.UInt32: "bigint", pl.UInt64: "bigint",
              pl.Float64: "double", pl.Float32: "float", pl.String: "string", pl.Categorical: "string",
              pl.Enum: "string", pl.Boolean: "boolean", pl.Date: "date"}
    for base, name in simple.items():
        if dtype == base or isinstance(dtype, base):
            return name
    return None


def as_contract_dtype(series: pl.Series, spark_type: str) -> pl.Series:
    """The column in the canonical Polars dtype of its contract type (UTC for timestamps)."""
    target = polars_type(spark_type)
    if isinstance(series.dtype, pl.Datetime):
        if spark_type == "timestamp":
            series = (series.dt.convert_time_zone("UTC") if series.dtype.time_zone
                      else series.dt.replace_time_zone("UTC"))
        return series.cast(target)
    if isinstance(series.dtype, (pl.Categorical, pl.Enum)):
        return series.cast(pl.String)
    if isinstance(series.dtype, pl.Array):
        series = series.cast(pl.List(series.dtype.inner))
    return series.cast(target, strict=False)


def snake_case(name: str) -> str:
    """A contract-safe column or table name: CustomerID → customer_id, 'Order Date' → order_date."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", text)
    text = re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()
    if not text:
        text = "column"
    return text if text[0].isalpha() else f"c_{text}"


# ---------------------------------------------------------------------------------------------
# Profiling: one column at a time, into a contract column


def _number(value, spark_type: str):
    """A JSON number for a bound or category of this type."""
    if value is None:
        return None
    if spark_type in INTEGER_TYPES:
        return int(value)
    if isinstance(value, bool):
        return value
    return float(value)


def _short(value: float) -> float:
    return float(f"{value:.10g}")


def _iso_day(days: float) -> str:
    return (dt.date(1970, 1, 1) + dt.timedelta(days=int(round(days)))).isoformat()


RESOLUTION_US = {"s": 1_000_000, "ms": 1_000, "us": 1}


def _iso_instant(micros: float, utc: bool, resolution: str) -> str:
    unit = RESOLUTION_US[resolution]
    micros = int(round(micros / unit)) * unit
    moment = dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=micros)
    text = moment.isoformat(timespec={"s": "seconds", "ms": "milliseconds", "us": "microseconds"}[resolution])
    return text + "Z" if utc else text


def _length_model(lengths: pl.Series) -> dict:
    counts = lengths.value_counts(sort=True, name="n").sort(["n", lengths.name], descending=[True, False])
    if counts.height <= MAX_LENGTH_VALUES:
        total = counts["n"].sum()
        return {"lengths": [int(v) for v in counts[lengths.name]],
                "length_weights": [round(int(c) / total, 6) for c in counts["n"]]}
    points = np.quantile(lengths.to_numpy().astype(np.float64), np.linspace(0, 1, QUANTILE_POINTS))
    return {"length_quantiles": [round(float(p), 3) for p in points]}


def _categories(values: pl.Series, spark_type: str) -> tuple[list, list]:
    """Distinct values, commonest first (ties in value order), and their shares."""
    counts = values.value_counts(name="n").sort(["n", values.name], descending=[True, False])
    total = int(counts["n"].sum())
    if spark_type == "boolean":
        shown = [bool(v) for v in counts[values.name]]
    elif spark_type == "string":
        shown = [str(v) for v in counts[values.name]]
    else:
        shown = [_number(v, spark_type) for v in counts[values.name]]
    return shown, [round(int(c) / total, 6) for c in counts["n"]]


def _regex_literal(text: str) -> str:
    return "".join("\\" + ch if ch in REGEX_META else ch for ch in text)


def _regex_class(chars: str) -> str:
    """A character class for exactly these characters, consecutive code points as ranges."""
    if len(chars) == 1:
        return _regex_literal(chars)
    codes = sorted({ord(ch) for ch in chars})
    parts, first = [], 0
    for i in range(1, len(codes) + 1):
        if i == len(codes) or codes[i] != codes[i - 1] + 1:
            run = [chr(c) for c in codes[first:i]]
            escaped = ["\\" + ch if ch in CLASS_META else ch for ch in run]
            parts.append(escaped[0] + "-" + escaped[-1] if len(run) >= 3 else "".join(escaped))
            first = i
    return "[" + "".join(parts) + "]"


def _run_pattern(run: dict) -> str:
    if "literal" in run:
        return _regex_literal(run["literal"])
    if "choices" in run:
        options = [_regex_literal(v) for v in run["choices"]]
        return options[0] if len(options) == 1 else "(?:" + "|".join(options) + ")"
    if "positions" in run:
        pieces, previous, count = [], None, 0
        for chars in run["positions"] + [None]:
            if chars == previous:
                count += 1
                continue
            if previous is not None:
                pieces.append(_regex_class(previous) + (f"{{{count}}}" if count > 1 else ""))
            previous, count = chars, 1
        return "".join(pieces)
    lengths = run.get("lengths") or run.get("length_quantiles")
    low, high = int(math.floor(min(lengths))), int(math.ceil(max(lengths)))
    return _regex_class(run["chars"]) + (f"{{{low}}}" if low == high else f"{{{low},{high}}}")


def _characters(values: pl.Series, limit: int | None = None) -> str:
    chars = values.str.split("").explode().drop_nulls()
    chars = chars.filter(chars != "")
    if limit is None:
        return "".join(sorted(chars.unique().to_list()))
    counts = chars.value_counts(name="n").sort(["n", chars.name], descending=[True, False]).head(limit)
    return "".join(sorted(counts[chars.name].to_list()))


def _run_mask(values: pl.Series) -> pl.Series:
    """Each value's shape: runs of a class (9 digits, A upper, a lower, W other letters) as one
    character, every other character as itself. 'Jeffery Boone' → 'Aa Aa', '(802) 555-0172' →
    '(9) 9-9'."""
    masked = (values.str.replace_all("[0-9]", "9").str.replace_all(r"\p{Lu}", "A")
              .str.replace_all(r"\p{Ll}", "a").str.replace_all(RUN_CLASSES["W"], "W"))
    for mark in RUN_CLASSES:
        masked = masked.str.replace_all(f"{mark}+", mark)
    return masked


def _string_shapes(values: pl.Series) -> dict | None:
    """The shapes model of a text column (see the module docstring), or None when the values
    have too many shapes (free text)."""
    masks = _run_mask(values).alias("mask")
    counts = masks.value_counts(name="n").sort(["n", "mask"], descending=[True, False])
    total = values.len()
    kept, covered = [], 0
    for mask, count in counts.iter_rows():
        if covered >= SHAPE_COVERAGE * total or len(kept) == MAX_SHAPES:
            break
        kept.append((mask, count))
        covered += count
    if covered < SHAPE_COVERAGE * total or any(len(mask) > 40 for mask, _ in kept):
        return None
    shapes = []
    for mask, count in kept:
        members = values.filter(masks == mask)
        groups = "".join(f"({RUN_CLASSES[ch]}+)" if ch in RUN_CLASSES else f"({_regex_literal(ch)})" for ch in mask)
        parts = members.str.extract_groups(f"^{groups}$").struct.unnest() if mask else pl.DataFrame()
        runs = []
        for index, ch in enumerate(mask):
            if ch not in RUN_CLASSES:
                runs.append({"literal": ch})
                continue
            field = parts.to_series(index)
            run_counts = field.value_counts(name="n").sort(["n", field.name], descending=[True, False])
            if run_counts.height <= MAX_RUN_CHOICES and int(run_counts["n"].min()) >= MIN_CHOICE_COUNT:
                share = int(run_counts["n"].sum())
                runs.append({"choices": [str(v) for v in run_counts[field.name]],
                             "weights": [round(int(c) / share, 6) for c in run_counts["n"]]})
                continue
            lengths = field.str.len_chars()
            if lengths.n_unique() == 1:
                positions = [_characters(field.str.slice(j, 1)) for j in range(int(lengths[0]))]
                runs.append({"positions": positions})
            else:
                runs.append({"chars": _characters(field), **_length_model(lengths)})
        shapes.append({"weight": round(count / covered, 6), "runs": runs})
    return {"shapes": shapes}


def _shape_pattern(shapes: list[dict]) -> str | None:
    patterns = ["".join(_run_pattern(run) for run in shape["runs"]) for shape in shapes]
    pattern = "^" + patterns[0] + "$" if len(patterns) == 1 else "^(?:" + "|".join(patterns) + ")$"
    return pattern if len(pattern) <= 2000 else None


def _step(numbers: np.ndarray) -> int:
    """Step of a key sequence: the common gap when the values are evenly spaced, else their mean
    spacing, so more rows spread over a proportionally wider range."""
    ordered = np.sort(numbers)
    if len(ordered) < 2:
        return 1
    gaps = np.diff(ordered)
    if gaps.min() == gaps.max():
        return max(1, int(gaps[0]))
    return max(1, int((ordered[-1] - ordered[0]) // (len(ordered) - 1)))


def _string_sequence(values: pl.Series) -> dict | None:
    """PREFIX + number + SUFFIX keys with one prefix and suffix (C000123, INV-2024-0042 …) as a sequence."""
    parts = values.str.extract_groups(r"^(.*?)([0-9]+)([^0-9]*)$").struct.unnest()
    if parts.null_count().sum_horizontal().item() or parts.to_series(0).n_unique() != 1 or parts.to_series(2).n_unique() != 1:
        return None
    digits = parts.to_series(1)
    if int(digits.str.len_chars().max()) > 17:
        return None
    numbers = digits.cast(pl.Int64)
    if numbers.n_unique() != numbers.len():
        return None
    widths = digits.str.len_chars()
    padded = widths.n_unique() == 1 and bool(digits.str.starts_with("0").any())
    prefix, suffix = parts.to_series(0)[0], parts.to_series(2)[0]
    width = int(widths[0]) if padded else 0
    model = {"name": "sequence", "start": int(numbers.min()), "step": _step(numbers.to_numpy()),
             "prefix": prefix, "suffix": suffix, "width": width}
    digits_pattern = f"[0-9]{{{width},}}" if width else "[0-9]+"
    return {"distribution": model, "pattern": f"^{_regex_literal(prefix)}{digits_pattern}{_regex_literal(suffix)}$"}


def _numeric_model(values: pl.Series, spark_type: str) -> tuple[dict, str]:
    """min/max and the empirical distribution of numbers, dates or timestamps; a description."""
    if spark_type == "date":
        units = values.cast(pl.Int32).to_numpy().astype(np.float64)
    elif spark_type in ("timestamp", "timestamp_ntz"):
        units = values.dt.epoch("us").to_numpy().astype(np.float64)
    else:
        units = values.cast(pl.Float64).to_numpy()
    points = np.quantile(units, np.linspace(0, 1, QUANTILE_POINTS))
    mean, stddev = float(units.mean()), float(units.std())
    if spark_type == "date":
        text = [_iso_day(p) for p in points]
        low, high = text[0], text[-1]
        distribution = {"name": "empirical", "quantiles": text}
        return {"min": low, "max": high, "distribution": distribution}, f"dates {low}..{high}, median {text[50]}"
    if spark_type in ("timestamp", "timestamp_ntz"):
        micros = values.dt.epoch("us")
        resolution = "s" if (micros % 1_000_000 == 0).all() else "ms" if (micros % 1_000 == 0).all() else "us"
        utc = spark_type == "timestamp"
        text = [_iso_instant(p, utc, resolution) for p in points]
        distribution = {"name": "empirical", "quantiles": text, "resolution": resolution}
        return ({"min": text[0], "max": text[-1], "distribution": distribution},
                f"{'UTC ' if utc else ''}timestamps {text[0]}..{text[-1]}, median {text[50]}")
    if spark_type in INTEGER_TYPES:
        quantiles = [round(float(p), 3) for p in points]
        low, high = int(values.min()), int(values.max())
    elif spark_type.startswith("decimal"):
        scale = int(DECIMAL_TYPE.match(spark_type)[2])
        quantiles = [round(float(p), scale + 3) for p in points]
        low, high = float(values.min()), float(values.max())
        cents = values.cast(pl.String).str.extract(r"\.([0-9]+)$", 1)
        if scale and values.len() >= 10 and cents.n_unique() == 1 and cents.null_count() == 0 and low >= 0:
            # Every value ends the same way (prices at .99): kept as a pattern the generator follows.
            hints, about = _numeric_model(values.cast(pl.Float64), "double")
            hints.update({"min": low, "max": high, "pattern": f"^[0-9]+\\.{cents[0]}$"})
            hints["distribution"]["quantiles"] = [round(q, scale + 3) for q in hints["distribution"]["quantiles"]]
            return hints, about + f", every value ending .{cents[0]}"
    else:
        quantiles = [_short(p) for p in points]
        low, high = float(values.min()), float(values.max())
    quantiles[0], quantiles[-1] = low, high
    distribution = {"name": "empirical", "quantiles": quantiles, "mean": _short(mean), "stddev": _short(stddev)}
    median = quantiles[50]
    skew = "right-skewed" if mean > median + 0.1 * stddev else "left-skewed" if mean < median - 0.1 * stddev else "roughly symmetric"
    return ({"min": low, "max": high, "distribution": distribution},
            f"numbers {low:g}..{high:g}, mean {mean:.4g}, median {median:.4g}, sd {stddev:.4g}, {skew}")


def key_like(name: str) -> bool:
    """Whether a column's name says its values identify something (so uniqueness is by design,
    not the luck of a small sample: 500 names or phone numbers are often all different)."""
    return bool(KEY_NAME.search(name)) and not NOT_KEY_NAME.search(name)


def _value_model(values: pl.Series, spark_type: str, max_categories: int, key_candidate: bool) -> tuple[dict, str, str]:
    """Hints for non-null values of one type: (contract keys, how it is modelled, description)."""
    distinct = values.n_unique()
    temporal = spark_type in ("date", "timestamp", "timestamp_ntz")
    if spark_type == "boolean" or (not temporal and distinct <= max_categories
                                   and values.len() >= MIN_ROWS_PER_CATEGORY * distinct):
        shown, weights = _categories(values, spark_type)
        listed = ", ".join(f"{v} {100 * w:.3g}%" for v, w in zip(shown[:6], weights[:6]))
        return ({"values": shown, "weights": weights, "distribution": {"name": "weighted"}},
                f"categories({distinct})", f"{distinct} categories: {listed}{' …' if distinct > 6 else ''}")
    # key_candidate: an integer or text column named like an identifier (key_like). Evenly
    # spaced unique integers and PREFIX000123 texts are keys whatever their name.
    unique = distinct == values.len() and values.len() >= 2
    numbers = values.cast(pl.Int64).to_numpy() if unique and spark_type in INTEGER_TYPES else None
    if numbers is not None and (key_candidate or np.ptp(np.diff(np.sort(numbers))) == 0):
        step = _step(numbers)
        model = {"name": "sequence", "start": int(numbers.min()), "step": step}
        return ({"unique": True, "min": int(numbers.min()), "distribution": model}, "sequence",
                f"unique integers from {int(numbers.min())} (step {step} as a sequence)")
    if spark_type == "string":
        if unique and (key_candidate or values.len() >= 10) and (sequence := _string_sequence(values)):
            model = sequence["distribution"]
            return ({"unique": True, **sequence}, "sequence",
                    f"unique keys {model['prefix']}<number>{model['suffix']} from {model['start']}")
        sample = values.sample(200_000, seed=0) if values.len() > 200_000 else values
        shapes = _string_shapes(sample)
        lengths = sample.str.len_chars()
        about = f"lengths {int(lengths.min())}..{int(lengths.max())}"
        extra = {"unique": True} if unique and key_candidate else {}
        if shapes is None:
            text = {"chars": _characters(sample, limit=200), **_length_model(lengths)}
            return ({**extra, "distribution": {"name": "empirical", "text": text}}, "text",
                    f"free text ({about}), drawn as random characters of the same lengths")
        pattern = _shape_pattern(shapes["shapes"])
        hints = {**extra, **({"pattern": pattern} if pattern else {}), "distribution": {"name": "empirical", **shapes}}
        count = len(shapes["shapes"])
        return hints, f"shapes({count})", f"text in {count} shape{'s' if count > 1 else ''} ({about})"
    hints, about = _numeric_model(values, spark_type)
    return hints, "quantiles", about


def profile_column(series: pl.Series, name: str, source_name: str, spark_type: str, max_categories: int) -> tuple[dict, dict]:
    """One contract column from the data, and a line for the summary."""
    rows = series.len()
    column = {"name": name, "type": spark_type, "nullable": series.null_count() > 0}
    values = series.drop_nulls()
    if series.dtype.is_float():
        values = values.filter(values.is_finite())  # NaN/inf are not modelled
    nulls = series.null_count()
    notes = [f"source column {source_name!r}"] if source_name != name else []
    if nulls:
        column["null_rate"] = round(nulls / rows, 6)
        notes.append(f"{100 * nulls / rows:.3g}% null")
    if values.len() == 0:
        column["nullable"] = True
        column["description"] = "; ".join(["always null in the profiled data"] + notes)
        return column, {"type": spark_type, "model": "null", "null_rate": column.get("null_rate", 0.0)}
    if spark_type.startswith("array<"):
        inner = ARRAY_TYPE.match(spark_type)[1]
        lengths = values.list.len()
        elements = values.explode().drop_nulls()
        if elements.len():
            hints, model, about = _value_model(elements, inner, max_categories, key_candidate=False)
        else:
            hints, model, about = {}, "empty", "always empty"
        element = {key: value for key, value in hints.items() if key in ("values", "weights", "distribution", "pattern", "min", "max")}
        column.update({key: hints[key] for key in ("min", "max") if key in hints})
        column["distribution"] = {"name": "empirical", **_length_model(lengths), "element": {"type": inner, **element}}
        column["description"] = "; ".join([f"lists of {int(lengths.min())}..{int(lengths.max())} items; items: {about}"] + notes)
        return column, {"type": spark_type, "model": f"array of {model}", "null_rate": column.get("null_rate", 0.0)}
    hints, model, about = _value_model(values, spark_type, max_categories, key_like(name))
    column.update(hints)
    column["description"] = "; ".join([about] + notes)
    return column, {"type": spark_type, "model": model, "null_rate": column.get("null_rate", 0.0)}


def _key_rank(column: dict, position: int) -> tuple:
    name = column["name"]
    named = 0 if name == "id" or name.endswith(("_id", "_key")) else 1 if name.endswith(("id", "key", "number", "code")) else 2
    return (named, 0 if column["type"] in INTEGER_TYPES else 1, position)


def build_contract(frame: pl.DataFrame, int96: set[str], table: str, industry: str, source: str,
                   max_categories: int = MAX_CATEGORIES) -> tuple[dict, dict]:
    """The contract of ``frame`` (assets/schemas format) and the profile summary."""
    if frame.height == 0:
        raise InputError(f"{source} has no rows to profile")
    columns, summary, renamed, skipped, used = [], {}, {}, {}, set()
    for source_name in frame.columns:
        series = frame[source_name]
        spark_type = spark_type_of(series.dtype, source_name in int96)
        if spark_type is None:
            skipped[source_name] = f"{series.dtype} has no contract type (structs, binary, time, nested lists)"
            continue
        name = source_name if CONTRACT_NAME.match(source_name) else snake_case(source_name)
        base, suffix = name, 2
        while name in used:
            name, suffix = f"{base}_{suffix}", suffix + 1
        used.add(name)
        if name != source_name:
            renamed[source_name] = name
        column, line = profile_column(as_contract_dtype(series, spark_type), name, source_name, spark_type, max_categories)
        columns.append(column)
        summary[name] = line
    if not columns:
        raise InputError(f"{source}: no column has a contract type ({'; '.join(f'{k}: {v}' for k, v in skipped.items())})")
    candidates = [(column, i) for i, column in enumerate(columns)
                  if column.get("unique") and not column["nullable"]]
    added = []
    if candidates:
        key = min(candidates, key=lambda pair: _key_rank(*pair))[0]
        key.pop("unique")
        key["description"] = "Primary key: " + key["description"]
        summary[key["name"]]["model"] += ", primary key"
    else:
        name, suffix = "row_id", 2
        while name in used:
            name, suffix = f"row_id_{suffix}", suffix + 1
        key = {"name": name, "type": "bigint", "nullable": False, "min": 1,
               "description": "Primary key added by introspect_local.py: the profiled data has no unique non-null column.",
               "distribution": {"name": "sequence", "start": 1, "step": 1}}
        columns.insert(0, key)
        summary = {name: {"type": "bigint", "model": "sequence, primary key (added)", "null_rate": 0.0}, **summary}
        added.append(name)
    contract = {
        "table": table,
        "industry": industry,
        "description": (f"Look-alike of {source} ({frame.height:,} rows profiled by {SCRIPT}); "
                        "each column is drawn on its own from its profile, so relationships between columns are not kept."),
        "rows": {"default": frame.height, "cli_flag": "--generate",
                 "notes": "Rows of the profiled data; introspect_local.py --generate N makes any number."},
        "primary_key": [key["name"]],
        "foreign_keys": [],
        "columns": columns,
    }
    report = {"rows": frame.height, "columns": summary, "primary_key": [key["name"]],
              "unique": [c["name"] for c in columns if c.get("unique")]}
    if renamed:
        report["renamed"] = renamed
    if skipped:
        report["skipped"] = skipped
    if added:
        report["added"] = added
    return contract, report


# ---------------------------------------------------------------------------------------------
# Generating from a contract


def _column_rng(seed: int, name: str, start: int, stream: int = 0) -> np.random.Generator:
    # A chunk's values depend only on the seed, the column and the chunk: not on column order.
    return np.random.default_rng([seed, zlib.crc32(name.encode()), start, stream])


def _pick(weights: list[float] | None, count: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """n indexes into count options, drawn by weight (cumulative weights + searchsorted)."""
    if count == 1:
        return np.zeros(n, dtype=np.int64)
    if not weights:
        return rng.integers(0, count, n)
    cumulative = np.cumsum(np.asarray(weights, dtype=np.float64))
    return np.minimum(np.searchsorted(cumulative / cumulative[-1], rng.random(n), side="right"), count - 1)


def _units(value, spark_type: str) -> float | None:
    """A bound or quantile as a number: days for dates, microseconds for timestamps."""
    if value is None:
        return None
    if spark_type == "date":
        return float((dt.date.fromisoformat(str(value)[:10]) - dt.date(1970, 1, 1)).days)
    if spark_type in ("timestamp", "timestamp_ntz"):
        text = str(value)
        moment = dt.datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
        if moment.tzinfo is not None:
            moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return (moment - dt.datetime(1970, 1, 1)) / dt.timedelta(microseconds=1)
    return float(value)


def _parameters(distribution: dict) -> dict:
    flat = {key: value for key, value in distribution.items() if isinstance(value, (int, float)) and not isinstance(value, bool)}
    nested = distribution.get("parameters")
    if isinstance(nested, dict):
        flat.update({key: value for key, value in nested.items() if isinstance(value, (int, float)) and not isinstance(value, bool)})
    return flat


def _first(parameters: dict, *names):
    return next((parameters[name] for name in names if name in parameters), None)


def _named_draw(distribution: dict, n: int, rng: np.random.Generator, low, high) -> np.ndarray | None:
    """Draws of a named distribution with its parameters in output units, or None if unknown."""
    name, p = distribution.get("name"), _parameters(distribution)
    if name == "normal" and (mean := _first(p, "mean", "mu")) is not None:
        return rng.normal(mean, _first(p, "stddev", "sd", "std", "sigma") or 1.0, n)
    if name == "lognormal" and (sigma := _first(p, "sigma", "sdlog")) is not None:
        mu = _first(p, "mu", "meanlog")
        if mu is None:
            median = _first(p, "median")
            mu = math.log(median) if median else 0.0
        return rng.lognormal(mu, sigma, n)
    if name == "gamma" and (shape := _first(p, "shape", "k", "alpha")) is not None:
        scale = _first(p, "scale", "theta") or (1 / p["rate"] if p.get("rate") else 1.0)
        return rng.gamma(shape, scale, n)
    if name == "exponential":
        scale = _first(p, "scale", "mean") or (1 / p["rate"] if p.get("rate") else None)
        return rng.exponential(scale, n) if scale else None
    if name == "beta" and (a := _first(p, "alpha", "a")) is not None and (b := _first(p, "beta", "b")) is not None:
        unit = rng.beta(a, b, n)
        return low + unit * (high - low) if low is not None and high is not None else unit
    if name == "poisson" and (lam := _first(p, "lam", "lambda", "mean", "rate")) is not None:
        return rng.poisson(lam, n).astype(np.float64)
    if name == "geometric" and (prob := _first(p, "p")) is not None:
        return rng.geometric(prob, n).astype(np.float64)
    return None


def _type_range(spark_type: str) -> tuple[float, float] | None:
    if spark_type in INTEGER_TYPES:
        info = np.iinfo({"bigint": np.int64, "int": np.int32, "smallint": np.int16, "tinyint": np.int8}[spark_type])
        return float(info.min), float(info.max)
    if match := DECIMAL_TYPE.match(spark_type):
        limit = 10.0 ** (int(match[1]) - int(match[2])) - 10.0 ** -int(match[2])
        return -limit, limit
    return None


def _default_bounds(spec: dict) -> tuple[float, float]:
    spark_type = spec["type"]
    low, high = _units(spec.get("min"), spark_type), _units(spec.get("max"), spark_type)
    if spark_type == "date":
        window = [_units(day, "date") for day in DEFAULT_WINDOW]
    elif spark_type in ("timestamp", "timestamp_ntz"):
        window = [_units(DEFAULT_WINDOW[0] + "T00:00:00", spark_type), _units(DEFAULT_WINDOW[1] + "T23:59:59", spark_type)]
    else:
        window = [0.0, 1000.0]
    if low is None and high is None:
        return window[0], window[1]
    if low is None:
        return high - (window[1] - window[0]), high
    if high is None:
        return low, low + (window[1] - window[0])
    return low, high


def _numbers(spec: dict, n: int, rng: np.random.Generator) -> pl.Series:
    """Numbers, dates or timestamps: inverse-CDF of stored quantiles, a named distribution, or
    uniform over min..max; clipped to min..max and to the type; rounded to the type."""
    spark_type, distribution = spec["type"], spec.get("distribution") or {}
    low, high = _default_bounds(spec)
    quantiles = distribution.get("quantiles")
    if quantiles:
        points = np.array([_units(q, spark_type) for q in quantiles], dtype=np.float64)
        values = np.interp(rng.random(n) * (len(points) - 1), np.arange(len(points)), points)
    else:
        values = None
        if spark_type not in ("date", "timestamp", "timestamp_ntz"):
            values = _named_draw(distribution, n, rng, low, high)
        if values is None and (spark_type in INTEGER_TYPES or spark_type == "date"):
            values = rng.integers(math.ceil(low), math.floor(high) + 1, n).astype(np.float64)
        elif values is None:
            values = rng.uniform(low, high, n)
    if "min" in spec or quantiles:
        values = np.maximum(values, low)
    if "max" in spec or quantiles:
        values = np.minimum(values, high)
    if (limits := _type_range(spark_type)) is not None:
        values = np.clip(values, *limits)
    if spec.get("pattern") and (fixed := FIXED_FRACTION.search(spec["pattern"])):
        # Prices ending .99 (^[0-9]+\.99$): keep the whole part, fix the cents, stay in bounds.
        fraction = float("0." + fixed[1])
        values = np.floor(values) + fraction
        values = np.where(values < low, values + 1, values)
        values = np.where(values > high, values - 1, values)
    target = polars_type(spark_type)
    if spark_type in INTEGER_TYPES:
        return pl.Series(np.rint(values).astype(np.int64)).cast(target)
    if isinstance(target, pl.Decimal):
        return pl.Series(np.round(values, target.scale)).cast(target)
    if spark_type in ("double", "float"):
        return pl.Series(values).cast(target)
    if spark_type == "date":
        return pl.Series(np.rint(values).astype(np.int32)).cast(pl.Date)
    unit = RESOLUTION_US[distribution.get("resolution", "s" if not quantiles else "us")]
    micros = (np.rint(values / unit) * unit).astype(np.int64)
    stamps = pl.Series(micros).cast(pl.Datetime("us"))
    return stamps.dt.replace_time_zone("UTC") if spark_type == "timestamp" else stamps


def _categorical(spec: dict, n: int, rng: np.random.Generator) -> pl.Series:
    spark_type, values = spec["type"], spec["values"]
    target = polars_type(spark_type)
    if spark_type == "date":
        pool = pl.Series(values, dtype=pl.String).str.to_date("%Y-%m-%d")
    elif spark_type in ("timestamp", "timestamp_ntz"):
        micros = [int(_units(v, spark_type)) for v in values]
        pool = pl.Series(micros).cast(pl.Datetime("us"))
        pool = pool.dt.replace_time_zone("UTC") if spark_type == "timestamp" else pool
    elif isinstance(target, pl.Decimal):
        pool = pl.Series([float(v) for v in values]).cast(target)
    else:
        pool = pl.Series(values).cast(target)
    return pool.gather(_pick(spec.get("weights"), len(values), n, rng))


def _integer_sequence(spec: dict, start: int, n: int, name: str) -> pl.Series:
    distribution = spec.get("distribution") or {}
    first = distribution.get("start", spec.get("min", 1))
    step = distribution.get("step", 1)
    numbers = first + step * np.arange(start, start + n, dtype=np.int64)
    limits = _type_range(spec["type"])
    ceiling = min(limits[1], float(spec["max"])) if "max" in spec else limits[1]
    if n and numbers[-1] > ceiling:
        raise GenerationError(f"column {name}: a sequence from {first} in steps of {step} passes {ceiling:.0f} "
                              f"at row {start + n:,}: generate fewer rows, or lower distribution.step in the contract")
    return pl.Series(numbers).cast(polars_type(spec["type"]))


# A number pattern that fixes the decimals: ^[0-9]+\.99$.
FIXED_FRACTION = re.compile(r"\\\.([0-9]+)\$?$")
PRINTF_NUMBER = re.compile(r"^(?P<prefix>[^%]*)%(?P<zero>0?)(?P<width>[0-9]*)d(?P<suffix>[^%]*)$")
# A key pattern: literal prefix, digits, literal suffix (^DEV-[0-9]{8}$, ^WO-[0-9]{8,}$, ^C[0-9]+$).
LITERAL_TEXT = r"(?:\\.|[^\\\[\](){}|?*+^$.])*"
KEY_PATTERN = re.compile(rf"^\^?(?P<prefix>{LITERAL_TEXT})\[0-9\](?:\{{(?P<width>[0-9]+)(?P<open>,)?\}}|(?P<plus>\+))(?P<suffix>{LITERAL_TEXT})\$?$")


def _key_format(spec: dict, name: str) -> tuple[str, int, str, bool] | None:
    """(prefix, zero-padded width, suffix, whether the width is a limit) of a text key drawn as a
    sequence, or None when its shape says otherwise (then it is drawn to shape and de-duplicated)."""
    distribution = spec.get("distribution") or {}
    if "prefix" in distribution or "suffix" in distribution:
        return distribution.get("prefix", ""), int(distribution.get("width", 0)), distribution.get("suffix", ""), False
    if isinstance(distribution.get("format"), str) and (match := PRINTF_NUMBER.match(distribution["format"])):
        width = int(match["width"] or 0) if match["zero"] else 0
        exact = bool(spec.get("pattern") and (key := KEY_PATTERN.match(spec["pattern"])) and key["width"] and not key["open"])
        return match["prefix"], width, match["suffix"], exact
    if spec.get("pattern"):
        if not (match := KEY_PATTERN.match(spec["pattern"])):
            return None
        unescape = partial(re.sub, r"\\(.)", r"\1")
        return unescape(match["prefix"]), int(match["width"] or 0), unescape(match["suffix"]), bool(match["width"] and not match["open"])
    if distribution.get("shapes") or distribution.get("text"):
        return None
    return f"{name}_", 0, "", False


def _string_sequence_values(spec: dict, start: int, n: int, name: str, key: tuple[str, int, str, bool]) -> pl.Series:
    distribution = spec.get("distribution") or {}
    first, step = distribution.get("start", 1), distribution.get("step", 1)
    prefix, width, suffix, exact = key
    if exact and n and len(str(first + step * (start + n - 1))) > width:
        raise GenerationError(f"column {name}: {start + n:,} keys do not fit in {width} digits "
                              f"({spec.get('pattern')}): generate fewer rows")
    numbers = pl.Series(first + step * np.arange(start, start + n, dtype=np.int64)).cast(pl.String)
    if width:
        numbers = numbers.str.zfill(width)
    return pl.select(pl.concat_str([pl.lit(prefix), pl.lit(numbers), pl.lit(suffix)])).to_series()


def _char_matrix(charsets: list[str], n: int, rng: np.random.Generator) -> pl.Series:
    """n strings whose j-th character is drawn uniformly from charsets[j]."""
    width = len(charsets)
    if width == 0:
        return pl.Series([""] * n, dtype=pl.String)
    pieces = []
    batch = max(1, STRING_BATCH * 10 // width)
    for first in range(0, n, batch):
        rows = min(batch, n - first)
        matrix = np.empty((rows, width), dtype="<U1")
        for j, chars in enumerate(charsets):
            pool = np.array(list(chars), dtype="<U1")
            matrix[:, j] = pool[rng.integers(0, len(pool), rows)]
        pieces.append(pl.Series(np.ascontiguousarray(matrix).view(f"<U{width}").reshape(rows), dtype=pl.String))
    return pl.concat(pieces) if pieces else pl.Series([], dtype=pl.String)


def _lengths(model: dict, n: int, rng: np.random.Generator) -> np.ndarray:
    if "lengths" in model:
        options = np.asarray(model["lengths"], dtype=np.int64)
        return options[_pick(model.get("length_weights"), len(options), n, rng)]
    points = np.asarray(model["length_quantiles"], dtype=np.float64)
    return np.rint(np.interp(rng.random(n) * (len(points) - 1), np.arange(len(points)), points)).astype(np.int64)


def _variable_run(chars: str, lengths: np.ndarray, rng: np.random.Generator) -> pl.Series:
    longest = int(lengths.max()) if len(lengths) else 0
    text = _char_matrix([chars] * longest, len(lengths), rng)
    return pl.select(pl.lit(text).str.slice(0, pl.lit(pl.Series(lengths, dtype=pl.UInt64)))).to_series()


def _run_values(run: dict, n: int, rng: np.random.Generator) -> pl.Series:
    if "literal" in run:
        return pl.Series([run["literal"]], dtype=pl.String).gather(np.zeros(n, dtype=np.int64))
    if "choices" in run:
        return pl.Series(run["choices"], dtype=pl.String).gather(_pick(run.get("weights"), len(run["choices"]), n, rng))
    if "positions" in run:
        return _char_matrix(run["positions"], n, rng)
    return _variable_run(run["chars"], _lengths(run, n, rng), rng)


def _concat(parts: list[pl.Series], n: int) -> pl.Series:
    if not parts:
        return pl.Series([""] * n, dtype=pl.String)
    return pl.select(pl.concat_str([pl.lit(part) for part in parts])).to_series()


def _shaped_strings(shapes: list[dict], n: int, rng: np.random.Generator) -> pl.Series:
    chosen = _pick([shape["weight"] for shape in shapes], len(shapes), n, rng)
    pieces, where = [], []
    for index, shape in enumerate(shapes):
        rows = np.flatnonzero(chosen == index)
        if len(rows):
            pieces.append(_concat([_run_values(run, len(rows), rng) for run in shape["runs"]], len(rows)))
            where.append(rows)
    if not pieces:
        return pl.Series([], dtype=pl.String)
    return pl.concat(pieces).gather(np.argsort(np.concatenate(where), kind="stable"))


# Regex sampling for contracts that give only a pattern (the bundled ones): literals, classes,
# groups with alternatives, and repeats; unbounded repeats draw up to REPEAT_EXTRA extra.
ANY_CHARACTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
PRINTABLE = "".join(chr(c) for c in range(0x20, 0x7F))


def _regex_parser():
    try:
        from re import _constants as constants, _parser as parser  # Python 3.11+
    except ImportError:  # pragma: no cover - older Pythons
        import sre_constants as constants
        import sre_parse as parser
    return parser, constants


def _class_characters(items, constants) -> str:
    categories = {constants.CATEGORY_DIGIT: "0123456789", constants.CATEGORY_WORD: ANY_CHARACTERS + "0123456789_",
                  constants.CATEGORY_SPACE: " "}
    chosen, negate = set(), False
    for op, argument in items:
        if op is constants.NEGATE:
            negate = True
        elif op is constants.LITERAL:
            chosen.add(chr(argument))
        elif op is constants.RANGE:
            chosen.update(chr(c) for c in range(argument[0], argument[1] + 1))
        elif op is constants.CATEGORY and argument in categories:
            chosen.update(categories[argument])
        else:
            raise GenerationError(f"pattern class item {op} is not supported")
    if negate:
        chosen = set(PRINTABLE) - chosen
    return "".join(sorted(chosen))


def _single_characters(node, constants) -> str | None:
    """The characters one regex item matches, if it matches exactly one character."""
    op, argument = node
    if op is constants.LITERAL:
        return chr(argument)
    if op is constants.ANY:
        return ANY_CHARACTERS
    if op is constants.IN:
        return _class_characters(argument, constants)
    if op is constants.NOT_LITERAL:
        return "".join(ch for ch in ANY_CHARACTERS if ord(ch) != argument)
    return None


def _sample_nodes(nodes, n: int, rng: np.random.Generator, constants) -> pl.Series:
    parts = []
    for op, argument in nodes:
        if op is constants.AT:
            continue
        single = _single_characters((op, argument), constants)
        if single is not None:
            parts.append(_char_matrix([single], n, rng))
        elif op in (constants.MAX_REPEAT, constants.MIN_REPEAT):
            low, high, body = argument
            high = low + REPEAT_EXTRA if high == constants.MAXREPEAT else high
            counts = rng.integers(low, high + 1, n)
            if len(body) == 1 and (chars := _single_characters(body[0], constants)) is not None:
                parts.append(_variable_run(chars, counts, rng))
            else:
                for k in range(high):
                    piece = _sample_nodes(body, n, rng, constants)
                    parts.append(pl.select(pl.when(pl.lit(pl.Series(counts > k))).then(pl.lit(piece)).otherwise(pl.lit(""))).to_series())
        elif op is constants.SUBPATTERN:
            parts.append(_sample_nodes(argument[-1], n, rng, constants))
        elif op is constants.BRANCH:
            options = argument[1]
            chosen = rng.integers(0, len(options), n)
            pieces = [_sample_nodes(option, n, rng, constants) for option in options]
            picked = pl.when(pl.lit(pl.Series(chosen == 0))).then(pl.lit(pieces[0]))
            for index, piece in enumerate(pieces[1:], start=1):
                picked = picked.when(pl.lit(pl.Series(chosen == index))).then(pl.lit(piece))
            parts.append(pl.select(picked.otherwise(pl.lit(pieces[-1]))).to_series())
        else:
            raise GenerationError(f"pattern element {op} is not supported")
    return _concat(parts, n)


def sample_pattern(pattern: str, n: int, rng: np.random.Generator) -> pl.Series:
    """n random strings matching ``pattern`` in full (literals, classes, groups, alternatives, repeats)."""
    parser, constants = _regex_parser()
    try:
        tree = parser.parse(pattern)
    except Exception as error:  # re.error
        raise GenerationError(f"pattern {pattern!r} is not a regular expression: {error}") from None
    return _sample_nodes(list(tree), n, rng, constants)


def _strings(spec: dict, name: str, n: int, rng: np.random.Generator) -> pl.Series:
    distribution = spec.get("distribution") or {}
    if distribution.get("shapes"):
        return _shaped_strings(distribution["shapes"], n, rng)
    if distribution.get("text"):
        text = distribution["text"]
        return _variable_run(text["chars"], _lengths(text, n, rng), rng)
    if spec.get("pattern"):
        try:
            return sample_pattern(spec["pattern"], n, rng)
        except GenerationError as error:
            raise GenerationError(f"column {name}: {error}") from None
    # No shape known: the column name and a number, like introspect.py's Spark code.
    numbers = pl.Series(rng.integers(1, 1_000_001, n)).cast(pl.String)
    return pl.select(pl.concat_str([pl.lit(f"{name}_"), pl.lit(numbers)])).to_series()


def _arrays(spec: dict, name: str, n: int, start: int, rng: np.random.Generator) -> pl.Series:
    import pyarrow as pa

    inner = ARRAY_TYPE.match(spec["type"])[1]
    distribution = spec.get("distribution") or {}
    lengths = (_lengths(distribution, n, rng) if ("lengths" in distribution or "length_quantiles" in distribution)
               else rng.integers(2, 7, n))
    lengths = np.maximum(lengths, 0)
    element = dict(distribution.get("element") or {})
    element.setdefault("type", inner)
    for bound in ("min", "max"):
        if bound in spec and bound not in element:
            element[bound] = spec[bound]
    items = draw(element, f"{name}[]", int(lengths.sum()), start, rng)
    offsets = pa.array(np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32))
    lists = pa.ListArray.from_arrays(offsets, items.to_arrow())
    return pl.Series(lists).cast(polars_type(spec["type"]))


def draw(spec: dict, name: str, n: int, start: int, rng: np.random.Generator, sequence: bool = False) -> pl.Series:
    """n non-null values of one contract column (rows start .. start+n-1 of the table)."""
    spark_type, distribution = spec["type"], spec.get("distribution") or {}
    if spark_type.startswith("array<"):
        return _arrays(spec, name, n, start, rng)
    if "values" in spec:
        return _categorical(spec, n, rng)
    if distribution.get("name") == "sequence" or sequence:
        if spark_type in INTEGER_TYPES:
            return _integer_sequence(spec, start, n, name)
        if spark_type == "string" and (key := _key_format(spec, name)) is not None:
            return _string_sequence_values(spec, start, n, name, key)
    if spark_type == "string":
        return _strings(spec, name, n, rng)
    if spark_type == "boolean":
        return pl.Series(rng.random(n) < 0.5)
    return _numbers(spec, n, rng)


class TableGenerator:
    """Chunks of look-alike rows for one contract; call ``chunk`` in row order (unique text
    columns remember the values of earlier chunks)."""

    def __init__(self, contract: dict, seed: int):
        self.contract, self.seed = contract, seed
        self.columns = contract["columns"]
        self.schema = {column["name"]: polars_type(column["type"]) for column in self.columns}
        key = contract["primary_key"]
        # A key column must be unique: a single-column key as a sequence when nothing else is
        # said; in a composite key the first integer or text column (then the combination is).
        by_name = {column["name"]: column for column in self.columns}
        carriers = [name for name in key if by_name[name]["type"] in INTEGER_TYPES or by_name[name]["type"] == "string"]
        self.unique = {column["name"] for column in self.columns if column.get("unique")}
        covered = any(name in self.unique or (by_name[name].get("distribution") or {}).get("name") == "sequence"
                      for name in key)
        if len(key) == 1:
            self.unique.add(key[0])
        elif carriers and not covered:
            self.unique.add(carriers[0])
        self.seen: dict[str, pl.Series] = {}

    def _unique_strings(self, spec: dict, values: pl.Series, rng: np.random.Generator) -> pl.Series:
        name = spec["name"]
        seen = self.seen.get(name, pl.Series([], dtype=pl.String))
        for _ in range(UNIQUE_ROUNDS):
            repeated = ~values.is_first_distinct() | values.is_in(seen.implode())
            rows = np.flatnonzero(repeated.to_numpy())
            if not len(rows):
                break
            values = values.scatter(rows, _strings(spec, name, len(rows), rng))
        else:
            raise GenerationError(f"column {name}: cannot draw {len(seen) + values.len():,} unique values of its shape; "
                                  "generate fewer rows, or drop \"unique\" from the column in the contract")
        self.seen[name] = pl.concat([seen, values])
        return values

    def chunk(self, start: int, n: int) -> pl.DataFrame:
        data = {}
        for spec in self.columns:
            name = spec["name"]
            rng = _column_rng(self.seed, name, start)
            unique = name in self.unique
            sequence = unique and "values" not in spec and (spec["type"] in INTEGER_TYPES or (
                spec["type"] == "string" and _key_format(spec, name) is not None))
            values = draw(spec, name, n, start, rng, sequence=sequence)
            if unique and values.dtype == pl.String and not sequence:
                values = self._unique_strings(spec, values, rng)
            rate = spec.get("null_rate", 0.0) if spec.get("nullable") else 0.0
            if rate > 0:
                missing = _column_rng(self.seed, name, start, stream=1).random(n) < rate
                values = pl.select(pl.when(pl.lit(pl.Series(missing))).then(None).otherwise(pl.lit(values))).to_series()
            data[name] = values.cast(self.schema[name])
        return pl.DataFrame(data, schema=self.schema)


# ---------------------------------------------------------------------------------------------
# Contracts on disk


def _meta_schema(required: bool = False) -> dict | None:
    if META_SCHEMA_PATH.is_file():
        return json.loads(META_SCHEMA_PATH.read_text())
    if required:
        raise InputError(f"{META_SCHEMA_PATH} is missing: run this script from the skill's folder")
    return None


def contract_problems(contract: dict) -> list[str]:
    """Where ``contract`` breaks the meta-schema (empty when it obeys it)."""
    meta = _meta_schema()
    if meta is None:
        return []
    try:
        from jsonschema import Draft202012Validator
    except ImportError:  # pragma: no cover - the PEP 723 header installs it
        return []
    errors = sorted(Draft202012Validator(meta).iter_errors(contract), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in errors]


def _write_json(path: Path, document: dict) -> None:
    """Write atomically: a temporary file beside it, then one rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    temporary.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    os.replace(temporary, path)


def write_contract(path: Path, contract: dict) -> list[str]:
    """Write the contract, and the meta-schema beside it when missing (validate.py --schemas
    needs both in one folder); returns the files written."""
    _write_json(path, contract)
    written = [str(path)]
    beside = path.parent / META_SCHEMA_NAME
    if not beside.exists() and META_SCHEMA_PATH.is_file():
        shutil.copyfile(META_SCHEMA_PATH, beside)
        written.append(str(beside))
    return written


def load_contract(path: Path) -> dict:
    try:
        contract = json.loads(path.read_text())
    except OSError as error:
        raise InputError(f"cannot read contract {path}: {error.strerror or error}") from None
    except ValueError as error:
        raise InputError(f"contract {path} is not valid JSON: {error}") from None
    if not isinstance(contract, dict):
        raise InputError(f"contract {path} is not a JSON object")
    problems = contract_problems(contract)
    if problems:
        raise InputError(f"contract {path} breaks {META_SCHEMA_NAME}: " + "; ".join(problems[:3]))
    return contract


# ---------------------------------------------------------------------------------------------
# Command line


def generate(contract: dict, rows: int, directory: Path, fmt: str, seed: int, arguments: dict) -> dict:
    """Write ``rows`` look-alike rows of the contract's table to ``directory`` (plus its
    contract under _contracts/ and _manifest.json); returns the summary."""
    # One table, no parents: foreign keys cannot hold, so the copy the validator reads has none.
    own = {key: value for key, value in contract.items() if not key.startswith("_")}
    own["foreign_keys"] = []
    generator = TableGenerator(own, seed)
    table = own["table"]
    started = time.perf_counter()
    chunks = [partial(generator.chunk, start, n) for start, n in chunk_bounds(rows)]
    result = write_table(directory, table, fmt, chunks, generator.schema)
    result["seconds"] = round(time.perf_counter() - started, 3)
    contracts = directory / "_contracts"
    contract_file = contracts / f"{own['industry']}_{table}.json"
    write_contract(contract_file, own)
    write_manifest(directory, {
        "generator": SCRIPT, "industry": own["industry"], "seed": seed, "format": fmt,
        "arguments": arguments, "versions": library_versions(), "contract": str(contract_file.relative_to(directory)),
        "tables": {table: result},
    })
    return {"output": str(directory), "format": fmt, "seed": seed, "tables": {table: result},
            "contract": str(contract_file),
            "validate": f"uv run scripts/utils/validate.py {directory} --schemas {contracts}"}


def _column_list(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Profile a local table (parquet, CSV, JSON Lines, Delta) into a contract and/or "
                    "generate look-alike rows from a contract. Prints a JSON summary.",
        epilog="Examples: introspect_local.py orders.parquet --contract contracts/custom_orders.json; "
               "introspect_local.py orders.csv --generate 100000 --output out/orders; "
               "introspect_local.py --from-contract contracts/custom_orders.json --generate 1000000 --output out/orders. "
               "Validate the output with: validate.py DIR --schemas DIR/_contracts")
    parser.add_argument("file", nargs="?", type=Path,
                        help="table to profile: .parquet, .csv, .json/.jsonl/.ndjson (JSON Lines), a Delta folder or a folder of part files")
    parser.add_argument("--from-contract", type=Path, metavar="CONTRACT",
                        help="generate from this contract instead of profiling a file (any assets/schemas-format contract)")
    parser.add_argument("--table", help="table name in the contract and the output file (default: the file's name, snake_cased)")
    parser.add_argument("--industry", default="custom",
                        help="contract industry (default: custom; one of the bundled industries to check it beside their contracts)")
    parser.add_argument("--contract", type=Path, metavar="OUT.json",
                        help="write the contract here (and the meta-schema beside it if missing); without it and without "
                             "--generate the contract is printed in the summary")
    parser.add_argument("--generate", type=positive_int, metavar="ROWS", help="rows of look-alike data to write")
    parser.add_argument("--output", type=Path, help="folder for the generated table (default: output/<table>)")
    parser.add_argument("--format", choices=FORMATS, default="parquet", help="generated table format (default: parquet; json = JSON Lines)")
    parser.add_argument("--seed", type=int, default=42, help="same seed, same data (default: 42)")
    parser.add_argument("--max-categories", type=positive_int, default=MAX_CATEGORIES,
                        help=f"most distinct values a column may have to be stored as categories (default: {MAX_CATEGORIES})")
    parser.add_argument("--as-string", type=_column_list, default=[], metavar="COL[,COL]",
                        help="keep these columns as text (e.g. ZIP codes a CSV would read as numbers)")
    args = parse_arguments(parser, argv)

    if (args.file is None) == (args.from_contract is None):
        parser.error("give a FILE to profile or --from-contract CONTRACT (one of them)")
    if args.from_contract is not None and args.generate is None:
        parser.error("--from-contract needs --generate ROWS")
    if args.output is not None and args.generate is None:
        parser.error("--output needs --generate ROWS")
    meta = _meta_schema()
    industries = meta["properties"]["industry"].get("enum", []) if meta else []
    if industries and args.industry not in industries:
        parser.error(f"--industry {args.industry!r}: the contract format knows {', '.join(industries)}")
    started = time.perf_counter()
    summary: dict = {}
    try:
        if args.file is not None:
            table = args.table or snake_case(args.file.name.split(".")[0] if args.file.is_file() else args.file.name)
            if not CONTRACT_NAME.match(table):
                parser.error(f"--table {table!r}: use lower-case letters, digits and _, starting with a letter")
            frame, fmt, int96 = read_source(args.file, args.as_string)
            contract, profile = build_contract(frame, int96, table, args.industry, args.file.name, args.max_categories)
            problems = contract_problems(contract)
            if problems:  # a bug here, not bad input: say so plainly
                raise InputError("the contract built from the data breaks the meta-schema (please report): " + "; ".join(problems[:3]))
            summary.update({"source": str(args.file), "source_format": fmt, "table": table, "industry": args.industry, **profile})
            if args.contract is not None:
                summary["contract_files"] = write_contract(args.contract, contract)
            elif args.generate is None:
                summary["contract"] = contract
        else:
            contract = load_contract(args.from_contract)
            summary.update({"contract_source": str(args.from_contract), "table": contract["table"], "industry": contract["industry"]})
            if contract.get("foreign_keys"):
                summary["dropped_foreign_keys"] = [fk["columns"] for fk in contract["foreign_keys"]]
        if args.generate is not None:
            directory = prepare_output_dir(parser, args.output or Path("output") / contract["table"])
            arguments = {key: (str(value) if isinstance(value, Path) else value) for key, value in vars(args).items()}
            summary["generated"] = generate(contract, args.generate, directory, args.format, args.seed, arguments)
    except (InputError, GenerationError) as error:
        parser.error(str(error))
    except OSError as error:  # a contract or output path that cannot be written
        parser.error(f"cannot write {error.filename or 'the output'}: {error.strerror or error}")
    summary["seconds"] = round(time.perf_counter() - started, 3)
    print(json.dumps(summary, indent=2, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # output piped into `head`: stop quietly
        sys.stderr.close()
        sys.exit(1)
