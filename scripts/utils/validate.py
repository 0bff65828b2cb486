# /// script
# requires-python = ">=3.11"
# dependencies = [
#   "polars>=2.1,<2.2",
#   "pyarrow>=17",
#   "deltalake>=1.1,<2",
#   "jsonschema>=4.18,<5",
# ]
# ///
"""Check a folder of generated tables against the industry's table contracts.

    uv run scripts/utils/validate.py output/retail
    uv run scripts/utils/validate.py output/retail --summary        # plus a per-table profile
    uv run scripts/utils/validate.py out --industry financial --json # machine-readable findings

Run it after every generation. Exit 0: the folder matches the contracts. Exit 1: every
violation is listed with table, column, count, a few offending values and what to fix.
Exit 2: the command itself could not run (no such folder, no contracts, industry unclear).

What it reads: ``DIR/<table>.parquet|.csv|.json`` (JSON Lines), Delta folders ``DIR/<table>/``
(with ``_delta_log``) and Spark output folders of part files ``DIR/<table>/part-*.parquet``
(or ``.csv`` / ``.json`` parts; ``_SUCCESS``, ``.crc`` and ``key=value`` partition folders are
understood; Spark's CSV parts may lack a header, then the contract's column order is used).
Tables are scanned lazily with Polars, so large tables are checked without being held whole.

Contracts: ``assets/schemas/<industry>_<entity>.json`` next to this script (``--schemas``
overrides), each validated against ``_contract.schema.json`` first.

Which industry: ``--industry``; else the manifest's ``industry``; else the industry whose
contracts fit the tables best: most columns in common over the tables whose names its contracts
have, then most such tables (``transactions`` exists in retail and financial; the columns tell
them apart). A tie stops with exit 2 and asks for ``--industry``.

Checks (the ``check`` id of each finding): ``missing_table``, ``missing_column``, ``type``,
``nullable``, ``values``, ``min``, ``max``, ``pattern``, ``unique``, ``pk`` (composite keys
too), ``fk`` (anti-join, composite keys too), ``manifest`` (the folder is one run: every table
in ``_manifest.json`` and the manifest's rows, bytes and file for each), ``read`` (a table
that cannot be read) and ``contract`` (a contract that breaks the meta-schema). Extra tables
and columns are notes, not errors: adapted scripts may add them. Other notes: ``extra_table``,
``extra_column``, ``ignored`` (not a table), ``leftover`` (temporary file of an interrupted
write), ``spark_success`` (part files without ``_SUCCESS``), ``window`` (bounds taken from the
run's window), and any check id above when an injection explains the finding or the check could
not run.

Type rules. Parquet and Delta carry types; each must be the contract's:

    bigint/int/smallint/tinyint  Int64/Int32/Int16/Int8 exactly (unsigned types are not Spark types)
    double/float                 Float64/Float32
    decimal(p,s)                 Decimal(p, s), same precision and scale
    string                       String (Categorical/Enum too: they are stored as strings)
    boolean / date               Boolean / Date
    timestamp                    Datetime in any unit (ns, us, ms) with time zone UTC, or a
                                 naive Datetime stored as parquet INT96: Spark's default
                                 timestamp encoding, always UTC instants. Any other naive or
                                 non-UTC Datetime is an error: "timestamp" means a UTC instant.
    timestamp_ntz                naive Datetime in any unit, not INT96
    array<T>                     List or Array of T's type

CSV and JSON Lines carry no types (JSON numbers and booleans are read as their text too):
each value is parsed as the contract type and values that do not parse are ``type``
violations: integers in range, decimals with at most the contract's digits and scale,
booleans ``true``/``false`` (any case), dates ``YYYY-MM-DD``; ``timestamp`` values must carry
an offset (``2024-01-01T09:30:00Z``, ``+00:00``, ``+0000``; a space may replace the ``T``)
and are converted to UTC; ``timestamp_ntz`` values must not; arrays are JSON lists of numbers.

Data-quality injections: when ``_manifest.json`` has ``quality_injections`` (e.g.
``{"nulls": {"customers.email": 0.05}, "duplicate_rate": {"transactions": 0.01},
"late_rate": {"transactions.timestamp": 0.02}}``; a bare number applies to every table or
column), the findings they explain become notes: nulls in a non-null column ("injected by
--inject-nulls (configured 5%, found 5.1%)"), repeated keys (``--duplicate-rate``) and
timestamps past a bound (``--late-rate``). More than the configured share (beyond sampling
noise) is still an error.

Run window: a generator run with ``--start/--end`` records the bounds of its window-dependent
columns in the manifest (``"bounds": {"transactions.timestamp": {"min": "2023-01-01T00:00:00Z",
"max": "2023-12-31T23:59:59Z"}}``). Those replace the contract's min/max for date and timestamp
columns (a ``window`` note names each one that differs); numeric bounds always come from the
contract.

Seasonality (``--summary``; also under ``seasonality`` in ``--json``): for a run whose manifest
records ``--seasonality``/``--monthly-weights``/``--weekday-weights``/``--campaign`` (``window`` →
``seasonality``, ``applies_to`` naming the seasonal columns), each of those columns is measured
against the configuration: every month's share of events, the months the weights single out
together (e.g. Nov+Dec), the weekend/weekday ratio of events per day and each campaign's lift,
each beside what the weights expect. Expected = the configured day weights x the run's volume
trend (a straight line fitted to the counts: customers and accounts joining during the window
raise volume). The ratio and lifts compare per-day medians, so a day of month-end postings moves
neither; a lift is the campaign days' events over what they would expect without the campaign,
relative to the days without a campaign in its months and the month on either side. A day with no event where the weights expect 10
or more is closed (trades keep to exchange sessions) and left out. ``off`` marks a measure
outside sampling noise and a tolerance (0.01 on shares, 5% on ratios and lifts): information,
never an error. A run without seasonality (or a flat one) gets no such block.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import polars as pl

SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "assets" / "schemas"
META_SCHEMA = "_contract.schema.json"
MANIFEST = "_manifest.json"
FILE_FORMATS = {".parquet": "parquet", ".csv": "csv", ".json": "json", ".jsonl": "json", ".ndjson": "json"}
TEXT_FORMATS = ("csv", "json")
EXAMPLES = 5
# Time zones that are UTC under another name.
UTC_NAMES = {"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Zulu", "Zulu", "Etc/Universal", "Universal"}

INTEGER_TYPES = {"bigint": pl.Int64, "int": pl.Int32, "smallint": pl.Int16, "tinyint": pl.Int8}
FLOAT_TYPES = {"double": pl.Float64, "float": pl.Float32}
DECIMAL_TYPE = re.compile(r"^decimal\((\d+),(\d+)\)$")
ARRAY_TYPE = re.compile(r"^array<(.+)>$")

# Injection keys in the manifest and the generator flag that sets each (Injections.explain
# maps checks to keys: nullable → nulls, pk/unique → duplicate_rate, min/max → late_rate).
INJECTION_FLAGS = {"nulls": "--inject-nulls", "duplicate_rate": "--duplicate-rate", "late_rate": "--late-rate"}
# Contract types whose bounds a run's window may move (manifest "bounds").
WINDOW_TYPES = ("date", "timestamp", "timestamp_ntz")


class UsageError(Exception):
    """The validator cannot run as asked (exit 2): no such folder, no contracts, unclear industry."""


class TableReadError(Exception):
    """A table's files cannot be read as a table; the message says what to change."""


@dataclass
class Finding:
    table: str | None
    column: str | None
    check: str
    count: int
    examples: list = field(default_factory=list)
    message: str = ""

    def __str__(self) -> str:
        return f"[{self.check}] {self.message}"

    def to_dict(self) -> dict:
        return {**asdict(self), "examples": [_json_value(v) for v in self.examples]}


@dataclass
class ValidationResult:
    directory: Path
    industry: str | None
    errors: list[Finding] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)
    tables: dict[str, dict] = field(default_factory=dict)
    profiles: dict[str, dict] = field(default_factory=dict)
    seasonality: dict | None = None  # --summary of a run with seasonality: measure_seasonality

    @property
    def ok(self) -> bool:
        return not self.errors

    def __str__(self) -> str:
        rows = sum(info.get("rows") or 0 for info in self.tables.values())
        head = f"{self.directory}: {self.industry} contracts, {_many(len(self.tables), 'table', 'tables')}, {_many(rows, 'row', 'rows')}"
        lines = [head]
        if self.ok:
            lines.append(f"OK: every table matches its contract ({_many(len(self.notes), 'note', 'notes')})")
        else:
            lines.append(f"FAILED: {_many(len(self.errors), 'error', 'errors')}, {_many(len(self.notes), 'note', 'notes')}")
            lines.append("Errors (fix each, then rerun the generator and this check):")
            lines += [f"  {finding}" for finding in self.errors]
        if self.notes:
            lines.append("Notes:")
            lines += [f"  {finding}" for finding in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "directory": str(self.directory),
            "industry": self.industry,
            "errors": [finding.to_dict() for finding in self.errors],
            "notes": [finding.to_dict() for finding in self.notes],
            "tables": self.tables,
            **({"profiles": self.profiles} if self.profiles else {}),
            **({"seasonality": self.seasonality} if self.seasonality else {}),
        }


def _json_value(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {key: _json_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(item) for item in value]
    return str(value)


def _show(value) -> str:
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, dict):
        return "(" + ", ".join(_show(v) for v in value.values()) + ")"
    return str(value)


def _examples(values: list) -> str:
    return "e.g. " + ", ".join(_show(v) for v in values) if values else "no example"


def _many(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def _share(count: int, rows: int) -> str:
    return f"{100 * count / rows:.3g}%" if rows else "n/a"


# ---------------------------------------------------------------------------------------------
# Contracts


def load_contracts(schemas_dir: Path) -> tuple[dict[str, dict[str, dict]], list[tuple[str, Finding]]]:
    """{industry: {table: contract}} of every valid contract, plus (industry, problem) pairs."""
    try:
        from jsonschema import Draft202012Validator
    except ImportError:  # pragma: no cover - the PEP 723 header installs it
        raise UsageError("the jsonschema package is missing: run with `uv run`, which installs it") from None
    if not schemas_dir.is_dir():
        raise UsageError(f"contracts folder {schemas_dir} does not exist: pass --schemas PATH")
    meta_path = schemas_dir / META_SCHEMA
    if not meta_path.is_file():
        raise UsageError(f"{meta_path} is missing: --schemas must point at the contracts folder with the meta-schema")
    try:
        validator = Draft202012Validator(json.loads(meta_path.read_text()))
    except ValueError as error:
        raise UsageError(f"{meta_path} is not valid JSON: {error}") from None

    contracts: dict[str, dict[str, dict]] = {}
    problems: list[tuple[str, Finding]] = []
    for path in sorted(schemas_dir.glob("*.json")):
        if path.name.startswith("_"):
            continue
        industry_guess = path.stem.split("_", 1)[0]
        try:
            contract = json.loads(path.read_text())
        except ValueError as error:
            problems.append((industry_guess, Finding(None, None, "contract", 1, [], f"{path}: not valid JSON ({error}): fix the contract file")))
            continue
        violations = sorted(validator.iter_errors(contract), key=lambda e: list(e.absolute_path))
        if violations:
            industry = contract.get("industry", industry_guess) if isinstance(contract, dict) else industry_guess
            detail = "; ".join(f"{'/'.join(map(str, v.absolute_path)) or '(top)'}: {v.message}" for v in violations[:3])
            problems.append((str(industry), Finding(contract.get("table") if isinstance(contract, dict) else None, None, "contract",
                                                    len(violations), [], f"{path.name} breaks {META_SCHEMA}: {detail}: fix the contract")))
            continue
        tables = contracts.setdefault(contract["industry"], {})
        if contract["table"] in tables:
            problems.append((contract["industry"], Finding(contract["table"], None, "contract", 1, [],
                            f"{path.name}: a second {contract['industry']} contract for table {contract['table']}: remove one")))
            continue
        contract["_file"] = path.name
        tables[contract["table"]] = contract
    return contracts, problems


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


def _polars_repr(spark_type: str) -> str:
    dtype = polars_type(spark_type)
    if isinstance(dtype, pl.Datetime):
        return 'pl.Datetime("us", "UTC")' if dtype.time_zone else 'pl.Datetime("us")'
    if isinstance(dtype, pl.Decimal):
        return f"pl.Decimal({dtype.precision}, {dtype.scale})"
    if isinstance(dtype, pl.List):
        return f"pl.List(pl.{dtype.inner})"
    return f"pl.{dtype}"


# ---------------------------------------------------------------------------------------------
# Finding and reading tables


@dataclass
class StoredTable:
    name: str
    path: Path
    format: str  # parquet | csv | json | delta
    kind: str  # file | delta | spark
    files: list[Path]

    @property
    def bytes(self) -> int:
        return _path_bytes(self.path)


def _path_bytes(path: Path) -> int:
    # Same rule as local_output.write_table records in the manifest: every file under a folder.
    if path.is_dir():
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return path.stat().st_size


def _part_files(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith(("_", ".")) and not p.name.endswith(".crc")
        and not any(part.startswith(("_", ".")) for part in p.relative_to(folder).parts[:-1])
    )


def _part_format(path: Path) -> str | None:
    suffixes = [s for s in path.suffixes if s not in (".snappy", ".zstd", ".gz", ".lz4")]
    for suffix in reversed(suffixes or path.suffixes):
        if suffix in FILE_FORMATS:
            return FILE_FORMATS[suffix]
    return None


def discover_tables(directory: Path) -> tuple[dict[str, list[StoredTable]], list[Finding]]:
    found: dict[str, list[StoredTable]] = {}
    notes: list[Finding] = []
    for entry in sorted(directory.iterdir()):
        if entry.name.startswith(".") and ".tmp-" in entry.name:
            notes.append(Finding(None, None, "leftover", 1, [entry.name],
                                 f"{entry.name} is a leftover temporary file of an interrupted write: delete it"))
            continue
        if entry.name.startswith(("_", ".")):
            continue
        if entry.is_file():
            fmt = FILE_FORMATS.get(entry.suffix.lower())
            if fmt:
                found.setdefault(entry.stem, []).append(StoredTable(entry.stem, entry, fmt, "file", [entry]))
            else:
                notes.append(Finding(None, None, "ignored", 1, [entry.name], f"{entry.name} is not a table file (parquet, csv, json or a Delta/Spark folder): ignored"))
        elif entry.is_dir():
            if (entry / "_delta_log").is_dir():
                found.setdefault(entry.name, []).append(StoredTable(entry.name, entry, "delta", "delta", []))
                continue
            parts = _part_files(entry)
            formats = {_part_format(p) for p in parts} - {None}
            if len(formats) == 1:
                fmt = formats.pop()
                files = [p for p in parts if _part_format(p) == fmt]
                found.setdefault(entry.name, []).append(StoredTable(entry.name, entry, fmt, "spark", files))
                if not (entry / "_SUCCESS").exists():
                    notes.append(Finding(entry.name, None, "spark_success", 0, [],
                                         f"{entry.name}/ has part files but no _SUCCESS marker: if Spark wrote it, the job may not have finished; rerun it"))
            elif len(formats) > 1:
                notes.append(Finding(entry.name, None, "ignored", 1, sorted(formats),
                                     f"{entry.name}/ mixes part files of several formats ({', '.join(sorted(formats))}): ignored; write one format per table"))
            else:
                notes.append(Finding(entry.name, None, "ignored", 1, [], f"{entry.name}/ holds no table files (no _delta_log, no part files): ignored"))
    return found, notes


@dataclass
class OpenedTable:
    stored: StoredTable
    frame: pl.LazyFrame
    columns: list[str]
    text: bool  # values are text to parse (CSV, JSON Lines)
    int96: set[str] = field(default_factory=set)
    maybe_absent: set[str] = field(default_factory=set)  # JSON keys never seen in the sampled lines


def _csv_first_row(first_file: Path) -> list[str] | None:
    with open(first_file, newline="", encoding="utf-8", errors="replace") as handle:
        return next(csv.reader(handle), None)


def _csv_has_header(first_row: list[str] | None, contract: dict | None) -> bool:
    # Spark writes CSV without a header unless asked: a first line that names no contract
    # column is data.
    if contract is None or first_row is None:
        return True
    return bool({column["name"] for column in contract["columns"]} & set(first_row))


def open_table(stored: StoredTable, contract: dict | None) -> OpenedTable:
    """A lazy frame over the table's files; CSV/JSON columns are all read as text."""
    files = stored.files
    if stored.format in TEXT_FORMATS and stored.kind == "spark":
        # Spark writes a zero-byte part for an empty partition; it holds no rows (nor a header).
        files = [p for p in stored.files if p.stat().st_size] or stored.files[:1]
    sources = [str(p) for p in files] if stored.kind == "spark" else str(stored.path)
    hive = stored.kind == "spark" and any("=" in p.parent.name for p in stored.files)
    int96: set[str] = set()
    maybe_absent: set[str] = set()
    if stored.format == "delta":
        frame = pl.scan_delta(str(stored.path))
    elif stored.format == "parquet":
        frame = pl.scan_parquet(sources, hive_partitioning=hive) if hive else pl.scan_parquet(sources)
        int96 = _int96_columns(stored.files[0])
    elif stored.format == "csv":
        first_row = _csv_first_row(files[0])
        if contract and not _csv_has_header(first_row, contract):
            names = [column["name"] for column in contract["columns"]]
            width = len(first_row)
            if width != len(names):
                raise TableReadError(f"{stored.name}: the CSV has no header line and {width} columns where the contract has {len(names)}, "
                                     "so its columns cannot be named: write CSV with a header (Spark: .option(\"header\", True))")
            frame = pl.scan_csv(sources, has_header=False, infer_schema=False, new_columns=names)
        else:
            frame = pl.scan_csv(sources, infer_schema=False)
    else:
        # Spark leaves null fields out of JSON lines; read every key (and every contract
        # column) as text so a value's JSON type never decides whether it parses.
        sampled = pl.scan_ndjson(sources, infer_schema_length=10_000).collect_schema().names()
        wanted = [column["name"] for column in contract["columns"]] if contract else []
        maybe_absent = set(wanted) - set(sampled)
        frame = pl.scan_ndjson(sources, schema={name: pl.String for name in dict.fromkeys(sampled + wanted)})
    columns = frame.collect_schema().names()
    return OpenedTable(stored, frame, columns, stored.format in TEXT_FORMATS, int96, maybe_absent)


def _int96_columns(parquet_file: Path) -> set[str]:
    import pyarrow.parquet as pq

    schema = pq.ParquetFile(parquet_file).schema
    return {schema.column(i).path for i in range(len(schema)) if schema.column(i).physical_type == "INT96"}


# ---------------------------------------------------------------------------------------------
# Types: accept what the contract means, parse text


def _accepts(spark_type: str, dtype: pl.DataType, int96: bool) -> bool:
    if spark_type in INTEGER_TYPES or spark_type in FLOAT_TYPES:
        return dtype == polars_type(spark_type)
    if match := DECIMAL_TYPE.match(spark_type):
        return isinstance(dtype, pl.Decimal) and (dtype.precision, dtype.scale) == (int(match[1]), int(match[2]))
    if spark_type == "string":
        return isinstance(dtype, (pl.String, pl.Categorical, pl.Enum))
    if spark_type == "boolean":
        return isinstance(dtype, pl.Boolean)
    if spark_type == "date":
        return isinstance(dtype, pl.Date)
    if spark_type == "timestamp":
        return isinstance(dtype, pl.Datetime) and (dtype.time_zone in UTC_NAMES or (dtype.time_zone is None and int96))
    if spark_type == "timestamp_ntz":
        return isinstance(dtype, pl.Datetime) and dtype.time_zone is None and not int96
    if match := ARRAY_TYPE.match(spark_type):
        return isinstance(dtype, (pl.List, pl.Array)) and _accepts(match[1], dtype.inner, False)
    return False


def _family(dtype: pl.DataType) -> str:
    if dtype.is_integer() or dtype.is_float() or isinstance(dtype, pl.Decimal):
        return "number"
    if isinstance(dtype, (pl.String, pl.Categorical, pl.Enum)):
        return "string"
    if isinstance(dtype, pl.Datetime):
        return "datetime"
    if isinstance(dtype, (pl.List, pl.Array)):
        return "list"
    return str(dtype.base_type())


def _type_fix(column: str, spark_type: str, dtype: pl.DataType) -> str:
    target = _polars_repr(spark_type)
    if spark_type == "timestamp" and isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            return f'make it a UTC instant: pl.col("{column}").dt.replace_time_zone("UTC") (timestamps are always UTC)'
        return f'convert it: pl.col("{column}").dt.convert_time_zone("UTC") (timestamps are always UTC)'
    if spark_type == "timestamp_ntz" and isinstance(dtype, pl.Datetime):
        return f'drop the zone: pl.col("{column}").dt.replace_time_zone(None), or change the contract to timestamp if an instant is meant'
    if isinstance(dtype, pl.String) and spark_type == "date":
        return f'parse it: pl.col("{column}").str.to_date("%Y-%m-%d")'
    if isinstance(dtype, pl.String) and spark_type.startswith("timestamp"):
        return f'parse it: pl.col("{column}").str.to_datetime(time_zone="UTC")' if spark_type == "timestamp" else f'parse it: pl.col("{column}").str.to_datetime()'
    return f'cast it before writing: pl.col("{column}").cast({target}) (and keep the generator\'s schema in line with the contract)'


# Text forms (CSV, JSON Lines). Each returns (parsed expression, shape-is-valid expression).
_NUMBER = r"[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|[Nn]a[Nn]|-?[Ii]nf(?:inity)?)"
_OFFSET_TAIL = r"(?:Z|[+-]\d{2}:?\d{2})$"
_TEXT_HINTS = {
    "bigint": "whole numbers within the bigint range",
    "int": "whole numbers within -2147483648..2147483647",
    "smallint": "whole numbers within -32768..32767",
    "tinyint": "whole numbers within -128..127",
    "double": "numbers",
    "float": "numbers",
    "boolean": "true or false",
    "date": "ISO dates YYYY-MM-DD",
    "timestamp": "ISO timestamps with a UTC offset, e.g. 2024-01-01T09:30:00Z",
    "timestamp_ntz": "ISO local timestamps without an offset, e.g. 2024-01-01T09:30:00",
    "string": "text",
}


def _text_hint(spark_type: str) -> str:
    if match := DECIMAL_TYPE.match(spark_type):
        return f"plain decimal numbers with at most {match[2]} decimals and {int(match[1]) - int(match[2])} digits before the point"
    if ARRAY_TYPE.match(spark_type):
        return "JSON lists of numbers, e.g. [1.0, 2.5]"
    return _TEXT_HINTS[spark_type]


def _parse_text(raw: pl.Expr, spark_type: str) -> pl.Expr:
    """Parse a text column as the contract type; values that do not parse become null."""
    text = raw.str.strip_chars()
    if spark_type in INTEGER_TYPES:
        wide = text.str.to_integer(strict=False, dtype=pl.Int64)
        dtype = polars_type(spark_type)
        return wide.cast(dtype, strict=False)
    if spark_type in FLOAT_TYPES:
        number = pl.when(text.str.contains(f"^{_NUMBER}$")).then(text)
        return number.cast(polars_type(spark_type), strict=False)
    if match := DECIMAL_TYPE.match(spark_type):
        precision, scale = int(match[1]), int(match[2])
        whole = precision - scale
        shape = rf"^[+-]?\d{{1,{whole}}}(?:\.\d{{0,{scale}}})?$" if whole else rf"^[+-]?0?(?:\.\d{{0,{scale}}})?$"
        return pl.when(text.str.contains(shape)).then(text).cast(pl.Decimal(precision, scale), strict=False)
    if spark_type == "string":
        return raw
    if spark_type == "boolean":
        lower = text.str.to_lowercase()
        return pl.when(lower == "true").then(True).when(lower == "false").then(False).otherwise(None).cast(pl.Boolean)
    if spark_type == "date":
        return pl.when(text.str.contains(r"^\d{4}-\d{2}-\d{2}$")).then(text).str.to_date("%Y-%m-%d", strict=False)
    if spark_type in ("timestamp", "timestamp_ntz"):
        normal = text.str.replace(r"^(\d{4}-\d{2}-\d{2}) ", "${1}T")
        if spark_type == "timestamp":
            normal = normal.str.replace(r"Z$", "+00:00").str.replace(r"([+-]\d{2})(\d{2})$", "${1}:${2}")
            return normal.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%:z", strict=False, time_unit="us", time_zone="UTC")
        shaped = pl.when(~normal.str.contains(_OFFSET_TAIL)).then(normal)
        return shaped.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", strict=False, time_unit="us")
    if match := ARRAY_TYPE.match(spark_type):
        inner = match[1]
        item = _NUMBER if inner != "string" else r'"(?:[^"\\]|\\.)*"'
        shape = rf"^\[\s*(?:{item}(?:\s*,\s*{item})*)?\s*\]$"
        # json_decode raises on bad JSON: hand it only values of the right shape.
        return pl.when(text.str.contains(shape)).then(text).str.json_decode(polars_type(spark_type))
    raise ValueError(f"unknown contract type {spark_type}")


def _iso_literal(spark_type: str, value):
    """A contract bound or allowed value as a Python value comparable with the column."""
    if value is None:
        return None
    if spark_type == "date":
        return dt.date.fromisoformat(str(value)) if isinstance(value, str) else value
    if spark_type in ("timestamp", "timestamp_ntz"):
        if not isinstance(value, str):
            return value
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
        if spark_type == "timestamp":
            return parsed.replace(tzinfo=dt.timezone.utc) if parsed.tzinfo is None else parsed.astimezone(dt.timezone.utc)
        return parsed.replace(tzinfo=None)
    if DECIMAL_TYPE.match(spark_type):
        return float(value)
    return value


# ---------------------------------------------------------------------------------------------
# Data-quality injections recorded in the manifest


class Injections:
    """Violations the generator introduced on purpose (``quality_injections`` in the manifest)."""

    def __init__(self, config: dict | None):
        self.config = config if isinstance(config, dict) else {}

    def _column_rate(self, key: str, table: str, column: str) -> float | None:
        rates = self.config.get(key)
        if isinstance(rates, (int, float)):
            return float(rates)
        if isinstance(rates, dict):
            for name in (f"{table}.{column}", column, f"{table}.*", table, "*"):
                if isinstance(rates.get(name), (int, float)):
                    return float(rates[name])
        return None

    def _null_rate(self, table: str, column: str) -> float | None:
        return self._column_rate("nulls", table, column)

    def _duplicate_rate(self, table: str) -> float | None:
        rate = self.config.get("duplicate_rate")
        if isinstance(rate, dict):
            rate = rate.get(table, rate.get("*"))
        return float(rate) if isinstance(rate, (int, float)) else None

    def explain(self, check: str, table: str, column: str | None, count: int, rows: int) -> tuple[bool, str] | None:
        """(explained?, text) when an injection is configured for this finding, else None.

        Explained: the note's text ("injected by …"). Not explained: what to add to the error.
        """
        if check == "nullable":
            key, configured = "nulls", self._null_rate(table, column)
        elif check in ("pk", "unique"):
            key, configured = "duplicate_rate", self._duplicate_rate(table)
        elif check in ("min", "max"):
            key, configured = "late_rate", self._column_rate("late_rate", table, column)
        else:
            return None
        if configured is None or rows == 0:
            return None
        found = count / rows
        # Sampling noise: four binomial standard deviations, at least half a percentage point.
        slack = max(0.005, 4 * math.sqrt(max(configured * (1 - configured), 1e-12) / rows))
        shares = f"configured {100 * configured:.3g}%, found {100 * found:.3g}%"
        if found <= configured + slack:
            return True, f"injected by {INJECTION_FLAGS[key]} ({shares})"
        return False, f"more than {INJECTION_FLAGS[key]} accounts for ({shares})"


# ---------------------------------------------------------------------------------------------
# Checking one table


@dataclass
class ColumnPlan:
    name: str
    spec: dict
    value: pl.Expr  # the column as its contract type
    text: pl.Expr  # the value as text, for pattern checks
    bad_parse: pl.Expr | None  # text formats: present but unparseable
    checkable: bool = True


class TableCheck:
    """All checks of one table against its contract; FK checks need the other tables' plans."""

    def __init__(self, opened: OpenedTable, contract: dict, result: ValidationResult, injections: Injections):
        self.opened = opened
        self.contract = contract
        self.name = contract["table"]
        self.result = result
        self.injections = injections
        self.rows = 0
        self.plans: dict[str, ColumnPlan] = {}

    def error(self, column, check, count, examples, message) -> None:
        self.result.errors.append(Finding(self.name, column, check, count, list(examples), message))

    def note(self, column, check, count, examples, message) -> None:
        self.result.notes.append(Finding(self.name, column, check, count, list(examples), message))

    def examples(self, condition: pl.Expr, shown: pl.Expr | list[pl.Expr]) -> list:
        shown = shown if isinstance(shown, list) else [shown]
        rows = self.opened.frame.filter(condition).select(shown).head(20 * EXAMPLES).collect()
        values: list = []
        for row in rows.iter_rows(named=len(shown) > 1):
            value = row if len(shown) > 1 else row[0]
            if value not in values:
                values.append(value)
            if len(values) == EXAMPLES:
                break
        return values

    def run(self) -> None:
        frame, opened = self.opened.frame, self.opened
        schema = frame.collect_schema()
        contract_columns = {column["name"]: column for column in self.contract["columns"]}
        source = f"{self.contract['_file']}"

        extra = [name for name in opened.columns if name not in contract_columns]
        if extra:
            self.note(None, "extra_column", len(extra), extra, f"{self.name}: columns not in the contract ({', '.join(extra)}): fine if you added them on purpose")

        for name, spec in contract_columns.items():
            if name not in schema:
                self.error(name, "missing_column", 1, [], f"{self.name}.{name}: column missing (contract: {spec['type']}{'' if spec['nullable'] else ', not null'}): add it to the generator's output ({source})")
                continue
            raw = pl.col(name)
            dtype = schema[name]
            if opened.text:
                value = _parse_text(raw, spec["type"])
                bad = raw.is_not_null() & value.is_null() if spec["type"] != "string" else None
                self.plans[name] = ColumnPlan(name, spec, value, raw, bad)
                continue
            if _accepts(spec["type"], dtype, name in opened.int96):
                value = raw
            else:
                stored = "INT96 (Spark timestamp)" if name in opened.int96 else str(dtype)
                # count: every row holds the wrong type; set once the rows are counted
                self.error(name, "type", -1, [stored], f"{self.name}.{name}: stored as {stored}, contract says {spec['type']} (Polars {_polars_repr(spec['type'])}): {_type_fix(name, spec['type'], dtype)}")
                target = polars_type(spec["type"])
                if _family(dtype) != _family(target):
                    self.plans[name] = ColumnPlan(name, spec, raw, raw, None, checkable=False)
                    continue
                value = raw
            target = polars_type(spec["type"])
            if isinstance(target, pl.Datetime):
                if isinstance(dtype, pl.Datetime) and dtype.time_zone is None and spec["type"] == "timestamp":
                    value = value.dt.replace_time_zone("UTC")
                elif isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
                    value = value.dt.convert_time_zone("UTC")
                    if spec["type"] == "timestamp_ntz":
                        value = value.dt.replace_time_zone(None)
                value = value.dt.cast_time_unit("us")
            elif _family(dtype) == "number" and dtype != target:
                value = value.cast(target, strict=False)
            elif isinstance(dtype, (pl.Categorical, pl.Enum)):
                value = value.cast(pl.String)
            elif isinstance(dtype, pl.Array):
                value = value.arr.to_list()
            self.plans[name] = ColumnPlan(name, spec, value, value.cast(pl.String) if _family(target) not in ("list",) else value, None)

        self._column_checks()

    def _column_checks(self) -> None:
        frame = self.opened.frame
        aggregates: dict[str, pl.Expr] = {"rows": pl.len()}
        for name, plan in self.plans.items():
            if not plan.checkable:
                continue
            spec, value = plan.spec, plan.value
            aggregates[f"{name}|nulls"] = pl.col(name).is_null().sum()
            if plan.bad_parse is not None:
                aggregates[f"{name}|type"] = plan.bad_parse.sum()
            if "values" in spec and not spec["type"].startswith("array"):
                aggregates[f"{name}|values"] = self._not_allowed(plan).sum()
            for bound in ("min", "max"):
                if bound in spec and (condition := self._outside(plan, bound)) is not None:
                    aggregates[f"{name}|{bound}"] = condition.sum()
            if "pattern" in spec and not spec["type"].startswith("array"):
                aggregates[f"{name}|pattern"] = self._mismatch(plan).sum()
            if spec.get("unique") and self.contract["primary_key"] != [name]:
                aggregates[f"{name}|unique"] = value.count() - value.drop_nulls().n_unique()
        key = self.contract["primary_key"]
        key_plans = [self.plans.get(column) for column in key]
        if all(plan is not None and plan.checkable for plan in key_plans):
            keys = [plan.value.alias(plan.name) for plan in key_plans]
            aggregates["|pk"] = pl.len() - (pl.struct(keys).n_unique() if len(keys) > 1 else keys[0].n_unique())
        counts = frame.select([expr.alias(label) for label, expr in aggregates.items()]).collect().row(0, named=True)
        self.rows = rows = counts["rows"]
        self.result.tables[self.name]["rows"] = rows
        for finding in self.result.errors:
            if finding.table == self.name and finding.check == "type" and finding.count == -1:
                finding.count = rows

        for label, count in counts.items():
            if label == "rows" or not count:
                continue
            column, check = label.split("|")
            if check == "pk":
                self._report_duplicate_keys(count)
                continue
            plan = self.plans[column]
            spec = plan.spec
            if check == "nulls":
                if column in self.opened.maybe_absent and count == rows and rows:
                    text = f"{self.name}.{column}: absent from every JSON line"
                    if spec["nullable"]:
                        self.note(column, "missing_column", 1, [], text + " (Spark leaves out null fields, so it may be all null)")
                    else:
                        self.error(column, "missing_column", 1, [], text + f": add it to the generator's output ({self.contract['_file']})")
                    continue
                if spec["nullable"]:
                    continue
                self._report_nulls(column, count)
                continue
            if check == "type":
                examples = self.examples(plan.bad_parse, pl.col(column))
                self.error(column, "type", count, examples, f"{self.name}.{column}: {_many(count, 'value does', 'values do')} not parse as {spec['type']} ({_examples(examples)}): write {_text_hint(spec['type'])}")
            elif check == "values":
                examples = self.examples(self._not_allowed(plan), plan.value)
                allowed = ", ".join(map(str, spec["values"][:12])) + (", …" if len(spec["values"]) > 12 else "")
                self.error(column, "values", count, examples, f"{self.name}.{column}: {_many(count, 'row holds a value', 'rows hold values')} outside the allowed set ({_examples(examples)}): use only {allowed}")
            elif check in ("min", "max"):
                examples = self.examples(self._outside(plan, check), plan.value)
                word = "below the minimum" if check == "min" else "above the maximum"
                window = f"{spec.get('min', '-∞')}..{spec.get('max', '∞')}"
                message = f"{self.name}.{column}: {_many(count, 'value', 'values')} {word} {spec[check]} ({_examples(examples)}): keep values within {window} (clip or redraw them)"
                # Only a time can be late: --late-rate never excuses a number out of range.
                explanation = self.injections.explain(check, self.name, column, count, rows) if spec["type"] in WINDOW_TYPES else None
                if explanation and explanation[0]:
                    self.note(column, check, count, examples, f"{self.name}.{column}: {_many(count, 'value', 'values')} {word} {spec[check]} {explanation[1]}")
                    continue
                self.error(column, check, count, examples, message + (f"; {explanation[1]}" if explanation else ""))
            elif check == "pattern":
                examples = self.examples(self._mismatch(plan), plan.text)
                fmt = f" ({spec['format']})" if spec.get("format") else ""
                self.error(column, "pattern", count, examples, f"{self.name}.{column}: {_many(count, 'value does', 'values do')} not match the pattern {spec['pattern']}{fmt} ({_examples(examples)}): format every value that way")
            elif check == "unique":
                self._report_duplicates(column, count)

    def _not_allowed(self, plan: ColumnPlan) -> pl.Expr:
        spec = plan.spec
        target = polars_type(spec["type"])
        value = plan.value
        if isinstance(target, (pl.Date, pl.Datetime)):
            allowed = pl.Series([_iso_literal(spec["type"], v) for v in spec["values"]], dtype=target)
        elif isinstance(target, pl.Decimal):
            value = value.cast(pl.Float64)
            allowed = pl.Series([float(v) for v in spec["values"]], dtype=pl.Float64)
        else:
            allowed = pl.Series(spec["values"]).cast(target, strict=False)
        # implode(): compare with the list as a whole (Polars 2 deprecates the bare collection form)
        return value.is_not_null() & ~value.is_in(allowed.implode())

    def _outside(self, plan: ColumnPlan, bound: str) -> pl.Expr | None:
        spec = plan.spec
        limit = _iso_literal(spec["type"], spec[bound])
        value = plan.value
        if spec["type"].startswith("array"):
            value = value.list.min() if bound == "min" else value.list.max()
        elif spec["type"].startswith("decimal"):
            value = value.cast(pl.Float64)
        elif spec["type"] in ("string", "boolean"):
            return None
        return (value < pl.lit(limit)) if bound == "min" else (value > pl.lit(limit))

    def _mismatch(self, plan: ColumnPlan) -> pl.Expr:
        return plan.text.is_not_null() & ~plan.text.cast(pl.String).str.contains(f"^(?:{plan.spec['pattern']})$")

    def _report_nulls(self, column: str, count: int) -> None:
        message = (f"{self.name}.{column}: {_many(count, 'null', 'nulls')} ({_share(count, self.rows)} of {self.rows:,} rows) in a non-null column: "
                   f"fill every row, or mark the column nullable in {self.contract['_file']} if nulls are meant")
        explanation = self.injections.explain("nullable", self.name, column, count, self.rows)
        if explanation:
            explained, text = explanation
            if explained:
                self.note(column, "nullable", count, [], f"{self.name}.{column}: {_many(count, 'null', 'nulls')} {text}")
                return
            message += f"; {text}"
        self.error(column, "nullable", count, [], message)

    def _report_duplicates(self, column: str, count: int) -> None:
        value = self.plans[column].value
        duplicated = self.opened.frame.select(value.alias(column)).drop_nulls().group_by(column).len().filter(pl.col("len") > 1)
        examples = duplicated.sort(column).head(EXAMPLES).collect()[column].to_list()
        message = f"{self.name}.{column}: {_many(count, 'extra row repeats', 'extra rows repeat')} a value of this unique column ({_examples(examples)}): make every value unique (e.g. build it from the row number)"
        self._report_keyed("unique", column, count, examples, message)

    def _report_duplicate_keys(self, count: int) -> None:
        key = self.contract["primary_key"]
        keys = [self.plans[column].value.alias(column) for column in key]
        duplicated = self.opened.frame.select(keys).group_by(key).len().filter(pl.col("len") > 1)
        found = duplicated.sort(key).head(EXAMPLES).collect().drop("len")
        examples = found[key[0]].to_list() if len(key) == 1 else found.to_dicts()
        shown = ", ".join(key)
        message = (f"{self.name} primary key ({shown}): {_many(count, 'extra row repeats', 'extra rows repeat')} a key ({_examples(examples)}): keys must be unique; "
                   f"derive ids from the row index (start + arange), and for a composite key draw each combination once")
        self._report_keyed("pk", ", ".join(key) if len(key) > 1 else key[0], count, examples, message)

    def _report_keyed(self, check: str, column: str, count: int, examples: list, message: str) -> None:
        explanation = self.injections.explain(check, self.name, column, count, self.rows)
        if explanation:
            explained, text = explanation
            if explained:
                self.note(column, check, count, examples, f"{message.split(':')[0]}: {_many(count, 'duplicate row', 'duplicate rows')} {text}")
                return
            message += f"; {text}"
        self.error(column, check, count, examples, message)

    def key_frame(self, columns: list[str]) -> pl.LazyFrame | None:
        plans = [self.plans.get(column) for column in columns]
        if any(plan is None or not plan.checkable for plan in plans):
            return None
        return self.opened.frame.select([plan.value.alias(plan.name) for plan in plans])


def check_foreign_keys(check: TableCheck, checks: dict[str, TableCheck], result: ValidationResult) -> None:
    for fk in check.contract["foreign_keys"]:
        columns, parent_name, parent_columns = fk["columns"], fk["references"]["table"], fk["references"]["columns"]
        label = ", ".join(columns)
        parent = checks.get(parent_name)
        if parent is None:
            check.note(label, "fk", 0, [], f"{check.name}.{label} → {parent_name}: not checked, {parent_name} is not in the folder")
            continue
        child_keys = check.key_frame(columns)
        parent_keys = parent.key_frame(parent_columns)
        if child_keys is None or parent_keys is None:
            check.note(label, "fk", 0, [], f"{check.name}.{label} → {parent_name}.{', '.join(parent_columns)}: not checked until the column errors above are fixed")
            continue
        parent_schema = parent_keys.collect_schema()
        renamed = parent_keys.rename(dict(zip(parent_columns, columns, strict=True))).unique()
        child_keys = child_keys.drop_nulls().with_columns(
            pl.col(c).cast(parent_schema[p], strict=False) for c, p in zip(columns, parent_columns, strict=True)
        )
        orphans = child_keys.join(renamed, on=columns, how="anti")
        count = orphans.select(pl.len()).collect().item()
        if not count:
            continue
        sample = orphans.unique().sort(columns).head(EXAMPLES).collect()
        examples = sample[columns[0]].to_list() if len(columns) == 1 else sample.to_dicts()
        target = f"{parent_name}.{', '.join(parent_columns)}"
        check.error(label, "fk", count, examples,
                    f"{check.name}.{label}: {_many(count, 'row references a value', 'rows reference values')} not in {target} ({_examples(examples)}): "
                    f"child keys must be drawn from the parent's ids (the same id range and --rows/--seed as the {parent_name} run)")


# ---------------------------------------------------------------------------------------------
# The whole folder


def _read_manifest(directory: Path, result: ValidationResult) -> dict | None:
    path = directory / MANIFEST
    if not path.is_file():
        result.notes.append(Finding(None, None, "manifest", 0, [], f"no {MANIFEST} in {directory}: cannot tell whether the tables come from one run (the generators write it last; a missing one can mean an interrupted run)"))
        return None
    try:
        manifest = json.loads(path.read_text())
        if not isinstance(manifest, dict):
            raise ValueError("not a JSON object")
    except ValueError as error:
        result.errors.append(Finding(None, None, "manifest", 1, [], f"{path} is not readable JSON ({error}): rerun the generator to rewrite the folder"))
        return None
    return manifest


def _with_run_bounds(contract: dict, run_bounds: dict, result: ValidationResult) -> dict:
    """The contract with the run's own window bounds (manifest "bounds") on its date and
    timestamp columns; a note names every column whose bounds moved."""
    table = contract["table"]
    changed, columns = [], []
    for column in contract["columns"]:
        bounds = run_bounds.get(f"{table}.{column['name']}")
        if column["type"] not in WINDOW_TYPES or not isinstance(bounds, dict):
            columns.append(column)
            continue
        moved = dict(column)
        for bound in ("min", "max"):
            if isinstance(bounds.get(bound), str):
                moved[bound] = bounds[bound]
            elif bounds.get(bound, "") is None:
                moved.pop(bound, None)
        if (moved.get("min"), moved.get("max")) != (column.get("min"), column.get("max")):
            changed.append(f"{column['name']} {moved.get('min', '-∞')}..{moved.get('max', '∞')} "
                           f"(contract {column.get('min', '-∞')}..{column.get('max', '∞')})")
        columns.append(moved)
    if changed:
        result.notes.append(Finding(table, None, "window", len(changed), [],
                                    f"{table}: bounds of this run's own window (recorded in {MANIFEST}) instead of the contract's: {'; '.join(changed)}"))
    return {**contract, "columns": columns}


def _infer_industry(found: dict[str, list[StoredTable]], contracts: dict[str, dict[str, dict]], directory: Path) -> str:
    # Score: (columns the folder's tables share with the industry's contracts of the same
    # name, tables whose names match). Shared names such as `transactions` are told apart
    # by their columns; equal scores mean the folder itself cannot tell.
    scores: dict[str, tuple[int, int]] = {}
    for industry, tables in contracts.items():
        matched_columns = matched_tables = 0
        for name, contract in tables.items():
            if name not in found:
                continue
            try:
                present = set(open_table(found[name][0], contract).columns)
            except Exception:
                present = set()
            matched_tables += 1
            matched_columns += len(present & {column["name"] for column in contract["columns"]})
        if matched_tables:
            scores[industry] = (matched_columns, matched_tables)
    if not scores:
        names = ", ".join(sorted(found)) or "none"
        raise UsageError(f"no table in {directory} has a contract (tables found: {names}); pass --industry, or --schemas with the contracts")
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    tied = [industry for industry, score in ranked if score == ranked[0][1]]
    if len(tied) > 1:
        raise UsageError(f"the tables in {directory} fit {' and '.join(tied)} equally well: pass --industry")
    return ranked[0][0]


def validate_directory(directory: Path, industry: str | None = None, schemas_dir: Path | None = None,
                       *, allow_missing: bool = False, summary: bool = False) -> ValidationResult:
    """Check every table in ``directory`` against its industry's contracts.

    Raises UsageError when it cannot run (no folder, no contracts, unclear or unknown industry).
    """
    directory = Path(directory)
    if not directory.exists():
        raise UsageError(f"{directory} does not exist: pass the folder the generator wrote (its --output)")
    if not directory.is_dir():
        raise UsageError(f"{directory} is a file: pass the folder that holds the tables, not one table")
    contracts, problems = load_contracts(Path(schemas_dir) if schemas_dir else SCHEMAS_DIR)
    result = ValidationResult(directory, None)
    manifest = _read_manifest(directory, result)
    found, discovery_notes = discover_tables(directory)
    result.notes += discovery_notes
    aliases = _apply_manifest_layout(manifest, found, directory)

    manifest_industry = manifest.get("industry") if manifest else None
    known = sorted(contracts)
    if industry is not None:
        if industry not in contracts:
            raise UsageError(f"no contracts for industry {industry!r} (known: {', '.join(known) or 'none'})")
        if manifest_industry and manifest_industry != industry:
            result.notes.append(Finding(None, None, "manifest", 0, [manifest_industry], f"{MANIFEST} says industry {manifest_industry!r}, checking against {industry!r} as asked"))
    elif manifest_industry:
        if manifest_industry not in contracts:
            raise UsageError(f"{MANIFEST} says industry {manifest_industry!r}, which has no contracts (known: {', '.join(known) or 'none'}): pass --industry or --schemas")
        industry = manifest_industry
    else:
        industry = _infer_industry(found, contracts, directory)
    result.industry = industry

    for problem_industry, finding in problems:
        (result.errors if problem_industry == industry else result.notes).append(finding)

    industry_contracts = contracts[industry]
    injections = Injections(manifest.get("quality_injections") if manifest else None)
    run_bounds = (manifest or {}).get("bounds") if isinstance((manifest or {}).get("bounds"), dict) else {}
    manifest_tables = (manifest or {}).get("tables") or {}
    checks: dict[str, TableCheck] = {}
    opened_tables: dict[str, OpenedTable] = {}

    for name, copies in found.items():
        chosen = copies[0]
        if len(copies) > 1:
            recorded = (manifest_tables.get(name) or {}).get("path")
            chosen = next((c for c in copies if c.path.name == recorded), copies[0])
            others = [c.path.name for c in copies if c is not chosen]
            result.errors.append(Finding(name, None, "manifest", len(others), others,
                                         f"{name}: several copies ({', '.join(c.path.name for c in copies)}); checked {chosen.path.name}: "
                                         f"the others come from another run: remove {', '.join(others)}"))
        contract = industry_contracts.get(name)
        result.tables[name] = {"path": chosen.path.name, "format": chosen.format, "rows": None, "contract": contract["_file"] if contract else None}
        try:
            opened = open_table(chosen, contract)
            opened_tables[name] = opened
            if contract is None:
                result.tables[name]["rows"] = opened.frame.select(pl.len()).collect().item()
                result.notes.append(Finding(name, None, "extra_table", 0, [], f"{name} ({chosen.path.name}) has no {industry} contract: not checked"))
                continue
            contract = _with_run_bounds(contract, run_bounds, result)
            check = TableCheck(opened, contract, result, injections)
            check.run()
            checks[name] = check
        except TableReadError as error:
            opened_tables.pop(name, None)
            result.errors.append(Finding(name, None, "read", 1, [], str(error)))
        except Exception as error:  # a corrupt or unreadable table is a finding, not a crash
            opened_tables.pop(name, None)
            checks.pop(name, None)
            for finding in result.errors:
                if finding.table == name and finding.count == -1:
                    finding.count = 0
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            result.errors.append(Finding(name, None, "read", 1, [], f"{name} ({chosen.path.name}) cannot be read ({type(error).__name__}: {reason}): regenerate it"))

    for name in industry_contracts:
        if name in found:
            continue
        recorded = manifest_tables.get(name)
        why = f" although {MANIFEST} lists it ({recorded.get('rows', '?')} rows): it was removed or moved after the run" if isinstance(recorded, dict) else ""
        text = f"{industry} table {name} is missing from {directory}{why}: the generator writes every table of its industry, so rerun it"
        if allow_missing:
            result.notes.append(Finding(name, None, "missing_table", 1, [], f"{industry} table {name} is not in the folder (allowed by --allow-missing)"))
        else:
            result.errors.append(Finding(name, None, "missing_table", 1, [], text + " (or pass --allow-missing if you wrote a subset on purpose)"))

    for check in checks.values():
        try:
            check_foreign_keys(check, checks, result)
        except Exception as error:
            result.errors.append(Finding(check.name, None, "read", 1, [], f"{check.name}: foreign keys could not be checked ({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}): regenerate the table"))

    if manifest is not None:
        _check_manifest(manifest, _recorded_tables(manifest_tables, aliases), found, result, industry_contracts)

    if summary:
        for name, opened in opened_tables.items():
            try:
                result.profiles[name] = profile_table(opened, checks.get(name))
            except Exception as error:
                result.notes.append(Finding(name, None, "summary", 0, [], f"{name}: no profile ({type(error).__name__})"))
        try:
            result.seasonality = measure_seasonality(manifest, checks, opened_tables)
        except ValueError as error:
            result.notes.append(Finding(None, None, "summary", 0, [], f"seasonality not measured: {error}"))
    return result


def _apply_manifest_layout(manifest: dict | None, found: dict, directory: Path) -> dict[str, list[str]]:
    """A CDC feed (manifest ``feed``: files that together are one table) and files recorded under
    another contract's table (manifest ``tables.<name>.contract``) become the contract's table.
    Returns {table: [manifest names it stands for]}."""
    aliases: dict[str, list[str]] = {}
    if not manifest:
        return aliases
    feed = manifest.get("feed")
    if isinstance(feed, dict) and feed.get("table") and isinstance(feed.get("files"), list):
        stems = [Path(str(f)).stem for f in feed["files"]]
        parts = [found.pop(stem)[0] for stem in stems if stem in found]
        if parts:
            # A Spark feed (scripts/generators/cdc.py) lands a folder of part files per delivery.
            files = [f for p in parts for f in (p.files if p.kind == "spark" else [p.path])]
            found[feed["table"]] = [StoredTable(feed["table"], directory, parts[0].format, "spark", files)]
            aliases[feed["table"]] = stems
    for name, info in (manifest.get("tables") or {}).items():
        target = info.get("contract") if isinstance(info, dict) else None
        if target and name in found and target not in aliases and name != target:
            found[target] = found.pop(name)
            aliases[target] = [name]
    return aliases


def _recorded_tables(manifest_tables: dict, aliases: dict[str, list[str]]) -> dict:
    """The manifest's tables with aliased files folded into their table (rows summed)."""
    if not isinstance(manifest_tables, dict):
        return manifest_tables
    recorded = {name: info for name, info in manifest_tables.items() if not any(name in names for names in aliases.values())}
    for table, names in aliases.items():
        entries = [manifest_tables.get(name) for name in names if isinstance(manifest_tables.get(name), dict)]
        if len(names) == 1 and entries:
            recorded[table] = entries[0]
        elif entries:
            recorded[table] = {"rows": sum(e.get("rows", 0) for e in entries)}
    return recorded


def _check_manifest(manifest: dict, manifest_tables: dict, found: dict[str, list[StoredTable]], result: ValidationResult, contracts: dict) -> None:
    stale = "this table comes from another run: regenerate the folder or remove the stale table"
    if not isinstance(manifest_tables, dict) or not manifest_tables:
        result.errors.append(Finding(None, None, "manifest", 1, [], f"{MANIFEST} lists no tables: rerun the generator so the manifest records what it wrote"))
        return
    for name, info in result.tables.items():
        recorded = manifest_tables.get(name)
        if not isinstance(recorded, dict):
            result.errors.append(Finding(name, None, "manifest", 1, [info["path"]], f"{name} ({info['path']}) is not in {MANIFEST}: {stale}"))
            continue
        if recorded.get("path") and Path(str(recorded["path"])).name != info["path"]:
            result.errors.append(Finding(name, None, "manifest", 1, [info["path"]],
                                         f"{name}: the folder holds {info['path']} but {MANIFEST} recorded {recorded['path']}: {stale}"))
            continue
        rows = info.get("rows")
        if isinstance(recorded.get("rows"), int) and rows is not None and rows != recorded["rows"]:
            result.errors.append(Finding(name, None, "manifest", abs(rows - recorded["rows"]), [rows],
                                         f"{name}: {rows:,} rows but {MANIFEST} recorded {recorded['rows']:,}: {stale}"))
            continue
        stored = next((c for c in found.get(name, []) if c.path.name == info["path"]), None)
        if stored is not None and isinstance(recorded.get("bytes"), int):
            size = stored.bytes
            if size != recorded["bytes"]:
                result.errors.append(Finding(name, None, "manifest", abs(size - recorded["bytes"]), [size],
                                             f"{name}: {size:,} bytes on disk but {MANIFEST} recorded {recorded['bytes']:,}: {stale}"))
    for name in manifest_tables:
        if name not in found and name not in contracts:
            result.errors.append(Finding(name, None, "manifest", 1, [], f"{name} is listed in {MANIFEST} but not in the folder: it was removed or moved after the run; rerun the generator"))


# ---------------------------------------------------------------------------------------------
# --summary: a compact profile per table


SUMMARY_ALL_VALUES = 8  # columns with at most this many distinct values show every share
SUMMARY_TOP_VALUES = 3


def profile_table(opened: OpenedTable, check: TableCheck | None) -> dict:
    frame = opened.frame
    values = {}
    for name in opened.columns:
        plan = check.plans.get(name) if check else None
        values[name] = plan.value if plan is not None and plan.checkable else pl.col(name)
    typed = frame.select([expr.alias(name) for name, expr in values.items()])
    schema = typed.collect_schema()
    aggregates = [pl.len().alias("|rows")]
    for name, dtype in schema.items():
        aggregates.append(pl.col(name).null_count().alias(f"{name}|nulls"))
        if not isinstance(dtype, (pl.List, pl.Array)):
            aggregates.append(pl.col(name).drop_nulls().n_unique().alias(f"{name}|distinct"))
        if dtype.is_numeric() or dtype.is_temporal():
            aggregates += [pl.col(name).min().alias(f"{name}|min"), pl.col(name).max().alias(f"{name}|max")]
    stats = typed.select(aggregates).collect().row(0, named=True)
    rows = stats["|rows"]
    profile = {"rows": rows, "columns": {}}
    for name, dtype in schema.items():
        entry = {"type": str(dtype), "null_pct": round(100 * stats[f"{name}|nulls"] / rows, 2) if rows else 0.0}
        if f"{name}|distinct" in stats:
            entry["distinct"] = stats[f"{name}|distinct"]
        if f"{name}|min" in stats:
            entry["min"], entry["max"] = _json_value(stats[f"{name}|min"]), _json_value(stats[f"{name}|max"])
        elif isinstance(dtype, (pl.String, pl.Boolean, pl.Categorical, pl.Enum)) and rows:
            non_null = rows - stats[f"{name}|nulls"]
            if entry.get("distinct", 0) < max(non_null, 1) or non_null <= 3:
                # Every value of a small category set (tiers, statuses), so all of its shares can
                # be checked against the request; the three commonest of anything larger.
                shown = entry.get("distinct", 0) if entry.get("distinct", 0) <= SUMMARY_ALL_VALUES else SUMMARY_TOP_VALUES
                top = typed.select(pl.col(name).drop_nulls()).group_by(name).len().sort(["len", name], descending=[True, False]).head(shown).collect()
                entry["top"] = [[_json_value(v), _share_pct(n, rows)] for v, n in top.iter_rows()]
            else:
                entry["top"] = "all distinct"
        profile["columns"][name] = entry
    return profile


def _share_pct(count: int, rows: int) -> float:
    """A share in percent: one decimal, or two significant digits below 0.1% (a value held by
    2 rows in 50,000 reads 0.004%, not 0%)."""
    share = 100 * count / rows
    return round(share, 1) if share >= 0.1 else float(f"{share:.2g}")


def format_profiles(profiles: dict[str, dict]) -> str:
    lines = []
    for table, profile in profiles.items():
        lines.append(f"\n{table}: {profile['rows']:,} rows")
        width = max([len(name) for name in profile["columns"]] + [6])
        lines.append(f"  {'column':<{width}}  {'nulls':>6}  {'distinct':>9}  range / top values")
        for name, entry in profile["columns"].items():
            if "min" in entry:
                detail = f"{_fmt(entry['min'])} .. {_fmt(entry['max'])}"
            elif isinstance(entry.get("top"), list):
                detail = ", ".join(f"{_fmt(v)} {share:g}%" for v, share in entry["top"])
                if entry.get("distinct", 0) > len(entry["top"]):
                    detail += ", ..."
            else:
                detail = entry.get("top", entry["type"])
            distinct = f"{entry['distinct']:,}" if "distinct" in entry else "-"
            lines.append(f"  {name:<{width}}  {entry['null_pct']:>5.1f}%  {distinct:>9}  {detail}")
    return "\n".join(lines)


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


# ---------------------------------------------------------------------------------------------
# --summary: seasonality measured on the data against the run's configuration
#
# A run with --seasonality/--monthly-weights/--weekday-weights/--campaign records them in the
# manifest ("window" → "seasonality"; "applies_to" names the seasonal timestamp columns). Per
# column, from one pass over it (events per UTC calendar day):
#
#   expected(day) = weight(day) x trend(day)
#
# weight = monthly x weekday x the covering campaigns' multipliers (the generators' rule); trend =
# a straight line fitted to the counts over the weights: customers and accounts that join during
# the window raise the volume, so the weights alone understate the later months. A day without a
# single event where at least CLOSED_EXPECTED were expected, or a weekday without any event over
# the window, is closed (trades keep to the exchange's sessions) and left out. Month shares are
# sums; the weekend/weekday ratio and campaign lifts compare per-day medians of count / expected,
# so a day of month-end postings (fees, interest) moves neither. A campaign's lift: its days'
# median over that of the days without a campaign in its months and the month on either side,
# both against what the day would expect without this campaign.

SEASON_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
CLOSED_EXPECTED = 10  # P(no event | 10 expected) = 5e-5: such a day is closed, not unlucky
SHARE_TOLERANCE = 0.01  # a share within this of its expectation (or 4 standard errors) matches
RATIO_TOLERANCE = 0.05  # relative, for the weekend/weekday ratio and campaign lifts (or 4 standard errors)
MEDIAN_NOISE = math.sqrt(math.pi / 2)  # standard error of a median over that of a mean (normal data)
MAD_TO_SD = 1.4826  # median absolute deviation x this = standard deviation (normal data)


def _season_config(manifest: dict | None) -> tuple[dict, dt.date, dt.date] | None:
    """The manifest's seasonality and window, or None for a run without one (or a flat one)."""
    window = (manifest or {}).get("window")
    if not isinstance(window, dict) or not isinstance(window.get("seasonality"), dict):
        return None
    season = window["seasonality"]
    try:
        first, last = dt.date.fromisoformat(window["start"]), dt.date.fromisoformat(window["end"])
        monthly = [float(w) for w in season["monthly_weights"]]
        weekday = [float(w) for w in season["weekday_weights"]]
        campaigns = [{"name": str(c["name"]), "start": dt.date.fromisoformat(c["start"]), "end": dt.date.fromisoformat(c["end"]),
                      "multiplier": float(c["multiplier"])} for c in season.get("campaigns") or []]
        columns = [str(c) for c in season.get("applies_to") or []]
    except (KeyError, TypeError, ValueError, AttributeError):
        raise ValueError(f"{MANIFEST} window.seasonality cannot be read (window, weights or campaigns malformed)") from None
    if len(monthly) != 12 or len(weekday) != 7 or last < first:
        raise ValueError(f"{MANIFEST} window.seasonality needs 12 monthly and 7 weekday weights and an end on or after its start")
    if len(set(monthly)) == 1 and len(set(weekday)) == 1 and not campaigns:
        return None
    return {"preset": season.get("preset"), "monthly": monthly, "weekday": weekday, "campaigns": campaigns, "columns": columns}, first, last


def _season_weights(days: list[dt.date], config: dict, skip: dict | None = None) -> list[float]:
    """monthly x weekday x the multipliers of the campaigns covering each day (``skip`` left out)."""
    weights = []
    for day in days:
        weight = config["monthly"][day.month - 1] * config["weekday"][day.weekday()]
        for campaign in config["campaigns"]:
            if campaign is not skip and campaign["start"] <= day <= campaign["end"]:
                weight *= campaign["multiplier"]
        weights.append(weight)
    return weights


def _fit_trend(counts: list[int], weights: list[float], open_days: list[bool]) -> list[float]:
    """The level a + b t per day (t centred on the window) minimising sum (count - weight x level)^2
    / weight over the open days (Poisson-weighted least squares); flat if no line fits."""
    n = len(counts)
    t = [(i - (n - 1) / 2) / n for i in range(n)]
    s0 = s1 = s2 = c0 = c1 = 0.0
    for count, weight, x, is_open in zip(counts, weights, t, open_days, strict=True):
        if is_open and weight > 0:
            s0, s1, s2, c0, c1 = s0 + weight, s1 + weight * x, s2 + weight * x * x, c0 + count, c1 + count * x
    if s0 <= 0:
        return [0.0] * n
    det = s0 * s2 - s1 * s1
    if det > 1e-9 * s0 * s2:
        a, b = (c0 * s2 - c1 * s1) / det, (s0 * c1 - s1 * c0) / det
        level = [a + b * x for x in t]
        if min(level) > 0:
            return level
    return [c0 / s0] * n


def _median(values: list[float]) -> float | None:
    values = sorted(values)
    if not values:
        return None
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def _typical(indices: list[float], events: int) -> tuple[float, float]:
    """The median of per-day indices (count / expected) and its relative standard error: from the
    days' own scatter (median absolute deviation), at least the Poisson error of their events."""
    middle = _median(indices)
    if not middle:
        return middle or 0.0, 0.0
    spread = MAD_TO_SD * _median([abs(x - middle) for x in indices]) / middle
    return middle, max(MEDIAN_NOISE * spread / math.sqrt(len(indices)), 1 / math.sqrt(max(events, 1)))


def _peak_months(monthly: list[float], present: list[int]) -> list[int]:
    """The months a configuration singles out: those weighted at least the second-highest weight
    (three at most), else those with the highest weight (three at most), else none."""
    if len({monthly[m - 1] for m in present}) < 2:
        return []
    ranked = sorted((monthly[m - 1] for m in present), reverse=True)
    for rank in (1, 0):
        peak = [m for m in present if monthly[m - 1] >= ranked[rank]]
        if len(peak) <= 3:
            return peak
    return []


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _month_span(first: dt.date, last: dt.date) -> str:
    """"Oct-Dec 2024", "Dec 2024-Feb 2025", "Jun 2024"."""
    if (first.year, first.month) == (last.year, last.month):
        return f"{SEASON_MONTHS[first.month - 1]} {first.year}"
    if first.year == last.year:
        return f"{SEASON_MONTHS[first.month - 1]}-{SEASON_MONTHS[last.month - 1]} {first.year}"
    return f"{SEASON_MONTHS[first.month - 1]} {first.year}-{SEASON_MONTHS[last.month - 1]} {last.year}"


def _days_of(frame: pl.LazyFrame, value: pl.Expr) -> dict[dt.date, int]:
    """Events per UTC calendar day of a timestamp or date column, in one pass over it."""
    dtype = frame.select(value.alias("when")).collect_schema()["when"]
    if isinstance(dtype, pl.Datetime):
        day = (value.dt.convert_time_zone("UTC") if dtype.time_zone else value).dt.date()
    elif isinstance(dtype, pl.Date):
        day = value
    else:
        raise ValueError(f"stored as {dtype}, not a date or timestamp")
    return dict(frame.select(day.alias("day")).drop_nulls().group_by("day").len().collect().iter_rows())


def measure_season_column(per_day: dict[dt.date, int], config: dict, first: dt.date, last: dt.date) -> dict:
    """Month shares, the weekend/weekday ratio and each campaign's lift of one column's events
    per day, each with what the configuration expects (see the comment above)."""
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    counts = [per_day.get(day, 0) for day in days]
    events = sum(counts)
    weights = _season_weights(days, config)
    open_days = [True] * len(days)
    for _ in range(2):  # fit, mark the closed days, fit again without them
        level = _fit_trend(counts, weights, open_days)
        expected = [w * x for w, x in zip(weights, level, strict=True)]
        open_days = [not (count == 0 and e >= CLOSED_EXPECTED) for count, e in zip(counts, expected, strict=True)]
        for weekday in range(7):
            same = [i for i, day in enumerate(days) if day.weekday() == weekday]
            if not any(counts[i] for i in same) and sum(expected[i] for i in same) >= CLOSED_EXPECTED:
                for i in same:
                    open_days[i] = False
    level = _fit_trend(counts, weights, open_days)
    expected = [w * x if is_open else 0.0 for w, x, is_open in zip(weights, level, open_days, strict=True)]
    measured = {"events": events, "outside_window": sum(n for day, n in per_day.items() if not first <= day <= last),
                "days": len(days), "closed_days": open_days.count(False),
                "trend": round(level[-1] / level[0] - 1, 4) if level[0] > 0 else None, "months": {}}
    total_expected = sum(expected)
    if not events or total_expected <= 0:
        return {**measured, "campaigns": []}

    present = list(dict.fromkeys(day.month for day in days))  # in the window's order
    for month in present:
        share = sum(c for c, day in zip(counts, days) if day.month == month) / events
        share_expected = sum(e for e, day in zip(expected, days) if day.month == month) / total_expected
        measured["months"][SEASON_MONTHS[month - 1]] = {"share": round(share, 4), "expected": round(share_expected, 4)}
    if peak := _peak_months(config["monthly"], present):
        share = sum(c for c, day in zip(counts, days) if day.month in peak) / events
        share_expected = sum(e for e, day in zip(expected, days) if day.month in peak) / total_expected
        open_weight = sum(w for w, is_open in zip(weights, open_days) if is_open)
        weights_only = sum(w for w, day, is_open in zip(weights, days, open_days) if is_open and day.month in peak) / open_weight
        noise = 4 * math.sqrt(share_expected * (1 - share_expected) / events)
        measured["peak"] = {"months": [SEASON_MONTHS[m - 1] for m in peak], "share": round(share, 4),
                            "expected": round(share_expected, 4), "weights_only": round(weights_only, 4),
                            "matches": abs(share - share_expected) <= max(SHARE_TOLERANCE, noise)}

    in_campaign = [any(c["start"] <= day <= c["end"] for c in config["campaigns"]) for day in days]
    if len(set(config["weekday"])) > 1:
        plain = [i for i in range(len(days)) if open_days[i] and not in_campaign[i] and expected[i] > 0]
        weekend = [i for i in plain if days[i].weekday() >= 5]
        weekday = [i for i in plain if days[i].weekday() < 5]
        if not weekend or not weekday:
            measured["weekend_weekday"] = {"ratio": None, "closed": "weekends" if not weekend else "weekdays"}
        else:
            expected_ratio = (sum(expected[i] for i in weekend) / len(weekend)) / (sum(expected[i] for i in weekday) / len(weekday))
            on_weekends, weekend_error = _typical([counts[i] / expected[i] for i in weekend], sum(counts[i] for i in weekend))
            on_weekdays, weekday_error = _typical([counts[i] / expected[i] for i in weekday], sum(counts[i] for i in weekday))
            ratio = expected_ratio * on_weekends / on_weekdays if on_weekdays else None
            measured["weekend_weekday"] = {
                "ratio": None if ratio is None else round(ratio, 4), "expected": round(expected_ratio, 4),
                "matches": ratio is not None and abs(ratio / expected_ratio - 1) <= max(RATIO_TOLERANCE, 4 * math.hypot(weekend_error, weekday_error))}

    measured["campaigns"] = []
    for campaign in config["campaigns"]:
        entry = {"name": campaign["name"], "start": campaign["start"].isoformat(), "end": campaign["end"].isoformat(),
                 "multiplier": campaign["multiplier"], "lift": None}
        measured["campaigns"].append(entry)
        # What the day would expect without this campaign (others still apply).
        without = [w * x for w, x in zip(_season_weights(days, config, skip=campaign), level, strict=True)]
        inside = [i for i, day in enumerate(days) if campaign["start"] <= day <= campaign["end"] and open_days[i] and without[i] > 0]
        others = [i for i in range(len(days)) if open_days[i] and not in_campaign[i] and without[i] > 0]
        # Compared with the days without a campaign nearby: its months and the month on either
        # side (a few weeks of reference days alone would be the noisier half of the ratio).
        lowest = min((_month_index(days[i]) for i in inside), default=0) - 1
        highest = max((_month_index(days[i]) for i in inside), default=0) + 1
        reference = [i for i in others if lowest <= _month_index(days[i]) <= highest]
        if reference:
            entry["reference"] = f"days without a campaign, {_month_span(days[reference[0]], days[reference[-1]])}"
        else:
            reference = others
            entry["reference"] = "every day without a campaign"
        if not inside or not reference:
            entry["why"] = "no open day of the campaign in the window" if not inside else "no day without a campaign to compare with"
            continue
        base, base_error = _typical([counts[i] / without[i] for i in reference], sum(counts[i] for i in reference))
        if not base:
            entry["why"] = "no events on the reference days"
            continue
        n_inside = sum(counts[i] for i in inside)
        during, during_error = _typical([counts[i] / without[i] for i in inside], n_inside)
        lift = during / base
        error = lift * math.hypot(during_error, base_error)
        entry.update({"lift": round(lift, 3), "standard_error": round(error, 3), "days": len(inside), "events": n_inside,
                      "matches": abs(lift - campaign["multiplier"]) <= max(RATIO_TOLERANCE * campaign["multiplier"], 4 * error)})
    return measured


def measure_seasonality(manifest: dict | None, checks: dict[str, TableCheck], opened: dict[str, OpenedTable]) -> dict | None:
    """The run's configured seasonality with each seasonal column measured, or None without one."""
    found = _season_config(manifest)
    if found is None:
        return None
    config, first, last = found
    block = {"window": {"start": first.isoformat(), "end": last.isoformat()}, "preset": config["preset"],
             "monthly_weights": config["monthly"], "weekday_weights": config["weekday"],
             "campaigns": [{**c, "start": c["start"].isoformat(), "end": c["end"].isoformat()} for c in config["campaigns"]],
             "columns": {}}
    for name in config["columns"]:
        table, _, column = name.partition(".")
        if table not in opened or column not in opened[table].columns:
            block["columns"][name] = {"why": "not in the folder"}
            continue
        plan = checks[table].plans.get(column) if table in checks else None
        value = plan.value if plan is not None and plan.checkable else pl.col(column)
        try:
            per_day = _days_of(opened[table].frame, value)
        except Exception as error:  # a column the checks above already report
            block["columns"][name] = {"why": f"not measured ({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''})"}
            continue
        block["columns"][name] = measure_season_column(per_day, config, first, last)
    return block


def format_seasonality(block: dict) -> str:
    """The --summary text of measure_seasonality's result."""
    configured = [f"preset {block['preset']}"] if block["preset"] not in (None, "none") else []
    if not configured and (len(set(block["monthly_weights"])) > 1 or len(set(block["weekday_weights"])) > 1):
        configured.append("custom weights")
    if block["campaigns"]:
        configured.append("campaigns " + ", ".join(f"{c['name']} {c['start']}..{c['end']} x{c['multiplier']:g}" for c in block["campaigns"]))
    lines = [f"\nseasonality ({'; '.join(configured)}), measured:",
             "  expected = the configured day weights x the run's volume trend (a line fitted to the counts);",
             "  ratio and lifts compare per-day medians; 'off' = outside sampling noise and tolerance (a note, not an error)"]
    if not block["columns"]:
        lines.append(f"  no seasonal column recorded ({MANIFEST} window.seasonality.applies_to is empty)")
    for name, measured in block["columns"].items():
        if "why" in measured:
            lines.append(f"  {name}: {measured['why']}")
            continue
        trend = f"{100 * measured['trend']:+.0f}%" if measured["trend"] is not None else "n/a"
        head = f"  {name}: {measured['events']:,} events over {measured['days']:,} days, volume trend {trend} across the window"
        if measured["closed_days"]:
            head += f", {measured['closed_days']:,} closed days left out"
        if measured["outside_window"]:
            head += f", {measured['outside_window']:,} events outside the window"
        lines.append(head)
        months = [f"{month} {100 * m['share']:.1f} ({100 * m['expected']:.1f})" for month, m in measured["months"].items()]
        for i in range(0, len(months), 6):
            lines.append(("    month % (expected): " if i == 0 else " " * 24) + ", ".join(months[i:i + 6]))
        if peak := measured.get("peak"):
            lines.append(f"    {'+'.join(peak['months'])}: {100 * peak['share']:.1f}% of events (expected {100 * peak['expected']:.1f}%; "
                         f"weights alone {100 * peak['weights_only']:.1f}%){'' if peak['matches'] else '  off'}")
        if ratio := measured.get("weekend_weekday"):
            if ratio["ratio"] is None:
                lines.append(f"    weekend/weekday per day: no events on {ratio.get('closed', 'those days')} (closed)")
            else:
                lines.append(f"    weekend/weekday per day: {ratio['ratio']:.3f} (expected {ratio['expected']:.3f}){'' if ratio['matches'] else '  off'}")
        for campaign in measured["campaigns"]:
            label = f"    campaign {campaign['name']} x{campaign['multiplier']:g}"
            if campaign["lift"] is None:
                lines.append(f"{label}: lift not measured ({campaign.get('why', 'no data')})")
            else:
                lines.append(f"{label}: lift {campaign['lift']:.2f} ± {campaign['standard_error']:.2f} over {_many(campaign['days'], 'day', 'days')} "
                             f"({_many(campaign['events'], 'event', 'events')}) against {campaign['reference']}{'' if campaign['matches'] else '  off'}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Check a folder of generated tables against the table contracts (assets/schemas).",
        epilog="Exit 0: clean. Exit 1: violations (each named with table, column, count and examples). Exit 2: usage error.",
    )
    parser.add_argument("directory", type=Path, help="folder the generator wrote (its --output)")
    parser.add_argument("--industry", help="industry to check against (default: the manifest's, else inferred from the tables)")
    parser.add_argument("--schemas", type=Path, default=None, help=f"contracts folder (default: {SCHEMAS_DIR})")
    parser.add_argument("--summary", action="store_true", help="also print a per-table profile (rows, null %%, distinct counts, ranges, top values) and, for a run "
                        "with seasonality, its month shares, weekend/weekday ratio and campaign lifts measured against the configuration")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON instead of the report")
    parser.add_argument("--allow-missing", action="store_true", help="a table of the industry missing from the folder is a note, not an error")
    args = parser.parse_args(argv)
    try:
        result = validate_directory(args.directory, args.industry, args.schemas, allow_missing=args.allow_missing, summary=args.summary)
    except UsageError as error:
        parser.error(str(error))
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        print(result)
        if args.summary:
            print(format_profiles(result.profiles))
            if result.seasonality:
                print(format_seasonality(result.seasonality))
    return 0 if result.ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # output piped into `head`: stop quietly
        sys.stderr.close()
        sys.exit(1)
